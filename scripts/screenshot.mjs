// Takes the README's screenshot: serves dist/, generates with both strategies, saves docs/screenshot.png.
// Usage: node scripts/screenshot.mjs [OUT.png] [TAB]. Needs a CJK font for the poems (apt-get install fonts-wqy-microhei).
import { openSite } from '../tests/browser/helpers.mjs';

const out = process.argv[2] ?? 'docs/screenshot.png';
const tab = process.argv[3] ?? 'text';
const site = await openSite();
const { page } = site;
await page.setViewportSize({ width: 1200, height: 900 });
await page.waitForSelector('#tab-text[data-ready="true"]', { timeout: 60000 });
await page.click(`nav [data-tab="${tab}"]`);
if (tab === 'text') {
  await page.click('#text-generate');
  await page.waitForSelector('#at-output[data-done="true"]', { timeout: 60000 });
  await page.waitForSelector('#nat-output[data-done="true"]', { timeout: 60000 });
}
await page.screenshot({ path: out, fullPage: true });
console.log(`screenshot: ${out}`, site.problems.length ? site.problems : '');
await site.close();
