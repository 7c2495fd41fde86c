// The Text playground: one request answered by the autoregressive poet-at (characters stream in one by one,
// tinted by probability, top-5 on tap, focus or hover) and the non-autoregressive poet-nat (the predicted length,
// then every position at once: masked positions ▢ fill pass by pass, what each pass changed is marked), side by
// side and at the same time, each with the same comparison metrics underneath (measured by the AT model), a
// "what you are seeing" line written from the result, and slow motion / single steps (player.js).
// Every run starts from clean panels; a panel the run does not use says so.
import { el, setStats, formatMs, formatPct, showMessage, checkNumbers } from './ui.js';
import { t } from '../i18n/index.js';
import { Player } from './player.js';
import { lineChart } from './chart.js';
import { passEntry, passItem, relabelPasses, lengthBars } from './passes.js';
import {
  normalise,
  parsePairs,
  probeText,
  spell,
  maxPromptTokens,
  formLines,
  charsPerLine,
  BLANK_MAX_TOKENS,
} from './input.js';

const AT_MODEL = 'poet-at';
const NAT_MODEL = 'poet-nat';
const LOW_CONFIDENCE = 0.2; // NAT characters below this probability get an outline

const $ = (id) => document.getElementById(id);

// The user's request for each poet. Free mode: the prompt. Acrostic and fill-in-the-blank: the poem request
// goes to NAT as it is, and the core plans it for AT (the 'plan' task: core/decode/poem_plan, the code that
// places NAT's given positions) into a prompt and forced tokens, so both honour the same constraints.
async function readRequests(atnat) {
  const mode = $('text-mode').value;
  const form = $('text-form-select').value;
  const strategy = $('text-strategy').value;
  const at = { form, strategy, repetition_penalty: Number($('text-rep').value) };
  const nat = {
    form,
    iterations: Number($('nat-iterations').value),
    length_beam: Number($('nat-length-beam').value),
    repetition_penalty: Number($('nat-rep').value),
    guidance: Number($('nat-guidance').value),
  };
  // AT's prompt and forced tokens for a poem request, planned by the core
  const planAt = async (poem) => {
    const { prompt, constraints } = await atnat.run('plan', { model: AT_MODEL, ...poem }).result;
    Object.assign(at, { prompt, constraints });
  };
  if ($('nat-picks').value === 'sample')
    Object.assign(nat, {
      decoding: 'sample',
      temperature: Number($('nat-temperature').value),
      seed: Number($('nat-seed').value),
    });
  const lengthChoice = $('nat-length').value;
  if (lengthChoice === 'eos') nat.mode = 'fixed';
  else nat.length = lengthChoice === 'predicted' ? 'auto' : 'form';
  if (strategy === 'sample') {
    Object.assign(at, {
      temperature: Number($('text-temperature').value),
      top_k: Number($('text-top-k').value),
      top_p: Number($('text-top-p').value),
      seed: Number($('text-seed').value),
    });
  }
  if (strategy === 'beam')
    Object.assign(at, { beam: Number($('text-beam').value), length_penalty: Number($('text-alpha').value) });

  if (mode === 'free') {
    at.prompt = $('text-prompt').value;
    nat.prompt = at.prompt;
    if (strategy === 'beam' && form !== 'free') {
      // Beam search maximises probability and would end a poem early or late: the form's plan (its
      // punctuation, line breaks and <eos>) constrains every beam.
      await planAt({ form, prompt: at.prompt, layout: true });
    }
    return { at, nat };
  }
  const poem =
    mode === 'acrostic' ? { form, acrostic: $('text-prompt').value } : { form, blank_text: $('text-blank').value };
  await planAt(poem);
  Object.assign(nat, poem);
  delete nat.length;
  if (mode === 'blank') {
    at.strategy = at.strategy === 'beam' ? 'greedy' : at.strategy; // AT writes up to the first blank freely
    delete nat.mode;
  }
  return { at, nat };
}

// ------------------------------------------------------------------------------------------------ controls
const REPETITIVE = 0.1; // a repetition rate from which a panel explains the multi-modality problem
const SLOW_MS = 300; // slow motion: each forward pass (a token, a NAT pass, a hybrid round) on screen this long

function showControls() {
  const strategy = $('text-strategy').value;
  for (const field of document.querySelectorAll('#text-form [data-for]')) {
    field.hidden = !field.dataset.for.split(' ').includes(strategy);
  }
  const picks = $('nat-picks').value;
  for (const field of document.querySelectorAll('#text-form [data-nat-for]'))
    field.hidden = field.dataset.natFor !== picks;
  const mode = $('text-mode').value;
  const form = $('text-form-select').value;
  $('text-blank-field').hidden = mode !== 'blank';
  $('text-prompt-field').hidden = mode === 'blank';
  const name = $('text-prompt-name');
  name.dataset.i18n = mode === 'acrostic' ? 'text.prompt.heads' : 'text.prompt';
  name.textContent = t(name.dataset.i18n);
  const info = $('text-prompt-field').querySelector('.info');
  if (info) info.dataset.helpKey = mode === 'acrostic' ? 'prompt.heads' : 'prompt';
  if (mode === 'acrostic' && $('text-prompt').value.length < 2) $('text-prompt').value = '春夏秋冬';
  // The limits the models take: a prompt leaves at least one token to write; an acrostic has one head per line.
  $('text-prompt').maxLength = mode === 'acrostic' ? Math.max(formLines(form), 1) : maxPromptTokens(form);
  // A free poem has no length from its form; a length beam needs a predicted length.
  const length = $('nat-length');
  const fromForm = length.querySelector('option[value="form"]');
  fromForm.disabled = form === 'free';
  if (form === 'free' && length.value === 'form') length.value = 'predicted';
  const beam = $('nat-length-beam');
  beam.disabled = length.value !== 'predicted' || mode !== 'free';
}

// ------------------------------------------------------------------------------------------------ the poem view
// A poem is laid out verse by verse: each verse (up to its ，or 。) is one unbreakable box, so a narrow screen
// wraps between verses, never inside one; "\n" ends a couplet.
function appendVerse(output, node, text) {
  if (text === '\n') {
    output.append(el('br'));
    return;
  }
  let verse = output.lastChild;
  const isVerse = verse instanceof HTMLElement && verse.classList.contains('verse');
  if (text.startsWith('<') && isVerse) {
    // END (an empty span) stays in the last verse
    verse.append(node);
    return;
  }
  if (!isVerse || verse.dataset.closed) {
    verse = el('span', { class: 'verse' });
    output.append(verse);
  }
  verse.append(node);
  if (text === '，' || text === '。') verse.dataset.closed = 'true';
}

function layOut(output, items) {
  output.replaceChildren();
  for (const [node, text] of items) appendVerse(output, node, text);
  rovingStart(output);
}

const plainChars = (text, cls) => [...text].map((ch) => [el('span', { class: cls, text: ch }), ch]);

// One AT token as a span: its tint's depth = 1 - probability; its record (top-5) kept for the inspector.
function tokenSpan(token) {
  const span = el('span', { class: 'tok', text: token.text.startsWith('<') ? '' : token.text, tabindex: '-1' });
  span.style.setProperty('--p', token.prob.toFixed(3));
  span.record = { kind: token.forced ? 'forced' : 'at', token };
  if (token.forced) span.classList.add('forced');
  return span;
}

// A NAT pass: every slot, masked ones as ▢; positions this pass predicted are marked "fresh", and those whose
// character differs from the previous pass "changed".
function passItems(event, previous) {
  const predicted = new Set(event.masked);
  const items = [];
  event.slots.forEach((slot, i) => {
    if (slot === '\n') {
      items.push([null, '\n']);
      return;
    }
    if (slot === '<eos>') return;
    if (slot === '<mask>') {
      items.push([el('span', { class: 'slot-masked', text: '▢' }), '▢']);
      return;
    }
    const p = event.confidence[i];
    const shown = slot.startsWith('<') ? '？' : slot; // a special token never shows as "<unk>"
    if (p === null) {
      items.push([el('span', { class: 'given', text: shown, tabindex: '-1' }), slot]);
      return;
    }
    const span = el('span', { class: 'tok', text: shown, tabindex: '-1' });
    span.style.setProperty('--p', p.toFixed(3));
    span.record = { kind: 'nat', p, text: shown };
    if (p < LOW_CONFIDENCE) span.classList.add('low');
    if (predicted.has(i) && previous) {
      span.classList.add('fresh');
      if (previous[i] !== slot) span.classList.add('changed');
    }
    items.push([span, slot]);
  });
  for (const [node] of items)
    if (node?.classList.contains('given')) node.record = { kind: 'given', text: node.textContent };
  return items;
}

// ------------------------------------------------------------------------------------------------ top-5 inspector
// The characters of a poem are one roving-tabindex group: Tab enters at one character, arrow keys move, and
// focus, a click, a tap or hovering shows that character's alternatives in the panel's inspector line.
function rovingStart(output) {
  const tokens = output.querySelectorAll('[tabindex]');
  if (tokens.length && !output.querySelector('[tabindex="0"]')) tokens[0].tabIndex = 0;
}

function describe(record) {
  const pct = (p) => formatPct(p);
  if (record.kind === 'at') {
    const { token } = record;
    const name = (text) => (text === '\n' ? t('inspector.newline') : text === '<eos>' ? 'END' : text);
    const top = (token.top ?? []).map((x) => `${name(x.text)} ${pct(x.prob)}`).join(' · ');
    return t('inspector.at', { text: name(token.text), p: pct(token.prob), top });
  }
  if (record.kind === 'forced')
    return t('inspector.forced', { text: record.token.text === '<eos>' ? 'END' : record.token.text });
  if (record.kind === 'nat') return t('inspector.nat', { text: record.text, p: pct(record.p) });
  return t('inspector.given', { text: record.text });
}

function wireInspector(output, inspector) {
  const show = (node) => {
    if (!node?.record) return;
    inspector.textContent = describe(node.record);
    inspector.dataset.for = node.textContent;
  };
  const target = (event) => event.target.closest?.('[tabindex]');
  output.addEventListener('focusin', (event) => show(target(event)));
  output.addEventListener('click', (event) => {
    const node = target(event);
    if (node) {
      node.focus();
      show(node);
    }
  });
  output.addEventListener('mouseover', (event) => show(target(event)));
  output.addEventListener('keydown', (event) => {
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    const node = target(event);
    if (!step || !node) return;
    const all = [...output.querySelectorAll('[tabindex]')];
    const next = all[all.indexOf(node) + step];
    if (!next) return;
    event.preventDefault();
    node.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  });
}

// ------------------------------------------------------------------------------------------------ panels
function formProblem(check, form) {
  if (!check.pattern_ok) return t('form.problem.pattern', { problem: check.problem });
  const regular = form !== 'free';
  if (!check.count_ok) {
    return t('form.problem.count', { lines: check.lines, expected: regular ? formLines(form) : t('form.even') });
  }
  const perLine = charsPerLine(form);
  const bad = check.line_lengths.findIndex((n) => (regular ? n !== perLine : n !== 5 && n !== 7));
  return t('form.problem.length', {
    line: bad + 1,
    n: check.line_lengths[bad],
    expected: regular ? perLine : t('form.five_or_seven'),
  });
}

function metricRows(result, metrics, wallMs, form) {
  const repeats = metrics.repetition.rate;
  const check = metrics.form_check;
  const layout = !check.ok
    ? { value: formProblem(check, form), cls: 'bad' }
    : repeats >= REPETITIVE
      ? { value: t('result.layout_ok_repeats', { rate: repeats }), cls: 'warn' }
      : { value: t('result.layout_ok'), cls: 'good' };
  const rows = [
    { key: 'passes', value: result.forward_passes },
    { key: 'time', value: formatMs(result.ms) },
    { key: 'cps', value: metrics.chars_per_s.toFixed(0) },
    { key: 'ppl', value: metrics.at_ppl === null ? t('result.na') : metrics.at_ppl.toFixed(1) },
    { key: 'repetition', value: formatPct(repeats), cls: repeats >= REPETITIVE ? 'bad' : '' },
    { key: 'form', ...layout },
    { key: 'wall', value: formatMs(wallMs) },
  ];
  if (result.ttft_ms !== undefined) rows.splice(2, 0, { key: 'ttft', value: formatMs(result.ttft_ms) });
  if (result.saved_passes !== undefined) {
    rows.splice(
      1,
      0,
      { key: 'at_passes', value: `${result.at_passes} (${result.at_greedy_passes})` },
      { key: 'nat_passes', value: result.nat_passes },
      { key: 'accepted', value: `${result.accepted} / ${result.drafted}` },
    );
  }
  return rows;
}

// The "what you are seeing" sentences of a finished panel.
function seeing(side, { result, metrics, request }) {
  const parts = [];
  const rate = metrics.repetition.rate;
  if (result.strategy === 'hybrid') {
    if (side === 'at') return t('note.hybrid_at');
    parts.push(
      t('seeing.hybrid', {
        rounds: result.rounds.length,
        accepted: result.accepted,
        drafted: result.drafted,
        at: result.at_passes,
        greedy: result.at_greedy_passes,
      }),
    );
    return parts.join(t('sentence.gap'));
  }
  if (side === 'at') {
    parts.push(t('seeing.at', { passes: result.forward_passes, chars: metrics.chars }));
    if (result.strategy === 'greedy') parts.push(t('seeing.at.greedy'));
    if (result.strategy === 'sample') parts.push(t('seeing.at.sample', { temperature: request.temperature }));
    if (result.strategy === 'beam') parts.push(t('seeing.at.beam', { beam: request.beam }));
  } else {
    const predicted = result.passes[0]?.masked.length ?? 0;
    const T = result.passes.length;
    const facts = {
      passes: result.forward_passes,
      T,
      predicted,
      lengthPass: result.length_source === 'predicted',
      blind: result.blind_passes ?? 0,
    };
    parts.push(T <= 1 ? t('seeing.nat.one_pass', facts) : t('seeing.nat', facts));
  }
  parts.push(rate >= REPETITIVE ? t('seeing.repetition', { rate }) : t('seeing.repetition_low', { rate }));
  if (!metrics.form_check.ok)
    parts.push(t('seeing.form_bad', { problem: formProblem(metrics.form_check, request.form) }));
  return parts.join(t('sentence.gap'));
}

// One panel's DOM and what it last showed (kept so that a language switch can rewrite its words).
class Panel {
  constructor(side) {
    this.side = side;
    this.node = $(`${side}-panel`);
    this.output = $(`${side}-output`);
    this.stats = $(`${side}-stats`);
    this.seeingLine = $(`${side}-seeing`);
    this.inspector = $(`${side}-inspector`);
    this.note = this.node.querySelector('.panel-note');
    this.state = null;
    wireInspector(this.output, this.inspector);
  }

  // Empties everything a run draws; `note` is a catalogue key (+ params) or null.
  clear(status, note = null) {
    this.node.dataset.state = status;
    this.output.replaceChildren();
    delete this.output.dataset.done;
    this.stats.replaceChildren();
    this.seeingLine.textContent = '';
    this.inspector.textContent = '';
    this.state = { status, note, passes: [], rounds: [] };
    if (this.side === 'nat') {
      $('nat-passes').replaceChildren();
      $('nat-lengths').hidden = true;
      $('hybrid-rounds').replaceChildren();
      $('hybrid-view').hidden = true;
    }
    this.relabel();
  }

  relabel() {
    const s = this.state;
    if (!s) return;
    const note = s.note ? t(s.note[0], s.note[1]) : '';
    showMessage(this.note, note);
    if (s.error) {
      this.output.replaceChildren(
        el('p', { class: 'error', role: 'alert', text: t('err.engine', { message: s.error }) }),
      );
    }
    if (s.done) {
      if (!s.done.statsElsewhere)
        setStats(this.stats, metricRows(s.done.result, s.done.metrics, s.done.wall, s.done.request.form));
      this.seeingLine.textContent = seeing(this.side, s.done);
    }
    if (this.side === 'nat') {
      relabelPasses($('nat-passes'), s.passes);
      const rounds = $('hybrid-rounds');
      s.rounds.forEach((r, i) => {
        if (rounds.children[i]) rounds.children[i].firstChild.textContent = t('hybrid.round', r);
      });
    }
  }

  fail(message) {
    this.state.error = message;
    this.output.dataset.done = 'error';
    this.relabel();
  }
}

function atHandlers(panel, request) {
  const output = panel.output;
  const promptItems = () => plainChars(request.prompt ?? '', 'prompt');
  layOut(output, promptItems());
  return {
    onEvent: (e) => {
      if (e.type === 'token') {
        appendVerse(output, e.text === '\n' ? null : tokenSpan(e), e.text);
        rovingStart(output);
      }
      if (e.type === 'beam') layOut(output, [...promptItems(), ...plainChars(e.text, 'beam')]);
      if (e.type === 'round') layOut(output, plainChars(e.text, 'plain'));
    },
    onResult: (r) => {
      if (r.strategy === 'beam' || r.strategy === 'hybrid') {
        const prompt =
          r.strategy === 'hybrid'
            ? plainChars(r.text.slice(0, r.text.length - r.completion.length), 'prompt')
            : promptItems();
        layOut(output, [...prompt, ...r.tokens.map((tok) => [tok.text === '\n' ? null : tokenSpan(tok), tok.text])]);
      }
    },
  };
}

function natHandlers(panel) {
  const output = panel.output;
  const passes = $('nat-passes');
  const lengths = $('nat-lengths');
  const previousOf = new Map(); // candidate length -> its slots after its last pass (a length beam interleaves them)
  return {
    onEvent: (e) => {
      if (e.type === 'length') lengthBars(lengths, e.candidates);
      if (e.type === 'pass') {
        const previous = previousOf.get(e.length) ?? null;
        layOut(output, passItems(e, previous));
        const entry = passEntry(e, previous);
        panel.state.passes.push(entry);
        passes.append(passItem(entry, e.text, 'zh'));
        previousOf.set(e.length, e.slots);
      }
    },
    onResult: (r) => {
      if (r.length_candidates?.length) lengthBars(lengths, r.length_candidates);
    },
  };
}

// The hybrid's rounds in the NAT panel: per round, the draft with the accepted characters, the first rejected
// one followed by AT's own character, and the rest of the draft, thrown away. The poem area shows the latest
// round after the text verified so far; the list below keeps every round.
function draftLine(e) {
  const line = el('span', { class: 'draft', lang: 'zh' });
  const mark = (ch) => (ch === '\n' ? '⏎' : ch);
  const draft = [...e.draft];
  draft.forEach((ch, i) => {
    line.append(el('span', { class: i < e.accepted ? 'acc' : i === e.accepted ? 'rej' : 'thrown', text: mark(ch) }));
    if (i === e.accepted && e.at_token) line.append(el('span', { class: 'at-own', text: mark(e.at_token) }));
  });
  if (e.accepted >= draft.length && e.at_token) line.append(el('span', { class: 'at-own', text: mark(e.at_token) }));
  return line;
}

function hybridHandlers(panel, request) {
  const rounds = $('hybrid-rounds');
  $('hybrid-view').hidden = false;
  let verified = request.prompt ?? '';
  return {
    onEvent: (e) => {
      if (e.type !== 'round') return;
      const entry = { round: e.round, accepted: Math.min(e.accepted, e.drafted), drafted: e.drafted };
      panel.state.rounds.push(entry);
      rounds.append(
        el(
          'li',
          {},
          el('span', { text: t('hybrid.round', entry) }),
          el('br'),
          el('span', { class: 'verified', lang: 'zh', text: verified.replace(/\n/g, '⏎') }),
          draftLine(e),
        ),
      );
      panel.output.replaceChildren(el('span', { class: 'verified', text: verified }), draftLine(e));
      verified = e.text;
    },
    onResult: () => {},
  };
}

// Runs one strategy into one panel; resolves with {result, metrics} or null if cancelled.
async function runPanel(atnat, task, request, panel, handlers, { runs, player, formOf }) {
  const started = performance.now();
  const track = player.track(SLOW_MS);
  const run = atnat.run(task, request, { onEvent: (e) => track.push(() => handlers.onEvent(e)) });
  runs.push(run);
  const result = await run.result;
  await track.drain();
  if (result?.type !== 'result') {
    panel.state.note = ['note.stopped', {}];
    panel.relabel();
    return null;
  }
  handlers.onResult(result);
  const wall = performance.now() - started;
  const metrics = await atnat.run('metrics', {
    model: AT_MODEL,
    text: result.text,
    form: formOf,
    ms: result.ms,
    forward_passes: result.forward_passes,
  }).result;
  panel.state.done = { result, metrics, wall, request: { ...request, form: formOf } };
  panel.relabel();
  panel.output.dataset.done = 'true';
  return { result, metrics };
}

// ------------------------------------------------------------------------------------------------ input
// What the page asks of the NAT request beyond readRequests: a free poem has no length from its form, so
// "from the form" means the predicted length there; a length beam needs a predicted length.
function fitRequests({ at, nat }) {
  if (nat.form === 'free' && nat.length === 'form') nat.length = 'auto';
  if (nat.length !== 'auto' || nat.mode === 'fixed') nat.length_beam = 1;
  return { at, nat };
}

// Normalises the prompt (or the poem with blanks) in its box, says what changed, and asks the AT tokenizer
// (the poets share it) which characters it does not know. Returns an error message or null.
async function prepareInput(atnat, table, notice) {
  const mode = $('text-mode').value;
  const box = mode === 'blank' ? $('text-blank') : $('text-prompt');
  const { text, changes } = normalise(box.value, table, { keepNewlines: mode === 'blank' });
  if (text !== box.value) {
    box.value = text;
    box.dispatchEvent(new Event('input')); // the URL follows
  }
  const shown = changes.filter(([, to]) => to !== '').map(([from, to]) => `${from}→${to}`);
  showMessage(notice, shown.length ? t('notice.converted', { changes: shown.join(t('list.gap')) }) : '');

  // The engine names the characters its tokenizer lacks (and refuses a text longer than the model's context).
  const probe = probeText(text);
  if (probe) {
    const scored = await atnat.run('score', { model: AT_MODEL, text: probe }).result;
    if (scored.unknown_chars.length) return t('err.unknown', { chars: scored.unknown_chars.map(spell).join(' ') });
  }
  const form = $('text-form-select').value;
  const formName = t(`form.short.${form}`);
  const n = [...text].length;
  if (mode === 'free' && n > maxPromptTokens(form))
    return t('err.too_long', { n, max: maxPromptTokens(form), form: formName });
  if (mode === 'acrostic' && form === 'free') return t('err.acrostic_form');
  if (mode === 'acrostic' && n > formLines(form)) {
    return t('err.too_many_heads', { n, lines: formLines(form), form: formName });
  }
  if (mode === 'blank' && n > BLANK_MAX_TOKENS) return t('err.too_long', { n, max: BLANK_MAX_TOKENS, form: formName });
  return null;
}

// ------------------------------------------------------------------------------------------------ charts
function textCharts(container, curves, sweep) {
  if (!curves) {
    container.replaceChildren(el('p', { class: 'muted', text: t('chart.unavailable') }));
    return;
  }
  const length = curves.length.map((r) => ({ x: r.T, ...r }));
  const fixed = curves.fixed.map((r) => ({ x: r.T, ...r }));
  const penalised = (curves.penalised ?? []).map((r) => ({ x: r.T, ...r }));
  const at = curves.at_greedy;
  const spec = [
    ['chart.repetition', 'repetition', (v) => 100 * v],
    ['chart.ppl', 'ppl', (v) => v],
    ['chart.ms', 'ms', (v) => v],
    ['chart.form', 'form', (v) => 100 * v],
  ];
  container.replaceChildren(
    ...spec.map(([title, key, f]) => {
      const series = [
        { name: t('chart.series.length'), cls: 's0', points: length.map((r) => ({ x: r.x, y: f(r[key]) })) },
        { name: t('chart.series.fixed'), cls: 's1', points: fixed.map((r) => ({ x: r.x, y: f(r[key]) })) },
      ];
      if (penalised.length)
        series.push({
          name: t('chart.series.penalty', { r: curves.penalty }),
          cls: 's3',
          points: penalised.map((r) => ({ x: r.x, y: f(r[key]) })),
        });
      if (sweep?.length)
        series.push({
          name: t('chart.series.prompt'),
          cls: 's2',
          points: sweep.map((r) => ({ x: r.T, y: f(r[key]) })),
        });
      return lineChart({
        title: t(title),
        xLabel: t('chart.axis.T'),
        series,
        refs: [{ name: t('chart.series.at'), y: f(at[key]) }],
        format: (v) => String(Math.round(v * 10) / 10),
      });
    }),
  );
}

async function sweepT(atnat, requests, state, redraw) {
  const rows = [];
  for (const T of [1, 2, 3, 4, 6, 8, 10]) {
    state.textContent = t('chart.sweep.running', { value: `T = ${T}` });
    const request = { model: NAT_MODEL, ...requests.nat, iterations: T };
    const result = await atnat.run('generate', request).result;
    const metrics = await atnat.run('metrics', {
      model: AT_MODEL,
      text: result.text,
      form: requests.nat.form,
      ms: result.ms,
      forward_passes: result.forward_passes,
    }).result;
    rows.push({
      T,
      repetition: metrics.repetition.rate,
      ppl: metrics.at_ppl ?? 0,
      ms: result.ms,
      form: metrics.form_check.ok ? 1 : 0,
    });
    redraw(rows);
  }
  state.textContent = t('chart.sweep.done');
  return rows;
}

// ------------------------------------------------------------------------------------------------ mount
export async function mountText(atnat, { loadModels, urlState }) {
  const line = $('text-load');
  const [atInfo, natInfo] = await loadModels([AT_MODEL, NAT_MODEL], line);
  const loadedLine = () =>
    `${AT_MODEL}: ${(atInfo.parameters / 1e6).toFixed(2)}M · ${NAT_MODEL}: ${(natInfo.parameters / 1e6).toFixed(2)}M`;
  const showLoaded = () => {
    line.textContent = loadedLine();
  };

  const formSelect = $('text-form-select');
  const formOptions = () =>
    formSelect.replaceChildren(...atInfo.forms.map((f) => el('option', { value: f, text: t(`form.${f}`) })));
  const keep = formSelect.value;
  formOptions();
  formSelect.value = keep || 'wuyan-jueju';
  urlState?.optionsReady(formSelect);
  for (const id of ['text-strategy', 'text-mode', 'text-form-select', 'nat-length', 'nat-picks'])
    $(id).addEventListener('change', showControls);
  showControls();

  const [table, curves] = await Promise.all([
    fetch('data/t2s.json')
      .then((r) => r.json())
      .then((j) => parsePairs(j.pairs)),
    fetch('data/curves.json')
      .then((r) => r.json())
      .then((j) => j.text)
      .catch(() => null),
  ]);

  const panels = { at: new Panel('at'), nat: new Panel('nat') };
  const player = new Player($('text-player'));
  const notice = $('text-notice');
  const errorLine = $('text-error');
  const charts = $('text-charts');
  let sweep = null;
  textCharts(charts, curves, sweep);

  document.addEventListener('atnat:language', () => {
    const value = formSelect.value;
    formOptions();
    formSelect.value = value;
    showControls();
    showLoaded();
    panels.at.relabel();
    panels.nat.relabel();
    textCharts(charts, curves, sweep);
    showMessage(notice, '');
  });
  showLoaded();

  const generate = $('text-generate');
  const stop = $('text-stop');
  const sweepButton = $('text-sweep');
  generate.disabled = false;
  sweepButton.disabled = false;
  let busy = false;

  // Input problems: both panels are cleared (no earlier poem stays as if it answered this request).
  const refuse = (message) => {
    panels.at.clear('idle');
    panels.nat.clear('idle');
    showMessage(errorLine, message);
  };

  async function checkedRequests() {
    showMessage(errorLine, '');
    const numbers = checkNumbers($('text-form'));
    if (numbers) return { error: numbers };
    let problem;
    try {
      problem = await prepareInput(atnat, table, notice);
    } catch (error) {
      problem = t('err.engine', { message: error.message });
    }
    if (problem) return { error: problem };
    try {
      return { requests: fitRequests(await readRequests(atnat)) }; // (the floor refactor makes it async: the core plans the poem)
    } catch (error) {
      return { error: error.message };
    }
  }

  $('text-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    generate.disabled = true;
    sweepButton.disabled = true;
    try {
      const { requests, error } = await checkedRequests();
      if (error) {
        refuse(error);
        return;
      }
      await race(requests);
    } finally {
      busy = false;
      generate.disabled = false;
      sweepButton.disabled = false;
      stop.disabled = true;
    }
  });

  async function race(requests) {
    const which = $('text-run').value;
    const runName = t(`text.run.${which}`);
    const runs = [];
    stop.disabled = false;
    player.start($('text-speed').value);
    stop.onclick = () => {
      runs.forEach((r) => r.cancel());
      player.flush();
    };
    const uses = { at: which !== 'nat', nat: which !== 'at' };
    for (const side of ['at', 'nat']) {
      panels[side].clear(uses[side] ? 'running' : 'not-run', uses[side] ? null : ['note.not_run', { run: runName }]);
    }
    const jobs = [];
    const options = { runs, player };
    if (which === 'both' || which === 'at') {
      const at = panels.at;
      jobs.push([
        'at',
        runPanel(atnat, 'generate', { model: AT_MODEL, ...requests.at }, at, atHandlers(at, requests.at), {
          ...options,
          formOf: requests.at.form,
        }),
      ]);
    }
    if (which === 'both' || which === 'nat') {
      const nat = panels.nat;
      jobs.push([
        'nat',
        runPanel(atnat, 'generate', { model: NAT_MODEL, ...requests.nat }, nat, natHandlers(nat), {
          ...options,
          formOf: requests.nat.form,
        }),
      ]);
    }
    if (which === 'hybrid') {
      // The verified poem in the AT panel, the drafts (and what AT accepted of each) in the NAT panel. AT
      // verifies with the page's repetition penalty, so the poem is the one AT greedy writes with it.
      // Its drafts are plain argmax picks (no penalty of their own): AT checks them against its own greedy
      // choice. Prompt guidance only changes what mask-predict writes, so the drafts go without it.
      const { length, mode, length_beam, decoding, temperature, seed, guidance, ...draft } = requests.nat;
      const hybrid = { ...draft, repetition_penalty: requests.at.repetition_penalty };
      const at = atHandlers(panels.at, hybrid);
      const drafts = hybridHandlers(panels.nat, hybrid);
      panels.nat.state.note = ['note.hybrid_nat', {}];
      panels.nat.relabel();
      const both = {
        onEvent: (e) => {
          at.onEvent(e);
          drafts.onEvent(e);
        },
        onResult: (r) => at.onResult(r),
      };
      const job = runPanel(atnat, 'hybrid', { model: NAT_MODEL, at: AT_MODEL, ...hybrid }, panels.at, both, {
        ...options,
        formOf: hybrid.form,
      }).then((outcome) => {
        if (outcome) {
          panels.nat.state.done = { ...panels.at.state.done, statsElsewhere: true };
          panels.nat.relabel();
          panels.nat.output.dataset.done = 'true';
        }
        return outcome;
      });
      jobs.push(['at', job]);
    }
    const outcomes = await Promise.allSettled(jobs.map(([, job]) => job));
    player.flush();
    outcomes.forEach((o, i) => {
      if (o.status === 'rejected') {
        const side = jobs[i][0];
        panels[side].fail(o.reason.message);
        if (which === 'hybrid') panels.nat.fail(o.reason.message);
      }
    });
    player.end();
  }

  sweepButton.addEventListener('click', async () => {
    if (busy) return;
    busy = true;
    generate.disabled = true;
    sweepButton.disabled = true;
    const state = $('text-sweep-state');
    try {
      const { requests, error } = await checkedRequests();
      if (error) {
        state.textContent = error;
        return;
      }
      sweep = await sweepT(atnat, requests, state, (rows) => {
        sweep = rows;
        textCharts(charts, curves, sweep);
      });
      charts.dataset.sweep = 'done';
    } catch (error) {
      state.textContent = t('err.engine', { message: error.message });
    } finally {
      busy = false;
      generate.disabled = false;
      sweepButton.disabled = false;
    }
  });
}
