// The page shell in headless Chromium: the engine starts in its worker, tabs switch, and the
// kernel benchmark streams rows from the worker and stops on request. No console errors.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSite } from './helpers.mjs';

const site = await openSite();
after(() => site.close());
const { page } = site;

test('the engine reports ready with WebAssembly SIMD', async () => {
  await page.waitForSelector('body[data-engine="ready"]', { timeout: 30000 });
  assert.match(await page.textContent('#status'), /Engine ready: wasm-simd128/);
});

test('the tabs switch playgrounds', async () => {
  await page.click('nav [data-tab="images"]');
  assert.equal(await page.isVisible('#tab-images'), true);
  assert.equal(await page.isVisible('#tab-text'), false);
  await page.click('nav [data-tab="engine"]');
  assert.equal(await page.isVisible('#tab-engine'), true);
});

test('the kernel benchmark streams rows from the worker, then Stop ends it', async () => {
  await page.click('#bench-run');
  await page.waitForFunction(() => document.querySelectorAll('#bench-table tbody tr').length >= 2, null, {
    timeout: 30000,
  });
  const first = await page.$$eval('#bench-table tbody tr:first-child td', (tds) => tds.map((td) => td.textContent));
  assert.equal(first[0], 'gemv');
  assert.equal(first[1], '64');
  assert.ok(Number(first[2]) > 0.1, `GFLOP/s ${first[2]}`);
  await page.click('#bench-stop');
  await page.waitForSelector('#bench-run:not([disabled])', { timeout: 30000 });
  assert.ok((await page.$$('#bench-table tbody tr')).length < 8, 'stopped before all 8 rows');
});

test('no console errors or failed requests', () => {
  assert.deepEqual(site.problems, []);
});
