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

// Loads a model into the worker, showing progress in `line`; resolves with the model's info.
export async function loadModel(atnat, name, line) {
  line.textContent = t('common.loading', { name });
  const info = await atnat.load(name, weightsUrl(name), {
    onProgress: (loaded, total) => {
      line.textContent = t('common.progress', {
        name,
        mb: (loaded / 1e6).toFixed(1),
        total: total ? (total / 1e6).toFixed(1) : '',
      });
    },
  });
  line.textContent = t('common.loaded', {
    name,
    millions: (info.parameters / 1e6).toFixed(2),
    mb: (info.bytes / 1e6).toFixed(1),
  });
  return info;
}
