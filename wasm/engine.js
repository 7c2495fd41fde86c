// The engine: owns the wasm module and the loaded models, and runs tasks as async generators of
// events, yielding to the event loop between steps so a cancel message can land mid-run.
// It knows nothing about Workers: worker.js adapts it to postMessage, node tests call it directly.

const YIELD_EVERY_MS = 8;  // hand the thread back at least this often while a task runs

export class Engine {
  constructor(module) {
    this.module = module;
    this.models = new Map();     // name -> { weights, info, ...task-specific handles }
    this.cancelled = new Set();  // run ids asked to stop
    this.tasks = new Map(Object.entries(builtinTasks));
  }

  info() {
    return JSON.parse(this.module.build_info());
  }

  // bytes: Uint8Array of a .safetensors file. Throws an Error with the loader's message if invalid.
  // The file is parsed once; an arch-specific handle (e.g. `text` for "gpt") shares its bytes.
  load(name, bytes) {
    this.unload(name);
    const weights = new this.module.WeightFile(bytes);
    try {
      const info = JSON.parse(weights.info());
      const model = { info };
      const make = handleMakers[info.arch];
      if (make) Object.assign(model, make(this.module, weights, info));
      this.models.set(name, model);
      return info;
    } finally {
      weights.delete();
    }
  }

  unload(name) {
    const model = this.models.get(name);
    if (!model) return;
    for (const handle of Object.values(model)) handle?.delete?.();
    this.models.delete(name);
  }

  // The loaded model `name`; with `kind`, its handle of that kind (e.g. 'text'), or a clear error.
  model(name, kind) {
    const model = this.models.get(name);
    if (!model) throw new Error(`atnat: no model named "${name}" is loaded`);
    if (kind && !model[kind]) throw new Error(`atnat: model "${name}" (${model.info.arch}) cannot do ${kind}`);
    return kind ? model[kind] : model;
  }

  cancel(runId) {
    this.cancelled.add(runId);
  }

  // Runs task(engine, request) and calls emit(event) for each event; returns the last event (the result).
  // A cancelled run ends early with { type: 'cancelled' } as its result.
  async run(runId, taskName, request, emit) {
    const task = this.tasks.get(taskName);
    if (!task) throw new Error(`atnat: unknown task "${taskName}" (known: ${[...this.tasks.keys()].join(', ')})`);
    let last = null;
    let since = performance.now();
    try {
      for await (const event of task(this, request ?? {})) {
        if (this.cancelled.has(runId)) return { type: 'cancelled' };
        last = event;
        emit(event);
        if (performance.now() - since > YIELD_EVERY_MS) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          since = performance.now();
          if (this.cancelled.has(runId)) return { type: 'cancelled' };
        }
      }
      return last;
    } finally {
      this.cancelled.delete(runId);
    }
  }
}

// Loads the Emscripten module: in browsers by URL, in node from bytes (the 3.1.6 loader cannot fetch a file path).
export async function createEngine(createModule, wasmBinary) {
  const module = await createModule(wasmBinary ? { wasmBinary } : {});
  return new Engine(module);
}

// arch -> (module, weights, info) => handles to keep; info may be extended with the handle's own facts.
const handleMakers = {
  gpt(module, weights, info) {
    const text = new module.TextModel(weights);
    Object.assign(info, JSON.parse(text.info()));
    return { text };
  },
};

// Steps a C++ session to the end: yields each step's event, then the result. Returning early (a cancel)
// runs the finally block, which frees the session.
function* stepSession(session) {
  try {
    while (!session.done()) yield JSON.parse(session.step());
    yield JSON.parse(session.result());
  } finally {
    session.delete();
  }
}

const builtinTasks = {
  // Autoregressive text: token events (or beam events), then the result. Request: core/decode/report.hpp.
  async *generate(engine, { model, ...request }) {
    yield* stepSession(engine.model(model, 'text').start(JSON.stringify(request)));
  },

  // Per-character NLL and perplexity of a text under an autoregressive model.
  async *score(engine, { model, text, form = '' }) {
    yield JSON.parse(engine.model(model, 'text').score(text, form));
  },

  // Kernel speed of this browser: GFLOP/s of GEMV and GEMM per size, warmed up first
  // (V8 optimises a function only on a later call; a cold timing measures the baseline tier).
  async *bench(engine, { sizes = [64, 128, 256, 512], kinds = ['gemv', 'gemm'], seconds = 0.2 }) {
    const m = engine.module;
    for (const kind of kinds) {
      for (const n of sizes) {
        const flops = 2 * n * n * (kind === 'gemm' ? n : 1);
        for (let i = 0; i < 3; i++) m.bench_matmul(kind, n, 1);
        const once = Math.max(m.bench_matmul(kind, n, 1), 1e-3);
        const reps = Math.max(1, Math.min(100000, Math.round((seconds * 1000) / once)));
        const ms = m.bench_matmul(kind, n, reps);
        yield { type: 'bench', kind, n, reps, ms, gflops: (flops * reps) / (ms * 1e6) };
      }
    }
  },
};
