// One long-lived wasm instance survives thousands of rejected requests of every kind (text, images, words),
// interleaved with valid ones: every valid request still succeeds with the same output, and neither the wasm
// stack pointer nor the heap creeps (a C++ -> JS throw used to leave up to 1.5 KB of stack per rejection: dead
// after ~900).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../wasm/engine.js';
import { loadEngine, loadModule, readBytes } from './helpers.mjs';

const engine = new Engine(await loadModule());
engine.load('poet-at', readBytes('models/poet-at/model.safetensors'));
engine.load('poet-nat', readBytes('models/poet-nat/model.safetensors'));
engine.load('pixelcnn', readBytes('models/pixelcnn/model.safetensors'));
engine.load('pixnat', readBytes('models/pixnat/model.safetensors'));
engine.load('g2p', readBytes('models/g2p/model.safetensors'));
const goodFile = readBytes('tests/fixtures/weights/good.safetensors');

async function run(task, request) {
  return engine.run(1, task, request, () => {});
}

const HUGE_PROMPT = '春'.repeat(20000); // 60 KB of UTF-8
const failing = [
  ['truncated weight file', () => engine.load('bad', goodFile.slice(0, goodFile.length - 9)), /atnat: /],
  ['three-byte weight file', () => engine.load('bad', new Uint8Array(3)), /atnat: /],
  ['bad temperature', () => run('generate', { model: 'poet-at', strategy: 'sample', temperature: -1 }), /temperature/],
  ['huge prompt', () => run('generate', { model: 'poet-at', prompt: HUGE_PROMPT }), /context|too long/],
  ['unknown request key', () => run('generate', { model: 'poet-at', colour: 'red' }), /colour/],
  ['beam too wide', () => run('generate', { model: 'poet-at', strategy: 'beam', beam: 99 }), /beam/],
  ['NAT iterations 0', () => run('generate', { model: 'poet-nat', iterations: 0 }), /iterations/],
  ['NAT huge blank text', () => run('generate', { model: 'poet-nat', blank_text: HUGE_PROMPT }), /long|length|max/],
  ['hybrid on an AT model', () => run('hybrid', { model: 'poet-at', at: 'poet-at' }), /cannot do nat/],
  ['metrics of an unknown form', () => run('metrics', { model: 'poet-at', text: '春', form: 'sonnet' }), /sonnet/],
  ['image class 99', () => run('paint', { model: 'pixelcnn', class: 99 }), /class 99/],
  ['pixnat steps 0', () => run('paint', { model: 'pixnat', steps: 0 }), /steps/],
  ['image seed not a number', () => run('paint', { model: 'pixelcnn', seed: 'x' }), /seed/],
  ['a word with a digit', () => run('pronounce', { model: 'g2p', word: 'r2d2' }), /not a letter/],
  ['a 100-letter word', () => run('pronounce', { model: 'g2p', word: 'a'.repeat(100) }), /100 letters/],
  ['pronounce beam 9', () => run('pronounce', { model: 'g2p', word: 'hello', strategy: 'beam', beam: 9 }), /beam/],
  ['bench_matmul n 0', () => engine.module.bench_matmul('gemm', 0, 1), /n in 1..4096/],
];

const valid = async () => {
  const poem = await run('generate', { model: 'poet-at', prompt: '春', form: 'wuyan-jueju', strategy: 'greedy' });
  const nat = await run('generate', {
    model: 'poet-nat',
    prompt: '春',
    form: 'wuyan-jueju',
    iterations: 2,
    length: 'form',
  });
  const image = await run('paint', { model: 'pixnat', class: 7, seed: 3, steps: 2 });
  const scored = await run('metrics', { model: 'poet-at', text: poem.text, form: 'wuyan-jueju' });
  const word = await run('pronounce', { model: 'g2p', word: 'blorft', strategy: 'nat' });
  return {
    poem: poem.text,
    nat: nat.text,
    image: Array.from(image.image).join(','),
    ppl: scored.at_ppl,
    word: word.arpabet,
  };
};

test('5,000 rejected requests of every kind leave the engine working and its memory where it was', async () => {
  const expected = await valid(); // warm-up: first-use allocations (score state, caches) happen here
  await valid();
  const before = engine.memory();
  let rejected = 0;
  for (let i = 0; rejected < 5000; i++) {
    const [name, call, message] = failing[i % failing.length];
    try {
      await call();
      assert.fail(`${name}: accepted`);
    } catch (error) {
      assert.match(error.message, message, name);
    }
    rejected++;
    if (rejected % 250 === 0) assert.deepEqual(await valid(), expected, `valid requests after ${rejected} rejections`);
  }
  const after = engine.memory();
  assert.equal(after.stack_pointer, before.stack_pointer, 'the wasm stack pointer is back where it started');
  const growth = (after.heap_in_use - before.heap_in_use) / before.heap_in_use;
  assert.ok(Math.abs(growth) < 0.05, `heap in use ${before.heap_in_use} -> ${after.heap_in_use} bytes`);
  assert.equal(engine.models.size, 5);
});

// The last line of defence: a call that traps (here a dangling handle, as a memory-safety bug would leave:
// the C++ method reads far outside the heap) makes the engine replace its module and load its models again.
// Only a test can forge the handle: the page talks to the engine through messages, never to the module.
test('a run or a load that traps restarts the module with its models, and the next request succeeds', async () => {
  const fresh = await loadEngine();
  fresh.load('poet-at', readBytes('models/poet-at/model.safetensors'));
  fresh.load('pixnat', readBytes('models/pixnat/model.safetensors'));
  const request = { model: 'poet-at', prompt: '春', form: 'wuyan-jueju', strategy: 'greedy' };
  const poem = await fresh.run(1, 'generate', request, () => {});
  const broken = fresh.module;
  fresh.model('poet-at', 'text').$$.ptr = 0x7ffffff0;
  await assert.rejects(
    fresh.run(2, 'generate', request, () => {}),
    /atnat: the engine failed running "generate" \(RuntimeError: memory access out of bounds\) and restarts with its models/,
  );
  assert.notEqual(fresh.module, broken, 'a new module');
  assert.deepEqual([...fresh.models.keys()], ['poet-at', 'pixnat']);
  assert.equal((await fresh.run(3, 'generate', request, () => {})).text, poem.text);
  const image = await fresh.run(4, 'paint', { model: 'pixnat', class: 7, seed: 3, steps: 2 }, () => {});
  assert.equal(image.image.length, 28 * 28);
  // A load that aborts: an array-like claiming 2 GB (the JS API's callers can pass one; the page hands over
  // real bytes) cannot be copied into the 1 GiB heap.
  const before = fresh.module;
  assert.throws(
    () => fresh.load('huge', { length: 2 ** 31 - 1 }),
    /atnat: the engine failed loading "huge" \(RuntimeError: Aborted\(\)/,
  );
  assert.equal((await fresh.run(5, 'generate', request, () => {})).text, poem.text);
  assert.notEqual(fresh.module, before, 'a new module');
  assert.deepEqual([...fresh.models.keys()], ['poet-at', 'pixnat']);
});
