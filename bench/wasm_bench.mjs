// GEMV / GEMM throughput of the release wasm module under Node, against the ~47 GFLOP/s SIMD128
// peak measured on this machine kind (docs: /work/shared/TOOLCHAIN.md).
//   node bench/wasm_bench.mjs [build dir holding atnat.mjs + atnat.wasm, default build/wasm]
// Each (kind, n) is warmed up first: V8 runs a function in its baseline tier (Liftoff, ~3.5x slower)
// until it has been called a few times, and never swaps tiers in the middle of a call.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PEAK_GFLOPS = 47;
const SIZES = [64, 128, 256, 512, 1024];
const TARGET_MS = 300; // time budget per measurement

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.resolve(process.argv[2] ?? path.join(repo, 'build', 'wasm'));
const mjs = path.join(dir, 'atnat.mjs'),
  wasm = path.join(dir, 'atnat.wasm');
for (const f of [mjs, wasm]) {
  if (!fs.existsSync(f)) {
    console.error(`missing ${f}: build the release module first (scripts/build.sh or the wasm preset)`);
    process.exit(1);
  }
}

const { default: create } = await import(pathToFileURL(mjs).href);
const m = await create({ wasmBinary: fs.readFileSync(wasm) });

const flopsPerCall = (kind, n) => (kind === 'gemv' ? 2 * n * n : 2 * n * n * n);

// One timed batch of calls: wall ms as returned by bench_matmul (steady_clock inside wasm) and the
// process's CPU ms. On a shared machine the CPU time is the fairer measure of the kernel itself.
function run(kind, n, reps) {
  const c0 = process.cpuUsage();
  const wall = m.bench_matmul(kind, n, reps);
  const c = process.cpuUsage(c0);
  if (!(wall >= 0)) throw new Error(`bench_matmul(${kind}, ${n}, ${reps}) returned ${wall}`);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

function measure(kind, n) {
  // warm up: a few calls for V8 to tier up, then grow reps until a batch takes ~50 ms
  let reps = 1,
    t = run(kind, n, reps);
  for (let i = 0; i < 4; i++) t = run(kind, n, reps);
  while (t.wall < 50 && reps < 100000) {
    reps = Math.min(100000, reps * 2);
    t = run(kind, n, reps);
  }
  // time: enough reps for TARGET_MS, best of 3
  reps = Math.max(1, Math.min(100000, Math.round((reps * TARGET_MS) / Math.max(t.wall, 1e-3))));
  let wall = Infinity,
    cpu = Infinity;
  for (let i = 0; i < 3; i++) {
    const r = run(kind, n, reps);
    wall = Math.min(wall, r.wall / reps);
    cpu = Math.min(cpu, Math.max(r.cpu, 1e-3) / reps);
  }
  const gf = (ms) => flopsPerCall(kind, n) / (ms * 1e6);
  return { wall, gflopsWall: gf(wall), gflopsCpu: gf(cpu) };
}

console.log(`atnat wasm matmul benchmark (${mjs}), node ${process.version}`);
console.log('GFLOP/s by CPU time (process.cpuUsage) and by wall time; share = CPU-time GFLOP/s / 47');
console.log('kind      n   wall ms/call   GFLOP/s cpu   GFLOP/s wall   share');
for (const kind of ['gemv', 'gemm']) {
  for (const n of SIZES) {
    const r = measure(kind, n);
    const share = ((100 * r.gflopsCpu) / PEAK_GFLOPS).toFixed(0).padStart(4);
    console.log(
      `${kind}  ${String(n).padStart(5)}  ${r.wall.toFixed(4).padStart(12)}  ${r.gflopsCpu.toFixed(2).padStart(12)}` +
        `  ${r.gflopsWall.toFixed(2).padStart(13)}   ${share}%`,
    );
  }
}
