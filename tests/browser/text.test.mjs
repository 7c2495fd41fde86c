// The Text playground in headless Chromium (English): generate with both strategies and check the streamed AT
// poem, the NAT passes, both panels' metrics and explanations, fill in the blanks; every run starting from clean
// panels; each kind of bad input answered by a message (never a "<unk>" in a poem); slow motion and single steps;
// the hybrid's drafts with what AT accepted; the top-5 alternatives on focus.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSite, stats, plainText } from './helpers.mjs';
import { cliJson } from '../node/helpers.mjs';

const site = await openSite();
after(() => site.close());
const { page } = site;

const QUATRAIN = /^月\p{Script=Han}{4}，\p{Script=Han}{5}。\p{Script=Han}{5}，\p{Script=Han}{5}。$/u;

async function generate(which = 'both') {
  await page.selectOption('#text-run', which);
  await page.click('#text-generate');
  if (which !== 'nat') await page.waitForSelector('#at-output[data-done="true"]', { timeout: 60000 });
  if (which !== 'at') await page.waitForSelector('#nat-output[data-done="true"]', { timeout: 60000 });
  await page.waitForSelector('#text-generate:not([disabled])', { timeout: 30000 });
}

// Clicks Generate on input the page must refuse; resolves with the error line's text.
async function refused() {
  await page.click('#text-generate');
  await page.waitForSelector('#text-error:not([hidden])', { timeout: 30000 });
  await page.waitForSelector('#text-generate:not([disabled])', { timeout: 30000 });
  return page.textContent('#text-error');
}

async function panelIsEmpty(side) {
  return page.evaluate(
    (s) => ({
      poem: document.getElementById(`${s}-output`).textContent,
      stats: document.getElementById(`${s}-stats`).children.length,
      seeing: document.getElementById(`${s}-seeing`).textContent,
      state: document.getElementById(`${s}-panel`).dataset.state,
      note: document.querySelector(`#${s}-panel .panel-note`).textContent,
    }),
    side,
  );
}

test('the Text playground loads both poets and offers their forms by their Chinese names', async () => {
  await page.waitForSelector('#tab-text[data-ready="true"]', { timeout: 60000 });
  const forms = await page.$$eval('#text-form-select option', (os) => os.map((o) => [o.value, o.textContent]));
  assert.deepEqual(forms.map(([v]) => v).sort(), ['free', 'qiyan-jueju', 'qiyan-lvshi', 'wuyan-jueju', 'wuyan-lvshi']);
  assert.deepEqual(
    forms.map(([, text]) => text.split(' ')[0]).sort(),
    ['七言律诗', '七言绝句', '五言律诗', '五言绝句', '自由'].sort(),
  );
  assert.match(await page.textContent('#text-load'), /poet-at: 4\.\d+M · poet-nat: 2\.\d+M/);
});

test('the default settings (sampling, T 0.7, top-k 40, penalty 1.2: the best measured in decoding.md) write two poems without loops', async () => {
  await generate();
  const text = await plainText(page, '#at-output');
  assert.match(text, /^春\p{Script=Han}+，/u);
  assert.doesNotMatch(text, /(\p{Script=Han})\1\1/u, 'no character three times in a row');
  const nat = await plainText(page, '#nat-output');
  assert.match(nat, /^春\p{Script=Han}+，/u);
  assert.doesNotMatch(nat, /(\p{Script=Han})\1\1/u, 'NAT: no character three times in a row');
});

test('one Generate runs both: AT streams a quatrain, NAT fills it in T passes, each explained', async () => {
  await page.fill('#text-prompt', '月');
  await page.selectOption('#text-form-select', 'wuyan-jueju');
  await page.selectOption('#text-strategy', 'greedy');
  await page.fill('#nat-iterations', '4');
  await generate();

  assert.match(await plainText(page, '#at-output'), QUATRAIN);
  const tokens = await page.$$eval('#at-output .tok', (ts) => ts.map((t) => t.style.getPropertyValue('--p')));
  assert.equal(tokens.length, 24, '23 characters and punctuation + <eos> (the newline is a <br>)');
  for (const p of tokens) assert.ok(Number(p) > 0 && Number(p) <= 1);
  const verses = await page.$$eval('#at-output .verse', (vs) => vs.map((v) => v.textContent.length));
  assert.deepEqual(verses, [6, 6, 6, 6], 'four verses, each one box (5 characters + its mark; <eos> is empty)');
  const at = await stats(page, 'at-stats');
  assert.equal(at.passes, '25', 'one per generated token (the first includes the prompt)');
  assert.ok(Number(at.cps) > 1);
  assert.ok(Number(at.ppl) > 1);
  assert.match(await page.textContent('#at-seeing'), /25 forward passes.*KV cache.*Greedy/s);

  assert.match(await plainText(page, '#nat-output'), QUATRAIN);
  const passes = await page.$$eval('#nat-passes li', (ls) => ls.map((l) => l.textContent));
  assert.deepEqual(
    passes.map((p) =>
      p
        .match(/^pass (\d+): (\d+) predicted/)
        .slice(1)
        .join('/'),
    ),
    ['1/24', '2/18', '3/12', '4/6'],
  );
  const nat = await stats(page, 'nat-stats');
  assert.equal(nat.passes, '4');
  assert.match(nat.repetition, /^\d+\.\d%$/);
  // A layout check beside repeating characters is never plain green: it says what it does not cover.
  const layout = await page.$eval('#nat-stats dd[data-key="form"]', (dd) => [dd.textContent, dd.className]);
  const rate = Number.parseFloat(nat.repetition) / 100;
  if (rate >= 0.1) {
    assert.deepEqual(layout, [`right layout, but ${nat.repetition} repeats`, 'warn']);
    assert.match(await page.textContent('#nat-seeing'), /multi-modality problem/);
  } else {
    assert.deepEqual(layout, ['right layout', 'good']);
  }
  assert.match(
    await page.textContent('#nat-seeing'),
    /^NAT wrote all 24 positions in its first pass, then spent 3 more passes/,
  );
});

test('a NAT pass marks what it re-predicted and what it changed', async () => {
  const changed = await page.$$eval('#nat-passes li', (ls) =>
    ls.map((l) => Number((/(\d+) changed/.exec(l.textContent) ?? [0, -1])[1])),
  );
  const fresh = await page.$$eval('#nat-output .tok.fresh', (ts) => ts.length);
  const marked = await page.$$eval('#nat-output .tok.changed', (ts) => ts.length);
  assert.equal(fresh, 6, 'the last pass re-predicted 6 positions');
  assert.equal(marked, changed.at(-1), 'the changed ones are marked');
});

test('the top-5 alternatives show on keyboard focus, click and hover, not only in a tooltip', async () => {
  await page.focus('#at-output [tabindex="0"]');
  const first = await page.textContent('#at-inspector');
  assert.match(first, /^\p{Script=Han}: \d+\.\d% · the model’s top 5: (.+ \d+\.\d%( · )?){5}$/u);
  await page.keyboard.press('ArrowRight');
  const second = await page.textContent('#at-inspector');
  assert.notEqual(second, first, 'arrow keys move to the next character');
  assert.equal(await page.$$eval('#at-output [tabindex="0"]', (ts) => ts.length), 1, 'one tab stop for the whole poem');
  await page.click('#nat-output .tok >> nth=3');
  assert.match(await page.textContent('#nat-inspector'), /^\p{Script=Han}: \d+\.\d% when last predicted$/u);
  assert.equal(await page.$$eval('#at-output .tok[title]', (ts) => ts.length), 0);
});

test('a predicted length shows the length distribution as bars', async () => {
  await page.selectOption('#nat-length', 'predicted');
  await generate();
  const bars = await page.$$eval('#nat-lengths .bar', (bs) => bs.map((b) => b.firstChild.textContent));
  assert.ok(bars.length >= 2);
  assert.equal(bars[0], '25');
  assert.match(await page.textContent('#nat-seeing'), /one of them for the length/);
  await page.selectOption('#nat-length', 'form');
});

test('NAT draws every pick at the temperature and seed of its settings (the default), or takes the argmax, with its repetition penalty and prompt guidance: the poem the CLI writes', async () => {
  // The page loads the int8 weights; the CLI writes the same poem from them (characters only: no punctuation or breaks).
  const cli = (...flags) =>
    cliJson([
      'generate',
      '--model',
      'models/poet-nat/model-int8.safetensors',
      '--form',
      'wuyan-jueju',
      '--prompt',
      '月',
      '--iterations',
      '4',
      '--length',
      'form',
      ...(flags.includes('--repetition-penalty') ? [] : ['--repetition-penalty', '1.5']), // the page's default
      ...flags,
    ]).text.replace(/\s/g, '');
  await page.selectOption('#text-form-select', 'wuyan-jueju');
  await page.fill('#text-prompt', '月');
  await page.fill('#nat-iterations', '4');
  assert.equal(await page.inputValue('#nat-picks'), 'sample');
  assert.deepEqual([await page.inputValue('#nat-temperature'), await page.inputValue('#nat-seed')], ['0.3', '1']);
  assert.equal(await page.inputValue('#nat-rep'), '1.5');
  await generate('nat');
  const drawn = await plainText(page, '#nat-output');
  assert.equal(drawn, cli('--decoding', 'sample', '--temperature', '0.3', '--seed', '1'));
  await page.fill('#nat-seed', '2');
  await generate('nat');
  assert.equal(
    await plainText(page, '#nat-output'),
    cli('--decoding', 'sample', '--temperature', '0.3', '--seed', '2'),
  );
  await page.selectOption('#nat-picks', 'argmax');
  assert.deepEqual([await page.isHidden('#nat-temperature'), await page.isHidden('#nat-seed')], [true, true]);
  await generate('nat');
  const argmax = await plainText(page, '#nat-output');
  assert.equal(argmax, cli());
  assert.notEqual(argmax, drawn);
  // the penalty is the request's: 1 (off) writes the unpenalised poem
  await page.fill('#nat-rep', '1');
  await generate('nat');
  assert.equal(await plainText(page, '#nat-output'), cli('--repetition-penalty', '1'));
  await page.fill('#nat-rep', '1.5');
  // prompt guidance is off by default and the request's when set
  assert.equal(await page.inputValue('#nat-guidance'), '0');
  await page.fill('#nat-guidance', '1');
  await generate('nat');
  const guided = await plainText(page, '#nat-output');
  assert.equal(guided, cli('--guidance', '1'));
  assert.notEqual(guided, argmax);
  assert.match(await page.textContent('#nat-seeing'), /\(8 forward passes, 4 of them prompt-blind for the guidance\)/);
  await page.fill('#nat-guidance', '0');
  await page.selectOption('#nat-picks', 'sample');
  await page.fill('#nat-seed', '1');
});

test('the free form uses the predicted length (no "use length auto" error)', async () => {
  await page.selectOption('#text-form-select', 'free');
  assert.equal(
    await page.$eval('#nat-length', (s) => [s.value, s.querySelector('[value="form"]').disabled].join()),
    'predicted,true',
  );
  await generate('nat');
  assert.ok((await plainText(page, '#nat-output')).length > 4);
  assert.equal(await page.isHidden('#text-error'), true);
  await page.selectOption('#text-form-select', 'wuyan-jueju');
  await page.selectOption('#nat-length', 'form');
});

test('AT only, NAT only, hybrid: the panel a run does not use is cleared and says so', async () => {
  await page.fill('#text-prompt', '月');
  await generate('both');
  await generate('at');
  const nat = await panelIsEmpty('nat');
  assert.deepEqual([nat.poem, nat.stats, nat.seeing, nat.state], ['', 0, '', 'not-run']);
  assert.match(nat.note, /Not part of this run \(AT only\)/);
  assert.equal(await page.$$eval('#nat-passes li', (ls) => ls.length), 0);

  await generate('nat');
  const at = await panelIsEmpty('at');
  assert.deepEqual([at.poem, at.stats, at.seeing, at.state], ['', 0, '', 'not-run']);
  assert.match(at.note, /NAT only/);
  assert.equal(await page.$eval('#nat-panel', (p) => p.dataset.state), 'running');

  await page.selectOption('#text-strategy', 'greedy');
  await generate('hybrid');
  // the AT panel: the verified poem; the NAT panel: the drafts, not an earlier NAT poem
  assert.match(await plainText(page, '#at-output'), QUATRAIN);
  assert.equal(await page.$$eval('#nat-passes li', (ls) => ls.length), 0);
  assert.match(await page.textContent('#nat-panel .panel-note'), /drafts/);
  assert.equal(
    await page.$eval('#nat-stats', (s) => s.children.length),
    0,
    "the hybrid's numbers are under the AT panel only",
  );
});

test("the hybrid shows each round's draft: accepted, rejected, AT's own character", async () => {
  const at = await stats(page, 'at-stats');
  const [accepted, drafted] = at.accepted.split(' / ').map(Number);
  const rounds = await page.$$eval('#hybrid-rounds li', (ls) =>
    ls.map((l) => ({
      head: l.firstChild.textContent,
      acc: l.querySelectorAll('.draft .acc').length,
      rej: l.querySelectorAll('.draft .rej').length,
      own: l.querySelectorAll('.draft .at-own').length,
    })),
  );
  assert.equal(rounds.length, Number(at.at_passes.split(' ')[0]), 'one round per AT verification pass');
  let sumAccepted = 0;
  let sumDrafted = 0;
  for (const r of rounds) {
    const [, a, d] = /round \d+: (\d+) of (\d+) draft tokens accepted/.exec(r.head).map(Number);
    sumAccepted += a;
    sumDrafted += d;
    assert.ok(r.acc <= a, 'accepted characters are marked (an accepted END is not drawn)');
    assert.ok(r.rej <= 1 && r.own <= 1, "at most one rejected draft character, then AT's own");
  }
  assert.deepEqual([sumAccepted, sumDrafted], [accepted, drafted]);
  assert.ok(rounds.some((r) => r.rej === 1 && r.own === 1));
  assert.match(await page.textContent('#nat-seeing'), /exactly AT greedy’s/);
});

test('step by step: one character (AT) and one pass (NAT) per click, then Play finishes', async () => {
  await page.selectOption('#text-speed', 'step');
  await page.selectOption('#text-run', 'both');
  await page.click('#text-generate');
  await page.waitForSelector('#text-player:not([hidden])');
  // Wait until the engine has delivered both poems into the player's queue (it runs at full speed).
  await page.waitForFunction(
    () => {
      const waiting = (document.querySelector('#text-player').dataset.waiting ?? '').split(' ').map(Number);
      return waiting.length === 2 && waiting.every((n) => n >= 4);
    },
    null,
    { timeout: 30000 },
  );
  assert.equal(await page.textContent('#at-output'), '月', 'nothing but the prompt before the first step');
  for (let i = 1; i <= 3; i++) {
    await page.click('#text-player [data-act="step"]');
    assert.equal((await plainText(page, '#at-output')).length, 1 + i, `${i} AT characters after ${i} steps`);
    assert.equal(await page.$$eval('#nat-passes li', (ls) => ls.length), i, `${i} NAT passes after ${i} steps`);
  }
  assert.equal(await page.getAttribute('#at-output', 'data-done'), null);
  await page.click('#text-player [data-act="play"]');
  await page.waitForSelector('#at-output[data-done="true"]', { timeout: 60000 });
  await page.waitForSelector('#nat-output[data-done="true"]', { timeout: 60000 });
  assert.match(await plainText(page, '#at-output'), QUATRAIN);
  assert.equal(await page.isHidden('#text-player'), true);
  await page.selectOption('#text-speed', 'live');
});

test("beam search writes the form: the form's punctuation and line breaks constrain every beam", async () => {
  await page.selectOption('#text-form-select', 'wuyan-lvshi');
  await page.selectOption('#text-strategy', 'beam');
  await page.fill('#text-beam', '4');
  await generate('at');
  const lines = (await plainText(page, '#at-output')).split(/(?<=[，。])/u);
  assert.equal(lines.length, 8, lines.join(' '));
  for (const line of lines) assert.match(line, /^\p{Script=Han}{5}[，。]$/u);
  // the marks come from the plan, given to every beam (shown as given), not chosen by the search
  const forced = await page.$$eval('#at-output .tok.forced', (ts) => ts.map((t) => t.textContent).join(''));
  assert.equal(forced, '，。，。，。，。', 'the punctuation is given (line breaks and END are given too, not drawn)');
  await page.selectOption('#text-strategy', 'greedy');
  await page.selectOption('#text-form-select', 'wuyan-jueju');
});

test('fill in the blanks: NAT and AT keep every given character and fill the blanks', async () => {
  await page.selectOption('#text-mode', 'blank');
  await page.fill('#text-blank', '床前明月光，疑是地上霜。\n举头望__，低头思故乡。');
  await generate();
  const filled = /^床前明月光，疑是地上霜。举头望\p{Script=Han}{2}，低头思故乡。$/u;
  assert.match(await plainText(page, '#nat-output'), filled);
  assert.match(await plainText(page, '#at-output'), filled);
  await page.selectOption('#text-mode', 'free');
});

test("acrostic: both poets start every line with its head (AT through the core's plan of the poem)", async () => {
  await page.selectOption('#text-mode', 'acrostic');
  await page.selectOption('#text-form-select', 'wuyan-jueju');
  await page.fill('#text-prompt', '春夏秋冬');
  await generate();
  for (const id of ['at-output', 'nat-output']) {
    const lines = (await page.$eval(`#${id}`, (e) => e.innerText))
      .split(/[，。\n]+/)
      .map((l) => l.trim())
      .filter(Boolean);
    assert.deepEqual(
      lines.map((l) => l[0]),
      [...'春夏秋冬'],
      id,
    );
  }
  await page.selectOption('#text-form-select', 'free');
  await page.click('#text-generate');
  await page.waitForSelector('#text-error:not([hidden])', { timeout: 30000 });
  assert.match(await page.textContent('#text-error'), /regular form/);
  await page.waitForSelector('#text-generate:not([disabled])');
  await page.selectOption('#text-mode', 'free');
  await page.selectOption('#text-form-select', 'wuyan-jueju');
});

test('traditional characters and ASCII punctuation are converted, and the page says so', async () => {
  await page.fill('#text-prompt', '風.');
  await generate();
  assert.equal(await page.inputValue('#text-prompt'), '风。');
  assert.equal(await page.textContent('#text-notice'), 'Converted for the models: 風→风  .→。');
  for (const side of ['at', 'nat']) {
    const poem = await plainText(page, `#${side}-output`);
    assert.match(poem, /^风。/u);
    assert.doesNotMatch(poem, /<unk>|unk/);
  }
});

test('unknown characters (emoji, Latin letters) are named in a message; stale poems go', async () => {
  for (const [prompt, named] of [
    ['春😀', '“😀”'],
    ['Spring', '“S” “p” “r” “i” “n” “g”'],
    ['春,A', '“A”'],
  ]) {
    await page.fill('#text-prompt', prompt);
    const message = await refused();
    assert.equal(
      message,
      `The models do not know ${named}. They know about 5,200 simplified Chinese characters and the marks “，” and “。” only: please replace these.`,
    );
    for (const side of ['at', 'nat']) {
      const panel = await panelIsEmpty(side);
      assert.deepEqual([panel.poem, panel.stats], ['', 0], `${side}: no earlier poem beside the error`);
    }
    assert.doesNotMatch(await page.textContent('main'), /<unk>/);
  }
  assert.equal(await page.inputValue('#text-prompt'), '春，A', 'the comma was converted before the check');
});

test('a prompt longer than the form, too many line heads, an acrostic without a form, numbers out of range: a message each; 0.33 is a temperature', async () => {
  await page.selectOption('#text-strategy', 'sample');
  await page.evaluate(() => {
    document.getElementById('text-prompt').value = '春'.repeat(30);
  }); // as a shared link could
  assert.equal(
    await refused(),
    'The prompt has 30 characters and punctuation marks; 五言绝句 holds only 24. Shorten it or pick a longer form.',
  );
  assert.equal(await page.getAttribute('#text-prompt', 'maxlength'), '24', 'typing stops at what the form holds');
  await page.selectOption('#text-form-select', 'qiyan-lvshi');
  assert.equal(await page.getAttribute('#text-prompt', 'maxlength'), '66');
  await page.selectOption('#text-form-select', 'wuyan-jueju');

  await page.selectOption('#text-mode', 'acrostic');
  await page.fill('#text-prompt', '春夏秋冬夏');
  assert.equal(await page.inputValue('#text-prompt'), '春夏秋冬', 'one head per line: four for a quatrain');
  await page.evaluate(() => {
    document.getElementById('text-prompt').value = '春夏秋冬夏';
  });
  assert.equal(await refused(), '5 line heads, but 五言绝句 has 4 lines.');
  await page.selectOption('#text-form-select', 'free');
  assert.equal(await refused(), 'An acrostic needs a regular form (五言 or 七言, 绝句 or 律诗).');
  await page.selectOption('#text-mode', 'free');
  await page.selectOption('#text-form-select', 'wuyan-jueju');

  await page.fill('#text-prompt', '月');
  await page.fill('#text-temperature', '9');
  assert.equal(await refused(), 'Temperature must be a number from 0.01 to 5.');
  await page.fill('#text-temperature', '0.33');
  await generate('at');
  assert.equal(await page.isHidden('#text-error'), true);
  assert.match(await plainText(page, '#at-output'), /^月/);
  await page.fill('#text-temperature', '0.7');
});

test('1,000 rejected Generate clicks later, the page still generates', async () => {
  // Each rejection used to leave up to 1.5 KB of the engine's 1 MiB wasm stack behind: ~400 such clicks
  // killed the engine for good. Here 1,000 prompts too long for the models' context (as a link could carry)
  // are rejected by the engine itself.
  await page.evaluate(() => {
    document.getElementById('text-prompt').value = '春'.repeat(130);
  });
  const shown = await page.evaluate(async (clicks) => {
    const button = document.getElementById('text-generate');
    const error = document.getElementById('text-error');
    for (let i = 0; i < clicks; i++) {
      error.hidden = true;
      button.click();
      while (button.disabled || error.hidden) await new Promise((r) => setTimeout(r, 0));
    }
    return error.textContent;
  }, 1000);
  assert.match(shown, /^The engine refused the request: .*130 tokens long/);
  await page.fill('#text-prompt', '月');
  await page.selectOption('#text-strategy', 'greedy');
  await generate();
  assert.match(await plainText(page, '#at-output'), QUATRAIN);
  assert.match(await plainText(page, '#nat-output'), QUATRAIN);
});

test('no console errors or failed requests', () => {
  assert.deepEqual(site.problems, []);
});
