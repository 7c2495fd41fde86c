// The g2p model in the wasm module: the same pronunciations as the native CLI (`atnat pronounce --json`) for
// the same request, token for token, with the same log-probabilities to float precision: AT greedy, beam,
// sampling at a fixed seed, NAT mask-predict; and the events and heatmap the page draws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../wasm/engine.js';
import { loadModule, readBytes, cliJson } from './helpers.mjs';

const engine = new Engine(await loadModule());
engine.load('g2p', readBytes('models/g2p/model.safetensors'));

async function run(request) {
  const events = [];
  const result = await engine.run(1, 'pronounce', { model: 'g2p', ...request }, (e) => events.push(e));
  return { events, result };
}

const requests = {
  greedy: { strategy: 'greedy' },
  'beam 4': { strategy: 'beam', beam: 4 },
  'sample, seed 3': { strategy: 'sample', temperature: 1.2, top_k: 10, seed: 3 },
  'nat T = 4, length beam 2': { strategy: 'nat', iterations: 4, length_beam: 2 },
};

for (const word of ['hello', 'differentiating', 'blorft']) {
  for (const [name, request] of Object.entries(requests)) {
    test(`wasm = native CLI: ${word}, ${name}`, async () => {
      const native = cliJson(['pronounce', '--model', 'models/g2p', '--request', JSON.stringify({ word, ...request })]);
      const { result } = await run({ word, ...request });
      assert.deepEqual(result.phonemes, native.phonemes);
      assert.equal(result.arpabet, native.arpabet);
      assert.equal(result.ipa, native.ipa);
      assert.ok(Math.abs(result.logprob - native.logprob) < 1e-4, `${result.logprob} vs ${native.logprob}`);
      assert.equal(result.passes, native.passes);
      assert.deepEqual(result.candidates.map((c) => c.arpabet), native.candidates.map((c) => c.arpabet));
      assert.ok(Math.abs(result.attention.diagonality - native.attention.diagonality) < 1e-3);
    });
  }
}

test('events: AT a token per step, NAT a length event then one per pass; the heatmap has every layer and head', async () => {
  const at = await run({ word: 'phone', strategy: 'greedy' });
  assert.ok(at.events.slice(0, -1).every((e) => e.type === 'token'));
  assert.equal(at.result.passes, at.result.tokens.length);
  const nat = await run({ word: 'phone', strategy: 'nat', iterations: 4 });
  assert.equal(nat.events[0].type, 'length');
  const passes = nat.events.filter((e) => e.type === 'pass');
  assert.equal(passes.length, nat.result.passes);
  assert.equal(passes[0].masked.length, nat.result.length, 'pass 1 predicts every position');
  for (const { result } of [at, nat]) {
    const a = result.attention;
    assert.equal(a.cols, 5);
    assert.equal(a.weights.length, a.layers * a.heads * a.rows * a.cols);
    assert.equal(a.mean.length, a.rows * a.cols);
    assert.ok(a.diagonality >= 0 && a.diagonality <= 1);
  }
});

test('bad words are refused with a message', async () => {
  await assert.rejects(run({ word: '' }), /empty/);
  await assert.rejects(run({ word: 'r2d2' }), /not a letter/);
  await assert.rejects(run({ word: 'a'.repeat(40) }), /40 letters/);
});
