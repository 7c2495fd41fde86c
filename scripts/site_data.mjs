// Writes the page's generated data into OUT (dist/data by default), from sources that are committed or
// installed, so nothing is copied by hand:
//   t2s.json     traditional -> simplified characters, from OpenCC's character table (Debian package opencc,
//                installed by scripts/setup.sh): {source, pairs}, pairs = "風风長长…" (one traditional character
//                then its first simplified candidate; only characters that change). About 25 KB.
//   curves.json  the chart data: poet-nat's "Result" table of models/poet-nat/compare.md (quality and time
//                against the passes T), pixnat's models/pixnat/quality.json (against the steps K) and the g2p
//                decoders' figures on 500 test words (models/g2p/test500.json, written by `atnat eval`).
// Usage: node scripts/site_data.mjs [OUT=dist/data]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OPENCC_TABLE = '/usr/share/opencc/TSCharacters.ocd2';

// OpenCC's text dictionary: "TRAD<TAB>SIMP[ ALT...]" per line -> [[trad, simp]] where they differ.
export function parseOpenccText(text) {
  const pairs = [];
  for (const line of text.split('\n')) {
    const [from, to] = line.split('\t');
    if (!from || !to) continue;
    const first = to.split(' ')[0];
    if ([...from].length === 1 && [...first].length === 1 && first !== from) pairs.push([from, first]);
  }
  return pairs;
}

function t2sTable() {
  if (!fs.existsSync(OPENCC_TABLE)) {
    throw new Error(`${OPENCC_TABLE} is missing: install Debian's opencc (bash scripts/setup.sh)`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'atnat-t2s-'));
  try {
    const out = path.join(tmp, 'ts.txt');
    execFileSync('opencc_dict', ['-i', OPENCC_TABLE, '-o', out, '-f', 'ocd2', '-t', 'text']);
    const pairs = parseOpenccText(fs.readFileSync(out, 'utf8'));
    return {
      source: 'OpenCC TSCharacters (Debian opencc), first candidate per character',
      pairs: pairs.flat().join(''),
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// The "## Result" table of compare.md: | strategy | ms | forward passes | chars/s | AT-ppl | repetition | form-correct |
// (the columns after these, distinct-1 ... same ending, are not charted)
export function parseCompare(markdown) {
  const section = markdown.split(/^## Result\s*$/m)[1] ?? '';
  const rows = [];
  for (const line of section.split('\n')) {
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells.length < 7 || !/^\d/.test(cells[1])) continue;
    const [label, ms, passes, cps, ppl, repetition, form] = cells;
    rows.push({
      label,
      ms: Number(ms),
      passes: Number(passes),
      cps: Number(cps),
      ppl: Number(ppl),
      repetition: parseFloat(repetition) / 100,
      form: parseFloat(form) / 100,
    });
  }
  const series = (pattern) =>
    rows.filter((r) => pattern.test(r.label)).map((r) => ({ T: Number(pattern.exec(r.label)[1]), ...r }));
  const penalty = rows.map((r) => /^NAT T=\d+, penalty ([\d.]+)$/.exec(r.label)?.[1]).find(Boolean);
  return {
    length: series(/^NAT T=(\d+)$/),
    fixed: series(/^NAT fixed T=(\d+)$/),
    // argmax with the repetition penalty on the canvas (its R from the row names), T = 1, 4, 10
    penalised: series(/^NAT T=(\d+), penalty [\d.]+$/),
    penalty: penalty ? Number(penalty) : null,
    at_greedy: rows.find((r) => r.label === 'AT greedy') ?? null,
  };
}

// quality.json rows {K, gumbel_temp, class_match, fid, seconds_per_image} -> series per gumbel temperature.
export function parseQuality(rows) {
  const by = {};
  for (const r of rows) {
    (by[r.gumbel_temp] ??= []).push({ K: r.K, class_match: r.class_match, fd: r.fid, ms: 1000 * r.seconds_per_image });
  }
  for (const list of Object.values(by)) list.sort((a, b) => a.K - b.K);
  return by;
}

// `atnat eval --json` of the g2p model -> what the Pronounce tab shows: every decoder's WER, PER, passes and
// ms per word, and the teacher-forced vs free-running accuracy (exposure bias).
export function parseG2pEval(evaluation) {
  const decoders = evaluation.decoders.map(({ decoder, wer, per, passes_per_word, ms_per_word }) => ({
    decoder,
    wer,
    per,
    passes_per_word,
    ms_per_word,
  }));
  return { words: evaluation.words, decoders, exposure_bias: evaluation.exposure_bias };
}

function curves() {
  const compare = parseCompare(fs.readFileSync(path.join(ROOT, 'models/poet-nat/compare.md'), 'utf8'));
  const quality = parseQuality(JSON.parse(fs.readFileSync(path.join(ROOT, 'models/pixnat/quality.json'), 'utf8')));
  const pronounce = parseG2pEval(JSON.parse(fs.readFileSync(path.join(ROOT, 'models/g2p/test500.json'), 'utf8')));
  if (!compare.length.length || !compare.at_greedy)
    throw new Error('models/poet-nat/compare.md: no NAT T=… rows in "## Result"');
  return {
    text: { source: 'models/poet-nat/compare.md', ...compare },
    images: { source: 'models/pixnat/quality.json', ...quality },
    pronounce: { source: 'models/g2p/test500.json', ...pronounce },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist/data'));
  fs.mkdirSync(out, { recursive: true });
  const table = t2sTable();
  fs.writeFileSync(path.join(out, 't2s.json'), JSON.stringify(table));
  fs.writeFileSync(path.join(out, 'curves.json'), JSON.stringify(curves()));
  console.log(`site data: t2s.json (${[...table.pairs].length / 2} characters), curves.json`);
}
