// The Images playground: the same class and seed painted by PixelCNN (row by row, raster order) and by pixnat
// (K parallel passes), side by side, each on a 28×28 canvas scaled up; or a 4×4 grid of each. "Watch" paints
// slowly (the engine pauses between steps), "step by step" shows one row / one pass per click (player.js).
import { el, setStats, formatMs, showMessage } from './ui.js';
import { t } from '../i18n/index.js';
import { Player } from './player.js';
import { lineChart } from './chart.js';

const MODELS = { pixelcnn: 'pixelcnn', pixnat: 'pixnat' };
const WATCH_DELAY_MS = { pixelcnn: 35, pixnat: 250 }; // per row / per pass, so a person can follow
const STEP_PLAY_MS = { pixelcnn: 60, pixnat: 400 }; // "Play" in step-by-step mode

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
      if (marked?.has(p)) {
        data.set(MARKER, i);
        continue;
      }
      if (v >= levels) {
        data.set(UNPAINTED, i);
        continue;
      }
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
  image.forEach((v, p) => {
    if (v < levels && previous[p] >= levels) marked.add(p);
  });
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
  images.forEach((image, n) =>
    drawTile(
      pixels.data,
      width,
      image,
      levels,
      (n % per) * (size + 1),
      Math.floor(n / per) * (size + 1),
      size,
      n === images.length - 1 ? marked : null,
    ),
  );
  ctx.putImageData(pixels, 0, 0);
}

function statRows(name, results, wallMs) {
  const r = results[0];
  const perImage = results.reduce((sum, x) => sum + x.ms, 0) / results.length;
  const rows = [{ key: 'img_time', value: formatMs(perImage) }];
  if (name === 'pixelcnn') {
    rows.push(
      { key: 'full_passes', value: r.forward_passes },
      { key: 'pixel_updates', value: r.pixel_updates },
      { key: 'positions', value: r.positions },
    );
  } else {
    rows.push({ key: 'k_passes', value: r.forward_passes }, { key: 'positions', value: r.positions });
  }
  if (results.length > 1) rows.push({ key: 'images', value: results.length });
  rows.push({ key: 'img_wall', value: formatMs(wallMs) });
  return rows;
}

function seeingText(name, results) {
  const r = results[0];
  if (name === 'pixelcnn') return t('seeing.pixelcnn', { passes: r.forward_passes, updates: r.pixel_updates });
  const K = r.forward_passes;
  return t('seeing.pixnat', { K }) + (K >= 4 ? t('sentence.gap') + t('seeing.pixnat.many') : '');
}

// ------------------------------------------------------------------------------------------------ charts
function imageCharts(container, curves, sweep) {
  if (!curves) {
    container.replaceChildren(el('p', { class: 'muted', text: t('chart.unavailable') }));
    return;
  }
  const orders = [
    ['0', 'chart.series.g0', 's0'],
    ['4.5', 'chart.series.g45', 's1'],
    ['30', 'chart.series.g30', 's2'],
    ['1000', 'chart.series.random', 's3'],
  ].filter(([g]) => curves[g]?.length);
  const seriesOf = (key, f) =>
    orders.map(([g, name, cls]) => ({ name: t(name), cls, points: curves[g].map((r) => ({ x: r.K, y: f(r[key]) })) }));
  const time = [
    { name: `${t('chart.series.g0')} (PyTorch)`, cls: 's0', points: curves['0'].map((r) => ({ x: r.K, y: r.ms })) },
  ];
  if (sweep?.length)
    time.push({ name: t('chart.series.browser'), cls: 's2', points: sweep.map((r) => ({ x: r.K, y: r.ms })) });
  const round = (v) => String(Math.round(v * 10) / 10);
  container.replaceChildren(
    lineChart({
      title: t('chart.class_match'),
      xLabel: t('chart.axis.K'),
      xLog2: true,
      series: seriesOf('class_match', (v) => 100 * v),
      format: round,
    }),
    lineChart({
      title: t('chart.fd'),
      xLabel: t('chart.axis.K'),
      xLog2: true,
      series: seriesOf('fd', (v) => v),
      format: (v) => String(Math.round(v)),
    }),
    lineChart({ title: t('chart.s_per_image'), xLabel: t('chart.axis.K'), xLog2: true, series: time, format: round }),
  );
}

// ------------------------------------------------------------------------------------------------ mount
export async function mountImages(atnat, { loadModels }) {
  const line = document.getElementById('image-load');
  const names = Object.keys(MODELS);
  const infos = Object.fromEntries((await loadModels(names, line)).map((info, i) => [names[i], info]));
  const showLoaded = () => {
    line.textContent = Object.entries(infos)
      .map(([name, i]) => t('images.params', { name, k: (i.parameters / 1e3).toFixed(0) }))
      .join(' · ');
  };
  showLoaded();
  const curves = await fetch('data/curves.json')
    .then((r) => r.json())
    .then((j) => j.images)
    .catch(() => null);
  const charts = document.getElementById('images-charts');
  let sweep = null;
  imageCharts(charts, curves, sweep);

  const button = document.getElementById('image-generate');
  const stop = document.getElementById('image-stop');
  const sweepButton = document.getElementById('images-sweep');
  const errorLine = document.getElementById('image-error');
  const player = new Player(document.getElementById('image-player'));
  button.disabled = false;
  sweepButton.disabled = false;
  let runs = [];
  // What each panel last showed, so that a language switch can rewrite its words.
  const shown = { pixelcnn: null, pixnat: null };
  const value = (id) => document.getElementById(id).value;
  const className = () => t(`images.class.${value('image-class')}`);

  function label(name) {
    const s = shown[name];
    const canvas = document.getElementById(`${name}-canvas`);
    const counter = document.getElementById(`${name}-counter`);
    const stats = document.getElementById(`${name}-stats`);
    const seeing = document.getElementById(`${name}-seeing`);
    if (!s) {
      canvas.setAttribute('aria-label', t('images.canvas', { model: name, cls: className(), painted: 0, total: 784 }));
      return;
    }
    counter.textContent = t('images.counter', { painted: s.painted, total: s.total });
    canvas.setAttribute(
      'aria-label',
      s.count > 1
        ? t('images.canvas.grid', { model: name, cls: s.cls(), n: s.count })
        : t('images.canvas', { model: name, cls: s.cls(), painted: s.painted, total: s.total }),
    );
    if (s.results) {
      setStats(stats, statRows(name, s.results, s.wall));
      seeing.textContent = seeingText(name, s.results);
    } else if (s.stopped) {
      setStats(stats, []);
      seeing.textContent = t('note.stopped');
    }
  }
  for (const name of Object.keys(MODELS)) label(name);
  document.addEventListener('atnat:language', () => {
    showLoaded();
    for (const name of Object.keys(MODELS)) label(name);
    imageCharts(charts, curves, sweep);
  });

  document.getElementById('image-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const seedBox = document.getElementById('image-seed');
    const stepsBox = document.getElementById('image-steps');
    for (const box of [seedBox, stepsBox]) {
      const x = Number(box.value);
      if (box.value.trim() === '' || !Number.isInteger(x) || x < Number(box.min) || x > Number(box.max)) {
        const name = document.querySelector(`label[for="${box.id}"]`).textContent;
        showMessage(errorLine, t('err.range', { name, min: box.min, max: box.max }));
        box.focus();
        return;
      }
    }
    showMessage(errorLine, '');
    const view = value('image-view');
    const count = view === 'grid' ? 16 : 1;
    const base = { class: Number(value('image-class')), seed: Number(seedBox.value) };
    const requests = {
      pixelcnn: { ...base, method: value('image-method') },
      pixnat: { ...base, steps: Number(stepsBox.value) },
    };
    const cls = value('image-class');
    button.disabled = true;
    sweepButton.disabled = true;
    stop.disabled = false;
    runs = [];
    player.start(view === 'step' ? 'step' : 'live');
    stop.onclick = () => {
      runs.forEach((r) => r.cancel());
      player.flush();
    };

    // Both generators run at once (the worker interleaves their steps); each paints its own canvas.
    const paintBoth = Object.keys(MODELS).map(async (name) => {
      const canvas = document.getElementById(`${name}-canvas`);
      const stats = document.getElementById(`${name}-stats`);
      const { levels, width: size } = infos[name];
      const total = size * size;
      const started = performance.now();
      const results = [];
      const s = { painted: 0, total, count, cls: () => t(`images.class.${cls}`) };
      shown[name] = s;
      stats.replaceChildren();
      document.getElementById(`${name}-seeing`).textContent = '';
      canvas.dataset.done = 'false';
      const track = player.track(STEP_PLAY_MS[name]);
      const images = Array.from({ length: count }, () => new Uint8Array(total).fill(levels));
      const showCount = (painted) => {
        s.painted = painted;
        label(name);
      };
      showCount(0);
      draw(canvas, images, levels, size);
      for (let n = 0; n < count; n++) {
        const run = atnat.run(
          'paint',
          {
            model: MODELS[name],
            ...requests[name],
            seed: base.seed + n,
            delay_ms: view === 'watch' ? WATCH_DELAY_MS[name] : 0,
          },
          {
            onEvent: (e) => {
              if (view === 'fast' || view === 'grid' || e.type === 'result') return;
              if (view === 'step' && e.type === 'rows' && !e.row_end) return; // naive PixelCNN: a step is a row
              track.push(() => {
                const frame = watchedFrame(e, images[n], levels);
                images[n] = frame.image;
                showCount(frame.painted);
                draw(canvas, images, levels, size, frame.marked);
              });
            },
          },
        );
        runs.push(run);
        const result = await run.result;
        await track.drain();
        if (result?.type !== 'result') {
          s.stopped = true;
          label(name);
          return;
        }
        images[n] = result.image;
        results.push(result);
        showCount(total);
        draw(canvas, images, levels, size);
      }
      s.results = results;
      s.wall = performance.now() - started;
      label(name);
      canvas.dataset.done = 'true';
    });
    try {
      await Promise.all(paintBoth);
    } catch (error) {
      showMessage(errorLine, t('err.engine', { message: error.message }));
    } finally {
      player.end();
      button.disabled = false;
      sweepButton.disabled = false;
      stop.disabled = true;
    }
  });

  // Times pixnat for each K on this browser (the committed quality needs the classifier: not run here).
  sweepButton.addEventListener('click', async () => {
    button.disabled = true;
    sweepButton.disabled = true;
    const state = document.getElementById('images-sweep-state');
    const rows = [];
    try {
      for (const K of [1, 2, 4, 8, 16]) {
        state.textContent = t('chart.sweep.running', { value: `K = ${K}` });
        const result = await atnat.run('paint', {
          model: MODELS.pixnat,
          class: Number(value('image-class')),
          seed: Number(value('image-seed')) || 0,
          steps: K,
        }).result;
        rows.push({ K, ms: result.ms });
        sweep = rows.slice();
        imageCharts(charts, curves, sweep);
      }
      state.textContent = t('chart.sweep.done');
      charts.dataset.sweep = 'done';
    } catch (error) {
      state.textContent = t('err.engine', { message: error.message });
    } finally {
      button.disabled = false;
      sweepButton.disabled = false;
    }
  });
}
