// Takes the README's screenshots: the Text playground after one race (AT greedy vs NAT, T = 4), in Chinese and in
// English, on a 1280-pixel screen (with one explanation open) and on a 390-pixel phone.
//   node scripts/screenshots.mjs [OUT_DIR=docs]     (after npm run build; needs a CJK font: fonts-wqy-microhei)
// Writes OUT_DIR/screenshot-{zh,en}-{1280,390}.png; pngquant, when installed, makes them about 3x smaller.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { openSite } from '../tests/browser/helpers.mjs';

const out = process.argv[2] ?? 'docs';
const SHOTS = [
  { lang: 'zh', width: 1280, height: 900 },
  { lang: 'en', width: 1280, height: 900 },
  { lang: 'zh', width: 390, height: 844 },
  { lang: 'en', width: 390, height: 844 },
];

function hasPngquant() {
  try {
    execFileSync('pngquant', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const quantize = hasPngquant();
for (const { lang, width, height } of SHOTS) {
  const site = await openSite({
    query: `?lang=${lang}&prompt=%E6%9C%88&strategy=greedy`,
    viewport: { width, height },
    locale: lang === 'zh' ? 'zh-CN' : 'en-US',
  });
  const { page } = site;
  await page.waitForSelector('#tab-text[data-ready="true"]', { timeout: 120000 });
  await page.click('#text-generate');
  await page.waitForSelector('#at-output[data-done="true"]', { timeout: 60000 });
  await page.waitForSelector('#nat-output[data-done="true"]', { timeout: 60000 });
  await page.waitForSelector('#text-generate:not([disabled])');
  const file = path.join(out, `screenshot-${lang}-${width}.png`);
  if (width > 600) {
    await page.click('#nat-stats dt[data-key="repetition"] button.info'); // one explanation, open
    const bottom = await page.evaluate(() =>
      Math.max(
        ...['.side-by-side', '#help-bubble'].map(
          (s) => document.querySelector(s).getBoundingClientRect().bottom + window.scrollY + 16,
        ),
      ),
    );
    await page.screenshot({ path: file, clip: { x: 0, y: 0, width, height: Math.ceil(bottom) }, fullPage: true });
  } else {
    await page.screenshot({ path: file });
  }
  if (quantize) execFileSync('pngquant', ['--force', '--skip-if-larger', '--quality', '60-90', '--output', file, file]);
  console.log(
    `screenshot: ${file} (${(fs.statSync(file).size / 1024).toFixed(0)} KB)`,
    site.problems.length ? site.problems : '',
  );
  await site.close();
}
