// The Pronounce playground in headless Chromium: a word through both decoders (AT phonemes streamed, NAT in T
// passes), ARPAbet and IPA, the stats, the cross-attention heatmaps (every cell drawn, the diagonality shown and
// equal to the stats'), another head's map, beam search's candidates, bad words refused in the page's language.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSite, stats, explanationsByKeyboard } from './helpers.mjs';
import en from '../../web/i18n/en.js';

const site = await openSite({ query: '?tab=pronounce&lang=en' });
after(() => site.close());
const { page } = site;

async function pronounce(word) {
  await page.fill('#pron-word', word);
  await page.click('#pron-go');
  await page.waitForSelector('#pron-at-output[data-done="true"]', { timeout: 60000 });
  await page.waitForSelector('#pron-nat-output[data-done="true"]', { timeout: 60000 });
  await page.waitForSelector('#pron-go:not([disabled])', { timeout: 30000 });
}

// The heatmap of one panel: its caption, the cells' opacities (row-major), the row and column labels.
const heat = (side) =>
  page.$eval(`#pron-${side}-heat`, (h) => ({
    caption: h.querySelector('figcaption').textContent,
    cells: [...h.querySelectorAll('rect.cell')].map((r) => Number(r.getAttribute('fill-opacity'))),
    labels: [...h.querySelectorAll('text.tick')].map((x) => x.textContent),
    diagonality: h.dataset.diagonality,
  }));

test('a word through both decoders: ARPAbet, IPA, passes, and a drawn heatmap with its diagonality', async () => {
  await page.waitForSelector('#tab-pronounce[data-ready="true"]', { timeout: 60000 });
  await page.fill('#pron-iterations', '4');
  await pronounce('phoneme');
  const letters = ['p', 'h', 'o', 'n', 'e', 'm', 'e'];
  for (const side of ['at', 'nat']) {
    const arpabet = (await page.textContent(`#pron-${side}-output`)).trim();
    assert.match(arpabet, /^[A-Z]{1,2}( [A-Z]{1,2}){3,8}$/, `${side}: ${arpabet}`);
    assert.match(await page.textContent(`#pron-${side}-ipa`), /^\/\S+\/$/);
    const s = await stats(page, `pron-${side}-stats`);
    const phonemes = arpabet.split(' ').length;
    const map = await heat(side);
    const rows = side === 'at' ? phonemes + 1 : phonemes; // AT: the END row too
    assert.equal(map.cells.length, rows * letters.length, `${side}: one cell per phoneme and letter`);
    for (let r = 0; r < rows; r++) {
      const sum = map.cells.slice(r * 7, r * 7 + 7).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 0.01, `${side}: row ${r} is a distribution (${sum})`);
    }
    assert.deepEqual(map.labels.slice(0, 7), letters);
    if (side === 'at') assert.equal(map.labels.at(-1), 'END');
    assert.match(map.caption, /^Cross-attention, mean of all 12 heads: diagonality (0\.\d\d|1\.00)$/);
    assert.equal(s.diagonality, Number(map.diagonality).toFixed(2));
    assert.ok(Number(s.diagonality) > 0.6, `${side}: spelling and sound run in order (${s.diagonality})`);
    assert.equal(Number(s.pron_passes), side === 'at' ? phonemes + 1 : 4, `${side}: passes`);
    assert.match(s.time, /^\d+\.\d ms$/);
    assert.ok(Number(s.logprob) < 0);
  }
  const passes = await page.$$eval('#pron-nat-passes li', (ls) => ls.map((l) => l.textContent));
  assert.equal(passes.length, 4);
  assert.match(passes[0], /^pass 1: \d predicted at once/);
  const [, predicted, changed] = /^pass 4: (\d+) predicted, (\d+) changed/.exec(passes[3]);
  assert.equal(
    await page.$$eval('#pron-nat-output .tok.fresh', (ts) => ts.length),
    Number(predicted),
    'what pass 4 re-predicted is marked',
  );
  assert.equal(await page.$$eval('#pron-nat-output .tok.changed', (ts) => ts.length), Number(changed));
  assert.match(await page.textContent('#pron-at-seeing'), /AT wrote \d phonemes in \d passes/);
  assert.match(await page.textContent('#pron-verdict'), /^AT and NAT (agree|differ)/);
});

test("another layer and head: a different map with that head's diagonality", async () => {
  const mean = await heat('at');
  await page.selectOption('#pron-map', '2.3');
  const head = await heat('at');
  assert.match(head.caption, /^Cross-attention, layer 3, head 4: diagonality \d\.\d\d$/);
  assert.equal(head.cells.length, mean.cells.length);
  assert.notDeepEqual(head.cells, mean.cells);
  assert.equal(new URL(page.url()).searchParams.get('p_map'), '2.3', 'the choice goes into the link');
  await page.selectOption('#pron-map', 'mean');
});

test('beam search and the length beam list every candidate with its score; sampling shows the one it drew', async () => {
  await page.selectOption('#pron-strategy', 'beam');
  await page.fill('#pron-beam', '4');
  await page.fill('#pron-length-beam', '2');
  await pronounce('blorft');
  const lengths = await page.$$eval('#pron-nat-candidates li', (ls) => ls.map((l) => l.textContent));
  assert.equal(lengths.length, 2, 'NAT: two lengths decoded');
  assert.match(lengths[0], /^L = \d+: [A-Z ]+ {2}\/\S+\/ {2}-?\d+\.\d\d per phoneme$/);
  assert.equal(
    lengths[0].split(': ')[1].split('  ')[0],
    (await page.textContent('#pron-nat-output')).trim(),
    'NAT shows the winner',
  );
  await page.fill('#pron-length-beam', '1');
  const candidates = await page.$$eval('#pron-at-candidates li', (ls) => ls.map((l) => l.textContent));
  assert.ok(candidates.length >= 4, `${candidates.length} candidates`);
  const scores = candidates.map((c) => Number(/score (-?\d+\.\d+)/.exec(c)[1]));
  assert.deepEqual(
    scores,
    [...scores].sort((a, b) => b - a),
    'best first',
  );
  assert.equal(candidates[0].split('  ')[0], (await page.textContent('#pron-at-output')).trim());
  assert.match(await page.textContent('#pron-at-seeing'), /Beam search kept 4 partial pronunciations/);
  await page.selectOption('#pron-strategy', 'sample');
  await pronounce('blorft');
  assert.equal(await page.isHidden('#pron-at-candidates'), true);
  assert.match(await page.textContent('#pron-at-seeing'), /Sampling drew each phoneme/);
  await page.selectOption('#pron-strategy', 'greedy');
});

test("bad words are refused with a message in the page's language, both panels cleared", async () => {
  const refused = async (word) => {
    await page.evaluate((w) => {
      document.getElementById('pron-word').value = w;
    }, word); // past maxlength too
    await page.click('#pron-go');
    await page.waitForSelector('#pron-error:not([hidden])');
    return page.textContent('#pron-error');
  };
  assert.equal(await refused('   '), "Type a word first (letters a-z and ').");
  assert.match(await refused('r2d2'), /remove “2”\.$/);
  assert.match(await refused('café'), /remove “é”\.$/);
  assert.equal(await refused('a'.repeat(100)), 'The word has 100 letters; the model reads at most 32.');
  assert.equal(await page.textContent('#pron-at-output'), '');
  assert.equal(await page.$$eval('#pron-nat-heat rect', (rs) => rs.length), 0);
  await page.click('[data-lang="zh"]');
  assert.equal(await refused(''), "请先输入一个单词（字母 a-z 和 '）。");
  await pronounce(' Don’t ');
  assert.equal(await page.inputValue('#pron-word'), "Don't", "spaces dropped, the typographic apostrophe made '");
  assert.equal(await page.isHidden('#pron-error'), true);
  assert.match(await page.textContent('#pron-at-seeing'), /^AT 用 \d+ 次计算写了 \d+ 个音素/);
  assert.match(await page.textContent('#pron-at-heat figcaption'), /^交叉注意力，全部 12 个头的平均：对角程度/);
  await page.click('[data-lang="en"]');
});

test('every explanation of the Pronounce playground opens with the keyboard alone', async () => {
  const reached = await explanationsByKeyboard(page, 'tab-pronounce', en);
  const expected = await page.$$eval('#tab-pronounce button.info', (bs) =>
    bs.filter((b) => !b.closest('[hidden]')).map((b) => b.dataset.helpKey),
  );
  assert.ok(expected.includes('metric.diagonality') && expected.includes('attention_map'));
  for (const key of expected) assert.ok(reached.has(key), `help.${key} is reachable by keyboard`);
});

test('no console errors or failed requests', () => {
  assert.deepEqual(site.problems, []);
});
