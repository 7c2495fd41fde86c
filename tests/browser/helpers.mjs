// Shared by the browser tests: serve dist/ on a free port, drive Debian's Chromium with playwright-core,
// and fail on any console error or failed request.
import path from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';
import { ROOT } from '../node/helpers.mjs';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Opens the site (served under a sub-path, to prove the URLs are relative) and returns helpers.
// query: appended to the URL (e.g. '?lang=zh'); locale: the browser's language (navigator.languages);
// viewport: { width, height }; hasTouch: a touch screen (page.tap).
export async function openSite({
  query = '',
  locale = 'en-US',
  viewport = { width: 1280, height: 720 },
  hasTouch = false,
} = {}) {
  const server = await serve(path.join(ROOT, 'dist'), 0, '/atnat/');
  const url = `http://127.0.0.1:${server.address().port}/atnat/`;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
  const context = await browser.newContext({ locale, viewport, hasTouch });
  const page = await context.newPage();
  const problems = [];
  const watch = (p) => {
    p.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    p.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    p.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
  };
  watch(page);
  await page.goto(url + query);
  return {
    page,
    problems,
    url,
    context,
    server,
    // A second tab of the same browser (same storage), watched the same way.
    async newPage(pathAndQuery = '') {
      const other = await context.newPage();
      watch(other);
      await other.goto(url + pathAndQuery);
      return other;
    },
    async close() {
      await browser.close();
      server.close();
    },
  };
}

// A panel's metrics as {key: value}, keyed by the rows' data-key (independent of the page's language).
export async function stats(page, id) {
  return page.$$eval(`#${id} dd`, (dds) => Object.fromEntries(dds.map((dd) => [dd.dataset.key, dd.textContent])));
}

// The text of an element without whitespace (a poem's line breaks and verse boxes removed).
export function plainText(page, selector) {
  return page.$eval(selector, (e) => e.innerText.replace(/\s/g, ''));
}

// Horizontal overflow of the page in CSS pixels (0 when nothing sticks out).
export function overflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

// Tabs through one playground (section id `panelId`) with the keyboard only, from its tab button; on every ⓘ
// presses Enter, checks that the bubble opens with the catalogue's text and a name, then Escape closes it.
// Resolves with the set of help keys reached.
export async function explanationsByKeyboard(page, panelId, catalogue) {
  const reached = new Set();
  await page.focus(`#${await page.getAttribute(`#${panelId}`, 'aria-labelledby')}`);
  for (let i = 0; i < 250; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate((id) => {
      const a = document.activeElement;
      return {
        inside: !!a.closest(`#${id}`),
        info: a.matches('button.info'),
        key: a.dataset.helpKey ?? null,
        label: a.getAttribute('aria-label'),
      };
    }, panelId);
    if (!focused.inside) {
      if (reached.size) break;
      continue;
    }
    if (!focused.info) continue;
    await page.keyboard.press('Enter');
    const bubble = await page.evaluate(() => {
      const b = document.getElementById('help-bubble');
      return { hidden: b.hidden, text: b.textContent, expanded: document.activeElement.getAttribute('aria-expanded') };
    });
    if (bubble.hidden) throw new Error(`${focused.key}: Enter did not open the explanation`);
    if (bubble.text !== catalogue[`help.${focused.key}`])
      throw new Error(`${focused.key}: "${bubble.text}" is not the catalogue's text`);
    if (bubble.expanded !== 'true') throw new Error(`${focused.key}: aria-expanded is not true`);
    if (!/“.+”/.test(focused.label)) throw new Error(`${focused.key}: the button has no name (${focused.label})`);
    await page.keyboard.press('Escape');
    if (!(await page.isHidden('#help-bubble'))) throw new Error(`${focused.key}: Escape did not close it`);
    reached.add(focused.key);
  }
  return reached;
}
