// What a visitor types, made into what the poets read: traditional characters become simplified ones (a
// character table built from OpenCC's data at build time: dist/data/t2s.json), punctuation becomes the two marks
// the models know (，。), spaces go. Every change is reported so the page can say what it did. Characters that
// are still unknown are found by the engine (the AT model's tokenizer), not guessed here.
// The functions are pure (no DOM), so node tests import them.

// Punctuation a person may type -> the poem's two marks (a comma inside a couplet, a full stop after it).
const PUNCTUATION = new Map([
  [',', '，'],
  ['、', '，'],
  [';', '，'],
  ['；', '，'],
  [':', '，'],
  ['：', '，'],
  ['﹐', '，'],
  ['.', '。'],
  ['!', '。'],
  ['?', '。'],
  ['！', '。'],
  ['？', '。'],
  ['｡', '。'],
  ['．', '。'],
]);
const SPACES = /^[\s\u3000]$/u;
export const BLANK_MARKS = '_＿□';

// "長长風风…" -> Map{長 => 长, 風 => 风}
export function parsePairs(pairs) {
  const cps = [...pairs];
  const table = new Map();
  for (let i = 0; i + 1 < cps.length; i += 2) table.set(cps[i], cps[i + 1]);
  return table;
}

// -> { text, changes: [[from, to], ...] } (each distinct change once, in order; to = '' for a removed space).
// keepNewlines: the fill-in-the-blank poem keeps its line breaks.
export function normalise(text, table, { keepNewlines = false } = {}) {
  const out = [];
  const changes = [];
  const note = (from, to) => {
    if (!changes.some(([f]) => f === from)) changes.push([from, to]);
  };
  for (const cp of text.replace(/\r/g, '')) {
    if (cp === '\n' && keepNewlines) {
      out.push(cp);
      continue;
    }
    if (SPACES.test(cp)) {
      if (cp !== '\n') note(cp, '');
      continue;
    }
    const mapped = PUNCTUATION.get(cp) ?? table?.get(cp) ?? cp;
    if (mapped !== cp) note(cp, mapped);
    out.push(mapped);
  }
  return { text: out.join(''), changes };
}

// The characters to ask the tokenizer about: everything but blank marks and line breaks.
export function probeText(text) {
  return [...text].filter((cp) => cp !== '\n' && !BLANK_MARKS.includes(cp)).join('');
}

// How a character is named in a message: 😀 as itself, invisible or control ones as U+XXXX.
export function spell(cp) {
  const code = cp.codePointAt(0);
  const visible = /[\p{L}\p{N}\p{P}\p{S}]/u.test(cp);
  return visible ? `“${cp}”` : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

// Tokens in a poem of each regular form ("c5，c5。\n" per couplet, the last without "\n"); free: the models'
// longest (poet-nat writes at most 120 tokens, the training poems at most 110).
const FORM_TOKENS = { 'wuyan-jueju': 25, 'wuyan-lvshi': 51, 'qiyan-jueju': 33, 'qiyan-lvshi': 67 };
const FORM_LINES = { 'wuyan-jueju': 4, 'wuyan-lvshi': 8, 'qiyan-jueju': 4, 'qiyan-lvshi': 8 };
export const FREE_MAX_TOKENS = 110;
export const BLANK_MAX_TOKENS = 120;

export function formTokens(form) {
  return FORM_TOKENS[form] ?? FREE_MAX_TOKENS;
}

export function formLines(form) {
  return FORM_LINES[form] ?? 0;
}

// Characters per line of a regular form (五言 5, 七言 7); 0 for the free form.
export function charsPerLine(form) {
  return { wuyan: 5, qiyan: 7 }[form.split('-')[0]] ?? 0;
}

// The longest prompt a form leaves room for: at least one token must be left to write.
export function maxPromptTokens(form) {
  return formTokens(form) - 1;
}
