// The Images playground in headless Chromium: both generators paint one image of the chosen class, the
// canvases fill, and each panel reports its time and passes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSite } from './helpers.mjs';

const site = await openSite();
after(() => site.close());
const { page } = site;

async function stats(id) {
  const cells = await page.$$eval(`#${id} dt, #${id} dd`, (xs) => xs.map((x) => x.textContent));
  return Object.fromEntries(cells.flatMap((c, i) => (i % 2 ? [] : [[c, cells[i + 1]]])));
}

// Share of lit (non-black) pixels of a canvas (Fashion-MNIST garments are bright on black), and its size.
const ink = (id) => page.$eval(`#${id}`, (c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let dark = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] > 8) dark++;
  return { share: dark / (c.width * c.height), width: c.width };
});

test('opening the Images tab loads both image models', async () => {
  await page.waitForSelector('body[data-engine="ready"]', { timeout: 30000 });
  await page.click('nav [data-tab="images"]');
  await page.waitForSelector('#tab-images[data-ready="true"]', { timeout: 60000 });
  assert.match(await page.textContent('#image-load'), /pixelcnn: \d+k parameters · pixnat: \d+k parameters/);
});

test('one Paint: PixelCNN paints row by row, pixnat in K passes, side by side', async () => {
  await page.selectOption('#image-class', '1');  // trousers
  await page.fill('#image-steps', '4');
  await page.selectOption('#image-view', 'watch');
  await page.click('#image-generate');
  await page.waitForSelector('#pixelcnn-canvas[data-done="true"]', { timeout: 60000 });
  await page.waitForSelector('#pixnat-canvas[data-done="true"]', { timeout: 60000 });
  for (const id of ['pixelcnn-canvas', 'pixnat-canvas']) {
    const { share, width } = await ink(id);
    assert.equal(width, 28);
    assert.ok(share > 0.1 && share < 0.95, `${id}: ${share} of the pixels are inked`);
  }
  const pixelcnn = await stats('pixelcnn-stats');
  assert.equal(pixelcnn['single-pixel updates'], '784');
  assert.equal(pixelcnn['full forward passes'], '0');
  const pixnat = await stats('pixnat-stats');
  assert.equal(pixnat['parallel passes (K)'], '4');
  assert.match(pixnat['time per image'], /^\d+(\.\d)? (ms|s)$/);
});

test('watching: unpainted pixels look unpainted, the painter is marked, and a counter follows', async () => {
  await page.selectOption('#image-class', '3');  // dresses
  await page.selectOption('#image-view', 'watch');
  await page.click('#image-generate');
  // mid-run PixelCNN: some rows painted, the rest shown in the "not yet" colour, one marker pixel
  await page.waitForFunction(() => {
    const m = /^(\d+) \/ 784 pixels painted$/.exec(document.querySelector('#pixelcnn-counter').textContent);
    return m && Number(m[1]) >= 28 * 5 && Number(m[1]) <= 28 * 20;
  }, null, { timeout: 30000, polling: 10 });
  const colours = await page.$eval('#pixelcnn-canvas', (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const count = { unpainted: 0, marker: 0, grey: 0 };
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] === 246 && d[i + 1] === 214 && d[i + 2] === 196) count.unpainted++;
      else if (d[i] === 255 && d[i + 1] === 64 && d[i + 2] === 160) count.marker++;
      else if (d[i] === d[i + 1] && d[i + 1] === d[i + 2]) count.grey++;
    }
    return count;
  });
  assert.equal(colours.marker, 1, 'one marked pixel: the next one PixelCNN paints');
  assert.ok(colours.unpainted > 28 * 7 && colours.grey > 28 * 4, JSON.stringify(colours));
  await page.waitForSelector('#pixelcnn-canvas[data-done="true"]', { timeout: 60000 });
  await page.waitForSelector('#pixnat-canvas[data-done="true"]', { timeout: 60000 });
  for (const id of ['pixelcnn-counter', 'pixnat-counter']) {
    assert.equal(await page.textContent(`#${id}`), '784 / 784 pixels painted');
  }
});

test('the grid mode paints 16 images per generator', async () => {
  await page.selectOption('#image-view', 'grid');
  await page.click('#image-generate');
  await page.waitForSelector('#pixelcnn-stats dt', { timeout: 60000 });
  await page.waitForFunction(() => document.querySelector('#pixnat-canvas').dataset.done === 'true'
    && document.querySelector('#pixelcnn-canvas').dataset.done === 'true', null, { timeout: 120000 });
  for (const id of ['pixelcnn-canvas', 'pixnat-canvas']) assert.equal((await ink(id)).width, 4 * 28 + 3);
  assert.equal((await stats('pixnat-stats')).images, '16');
});

test('no console errors or failed requests', () => {
  assert.deepEqual(site.problems, []);
});
