// The engine API as the worker uses it, on the release wasm module under node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../wasm/engine.js';
import { supportsWasmSimd } from '../../wasm/client.js';
import { loadModule, readBytes } from './helpers.mjs';

const engine = new Engine(await loadModule());

test('build info names the SIMD target', () => {
  assert.match(engine.info().simd, /simd128/);
});

test('the SIMD probe module validates in node 20 (which has WebAssembly SIMD)', () => {
  assert.equal(supportsWasmSimd(), true);
});

test('a valid weight file loads and reports its contents', () => {
  const info = engine.load('fixture', readBytes('tests/fixtures/weights/good.safetensors'));
  assert.equal(typeof info.arch, 'string');
  assert.ok(info.tensors >= 3);
  assert.ok(info.parameters > 0);
  engine.unload('fixture');
});

test('a truncated weight file is rejected with the loader message', () => {
  const bytes = readBytes('tests/fixtures/weights/good.safetensors');
  assert.throws(
    () => engine.load('bad', bytes.slice(0, bytes.length - 9)),
    /atnat: .*(past the end|truncated|shorter)/i,
  );
  assert.throws(() => engine.load('bad', new Uint8Array(3)), /atnat: /);
  assert.equal(engine.models.size, 0);
});

test('an unknown task and an unknown model are clear errors', async () => {
  await assert.rejects(
    engine.run(1, 'nope', {}, () => {}),
    /unknown task "nope"/,
  );
  assert.throws(() => engine.model('missing'), /no model named "missing"/);
});

test('the bench task streams one event per kernel and size with plausible GFLOP/s', async () => {
  const events = [];
  const last = await engine.run(2, 'bench', { sizes: [16, 32], seconds: 0.01 }, (batch) => events.push(...batch));
  assert.deepEqual(
    events.map((e) => `${e.kind}${e.n}`),
    ['gemv16', 'gemv32', 'gemm16', 'gemm32'],
  );
  for (const e of events) assert.ok(e.gflops > 0.01 && e.gflops < 1000, `${e.kind} ${e.n}: ${e.gflops}`);
  assert.equal(last, events.at(-1));
});

test('a cancelled run stops early and says so', async () => {
  const events = [];
  const run = engine.run(3, 'bench', { sizes: [64, 128, 256, 512, 1024], seconds: 0.05 }, (batch) => {
    events.push(...batch);
    engine.cancel(3);
  });
  assert.deepEqual(await run, { type: 'cancelled' });
  assert.equal(events.length, 1);
});

test('bench_matmul rejects impossible settings', () => {
  assert.throws(() => engine.module.bench_matmul('conv', 8, 1), /kind must be gemv or gemm/);
  assert.throws(() => engine.module.bench_matmul('gemm', 0, 1), /n in 1..4096/);
});
