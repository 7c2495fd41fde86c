// Loading like the web ML tools: the weights under content-hashed names with year-long cache headers, kept in
// Cache Storage by the engine's worker, the page's own files kept by the service worker. A second visit
// downloads no weights; with the network off the page reloads and generates; the Engine tab shows what is
// stored and clears it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSite } from './helpers.mjs';

const site = await openSite({ query: '?lang=en' });
after(() => site.close());
const { page, server } = site;

const served = []; // the paths the server answered, in order
server.on('request', (req) => served.push(req.url));
const weights = () => served.filter((url) => url.endsWith('.safetensors'));

async function generate() {
  await page.click('#text-generate');
  await page.waitForSelector('#at-output[data-done="true"]', { timeout: 60000 });
  await page.waitForSelector('#text-generate:not([disabled])', { timeout: 30000 });
}

test('the first visit fetches the int8 text weights under content-hashed names, once, with year-long caching', async () => {
  await page.waitForSelector('#tab-text[data-ready="true"]', { timeout: 60000 });
  assert.equal(await page.getAttribute('body', 'data-engine'), 'ready', '"ready" once the models can run');
  const names = weights().map((url) => url.replace(/\.[0-9a-f]{12}\./, '.'));
  assert.deepEqual(names.sort(), [
    '/atnat/models/poet-at/model-int8.safetensors',
    '/atnat/models/poet-nat/model-int8.safetensors',
  ]);
  for (const url of weights()) assert.match(url, /\/model-int8\.[0-9a-f]{12}\.safetensors$/);
  const response = await fetch(new URL(weights()[0], site.url));
  assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  await page.evaluate(() => navigator.serviceWorker.ready);
});

test('a second visit downloads no weights', async () => {
  served.length = 0;
  await page.reload();
  await page.waitForSelector('#tab-text[data-ready="true"]', { timeout: 60000 });
  assert.deepEqual(weights(), []);
});

test('with the network off the page reloads, loads its models and generates', async () => {
  await site.context.setOffline(true);
  served.length = 0;
  await page.reload();
  await page.waitForSelector('#tab-text[data-ready="true"]', { timeout: 60000 });
  await generate();
  assert.ok((await page.textContent('#at-output')).length > 10, 'a poem');
  assert.deepEqual(served, [], 'nothing reached the server');
  await site.context.setOffline(false);
});

test('the Engine tab shows the stored weights and clears them', async () => {
  await page.click('nav [data-tab="engine"]');
  await page.waitForFunction(() =>
    /Weights kept in this browser/.test(document.getElementById('cache-line').textContent),
  );
  assert.match(await page.textContent('#cache-line'), /: 7\.6 MB in 2 files\./);
  await page.click('#cache-clear');
  await page.waitForFunction(() => /No weights are kept/.test(document.getElementById('cache-line').textContent));
  assert.equal(await page.isDisabled('#cache-clear'), true);
  await page.reload(); // on the Engine tab, which the page remembers; Text loads behind it and stores them again
  await page.waitForSelector('#tab-text[data-ready="true"]', { state: 'attached', timeout: 60000 });
  await page.waitForFunction(() => /: 7\.6 MB in 2 files\./.test(document.getElementById('cache-line').textContent));
});

test('no console errors or failed requests', () => {
  assert.deepEqual(site.problems, []);
});
