// The page: starts the engine in its worker, shows readiness, switches playgrounds.
// Each playground lives in its own module under panels/ and gets the started engine.
import { Atnat } from './engine/client.js';
import { mountEngine } from './panels/engine.js';
import { mountText } from './panels/text.js';
import { loadModel } from './panels/ui.js';

const status = document.getElementById('status');

function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

function setupTabs() {
  const tabs = document.querySelectorAll('nav [role="tab"]');
  for (const tab of tabs) {
    tab.addEventListener('click', () => {
      for (const t of tabs) {
        const selected = t === tab;
        t.setAttribute('aria-selected', String(selected));
        document.getElementById(`tab-${t.dataset.tab}`).hidden = !selected;
      }
    });
  }
}

async function main() {
  setupTabs();
  let atnat;
  try {
    atnat = await Atnat.start();
  } catch (error) {
    setStatus('error', error.message);
    return;
  }
  setStatus('ready', `Engine ready: ${atnat.info.simd}`);
  document.body.dataset.engine = 'ready';
  mountEngine(atnat);
  const loader = { loadModel: (name, line) => loadModel(atnat, name, line) };
  const panels = [['text', mountText]];
  await Promise.all(panels.map(async ([name, mount]) => {
    try {
      await mount(atnat, loader);
      document.getElementById(`tab-${name}`).dataset.ready = 'true';
    } catch (error) {
      document.querySelector(`[data-slot="${name}"]`)?.replaceChildren(error.message);
      document.getElementById(`tab-${name}`).dataset.error = error.message;
    }
  }));
}

main();
