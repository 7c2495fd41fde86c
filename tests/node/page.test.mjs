// The page's pure parts, without a browser: the two catalogues cover the same keys and every key the HTML and
// the panels ask for; the input normaliser; the build-time data (OpenCC's table, the chart tables).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT } from './helpers.mjs';
import en from '../../web/i18n/en.js';
import zh from '../../web/i18n/zh.js';
import { pickLanguage } from '../../web/i18n/index.js';
import { normalise, parsePairs, probeText, spell, maxPromptTokens } from '../../web/panels/input.js';
import { niceTicks } from '../../web/panels/chart.js';
import { parseOpenccText, parseCompare, parseQuality, parseG2pEval } from '../../scripts/site_data.mjs';
import { cleanWord, wordProblem } from '../../web/panels/pronounce.js';
import { weightsUrl } from '../../web/panels/ui.js';

const html = fs.readFileSync(path.join(ROOT, 'web/index.html'), 'utf8');
const scripts = ['app.js', ...fs.readdirSync(path.join(ROOT, 'web/panels')).map((f) => `panels/${f}`)]
  .map((f) => fs.readFileSync(path.join(ROOT, 'web', f), 'utf8'))
  .join('\n');

test('zh and en have the same keys, and the same kind of value for each', () => {
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  for (const key of Object.keys(en)) assert.equal(typeof zh[key], typeof en[key], key);
  for (const [key, value] of Object.entries(zh)) {
    if (typeof value === 'string' && key !== 'sentence.gap') assert.ok(value.length > 0, key);
  }
});

test('every key the HTML and the panels name exists', () => {
  const keys = [...html.matchAll(/data-i18n(?:-label)?="([^"]+)"/g)].map((m) => m[1]);
  keys.push(...[...html.matchAll(/data-help="([^"]+)"/g)].map((m) => `help.${m[1]}`));
  keys.push(...[...scripts.matchAll(/\bt\('([a-z0-9_.-]+)'/g)].map((m) => m[1]));
  // keys built from values
  for (const form of ['wuyan-jueju', 'wuyan-lvshi', 'qiyan-jueju', 'qiyan-lvshi', 'free'])
    keys.push(`form.${form}`, `form.short.${form}`);
  for (const run of ['both', 'at', 'nat', 'hybrid']) keys.push(`text.run.${run}`);
  for (let c = 0; c < 10; c++) keys.push(`images.class.${c}`);
  const metrics = [...scripts.matchAll(/\{ key: '([a-z_]+)'/g)].map((m) => m[1]);
  assert.ok(metrics.length >= 15, `${metrics.length} metrics`);
  for (const m of metrics) keys.push(`metric.${m}`, `help.metric.${m}`);
  keys.push('help.prompt.heads');
  assert.ok(keys.length > 150, `${keys.length} keys`);
  for (const key of keys) {
    assert.ok(key in en, `en has "${key}"`);
    assert.ok(key in zh, `zh has "${key}"`);
  }
});

test("the starting language: ?lang=, then the remembered choice, then the browser's first zh or en", () => {
  assert.equal(pickLanguage({ preferred: ['zh-CN', 'en'] }), 'zh');
  assert.equal(pickLanguage({ preferred: ['zh-TW'] }), 'zh');
  assert.equal(pickLanguage({ preferred: ['fr-FR', 'en-GB', 'zh'] }), 'en');
  assert.equal(pickLanguage({ preferred: ['fr-FR', 'de'] }), 'en');
  assert.equal(pickLanguage({ stored: 'en', preferred: ['zh-CN'] }), 'en');
  assert.equal(pickLanguage({ query: 'zh', stored: 'en', preferred: ['en'] }), 'zh');
  assert.equal(pickLanguage({ query: 'xx', stored: 'yy', preferred: ['zh-HK'] }), 'zh');
});

test("the catalogues' sentences are built from their parameters", () => {
  assert.equal(
    en['err.range']({ name: 'Temperature', min: '0.01', max: '5' }),
    'Temperature must be a number from 0.01 to 5.',
  );
  assert.equal(zh['err.range']({ name: '温度', min: '0.01', max: '5' }), '温度必须是 0.01 到 5 之间的数。');
  assert.match(zh['seeing.repetition']({ rate: 0.179 }), /^17\.9% 的相邻字重复/);
  assert.equal(zh['hybrid.round']({ round: 2, accepted: 1, drafted: 24 }), '第 2 轮：草稿 24 个字，接受 1 个');
});

test('normalise: punctuation to ，。, spaces out, traditional to simplified, each change reported once', () => {
  const table = parsePairs('風风長长');
  assert.deepEqual(normalise('風 長,風.', table), {
    text: '风长，风。',
    changes: [
      ['風', '风'],
      [' ', ''],
      ['長', '长'],
      [',', '，'],
      ['.', '。'],
    ],
  });
  assert.deepEqual(
    normalise('春😀A', table),
    { text: '春😀A', changes: [] },
    'unknown characters are left for the tokenizer to name',
  );
  assert.deepEqual(normalise('床前_光，\r\n低头__乡。', table, { keepNewlines: true }).text, '床前_光，\n低头__乡。');
  assert.equal(normalise('a\nb', table).text, 'ab', 'a prompt has no line breaks');
  assert.equal(probeText('床前_光，\n低□'), '床前光，低');
  assert.equal(spell('😀'), '“😀”');
  assert.equal(spell('\u200b'), 'U+200B');
  assert.deepEqual(
    ['wuyan-jueju', 'wuyan-lvshi', 'qiyan-jueju', 'qiyan-lvshi', 'free'].map(maxPromptTokens),
    [24, 50, 32, 66, 109],
  );
});

test("OpenCC's text dictionary becomes single-character pairs (first candidate), and the real one maps 風 to 风", () => {
  assert.deepEqual(parseOpenccText('長\t长\n乾\t干 乾\n瞭望\t瞭望\n阪\t阪 坂\n'), [
    ['長', '长'],
    ['乾', '干'],
  ]);
  if (!fs.existsSync('/usr/share/opencc/TSCharacters.ocd2')) return; // the build needs it; setup.sh installs it
  const out = fs.mkdtempSync(path.join(ROOT, 'build', 't2s-'));
  try {
    execFileSync('node', [path.join(ROOT, 'scripts/site_data.mjs'), out]);
    const table = parsePairs(JSON.parse(fs.readFileSync(path.join(out, 't2s.json'), 'utf8')).pairs);
    assert.ok(table.size > 4000, `${table.size} characters`);
    assert.deepEqual(
      ['風', '鳥', '際', '東', '書'].map((c) => table.get(c)),
      ['风', '鸟', '际', '东', '书'],
    );
    assert.equal(table.get('春'), undefined, 'characters that do not change are not listed');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('the chart data comes from the committed tables', () => {
  const compare = parseCompare(fs.readFileSync(path.join(ROOT, 'models/poet-nat/compare.md'), 'utf8'));
  assert.deepEqual(
    compare.length.map((r) => r.T),
    [1, 2, 4, 10],
  );
  assert.deepEqual(
    compare.fixed.map((r) => r.T),
    [1, 10],
  );
  assert.deepEqual(
    compare.penalised.map((r) => r.T),
    [1, 4, 10],
  );
  assert.equal(compare.penalty, 1.5);
  // the penalty's lesson: with it, every pass lowers the repetition
  for (let i = 1; i < compare.penalised.length; i++)
    assert.ok(compare.penalised[i].repetition < compare.penalised[i - 1].repetition);
  // what the charts show: AT greedy's text is the most fluent, and mask-predict passes make NAT's more fluent
  assert.ok(compare.at_greedy.ppl < compare.length[0].ppl);
  assert.ok(compare.length.at(-1).ppl < compare.length[0].ppl);
  for (const r of compare.length) assert.ok(r.ms > 0 && r.ppl > 1 && r.form > 0 && r.form <= 1);
  const quality = parseQuality(JSON.parse(fs.readFileSync(path.join(ROOT, 'models/pixnat/quality.json'), 'utf8')));
  assert.deepEqual(
    quality['0'].map((r) => r.K),
    [1, 2, 4, 8, 16],
  );
  const g2p = parseG2pEval(JSON.parse(fs.readFileSync(path.join(ROOT, 'models/g2p/test500.json'), 'utf8')));
  assert.deepEqual(
    g2p.decoders.map((d) => d.decoder),
    ['AT greedy', 'AT beam 4', 'NAT T=1', 'NAT T=4', 'NAT T=10'],
  );
  for (const d of g2p.decoders) assert.ok(d.wer > 0 && d.wer < 1 && d.per < d.wer && d.passes_per_word >= 1, d.decoder);
  assert.ok(g2p.exposure_bias.teacher_forced_accuracy > g2p.exposure_bias.free_running_accuracy, 'exposure bias');
  assert.deepEqual(niceTicks(0, 17.9), [0, 5, 10, 15, 20]);
  assert.deepEqual(niceTicks(0, 772), [0, 200, 400, 600, 800]);
});

test('the page loads the int8 weights where shipped, f32 with ?weights=f32, and every file exists', () => {
  assert.equal(weightsUrl('poet-at', ''), 'models/poet-at/model-int8.safetensors');
  assert.equal(weightsUrl('poet-at', '?lang=en&weights=f32'), 'models/poet-at/model.safetensors');
  assert.equal(weightsUrl('poet-nat', ''), 'models/poet-nat/model-int8.safetensors');
  assert.equal(weightsUrl('g2p', ''), 'models/g2p/model-int8.safetensors');
  assert.equal(weightsUrl('pixelcnn', ''), 'models/pixelcnn/model.safetensors');
  for (const name of ['poet-at', 'poet-nat', 'g2p', 'pixelcnn', 'pixnat']) {
    for (const search of ['', '?weights=f32']) {
      assert.ok(fs.existsSync(path.join(ROOT, weightsUrl(name, search))), name + search);
    }
  }
});

test("a word for the g2p model: spaces dropped, ’ made ', and what the model cannot read named", () => {
  assert.equal(cleanWord('  Don’t\n'), "Don't");
  assert.equal(wordProblem("Don't", 32), null);
  assert.equal(wordProblem('', 32), "Type a word first (letters a-z and ').");
  assert.equal(
    wordProblem('r2d2 ', 32),
    'The model reads only the letters a-z and the apostrophe; please remove “2” U+0020.',
  );
  assert.match(wordProblem('naïve😀', 32), /remove “ï” “😀”\.$/);
  assert.equal(wordProblem('a'.repeat(33), 32), 'The word has 33 letters; the model reads at most 32.');
});
