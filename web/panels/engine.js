// The Engine tab: runs the kernel benchmark in the worker and streams each figure into the table; shows the
// weights kept in this browser's cache, with a button that clears them.
import { t } from '../i18n/index.js';

export function mountEngine(atnat) {
  const runButton = document.getElementById('bench-run');
  const stopButton = document.getElementById('bench-stop');
  const body = document.querySelector('#bench-table tbody');
  const info = document.getElementById('engine-info');
  const showInfo = () => {
    info.textContent = t('engine.info', { version: atnat.info.version, simd: atnat.info.simd });
  };
  showInfo();
  document.addEventListener('atnat:language', showInfo);

  // The weights the worker keeps in Cache Storage, and a button that empties it.
  const cacheLine = document.getElementById('cache-line');
  const clearButton = document.getElementById('cache-clear');
  let stored = [];
  const showStored = () => {
    const bytes = stored.reduce((sum, file) => sum + file.bytes, 0);
    cacheLine.textContent = stored.length
      ? t('cache.stored', { mb: (bytes / 1e6).toFixed(1), files: stored.length })
      : t('cache.none');
    clearButton.disabled = !stored.length;
  };
  const refreshStored = async () => {
    stored = await atnat.stored();
    showStored();
  };
  clearButton.addEventListener('click', async () => {
    await atnat.forget();
    await refreshStored();
  });
  document.addEventListener('atnat:language', showStored);
  document.addEventListener('atnat:models', refreshStored);
  refreshStored();

  runButton.addEventListener('click', async () => {
    body.replaceChildren();
    runButton.disabled = true;
    stopButton.disabled = false;
    const run = atnat.run(
      'bench',
      { sizes: [64, 128, 256, 512] },
      {
        onEvent: (e) => {
          const row = body.insertRow();
          for (const text of [e.kind, `${e.n}`, e.gflops.toFixed(1), (e.ms / e.reps).toFixed(3)]) {
            row.insertCell().textContent = text;
          }
        },
      },
    );
    stopButton.onclick = () => run.cancel();
    try {
      await run.result;
    } catch (error) {
      body.insertRow().insertCell().textContent = error.message;
    } finally {
      runButton.disabled = false;
      stopButton.disabled = true;
    }
  });
}
