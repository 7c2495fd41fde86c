// The Web Worker hosting the engine: generation runs here, off the UI thread.
// Messages in:  {id, type: 'init'} | {id, type: 'load', name, url} | {id, type: 'run', task, request} | {id, type: 'cancel', target}
// Messages out: {id, type: 'ready' | 'progress' | 'loaded' | 'event' | 'done' | 'error', ...}
import createModule from './atnat.mjs';
import { createEngine } from './engine.js';

let engine = null;
const ready = createEngine(createModule).then((created) => {
  engine = created;
});

async function fetchWithProgress(url, onProgress) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`atnat: could not load ${url}: HTTP ${response.status}`);
  const total = Number(response.headers.get('content-length')) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress(loaded, total);
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

self.onmessage = async ({ data }) => {
  const { id, type } = data;
  const post = (message) => self.postMessage({ id, ...message });
  try {
    if (type === 'cancel') {
      engine?.cancel(data.target);
      return;
    }
    await ready;
    if (type === 'init') {
      post({ type: 'ready', info: engine.info() });
    } else if (type === 'load') {
      const bytes = await fetchWithProgress(data.url, (loaded, total) => post({ type: 'progress', loaded, total }));
      post({ type: 'loaded', info: engine.load(data.name, bytes) });
    } else if (type === 'run') {
      const result = await engine.run(id, data.task, data.request, (event) => post({ type: 'event', event }));
      post({ type: 'done', result });
    } else {
      throw new Error(`atnat: unknown message type "${type}"`);
    }
  } catch (error) {
    post({ type: 'error', message: error?.message ?? String(error) });
  }
};
