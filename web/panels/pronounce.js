// The Pronounce playground: one word through the g2p model's shared encoder and its two decoders, side by side.
// AT writes one phoneme per pass (greedy, beam search or sampling); NAT reads the length from the encoder and
// fills every phoneme at once, then re-predicts the least sure in T mask-predict passes (shown as the poems'
// passes are). Each panel shows ARPAbet and IPA, log-probability, passes and time, every candidate, and the
// cross-attention map (phonemes × letters) of any layer and head or their mean, with its diagonality.
import { el, setStats, formatMs, showMessage, checkNumbers } from './ui.js';
import { t } from '../i18n/index.js';
import { Player } from './player.js';
import { heatmap } from './chart.js';
import { passEntry, passItem, relabelPasses, lengthBars } from './passes.js';
import { spell } from './input.js';

const MODEL = 'g2p';
const SLOW_MS = 300; // slow motion: each decoder pass on screen this long
const $ = (id) => document.getElementById(id);

// The word as the model takes it: surrounding spaces dropped, a typographic apostrophe (phone keyboards) made '.
export function cleanWord(text) {
  return text.trim().replace(/[‘’]/g, "'");
}

// The page's own check of a word, so that the message is in the page's language (the core checks again):
// null, or the message.
export function wordProblem(word, maxLetters) {
  if (!word) return t('pron.err.empty');
  const bad = [...new Set([...word].filter((ch) => !/^[a-zA-Z']$/.test(ch)))];
  if (bad.length) return t('pron.err.chars', { chars: bad.map(spell).join(' ') });
  if (word.length > maxLetters) return t('pron.err.too_long', { n: word.length, max: maxLetters });
  return null;
}

function readRequests(word) {
  const strategy = $('pron-strategy').value;
  const at = { word, strategy };
  if (strategy === 'beam') at.beam = Number($('pron-beam').value);
  if (strategy === 'sample')
    Object.assign(at, { temperature: Number($('pron-temperature').value), seed: Number($('pron-seed').value) });
  const nat = {
    word,
    strategy: 'nat',
    iterations: Number($('pron-iterations').value),
    length_beam: Number($('pron-length-beam').value),
  };
  return { at, nat };
}

// ------------------------------------------------------------------------------------------------ drawing
const shownPhoneme = (text) => (text === '<eos>' ? 'END' : text);

// A phoneme as a span tinted by its probability (style.css .tok), as the poems' characters are.
function phonemeSpan(text, p) {
  const span = el('span', { class: 'tok', text });
  span.style.setProperty('--p', p.toFixed(3));
  return span;
}

function showPhonemes(output, spans) {
  output.replaceChildren(...spans.flatMap((s, i) => (i ? [' ', s] : [s])));
}

// The phonemes after a NAT pass: what this pass predicted is marked "fresh", what it changed "changed".
function passSpans(event, previous) {
  const predicted = new Set(event.masked);
  return event.slots.map((slot, i) => {
    const span = phonemeSpan(slot, event.confidence[i]);
    if (previous && predicted.has(i)) span.classList.add('fresh');
    if (previous && predicted.has(i) && previous[i] !== slot) span.classList.add('changed');
    return span;
  });
}

// The map chosen in #pron-map ("mean", or "layer.head") of a result's attention: { values, diagonality, name }.
function chosenMap(attention, choice) {
  if (choice === 'mean' || !choice) {
    return {
      values: attention.mean,
      diagonality: attention.diagonality,
      name: t('pron.map.mean', { n: attention.layers * attention.heads }),
    };
  }
  const [layer, head] = choice.split('.').map(Number);
  const size = attention.rows * attention.cols;
  const index = layer * attention.heads + head;
  return {
    values: attention.weights.slice(index * size, (index + 1) * size),
    diagonality: attention.head_diagonality[index],
    name: t('pron.map.head', { layer: layer + 1, head: head + 1 }),
  };
}

function drawHeat(container, attention) {
  const map = chosenMap(attention, $('pron-map').value);
  container.replaceChildren(
    heatmap({
      title: t('pron.map.title', { name: map.name, d: map.diagonality.toFixed(2) }),
      rowLabels: attention.row_labels.map(shownPhoneme),
      colLabels: attention.col_labels,
      values: map.values,
    }),
  );
  container.dataset.diagonality = map.diagonality.toFixed(3);
}

function candidateLine(c, nat) {
  const facts = {
    arpabet: c.arpabet,
    ipa: c.ipa,
    score: c.score.toFixed(2),
    logprob: c.logprob.toFixed(2),
    length: c.arpabet.split(' ').length,
  };
  return nat ? t('pron.candidate.nat', facts) : t(c.finished ? 'pron.candidate' : 'pron.candidate.unfinished', facts);
}

// ------------------------------------------------------------------------------------------------ panels
class Side {
  constructor(side) {
    this.side = side;
    this.node = $(`pron-${side}-panel`);
    this.output = $(`pron-${side}-output`);
    this.ipa = $(`pron-${side}-ipa`);
    this.candidates = $(`pron-${side}-candidates`);
    this.heat = $(`pron-${side}-heat`);
    this.seeingLine = $(`pron-${side}-seeing`);
    this.stats = $(`pron-${side}-stats`);
    this.state = null;
  }

  clear(status) {
    this.node.dataset.state = status;
    for (const node of [this.output, this.ipa, this.heat, this.candidates.querySelector('ol'), this.stats])
      node.replaceChildren();
    this.seeingLine.textContent = '';
    this.candidates.hidden = true;
    delete this.output.dataset.done;
    if (this.side === 'nat') {
      $('pron-nat-passes').replaceChildren();
      $('pron-nat-lengths').hidden = true;
    }
    this.state = { passes: [] };
  }

  // Draws what arrives while the decoder runs.
  onEvent(e) {
    if (e.type === 'token' && e.text !== '<eos>') {
      if (this.output.childNodes.length) this.output.append(' ');
      this.output.append(phonemeSpan(e.text, e.prob));
    }
    if (e.type === 'beam') this.output.textContent = e.arpabet;
    if (e.type === 'length') lengthBars($('pron-nat-lengths'), e.candidates);
    if (e.type === 'pass') {
      const previous = this.state.previous?.get(e.length) ?? null;
      showPhonemes(this.output, passSpans(e, previous));
      this.state.shownLength = e.length;
      const entry = passEntry(e, previous);
      this.state.passes.push(entry);
      $('pron-nat-passes').append(passItem(entry, e.slots.join(' '), 'en'));
      (this.state.previous ??= new Map()).set(e.length, e.slots);
    }
  }

  done(result, request) {
    this.state.result = result;
    this.state.request = request;
    // NAT's last pass on screen may belong to another length of the length beam than the one that won.
    if (result.strategy !== 'nat' || this.state.shownLength !== result.length) {
      const tokens = result.tokens.filter((tok) => tok.text !== '<eos>');
      showPhonemes(
        this.output,
        tokens.map((tok) => phonemeSpan(tok.text, tok.prob)),
      );
    }
    this.ipa.textContent = `/${result.ipa}/`;
    const list = result.candidates.map((c) => el('li', { text: candidateLine(c, result.strategy === 'nat') }));
    this.candidates.querySelector('ol').replaceChildren(...list);
    this.candidates.hidden = list.length < 2;
    this.node.dataset.state = 'done';
    this.output.dataset.done = 'true';
    this.relabel();
  }

  stopped() {
    this.state.note = 'note.stopped';
    this.node.dataset.state = 'done';
    this.relabel();
  }

  fail(message) {
    this.state.error = message;
    this.node.dataset.state = 'done';
    this.output.dataset.done = 'error';
    this.relabel();
  }

  relabel() {
    const s = this.state;
    if (!s) return;
    if (this.side === 'nat') relabelPasses($('pron-nat-passes'), s.passes);
    if (s.error)
      this.output.replaceChildren(
        el('span', { class: 'error', role: 'alert', text: t('err.engine', { message: s.error }) }),
      );
    if (s.note) this.seeingLine.textContent = t(s.note);
    const r = s.result;
    if (!r) return;
    const rows = [
      { key: 'pron_passes', value: r.passes },
      { key: 'model_calls', value: r.forward_passes },
      { key: 'time', value: formatMs(r.ms) },
      { key: 'logprob', value: r.logprob.toFixed(3) },
      { key: 'diagonality', value: r.attention.diagonality.toFixed(2) },
    ];
    if (r.strategy === 'nat') rows.splice(2, 0, { key: 'length', value: r.length });
    setStats(this.stats, rows);
    this.seeingLine.textContent = seeing(r, s.request);
    [...this.candidates.querySelectorAll('li')].forEach((li, i) => {
      li.textContent = candidateLine(r.candidates[i], r.strategy === 'nat');
    });
    drawHeat(this.heat, r.attention);
  }
}

// The "what you are seeing" sentences of a finished panel.
function seeing(r, request) {
  const phonemes = r.phonemes.length;
  if (r.strategy === 'nat') {
    const facts = { length: r.length, passes: r.passes };
    return r.passes <= 1 ? t('pron.seeing.nat.one_pass', facts) : t('pron.seeing.nat', facts);
  }
  const parts = [t('pron.seeing.at', { phonemes, passes: r.passes })];
  if (r.strategy === 'beam') parts.push(t('pron.seeing.beam', { beam: request.beam, n: r.candidates.length }));
  if (r.strategy === 'sample') parts.push(t('pron.seeing.sample', { temperature: request.temperature }));
  return parts.join(t('sentence.gap'));
}

// ------------------------------------------------------------------------------------------------ learn
function learn(figures) {
  const exposure = $('pron-exposure');
  const body = $('pron-table').querySelector('tbody');
  if (!figures) {
    exposure.textContent = t('learn.pron.exposure', {});
    $('pron-table-note').textContent = t('chart.unavailable');
    return;
  }
  const e = figures.exposure_bias;
  exposure.textContent = t('learn.pron.exposure', {
    forced: e.teacher_forced_accuracy,
    free: e.free_running_accuracy,
    positions: e.positions,
  });
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  body.replaceChildren(
    ...figures.decoders.map((d) =>
      el(
        'tr',
        {},
        el('td', { text: d.decoder }),
        el('td', { text: pct(d.wer) }),
        el('td', { text: pct(d.per) }),
        el('td', { text: d.passes_per_word.toFixed(2) }),
        el('td', { text: d.ms_per_word.toFixed(1) }),
      ),
    ),
  );
  $('pron-table-note').textContent = t('learn.pron.table.note', { words: figures.words });
}

// ------------------------------------------------------------------------------------------------ mount
export async function mountPronounce(atnat, { loadModels, urlState }) {
  const line = $('pron-load');
  const [info] = await loadModels([MODEL], line);
  const word = $('pron-word');
  word.maxLength = info.max_letters;

  const mapSelect = $('pron-map');
  const mapOptions = () => {
    const value = mapSelect.value;
    const heads = [];
    for (let l = 0; l < info.layers; l++) {
      for (let h = 0; h < info.heads; h++)
        heads.push(el('option', { value: `${l}.${h}`, text: t('pron.map.head', { layer: l + 1, head: h + 1 }) }));
    }
    mapSelect.replaceChildren(
      el('option', { value: 'mean', text: t('pron.map.mean', { n: info.layers * info.heads }) }),
      ...heads,
    );
    mapSelect.value = value || 'mean';
  };
  mapOptions();
  urlState?.optionsReady(mapSelect);

  const showControls = () => {
    const strategy = $('pron-strategy').value;
    for (const field of document.querySelectorAll('#pron-form [data-for]'))
      field.hidden = !field.dataset.for.split(' ').includes(strategy);
  };
  $('pron-strategy').addEventListener('change', showControls);
  showControls();

  const sides = { at: new Side('at'), nat: new Side('nat') };
  const player = new Player($('pron-player'));
  const errorLine = $('pron-error');
  const verdict = $('pron-verdict');
  const figures = await fetch('data/curves.json')
    .then((r) => r.json())
    .then((j) => j.pronounce)
    .catch(() => null);
  let answers = null; // { at, nat } of the last run, for the verdict line
  const showVerdict = () => {
    verdict.textContent = answers
      ? t(answers.at === answers.nat ? 'pron.verdict.same' : 'pron.verdict.differ', answers)
      : '';
  };
  learn(figures);
  mapSelect.addEventListener('change', () => {
    for (const side of Object.values(sides)) if (side.state?.result) drawHeat(side.heat, side.state.result.attention);
  });
  document.addEventListener('atnat:language', () => {
    mapOptions();
    for (const side of Object.values(sides)) side.relabel();
    showVerdict();
    learn(figures);
  });

  const go = $('pron-go');
  const stop = $('pron-stop');
  let busy = false;

  async function runSide(side, request, runs) {
    const track = player.track(SLOW_MS);
    const run = atnat.run(
      'pronounce',
      { model: MODEL, ...request },
      { onEvent: (e) => track.push(() => side.onEvent(e)) },
    );
    runs.push(run);
    try {
      const result = await run.result;
      await track.drain();
      if (result?.type === 'cancelled') side.stopped();
      else side.done(result, request);
      return result;
    } catch (error) {
      await track.drain();
      side.fail(error.message);
      return null;
    }
  }

  $('pron-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    const numbers = checkNumbers($('pron-form')); // (it focuses the box it refuses)
    const cleaned = cleanWord(word.value);
    if (cleaned !== word.value) {
      word.value = cleaned;
      word.dispatchEvent(new Event('input')); // the URL follows
    }
    const problem = numbers ?? wordProblem(cleaned, info.max_letters);
    answers = null;
    showVerdict();
    showMessage(errorLine, problem);
    if (problem) {
      for (const side of Object.values(sides)) side.clear('idle');
      return;
    }
    busy = true;
    go.disabled = true;
    stop.disabled = false;
    const runs = [];
    player.start($('pron-speed').value);
    stop.onclick = () => {
      runs.forEach((r) => r.cancel());
      player.flush();
    };
    const requests = readRequests(cleaned);
    try {
      for (const side of Object.values(sides)) side.clear('running');
      const [at, nat] = await Promise.all([
        runSide(sides.at, requests.at, runs),
        runSide(sides.nat, requests.nat, runs),
      ]);
      if (at?.arpabet !== undefined && nat?.arpabet !== undefined) {
        answers = { word: cleaned.toLowerCase(), at: at.arpabet, nat: nat.arpabet };
        showVerdict();
      }
    } finally {
      player.end();
      busy = false;
      go.disabled = false;
      stop.disabled = true;
    }
  });

  for (const example of $('pron-examples').querySelectorAll('button')) {
    example.addEventListener('click', () => {
      word.value = example.textContent;
      word.dispatchEvent(new Event('input'));
      $('pron-form').requestSubmit();
    });
  }
  go.disabled = false;
}
