// The NAT passes as the page shows them, for poems and phonemes alike: one list item per mask-predict pass (how
// many positions it predicted, how many of those it changed, then its output), and the predicted lengths as bars.
import { el, formatPct } from './ui.js';
import { t } from '../i18n/index.js';

// What one pass event did: { pass, predicted, changed, first }. previous: the same length candidate's slots
// after its last pass (a length beam interleaves candidates), null before its first pass.
export function passEntry(event, previous) {
  const changed = previous ? event.masked.filter((i) => previous[i] !== event.slots[i]).length : event.masked.length;
  return { pass: event.pass, predicted: event.masked.length, changed, first: !previous };
}

const passLabel = (entry) => (entry.first ? t('nat.pass_first', entry) : t('nat.pass', entry));

// A list item: the pass's label, then its output (in language `lang`).
export function passItem(entry, text, lang) {
  return el('li', {}, el('span', { text: passLabel(entry) }), el('br'), el('span', { lang, text }));
}

// Rewrites the labels of a list of passItems after a language switch.
export function relabelPasses(list, entries) {
  entries.forEach((entry, i) => {
    if (list.children[i]) list.children[i].firstChild.textContent = passLabel(entry);
  });
}

// The five most probable lengths as bars in `figure` (its <div>), each as wide as its share of those five.
export function lengthBars(figure, candidates) {
  const top = candidates.slice(0, 5);
  const total = top.reduce((s, c) => s + Math.exp(c.logprob), 0);
  figure.querySelector('div').replaceChildren(
    ...top.map((c) => {
      const p = Math.exp(c.logprob);
      const bar = el(
        'div',
        { class: 'bar', 'aria-label': `L = ${c.length}: ${formatPct(p)}` },
        el('span', { text: String(c.length) }),
        el('span'),
      );
      bar.lastChild.style.width = `${Math.max(2, (100 * p) / total)}%`;
      return bar;
    }),
  );
  figure.hidden = false;
}
