// Shared by the browser tests: serve dist/ on a free port, drive Debian's Chromium with playwright-core,
// and fail on any console error or failed request.
import path from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';
import { ROOT } from '../node/helpers.mjs';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Opens the site (served under a sub-path, to prove the URLs are relative) and returns helpers.
export async function openSite() {
  const server = await serve(path.join(ROOT, 'dist'), 0, '/atnat/');
  const url = `http://127.0.0.1:${server.address().port}/atnat/`;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(url);
  return {
    page, problems, url,
    async close() { await browser.close(); server.close(); },
  };
}
