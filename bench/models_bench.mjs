// Model-level speed, wasm (node, warmed up) vs native (the CLI, same machine, same run), as ratios.
//   node bench/models_bench.mjs [--quick]
// Needs build/wasm (cmake --preset wasm) and build/native-release/atnat. Times are the core's own
// (inside step()), medians of several runs after warm-up runs; "ratio" = native speed / wasm speed.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { Engine } from '../wasm/engine.js';
import { loadModule, readBytes, ROOT, CLI } from '../tests/node/helpers.mjs';

const TMP_IMAGE = `${os.tmpdir()}/atnat-bench.pgm`;
const quick = process.argv.includes('--quick');
const REPEATS = quick ? 3 : 7;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const engine = new Engine(await loadModule());
const native = (args) =>
  JSON.parse(execFileSync(CLI, [...args, '--json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 }));

async function wasmRun(task, request) {
  return engine.run(1, task, request, () => {});
}

// Runs f `REPEATS` times after 3 warm-up calls; returns the median of pick(result).
async function timed(f, pick) {
  for (let i = 0; i < 3; i++) await f();
  const values = [];
  for (let i = 0; i < REPEATS; i++) values.push(pick(await f()));
  return median(values);
}

const rows = [];
function row(what, unit, nativeValue, wasmValue, higherIsBetter = true) {
  const ratio = higherIsBetter ? nativeValue / wasmValue : wasmValue / nativeValue;
  rows.push({ what, unit, native: nativeValue, wasm: wasmValue, ratio });
}

// --- text, AT (poet-at) ---
engine.load('poet-at', readBytes('models/poet-at/model.safetensors'));
const decodeArgs = [
  'generate',
  '--model',
  'models/poet-at',
  '--prompt',
  '',
  '--form',
  'qiyan-lvshi',
  '--max-tokens',
  '100',
  '--repetition-penalty',
  '1.3',
];
const decodeReq = { model: 'poet-at', prompt: '', form: 'qiyan-lvshi', max_tokens: 100, repetition_penalty: 1.3 };
row(
  'AT decode (greedy, KV cache, GEMV)',
  'tokens/s',
  await timed(
    async () => native(decodeArgs),
    (r) => r.decode_tokens_per_s,
  ),
  await timed(
    () => wasmRun('generate', decodeReq),
    (r) => r.decode_tokens_per_s,
  ),
);
const longPrompt = '白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。\n'.repeat(4).slice(0, 100);
const prefillArgs = [
  'generate',
  '--model',
  'models/poet-at',
  '--prompt',
  longPrompt,
  '--form',
  'free',
  '--max-tokens',
  '1',
];
const prefillReq = { model: 'poet-at', prompt: longPrompt, form: 'free', max_tokens: 1 };
const tokens = (r) => r.prompt_tokens;
const nativePrefill = await timed(
  async () => native(prefillArgs),
  (r) => tokens(r) / (r.prefill_ms / 1000),
);
const wasmPrefill = await timed(
  () => wasmRun('generate', prefillReq),
  (r) => tokens(r) / (r.prefill_ms / 1000),
);
row(`AT prefill (${longPrompt.length + 2} tokens, one GEMM pass)`, 'tokens/s', nativePrefill, wasmPrefill);

// --- images ---
engine.load('pixelcnn', readBytes('models/pixelcnn/model.safetensors'));
const cachedArgs = [
  'sample',
  '--model',
  'models/pixelcnn',
  '--class',
  '7',
  '--seed',
  '1',
  '--method',
  'cached',
  '--out',
  TMP_IMAGE,
];
row(
  'PixelCNN image, cached sampler',
  'ms/image',
  await timed(
    async () => native(cachedArgs),
    (r) => r.images[0].ms ?? r.ms,
  ),
  await timed(
    () => wasmRun('paint', { model: 'pixelcnn', class: 7, seed: 1, method: 'cached' }),
    (r) => r.ms,
  ),
  false,
);
if (!quick) {
  const naiveArgs = [
    'sample',
    '--model',
    'models/pixelcnn',
    '--class',
    '7',
    '--seed',
    '1',
    '--method',
    'naive',
    '--out',
    TMP_IMAGE,
  ];
  const nativeNaive = native(naiveArgs);
  const wasmNaive = await wasmRun('paint', { model: 'pixelcnn', class: 7, seed: 1, method: 'naive' });
  row(
    'PixelCNN image, naive sampler (784 full passes)',
    'ms/image',
    nativeNaive.images[0].ms ?? nativeNaive.ms,
    wasmNaive.ms,
    false,
  );
}
if (fs.existsSync(`${ROOT}/models/pixnat/model.safetensors`)) {
  engine.load('pixnat', readBytes('models/pixnat/model.safetensors'));
  for (const K of [1, 4, 8, 16]) {
    const args = [
      'sample',
      '--model',
      'models/pixnat',
      '--class',
      '7',
      '--seed',
      '1',
      '--steps',
      `${K}`,
      '--out',
      TMP_IMAGE,
    ];
    row(
      `pixnat image, K = ${K}`,
      'ms/image',
      await timed(
        async () => native(args),
        (r) => r.images[0].ms ?? r.ms,
      ),
      await timed(
        () => wasmRun('paint', { model: 'pixnat', class: 7, seed: 1, steps: K }),
        (r) => r.ms,
      ),
      false,
    );
  }
}

console.log(
  `atnat model benchmark: node ${process.version}, native CLI ${CLI}; medians of ${REPEATS} after 3 warm-ups`,
);
console.log('| what | unit | native | wasm | native/wasm speed |');
console.log('|---|---|---|---|---|');
for (const r of rows)
  console.log(`| ${r.what} | ${r.unit} | ${r.native.toFixed(1)} | ${r.wasm.toFixed(1)} | ${r.ratio.toFixed(2)}× |`);
