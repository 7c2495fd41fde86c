// The service worker: keeps the page's own files (HTML, JS, CSS, the engine's .wasm, the data) in Cache Storage,
// so that the page opens offline and a second visit downloads none of them again. The weights are kept by the
// engine's worker (engine/worker.js) in a cache of their own, under their content-hashed names.
// precache.js (written by scripts/build.sh) sets self.PRECACHE = { version, files }: the version is a hash of
// the files, so a new build changes it, the browser installs this worker again and the old copies go.
importScripts('precache.js');

const SHELL = `atnat-shell-${self.PRECACHE.version}`;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(self.PRECACHE.files))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('atnat-shell-') && name !== SHELL) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

// The page's files from the cache (a query such as ?lang=en names the same page), everything else (the
// weights, which the engine's worker caches itself) from the network.
self.addEventListener('fetch', (event) => {
  if (event.request.method !== 'GET') return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(SHELL);
      return (await cache.match(event.request, { ignoreSearch: true })) ?? fetch(event.request);
    })(),
  );
});
