// The Web Worker hosting the engine: generation runs here, off the UI thread.
// Messages in:  {id, type: 'init'} | {id, type: 'load', name, url} | {id, type: 'run', task, request} |
//               {id, type: 'cancel', target} | {id, type: 'stored'} | {id, type: 'forget'}
// Messages out: {id, type: 'ready' | 'progress' | 'loaded' | 'events' | 'done' | 'error', ...}; a run posts its
// events in batches (`events`, an array), one message per batch; 'stored' and 'forget' are answered by 'done'.
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

// Weights kept in this browser's Cache Storage, by URL. The page asks for content-hashed names
// (scripts/build.sh), so a stored file never goes stale: a later visit, or one offline, reads it from here.
const MODEL_CACHE = 'atnat-models';

// The name of a weight file without its content hash: model-int8.3fa9c2d1e0b4.safetensors -> model-int8.safetensors.
const unhashed = (url) => url.replace(/\.[0-9a-f]{8,}(\.safetensors)$/, '$1');

// A model's bytes, from the cache when stored (one onProgress(size, size)), else from the network with
// progress, then stored, replacing older versions of the same file. Without Cache Storage (a page served over
// plain http from another host) every visit fetches.
async function fetchModel(url, onProgress) {
  if (!self.caches) return fetchWithProgress(url, onProgress);
  const cache = await caches.open(MODEL_CACHE);
  const stored = await cache.match(url);
  if (stored) {
    const bytes = new Uint8Array(await stored.arrayBuffer());
    onProgress(bytes.length, bytes.length);
    return bytes;
  }
  const bytes = await fetchWithProgress(url, onProgress);
  for (const old of await cache.keys()) {
    if (old.url !== url && unhashed(old.url) === unhashed(url)) await cache.delete(old);
  }
  const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) };
  // A full disk or a storage quota only costs the next visit its download: the model still loads now.
  await cache.put(url, new Response(bytes, { headers })).catch(() => {});
  return bytes;
}

// [{url, bytes}] of the stored weights.
async function storedModels() {
  if (!self.caches) return [];
  const cache = await caches.open(MODEL_CACHE);
  const files = [];
  for (const request of await cache.keys()) {
    const response = await cache.match(request);
    files.push({ url: request.url, bytes: Number(response.headers.get('Content-Length')) });
  }
  return files;
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
      const bytes = await fetchModel(data.url, (loaded, total) => post({ type: 'progress', loaded, total }));
      post({ type: 'loaded', info: engine.load(data.name, bytes) });
    } else if (type === 'run') {
      const result = await engine.run(id, data.task, data.request, (events) => post({ type: 'events', events }));
      post({ type: 'done', result });
    } else if (type === 'stored') {
      post({ type: 'done', result: await storedModels() });
    } else if (type === 'forget') {
      post({ type: 'done', result: self.caches ? await caches.delete(MODEL_CACHE) : false });
    } else {
      throw new Error(`atnat: unknown message type "${type}"`);
    }
  } catch (error) {
    post({ type: 'error', message: error?.message ?? String(error) });
  }
};
