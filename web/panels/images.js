// The Images playground: the same class and seed painted by PixelCNN (row by row, raster order) and by pixnat
// (K parallel passes), side by side, each on a 28×28 canvas scaled up; or a 4×4 grid of each.
import { setStats, formatMs } from './ui.js';

const MODELS = { pixelcnn: 'pixelcnn', pixnat: 'pixnat' };
const WATCH_DELAY_MS = { pixelcnn: 35, pixnat: 250 };  // per row / per pass, so a person can follow

// Not-yet-painted pixels (value `levels`: masked for pixnat, after the cursor for PixelCNN) are drawn in a
// light accent colour, so a painted black pixel never looks like an unpainted one; `marked` pixels (the
// pixel PixelCNN paints next, the pixels pixnat revealed in its latest pass) in a bright marker colour.
const UNPAINTED = [246, 214, 196, 255];
const MARKER = [255, 64, 160, 255];

function drawTile(data, width, image, levels, x0, y0, size, marked) {
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p = y * size + x;
      const v = image[p];
      const i = 4 * ((y0 + y) * width + x0 + x);
      if (marked?.has(p)) { data.set(MARKER, i); continue; }
      if (v >= levels) { data.set(UNPAINTED, i); continue; }
      const g = Math.round((v * 255) / (levels - 1));
      data.set([g, g, g, 255], i);
    }
  }
}

// One event of a watched run -> { image, painted, marked }: PixelCNN's pixels from `end` on are not painted
// yet (its image buffer holds 0 there, which would read as black) and `end` is the cursor; pixnat's masked
// pixels already carry `levels`, and the pixels unmasked by this pass are marked.
function watchedFrame(event, previous, levels) {
  const image = event.image.slice();
  if (event.type === 'rows') {
    image.fill(levels, event.end);
    return { image, painted: event.end, marked: new Set(event.end < image.length ? [event.end] : []) };
  }
  const marked = new Set();
  image.forEach((v, p) => { if (v < levels && previous[p] >= levels) marked.add(p); });
  return { image, painted: image.filter((v) => v < levels).length, marked };
}

function draw(canvas, images, levels, size, marked) {
  const per = Math.ceil(Math.sqrt(images.length));
  const width = per * size + (per - 1);
  canvas.width = width;
  canvas.height = width;
  const ctx = canvas.getContext('2d');
  const pixels = ctx.createImageData(width, width);
  pixels.data.fill(255);
  images.forEach((image, n) => drawTile(pixels.data, width, image, levels, (n % per) * (size + 1), Math.floor(n / per) * (size + 1), size,
                                        n === images.length - 1 ? marked : null));
  ctx.putImageData(pixels, 0, 0);
}

function statsOf(name, results, wallMs) {
  const r = results[0];
  const perImage = results.reduce((sum, x) => sum + x.ms, 0) / results.length;
  const pairs = [['time per image', formatMs(perImage)]];
  if (name === 'pixelcnn') {
    pairs.push(['full forward passes', r.forward_passes], ['single-pixel updates', r.pixel_updates],
               ['pixels evaluated', r.positions]);
  } else {
    pairs.push(['parallel passes (K)', r.forward_passes], ['pixels evaluated', r.positions]);
  }
  if (results.length > 1) pairs.push(['images', results.length]);
  pairs.push(['wall (with painting)', formatMs(wallMs)]);
  return pairs;
}

export async function mountImages(atnat, { loadModel }) {
  const line = document.getElementById('image-load');
  const infos = {};
  for (const name of Object.keys(MODELS)) infos[name] = await loadModel(name, line);
  line.textContent = Object.entries(infos).map(([n, i]) => `${n}: ${(i.parameters / 1e3).toFixed(0)}k parameters`).join(' · ');

  const button = document.getElementById('image-generate');
  const stop = document.getElementById('image-stop');
  button.disabled = false;
  let runs = [];

  document.getElementById('image-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = (id) => document.getElementById(id).value;
    const view = value('image-view');
    const count = view === 'grid' ? 16 : 1;
    const base = { class: Number(value('image-class')), seed: Number(value('image-seed')) };
    const requests = {
      pixelcnn: { ...base, method: value('image-method') },
      pixnat: { ...base, steps: Number(value('image-steps')) },
    };
    button.disabled = true;
    stop.disabled = false;
    runs = [];
    stop.onclick = () => runs.forEach((r) => r.cancel());

    // Both generators run at once (the worker interleaves their steps); each paints its own canvas.
    const paintBoth = Object.keys(MODELS).map(async (name) => {
      const canvas = document.getElementById(`${name}-canvas`);
      const stats = document.getElementById(`${name}-stats`);
      const counter = document.getElementById(`${name}-counter`);
      const { levels, width: size } = infos[name];
      const total = size * size;
      const started = performance.now();
      const results = [];
      stats.replaceChildren();
      canvas.dataset.done = 'false';
      const images = Array.from({ length: count }, () => new Uint8Array(total).fill(levels));
      const showCount = (painted) => { counter.textContent = `${painted} / ${total} pixels painted`; };
      showCount(0);
      draw(canvas, images, levels, size);
      for (let n = 0; n < count; n++) {
        const run = atnat.run('paint', {
          model: MODELS[name], ...requests[name], seed: base.seed + n,
          delay_ms: view === 'watch' ? WATCH_DELAY_MS[name] : 0,
        }, {
          onEvent: (e) => {
            if (view !== 'watch' || e.type === 'result') return;
            const frame = watchedFrame(e, images[n], levels);
            images[n] = frame.image;
            showCount(frame.painted);
            draw(canvas, images, levels, size, frame.marked);
          },
        });
        runs.push(run);
        const result = await run.result;
        if (result?.type !== 'result') { setStats(stats, [['stop', 'cancelled']]); return; }
        images[n] = result.image;
        results.push(result);
        showCount(total);
        draw(canvas, images, levels, size);
      }
      setStats(stats, statsOf(name, results, performance.now() - started));
      canvas.dataset.done = 'true';
    });
    try {
      await Promise.all(paintBoth);
    } catch (error) {
      line.textContent = error.message;
    } finally {
      button.disabled = false;
      stop.disabled = true;
    }
  });
}
