// poet-at, the same weights in every engine, one thread, timed with one protocol: atnat's wasm build through
// the page's own JS API (wasm/engine.js) and as its forward loop alone, ONNX Runtime Web (wasm, SIMD; two exports:
// torch.onnx.export's plain graph and ONNX Runtime's own LLM layout with GroupQueryAttention), atnat native
// (SSE4.1: the same floats as wasm) and PyTorch with a KV cache. "× ORT Web" = speed / the faster of the two
// ONNX Runtime Web exports in that column.
//
//   /usr/bin/python3 bench/export_onnx.py       # build/onnx/: two ONNX exports of the committed weights
//   node bench/side_by_side.mjs [--rounds 12] [--warmup 8] [--engines api,loop,ort,ort-gqa,native,torch]
//                               [--int8] [--baseline DIR] [--json FILE] [--verbose]
// --int8 adds engines api-int8, loop-int8 and native-int8: the same engines on models/poet-at/model-int8.safetensors
// (export.py --int8), whose greedy tokens are checked identical among themselves (and compared with f32's).
// --baseline DIR adds engines loop-base and native-base: DIR's atnat_forward_loop{.mjs,.wasm,} (copies of an
// earlier build), so that a kernel change is measured against its baseline in the same run.
//
// Needs build/wasm (atnat_web, atnat_forward_loop) and build/native-release/atnat_forward_loop
// (scripts/bench.sh builds them). The protocol, the same for every engine:
//   decode:  greedy from <bos> <qiyan-lvshi> 春 until <eos> or the context: generated tokens / CPU time
//            of the whole call (its 3-token prefill included);
//   prefill: one pass over a 127-token prompt (the longest the page's API takes in a context of 128):
//            prompt tokens / CPU time; its argmax is the first generated token;
//   every engine's tokens are checked identical (and ONNX Runtime's logits against PyTorch's); warm-up
//   rounds first (V8 optimises wasm on later calls: ONNX Runtime's large module needs ~5 rounds); then
//   rounds with the engine order rotated by one each round; medians over the rounds.
// CPU time: process.cpuUsage() around the call for engines in this process, the child's own CPU clock
// (excluding the pipe) for native and PyTorch. Wall-clock medians are printed too.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WEIGHTS = path.join(ROOT, 'models/poet-at/model.safetensors');
const WEIGHTS_INT8 = path.join(ROOT, 'models/poet-at/model-int8.safetensors');
const ONNX_DIR = path.join(ROOT, 'build/onnx');
const WASM = path.join(ROOT, 'build/wasm');
const NATIVE_LOOP = path.join(ROOT, 'build/native-release/atnat_forward_loop');
const PYTHON = '/usr/bin/python3'; // Debian's, which has torch

const FORM = 'qiyan-lvshi';
const DECODE_TEXT = '春';
// 125 characters of Tang poetry (all in the vocabulary): <bos> <form> + 125 = 127 tokens
const PREFILL_TEXT = [
  '白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。\n',
  '床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n',
  '春眠不觉晓，处处闻啼鸟。\n夜来风雨声，花落知多少。\n',
  '千山鸟飞绝，万径人踪灭。\n孤舟蓑笠翁，独钓寒江雪。\n',
  '红豆生南国，春来发几枝。\n愿君多采撷，此物最相思。\n',
]
  .join('')
  .slice(0, 125);

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const ROUNDS = Number(option('rounds', 12));
const WARMUP = Number(option('warmup', 8)); // ONNX Runtime's wasm reaches full speed after ~5 rounds
const BASELINE = option('baseline', null) && path.resolve(option('baseline'));
const INT8 = process.argv.includes('--int8');
const ENGINES = option(
  'engines',
  `api,loop,ort,ort-gqa,native,torch${BASELINE ? ',loop-base,native-base' : ''}` +
    `${INT8 ? ',api-int8,loop-int8,native-int8' : ''}`,
).split(',');
const JSON_OUT = option('json', null);
const VERBOSE = process.argv.includes('--verbose'); // every call's rates, warm-up included

function need(file, how) {
  if (!fs.existsSync(file)) {
    console.error(`missing ${path.relative(ROOT, file)}: ${how}`);
    process.exit(1);
  }
}

// --- the model's tokenizer, read from the weight file's header (docs/weight-format.md) ---------------
function readTokenizer(file) {
  const bytes = fs.readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  const meta = header.__metadata__;
  const spec = JSON.parse(meta.tokenizer);
  const index = new Map(spec.tokens.map((t, i) => [t, i]));
  const encode = (form, text) => {
    const ids = [spec.specials.bos, index.get(spec.forms[form])];
    for (const ch of text) {
      if (!index.has(ch)) throw new Error(`'${ch}' is not in poet-at's vocabulary`);
      ids.push(index.get(ch));
    }
    return ids;
  };
  return { encode, eos: spec.specials.eos, config: JSON.parse(meta.config) };
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// Times an async call in this process: { value, cpu, wall } in ms.
async function timed(f) {
  const c0 = cpuMs(),
    w0 = performance.now();
  const value = await f();
  return { value, cpu: cpuMs() - c0, wall: performance.now() - w0 };
}

// --- engines: { name, prefill(ids) -> {argmax, cpu, wall}, generate(ids, maxNew, eos) -> {tokens, cpu, wall} }

// atnat wasm through the page's JS API: Engine.run('generate', request), as web/ and tests/node call it.
async function apiEngine(weights = WEIGHTS, label = '') {
  need(path.join(WASM, 'atnat.wasm'), 'build the wasm preset (target atnat_web)');
  const { Engine } = await import(pathToFileURL(path.join(ROOT, 'wasm/engine.js')).href);
  const { default: create } = await import(pathToFileURL(path.join(WASM, 'atnat.mjs')).href);
  const engine = new Engine(await create({ wasmBinary: fs.readFileSync(path.join(WASM, 'atnat.wasm')) }));
  engine.load('poet-at', new Uint8Array(fs.readFileSync(weights)));
  let runId = 0;
  const run = (request) =>
    engine.run(++runId, 'generate', { model: 'poet-at', form: FORM, strategy: 'greedy', ...request }, () => {});
  const ids = (result) => result.tokens.map((t) => t.id);
  return {
    name: `atnat wasm, the page's JS API (Engine)${label}`,
    async prefill(_, text) {
      const r = await timed(() => run({ prompt: text, max_tokens: 1 }));
      return { argmax: ids(r.value)[0], cpu: r.cpu, wall: r.wall };
    },
    // core: the session's own clock (its result's ms: time inside its step calls), to compare with the call's
    async generate(_, maxNew, eos, text) {
      const r = await timed(() => run({ prompt: text, max_tokens: maxNew }));
      return { tokens: ids(r.value), cpu: r.cpu, wall: r.wall, core: r.value.ms };
    },
  };
}

// atnat wasm, the forward loop alone (bench/loop/forward_loop.cpp): prefill + forward_token + argmax.
async function loopEngine(config, dir = WASM, label = '', file = WEIGHTS) {
  need(path.join(dir, 'atnat_forward_loop.wasm'), 'build the wasm preset (target atnat_forward_loop)');
  const { default: create } = await import(pathToFileURL(path.join(dir, 'atnat_forward_loop.mjs')).href);
  const m = await create({ wasmBinary: fs.readFileSync(path.join(dir, 'atnat_forward_loop.wasm')) });
  const weights = fs.readFileSync(file);
  const w = m._malloc(weights.length);
  m.HEAPU8.set(weights, w);
  if (m._fl_load(w, weights.length) !== 0) throw new Error('atnat_forward_loop: the model did not load');
  m._free(w);
  const ids = m._malloc(4 * config.context),
    out = m._malloc(4 * config.context);
  const put = (tokens) => m.HEAP32.set(tokens, ids / 4);
  return {
    name: `atnat wasm, forward loop only${label}`,
    async prefill(tokens) {
      put(tokens);
      const r = await timed(() => m._fl_prefill(ids, tokens.length));
      return { argmax: r.value, cpu: r.cpu, wall: r.wall };
    },
    async generate(tokens, maxNew, eos) {
      put(tokens);
      const r = await timed(() => m._fl_generate(ids, tokens.length, maxNew, eos, out));
      if (r.value < 0) throw new Error('atnat_forward_loop: generate failed');
      return { tokens: Array.from(m.HEAP32.subarray(out / 4, out / 4 + r.value)), cpu: r.cpu, wall: r.wall };
    },
  };
}

// ONNX Runtime Web: its wasm backend (SIMD), one thread, a KV-cache export of bench/export_onnx.py
// (variant "plain": torch.onnx.export's graph; "gqa": packed matrices and GroupQueryAttention).
async function ortEngine(config, variant) {
  need(path.join(ONNX_DIR, 'poet-at.json'), 'run /usr/bin/python3 bench/export_onnx.py');
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  const info = JSON.parse(fs.readFileSync(path.join(ONNX_DIR, 'poet-at.json'), 'utf8'));
  const session = await ort.InferenceSession.create(fs.readFileSync(path.join(ONNX_DIR, info.files[variant])), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const hd = config.d_model / config.n_heads;
  const empty = Object.fromEntries(
    info.inputs.slice(1).map((n) => [n, new ort.Tensor('float32', new Float32Array(0), [1, config.n_heads, 0, hd])]),
  );
  const feed = (tokens, past) => ({
    tokens: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [1, tokens.length]),
    ...past,
  });
  const presentAsPast = (out) => Object.fromEntries(info.inputs.slice(1).map((n, i) => [n, out[info.outputs[i + 1]]]));
  const argmax = (x) => {
    let best = 0;
    for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
    return best;
  };
  const engine = {
    name: `ONNX Runtime Web ${ort.env.versions.web}, wasm SIMD, 1 thread, ${variant === 'gqa' ? 'GroupQueryAttention export' : 'plain export'}`,
    async prefill(tokens) {
      const r = await timed(async () => argmax((await session.run(feed(tokens, empty))).logits.data));
      return { argmax: r.value, cpu: r.cpu, wall: r.wall };
    },
    async generate(tokens, maxNew, eos) {
      const r = await timed(async () => {
        let out = await session.run(feed(tokens, empty));
        const ids = [argmax(out.logits.data)];
        while (ids.length < maxNew && ids.at(-1) !== eos) {
          out = await session.run(feed([ids.at(-1)], presentAsPast(out)));
          ids.push(argmax(out.logits.data));
        }
        return ids;
      });
      return { tokens: r.value, cpu: r.cpu, wall: r.wall };
    },
  };
  // the export against PyTorch: the check prompt's last logits (bench/export_onnx.py wrote them)
  const out = await session.run(feed(info.check.tokens, empty));
  let diff = 0;
  out.logits.data.forEach((x, i) => {
    diff = Math.max(diff, Math.abs(x - info.check.logits[i]));
  });
  engine.note = `ONNX (${variant}) vs PyTorch logits on a ${info.check.tokens.length}-token check prompt: max |diff| ${diff.toExponential(1)}`;
  if (!(diff < 1e-3)) throw new Error(engine.note);
  return engine;
}

// A child process speaking bench/loop/forward_loop.cpp's line protocol; it reports its own CPU time.
function childEngine(name, command, args) {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ask = async (line) => {
    child.stdin.write(`${line}\n`);
    const { value, done } = await lines.next();
    if (done || value.startsWith('error'))
      throw new Error(`${name}: no answer to "${line.slice(0, 40)}..." (${value})`);
    return value.split(' ').map(Number);
  };
  return {
    name,
    async prefill(tokens) {
      const [argmax, cpu, wall] = await ask(`prefill ${tokens.join(' ')}`);
      return { argmax, cpu, wall };
    },
    async generate(tokens, maxNew, eos) {
      const [cpu, wall, ...ids] = await ask(`generate ${maxNew} ${eos} ${tokens.join(' ')}`);
      return { tokens: ids, cpu, wall };
    },
    close: () => child.stdin.end(),
  };
}

function nativeEngine(binary = NATIVE_LOOP, label = '', weights = WEIGHTS) {
  need(binary, 'build the native-release preset (target atnat_forward_loop)');
  return childEngine(`atnat native, forward loop (SSE4.1)${label}`, binary, [weights]);
}

function torchEngine() {
  return childEngine('PyTorch, KV cache, 1 thread', PYTHON, [path.join(ROOT, 'bench/torch_engine.py'), WEIGHTS]);
}

// --- the protocol -----------------------------------------------------------------------------------------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const tok = readTokenizer(WEIGHTS);
  const { config } = tok;
  const decodeIds = tok.encode(FORM, DECODE_TEXT),
    prefillIds = tok.encode(FORM, PREFILL_TEXT);
  const maxNew = config.context - decodeIds.length;
  const makers = {
    api: () => apiEngine(),
    loop: loopEngine,
    ort: (c) => ortEngine(c, 'plain'),
    'ort-gqa': (c) => ortEngine(c, 'gqa'),
    native: () => nativeEngine(),
    torch: torchEngine,
    'api-int8': () => apiEngine(WEIGHTS_INT8, ', int8'),
    'loop-int8': (c) => loopEngine(c, WASM, ', int8', WEIGHTS_INT8),
    'native-int8': () => nativeEngine(NATIVE_LOOP, ', int8', WEIGHTS_INT8),
  };
  if (BASELINE) {
    // another build of the forward loop, e.g. before a kernel change
    const label = ` [${path.relative(ROOT, BASELINE)}]`;
    makers['loop-base'] = (c) => loopEngine(c, BASELINE, label);
    makers['native-base'] = () => nativeEngine(path.join(BASELINE, 'atnat_forward_loop'), label);
  }
  const engines = [];
  for (const key of ENGINES) {
    if (!makers[key]) throw new Error(`unknown engine "${key}" (known: ${Object.keys(makers).join(', ')})`);
    const weights = key.endsWith('-int8') ? 'int8' : 'f32';
    engines.push(
      Object.assign(await makers[key](config), { key, weights, rates: { decode: [], prefill: [], core: [] } }),
    );
  }

  // per weight file, the first engine's tokens: every other engine on those weights must produce the same
  const expectedBy = {};
  const once = async (e, record) => {
    const p = await e.prefill(prefillIds, PREFILL_TEXT);
    const g = await e.generate(decodeIds, maxNew, tok.eos, DECODE_TEXT);
    const expected = (expectedBy[e.weights] ??= { argmax: p.argmax, tokens: g.tokens, by: e.name });
    if (p.argmax !== expected.argmax || g.tokens.join() !== expected.tokens.join()) {
      throw new Error(
        `${e.name} differs from ${expected.by}:\n prefill argmax ${p.argmax} vs ${expected.argmax}\n` +
          ` tokens ${g.tokens.join(' ')}\n vs     ${expected.tokens.join(' ')}`,
      );
    }
    if (VERBOSE) {
      console.log(
        `${record ? 'round ' : 'warm-up'} ${e.key.padEnd(8)} decode ${(g.tokens.length / (g.cpu / 1000)).toFixed(0).padStart(5)}` +
          ` prefill ${(prefillIds.length / (p.cpu / 1000)).toFixed(0).padStart(6)} tok/s (CPU)`,
      );
    }
    if (record) {
      e.rates.prefill.push({ cpu: prefillIds.length / (p.cpu / 1000), wall: prefillIds.length / (p.wall / 1000) });
      e.rates.decode.push({ cpu: g.tokens.length / (g.cpu / 1000), wall: g.tokens.length / (g.wall / 1000) });
      if (g.core) e.rates.core.push({ page: g.wall, core: g.core });
    }
  };
  const load0 = os.loadavg()[0];
  for (let w = 0; w < WARMUP; w++) for (const e of engines) await once(e, false);
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < engines.length; i++) await once(engines[(i + r) % engines.length], true);
  }
  for (const e of engines) e.close?.();

  const stat = (e, what, clock) => median(e.rates[what].map((x) => x[clock]));
  // the anchor of each column: the faster ONNX Runtime Web export there
  const orts = engines.filter((e) => e.key.startsWith('ort'));
  const anchor = (what, clock) => Math.max(...orts.map((e) => stat(e, what, clock)));
  const ratio = (e, what, clock) => (orts.length ? `${(stat(e, what, clock) / anchor(what, clock)).toFixed(2)}×` : '–');
  const fmt = (x) => Math.round(x).toLocaleString('en-US');
  const expected = expectedBy.f32 ?? expectedBy.int8;
  console.log(
    `poet-at (${config.n_layers} layers, d ${config.d_model}, d_ff ${config.d_ff}, vocab ${config.vocab_size}), ` +
      `greedy tokens identical in every engine on the same weights (${expected.tokens.length} decoded, ` +
      `prefill ${prefillIds.length}); ` +
      `medians of ${ROUNDS} rotated rounds after ${WARMUP} warm-up rounds; node ${process.version}, ` +
      `${os.cpus()[0].model}, load average ${load0.toFixed(1)} -> ${os.loadavg()[0].toFixed(1)}`,
  );
  for (const e of engines) if (e.note) console.log(e.note);
  if (expectedBy.f32 && expectedBy.int8) {
    const same = expectedBy.f32.tokens.join() === expectedBy.int8.tokens.join();
    console.log(
      `int8 weights (${path.relative(ROOT, WEIGHTS_INT8)}): greedy tokens ` +
        `${same ? 'identical to' : 'differ from'} f32's (${expectedBy.int8.tokens.length} decoded)`,
    );
  }
  for (const clock of ['cpu', 'wall']) {
    console.log(
      `\n${clock === 'cpu' ? 'CPU time' : 'wall-clock time (includes waiting on the loaded machine)'}; ` +
        '× ORT Web = speed / the faster ONNX Runtime Web export in that column:\n',
    );
    console.log(`| engine | decode tok/s | × ORT Web | prefill tok/s (${prefillIds.length}) | × ORT Web |`);
    console.log('|---|---:|---:|---:|---:|');
    for (const e of engines) {
      console.log(
        `| ${e.name} | ${fmt(stat(e, 'decode', clock))} | ${ratio(e, 'decode', clock)} | ` +
          `${fmt(stat(e, 'prefill', clock))} | ${ratio(e, 'prefill', clock)} |`,
      );
    }
  }
  for (const e of engines.filter((x) => x.rates.core.length)) {
    const share = median(e.rates.core.map((x) => x.core / x.page));
    console.log(
      `\n${e.name}: decode tok/s as the page sees it (the call's wall clock) = ` +
        `${(100 * share).toFixed(0)}% of the core's own (its result's tokens_per_s: time inside its step ` +
        'calls), median of the rounds',
    );
  }
  if (JSON_OUT) {
    const raw = engines.map(({ key, name, rates }) => ({ key, name, ...rates }));
    fs.writeFileSync(JSON_OUT, JSON.stringify({ rounds: ROUNDS, tokens: expected.tokens, engines: raw }, null, 1));
  }
}

await main();
