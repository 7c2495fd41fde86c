// The page's two languages: one catalogue each (zh.js, en.js), the current language, and translate(), which
// fills every element that names its text with data-i18n="key" (and its aria-label with data-i18n-label).
// Changing the language dispatches 'atnat:language' on document so that panels redraw what they built.
import en from './en.js';
import zh from './zh.js';

export const CATALOGUES = { zh, en };
export const LANGUAGES = Object.keys(CATALOGUES);
const STORAGE_KEY = 'atnat.lang';

let current = 'en';

// The language to start in: ?lang= in the URL, then the visitor's earlier choice, then the first of the
// browser's preferred languages that is Chinese or English (zh-TW, zh-HK and zh-Hant included: the poets write
// simplified Chinese, and a Chinese reader reads it), else English.
export function pickLanguage({ query = null, stored = null, preferred = [] } = {}) {
  for (const choice of [query, stored]) if (LANGUAGES.includes(choice)) return choice;
  for (const tag of preferred) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

export function language() {
  return current;
}

// The catalogue's text for key (a function value is called with params). A missing key is a bug: it is
// reported on the console (the browser tests fail on console errors) and shown as the key.
export function t(key, params = {}) {
  const value = CATALOGUES[current][key] ?? CATALOGUES.en[key];
  if (value === undefined) {
    console.error(`atnat i18n: no text for "${key}"`);
    return key;
  }
  return typeof value === 'function' ? value(params) : value;
}

export function has(key) {
  return key in CATALOGUES[current];
}

export function translate(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-label]'))
    node.setAttribute('aria-label', t(node.dataset.i18nLabel));
}

function storedChoice() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage may be disabled
  }
}

export function setLanguage(code, { remember = true } = {}) {
  if (!LANGUAGES.includes(code)) return;
  current = code;
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, code);
    } catch {
      /* not remembered: fine */
    }
  }
  document.documentElement.lang = code;
  translate(document);
  for (const button of document.querySelectorAll('[data-lang]')) {
    button.setAttribute('aria-pressed', String(button.dataset.lang === code));
  }
  document.dispatchEvent(new CustomEvent('atnat:language', { detail: { language: code } }));
}

// Picks the starting language, wires the switch buttons and translates the page.
export function startLanguage() {
  const query = new URLSearchParams(location.search).get('lang');
  const code = pickLanguage({ query, stored: storedChoice(), preferred: navigator.languages ?? [navigator.language] });
  for (const button of document.querySelectorAll('[data-lang]')) {
    button.addEventListener('click', () => setLanguage(button.dataset.lang));
  }
  setLanguage(code, { remember: false });
}
