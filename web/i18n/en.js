// Every English string of the page. Keys match i18n/zh.js one for one (tests/node/i18n.test.mjs checks it).
// A value is a string, or a function of named parameters for text built from a result.
const pct = (x) => `${(100 * x).toFixed(1)}%`;
// prompt guidance's share of a NAT run's forward passes, for the "what you are seeing" line
const blindNote = (blind) => (blind ? `, ${blind} of them prompt-blind for the guidance` : '');

export default {
  'page.title': 'atnat: one piece at a time, or all at once',
  'page.tagline':
    'Two ways a neural network can generate: one piece at a time (autoregressive, AT) or all at once ' +
    '(non-autoregressive, NAT). Tiny models, running entirely in your browser.',
  'page.footer':
    'atnat: a C++ inference core (xtensor + xsimd) compiled to WebAssembly, running in a Web Worker. ' +
    'Nothing leaves your browser.',
  'lang.group': 'Language',
  'share.copy': 'Copy link',
  'share.copied': 'Link copied: it opens this page with these settings.',
  'share.manual': 'Copy this link:',
  'status.starting': 'Starting the engine…',
  'status.models': 'Loading the models…',
  'status.ready': ({ simd }) => `Engine ready: ${simd}`,
  'tabs.label': 'Playgrounds',
  'tabs.text': 'Text',
  'tabs.pronounce': 'Pronounce',
  'tabs.images': 'Images',
  'tabs.engine': 'Engine',

  'common.stop': 'Stop',
  'common.seed': 'Seed',
  'common.progress': ({ name, mb, total }) => `Loading ${name}: ${mb}${total ? ` of ${total}` : ''} MB`,
  'common.loaded': ({ name, millions, mb }) => `${name}: ${millions}M parameters, ${mb} MB`,
  'help.about': ({ name }) => `What is “${name}”?`,

  // --- Text: controls
  'text.title': 'Text: a classical poem, character by character or all at once',
  'text.intro':
    'A tiny GPT (autoregressive) and a masked language model (non-autoregressive), both trained on ' +
    'about 40,000 Tang poems. Give a first character or line, pick a form, and compare.',
  'text.group.poem': 'The poem',
  'text.group.at': 'AT settings (poet-at)',
  'text.group.nat': 'NAT settings (poet-nat)',
  'text.mode': 'Mode',
  'text.mode.free': 'continue a prompt',
  'text.mode.acrostic': 'acrostic (藏头诗)',
  'text.mode.blank': 'fill in the blanks',
  'text.prompt': 'Prompt',
  'text.prompt.heads': 'Line heads',
  'text.blank': 'Poem with blanks (_)',
  'text.form': 'Form',
  'text.run': 'Run',
  'text.run.both': 'AT and NAT (race)',
  'text.run.at': 'AT only',
  'text.run.nat': 'NAT only',
  'text.run.hybrid': 'hybrid: NAT drafts, AT verifies',
  'text.generate': 'Generate',
  'text.strategy': 'Strategy',
  'text.strategy.greedy': 'greedy',
  'text.strategy.sample': 'sampling',
  'text.strategy.beam': 'beam search',
  'text.temperature': 'Temperature',
  'text.top_k': 'Top-k',
  'text.top_p': 'Top-p',
  'text.rep': 'Repetition penalty',
  'text.guidance': 'Prompt guidance G',
  'text.beam': 'Beam width',
  'text.alpha': 'Length penalty α',
  'text.iterations': 'Passes T',
  'text.nat_picks': 'Each pass picks',
  'text.nat_picks.sample': 'a draw (temperature)',
  'text.nat_picks.argmax': 'the most likely (argmax)',
  'text.nat_length': 'Length',
  'text.nat_length.form': 'from the form',
  'text.nat_length.predicted': 'predicted',
  'text.nat_length.eos': 'fixed maximum, cut at END',
  'text.length_beam': 'Length beam',
  'text.legend':
    'Tint: the deeper, the less likely the model found that character. Tap, click or focus a ' +
    'character (arrow keys move) to see the model’s top-5 alternatives. NAT: ▢ is still masked; a thin ' +
    'underline marks what the latest pass re-predicted, a thick yellow one what it changed.',
  'text.at.title': 'AT: one character at a time',
  'text.at.model': '(poet-at, KV cache)',
  'text.at.output': 'The AT poem',
  'text.nat.title': 'NAT: all characters at once',
  'text.nat.model': '(poet-nat, mask-predict)',
  'text.nat.output': 'The NAT poem',
  'text.nat.lengths': 'predicted length',

  // forms: the Chinese names in both languages, with a gloss in English
  'form.wuyan-jueju': '五言绝句 · 4 lines of 5',
  'form.wuyan-lvshi': '五言律诗 · 8 lines of 5',
  'form.qiyan-jueju': '七言绝句 · 4 lines of 7',
  'form.qiyan-lvshi': '七言律诗 · 8 lines of 7',
  'form.free': '自由 · free (any length)',
  'form.short.wuyan-jueju': '五言绝句',
  'form.short.wuyan-lvshi': '五言律诗',
  'form.short.qiyan-jueju': '七言绝句',
  'form.short.qiyan-lvshi': '七言律诗',
  'form.short.free': 'a free poem',

  'form.problem.pattern': ({ problem }) => problem,
  'form.problem.count': ({ lines, expected }) => `${lines} lines, expected ${expected}`,
  'form.problem.length': ({ line, n, expected }) => `line ${line} has ${n} characters, expected ${expected}`,
  'form.even': 'an even number',
  'form.five_or_seven': '5 or 7',
  'speed.label': 'Show',
  'speed.live': 'live (full speed)',
  'speed.slow': 'slow motion',
  'speed.step': 'step by step',
  'player.pause': 'Pause',
  'player.play': 'Play',
  'player.step_text': 'Next step',
  'player.step_image': 'Next step',
  'player.state': ({ shown, total, finished }) => `step ${shown} of ${total}${finished ? '' : '+'}`,
  'player.paused': 'paused: press “Next step” or “Play”',

  // --- explanations of the controls (the ⓘ buttons)
  'help.mode':
    'Continue: the models write after your first character or line. Acrostic (藏头诗): each line ' +
    'starts with one of your characters. Fill in the blanks: the models fill only the _ in a poem you give; ' +
    'this is how BERT-style models are trained.',
  'help.prompt':
    'The start of the poem: one character or a whole first line, in Chinese. Traditional characters ' +
    'are converted to simplified ones and , . to ，。 before the models see them.',
  'help.prompt.heads': 'One character per line, in order: 春夏秋冬 puts 春 at the start of line 1, 夏 of line 2 …',
  'help.blank':
    'A poem with _ (or □) where characters are missing. Both models keep every given character and ' +
    'fill only the blanks.',
  'help.form':
    'The classical layout: 五言 = 5 characters per line, 七言 = 7; 绝句 = 4 lines, 律诗 = 8. A form ' +
    'fixes the length, which NAT must know before it writes. 自由 (free): any even number of lines.',
  'help.run':
    'Which generators run. The race runs both at once on the same request. The hybrid lets NAT draft ' +
    'the rest of the poem and AT check the draft’s next 4 characters in one pass (speculative decoding).',
  'help.speed':
    'Live shows each step as it is computed (it is over in a blink). Slow motion gives every ' +
    'forward pass the same time on screen, so you can count them. Step by step waits for you: one character ' +
    '(AT) or one pass (NAT) per click.',
  'help.strategy':
    'How AT picks each next character from the model’s probabilities. Greedy: always the most ' +
    'likely one (repeats easily). Sampling: draw at random by probability. Beam search: keep several partial ' +
    'poems and return the best overall.',
  'help.temperature':
    'Divides the scores before they become probabilities. Below 1: sharper, safer, more ' +
    'repetitive. Above 1: flatter, more surprising, more mistakes. Any value from 0.01 to 5.',
  'help.top_k':
    'Draw only among the k most likely characters (0: no limit). Cuts off the long tail of unlikely ' + 'characters.',
  'help.top_p':
    'Nucleus sampling: draw only among the most likely characters whose probabilities add up to p ' + '(1: no limit).',
  'help.repetition_penalty':
    'Makes characters already in the poem less likely (1: off; 1.2 is mild). Used by ' + 'greedy and sampling.',
  'help.beam':
    'How many partial poems beam search keeps at each step (1 = greedy). With a classical form, every beam ' +
    'is given the form’s punctuation and line breaks: maximising probability alone ends poems early or late.',
  'help.alpha':
    'Beam search compares poems of different lengths by their log-probability divided by ' +
    'length^α: 0 favours short poems, 1 is a per-character average.',
  'help.seed': 'Fixes the random draws: the same seed and settings give the same poem.',
  'help.iterations':
    'Mask-predict passes. Pass 1 fills every position at once; each later pass masks the ' +
    'characters the model is least sure of and predicts them again. T passes = T forward passes.',
  'help.nat_length':
    'NAT must choose the length before writing. From the form: a regular form fixes it. ' +
    'Predicted: a small classifier guesses it first (the only choice for the free form). Fixed maximum: ' +
    'write 104 positions and cut at the first END token.',
  'help.nat_picks':
    'How a pass chooses the character at each masked position. The most likely one (argmax) is the ' +
    'original mask-predict; a draw at a low temperature is usually the same character, sometimes a ' +
    'close second. On 200 test poems, 4 passes with draws at 0.3 read more fluently than 4 argmax passes ' +
    '(poet-at’s perplexity 11.6 against 13.0) and end alike less often, with about as many repeats, because a ' +
    'draw lets a pass leave the model’s favourite phrase and the later passes repair what a draw breaks.',
  'help.nat_repetition_penalty':
    'Makes characters the poem already holds less likely when a pass predicts a position (1: off). AT ' +
    'penalises what it has written; a NAT pass penalises what its canvas holds, so pass 1 sees only the prompt ' +
    'and each later pass more of the poem: the passes repair repeated characters. On 200 test poems (4 passes, ' +
    'draws at 0.3) 1.5 raised the distinct characters per poem from 88.1% to 94.2% and cut the bigrams repeated ' +
    'across lines from 3.1% to 0.9%; poems ending alike went from 1.0% to 0.5%. The hybrid’s drafts ignore it.',
  'help.nat_guidance':
    'Steers every pass toward what your prompt adds (0: off): classifier-free guidance, as diffusion models use ' +
    'it. Each pass runs twice, the second time with the prompt masked, and picks from (1 + G) × the logits − G × ' +
    'the prompt-blind logits; what the blind pass predicts too is what any prompt would get, a template such as ' +
    '不知何处是长安. On the 200 test prompts (10 passes, penalty 1.5) G = 0.5 cut the poems ending alike from 1.5% ' +
    'to 1.0%, as few as after one pass, for twice the passes and AT perplexity 11.4 instead of 11.3. Acrostics ' +
    'and blank texts have no prompt to mask; the hybrid ignores it.',
  'help.nat_temperature':
    'How far a draw strays from the most likely character: near 0 it is the argmax, at 1 it ' +
    'follows the model’s probabilities. Of 0.3, 0.5 and 0.8, 0.3 read best at 4 and at 10 passes.',
  'help.length_beam':
    'Try the top few predicted lengths and keep the poem with the best average confidence. ' +
    'Only with a predicted length.',
  'help.image_class': 'Which kind of garment both models paint (the 10 Fashion-MNIST classes).',
  'help.image_seed': 'Fixes the random draws: the same seed paints the same image.',
  'help.image_method':
    'Naive: all 784 pixels through the whole network for each new pixel (784 full passes). ' +
    'Cached (Fast PixelCNN): keeps what earlier pixels computed and updates only what the new pixel changes. ' +
    'Same image, far less work.',
  'help.image_steps':
    'K parallel passes for pixnat: each predicts every unpainted pixel and keeps the most ' +
    'confident share. K = 1 paints all 784 pixels in one pass.',
  'help.image_view':
    'Watch: painted slowly enough to follow. Step by step: one row (PixelCNN) or one pass ' +
    '(pixnat) per click. Result only: full speed. Grid: 16 images each.',

  // --- metrics: labels and their explanations
  'metric.passes': 'forward passes',
  'metric.at_passes': 'AT passes (greedy would take)',
  'metric.nat_passes': 'NAT draft passes',
  'metric.accepted': 'draft characters accepted',
  'metric.time': 'compute time',
  'metric.ttft': 'time to first character',
  'metric.cps': 'characters/s',
  'metric.ppl': 'AT perplexity',
  'metric.repetition': 'repetition',
  'metric.form': 'layout',
  'metric.wall': 'wall time (with display)',
  'help.metric.passes':
    'How many times a model ran. AT runs once per character; NAT once per pass (plus one ' +
    'small pass for the length).',
  'help.metric.at_passes':
    'The hybrid’s AT verification passes, and in brackets how many AT greedy needs for ' +
    'the same poem. Fewer is the point of speculative decoding.',
  'help.metric.nat_passes': 'The CMLM passes spent drafting, over all rounds.',
  'help.metric.accepted':
    'Of the drafted characters AT checked, how many equal what AT greedy would have ' + 'written. Only these are kept.',
  'help.metric.time': 'Time spent computing in this browser, without the display.',
  'help.metric.ttft': 'How long until the first new character appeared (the prompt is processed first).',
  'help.metric.cps': 'Poem characters per second of compute time.',
  'help.metric.ppl':
    'How surprised poet-at is by the poem, per token: lower is more fluent to the AT model. ' +
    'It also scores NAT’s text. It likes frequent characters, so read it with the repetition.',
  'help.metric.repetition':
    'Neighbouring pairs of identical characters (不不) among all neighbouring pairs. ' +
    'High values are the typical NAT failure: the multi-modality problem.',
  'help.metric.form':
    'Only the layout: line count, characters per line, ，。 in place. It says nothing about ' +
    'whether the words make sense.',
  'help.metric.wall': 'From the click to the last character on screen, including the slow motion.',

  // --- result texts
  'result.layout_ok': 'right layout',
  'result.layout_ok_repeats': ({ rate }) => `right layout, but ${pct(rate)} repeats`,
  'result.na': 'n/a',
  'nat.pass': ({ pass, predicted, changed }) => `pass ${pass}: ${predicted} predicted, ${changed} changed`,
  'nat.pass_first': ({ pass, predicted }) => `pass ${pass}: ${predicted} predicted at once`,
  'hybrid.round': ({ round, accepted, drafted }) => `round ${round}: ${accepted} of ${drafted} draft tokens accepted`,
  'hybrid.legend': 'green: draft accepted · red: draft rejected, AT’s own character follows · grey: draft thrown away',
  'inspector.at': ({ text, p, top }) => `${text}: ${p} · the model’s top 5: ${top}`,
  'inspector.forced': ({ text }) => `${text}: given (forced), not chosen by the model`,
  'inspector.nat': ({ text, p }) => `${text}: ${p} when last predicted`,
  'inspector.given': ({ text }) => `${text}: given by you; the model never changes it`,
  'inspector.newline': '⏎ (line break)',

  // --- panel notes and errors
  'note.not_run': ({ run }) => `Not part of this run (${run}): nothing shown here.`,
  'note.hybrid_nat': 'The hybrid’s drafts: what NAT proposed each round and what AT accepted.',
  'note.hybrid_at': 'The hybrid’s poem, verified by AT: exactly what AT greedy writes.',
  'note.stopped': 'Stopped before the end: what is shown is partial.',
  'notice.converted': ({ changes }) => `Converted for the models: ${changes}`,
  'list.gap': '  ',
  'err.unknown': ({ chars }) =>
    `The models do not know ${chars}. They know about 5,200 simplified Chinese ` +
    'characters and the marks “，” and “。” only: please replace these.',
  'err.too_long': ({ n, max, form }) =>
    `The prompt has ${n} characters and punctuation marks; ${form} holds only ` +
    `${max}. Shorten it or pick a longer form.`,
  'err.too_many_heads': ({ n, lines, form }) => `${n} line heads, but ${form} has ${lines} lines.`,
  'err.range': ({ name, min, max }) => `${name} must be a number from ${min} to ${max}.`,
  'err.acrostic_form': 'An acrostic needs a regular form (五言 or 七言, 绝句 or 律诗).',
  'err.blank_marks': 'Mark the characters to fill with _ (or □).',
  'err.engine': ({ message }) => `The engine refused the request: ${message}`,

  'sentence.gap': ' ', // between two sentences of one paragraph
  // --- "what you are seeing", written from each result
  'seeing.at': ({ passes, chars }) =>
    `AT wrote ${chars} characters in ${passes} forward passes: one per token, ` +
    'each seeing everything before it. The KV cache keeps the earlier characters’ keys and values, so each pass ' +
    'computes only the new one.',
  'seeing.at.greedy': 'Greedy takes the most likely character every time, so it tends to fall into loops.',
  'seeing.at.sample': ({ temperature }) =>
    `Sampling draws each character by its probability (temperature ` +
    `${temperature}): another seed gives another poem.`,
  'seeing.at.beam': ({ beam }) =>
    `Beam search kept ${beam} partial poems at every step and returned the best ` +
    'complete one, so the characters appear all at the end.',
  'seeing.nat': ({ passes, T, predicted, lengthPass, blind }) =>
    `NAT wrote all ${predicted} positions in its first pass, ` +
    `then spent ${T - 1} more pass${T === 2 ? '' : 'es'} re-predicting the least confident ones (${passes} forward ` +
    `passes${lengthPass ? ', one of them for the length' : ''}${blindNote(blind)}).`,
  'seeing.nat.one_pass': ({ passes, predicted, lengthPass, blind }) =>
    `NAT wrote all ${predicted} positions in one pass ` +
    `(${passes} forward pass${passes === 1 ? '' : 'es'}${lengthPass ? ', one of them for the length' : ''}` +
    `${blindNote(blind)}): as fast as it gets, and as rough.`,
  'seeing.repetition': ({ rate }) =>
    `${pct(rate)} of neighbouring characters repeat (不不, 人人): the ` +
    'multi-modality problem. Each position picks its own most likely character without knowing what the ' +
    'others picked, so common characters win everywhere. More passes T repair a little; training NAT on AT’s ' +
    'outputs (knowledge distillation) is the usual cure.',
  'seeing.repetition_low': ({ rate }) => `Repetition ${pct(rate)}: neighbouring characters rarely repeat.`,
  'seeing.form_bad': ({ problem }) =>
    `The layout is off (${problem}). With a predicted length the first pass ` +
    'often misplaces punctuation; later passes can repair it.',
  'seeing.hybrid': ({ rounds, accepted, drafted, at, greedy }) =>
    `NAT drafted the rest of the poem ${rounds} ` +
    `times; each time AT checked the draft’s next characters (at most 4) in one pass and kept those it would ` +
    `have written itself (${accepted} of ${drafted}). ${at} AT passes instead of ${greedy}: the poem is exactly ` +
    `AT greedy’s (with the same repetition penalty).`,
  'seeing.pixelcnn': ({ passes, updates }) =>
    `PixelCNN painted 784 pixels one at a time in raster order, each ` +
    'seeing only the pixels above and to its left (masked convolutions). ' +
    (passes > 0
      ? `Naive: ${passes} full passes over the image.`
      : `Cached: ${updates} single-pixel updates instead of 784 full passes.`),
  'seeing.pixnat': ({ K }) =>
    `pixnat painted all 784 pixels in ${K} parallel pass${K === 1 ? '' : 'es'}: each ` +
    'predicts every unpainted pixel and keeps the most confident ones.',
  'seeing.pixnat.many':
    'This checkpoint is under-trained: with more passes its images get worse, not better ' +
    '(see the chart under “Learn”).',

  // --- Images
  'images.title': 'Images: pixel by pixel, or in a few parallel steps',
  'images.intro':
    'Fashion-MNIST, 28×28, 16 grey levels. Left: a Gated PixelCNN paints one pixel at a time, each ' +
    'conditioned on all before it. Right: a parallel model predicts every pixel at once and keeps the most ' +
    'confident, over K passes (mask-predict).',
  'images.group': 'The image',
  'images.class': 'Class',
  'images.class.0': 'T-shirt/top',
  'images.class.1': 'Trouser',
  'images.class.2': 'Pullover',
  'images.class.3': 'Dress',
  'images.class.4': 'Coat',
  'images.class.5': 'Sandal',
  'images.class.6': 'Shirt',
  'images.class.7': 'Sneaker',
  'images.class.8': 'Bag',
  'images.class.9': 'Ankle boot',
  'images.method': 'PixelCNN sampler',
  'images.method.cached': 'cached (Fast PixelCNN)',
  'images.method.naive': 'naive: 784 full passes (slow)',
  'images.steps': 'Parallel steps K',
  'images.view': 'Show',
  'images.view.watch': 'watch it paint',
  'images.view.step': 'step by step',
  'images.view.fast': 'result only',
  'images.view.grid': '4×4 grid',
  'images.paint': 'Paint',
  'images.legend':
    'Light peach: not painted yet (so a black pixel never looks empty). Magenta: where the painter ' +
    'is: PixelCNN’s next pixel, the pixels pixnat’s latest pass revealed.',
  'images.at.title': 'AT: pixel by pixel',
  'images.at.model': '(Gated PixelCNN)',
  'images.nat.title': 'NAT: all pixels, K passes',
  'images.nat.model': '(pixnat, mask-predict)',
  'images.counter': ({ painted, total }) => `${painted} / ${total} pixels painted`,
  'images.canvas': ({ model, cls, painted, total }) => `${model}: ${cls}, ${painted} of ${total} pixels painted`,
  'images.canvas.grid': ({ model, cls, n }) => `${model}: ${n} images of ${cls}`,
  'images.params': ({ name, k }) => `${name}: ${k}k parameters`,
  'metric.img_time': 'time per image',
  'metric.full_passes': 'full forward passes',
  'metric.pixel_updates': 'single-pixel updates',
  'metric.positions': 'pixels evaluated',
  'metric.k_passes': 'parallel passes (K)',
  'metric.images': 'images',
  'metric.img_wall': 'wall time (with painting)',
  'help.metric.img_time': 'Compute time per image in this browser, without the painting delay.',
  'help.metric.full_passes':
    'Passes of the whole network over the whole image: 784 for the naive sampler, 0 ' + 'for the cached one.',
  'help.metric.pixel_updates':
    'The cached sampler’s steps: each updates only the network values that the new ' + 'pixel changes.',
  'help.metric.positions': 'Pixel positions the network computed, summed over all passes: the real amount of work.',
  'help.metric.k_passes': 'pixnat’s forward passes, each over all 784 pixels at once.',
  'help.metric.images': 'How many images were painted.',
  'help.metric.img_wall': 'From the click to the finished picture, including the watching delay.',

  // --- Engine
  'engine.title': 'Engine: how fast is this browser’s WebAssembly SIMD?',
  'engine.intro':
    'The core’s matrix kernels (xsimd, compiled to WebAssembly SIMD128), timed here after a warm-up. ' +
    'GEMV is one token’s step; GEMM is a whole prompt or batch at once.',
  'cache.none': 'No weights are kept in this browser: the next visit downloads them again.',
  'cache.stored': ({ mb, files }) =>
    `Weights kept in this browser for later visits and offline use: ${mb} MB in ${files} files.`,
  'cache.clear': 'Clear the stored weights',
  'engine.run': 'Run the kernel benchmark',
  'engine.kernel': 'kernel',
  'engine.size': 'size',
  'engine.ms': 'ms per call',
  'engine.info': ({ version, simd }) => `core ${version}, ${simd}`,

  // --- Pronounce
  'pronounce.title': 'Pronounce: English spelling to sounds, with an encoder-decoder',
  'pronounce.intro':
    'One encoder reads the letters; two decoders write the sounds (ARPAbet, the phoneme code of the ' +
    'CMU pronouncing dictionary, and IPA). AT writes one phoneme at a time; NAT predicts the length, then all ' +
    'phonemes at once. Both look at the letters through cross-attention: the heatmaps show where.',
  'pronounce.group.word': 'The word',
  'pronounce.word': 'Word',
  'pronounce.map': 'Attention map',
  'pronounce.go': 'Pronounce',
  'pronounce.examples': 'Try:',
  'pronounce.examples.words': 'words',
  'pronounce.examples.names': 'names',
  'pronounce.examples.made_up': 'made up',
  'pronounce.group.at': 'AT decoder',
  'pronounce.group.nat': 'NAT decoder',
  'pronounce.legend':
    'Tint: the deeper, the less sure the decoder was of that phoneme. NAT: a thin underline marks ' +
    'what the latest pass re-predicted, a thick yellow one what it changed. Heatmap: one row per ' +
    'phoneme, one column per letter; the darker, the more attention.',
  'pronounce.at.title': 'AT: one phoneme at a time',
  'pronounce.at.model': '(g2p AT decoder, KV cache)',
  'pronounce.nat.title': 'NAT: all phonemes at once',
  'pronounce.nat.model': '(g2p NAT decoder, mask-predict)',
  'pronounce.candidates': 'every candidate, best first',
  'pronounce.candidates.nat': 'every length tried, best first',
  'pronounce.lengths': 'predicted length',
  'help.word':
    'An English word, a name or one you make up, spelled with the letters a-z and the apostrophe (at ' +
    'most 32). The model has never seen most made-up words: it has to generalise from spelling patterns.',
  'help.attention_map':
    'Which cross-attention map the heatmaps show: the mean of every layer and head, or one ' +
    'head. Each decoder layer has its own heads; some follow the letters closely, some look around.',
  'help.pron_speed':
    'Live shows each step as it is computed. Slow motion gives every decoder pass the same time ' +
    'on screen. Step by step waits for you: one phoneme (AT) or one pass (NAT) per click.',
  'help.pron_strategy':
    'How the AT decoder picks each phoneme. Greedy: the most likely one. Beam search: keep the ' +
    'best few partial pronunciations and return the most likely whole one. Sampling: draw by probability.',
  'help.pron_beam':
    'How many partial pronunciations beam search keeps at each step (1 = greedy). Every ' +
    'candidate is listed with its score, log p divided by its length.',
  'help.pron_seed': 'Fixes the random draws: the same seed and settings give the same pronunciation.',
  'help.pron_iterations':
    'Mask-predict passes. Pass 1 predicts every phoneme at once; each later pass masks the ' +
    'phonemes the model is least sure of and predicts them again.',
  'help.pron_length_beam':
    'Decode the k most likely lengths and keep the pronunciation with the best average ' +
    'log-probability per phoneme.',
  'metric.pron_passes': 'decoder passes',
  'metric.model_calls': 'model calls',
  'metric.logprob': 'log-probability',
  'metric.diagonality': 'diagonality',
  'metric.length': 'predicted length',
  'help.metric.pron_passes':
    'Sequential decoder passes: AT one per phoneme plus one for END (beam search: one ' +
    'per step); NAT one per mask-predict pass. The length comes with the encoder, at no extra pass.',
  'help.metric.model_calls':
    'Every run of a network: the encoder once, then each decoder call (beam search ' +
    'calls the decoder once per hypothesis at every step).',
  'help.metric.logprob':
    'The sum of the log-probabilities the decoder gave its own phonemes (AT: END included). ' +
    'Near 0: sure of every phoneme. It compares candidates of one decoder, not AT with NAT.',
  'help.metric.diagonality':
    'How monotonic the mean cross-attention is: the share of attention within one letter ' +
    'of the best left-to-right alignment of phonemes to letters. 1 = a clean diagonal; spread evenly over S ' +
    'letters it would be about 3/S.',
  'help.metric.length':
    'The phoneme count the length head read from the encoder (the most likely one, or the ' +
    'best of the length beam).',
  'pron.err.empty': "Type a word first (letters a-z and ').",
  'pron.err.chars': ({ chars }) => `The model reads only the letters a-z and the apostrophe; please remove ${chars}.`,
  'pron.err.too_long': ({ n, max }) => `The word has ${n} letters; the model reads at most ${max}.`,
  'pron.map.mean': ({ n }) => `mean of all ${n} heads`,
  'pron.map.head': ({ layer, head }) => `layer ${layer}, head ${head}`,
  'pron.map.title': ({ name, d }) => `Cross-attention, ${name}: diagonality ${d}`,
  'pron.candidate': ({ arpabet, ipa, score, logprob }) => `${arpabet}  /${ipa}/  score ${score} (log p ${logprob})`,
  'pron.candidate.unfinished': ({ arpabet, score, logprob }) =>
    `${arpabet} …  score ${score} (log p ${logprob}), ` + 'had not reached END',
  'pron.candidate.nat': ({ arpabet, ipa, length, score }) =>
    `L = ${length}: ${arpabet}  /${ipa}/  ` + `${score} per phoneme`,
  'pron.seeing.at': ({ phonemes, passes }) =>
    `AT wrote ${phonemes} phonemes in ${passes} passes. Each pass saw the ` +
    'phonemes so far (its KV cache) and looked back at the letters through cross-attention, whose keys and values ' +
    'are computed once per word.',
  'pron.seeing.beam': ({ beam, n }) =>
    `Beam search kept ${beam} partial pronunciations at every step; the ${n} ` +
    'it ended with are listed, best first. With one right answer, the most probable sequence is what we want.',
  'pron.seeing.sample': ({ temperature }) =>
    `Sampling drew each phoneme by its probability (temperature ` +
    `${temperature}). With one right answer, every unlikely draw is a likely mistake: try another seed.`,
  'pron.seeing.nat': ({ length, passes }) =>
    `NAT took the length ${length} from the encoder, predicted all ${length} ` +
    `phonemes in its first pass, then re-predicted the least sure ones: ${passes} passes in all.`,
  'pron.seeing.nat.one_pass': ({ length }) =>
    `NAT took the length ${length} from the encoder and predicted all ` + `${length} phonemes in one pass.`,
  'pron.verdict.same': ({ word, at }) =>
    `AT and NAT agree: “${word}” = ${at}. Pronunciation has nearly one right ` +
    'answer, so NAT’s independent guesses rarely clash, unlike in free poetry.',
  'pron.verdict.differ': ({ word, at, nat }) => `AT and NAT differ on “${word}”: AT ${at}, NAT ${nat}.`,

  // --- Learn
  'learn.summary': 'Learn: what this shows',
  'learn.cards': 'Model cards (data, training, measurements; in English):',
  'learn.compare': 'the AT / NAT / hybrid comparison',
  'learn.text.at_nat.h': 'AT vs NAT',
  'learn.text.at_nat':
    'An autoregressive model writes one character per forward pass, each conditioned on all ' +
    'before it: a quatrain costs about 25 passes. A non-autoregressive model writes every position in the same ' +
    'pass: one pass, in parallel. Count the forward passes under each panel.',
  'learn.text.kv.h': 'The KV cache',
  'learn.text.kv':
    'In masked (causal) self-attention a character only looks back, so the keys and values of ' +
    'earlier characters never change. AT stores them and computes only the new character at each step: ' +
    'that is why an AT step here is a small matrix-vector product.',
  'learn.text.decoding.h': 'Greedy, sampling, beam search',
  'learn.text.decoding':
    'The model gives a probability for every next character; decoding chooses. Greedy takes ' +
    'the top one and loops (不知不知…). Sampling with a temperature, top-k and top-p trades safety for variety. ' +
    'Beam search keeps the best few partial poems; it finds likely text, which is often dull.',
  'learn.text.length.h': 'How does NAT know the length?',
  'learn.text.length':
    'Writing everything at once needs the length first. Two strategies from the lecture: ' +
    'predict it with a classifier (here a small head reads the form), or write a fixed maximum and cut at the ' +
    'first END. A regular form simply fixes it.',
  'learn.text.mask_predict.h': 'Mask-predict: many one-shots',
  'learn.text.mask_predict':
    'One pass fills every position. Mask-predict then masks the characters it is least ' +
    'sure of and predicts them again, fewer each pass: T passes are T one-shot generations, each conditioned on ' +
    'the last. In slow motion, the highlighted characters are what a pass changed. The passes are mode ' +
    'seeking: each picks what is likely given the rest, so poems drift towards the model’s favourite phrases ' +
    '(of 200 test poems, 4 end with a couplet another one also ends with after one pass, 14 after 10; ' +
    '不知何处所，空见白云生 keeps coming back). Drawing each pick at a low temperature (the page’s default) makes ' +
    '4 passes more fluent (poet-at’s perplexity 11.6 against 13.0) with as few repeated neighbours (0.6% against ' +
    '0.7%). The page also penalises characters already on the canvas (NAT’s repetition penalty, 1.5): then every ' +
    'pass repairs repeats, and from 1 to 4 to 10 passes the bigrams repeated across lines fall 2.6% → 0.8% → ' +
    '0.3%. Only the shared endings do not fall: the penalty works inside one poem, the mode seeking across poems. ' +
    'Prompt guidance, and a student trained on the teacher’s poems with their clichés thinned out, keep them ' +
    'rare but do not remove them.',
  'learn.text.multimodality.h': 'The multi-modality problem',
  'learn.text.multimodality':
    'A line could go many ways (many “modes”). AT commits to one as it goes. NAT’s ' +
    'positions decide independently, so each hedges towards what is likely anywhere: trained on real poems, this ' +
    'page’s NAT wrote 不人不人人. Knowledge distillation cures most of it: the poet-nat here learned from poet-at’s ' +
    'own rewrites of the training poems, one mode per prompt. More passes then repair what is left.',
  'learn.text.bert.h': 'BERT as a denoising auto-encoder',
  'learn.text.bert':
    'poet-nat is trained like BERT: hide some characters of a poem (here one poet-at wrote) and reconstruct them. ' +
    '“Fill in the blanks” is exactly that task; free writing is the extreme case where everything is masked.',
  'learn.text.speculative.h': 'Speculative decoding (the hybrid)',
  'learn.text.speculative':
    'NAT drafts the rest of the poem; AT checks the draft’s next 4 characters in one pass and ' +
    'keeps the longest prefix it agrees with, plus its own next character (a longer check rarely keeps more: ' +
    'NAT’s draft is usually right for only one or two characters). The result is exactly AT greedy’s, ' +
    'in fewer AT passes (here less than half of them). It pays in time only when the drafter is cheap and usually ' +
    'right; on a CPU one NAT pass costs 5-10 AT steps (it depends on the machine), and only the draft up to the first disagreement counts.',
  'learn.images.pixelcnn.h': 'PixelCNN: masked convolutions',
  'learn.images.pixelcnn':
    'An image in raster order is a sequence of 784 pixels. PixelCNN’s convolutions are ' +
    'masked so that each pixel sees only the pixels above and to its left: the image version of causal ' +
    'self-attention. Sampling is autoregressive: one pixel per step.',
  'learn.images.cache.h': 'Caching, for images',
  'learn.images.cache':
    'The naive sampler runs the whole network 784 times. Fast PixelCNN caches what earlier ' +
    'pixels computed and updates only what a new pixel changes: the same idea as the KV cache.',
  'learn.images.pixnat.h': 'pixnat: mask-predict over pixels',
  'learn.images.pixnat':
    'Start with every pixel masked, predict them all, keep the most confident share, re-mask ' +
    'the rest, K times (MaskGIT’s schedule). K = 1 is pure one-shot NAT. The ranking gets random noise: ' +
    'by confidence alone the background always wins, and the garment shrinks with every pass.',
  'learn.pron.cross.h': 'Cross-attention',
  'learn.pron.cross':
    'The encoder turns the letters into one vector each, once per word. In every decoder layer, ' +
    'each phoneme position asks (query) which letters matter (keys) and takes a weighted mix of them (values): ' +
    'that is cross-attention. A row of the heatmap is one phoneme’s weights over the letters; it sums to 1.',
  'learn.pron.guided.h': 'Monotonic (guided) attention',
  'learn.pron.guided':
    'Spelling and sound run in the same order, so a good map is nearly diagonal: “ph” → F, ' +
    'silent letters skipped. This model learned it without help (the diagonality number measures it); guided ' +
    'attention adds a loss that pushes attention towards the diagonal, which speech synthesis often needs.',
  'learn.pron.exposure.h': 'Teacher forcing and exposure bias',
  'learn.pron.exposure': ({ forced, free, positions }) =>
    'In training the AT decoder always sees the correct earlier ' +
    'phonemes (teacher forcing); when it runs, it sees its own, mistakes included (exposure bias). ' +
    (forced === undefined
      ? ''
      : `Measured on ${positions} phoneme positions of the test words: ${pct(forced)} ` +
        `right when fed the correct prefix, ${pct(free)} when fed its own. An early mistake shifts everything after it.`),
  'learn.pron.beam.h': 'Beam search vs sampling, with one right answer',
  'learn.pron.beam':
    'A poem has many good continuations, so sampling adds welcome variety. A word has one ' +
    'pronunciation (or a few), so the goal is the most probable sequence: beam search gets closer to it than ' +
    'greedy, and sampling only adds mistakes.',
  'learn.pron.modes.h': 'Why NAT does well here',
  'learn.pron.modes':
    'NAT fails on poems because a line could go many ways and each position picks on its own ' +
    '(the multi-modality problem). A word’s pronunciation is nearly determined by its spelling, so NAT’s ' +
    'positions agree, and a few passes get close to AT in fewer sequential steps.',
  'learn.pron.table.h': 'Measured on 500 test words',
  'learn.pron.decoder': 'decoder',
  'learn.pron.passes': 'passes per word',
  'learn.pron.ms': 'ms per word (native)',
  'learn.pron.table.note': ({ words }) =>
    `WER: share of the ${words} words with any phoneme wrong; PER: phoneme ` +
    'edits per reference phoneme. From models/g2p/test500.json. Published on all of CMUdict: Transformer ' +
    'WER 19.9-23.8%. This small model (3.1M parameters per decoder, trained on one CPU core) has converged near ' +
    '27% on the whole test split; its card says what would close the gap.',
  'learn.engine.gemv.h': 'GEMV vs GEMM',
  'learn.engine.gemv':
    'An AT step with a KV cache multiplies each weight matrix by one vector (GEMV): it reads ' +
    'every weight to do little arithmetic, so memory speed limits it. A NAT pass, a prompt, or the hybrid’s ' +
    'verification multiplies by many vectors at once (GEMM) and uses the arithmetic units far better.',
  'learn.engine.simd.h': 'SIMD in the browser',
  'learn.engine.simd':
    'WebAssembly SIMD128 works on 4 floats per instruction. The same xsimd code compiles ' +
    'natively (SSE4.1) and to WebAssembly, so both builds compute the same numbers.',

  // --- Charts
  'chart.text.h': 'Quality and time against the passes T',
  'chart.text.intro':
    'From models/poet-nat/compare.md: 200 test prompts, measured natively. AT greedy is the ' +
    'dashed line. The argmax passes without a penalty show raw mask-predict; with the repetition penalty ' +
    '(the page’s default) every pass also lowers the repetition. Run the sweep to add this prompt with the ' +
    'settings above, measured in your browser.',
  'chart.text.sweep': 'Sweep T on this prompt',
  'chart.images.h': 'Quality and time against the passes K',
  'chart.images.intro':
    'From models/pixnat/quality.json: 1,000 samples judged by a Fashion-MNIST classifier. ' +
    'Run the sweep to time K in your browser.',
  'chart.images.sweep': 'Time K in this browser',
  'chart.sweep.running': ({ value }) => `measuring ${value}…`,
  'chart.sweep.done': 'done: the dotted line is this browser.',
  'chart.axis.T': 'passes T',
  'chart.axis.K': 'passes K',
  'chart.repetition': 'repetition (%)',
  'chart.ppl': 'AT perplexity',
  'chart.ms': 'time per poem (ms)',
  'chart.form': 'right layout (%)',
  'chart.class_match': 'class match (%)',
  'chart.fd': 'Fréchet distance (lower is better)',
  'chart.s_per_image': 'time per image (ms)',
  'chart.series.length': 'NAT, predicted length',
  'chart.series.fixed': 'NAT, fixed max + END',
  'chart.series.penalty': ({ r }) => `NAT, repetition penalty ${r}`,
  'chart.series.at': 'AT greedy',
  'chart.series.prompt': 'this prompt (your browser)',
  'chart.series.g0': 'confidence order',
  'chart.series.g45': 'confidence + noise (4.5)',
  'chart.series.g30': 'confidence + noise (30, the default)',
  'chart.series.random': 'random order',
  'chart.series.browser': 'your browser',
  'chart.unavailable': 'The chart data is not in this build.',
};
