// The g2p model in the wasm module: the same pronunciations as the native CLI (`atnat pronounce --json`) for
// the same request, token for token, with the same log-probabilities and cross-attention maps to float
// precision: AT greedy, beam, sampling at a fixed seed, NAT mask-predict with a length beam; the events and
// heatmap the page draws; bad words refused with the core's message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../wasm/engine.js';
import { loadModule, readBytes, cliJson } from './helpers.mjs';

const engine = new Engine(await loadModule());
engine.load('g2p', readBytes('models/g2p/model.safetensors'));

async function run(request) {
  const events = [];
  const result = await engine.run(1, 'pronounce', { model: 'g2p', ...request }, (batch) => events.push(...batch));
  return { events, result };
}

const requests = {
  greedy: { strategy: 'greedy' },
  'beam 4': { strategy: 'beam', beam: 4 },
  'sample, seed 3': { strategy: 'sample', temperature: 1.2, top_k: 10, seed: 3 },
  'nat T = 4, length beam 2': { strategy: 'nat', iterations: 4, length_beam: 2 },
};

// Two float lists equal to `tolerance` (the maps are printed with 6-7 digits).
function assertClose(actual, expected, tolerance, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const worst = Math.max(0, ...actual.map((x, i) => Math.abs(x - expected[i])));
  assert.ok(worst < tolerance, `${what}: differs by ${worst}`);
}

for (const word of ['hello', 'differentiating', 'blorft']) {
  for (const [name, request] of Object.entries(requests)) {
    test(`wasm = native CLI: ${word}, ${name}`, async () => {
      const native = cliJson(['pronounce', '--model', 'models/g2p', '--request', JSON.stringify({ word, ...request })]);
      const { result } = await run({ word, ...request });
      assert.deepEqual(result.phonemes, native.phonemes);
      assert.equal(result.arpabet, native.arpabet);
      assert.equal(result.ipa, native.ipa);
      assert.ok(Math.abs(result.logprob - native.logprob) < 1e-4, `${result.logprob} vs ${native.logprob}`);
      assert.deepEqual(
        [result.passes, result.forward_passes, result.stop_reason],
        [native.passes, native.forward_passes, native.stop_reason],
      );
      assert.deepEqual(
        result.tokens.map((t) => t.id),
        native.tokens.map((t) => t.id),
      );
      assertClose(
        result.tokens.map((t) => t.prob),
        native.tokens.map((t) => t.prob),
        1e-5,
        'token probabilities',
      );
      assert.deepEqual(
        result.candidates.map((c) => c.arpabet),
        native.candidates.map((c) => c.arpabet),
      );
      assertClose(
        result.candidates.map((c) => c.logprob),
        native.candidates.map((c) => c.logprob),
        1e-4,
        'candidate log p',
      );
      const [a, b] = [result.attention, native.attention];
      assert.deepEqual(
        [a.layers, a.heads, a.rows, a.cols, a.row_labels, a.col_labels],
        [b.layers, b.heads, b.rows, b.cols, b.row_labels, b.col_labels],
      );
      assertClose(a.weights, b.weights, 1e-5, 'cross-attention weights');
      assertClose(a.mean, b.mean, 1e-5, 'mean cross-attention');
      assertClose(a.head_diagonality, b.head_diagonality, 2e-3, 'head diagonality');
      assert.ok(Math.abs(a.diagonality - b.diagonality) < 2e-3);
      if (request.strategy === 'nat') {
        assert.deepEqual(
          result.length_candidates.map((c) => c.length),
          native.length_candidates.map((c) => c.length),
        );
        assert.deepEqual(
          result.nat_passes.map((p) => p.masked),
          native.nat_passes.map((p) => p.masked),
        );
      }
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
    assert.deepEqual(a.col_labels, ['p', 'h', 'o', 'n', 'e']);
    assert.equal(a.weights.length, a.layers * a.heads * a.rows * a.cols);
    assert.equal(a.head_diagonality.length, a.layers * a.heads);
    // each row of each head a distribution over the letters; the mean their average
    for (let row = 0; row < a.layers * a.heads * a.rows; row++) {
      const sum = a.weights.slice(row * a.cols, (row + 1) * a.cols).reduce((x, y) => x + y, 0);
      assert.ok(Math.abs(sum - 1) < 1e-4, `row ${row} sums to ${sum}`);
    }
    const size = a.rows * a.cols;
    const mean = a.mean.map((_, i) => {
      let sum = 0;
      for (let m = 0; m < a.layers * a.heads; m++) sum += a.weights[m * size + i];
      return sum / (a.layers * a.heads);
    });
    assertClose(a.mean, mean, 1e-5, 'mean of the heads');
    assert.ok(a.diagonality >= 0 && a.diagonality <= 1);
  }
  assert.deepEqual(
    at.result.attention.row_labels,
    [...at.result.arpabet.split(' '), '<eos>'],
    'AT: a row per phoneme and <eos>',
  );
  assert.deepEqual(nat.result.attention.row_labels, nat.result.arpabet.split(' '), 'NAT: a row per phoneme');
});

test("bad words are refused with the core's message, and a good word still works after them", async () => {
  await assert.rejects(run({ word: '' }), /^Error: atnat: the word is empty/);
  await assert.rejects(run({ word: 'r2d2' }), /character 2 of the word, '2', is not a letter/);
  await assert.rejects(run({ word: 'café' }), /character 4 of the word, .*é.*, is not a letter/);
  await assert.rejects(run({ word: 'a'.repeat(100) }), /the word has 100 letters/);
  await assert.rejects(run({ word: 'hello', strategy: 'beam', beam: 9 }), /beam/);
  await assert.rejects(run({ word: 'hello', strategy: 'loud' }), /loud/);
  await assert.rejects(
    engine.run(1, 'pronounce', { model: 'nope', word: 'hello' }, () => {}),
    /no model named "nope"/,
  );
  const { result } = await run({ word: 'hello' });
  assert.equal(result.word, 'hello');
  assert.ok(result.phonemes.length >= 3);
});
