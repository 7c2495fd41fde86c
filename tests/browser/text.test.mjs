// The Text playground in headless Chromium: type a prompt, generate with both strategies, and check the
// streamed AT poem, the NAT passes, both panels' metrics, and the fill-in-the-blank mode.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSite } from './helpers.mjs';

const site = await openSite();
after(() => site.close());
const { page } = site;

async function stats(id) {
  const cells = await page.$$eval(`#${id} dt, #${id} dd`, (xs) => xs.map((x) => x.textContent));
  return Object.fromEntries(cells.flatMap((c, i) => (i % 2 ? [] : [[c, cells[i + 1]]])));
}

async function generate() {
  await page.click('#text-generate');
  await page.waitForSelector('#at-output[data-done="true"]', { timeout: 60000 });
  await page.waitForSelector('#nat-output[data-done="true"]', { timeout: 60000 });
}

test('the Text playground loads both poets and offers their forms', async () => {
  await page.waitForSelector('#tab-text[data-ready="true"]', { timeout: 60000 });
  const forms = await page.$$eval('#text-form-select option', (os) => os.map((o) => o.value));
  assert.deepEqual(forms.sort(), ['free', 'qiyan-jueju', 'qiyan-lvshi', 'wuyan-jueju', 'wuyan-lvshi']);
  assert.match(await page.textContent('#text-load'), /poet-at: 4\.\d+M parameters · poet-nat: 2\.\d+M parameters/);
});

test('the default settings (sampling, T 0.7, top-k 40, penalty 1.2: the best measured in decoding.md) write a poem without loops', async () => {
  await generate();
  const text = await page.$eval('#at-output', (e) => e.innerText.replace(/\s/g, ''));
  assert.match(text, /^春\p{Script=Han}+，/u);
  assert.doesNotMatch(text, /(\p{Script=Han})\1\1/u, 'no character three times in a row');
});

test('one Generate runs both: AT streams a quatrain, NAT fills it in T passes', async () => {
  await page.fill('#text-prompt', '月');
  await page.selectOption('#text-form-select', 'wuyan-jueju');
  await page.selectOption('#text-strategy', 'greedy');
  await page.fill('#nat-iterations', '4');
  await generate();
  const quatrain = /^月\p{Script=Han}{4}，\p{Script=Han}{5}。\p{Script=Han}{5}，\p{Script=Han}{5}。$/u;

  const atText = await page.$eval('#at-output', (e) => e.innerText.replace(/\s/g, ''));
  assert.match(atText, quatrain);
  const tokens = await page.$$eval('#at-output .tok', (ts) => ts.map((t) => ({ title: t.title, p: t.style.getPropertyValue('--p') })));
  assert.equal(tokens.length, 24, '23 characters and punctuation + <eos> (the newline is a <br>)');
  for (const t of tokens) {
    assert.equal(t.title.split('\n').length, 5, 'top-5 alternatives on hover');
    assert.ok(Number(t.p) > 0 && Number(t.p) <= 1);
  }
  const at = await stats('at-stats');
  assert.equal(at['forward passes'], '25', 'one per generated token (the first includes the prompt)');
  assert.equal(at.form, 'correct');
  assert.ok(Number(at['characters/s']) > 1);
  assert.ok(Number(at['AT perplexity (per token)']) > 1);

  const natText = await page.$eval('#nat-output', (e) => e.innerText.replace(/\s/g, ''));
  assert.match(natText, quatrain);
  const passes = await page.$$eval('#nat-passes li', (ls) => ls.map((l) => l.textContent));
  assert.deepEqual(passes.map((p) => p.match(/^pass (\d+): (\d+) predicted/).slice(1).join('/')), ['1/24', '2/18', '3/12', '4/6']);
  const nat = await stats('nat-stats');
  assert.equal(nat['forward passes'], '4');
  assert.equal(nat.form, 'correct');
  assert.match(nat['repetition (adjacent pairs)'], /^\d+\.\d%$/);
});

test('a predicted length shows the length distribution as bars', async () => {
  await page.selectOption('#nat-length', 'predicted');
  await generate();
  const bars = await page.$$eval('#nat-lengths .bar', (bs) => bs.map((b) => b.firstChild.textContent));
  assert.ok(bars.length >= 2);
  assert.equal(bars[0], '25');
  await page.selectOption('#nat-length', 'form');
});

test('fill in the blanks: NAT and AT keep every given character and fill the blanks', async () => {
  await page.selectOption('#text-mode', 'blank');
  await page.fill('#text-blank', '床前明月光，疑是地上霜。\n举头望__，低头思故乡。');
  await generate();
  const filled = /^床前明月光，疑是地上霜。举头望\p{Script=Han}{2}，低头思故乡。$/u;
  assert.match(await page.$eval('#nat-output', (e) => e.innerText.replace(/\s/g, '')), filled);
  assert.match(await page.$eval('#at-output', (e) => e.innerText.replace(/\s/g, '')), filled);
  await page.selectOption('#text-mode', 'free');
});

test('acrostic: both poets start every line with its head (AT through the core\'s plan of the poem)', async () => {
  await page.selectOption('#text-mode', 'acrostic');
  await page.selectOption('#text-form-select', 'wuyan-jueju');
  await page.fill('#text-prompt', '春夏秋冬');
  await generate();
  for (const id of ['at-output', 'nat-output']) {
    const lines = (await page.$eval(`#${id}`, (e) => e.innerText)).split(/[，。\n]+/).map((l) => l.trim()).filter(Boolean);
    assert.deepEqual(lines.map((l) => l[0]), [...'春夏秋冬'], id);
  }
  await page.selectOption('#text-form-select', 'free');
  await page.click('#text-generate');
  await page.waitForFunction(() => document.getElementById('at-stats').textContent.includes('error'));
  assert.match(await page.textContent('#at-stats'), /error.*regular form/s);
  await page.waitForSelector('#text-generate:not([disabled])');
  await page.selectOption('#text-mode', 'free');
  await page.selectOption('#text-form-select', 'wuyan-jueju');
});

test('1,000 rejected Generate clicks later, the page still generates', async () => {
  // Each rejection used to leave up to 1.5 KB of the engine's 1 MiB wasm stack behind: ~400 such clicks
  // killed the engine for good. Here 1,000 prompts too long for the models' context are rejected.
  await page.fill('#text-prompt', '春'.repeat(130));
  const shown = await page.evaluate(async (clicks) => {
    const button = document.getElementById('text-generate');
    const stats = document.getElementById('at-stats');
    for (let i = 0; i < clicks; i++) {
      button.click();  // the submit handler disables the button and clears the stats synchronously
      while (button.disabled || !stats.textContent.includes('error')) await new Promise((r) => setTimeout(r, 0));
    }
    return stats.textContent;
  }, 1000);
  assert.match(shown, /error.*(context|too long)/s);
  await page.fill('#text-prompt', '月');
  await generate();
  const quatrain = /^月\p{Script=Han}{4}，\p{Script=Han}{5}。\p{Script=Han}{5}，\p{Script=Han}{5}。$/u;
  assert.match(await page.$eval('#at-output', (e) => e.innerText.replace(/\s/g, '')), quatrain);
  assert.match(await page.$eval('#nat-output', (e) => e.innerText.replace(/\s/g, '')), quatrain);
});

test('no console errors or failed requests', () => {
  assert.deepEqual(site.problems, []);
});
