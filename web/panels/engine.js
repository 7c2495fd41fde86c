// The Engine tab: runs the kernel benchmark in the worker and streams each figure into the table.
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
