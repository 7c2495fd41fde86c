// Sums every JUnit/GoogleTest XML report under a folder into one line: "N passed, N failed[, N skipped]".
// Usage: node scripts/totals.mjs DIR [EXTRA_FAILURES]. Exits 1 if anything failed or no test ran.
import fs from 'node:fs';
import path from 'node:path';

function reports(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...reports(p));
    else if (entry.name.endsWith('.xml') && p.includes(`${path.sep}reports${path.sep}`)) out.push(p);
  }
  return out;
}

// Counts <testcase> elements: failed if they hold <failure> or <error>, skipped if <skipped>
// (GoogleTest marks skipped cases with result="skipped").
function count(xml) {
  let passed = 0,
    failed = 0,
    skipped = 0;
  const cases = xml.match(/<testcase\b[^>]*?(\/>|>[\s\S]*?<\/testcase>)/g) ?? [];
  for (const c of cases) {
    if (/<failure\b|<error\b/.test(c)) failed++;
    else if (/<skipped\b|result="skipped"|status="notrun"/.test(c)) skipped++;
    else passed++;
  }
  return { passed, failed, skipped };
}

const dir = process.argv[2] ?? 'build';
let passed = 0,
  failed = Number(process.argv[3] ?? 0),
  skipped = 0;
for (const file of reports(dir)) {
  const c = count(fs.readFileSync(file, 'utf8'));
  console.log(
    `   ${path.relative(dir, file)}: ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`,
  );
  passed += c.passed;
  failed += c.failed;
  skipped += c.skipped;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
