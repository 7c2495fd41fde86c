// The Text playground: the AT panel streams characters from the worker as they are generated, each tinted
// by its probability, with its top-5 alternatives on hover; time to first character, characters/s and
// forward passes below.
import { el, setStats, formatMs } from './ui.js';

const AT_MODEL = 'poet-at';

// Reads the form's controls into a generation request (core/decode/report.hpp).
function readRequest() {
  const value = (id) => document.getElementById(id).value;
  const strategy = value('text-strategy');
  const request = { prompt: value('text-prompt'), form: value('text-form-select'), strategy,
                    repetition_penalty: Number(value('text-rep')) };
  if (strategy === 'sample') {
    Object.assign(request, { temperature: Number(value('text-temperature')), top_k: Number(value('text-top-k')),
                             top_p: Number(value('text-top-p')), seed: Number(value('text-seed')) });
  }
  if (strategy === 'beam') request.beam = Number(value('text-beam'));
  return request;
}

function showStrategyControls() {
  const strategy = document.getElementById('text-strategy').value;
  for (const label of document.querySelectorAll('#text-form [data-for]')) {
    label.hidden = !label.dataset.for.split(' ').includes(strategy);
  }
}

// One generated token as a span: opacity of its tint = probability; title = the top-5 alternatives.
export function tokenSpan(token) {
  if (token.text === '\n') return el('br');
  const span = el('span', { class: 'tok', text: token.text.startsWith('<') ? '' : token.text });
  span.style.setProperty('--p', token.prob.toFixed(3));
  span.title = token.top.map((t) => `${t.text === '\n' ? '⏎' : t.text}  ${(100 * t.prob).toFixed(1)}%`).join('\n');
  if (token.forced) span.classList.add('forced');
  return span;
}

function atStats(result, wallMs) {
  return [
    ['time to first character', formatMs(result.ttft_ms)],
    ['characters/s', result.tokens_per_s.toFixed(0)],
    ['forward passes', result.forward_passes],
    ['total', formatMs(result.ms)],
    ['stop', result.stop_reason.replace('_', ' ')],
    ['wall (with streaming)', formatMs(wallMs)],
  ];
}

export async function mountText(atnat, { loadModel }) {
  const info = await loadModel(AT_MODEL, document.getElementById('text-load'));
  const formSelect = document.getElementById('text-form-select');
  formSelect.replaceChildren(...info.forms.map((f) => el('option', { value: f, text: f })));
  formSelect.value = 'wuyan-jueju';
  document.getElementById('text-strategy').addEventListener('change', showStrategyControls);
  showStrategyControls();

  const generate = document.getElementById('text-generate');
  const stop = document.getElementById('text-stop');
  const output = document.getElementById('at-output');
  const stats = document.getElementById('at-stats');
  generate.disabled = false;

  document.getElementById('text-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const request = readRequest();
    output.replaceChildren(el('span', { class: 'prompt', text: request.prompt }));
    stats.replaceChildren();
    generate.disabled = true;
    stop.disabled = false;
    const started = performance.now();
    const run = atnat.run('generate', { model: AT_MODEL, ...request }, {
      onEvent: (e) => {
        if (e.type === 'token') output.append(tokenSpan(e));
        if (e.type === 'beam') output.replaceChildren(el('span', { class: 'prompt', text: request.prompt }), e.text);
      },
    });
    stop.onclick = () => run.cancel();
    try {
      const result = await run.result;
      if (result?.type === 'result') {
        if (result.strategy === 'beam') {
          output.replaceChildren(el('span', { class: 'prompt', text: request.prompt }), ...result.tokens.map(tokenSpan));
        }
        setStats(stats, atStats(result, performance.now() - started));
        output.dataset.done = 'true';
      } else {
        setStats(stats, [['stop', 'cancelled']]);
      }
    } catch (error) {
      setStats(stats, [['error', error.message]]);
    } finally {
      generate.disabled = false;
      stop.disabled = true;
    }
  });
}
