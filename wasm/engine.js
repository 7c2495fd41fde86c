// The engine: owns the wasm module and the loaded models, and runs tasks as async generators of batches
// of events, visiting the event loop between batches so a cancel message can land mid-run.
// It knows nothing about Workers: worker.js adapts it to postMessage, node tests call it directly.

// A session runs for at most this long per call into the core, one 60 Hz frame: the page gets its tokens in
// batches as fast as a screen shows them, and a cancel stops a run within one batch.
const SLICE_MS = 16;
// The most memory one request may ask for, in MiB (the core's max_memory, core/decode/budget.hpp): what a
// phone's browser holds for a page beside its models, well inside the module's 1 GiB heap. The page's
// largest requests (beam 8 on poet-at, the hybrid) need under 50 MiB.
const MAX_MEMORY_MIB = 256;

export class Engine {
  // createModule: () => a promise of a fresh module, to replace this one if it ever traps (createEngine
  // passes it; without it a trap is only reported).
  constructor(module, createModule = null) {
    this.module = checked(module);
    this.createModule = createModule;
    this.maxMemory = MAX_MEMORY_MIB;
    this.models = new Map(); // name -> { weights, info, ...task-specific handles }
    this.sources = new Map(); // name -> the bytes it was loaded from, to load it again after a restart
    this.restarting = null; // the restart in progress, which run() waits for
    this.cancelled = new Set(); // run ids asked to stop
    this.tasks = new Map(Object.entries(builtinTasks));
  }

  info() {
    return JSON.parse(this.module.build_info());
  }

  // {stack_pointer, heap_in_use, heap_size} in bytes.
  memory() {
    return JSON.parse(this.module.memory_info());
  }

  // bytes: Uint8Array of a .safetensors file. Throws an Error with the loader's message if invalid.
  // The file is parsed once; an arch-specific handle (e.g. `text` for "gpt") shares its bytes.
  load(name, bytes) {
    this.unload(name);
    try {
      const weights = new this.module.WeightFile(bytes);
      try {
        const info = JSON.parse(weights.info());
        const model = { info };
        const handle = HANDLES[info.arch];
        if (handle) {
          const [kind, cls] = handle;
          model[kind] = new this.module[cls](weights);
          Object.assign(info, JSON.parse(model[kind].info()));
        }
        this.models.set(name, model);
        this.sources.set(name, bytes);
        return info;
      } finally {
        weights.delete();
      }
    } catch (error) {
      throw this.recover(error, `loading "${name}"`);
    }
  }

  unload(name) {
    const model = this.models.get(name);
    if (!model) return;
    for (const handle of Object.values(model)) handle?.delete?.();
    this.models.delete(name);
    this.sources.delete(name);
  }

  // The last line of defence: a call that traps (see isTrap) leaves the module in an unknown state, so the
  // engine starts replacing it (run() waits for that) and returns the error to throw for the call; any other
  // error is returned as it is.
  recover(error, call) {
    if (!isTrap(error) || !this.createModule) return error;
    this.restarting = this.restart();
    return new Error(`atnat: the engine failed ${call} (${error}) and restarts with its models: try again`);
  }

  // A fresh module with every model loaded into it again. The old handles are dropped, never called.
  async restart() {
    this.module = checked(await this.createModule());
    const sources = [...this.sources];
    this.models.clear();
    for (const [name, bytes] of sources) this.load(name, bytes);
  }

  // A request as the core reads it (JSON), its max_memory at most the engine's: a page cannot raise its own
  // limit.
  budgeted(request) {
    const limit = Math.min(request.max_memory ?? this.maxMemory, this.maxMemory);
    return JSON.stringify({ ...request, max_memory: limit });
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

  // Runs task(engine, request) and calls emit(events) for each batch of events, in order; returns the last
  // event (the result). A cancelled run ends early with { type: 'cancelled' } as its result.
  async run(runId, taskName, request, emit) {
    const task = this.tasks.get(taskName);
    if (!task) throw new Error(`atnat: unknown task "${taskName}" (known: ${[...this.tasks.keys()].join(', ')})`);
    let last = null;
    await this.restarting;
    try {
      for await (const events of task(this, request ?? {})) {
        if (this.cancelled.has(runId)) return { type: 'cancelled' };
        last = events.at(-1) ?? last;
        emit(events);
        await nextTurn();
        if (this.cancelled.has(runId)) return { type: 'cancelled' };
      }
      return last;
    } catch (error) {
      const failure = this.recover(error, `running "${taskName}"`);
      await this.restarting;
      throw failure;
    } finally {
      this.cancelled.delete(runId);
    }
  }
}

// Resolves after one turn of the event loop, where a waiting message (a cancel) is handled first. Not
// setTimeout(0): browsers hold a nested one back for 4 ms, which idled the worker once per batch.
function nextTurn() {
  if (globalThis.setImmediate) return new Promise((resolve) => setImmediate(resolve)); // node
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

// What a broken module throws: a WebAssembly trap or an abort (RuntimeError), or a C++ exception that
// Emscripten hands over as a bare number. The core's own errors arrive as ordinary Errors (`checked`).
function isTrap(error) {
  return error instanceof WebAssembly.RuntimeError || !(error instanceof Error);
}

// The core reports a failed call as a value, never by throwing through its C++ frames (that leaked the
// wasm stack and heap on every rejected request; see wasm/bindings.cpp): the call returns a neutral value
// and the message waits in take_error(). This wraps every bound function, method and constructor once so
// that JS callers get an ordinary Error. Embind classes are recognised by their ClassHandle prototype.
const FREE_FUNCTIONS = ['build_info', 'memory_info', 'bench_matmul'];

function checked(module) {
  if (module.atnatChecked) return module;
  const check = (result) => {
    const error = module.take_error();
    if (error) throw new Error(error);
    return result;
  };
  for (const name of FREE_FUNCTIONS) {
    const call = module[name];
    module[name] = (...args) => check(call(...args));
  }
  for (const [name, value] of Object.entries(module)) {
    if (typeof value !== 'function' || typeof value.prototype?.isAliasOf !== 'function') continue;
    for (const key of Object.getOwnPropertyNames(value.prototype)) {
      const method = value.prototype[key];
      if (key === 'constructor' || typeof method !== 'function') continue;
      value.prototype[key] = function (...args) {
        return check(method.apply(this, args));
      };
    }
    module[name] = new Proxy(value, { construct: (target, args) => check(new target(...args)) });
  }
  module.atnatChecked = true;
  return module;
}

// Loads the Emscripten module: in browsers by URL, in node from bytes (the 3.1.6 loader cannot fetch a file path).
export async function createEngine(createModule, wasmBinary) {
  const create = () => createModule(wasmBinary ? { wasmBinary } : {});
  return new Engine(await create(), create);
}

// arch -> [the kind of work its handle does (engine.model(name, kind)), its Embind class in wasm/bindings.cpp].
const HANDLES = {
  gpt: ['text', 'TextModel'],
  cmlm: ['nat', 'NatModel'],
  pixelcnn: ['pixels', 'PixelCNN'],
  pixnat: ['pixels', 'PixNAT'],
  g2p: ['pronounce', 'PronounceModel'],
};

// Steps a C++ session to the end (every generator, text or image, is one Session class in wasm/bindings.cpp):
// yields its events in batches of at most maxEvents made within SLICE_MS, the result closing the last batch.
// An image session's last event of a batch carries a copy of the image so far (`image`): a painting task
// asks for one event per batch. Returning early (a cancel) runs the finally block, which frees the session.
function* stepSession(session, maxEvents = 2 ** 31 - 1) {
  try {
    for (let done = false; !done;) {
      const events = JSON.parse(session.steps(maxEvents, SLICE_MS));
      const image = session.image();
      if (image.length && events.length) events.at(-1).image = image.slice();
      done = session.done();
      if (done) events.push(JSON.parse(session.result()));
      yield events;
    }
  } finally {
    session.delete();
  }
}

// Every task is an async generator of batches (arrays) of events; the last event it yields is the result.
const builtinTasks = {
  // One image. PixelCNN (request.method "naive" | "cached"): 'rows' events in raster order (cached: one per
  // image row; naive: one per pixel, since each is a full forward pass). pixnat (request.steps = K): one
  // 'pass' event per parallel pass, masked pixels = levels. Each event carries the image so far and `row_end`
  // (the event completes an image row, or a pass); the result carries the image and the stats.
  // Request: the image request of core/decode/pixels.hpp (class, seed, temperature, greedy, method, steps,
  // gumbel) + model and delay_ms (0..2000: a pause after each row or pass so a person can watch the painting;
  // timings exclude it).
  async *paint(engine, { model, delay_ms: delay = 0, ...request }) {
    const pixels = engine.model(model, 'pixels'); // a clear error if this model cannot paint
    if (!(delay >= 0 && delay <= 2000)) throw new Error('atnat: delay_ms must be between 0 and 2000');
    for (const events of stepSession(pixels.start(engine.budgeted(request)), 1)) {
      yield events;
      if (delay > 0 && events[0].row_end) await new Promise((resolve) => setTimeout(resolve, delay));
    }
  },

  // Text from either kind of model. AT ("gpt"): token (or beam) events, then the result; NAT ("cmlm"): a
  // length event, one event per parallel pass, then the result. Requests: the generate request
  // (core/decode/text_model.hpp) or the NAT request (core/decode/poem_plan.hpp); events and results:
  // core/decode/report.hpp.
  async *generate(engine, { model, ...request }) {
    const loaded = engine.model(model);
    if (!loaded.text && !loaded.nat)
      throw new Error(`atnat: model "${model}" (${loaded.info.arch}) does not write text`);
    yield* stepSession((loaded.text ?? loaded.nat).start(engine.budgeted(request)));
  },

  // A word's pronunciation from a g2p model: AT (strategy greedy | beam | sample: token or beam events) or NAT
  // (strategy nat: a length event, then one event per mask-predict pass), then the result with ARPAbet, IPA,
  // log p, passes, ms, every candidate and the cross-attention of the chosen output. Request: the pronounce
  // request (core/decode/pronounce.hpp); events and result: core/decode/report.hpp.
  async *pronounce(engine, { model, ...request }) {
    yield* stepSession(engine.model(model, 'pronounce').start(engine.budgeted(request)));
  },

  // Speculative decoding: the NAT model drafts, the AT model verifies; the result equals AT greedy's (with the
  // request's repetition_penalty). Request: the NAT request, its strategy "hybrid" (the default here).
  async *hybrid(engine, { model, at, ...request }) {
    const hybrid = engine.budgeted({ strategy: 'hybrid', ...request });
    yield* stepSession(engine.model(model, 'nat').start_hybrid(engine.model(at, 'text'), hybrid));
  },

  // A poem request (prompt, form, constraints, acrostic, blank_text, layout, length) planned by the core for an
  // AT model: the generate request's prompt, form and constraints (forced tokens) that honour it.
  async *plan(engine, { model, ...request }) {
    yield [JSON.parse(engine.model(model, 'text').plan(JSON.stringify(request)))];
  },

  // The comparison metrics of a poem under an AT model: its perplexity, repetition rate, form check.
  async *metrics(engine, { model, text, form, ms = 0, forward_passes = 0 }) {
    yield [JSON.parse(engine.model(model, 'text').metrics(text, form, ms, forward_passes))];
  },

  // Per-character NLL and perplexity of a text under an autoregressive model.
  async *score(engine, { model, text, form = '' }) {
    yield [JSON.parse(engine.model(model, 'text').score(text, form))];
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
        yield [{ type: 'bench', kind, n, reps, ms, gflops: (flops * reps) / (ms * 1e6) }];
      }
    }
  },
};
