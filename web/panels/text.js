// The Text playground: one request answered by the autoregressive poet-at (characters stream in one by one,
// tinted by probability, top-5 on hover) and the non-autoregressive poet-nat (the predicted length, then
// every position at once: masked positions ▢ fill pass by pass, low-confidence characters outlined), side by
// side and at the same time, each with the same comparison metrics underneath (measured by the AT model).
import { el, setStats, formatMs } from './ui.js';

const AT_MODEL = 'poet-at';
const NAT_MODEL = 'poet-nat';
const LOW_CONFIDENCE = 0.2;  // NAT characters below this probability get an outline

const $ = (id) => document.getElementById(id);

// The user's request for each poet. Free mode: the prompt. Acrostic and fill-in-the-blank: the poem request
// goes to NAT as it is, and the core plans it for AT (the 'plan' task: core/decode/poem_plan, the code that
// places NAT's given positions) into a prompt and forced tokens, so both honour the same constraints.
async function readRequests(atnat) {
  const mode = $('text-mode').value;
  const form = $('text-form-select').value;
  const strategy = $('text-strategy').value;
  const at = { form, strategy, repetition_penalty: Number($('text-rep').value) };
  const nat = { form, iterations: Number($('nat-iterations').value), length_beam: Number($('nat-length-beam').value) };
  const lengthChoice = $('nat-length').value;
  if (lengthChoice === 'eos') nat.mode = 'fixed';
  else nat.length = lengthChoice === 'predicted' ? 'auto' : 'form';
  if (strategy === 'sample') {
    Object.assign(at, { temperature: Number($('text-temperature').value), top_k: Number($('text-top-k').value),
                        top_p: Number($('text-top-p').value), seed: Number($('text-seed').value) });
  }
  if (strategy === 'beam') Object.assign(at, { beam: Number($('text-beam').value), length_penalty: Number($('text-alpha').value) });

  if (mode === 'free') {
    at.prompt = $('text-prompt').value;
    nat.prompt = at.prompt;
    return { at, nat };
  }
  const poem = mode === 'acrostic' ? { form, acrostic: $('text-prompt').value } : { form, blank_text: $('text-blank').value };
  const planned = await atnat.run('plan', { model: AT_MODEL, ...poem }).result;
  Object.assign(at, { prompt: planned.prompt, constraints: planned.constraints });
  Object.assign(nat, poem);
  delete nat.length;
  if (mode === 'blank') {
    at.strategy = at.strategy === 'beam' ? 'greedy' : at.strategy;  // AT writes up to the first blank freely
    delete nat.mode;
  }
  return { at, nat };
}

function showControls() {
  const strategy = $('text-strategy').value;
  for (const label of document.querySelectorAll('#text-form [data-for]')) {
    label.hidden = !label.dataset.for.split(' ').includes(strategy);
  }
  const mode = $('text-mode').value;
  $('text-blank-label').hidden = mode !== 'blank';
  $('text-prompt-label').hidden = mode === 'blank';
  $('text-prompt-name').textContent = mode === 'acrostic' ? 'Line heads' : 'Prompt';
  if (mode === 'acrostic' && $('text-prompt').value.length < 2) $('text-prompt').value = '春夏秋冬';
}

// One token as a span: its tint's depth = 1 - probability; title = its top-5 alternatives.
export function tokenSpan(token, { lowBelow = 0 } = {}) {
  if (token.text === '\n') return el('br');
  const span = el('span', { class: 'tok', text: token.text.startsWith('<') ? '' : token.text });
  span.style.setProperty('--p', token.prob.toFixed(3));
  span.title = token.top.map((t) => `${t.text === '\n' ? '⏎' : t.text}  ${(100 * t.prob).toFixed(1)}%`).join('\n');
  if (token.forced) span.classList.add('forced');
  if (token.prob < lowBelow && !token.forced) span.classList.add('low');
  return span;
}

// A NAT pass: every slot, masked ones as ▢ (this pass's predictions are what was masked in its input).
function passNodes(event) {
  const nodes = [];
  event.slots.forEach((slot, i) => {
    if (slot === '\n') { nodes.push(el('br')); return; }
    if (slot === '<eos>') return;
    if (slot === '<mask>') { nodes.push(el('span', { class: 'slot-masked', text: '▢' })); return; }
    const p = event.confidence[i];
    const span = el('span', { class: p === null ? 'given' : 'tok', text: slot });
    if (p !== null) {
      span.style.setProperty('--p', p.toFixed(3));
      span.title = `${(100 * p).toFixed(1)}% when last predicted`;
      if (p < LOW_CONFIDENCE) span.classList.add('low');
    }
    nodes.push(span);
  });
  return nodes;
}

function lengthBars(figure, candidates) {
  const top = candidates.slice(0, 5);
  const total = top.reduce((s, c) => s + Math.exp(c.logprob), 0);
  figure.querySelector('div').replaceChildren(...top.map((c) => {
    const p = Math.exp(c.logprob);
    const bar = el('div', { class: 'bar', title: `L = ${c.length}: ${(100 * p).toFixed(1)}%` },
                   el('span', { text: String(c.length) }), el('span'));
    bar.lastChild.style.width = `${Math.max(2, (100 * p) / total)}%`;
    return bar;
  }));
  figure.hidden = false;
}

function metricPairs(result, metrics, wallMs) {
  const pairs = [
    ['forward passes', result.forward_passes],
    ['compute time', formatMs(result.ms)],
    ['characters/s', metrics.chars_per_s.toFixed(0)],
    ['AT perplexity (per token)', metrics.at_ppl === null ? 'n/a' : metrics.at_ppl.toFixed(1)],
    ['repetition (adjacent pairs)', `${(100 * metrics.repetition.rate).toFixed(1)}%`],
    ['form', metrics.form_check.ok ? 'correct' : metrics.form_check.problem],
    ['wall (with streaming)', formatMs(wallMs)],
  ];
  if (result.ttft_ms !== undefined) pairs.splice(2, 0, ['time to first character', formatMs(result.ttft_ms)]);
  if (result.saved_passes !== undefined) pairs.splice(1, 0, ['AT passes (greedy would take)', `${result.at_passes} (${result.at_greedy_passes})`]);
  return pairs;
}

// Runs one strategy into one panel; resolves with {result, metrics} or null if cancelled.
async function runPanel(atnat, task, request, panel, runs) {
  const { output, stats, form } = panel;
  const started = performance.now();
  const run = atnat.run(task, request, { onEvent: panel.onEvent });
  runs.push(run);
  const result = await run.result;
  if (result?.type !== 'result') { setStats(stats, [['stop', 'cancelled']]); return null; }
  panel.onResult(result);
  const wall = performance.now() - started;
  const metrics = await atnat.run('metrics', { model: AT_MODEL, text: result.text, form, ms: result.ms,
                                               forward_passes: result.forward_passes }).result;
  setStats(stats, metricPairs(result, metrics, wall));
  for (const dd of stats.querySelectorAll('dd')) {
    if (dd.previousSibling.textContent === 'form') dd.className = metrics.form_check.ok ? 'good' : 'bad';
  }
  output.dataset.done = 'true';
  return { result, metrics };
}

function atPanel(request) {
  const output = $('at-output');
  const prompt = () => el('span', { class: 'prompt', text: request.prompt ?? '' });
  output.replaceChildren(prompt());
  return {
    output, stats: $('at-stats'), form: request.form,
    onEvent: (e) => {
      if (e.type === 'token') output.append(tokenSpan(e));
      if (e.type === 'beam') output.replaceChildren(prompt(), e.text);
      if (e.type === 'round') output.replaceChildren(e.text);
    },
    onResult: (r) => {
      if (r.strategy === 'beam' || r.strategy === 'hybrid') output.replaceChildren(prompt(), ...r.tokens.map((t) => tokenSpan(t)));
    },
  };
}

function natPanel(request) {
  const output = $('nat-output');
  const passes = $('nat-passes');
  const lengths = $('nat-lengths');
  output.replaceChildren();
  passes.replaceChildren();
  lengths.hidden = true;
  return {
    output, stats: $('nat-stats'), form: request.form,
    onEvent: (e) => {
      if (e.type === 'length') lengthBars(lengths, e.candidates);
      if (e.type === 'pass') {
        output.replaceChildren(...passNodes(e));
        passes.append(el('li', { text: `pass ${e.pass}: ${e.masked.length} predicted\n${e.text}` }));
      }
    },
    onResult: (r) => {
      if (r.length_candidates?.length) lengthBars(lengths, r.length_candidates);
      const last = r.passes.at(-1);
      if (last) output.replaceChildren(...passNodes(last));
    },
  };
}

export async function mountText(atnat, { loadModel }) {
  const line = $('text-load');
  const atInfo = await loadModel(AT_MODEL, line);
  const natInfo = await loadModel(NAT_MODEL, line);
  line.textContent = `${AT_MODEL}: ${(atInfo.parameters / 1e6).toFixed(2)}M parameters · ${NAT_MODEL}: ${(natInfo.parameters / 1e6).toFixed(2)}M parameters`;
  $('text-form-select').replaceChildren(...atInfo.forms.map((f) => el('option', { value: f, text: f })));
  $('text-form-select').value = 'wuyan-jueju';
  for (const id of ['text-strategy', 'text-mode']) $(id).addEventListener('change', showControls);
  showControls();

  const generate = $('text-generate');
  const stop = $('text-stop');
  generate.disabled = false;
  $('text-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const which = $('text-run').value;
    const runs = [];
    generate.disabled = true;
    stop.disabled = false;
    stop.onclick = () => runs.forEach((r) => r.cancel());
    for (const id of ['at-output', 'nat-output']) delete $(id).dataset.done;
    for (const id of ['at-stats', 'nat-stats']) $(id).replaceChildren();
    let requests;
    try {
      requests = await readRequests(atnat);
    } catch (error) {
      setStats($('at-stats'), [['error', error.message]]);
      generate.disabled = false;
      stop.disabled = true;
      return;
    }
    const jobs = [];
    if (which === 'both' || which === 'at') {
      jobs.push(runPanel(atnat, 'generate', { model: AT_MODEL, ...requests.at }, atPanel(requests.at), runs));
    }
    if (which === 'both' || which === 'nat') {
      jobs.push(runPanel(atnat, 'generate', { model: NAT_MODEL, ...requests.nat }, natPanel(requests.nat), runs));
    }
    if (which === 'hybrid') {
      const { length, mode, length_beam, ...hybrid } = requests.nat;
      jobs.push(runPanel(atnat, 'hybrid', { model: NAT_MODEL, at: AT_MODEL, ...hybrid }, atPanel(requests.nat), runs));
    }
    const outcomes = await Promise.allSettled(jobs);
    outcomes.forEach((o, i) => {
      if (o.status === 'rejected') {
        const side = which === 'nat' || (which === 'both' && i === 1) ? 'nat' : 'at';
        setStats($(`${side}-stats`), [['error', o.reason.message]]);
      }
    });
    generate.disabled = false;
    stop.disabled = true;
  });
}
