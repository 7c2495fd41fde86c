// Small DOM helpers shared by the panels.
import { t } from '../i18n/index.js';
import { helpButton } from './help.js';

// el('span', { class: 'x', text: 'hi', lang: 'zh' }, ...children)
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

// Fills a <dl> with metric rows: { key, value, cls? }. The label is the catalogue's "metric.KEY", with an ⓘ
// for "help.metric.KEY"; dt and dd carry data-key=KEY (the tests read them so).
export function setStats(dl, rows) {
  dl.replaceChildren(
    ...rows.flatMap(({ key, value, cls }) => {
      const dt = el(
        'dt',
        { 'data-key': key },
        el('span', { text: t(`metric.${key}`) }),
        helpButton(`metric.${key}`, () => t(`metric.${key}`)),
      );
      const dd = el('dd', { 'data-key': key, text: String(value) });
      if (cls) dd.className = cls;
      return [dt, dd];
    }),
  );
}

export function formatMs(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

export function formatPct(x) {
  return `${(100 * x).toFixed(1)}%`;
}

// Every visible, enabled number box of `form` holds a value inside [min, max] (an integer where step="1"); else
// focuses the first that does not and returns the message saying so.
export function checkNumbers(form) {
  for (const input of form.querySelectorAll('input[type="number"]')) {
    if (input.closest('[hidden]') || input.disabled) continue;
    const x = Number(input.value);
    const integer = input.step === '1';
    if (
      input.value.trim() === '' ||
      !Number.isFinite(x) ||
      x < Number(input.min) ||
      x > Number(input.max) ||
      (integer && !Number.isInteger(x))
    ) {
      const name = document.querySelector(`label[for="${input.id}"]`).textContent;
      input.focus();
      return t('err.range', { name, min: input.min, max: input.max });
    }
  }
  return null;
}

// Shows or hides a message paragraph (errors, notices).
export function showMessage(node, text) {
  node.textContent = text ?? '';
  node.hidden = !text;
}

// Models whose int8 weights the page loads (model-int8.safetensors: a quarter of the bytes, faster decoding; the
// quality loss is measured in the models' cards). `?weights=f32` in the page's URL loads every model's f32 file.
const INT8_MODELS = new Set(['poet-at', 'poet-nat', 'g2p']);

export function weightsUrl(name, search = globalThis.location?.search ?? '') {
  const int8 = INT8_MODELS.has(name) && new URLSearchParams(search).get('weights') !== 'f32';
  return `models/${name}/${int8 ? 'model-int8' : 'model'}.safetensors`;
}

// dist/models/manifest.json (scripts/build.sh): each file weightsUrl names -> { url: its content-hashed name, bytes }.
let manifest = null;
function modelFiles() {
  manifest ??= fetch('models/manifest.json').then((response) => {
    if (!response.ok) throw new Error(`atnat: could not load models/manifest.json: HTTP ${response.status}`);
    return response.json();
  });
  return manifest;
}

// Loads models into the worker at once, under one progress bar in `line` (the bytes of all of them; a model kept
// in this browser's cache counts at once); resolves with their infos, in order.
export async function loadModels(atnat, names, line) {
  const files = await modelFiles();
  const entries = names.map((name) => files[weightsUrl(name)]);
  const total = entries.reduce((sum, e) => sum + e.bytes, 0);
  const loaded = names.map(() => 0);
  const note = el('span');
  const bar = el('progress', { max: String(total), value: '0' });
  line.replaceChildren(note, ' ', bar);
  const show = () => {
    const bytes = loaded.reduce((a, b) => a + b, 0);
    bar.value = bytes;
    const mb = (bytes / 1e6).toFixed(1);
    note.textContent = t('common.progress', { name: names.join(', '), mb, total: (total / 1e6).toFixed(1) });
  };
  show();
  const infos = await Promise.all(
    names.map((name, i) =>
      atnat.load(name, entries[i].url, {
        onProgress: (bytes) => {
          loaded[i] = bytes;
          show();
        },
      }),
    ),
  );
  const summary = (info, i) => {
    const millions = (info.parameters / 1e6).toFixed(2);
    return t('common.loaded', { name: names[i], millions, mb: (info.bytes / 1e6).toFixed(1) });
  };
  line.textContent = infos.map(summary).join(' · ');
  document.dispatchEvent(new Event('atnat:models')); // the Engine tab shows what the cache now holds
  return infos;
}
