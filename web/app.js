// The page: picks the language, wires the tabs, the explanations and the URL state, starts the engine in its
// worker and mounts each playground (panels/) the first time its tab opens.
import { Atnat } from './engine/client.js';
import { startLanguage, t } from './i18n/index.js';
import { startHelp } from './panels/help.js';
import { startTabs } from './panels/tabs.js';
import { UrlState } from './panels/share.js';
import { mountEngine } from './panels/engine.js';
import { mountText } from './panels/text.js';
import { mountImages } from './panels/images.js';
import { mountPronounce } from './panels/pronounce.js';
import { loadModels } from './panels/ui.js';

const status = document.getElementById('status');
let statusKey = ['status.starting', {}];

function setStatus(state, key, params = {}) {
  status.dataset.state = state;
  statusKey = [key, params];
  status.textContent = key ? t(key, params) : params.message;
}

function startShare(urlState) {
  const button = document.getElementById('share');
  const note = document.getElementById('share-note');
  button.addEventListener('click', async () => {
    urlState.write();
    try {
      await navigator.clipboard.writeText(location.href);
      note.textContent = t('share.copied');
    } catch {
      note.textContent = `${t('share.manual')} ${location.href}`;
    }
  });
  document.addEventListener('atnat:language', () => {
    note.textContent = '';
  });
}

async function main() {
  startLanguage();
  setStatus('loading', 'status.starting');
  startHelp();
  // On a phone the output should be above the fold: the AT / NAT settings start folded.
  if (matchMedia('(max-width: 600px)').matches) {
    for (const details of document.querySelectorAll('details.settings')) details.open = false;
  }
  const urlState = new UrlState();
  urlState.bindAll(document);
  startShare(urlState);
  document.addEventListener('atnat:language', () => {
    urlState.dropLanguage();
    if (statusKey[0]) status.textContent = t(...statusKey);
  });

  // Each playground loads its models the first time its tab opens.
  const mounts = { text: mountText, pronounce: mountPronounce, images: mountImages };
  const mounted = new Set();
  let atnat = null;
  const mount = async (name) => {
    if (!atnat || mounted.has(name) || !mounts[name]) return;
    mounted.add(name);
    const tab = document.getElementById(`tab-${name}`);
    try {
      await mounts[name](atnat, { loadModels: (models, line) => loadModels(atnat, models, line), urlState });
      tab.dataset.ready = 'true';
    } catch (error) {
      tab.dataset.error = error.message;
      tab
        .querySelector('.intro')
        ?.after(Object.assign(document.createElement('p'), { className: 'error', textContent: error.message }));
    }
  };
  const tabs = startTabs({
    onSelect: (name) => {
      urlState.setTab(name);
      mount(name);
    },
  });
  if (urlState.tab) tabs.select(urlState.tab);

  try {
    atnat = await Atnat.start();
  } catch (error) {
    setStatus('error', null, { message: error.message });
    return;
  }
  mountEngine(atnat);
  // The open tab first (a shared link may open another), then Text, the front page. "Ready" once the open tab's
  // models are loaded: only then can Generate run.
  setStatus('loading', 'status.models');
  await mount(tabs.current());
  setStatus('ready', 'status.ready', { simd: atnat.info.simd });
  document.body.dataset.engine = 'ready';
  await mount('text');
}

// The service worker (sw.js) keeps the page's files for later visits and offline use; the weights are kept by
// the engine's worker. Where it cannot register (a plain-http page of another host) the page works as before.
navigator.serviceWorker?.register('sw.js').catch(() => {});

main();
