// poet-at in the wasm module: the same tokens as the native CLI for a fixed prompt and seed
// (greedy, sample, beam; f32 and int8 weights), streamed events that add up to the result, and clear errors
// for bad requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../wasm/engine.js';
import { loadModule, readBytes, cliJson } from './helpers.mjs';

const engine = new Engine(await loadModule());
engine.load('poet-at', readBytes('models/poet-at/model.safetensors'));
engine.load('poet-at-int8', readBytes('models/poet-at/model-int8.safetensors')); // what the page loads

async function generate(request) {
  const events = [];
  const result = await engine.run(1, 'generate', { model: 'poet-at', ...request }, (batch) => events.push(...batch));
  return { events, result };
}

const cases = [
  {
    name: 'greedy',
    request: { prompt: '春', form: 'wuyan-jueju', strategy: 'greedy' },
    args: ['--prompt', '春', '--form', 'wuyan-jueju', '--strategy', 'greedy'],
  },
  {
    name: 'sample',
    request: {
      prompt: '月',
      form: 'qiyan-jueju',
      strategy: 'sample',
      temperature: 0.9,
      top_k: 50,
      top_p: 0.95,
      seed: 42,
    },
    args: [
      '--prompt',
      '月',
      '--form',
      'qiyan-jueju',
      '--strategy',
      'sample',
      '--temperature',
      '0.9',
      '--top-k',
      '50',
      '--top-p',
      '0.95',
      '--seed',
      '42',
    ],
  },
  {
    name: 'beam',
    request: { prompt: '山', form: 'wuyan-jueju', strategy: 'beam', beam: 4 },
    args: ['--prompt', '山', '--form', 'wuyan-jueju', '--strategy', 'beam', '--beam', '4'],
  },
];

const weights = [
  { label: '', model: 'poet-at', file: 'models/poet-at' },
  { label: ' (int8 weights)', model: 'poet-at-int8', file: 'models/poet-at/model-int8.safetensors' },
];
for (const w of weights)
  for (const c of cases) {
    test(`wasm equals the native CLI token for token: ${c.name}${w.label}`, async () => {
      const native = cliJson(['generate', '--model', w.file, ...c.args]);
      const { result } = await generate({ ...c.request, model: w.model });
      assert.deepEqual(
        result.tokens.map((t) => t.id),
        native.tokens.map((t) => t.id),
      );
      assert.equal(result.text, native.text);
      assert.equal(result.stop_reason, native.stop_reason);
      assert.equal(result.forward_passes, native.forward_passes);
      for (let i = 0; i < result.tokens.length; i++) {
        assert.ok(Math.abs(result.tokens[i].prob - native.tokens[i].prob) < 1e-5, `prob of token ${i}`);
      }
    });
  }

test('greedy wuyan-jueju: the streamed tokens are the result, in the requested form', async () => {
  const { events, result } = await generate(cases[0].request);
  const streamed = events.filter((e) => e.type === 'token');
  assert.deepEqual(
    streamed.map((e) => e.id),
    result.tokens.map((t) => t.id),
  );
  assert.equal(result.stop_reason, 'eos');
  assert.ok(result.text.startsWith('春'));
  // 五言绝句: two lines of two five-character halves
  assert.match(result.text, /^(\p{Script=Han}{5}，\p{Script=Han}{5}。\n?){2}$/u);
  for (const e of streamed) {
    assert.ok(e.prob > 0 && e.prob <= 1);
    assert.equal(e.top.length, 5);
    assert.ok(e.top[0].prob >= e.top[4].prob);
  }
});

test('a run streams its tokens in batches, every token once and in order, the result closing the last batch', async () => {
  const batches = [];
  const request = { model: 'poet-at', prompt: '春', form: 'qiyan-lvshi', strategy: 'greedy' };
  const result = await engine.run(4, 'generate', request, (batch) => batches.push(batch));
  const tokens = batches.flat().filter((e) => e.type === 'token');
  assert.deepEqual(
    tokens.map((e) => e.index),
    result.tokens.map((_, i) => i),
  );
  assert.deepEqual(
    tokens.map((e) => e.id),
    result.tokens.map((t) => t.id),
  );
  assert.equal(batches.at(-1).at(-1), result);
  assert.ok(batches.length < tokens.length / 2, `${batches.length} batches for ${tokens.length} tokens`);
});

test('a cancel arriving as a task of its own (as the worker receives it) stops the run after one more batch', async () => {
  const batches = [];
  const request = { model: 'poet-at', prompt: '春', form: 'qiyan-lvshi', strategy: 'greedy' };
  const result = await engine.run(5, 'generate', request, (batch) => {
    if (!batches.length) setTimeout(() => engine.cancel(5));
    batches.push(batch);
  });
  assert.deepEqual(result, { type: 'cancelled' });
  assert.ok(batches.length <= 2, `${batches.length} batches`);
  assert.ok(!batches.flat().some((e) => e.type === 'result'));
});

test('a seed gives the same text twice and another seed another text', async () => {
  const a = await generate(cases[1].request);
  const b = await generate(cases[1].request);
  const c = await generate({ ...cases[1].request, seed: 43 });
  assert.equal(a.result.text, b.result.text);
  assert.notEqual(a.result.text, c.result.text);
});

test('max_tokens stops generation with its stop reason', async () => {
  const { result } = await generate({ prompt: '春', strategy: 'greedy', max_tokens: 3 });
  assert.equal(result.tokens.length, 3);
  assert.equal(result.stop_reason, 'max_tokens');
});

test('unknown characters become <unk> and are reported, not a crash', async () => {
  const { result } = await generate({ prompt: 'A☃', strategy: 'greedy', max_tokens: 5 });
  assert.deepEqual(result.unknown_chars, ['A', '☃']);
});

test('impossible settings are clear errors', async () => {
  await assert.rejects(generate({ strategy: 'beam', beam: 9 }), /beam/);
  await assert.rejects(generate({ strategy: 'sample', top_p: 1.5 }), /top_p/);
  await assert.rejects(generate({ form: 'sonnet' }), /sonnet.*wuyan-jueju/s);
  await assert.rejects(generate({ prompt: '春'.repeat(500) }), /context|too long/);
  await assert.rejects(generate({ strategy: 'greedy', colour: 'red' }), /colour/);
});

test('score: a real poem scores better than the same characters shuffled', async () => {
  const poem = '床前明月光，疑是地上霜。\n举头望明月，低头思故乡。';
  const shuffled = '光月前明床，霜上疑地是。\n月头明举望，乡低思头故。';
  const a = await engine.run(2, 'score', { model: 'poet-at', text: poem, form: 'wuyan-jueju' }, () => {});
  const b = await engine.run(3, 'score', { model: 'poet-at', text: shuffled, form: 'wuyan-jueju' }, () => {});
  assert.equal(a.chars, 20);
  assert.ok(a.ppl < b.ppl, `${a.ppl} < ${b.ppl}`);
});
