// poet-nat in the wasm module: the same poems as the native CLI for the same request (argmax and sampled at a
// fixed seed, the repetition penalty on the canvas, prompt guidance, length and fixed modes, acrostic,
// fill-in-the-blank; f32 and int8 weights; the hybrid), pass events that show the mask-predict schedule, and the
// comparison metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../wasm/engine.js';
import { loadModule, readBytes, cliJson } from './helpers.mjs';

const engine = new Engine(await loadModule());
engine.load('poet-at', readBytes('models/poet-at/model.safetensors'));
engine.load('poet-nat', readBytes('models/poet-nat/model.safetensors'));
engine.load('poet-nat-int8', readBytes('models/poet-nat/model-int8.safetensors')); // what the page loads

async function run(task, request) {
  const events = [];
  const result = await engine.run(1, task, request, (batch) => events.push(...batch));
  return { events, result };
}

const requests = {
  'argmax, predicted length, T = 4': {
    strategy: 'nat',
    prompt: '春',
    form: 'wuyan-jueju',
    iterations: 4,
    length: 'auto',
  },
  'sampled, seed 7, T = 10': {
    strategy: 'nat',
    prompt: '月',
    form: 'qiyan-jueju',
    iterations: 10,
    length: 'form',
    decoding: 'sample',
    temperature: 0.8,
    top_k: 20,
    seed: 7,
  },
  'repetition penalty 1.5 on the canvas, sampled, T = 4': {
    strategy: 'nat',
    prompt: '山',
    form: 'wuyan-jueju',
    iterations: 4,
    decoding: 'sample',
    temperature: 0.3,
    seed: 1,
    repetition_penalty: 1.5,
  },
  'prompt guidance 1 with the penalty, T = 4': {
    strategy: 'nat',
    prompt: '碧烟红雾漾人衣，',
    form: 'qiyan-lvshi',
    iterations: 4,
    repetition_penalty: 1.5,
    guidance: 1,
  },
  'fixed length, cut at END': { strategy: 'nat', form: 'wuyan-jueju', mode: 'fixed', iterations: 4 },
  'length beam 3': { strategy: 'nat', prompt: '山', form: 'free', iterations: 2, length_beam: 3 },
  acrostic: { strategy: 'nat', form: 'wuyan-jueju', acrostic: '春夏秋冬', iterations: 4 },
  'fill in the blank': {
    strategy: 'nat',
    form: 'wuyan-jueju',
    blank_text: '床前明月光，疑是地上霜。\n举头望__，低头思故乡。',
    iterations: 2,
  },
};

const weights = [
  { label: '', model: 'poet-nat', file: 'models/poet-nat' },
  { label: ' (int8 weights)', model: 'poet-nat-int8', file: 'models/poet-nat/model-int8.safetensors' },
];
for (const w of weights)
  for (const [name, request] of Object.entries(requests)) {
    test(`NAT in wasm equals the native CLI: ${name}${w.label}`, async () => {
      const native = cliJson(['generate', '--model', w.file, '--request', JSON.stringify(request)]);
      const { result } = await run('generate', { model: w.model, ...request });
      assert.equal(result.text, native.text);
      assert.deepEqual(
        result.tokens.map((t) => t.id),
        native.tokens.map((t) => t.id),
      );
      assert.equal(result.forward_passes, native.forward_passes);
      assert.deepEqual(
        result.passes.map((p) => p.text),
        native.passes.map((p) => p.text),
      );
    });
  }

test('mask-predict: pass t re-predicts ⌊M·(T−t+1)/T⌋ positions, given positions never', async () => {
  const { events, result } = await run('generate', {
    model: 'poet-nat',
    prompt: '春',
    form: 'wuyan-jueju',
    iterations: 4,
    length: 'form',
  });
  const passes = events.filter((e) => e.type === 'pass');
  assert.equal(passes.length, 4);
  const M = 24; // 25 positions, the prompt's one given
  assert.deepEqual(
    passes.map((p) => p.masked.length),
    [24, 18, 12, 6].map((n) => Math.floor((M * n) / 24)),
  );
  for (const p of passes) assert.ok(!p.masked.includes(0), 'the given first character is never masked');
  assert.equal(result.forward_passes, 4);
  assert.ok(result.text.startsWith('春'));
});

test('predicted length: a length event with a distribution, then passes', async () => {
  const { events } = await run('generate', {
    model: 'poet-nat',
    prompt: '',
    form: 'wuyan-jueju',
    iterations: 1,
    length: 'auto',
  });
  assert.equal(events[0].type, 'length');
  assert.equal(events[0].candidates[0].length, 25, 'a wuyan-jueju is 25 tokens');
  const total = events[0].candidates.reduce((s, c) => s + Math.exp(c.logprob), 0);
  assert.ok(total > 0.9 && total <= 1.0001);
});

test('constraints: the acrostic heads start the lines; the blank text keeps its given characters', async () => {
  const { result: a } = await run('generate', { model: 'poet-nat', ...requests.acrostic });
  assert.deepEqual(
    a.text
      .split(/[，。\n]+/)
      .filter(Boolean)
      .map((l) => l[0]),
    ['春', '夏', '秋', '冬'],
  );
  const { result: b } = await run('generate', { model: 'poet-nat', ...requests['fill in the blank'] });
  assert.match(b.text, /^床前明月光，疑是地上霜。\n举头望\p{Script=Han}{2}，低头思故乡。$/u);
});

test('the hybrid reproduces AT greedy exactly (its repetition penalty too), in fewer AT passes', async () => {
  for (const [prompt, repetition_penalty] of [
    ['春', 1],
    ['月', 1.2],
    ['', 1],
  ]) {
    const { result: at } = await run('generate', { model: 'poet-at', prompt, form: 'wuyan-jueju', repetition_penalty });
    const { result: hybrid } = await run('hybrid', {
      model: 'poet-nat',
      at: 'poet-at',
      prompt,
      form: 'wuyan-jueju',
      iterations: 2,
      repetition_penalty,
    });
    assert.equal(hybrid.text, at.text);
    assert.deepEqual(
      hybrid.tokens.map((t) => t.id),
      at.tokens.map((t) => t.id),
    );
    assert.equal(hybrid.at_greedy_passes, at.forward_passes);
    assert.equal(hybrid.saved_passes, hybrid.at_greedy_passes - hybrid.at_passes);
    assert.ok(hybrid.at_passes <= at.forward_passes);
  }
});

test('metrics: repetition, form check and AT perplexity of a known poem', async () => {
  const m = (
    await run('metrics', {
      model: 'poet-at',
      text: '春春春春春，花花花花花。\n山山山山山，水水水水水。',
      form: 'wuyan-jueju',
    })
  ).result;
  assert.equal(m.repetition.rate, 1);
  assert.equal(m.form_check.ok, true);
  const bad = (await run('metrics', { model: 'poet-at', text: '床前明月光，疑是地上霜。', form: 'wuyan-jueju' }))
    .result;
  assert.equal(bad.form_check.ok, false);
  assert.equal(bad.form_check.lines, 2);
  assert.ok(bad.at_ppl > 1);
});

test('impossible NAT settings are clear errors', async () => {
  await assert.rejects(run('generate', { model: 'poet-nat', iterations: 0 }), /iterations/);
  await assert.rejects(run('generate', { model: 'poet-nat', length: 500 }), /length/);
  await assert.rejects(run('generate', { model: 'poet-nat', form: 'free', acrostic: '春夏' }), /acrostic|regular/);
  await assert.rejects(run('generate', { model: 'poet-nat', blank_text: '春' + '_'.repeat(300) }), /long|length|max/);
  await assert.rejects(run('hybrid', { model: 'poet-at', at: 'poet-at' }), /cannot do nat/);
});

test('AT honours an acrostic to the last line: <eos> is blocked while a forced head lies ahead', async () => {
  const heads = '春夏秋冬东南西北';
  const lineStart = (i) => Math.floor(i / 2) * 17 + (i % 2) * 8; // qiyan: a couplet is 2 × (7 + 1) + "\n"
  const request = {
    prompt: heads[0],
    form: 'qiyan-lvshi',
    strategy: 'greedy',
    constraints: [...heads].slice(1).map((h, i) => ({ position: lineStart(i + 1), text: h })),
  };
  const { result } = await run('generate', { model: 'poet-at', ...request });
  const lines = result.text.split(/[，。\n]+/).filter(Boolean);
  assert.deepEqual(lines.map((l) => l[0]).slice(0, 8), [...heads]);
  const native = cliJson(['generate', '--model', 'models/poet-at', '--request', JSON.stringify(request)]);
  assert.equal(native.text, result.text);
});

test('plan: the core turns a poem request into the AT prompt and forced tokens (the page plans with it)', async () => {
  const { result: acrostic } = await run('plan', {
    model: 'poet-at',
    form: 'qiyan-lvshi',
    acrostic: '春夏秋冬东南西北',
  });
  const lineStart = (i) => Math.floor(i / 2) * 17 + (i % 2) * 8; // qiyan: a couplet is 2 × (7 + 1) + "\n"
  assert.equal(acrostic.prompt, '春');
  assert.deepEqual(
    acrostic.constraints,
    [...'夏秋冬东南西北'].map((text, i) => ({ position: lineStart(i + 1), text })),
  );
  const blank = '床前明月光，疑是地上霜。\n举头望__，低头思故乡。';
  const { result: filled } = await run('plan', { model: 'poet-at', form: 'wuyan-jueju', blank_text: blank });
  assert.equal(filled.prompt, '床前明月光，疑是地上霜。\n举头望');
  const chars = [...blank];
  assert.deepEqual(
    filled.constraints,
    [
      ...chars.map((text, position) => ({ position, text })).filter(({ position }) => position > 17),
      { position: chars.length, text: '<eos>' },
    ].filter(({ text }) => text !== '_'),
  );
  await assert.rejects(run('plan', { model: 'poet-at', form: 'free', acrostic: '春夏' }), /regular form/);
});
