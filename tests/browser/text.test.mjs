// The Text playground in headless Chromium: type a prompt, generate, and check the streamed poem and its stats.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSite } from './helpers.mjs';

const site = await openSite();
after(() => site.close());
const { page } = site;

test('the AT panel loads poet-at and offers its forms', async () => {
  await page.waitForSelector('#tab-text[data-ready="true"]', { timeout: 60000 });
  const forms = await page.$$eval('#text-form-select option', (os) => os.map((o) => o.value));
  assert.deepEqual(forms.sort(), ['free', 'qiyan-jueju', 'qiyan-lvshi', 'wuyan-jueju', 'wuyan-lvshi']);
  assert.match(await page.textContent('#text-load'), /poet-at: 4\.\d+M parameters/);
});

test('greedy: a typed first character streams into a five-character quatrain with stats', async () => {
  await page.fill('#text-prompt', '月');
  await page.selectOption('#text-form-select', 'wuyan-jueju');
  await page.selectOption('#text-strategy', 'greedy');
  await page.click('#text-generate');
  await page.waitForSelector('#at-output[data-done="true"]', { timeout: 60000 });
  const text = await page.$eval('#at-output', (e) => e.innerText.replace(/\s/g, ''));
  assert.match(text, /^月\p{Script=Han}{4}，\p{Script=Han}{5}。\p{Script=Han}{5}，\p{Script=Han}{5}。$/u);
  const tokens = await page.$$eval('#at-output .tok', (ts) => ts.map((t) => ({ title: t.title, p: t.style.getPropertyValue('--p') })));
  assert.equal(tokens.length, 24, '23 characters and punctuation + <eos> (the newline is a <br>)');
  for (const t of tokens) {
    assert.equal(t.title.split('\n').length, 5, 'top-5 alternatives on hover');
    assert.ok(Number(t.p) > 0 && Number(t.p) <= 1);
  }
  const stats = await page.$$eval('#at-stats dt, #at-stats dd', (xs) => xs.map((x) => x.textContent));
  const value = (label) => stats[stats.indexOf(label) + 1];
  assert.equal(value('forward passes'), '25', 'one per generated token (the first includes the prompt)');
  assert.equal(value('stop'), 'eos');
  assert.ok(Number(value('characters/s')) > 1);
  assert.match(value('time to first character'), /^\d+(\.\d)? (ms|s)$/);
});

test('no console errors or failed requests', () => {
  assert.deepEqual(site.problems, []);
});
