// The image generators in the wasm module: the same samples as the native CLI for a fixed class and seed,
// streamed steps that build up to the result, and clear errors for impossible settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { Engine } from '../../wasm/engine.js';
import { loadModule, readBytes, cliJson } from './helpers.mjs';

const TMP_IMAGE = `${os.tmpdir()}/atnat-test-${process.pid}.pgm`;
const engine = new Engine(await loadModule());
engine.load('pixelcnn', readBytes('models/pixelcnn/model.safetensors'));
engine.load('pixnat', readBytes('models/pixnat/model.safetensors'));

async function paint(request) {
  const events = [];
  const result = await engine.run(1, 'paint', request, (batch) => events.push(...batch));
  return { events, result };
}

for (const [cls, seed] of [
  [7, 1],
  [3, 12],
]) {
  test(`PixelCNN (cached) in wasm paints the native CLI's image: class ${cls}, seed ${seed}`, async () => {
    const native = cliJson([
      'sample',
      '--model',
      'models/pixelcnn',
      '--class',
      `${cls}`,
      '--seed',
      `${seed}`,
      '--method',
      'cached',
      '--out',
      TMP_IMAGE,
    ]);
    const { events, result } = await paint({ model: 'pixelcnn', class: cls, seed, method: 'cached' });
    assert.deepEqual(Array.from(result.image), native.images[0].levels);
    assert.equal(events.filter((e) => e.type === 'rows').length, 28, 'one event per image row');
    assert.ok(events.filter((e) => e.type === 'rows').every((e) => e.row_end));
    assert.equal(result.pixel_updates, 784);
    assert.equal(result.forward_passes, 0);
  });

  test(`pixnat (K = 8) in wasm paints the native CLI's image: class ${cls}, seed ${seed}`, async () => {
    const native = cliJson([
      'sample',
      '--model',
      'models/pixnat',
      '--class',
      `${cls}`,
      '--seed',
      `${seed}`,
      '--steps',
      '8',
      '--out',
      TMP_IMAGE,
    ]);
    const { events, result } = await paint({ model: 'pixnat', class: cls, seed, steps: 8 });
    assert.deepEqual(Array.from(result.image), native.images[0].levels);
    const passes = events.filter((e) => e.type === 'pass');
    assert.equal(passes.length, 8);
    assert.equal(result.forward_passes, 8);
    const masked = passes.map((p) => p.image.filter((v) => v === result.levels).length);
    for (let k = 1; k < masked.length; k++) assert.ok(masked[k] < masked[k - 1], 'fewer masked pixels each pass');
    assert.equal(masked.at(-1), 0);
  });
}

test('PixelCNN rows arrive in raster order: row r of an event is final', async () => {
  const { events, result } = await paint({ model: 'pixelcnn', class: 1, seed: 5 });
  const rows = events.filter((e) => e.type === 'rows');
  rows.forEach((e, r) => {
    assert.equal(e.end, (r + 1) * 28);
    assert.deepEqual(Array.from(e.image.slice(0, e.end)), Array.from(result.image.slice(0, e.end)));
  });
});

test('impossible settings are clear errors', async () => {
  await assert.rejects(paint({ model: 'pixelcnn', class: 10 }), /class 10 is outside/);
  await assert.rejects(paint({ model: 'pixelcnn', method: 'fast' }), /naive.*cached|cached.*naive/);
  await assert.rejects(paint({ model: 'pixnat', steps: 0 }), /steps/);
  await assert.rejects(paint({ model: 'pixnat', steps: 17 }), /steps/);
  await assert.rejects(paint({ model: 'pixnat', temperature: 0 }), /temperature/);
  await assert.rejects(paint({ model: 'pixelcnn', delay_ms: -1 }), /delay_ms/);
  await assert.rejects(paint({ model: 'pixelcnn', seed: 'x' }), /seed/);
});
