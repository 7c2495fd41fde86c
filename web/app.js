// The page: starts the engine in its worker, shows readiness, switches playgrounds.
// Each playground lives in its own module under panels/ and gets the started engine.
import { Atnat } from './engine/client.js';
import { mountEngine } from './panels/engine.js';
import { mountText } from './panels/text.js';
import { mountImages } from './panels/images.js';
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
  // Each playground loads its models the first time its tab opens (Text is open from the start).
  const mounts = { text: mountText, images: mountImages };
  const mounted = new Set();
  const mount = async (name) => {
    if (mounted.has(name) || !mounts[name]) return;
    mounted.add(name);
    const tab = document.getElementById(`tab-${name}`);
    try {
      await mounts[name](atnat, loader);
      tab.dataset.ready = 'true';
    } catch (error) {
      tab.dataset.error = error.message;
      tab.querySelector('.muted')?.after(Object.assign(document.createElement('p'), { className: 'error', textContent: error.message }));
    }
  };
  for (const button of document.querySelectorAll('nav [role="tab"]')) {
    button.addEventListener('click', () => mount(button.dataset.tab));
  }
  await mount('text');
}

main();
