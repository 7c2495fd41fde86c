// `atnat generate --prompts FILE`: the model loaded once, one JSON result per line, each the result that
// `generate --form FORM --prompt TEXT` gives for that line (models/poet-nat/distill.py relies on it); and
// `atnat compare --references`, the real poems measured beside the generators, and its sampled NAT rows.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, ROOT, cliJson } from './helpers.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'atnat-batch-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const prompts = [
  ['wuyan-jueju', '春风吹落花'],
  ['free', '明月'],
  ['qiyan-jueju', ''],
];
const file = path.join(tmp, 'prompts.txt');
fs.writeFileSync(file, prompts.map(([form, text]) => `${form}\t${text}\n`).join(''));

// What does not depend on the clock.
const deterministic = (r) => ({ text: r.text, ids: r.tokens.map((t) => t.id), passes: r.forward_passes });

for (const [model, options] of [
  ['models/poet-at', ['--strategy', 'beam', '--beam', '3']],
  ['models/poet-nat', ['--iterations', '4']],
]) {
  test(`${model}: --prompts gives, line by line, what --form and --prompt give`, () => {
    const out = execFileSync(CLI, ['generate', '--model', model, '--prompts', file, '--json', ...options], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const lines = out.trimEnd().split('\n');
    assert.equal(lines.length, prompts.length);
    lines.forEach((line, i) => {
      const [form, text] = prompts[i];
      const one = cliJson(['generate', '--model', model, '--form', form, '--prompt', text, ...options]);
      assert.deepEqual(deterministic(JSON.parse(line)), deterministic(one), `line ${i + 1}`);
      assert.ok(one.text.startsWith(text));
    });
  });
}

test('--prompts refuses --prompt and --form, and names a bad line', () => {
  const both = spawnSync(CLI, ['generate', '--model', 'models/poet-at', '--prompts', file, '--form', 'free'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(both.status, 2);
  assert.match(both.stderr, /leave out --prompt and --form/);
  const bad = path.join(tmp, 'bad.txt');
  fs.writeFileSync(bad, 'free\t春\nno tab here\n');
  const r = spawnSync(CLI, ['generate', '--model', 'models/poet-at', '--prompts', bad], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.txt:2: expected FORM<TAB>TEXT/);
});

test('compare --references: the real poems row scores them as `atnat score` does, without time or passes', () => {
  const poems = 'models/data/poetry/test_poems.txt';
  const head = path.join(tmp, 'poems3.txt');
  fs.writeFileSync(head, fs.readFileSync(path.join(ROOT, poems), 'utf8').split('\n').slice(0, 3).join('\n') + '\n');
  const out = JSON.parse(
    execFileSync(
      CLI,
      ['compare', '--prompts', 'models/data/poetry/test_prompts.txt', '--references', poems, '--limit', '3', '--json'],
      { cwd: ROOT, encoding: 'utf8' },
    ),
  );
  const real = out.rows.at(-1);
  assert.equal(real.name, 'real poems (references)');
  assert.deepEqual([real.ms, real.forward_passes, real.chars_per_s], [null, null, null]);
  const scored = cliJson(['score', '--model', 'models/poet-at', '--text-file', head]).lines;
  const nll = scored.reduce((s, l) => s + l.total_nll, 0);
  const tokens = scored.reduce((s, l) => s + l.tokens, 0);
  assert.ok(Math.abs(real.at_ppl - Math.exp(nll / tokens)) < 1e-6 * real.at_ppl);
  assert.equal(real.form_correct, 1);
  // A reference that is not the prompt's poem is refused.
  const shifted = path.join(tmp, 'shifted.txt');
  fs.writeFileSync(shifted, fs.readFileSync(head, 'utf8').split('\n').slice(1).join('\n'));
  const r = spawnSync(
    CLI,
    ['compare', '--prompts', 'models/data/poetry/test_prompts.txt', '--references', shifted, '--limit', '1'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 1);
  assert.match(r.stderr, /shifted\.txt:1: not the poem of prompt 1/);
});

test('compare: the NAT sample rows draw at --nat-temperature with seed --seed + prompt index; penalty rows use --nat-penalty', () => {
  const out = JSON.parse(
    execFileSync(
      CLI,
      [
        'compare',
        '--prompts',
        'models/data/poetry/test_prompts.txt',
        '--limit',
        '2',
        '--examples',
        '2',
        '--seed',
        '5',
        '--nat-temperature',
        '0.5',
        '--nat-penalty',
        '2',
        '--json',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    ),
  );
  const row = out.rows.find((r) => r.name === 'NAT sample t=0.5, T=4');
  assert.ok(row, out.rows.map((r) => r.name).join(', '));
  const [form, first] = fs
    .readFileSync(path.join(ROOT, 'models/data/poetry/test_prompts.txt'), 'utf8')
    .split('\n')[1]
    .split('\t');
  const single = cliJson([
    'generate',
    '--model',
    'models/poet-nat',
    '--form',
    form,
    '--prompt',
    first,
    '--iterations',
    '4',
    '--decoding',
    'sample',
    '--temperature',
    '0.5',
    '--seed',
    '6',
  ]);
  assert.equal(row.examples[1], single.text);
  const argmax = out.rows.find((r) => r.name === 'NAT T=4');
  assert.notEqual(row.examples[1], argmax.examples[1]);
  // The penalty rows: the same requests with repetition_penalty 2 on the canvas.
  const penalised = out.rows.find((r) => r.name === 'NAT sample t=0.5, T=4, penalty 2');
  assert.ok(penalised, out.rows.map((r) => r.name).join(', '));
  const request = { form, prompt: first, iterations: 4, decoding: 'sample', temperature: 0.5, seed: 6 };
  const generate = (r) => cliJson(['generate', '--model', 'models/poet-nat', '--request', JSON.stringify(r)]).text;
  assert.equal(penalised.examples[1], generate({ ...request, repetition_penalty: 2 }));
  const argmax10 = out.rows.find((r) => r.name === 'NAT T=10, penalty 2');
  assert.equal(argmax10.examples[1], generate({ form, prompt: first, iterations: 10, repetition_penalty: 2 }));
  assert.notEqual(argmax10.examples[1], out.rows.find((r) => r.name === 'NAT T=10').examples[1]);
  const bad = spawnSync(
    CLI,
    ['compare', '--prompts', 'models/data/poetry/test_prompts.txt', '--nat-temperature', '0'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--nat-temperature 0 is outside/);
});
