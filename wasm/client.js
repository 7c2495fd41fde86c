// The page's API to the engine in its Web Worker:
//   const atnat = await Atnat.start();                 // resolves when the wasm module is ready
//   await atnat.load('poet-at', 'models/poet-at/model.safetensors', { onProgress });
//   await atnat.stored();  await atnat.forget();       // the weights kept in this browser's cache
//   const run = atnat.run('bench', { sizes: [64] }, { onEvent });  run.cancel();  await run.result;
// Errors from C++ arrive as rejected promises carrying the core's message.

// A 1-function module using an f32x4 instruction: validates only where WebAssembly SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function supportsWasmSimd() {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

export class Atnat {
  static async start(workerUrl = new URL('./worker.js', import.meta.url)) {
    if (!supportsWasmSimd()) {
      throw new Error(
        'This browser lacks WebAssembly SIMD, which atnat needs. Use a current Chrome, Edge, Firefox or Safari (16.4 or later).',
      );
    }
    const atnat = new Atnat(new Worker(workerUrl, { type: 'module' }));
    atnat.info = await atnat.request({ type: 'init' }, { ready: (m) => m.info });
    return atnat;
  }

  constructor(worker) {
    this.worker = worker;
    this.nextId = 1;
    this.pending = new Map(); // id -> { resolve, reject, handlers }
    worker.onmessage = ({ data }) => this.receive(data);
    worker.onerror = (e) => {
      const error = new Error(`atnat: the engine worker failed: ${e.message ?? 'could not start'}`);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
  }

  // Sends a message; handlers map reply types to callbacks; 'done'/'loaded'/'ready' resolve, 'error' rejects.
  request(message, handlers = {}) {
    const id = this.nextId++;
    const promise = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, handlers }));
    this.worker.postMessage({ id, ...message });
    promise.id = id;
    return promise;
  }

  receive(data) {
    const p = this.pending.get(data.id);
    if (!p) return;
    if (data.type === 'error') {
      this.pending.delete(data.id);
      p.reject(new Error(data.message));
      return;
    }
    const handler = p.handlers[data.type];
    const value = handler ? handler(data) : data;
    if (['ready', 'loaded', 'done'].includes(data.type)) {
      this.pending.delete(data.id);
      p.resolve(value);
    }
  }

  // onProgress(loaded, total): bytes so far and in all (0 when unknown).
  load(name, url, { onProgress } = {}) {
    return this.request(
      { type: 'load', name, url: new URL(url, document.baseURI).href },
      {
        progress: (m) => onProgress?.(m.loaded, m.total),
        loaded: (m) => m.info,
      },
    );
  }

  // The weights kept in this browser's cache for later visits and offline use: [{url, bytes}].
  stored() {
    return this.request({ type: 'stored' }, { done: (m) => m.result });
  }

  // Empties that cache (the loaded models stay loaded); the next visit downloads the weights again.
  forget() {
    return this.request({ type: 'forget' }, { done: (m) => m.result });
  }

  // Returns { result: Promise (last event, or {type:'cancelled'}), cancel() }.
  run(task, request, { onEvent } = {}) {
    const result = this.request(
      { type: 'run', task, request },
      {
        events: (m) => m.events.forEach((event) => onEvent?.(event)),
        done: (m) => m.result,
      },
    );
    return { result, cancel: () => this.worker.postMessage({ type: 'cancel', target: result.id }) };
  }

  terminate() {
    this.worker.terminate();
  }
}
