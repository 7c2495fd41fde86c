// The Images playground in headless Chromium: both generators paint one image of the chosen class, the
// canvases fill, and each panel reports its time and passes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSite, stats as statsOf, explanationsByKeyboard } from './helpers.mjs';
import en from '../../web/i18n/en.js';

const site = await openSite();
after(() => site.close());
const { page } = site;

const stats = (id) => statsOf(page, id);

// Share of lit (non-black) pixels of a canvas (Fashion-MNIST garments are bright on black), and its size.
const ink = (id) =>
  page.$eval(`#${id}`, (c) => {
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
  assert.equal(await page.getAttribute('#pixelcnn-canvas', 'role'), 'img');
  assert.equal(await page.getAttribute('#pixelcnn-canvas', 'aria-label'), 'pixelcnn: Sneaker, 0 of 784 pixels painted');
});

test('one Paint: PixelCNN paints row by row, pixnat in K passes, side by side', async () => {
  await page.selectOption('#image-class', '1'); // trousers
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
  assert.equal(pixelcnn.pixel_updates, '784');
  assert.equal(pixelcnn.full_passes, '0');
  const pixnat = await stats('pixnat-stats');
  assert.equal(pixnat.k_passes, '4');
  assert.match(pixnat.img_time, /^\d+(\.\d)? (ms|s)$/);
  assert.match(await page.textContent('#pixelcnn-seeing'), /Cached: 784 single-pixel updates/);
  assert.match(await page.textContent('#pixnat-seeing'), /in 4 parallel passes/);
  assert.equal(await page.getAttribute('#pixnat-canvas', 'aria-label'), 'pixnat: Trouser, 784 of 784 pixels painted');
});

test('watching: unpainted pixels look unpainted, the painter is marked, and a counter follows', async () => {
  await page.selectOption('#image-class', '3'); // dresses
  await page.selectOption('#image-view', 'watch');
  await page.click('#image-generate');
  // mid-run PixelCNN: some rows painted, the rest shown in the "not yet" colour, one marker pixel
  await page.waitForFunction(
    () => {
      const m = /^(\d+) \/ 784 pixels painted$/.exec(document.querySelector('#pixelcnn-counter').textContent);
      return m && Number(m[1]) >= 28 * 5 && Number(m[1]) <= 28 * 20;
    },
    null,
    { timeout: 30000, polling: 10 },
  );
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

test('every explanation of the Images playground (controls and metrics) is reached with the keyboard', async () => {
  const reached = await explanationsByKeyboard(page, 'tab-images', en);
  const expected = await page.$$eval('#tab-images button.info', (bs) => bs.map((b) => b.dataset.helpKey));
  assert.ok(expected.length >= 5 + 8, `${expected.length} explanations`);
  for (const key of expected) assert.ok(reached.has(key), `help.${key}`);
});

test('the grid mode paints 16 images per generator', async () => {
  await page.selectOption('#image-view', 'grid');
  await page.click('#image-generate');
  await page.waitForSelector('#pixelcnn-stats dt', { timeout: 60000 });
  await page.waitForFunction(
    () =>
      document.querySelector('#pixnat-canvas').dataset.done === 'true' &&
      document.querySelector('#pixelcnn-canvas').dataset.done === 'true',
    null,
    { timeout: 120000 },
  );
  for (const id of ['pixelcnn-canvas', 'pixnat-canvas']) assert.equal((await ink(id)).width, 4 * 28 + 3);
  assert.equal((await stats('pixnat-stats')).images, '16');
  assert.equal(await page.getAttribute('#pixelcnn-canvas', 'aria-label'), 'pixelcnn: 16 images of Dress');
});

test('step by step: one row (PixelCNN) and one pass (pixnat) per click', async () => {
  await page.selectOption('#image-view', 'step');
  await page.selectOption('#image-method', 'cached');
  await page.fill('#image-steps', '8');
  await page.click('#image-generate');
  await page.waitForFunction(
    () => {
      const waiting = (document.querySelector('#image-player').dataset.waiting ?? '').split(' ').map(Number);
      return waiting.length === 2 && waiting[0] >= 3 && waiting[1] >= 3;
    },
    null,
    { timeout: 30000 },
  );
  assert.equal(await page.textContent('#pixelcnn-counter'), '0 / 784 pixels painted');
  for (let i = 1; i <= 3; i++) await page.click('#image-player [data-act="step"]');
  assert.equal(await page.textContent('#pixelcnn-counter'), `${3 * 28} / 784 pixels painted`, 'three rows');
  const painted = Number((await page.textContent('#pixnat-counter')).split(' ')[0]);
  assert.ok(painted > 0 && painted < 784, `pixnat after 3 of 8 passes: ${painted} pixels`);
  assert.equal(await page.getAttribute('#pixnat-canvas', 'data-done'), 'false');
  await page.click('#image-player [data-act="play"]');
  await page.waitForSelector('#pixelcnn-canvas[data-done="true"]', { timeout: 60000 });
  await page.waitForSelector('#pixnat-canvas[data-done="true"]', { timeout: 60000 });
  assert.equal(await page.textContent('#pixnat-counter'), '784 / 784 pixels painted');
});

test('the chart of quality against K is drawn from the committed table, and the sweep adds this browser', async () => {
  await page.click('#images-learn summary');
  const charts = await page.$$eval('#images-charts svg.chart', (cs) =>
    cs.map((c) => ({
      label: c.getAttribute('aria-label'),
      lines: c.querySelectorAll('path.line').length,
      dots: c.querySelectorAll('circle').length,
    })),
  );
  assert.equal(charts.length, 3);
  assert.match(
    charts[0].label,
    /^class match \(%\)\. confidence order: 1 → 90\.7, 2 → 86\.8, 4 → 64\.7, 8 → 35\.6, 16 → 21\.6;/,
  );
  assert.match(charts[1].label, /confidence \+ noise \(30, the default\): 1 → 177, 2 → 107, 4 → 63, 8 → 38, 16 → 34/);
  assert.equal(charts[0].lines, 4, 'four orders of unmasking');
  await page.click('#images-sweep');
  await page.waitForSelector('#images-charts[data-sweep="done"]', { timeout: 60000 });
  const time = await page.$eval('#images-charts figure:last-child svg', (c) => c.querySelectorAll('path.line').length);
  assert.equal(time, 2, "PyTorch's times and this browser's");
});

test('no console errors or failed requests', () => {
  assert.deepEqual(site.problems, []);
});
