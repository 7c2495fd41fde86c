// A small line chart drawn as SVG with DOM calls (no library, no inline style: colours and dashes come from
// style.css classes s0..s3 and ref). One chart = one metric against the passes (T or K), several series.
//
//   lineChart({ title, xLabel, xLog2, series: [{ name, cls, points: [{ x, y }] }], refs: [{ name, y }], format })
// returns a <figure> whose <svg> is role="img" with an aria-label listing every point, and a legend.
//
//   heatmap({ title, rowLabels, colLabels, values })
// an attention map: rows × cols cells (values row-major, each in 0..1) drawn as squares whose opacity is the
// value, the colour that of the enclosing panel (style.css .heatmap); the aria-label names each row's largest cell.
const SVG = 'http://www.w3.org/2000/svg';
const W = 320;
const H = 190;
const M = { left: 46, right: 12, top: 12, bottom: 36 };

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// About four round tick values covering [lo, hi].
export function niceTicks(lo, hi, count = 4) {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  const start = Math.floor(lo / step) * step;
  const ticks = [];
  for (let v = start; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks.at(-1) < hi) ticks.push(Number((ticks.at(-1) + step).toPrecision(12)));
  return ticks;
}

export function lineChart({ title, xLabel, xLog2 = false, series, refs = [], format = (y) => String(y), zero = true }) {
  const points = series.flatMap((s) => s.points);
  const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
  const ys = [...points.map((p) => p.y), ...refs.map((r) => r.y)].filter(Number.isFinite);
  const yTicks = niceTicks(zero ? Math.min(0, ...ys) : Math.min(...ys), Math.max(...ys));
  const [y0, y1] = [yTicks[0], yTicks.at(-1)];
  const fx = xLog2 ? Math.log2 : (x) => x;
  const [x0, x1] = [fx(xs[0]), fx(xs.at(-1))];
  const px = (x) => M.left + ((fx(x) - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const py = (y) => H - M.bottom - ((y - y0) / (y1 - y0 || 1)) * (H - M.top - M.bottom);

  const summary = [
    ...series.map((s) => `${s.name}: ${s.points.map((p) => `${p.x} → ${format(p.y)}`).join(', ')}`),
    ...refs.map((r) => `${r.name}: ${format(r.y)}`),
  ].join('; ');
  const chart = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart',
    role: 'img',
    'aria-label': `${title}. ${summary}`,
  });
  chart.append(svg('title', {}, title));
  for (const y of yTicks) {
    chart.append(svg('line', { x1: M.left, x2: W - M.right, y1: py(y), y2: py(y), class: 'grid' }));
    chart.append(svg('text', { x: M.left - 6, y: py(y) + 4, class: 'tick', 'text-anchor': 'end' }, format(y)));
  }
  for (const x of xs) {
    chart.append(svg('text', { x: px(x), y: H - M.bottom + 16, class: 'tick', 'text-anchor': 'middle' }, String(x)));
  }
  chart.append(svg('line', { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: 'axis' }));
  chart.append(
    svg('text', { x: (M.left + W - M.right) / 2, y: H - 4, class: 'axis-label', 'text-anchor': 'middle' }, xLabel),
  );
  for (const r of refs) {
    chart.append(svg('line', { x1: M.left, x2: W - M.right, y1: py(r.y), y2: py(r.y), class: 'ref' }));
  }
  series.forEach((s) => {
    const path = s.points.map((p, i) => `${i ? 'L' : 'M'}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
    chart.append(svg('path', { d: path, class: `line ${s.cls}` }));
    for (const p of s.points) chart.append(svg('circle', { cx: px(p.x), cy: py(p.y), r: 2.6, class: `dot ${s.cls}` }));
  });

  const legend = document.createElement('ul');
  legend.className = 'legend-list';
  for (const s of series) legend.append(legendItem(s.name, s.cls));
  for (const r of refs) legend.append(legendItem(r.name, 'ref'));
  const figure = document.createElement('figure');
  figure.className = 'chart-figure';
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  figure.append(caption, chart, legend);
  return figure;
}

function legendItem(name, cls) {
  const item = document.createElement('li');
  const swatch = svg('svg', { viewBox: '0 0 24 8', class: 'swatch', 'aria-hidden': 'true' });
  swatch.append(svg('line', { x1: 1, x2: 23, y1: 4, y2: 4, class: cls === 'ref' ? 'ref' : `line ${cls}` }));
  item.append(swatch, document.createTextNode(name));
  return item;
}

const CELL = 26;
const LABEL_CHAR = 7.5; // px per character of a row label

export function heatmap({ title, rowLabels, colLabels, values }) {
  const rows = rowLabels.length;
  const cols = colLabels.length;
  const left = 6 + LABEL_CHAR * Math.max(1, ...rowLabels.map((l) => l.length));
  const top = 18;
  const width = left + cols * CELL + 2;
  const height = top + rows * CELL + 2;
  const peaks = rowLabels.map((label, r) => {
    const row = values.slice(r * cols, (r + 1) * cols);
    const c = row.indexOf(Math.max(...row));
    return `${label} → ${colLabels[c]} ${row[c].toFixed(2)}`;
  });
  const map = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    class: 'heatmap',
    role: 'img',
    'aria-label': `${title}. ${peaks.join(', ')}`,
  });
  map.append(svg('title', {}, title));
  colLabels.forEach((label, c) => {
    map.append(svg('text', { x: left + (c + 0.5) * CELL, y: top - 5, class: 'tick', 'text-anchor': 'middle' }, label));
  });
  rowLabels.forEach((label, r) => {
    map.append(svg('text', { x: left - 4, y: top + (r + 0.5) * CELL + 4, class: 'tick', 'text-anchor': 'end' }, label));
    for (let c = 0; c < cols; c++) {
      map.append(
        svg('rect', {
          x: left + c * CELL,
          y: top + r * CELL,
          width: CELL - 1,
          height: CELL - 1,
          class: 'cell',
          'fill-opacity': values[r * cols + c].toFixed(3),
        }),
      );
    }
  });
  const figure = document.createElement('figure');
  figure.className = 'heatmap-figure';
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  figure.append(caption, map);
  return figure;
}
