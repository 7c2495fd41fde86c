// The page as a whole in headless Chromium: Chinese for a Chinese browser and the switch to English (remembered,
// and redrawing what was built); every explanation reached with the keyboard alone and reading its catalogue
// text; ARIA tabs with arrow keys; settings restored from a link; the text charts; and a 390-pixel phone
// (no horizontal overflow, verses unbroken, the poem above the fold, top-5 on tap) in both languages.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openSite, overflow, plainText, explanationsByKeyboard } from './helpers.mjs';
import zh from '../../web/i18n/zh.js';
import { parseCompare } from '../../scripts/site_data.mjs';
import { ROOT } from '../node/helpers.mjs';

const site = await openSite({ locale: 'zh-CN' });
const phone = await openSite({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, hasTouch: true });
after(async () => {
  await site.close();
  await phone.close();
});
const { page } = site;

async function generate(p = page) {
  await p.click('#text-generate');
  await p.waitForSelector('#at-output[data-done="true"]', { timeout: 60000 });
  await p.waitForSelector('#nat-output[data-done="true"]', { timeout: 60000 });
  await p.waitForSelector('#text-generate:not([disabled])', { timeout: 30000 });
}

test('a Chinese browser gets the page in Chinese, poems marked lang="zh"', async () => {
  await page.waitForSelector('#tab-text[data-ready="true"]', { timeout: 60000 });
  assert.equal(await page.getAttribute('html', 'lang'), 'zh');
  assert.deepEqual(await page.$$eval('nav [role="tab"]', (ts) => ts.map((t) => t.textContent)), [
    '文字',
    '发音',
    '图像',
    '引擎',
  ]);
  assert.deepEqual(await page.$$eval('#text-form-select option', (os) => os.map((o) => o.textContent)), [
    '五言绝句',
    '五言律诗',
    '七言绝句',
    '七言律诗',
    '自由',
  ]);
  assert.match(await page.textContent('#status'), /^引擎就绪：wasm-simd128/);
  assert.equal(await page.getAttribute('[data-lang="zh"]', 'aria-pressed'), 'true');
  // every catalogue string is in place: nothing empty, nothing left as a key
  const texts = await page.$$eval('[data-i18n]', (ns) => ns.map((n) => [n.dataset.i18n, n.textContent]));
  for (const [key, text] of texts) {
    assert.ok(text.length > 0 && text !== key, `${key} is translated`);
    if (typeof zh[key] === 'string') assert.equal(text, zh[key]);
  }
  await generate();
  for (const id of ['at-output', 'nat-output', 'nat-passes'])
    assert.equal(await page.getAttribute(`#${id}`, 'lang'), 'zh');
  assert.match(await page.textContent('#at-seeing'), /^AT 用 \d+ 次前向计算写了 \d+ 个字/);
  assert.match(await page.textContent('#nat-stats dt[data-key="repetition"]'), /^重复率$/);
});

test('switching to English rewrites everything, results included, and is remembered', async () => {
  await page.click('[data-lang="en"]');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.deepEqual(await page.$$eval('nav [role="tab"]', (ts) => ts.map((t) => t.textContent)), [
    'Text',
    'Pronounce',
    'Images',
    'Engine',
  ]);
  assert.match(await page.textContent('#at-seeing'), /^AT wrote \d+ characters in \d+ forward passes/);
  assert.equal(await page.textContent('#nat-stats dt[data-key="repetition"]'), 'repetition');
  assert.match(await page.textContent('#nat-passes li:first-child'), /^pass 1: 24 predicted at once/);
  assert.equal(await page.textContent('#text-form-select option[value="qiyan-lvshi"]'), '七言律诗 · 8 lines of 7');
  assert.match(await page.textContent('#status'), /^Engine ready: wasm-simd128/);
  await page.reload();
  await page.waitForSelector('#tab-text[data-ready="true"]', { timeout: 60000 });
  assert.equal(await page.getAttribute('html', 'lang'), 'en', 'the choice outlives a reload');
  assert.equal(await page.textContent('#text-generate'), 'Generate');
});

test('every explanation of the Text playground is reached and opened with the keyboard alone', async () => {
  await page.click('[data-lang="zh"]');
  await generate(); // metrics (and their ⓘ) under both panels
  let total = 0;
  for (const [mode, strategy] of [
    ['free', 'greedy'],
    ['free', 'sample'],
    ['free', 'beam'],
    ['acrostic', 'greedy'],
    ['blank', 'greedy'],
  ]) {
    await page.selectOption('#text-mode', mode);
    await page.selectOption('#text-strategy', strategy);
    const reached = await explanationsByKeyboard(page, 'tab-text', zh);
    const expected = await page.$$eval('#tab-text button.info', (bs) =>
      bs.filter((b) => !b.closest('[hidden]')).map((b) => b.dataset.helpKey),
    );
    total += expected.length;
    for (const key of expected)
      assert.ok(reached.has(key), `${mode}/${strategy}: help.${key} is reachable by keyboard`);
  }
  assert.ok(total >= 5 * 20, `${total} explanations checked`);
  await page.selectOption('#text-mode', 'free');
  await page.selectOption('#text-strategy', 'sample');
  // and a click (mouse or touch) opens one too; a click elsewhere closes it
  await page.click('#text-form .field[data-help="temperature"] button.info');
  assert.equal(await page.textContent('#help-bubble'), zh['help.temperature']);
  await page.click('h1');
  assert.equal(await page.isHidden('#help-bubble'), true);
});

test('the tabs are ARIA tabs: arrow keys, Home and End move the selection and show the panel', async () => {
  await page.focus('#tab-button-text');
  await page.keyboard.press('ArrowRight');
  const state = () =>
    page.evaluate(() => ({
      focused: document.activeElement.id,
      selected: [...document.querySelectorAll('[role="tab"][aria-selected="true"]')].map((t) => t.id),
      visible: [...document.querySelectorAll('[role="tabpanel"]')].filter((p) => !p.hidden).map((p) => p.id),
      tabbable: [...document.querySelectorAll('[role="tab"]')].filter((t) => t.tabIndex === 0).map((t) => t.id),
    }));
  assert.deepEqual(await state(), {
    focused: 'tab-button-pronounce',
    selected: ['tab-button-pronounce'],
    visible: ['tab-pronounce'],
    tabbable: ['tab-button-pronounce'],
  });
  await page.keyboard.press('End');
  assert.deepEqual((await state()).visible, ['tab-engine']);
  await page.keyboard.press('ArrowRight');
  assert.deepEqual((await state()).visible, ['tab-text'], 'wraps around');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Home');
  assert.deepEqual((await state()).selected, ['tab-button-text']);
  const links = await page.$$eval('[role="tab"]', (ts) =>
    ts.map((t) => {
      const panel = document.getElementById(t.getAttribute('aria-controls'));
      return panel?.getAttribute('role') === 'tabpanel' && panel.getAttribute('aria-labelledby') === t.id;
    }),
  );
  assert.deepEqual(links, [true, true, true, true]);
});

test('settings and prompt go into the URL, and a link restores them (bad values ignored)', async () => {
  await page.fill('#text-prompt', '月');
  await page.selectOption('#text-form-select', 'qiyan-jueju');
  await page.fill('#nat-iterations', '6');
  await page.selectOption('#text-strategy', 'beam');
  const query = new URL(page.url()).searchParams;
  assert.deepEqual(
    [query.get('prompt'), query.get('form'), query.get('T'), query.get('strategy')],
    ['月', 'qiyan-jueju', '6', 'beam'],
  );
  const other = await site.newPage(`?${query}&top_k=-5&length=nonsense&tab=text`);
  await other.waitForSelector('#tab-text[data-ready="true"]', { timeout: 60000 });
  const values = await other.evaluate(() =>
    ['text-prompt', 'text-form-select', 'nat-iterations', 'text-strategy', 'text-top-k', 'nat-length'].map(
      (id) => document.getElementById(id).value,
    ),
  );
  assert.deepEqual(values, ['月', 'qiyan-jueju', '6', 'beam', '40', 'form']);
  await other.close();
});

test('the Learn section draws quality and time against T from compare.md, and sweeps this prompt', async () => {
  await page.selectOption('#text-strategy', 'greedy');
  await page.selectOption('#text-form-select', 'wuyan-jueju');
  await page.click('#text-learn summary');
  const charts = await page.$$eval('#text-charts svg.chart', (cs) =>
    cs.map((c) => ({
      label: c.getAttribute('aria-label'),
      lines: c.querySelectorAll('path.line').length,
      refs: c.querySelectorAll('line.ref').length,
    })),
  );
  assert.equal(charts.length, 4);
  // the repetition chart lists compare.md's figures, in percent with one decimal
  const compare = parseCompare(fs.readFileSync(path.join(ROOT, 'models/poet-nat/compare.md'), 'utf8'));
  const pct = (r) => String(Math.round(r.repetition * 1000) / 10);
  const points = (rows) => rows.map((r) => `${r.T} → ${pct(r)}`).join(', ');
  assert.ok(
    charts[0].label.startsWith(`重复率（%）. NAT，预测长度: ${points(compare.length)}; `) &&
      charts[0].label.includes(`; NAT，重复惩罚 ${compare.penalty}: ${points(compare.penalised)}; `) &&
      charts[0].label.endsWith(`AT 贪心: ${pct(compare.at_greedy)}`),
    charts[0].label,
  );
  for (const c of charts) assert.deepEqual([c.lines, c.refs], [3, 1]);
  assert.deepEqual(await page.$$eval('#text-learn a', (as) => as.map((a) => a.getAttribute('href'))), [
    'models/poet-at/README.md',
    'models/poet-nat/README.md',
    'models/poet-nat/compare.md',
  ]);
  const card = await page.request.get(new URL('models/poet-nat/README.md', page.url()).href);
  assert.equal(card.status(), 200, 'the model cards ship with the site');
  await page.click('#text-sweep');
  await page.waitForSelector('#text-charts[data-sweep="done"]', { timeout: 120000 });
  const swept = await page.$$eval('#text-charts svg.chart', (cs) =>
    cs.map((c) => c.querySelectorAll('circle.s2').length),
  );
  assert.deepEqual(swept, [7, 7, 7, 7], 'T = 1, 2, 3, 4, 6, 8, 10 for this prompt');
});

async function phoneChecks(language) {
  const p = phone.page;
  assert.equal(await overflow(p), 0, `${language}: nothing sticks out sideways before a run`);
  await p.selectOption('#text-form-select', 'qiyan-lvshi');
  await generate(p);
  assert.equal(await overflow(p), 0, `${language}: nor after one`);
  const verses = await p.$$eval('.poem .verse', (vs) =>
    vs.map((v) => {
      const lineHeight = Number.parseFloat(getComputedStyle(v.closest('.poem')).lineHeight);
      return { text: v.textContent, oneLine: v.getBoundingClientRect().height < 1.5 * lineHeight };
    }),
  );
  assert.ok(verses.length >= 16, `${verses.length} verses`);
  for (const v of verses) assert.ok(v.oneLine, `${language}: "${v.text}" is not broken`);
  const top = await p.$eval('#at-output', (o) => o.getBoundingClientRect().top + window.scrollY);
  assert.ok(top < 844 - 60, `${language}: the AT poem starts above the fold (${top} px)`);
  // top-5 on tap; an explanation bubble stays on the screen
  await p.tap('#at-output .tok >> nth=2');
  assert.match(await p.textContent('#at-inspector'), language === 'zh' ? /前五个候选/ : /top 5/);
  await p.tap('#text-form .field[data-help="run"] button.info');
  const box = await p.$eval('#help-bubble', (b) => {
    const r = b.getBoundingClientRect();
    return [r.left, r.right];
  });
  assert.ok(box[0] >= 0 && box[1] <= 390, `${language}: the bubble fits (${box})`);
  assert.equal(await overflow(p), 0);
  await p.tap('h1');
}

test('on a 390-pixel phone: no sideways overflow, unbroken verses, the poem above the fold, top-5 on tap (zh, en)', async () => {
  await phone.page.waitForSelector('#tab-text[data-ready="true"]', { timeout: 60000 });
  assert.equal(await phone.page.$eval('#text-at-settings', (d) => d.open), false, 'settings start folded');
  await phoneChecks('zh');
  await phone.page.click('[data-lang="en"]');
  await phoneChecks('en');
  assert.match(await plainText(phone.page, '#nat-output'), /^春/);
});

test('no console errors or failed requests', () => {
  assert.deepEqual(site.problems, []);
  assert.deepEqual(phone.problems, []);
});
