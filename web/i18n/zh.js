// 页面上的全部中文文字。键与 i18n/en.js 一一对应（tests/node/i18n.test.mjs 会检查）。
// 值是字符串，或是由结果生成文字的函数（参数按名传入）。
const pct = (x) => `${(100 * x).toFixed(1)}%`;
// 提示引导占 NAT 前向计算次数的多少，用在“你看到的是什么”那一行
const blindNote = (blind) => (blind ? `，${blind} 次遮住提示，用于提示引导` : '');

export default {
  'page.title': 'atnat：一次一个字，还是一次全部',
  'page.tagline':
    '神经网络生成内容有两种方式：一次生成一个（自回归，AT），或一次全部生成（非自回归，NAT）。' +
    '小模型，完全在你的浏览器里运行。',
  'page.footer':
    'atnat：C++ 推理核心（xtensor + xsimd）编译成 WebAssembly，在 Web Worker 中运行。数据不会离开你的浏览器。',
  'lang.group': '语言',
  'share.copy': '复制链接',
  'share.copied': '链接已复制：打开它会看到同样的设置。',
  'share.manual': '请复制这个链接：',
  'status.starting': '正在启动引擎…',
  'status.models': '正在加载模型…',
  'status.ready': ({ simd }) => `引擎就绪：${simd}`,
  'tabs.label': '实验区',
  'tabs.text': '文字',
  'tabs.pronounce': '发音',
  'tabs.images': '图像',
  'tabs.engine': '引擎',

  'common.stop': '停止',
  'common.seed': '随机种子',
  'common.progress': ({ name, mb, total }) => `正在加载 ${name}：${mb}${total ? ` / ${total}` : ''} MB`,
  'common.loaded': ({ name, millions, mb }) => `${name}：${millions}M 参数，${mb} MB`,
  'help.about': ({ name }) => `“${name}”是什么？`,

  // --- 文字：控件
  'text.title': '文字：一首古诗，逐字写出，或一次写完',
  'text.intro':
    '一个小 GPT（自回归）和一个遮罩语言模型（非自回归），都用约四万首唐诗训练。' +
    '给出第一个字或第一句，选好体裁，比一比。',
  'text.group.poem': '诗',
  'text.group.at': 'AT 设置（poet-at）',
  'text.group.nat': 'NAT 设置（poet-nat）',
  'text.mode': '模式',
  'text.mode.free': '续写',
  'text.mode.acrostic': '藏头诗',
  'text.mode.blank': '填空',
  'text.prompt': '开头',
  'text.prompt.heads': '每行首字',
  'text.blank': '带空格的诗（_）',
  'text.form': '体裁',
  'text.run': '运行',
  'text.run.both': 'AT 与 NAT 同时（赛跑）',
  'text.run.at': '只用 AT',
  'text.run.nat': '只用 NAT',
  'text.run.hybrid': '混合：NAT 起草，AT 验证',
  'text.generate': '生成',
  'text.strategy': '解码策略',
  'text.strategy.greedy': '贪心',
  'text.strategy.sample': '采样',
  'text.strategy.beam': '束搜索',
  'text.temperature': '温度',
  'text.top_k': 'Top-k',
  'text.top_p': 'Top-p',
  'text.rep': '重复惩罚',
  'text.guidance': '提示引导 G',
  'text.beam': '束宽',
  'text.alpha': '长度惩罚 α',
  'text.iterations': '迭代次数 T',
  'text.nat_picks': '每轮怎么选字',
  'text.nat_picks.sample': '按温度抽样',
  'text.nat_picks.argmax': '取最可能的（argmax）',
  'text.nat_length': '长度',
  'text.nat_length.form': '由体裁决定',
  'text.nat_length.predicted': '预测',
  'text.nat_length.eos': '固定最大长度，遇 END 截断',
  'text.length_beam': '长度束',
  'text.legend':
    '底色越深，模型越没想到这个字。点一下或用键盘聚焦某个字（方向键移动），可看模型的前五个候选字。' +
    'NAT：▢ 表示仍被遮住；细下划线标出最新一轮重新预测的字，黄色粗下划线标出这一轮改动的字。',
  'text.at.title': 'AT：一次一个字',
  'text.at.model': '（poet-at，KV 缓存）',
  'text.at.output': 'AT 写的诗',
  'text.nat.title': 'NAT：一次写出所有字',
  'text.nat.model': '（poet-nat，mask-predict）',
  'text.nat.output': 'NAT 写的诗',
  'text.nat.lengths': '预测的长度',

  'form.wuyan-jueju': '五言绝句',
  'form.wuyan-lvshi': '五言律诗',
  'form.qiyan-jueju': '七言绝句',
  'form.qiyan-lvshi': '七言律诗',
  'form.free': '自由',
  'form.short.wuyan-jueju': '五言绝句',
  'form.short.wuyan-lvshi': '五言律诗',
  'form.short.qiyan-jueju': '七言绝句',
  'form.short.qiyan-lvshi': '七言律诗',
  'form.short.free': '自由体',

  'form.problem.pattern': () => '标点或换行的位置不对',
  'form.problem.count': ({ lines, expected }) => `有 ${lines} 句，应为 ${expected} 句`,
  'form.problem.length': ({ line, n, expected }) => `第 ${line} 句有 ${n} 个字，应为 ${expected} 个`,
  'form.even': '偶数',
  'form.five_or_seven': '5 或 7',
  'speed.label': '显示',
  'speed.live': '实时（全速）',
  'speed.slow': '慢动作',
  'speed.step': '单步',
  'player.pause': '暂停',
  'player.play': '播放',
  'player.step_text': '下一步',
  'player.step_image': '下一步',
  'player.state': ({ shown, total, finished }) => `第 ${shown} 步，共 ${total}${finished ? '' : '+'} 步`,
  'player.paused': '已暂停：按“下一步”或“播放”',

  // --- 控件说明（ⓘ 按钮）
  'help.mode':
    '续写：模型接着你给的字或句子往下写。藏头诗：每行的第一个字依次是你给的字。' +
    '填空：模型只补上诗里的 _，这正是 BERT 类模型的训练方式。',
  'help.prompt': '诗的开头：一个字或整个第一句。繁体字会先转成简体，英文标点 , . 会转成中文的“，”和“。”。',
  'help.prompt.heads': '每行一个字，按顺序：春夏秋冬 表示第一行以“春”开头，第二行以“夏”开头……',
  'help.blank': '用 _（或 □）标出缺的字。两个模型都保留你给的每个字，只填空格。',
  'help.form':
    '格律：五言每句五个字，七言七个字；绝句四句，律诗八句。体裁决定了长度，而 NAT 动笔前必须知道长度。' +
    '自由：任意偶数句。',
  'help.run':
    '运行哪些生成器。赛跑：两个模型同时处理同一个请求。混合：NAT 起草后面整段，AT 用一次计算检查草稿接下来的 4 个字' +
    '（投机解码）。',
  'help.speed':
    '实时：每一步算完就显示（一眨眼就结束）。慢动作：每次前向计算在屏幕上停留同样长的时间，方便数次数。' +
    '单步：等你点击，每次一个字（AT）或一轮（NAT）。',
  'help.strategy':
    'AT 如何从模型给出的概率里挑下一个字。贪心：每次都选最可能的字（容易重复）。采样：按概率随机抽。' +
    '束搜索：同时保留几个写到一半的候选，最后返回整体最好的。',
  'help.temperature':
    '把分数除以温度再变成概率。小于 1：分布更尖，更保守，更容易重复；大于 1：更平，更出人意料，' +
    '也更容易出错。可以是 0.01 到 5 之间的任何数。',
  'help.top_k': '只在最可能的 k 个字里抽（0 表示不限制），去掉可能性很低的长尾。',
  'help.top_p': '核采样：只在累计概率达到 p 的最可能的那些字里抽（1 表示不限制）。',
  'help.repetition_penalty': '降低诗里已经出现过的字的概率（1 表示关闭，1.2 较温和）。贪心和采样都会用到。',
  'help.beam':
    '束搜索每一步保留几个候选（1 就是贪心）。选了格律诗体时，每个候选都按诗体给定标点和换行：只追求概率最大，' +
    '诗常常会提前或推迟结束。',
  'help.alpha': '束搜索比较长短不同的诗时，用对数概率除以 长度^α：α = 0 偏向短诗，α = 1 相当于按字平均。',
  'help.seed': '固定随机抽样：同样的种子和设置会写出同一首诗。',
  'help.iterations':
    'mask-predict 的轮数。第一轮一次填满所有位置；之后每轮把模型最没把握的字遮住重新预测。' + 'T 轮就是 T 次前向计算。',
  'help.nat_length':
    'NAT 动笔前必须先定长度。由体裁决定：格律诗的长度是固定的。预测：先用一个小分类器猜长度' +
    '（自由体只能这样）。固定最大长度：写满 104 个位置，在第一个 END 处截断。',
  'help.nat_picks':
    '每一轮在被遮住的位置上怎么选字。取最可能的字（argmax）是原始的 mask-predict；低温抽样多数时候选到同一个字，' +
    '偶尔选第二可能的字。在 200 首测试诗上，温度 0.3 抽样的 4 轮比 argmax 的 4 轮更通顺（poet-at 困惑度 11.6 对 13.0），' +
    '以同一联结尾的诗也更少，重复程度相当：抽样让一轮能离开模型最爱的句子，后面几轮再修补抽坏的地方。',
  'help.nat_repetition_penalty':
    '某一轮预测一个位置时，降低诗里已经有的字的概率（1 表示关闭）。AT 惩罚它已经写出的字；NAT 的一轮惩罚画布上已有的字：' +
    '第一轮只看得到提示，之后每轮看到的诗越来越多，于是各轮会修掉重复的字。在 200 首测试诗上（4 轮，温度 0.3 抽样），' +
    '1.5 让每首诗里不同字的比例从 88.1% 升到 94.2%，行间重复的二字组从 3.1% 降到 0.9%，以同一联结尾的诗从 1.0% 降到 0.5%。' +
    '混合策略的草稿不用它。',
  'help.nat_guidance':
    '让每一轮偏向你的提示带来的东西（0 表示关闭），即扩散模型常用的无分类器引导。每轮跑两次，第二次把提示遮住，然后按 ' +
    '(1 + G) × 原来的 logits − G × 看不见提示时的 logits 选字：看不见提示也会预测的，就是任何提示都会得到的套话，' +
    '比如“不知何处是长安”。在 200 个测试提示上（10 轮，重复惩罚 1.5），G = 0.5 让以同一联结尾的诗从 1.5% 降到 1.0%，' +
    '和只迭代一轮时一样少，代价是前向次数翻倍、AT 困惑度从 11.3 升到 11.4。藏头诗和填空没有可遮的提示；混合策略不用它。',
  'help.nat_temperature':
    '抽样离最可能的字有多远：接近 0 就是 argmax，1 则完全按模型的概率。实测 0.3、0.5、0.8 三个温度，4 轮和 10 轮都是 0.3 最好。',
  'help.length_beam': '试几个最可能的长度，保留平均置信度最高的那首。只在“预测”长度时可用。',
  'help.image_class': '两个模型要画哪一类服饰（Fashion-MNIST 的 10 个类别）。',
  'help.image_seed': '固定随机抽样：同样的种子画出同一张图。',
  'help.image_method':
    '朴素：每画一个新像素，都让整个网络把 784 个像素重算一遍（784 次完整计算）。' +
    '缓存（Fast PixelCNN）：保留之前算过的结果，只更新新像素影响到的部分。图一样，计算少得多。',
  'help.image_steps':
    'pixnat 的并行轮数 K：每轮预测所有还没画的像素，保留最有把握的一部分。K = 1 就是一轮画完 784 个像素。',
  'help.image_view':
    '观看：画得够慢，看得清。单步：每点一次，PixelCNN 画一行，pixnat 走一轮。只看结果：全速。' +
    '网格：每个模型画 16 张。',

  // --- 指标：名称与说明
  'metric.passes': '前向计算次数',
  'metric.at_passes': 'AT 计算次数（贪心需要）',
  'metric.nat_passes': 'NAT 起草次数',
  'metric.accepted': '被接受的草稿字',
  'metric.time': '计算时间',
  'metric.ttft': '首字时间',
  'metric.cps': '字/秒',
  'metric.ppl': 'AT 困惑度',
  'metric.repetition': '重复率',
  'metric.form': '格式',
  'metric.wall': '总时间（含显示）',
  'help.metric.passes': '模型运行了几次。AT 每写一个字跑一次；NAT 每轮跑一次（另加一次很小的长度预测）。',
  'help.metric.at_passes':
    '混合模式中 AT 的验证次数，括号里是 AT 贪心写同一首诗需要的次数。' + '投机解码的意义就在于次数更少。',
  'help.metric.nat_passes': '所有轮次里 CMLM 起草用掉的计算次数。',
  'help.metric.accepted': 'AT 检查过的草稿字中，有多少和 AT 贪心自己会写的一样。只有这些会被保留。',
  'help.metric.time': '在浏览器里实际计算的时间，不含显示。',
  'help.metric.ttft': '第一个新字出现前花了多久（要先处理开头）。',
  'help.metric.cps': '每秒计算时间写出的诗字数。',
  'help.metric.ppl':
    'poet-at 读这首诗时平均有多“意外”：越低，AT 模型觉得越通顺。NAT 的诗也由它打分。' +
    '它偏爱常见字，所以要和重复率一起看。',
  'help.metric.repetition': '相邻两字相同（如“不不”）的比例。数值高是 NAT 的典型毛病：多峰问题（multi-modality）。',
  'help.metric.form': '只看格式：句数、每句字数、“，”“。”的位置，不代表字句通顺。',
  'help.metric.wall': '从点击到最后一个字显示出来，包括慢动作的时间。',

  // --- 结果文字
  'result.layout_ok': '格式正确',
  'result.layout_ok_repeats': ({ rate }) => `格式正确，但重复率 ${pct(rate)}`,
  'result.na': '无',
  'nat.pass': ({ pass, predicted, changed }) => `第 ${pass} 轮：预测 ${predicted} 个，改了 ${changed} 个`,
  'nat.pass_first': ({ pass, predicted }) => `第 ${pass} 轮：一次预测 ${predicted} 个`,
  'hybrid.round': ({ round, accepted, drafted }) => `第 ${round} 轮：草稿 ${drafted} 个字，接受 ${accepted} 个`,
  'hybrid.legend': '绿色：草稿被接受 · 红色：草稿被拒绝，后面是 AT 自己的字 · 灰色：丢弃的草稿',
  'inspector.at': ({ text, p, top }) => `${text}：${p} · 模型的前五个候选：${top}`,
  'inspector.forced': ({ text }) => `${text}：给定的字（强制），不是模型选的`,
  'inspector.nat': ({ text, p }) => `${text}：最后一次预测时的概率 ${p}`,
  'inspector.given': ({ text }) => `${text}：你给的字，模型不会改动`,
  'inspector.newline': '⏎（换行）',

  // --- 面板提示与错误
  'note.not_run': ({ run }) => `这次运行（${run}）没有用到这一边：这里不显示内容。`,
  'note.hybrid_nat': '混合模式的草稿：每一轮 NAT 提出了什么，AT 接受了什么。',
  'note.hybrid_at': '混合模式写出的诗，经 AT 验证：和 AT 贪心写的完全一样。',
  'note.stopped': '中途停止：显示的内容不完整。',
  'notice.converted': ({ changes }) => `已为模型转换：${changes}`,
  'list.gap': '　',
  'err.unknown': ({ chars }) =>
    `模型不认识 ${chars}。它们只认识约 5,200 个简体汉字和“，”“。”两个标点，请换掉这些字符。`,
  'err.too_long': ({ n, max, form }) =>
    `开头有 ${n} 个字和标点，${form}只容得下 ${max} 个。请缩短，或换一个更长的体裁。`,
  'err.too_many_heads': ({ n, lines, form }) => `给了 ${n} 个首字，但${form}只有 ${lines} 句。`,
  'err.range': ({ name, min, max }) => `${name}必须是 ${min} 到 ${max} 之间的数。`,
  'err.acrostic_form': '藏头诗需要格律体裁（五言或七言，绝句或律诗）。',
  'err.blank_marks': '请用 _（或 □）标出要填的字。',
  'err.engine': ({ message }) => `引擎拒绝了这个请求：${message}`,

  'sentence.gap': '', // between two sentences of one paragraph
  // --- “你看到的是什么”，根据每次结果生成
  'seeing.at': ({ passes, chars }) =>
    `AT 用 ${passes} 次前向计算写了 ${chars} 个字：每个词元一次，每次都看得见前面所有的字。` +
    'KV 缓存存下了前面各字的 key 和 value，所以每次只需计算新的这个字。',
  'seeing.at.greedy': '贪心每次都取最可能的字，所以容易陷入循环。',
  'seeing.at.sample': ({ temperature }) => `采样按概率抽出每个字（温度 ${temperature}）：换一个种子就是另一首诗。`,
  'seeing.at.beam': ({ beam }) => `束搜索每一步保留 ${beam} 个候选，最后返回整体最好的一首，所以字是最后一起出现的。`,
  'seeing.nat': ({ passes, T, predicted, lengthPass, blind }) =>
    `NAT 第一轮就写出全部 ${predicted} 个位置，` +
    `之后又用 ${T - 1} 轮重新预测最没把握的字（共 ${passes} 次前向计算${lengthPass ? '，其中一次预测长度' : ''}` +
    `${blindNote(blind)}）。`,
  'seeing.nat.one_pass': ({ passes, predicted, lengthPass, blind }) =>
    `NAT 一轮就写出全部 ${predicted} 个位置` +
    `（共 ${passes} 次前向计算${lengthPass ? '，其中一次预测长度' : ''}` +
    `${blindNote(blind)}）：最快，也最粗糙。`,
  'seeing.repetition': ({ rate }) =>
    `${pct(rate)} 的相邻字重复（不不、人人）：这就是多峰问题。` +
    '每个位置各自挑最可能的字，不知道别的位置挑了什么，于是常见字到处出现。' +
    '增加迭代次数 T 能改善一点；用 AT 的输出来训练 NAT（知识蒸馏）是常用的解法。',
  'seeing.repetition_low': ({ rate }) => `重复率 ${pct(rate)}：相邻的字很少重复。`,
  'seeing.form_bad': ({ problem }) => `格式不对（${problem}）。长度靠预测时，第一轮常把标点放错，后面几轮可以修正。`,
  'seeing.hybrid': ({ rounds, accepted, drafted, at, greedy }) =>
    `NAT 一共起草了 ${rounds} 次后半首；` +
    `每次 AT 用一次计算检查草稿接下来的字（最多 4 个），只保留它自己也会写的字（${drafted} 个中的 ${accepted} 个）。` +
    `AT 只算了 ${at} 次，而不是 ${greedy} 次，写出的诗和 AT 贪心（用同样的重复惩罚）完全一样。`,
  'seeing.pixelcnn': ({ passes, updates }) =>
    'PixelCNN 按行从左到右一次画一个像素，共 784 个；每个像素只看得见它上方和左边的像素' +
    '（遮罩卷积）。' +
    (passes > 0
      ? `朴素方法：对整张图做了 ${passes} 次完整计算。`
      : `缓存方法：${updates} 次单像素更新，而不是 784 次完整计算。`),
  'seeing.pixnat': ({ K }) =>
    `pixnat 用 ${K} 轮并行计算画完全部 784 个像素：每轮预测所有还没画的像素，保留最有把握的那些。`,
  'seeing.pixnat.many': '这个模型训练不足：轮数越多，图反而越差（见“学一学”里的图表）。',

  // --- 图像
  'images.title': '图像：逐个像素，或几轮并行',
  'images.intro':
    'Fashion-MNIST，28×28，16 级灰度。左边：Gated PixelCNN 一次画一个像素，每个像素都以之前所有像素为条件。' +
    '右边：并行模型一次预测所有像素，保留最有把握的，共 K 轮（mask-predict）。',
  'images.group': '图像',
  'images.class': '类别',
  'images.class.0': 'T 恤/上衣',
  'images.class.1': '裤子',
  'images.class.2': '套头衫',
  'images.class.3': '连衣裙',
  'images.class.4': '外套',
  'images.class.5': '凉鞋',
  'images.class.6': '衬衫',
  'images.class.7': '运动鞋',
  'images.class.8': '包',
  'images.class.9': '短靴',
  'images.method': 'PixelCNN 采样方式',
  'images.method.cached': '缓存（Fast PixelCNN）',
  'images.method.naive': '朴素：784 次完整计算（慢）',
  'images.steps': '并行轮数 K',
  'images.view': '显示',
  'images.view.watch': '看它画',
  'images.view.step': '单步',
  'images.view.fast': '只看结果',
  'images.view.grid': '4×4 网格',
  'images.paint': '画',
  'images.legend':
    '浅橙色：还没画（这样黑色像素不会被当成空白）。洋红色：画笔所在：PixelCNN 的下一个像素，' +
    'pixnat 最新一轮画出的像素。',
  'images.at.title': 'AT：逐个像素',
  'images.at.model': '（Gated PixelCNN）',
  'images.nat.title': 'NAT：所有像素，K 轮',
  'images.nat.model': '（pixnat，mask-predict）',
  'images.counter': ({ painted, total }) => `已画 ${painted} / ${total} 个像素`,
  'images.canvas': ({ model, cls, painted, total }) => `${model}：${cls}，已画 ${painted} / ${total} 个像素`,
  'images.canvas.grid': ({ model, cls, n }) => `${model}：${n} 张${cls}`,
  'images.params': ({ name, k }) => `${name}：${k}k 参数`,
  'metric.img_time': '每张用时',
  'metric.full_passes': '完整前向计算',
  'metric.pixel_updates': '单像素更新',
  'metric.positions': '计算的像素数',
  'metric.k_passes': '并行轮数（K）',
  'metric.images': '张数',
  'metric.img_wall': '总时间（含绘制）',
  'help.metric.img_time': '浏览器里每张图的计算时间，不含绘制时的等待。',
  'help.metric.full_passes': '整个网络处理整张图的次数：朴素方法 784 次，缓存方法 0 次。',
  'help.metric.pixel_updates': '缓存方法的步数：每一步只更新新像素影响到的网络数值。',
  'help.metric.positions': '网络计算过的像素位置，所有轮次加起来：这才是真正的工作量。',
  'help.metric.k_passes': 'pixnat 的前向计算次数，每次同时处理全部 784 个像素。',
  'help.metric.images': '画了几张图。',
  'help.metric.img_wall': '从点击到画完，包括观看时的等待。',

  // --- 引擎
  'engine.title': '引擎：这个浏览器的 WebAssembly SIMD 有多快？',
  'engine.intro':
    '核心的矩阵运算（xsimd，编译为 WebAssembly SIMD128），预热后在这里计时。' +
    'GEMV 相当于生成一个词元的一步；GEMM 相当于一次处理整段开头或一批数据。',
  'cache.none': '这个浏览器里没有存下模型权重：下次访问会重新下载。',
  'cache.stored': ({ mb, files }) => `存在这个浏览器里、供下次访问和离线使用的模型权重：${mb} MB，共 ${files} 个文件。`,
  'cache.clear': '清除存下的权重',
  'engine.run': '运行矩阵运算测速',
  'engine.kernel': '运算',
  'engine.size': '规模',
  'engine.ms': '每次调用毫秒数',
  'engine.info': ({ version, simd }) => `核心 ${version}，${simd}`,

  // --- 发音
  'pronounce.title': '发音：用编码器-解码器把英文拼写转成读音',
  'pronounce.intro':
    '一个编码器读字母；两个解码器写出读音（ARPAbet，即 CMU 发音词典的音素记法，以及国际音标 IPA）。' +
    'AT 一次写一个音素；NAT 先预测长度，再一次写出全部音素。两者都通过交叉注意力看字母：热力图显示它们看向哪里。',
  'pronounce.group.word': '单词',
  'pronounce.word': '单词',
  'pronounce.map': '注意力图',
  'pronounce.go': '发音',
  'pronounce.examples': '试试：',
  'pronounce.examples.words': '单词',
  'pronounce.examples.names': '人名',
  'pronounce.examples.made_up': '编造的词',
  'pronounce.group.at': 'AT 解码器',
  'pronounce.group.nat': 'NAT 解码器',
  'pronounce.legend':
    '底色越深，解码器对这个音素越没把握。NAT：细下划线标出最近一轮重新预测的音素，' +
    '粗黄线标出它改动的音素。热力图：每行一个音素，每列一个字母；颜色越深，注意力越多。',
  'pronounce.at.title': 'AT：一次一个音素',
  'pronounce.at.model': '（g2p AT 解码器，KV 缓存）',
  'pronounce.nat.title': 'NAT：一次全部音素',
  'pronounce.nat.model': '（g2p NAT 解码器，mask-predict）',
  'pronounce.candidates': '全部候选，最好的在前',
  'pronounce.candidates.nat': '尝试过的每个长度，最好的在前',
  'pronounce.lengths': '预测的长度',
  'help.word':
    "一个英文单词、人名或你编造的词，只用字母 a-z 和撇号 '（最多 32 个）。大多数编造的词模型从没见过：" +
    '它得从拼写规律中推断。',
  'help.attention_map':
    '热力图显示哪一张交叉注意力图：所有层和头的平均，或某一个头。解码器每层都有自己的几个头；' +
    '有的紧跟字母，有的四处看。',
  'help.pron_speed':
    '实时：每一步算出来就显示。慢动作：每次解码器计算在屏幕上停留同样长的时间。单步：等你点击，' +
    '每次一个音素（AT）或一轮（NAT）。',
  'help.pron_strategy':
    'AT 解码器怎样挑每个音素。贪心：总取最可能的。束搜索：每步保留几个最好的部分读音，' +
    '最后返回整体最可能的。采样：按概率随机抽取。',
  'help.pron_beam': '束搜索每一步保留多少个部分读音（1 = 贪心）。每个候选都列出它的得分：log p 除以长度。',
  'help.pron_seed': '固定随机抽取：同样的种子和设置给出同样的读音。',
  'help.pron_iterations':
    'Mask-predict 的轮数。第 1 轮一次预测全部音素；之后每一轮遮住模型最没把握的音素，再预测一次。',
  'help.pron_length_beam': '解码 k 个最可能的长度，保留每个音素平均对数概率最高的读音。',
  'metric.pron_passes': '解码器计算次数',
  'metric.model_calls': '模型调用次数',
  'metric.logprob': '对数概率',
  'metric.diagonality': '对角程度',
  'metric.length': '预测的长度',
  'help.metric.pron_passes':
    '按顺序进行的解码器计算：AT 每个音素一次，再加一次写 END（束搜索：每步一次）；' +
    'NAT 每轮 mask-predict 一次。长度随编码器一起得出，不多算一次。',
  'help.metric.model_calls': '网络运行的总次数：编码器一次，再加每次解码器调用（束搜索每一步对每个假设各调用一次）。',
  'help.metric.logprob':
    '解码器给自己写出的音素的对数概率之和（AT 含 END）。接近 0：每个音素都很有把握。' +
    '它用来比较同一个解码器的候选，不用来比较 AT 和 NAT。',
  'help.metric.diagonality':
    '平均交叉注意力有多“单调”：音素到字母的最佳从左到右对齐附近一个字母以内的注意力所占比例。' +
    '1 = 干净的对角线；如果均匀分散在 S 个字母上，约为 3/S。',
  'help.metric.length': '长度头从编码器读出的音素个数（最可能的那个，或长度束中最好的那个）。',
  'pron.err.empty': "请先输入一个单词（字母 a-z 和 '）。",
  'pron.err.chars': ({ chars }) => `模型只认识字母 a-z 和撇号 '；请去掉 ${chars}。`,
  'pron.err.too_long': ({ n, max }) => `这个词有 ${n} 个字母；模型最多读 ${max} 个。`,
  'pron.map.mean': ({ n }) => `全部 ${n} 个头的平均`,
  'pron.map.head': ({ layer, head }) => `第 ${layer} 层，第 ${head} 个头`,
  'pron.map.title': ({ name, d }) => `交叉注意力，${name}：对角程度 ${d}`,
  'pron.candidate': ({ arpabet, ipa, score, logprob }) => `${arpabet}  /${ipa}/  得分 ${score}（log p ${logprob}）`,
  'pron.candidate.unfinished': ({ arpabet, score, logprob }) =>
    `${arpabet} …  得分 ${score}（log p ${logprob}），` + '还没写到 END',
  'pron.candidate.nat': ({ arpabet, ipa, length, score }) => `L = ${length}：${arpabet}  /${ipa}/  每个音素 ${score}`,
  'pron.seeing.at': ({ phonemes, passes }) =>
    `AT 用 ${passes} 次计算写了 ${phonemes} 个音素。每次计算都看到已写的音素` +
    '（它的 KV 缓存），并通过交叉注意力回看字母；字母的键和值每个词只算一次。',
  'pron.seeing.beam': ({ beam, n }) =>
    `束搜索每一步保留 ${beam} 个部分读音；最后留下的 ${n} 个都列在下面，最好的在前。` +
    '答案只有一个时，我们要的正是概率最高的序列。',
  'pron.seeing.sample': ({ temperature }) =>
    `采样按概率抽出每个音素（温度 ${temperature}）。答案只有一个时，` +
    '每次抽到不太可能的音素，多半就是错误：换个种子试试。',
  'pron.seeing.nat': ({ length, passes }) =>
    `NAT 从编码器得到长度 ${length}，第一轮同时预测全部 ${length} 个音素，` +
    `之后重新预测最没把握的那些：一共 ${passes} 轮。`,
  'pron.seeing.nat.one_pass': ({ length }) => `NAT 从编码器得到长度 ${length}，一轮就预测出全部 ${length} 个音素。`,
  'pron.verdict.same': ({ word, at }) =>
    `AT 和 NAT 一致：“${word}” = ${at}。读音几乎只有一个正确答案，` +
    '所以 NAT 各位置独立的猜测很少冲突，和自由写诗正相反。',
  'pron.verdict.differ': ({ word, at, nat }) => `AT 和 NAT 对“${word}”的读音不同：AT ${at}，NAT ${nat}。`,

  // --- 学一学
  'learn.summary': '学一学：这里展示的是什么',
  'learn.cards': '模型卡（数据、训练、测量结果；英文）：',
  'learn.compare': 'AT / NAT / 混合模式对比',
  'learn.text.at_nat.h': 'AT 与 NAT',
  'learn.text.at_nat':
    '自回归模型每次前向计算只写一个字，每个字都以前面所有字为条件：一首绝句大约要算 25 次。' +
    '非自回归模型在同一次计算里写出所有位置：一次，并行。数一数每个面板下方的前向计算次数。',
  'learn.text.kv.h': 'KV 缓存',
  'learn.text.kv':
    '在带遮罩（因果）的自注意力里，一个字只往前看，所以前面各字的 key 和 value 不会再变。' +
    'AT 把它们存起来，每一步只计算新字：所以这里 AT 的一步只是一次小小的矩阵乘向量。',
  'learn.text.decoding.h': '贪心、采样、束搜索',
  'learn.text.decoding':
    '模型给出下一个字的概率，解码负责挑选。贪心取最高的，容易打转（不知不知……）。' +
    '用温度、top-k、top-p 采样，以稳妥换多样。束搜索保留最好的几个候选，找到的是概率高的句子，但往往平淡。',
  'learn.text.length.h': 'NAT 怎么知道长度？',
  'learn.text.length':
    '一次写完，先得知道多长。课上讲了两种办法：用分类器预测长度（这里是一个读体裁的小分类头），' +
    '或者写满一个固定的最大长度，在第一个 END 处截断。格律诗的体裁直接决定了长度。',
  'learn.text.mask_predict.h': 'Mask-predict：多次“一次生成”',
  'learn.text.mask_predict':
    '第一轮填满所有位置。之后 mask-predict 把最没把握的字遮住重新预测，每轮遮得越来越少：' +
    'T 轮就是 T 次一次生成，每次以上一次为条件。慢动作里高亮的字就是这一轮改动的字。' +
    '这些轮次会“趋向众数”：每轮都选在其余字之下最可能的字，于是不同的诗越来越像模型最爱的句子' +
    '（200 首测试诗里，与别的诗以同一联结尾的，一轮后有 4 首，10 轮后有 14 首；“不知何处所，空见白云生”反复出现）。' +
    '每个字改为低温抽样（本页默认）让 4 轮更通顺（poet-at 困惑度 11.6，取 argmax 时是 13.0），相邻重字一样少（0.6% 对 0.7%）。' +
    '本页还会惩罚画布上已有的字（NAT 的重复惩罚 1.5）：这样每一轮都在修补重复，从 1 轮到 4 轮到 10 轮，' +
    '行间重复的二字组从 2.6% 降到 0.8% 再到 0.3%。只有“同一联结尾”没有减少：惩罚只作用于一首诗之内，趋向众数却发生在不同的诗之间。' +
    '提示引导，以及用去掉了老师套话的改写来训练学生，能让这种结尾保持少见，但不能消除。',
  'learn.text.multimodality.h': '多峰问题',
  'learn.text.multimodality':
    '一句诗可以有很多种写法（很多个“峰”）。AT 边写边选定其中一种。NAT 的各个位置各自决定，' +
    '于是都倾向于到处都常见的字：用真诗训练时，本页的 NAT 写出的是“不人不人人”。知识蒸馏解决了大部分问题：' +
    '这里的 poet-nat 学的是 poet-at 改写的训练诗，每个提示只有一个峰。再多迭代几轮，修补剩下的毛病。',
  'learn.text.bert.h': 'BERT：去噪自编码器',
  'learn.text.bert':
    'poet-nat 的训练方式和 BERT 一样：把一首诗（这里是 poet-at 写的）里的一些字遮住，再把它们还原。“填空”就是这个任务；' +
    '自由创作则是所有字都被遮住的极端情况。',
  'learn.text.speculative.h': '投机解码（混合模式）',
  'learn.text.speculative':
    'NAT 起草后半首；AT 用一次计算检查草稿接下来的 4 个字，保留它认同的最长前缀，再加上它自己的下一个字' +
    '（检查得更长也很少多留下字：NAT 的草稿通常只有一两个字是对的）。' +
    '结果与 AT 贪心完全相同，但 AT 的计算次数更少（这里不到一半）。只有起草者又便宜又常常猜对时才省时间；' +
    '在 CPU 上一次 NAT 计算约等于 5-10 步 AT（随机器而异），而且草稿只有第一个分歧之前的部分算数。',
  'learn.images.pixelcnn.h': 'PixelCNN：遮罩卷积',
  'learn.images.pixelcnn':
    '按行排列，一张图就是 784 个像素的序列。PixelCNN 的卷积带遮罩，让每个像素只看得见上方和左边的像素：' +
    '这就是图像版的因果自注意力。采样是自回归的：每步一个像素。',
  'learn.images.cache.h': '图像的缓存',
  'learn.images.cache':
    '朴素采样把整个网络跑 784 次。Fast PixelCNN 缓存之前像素算出的结果，只更新新像素影响到的部分：' +
    '和 KV 缓存是同一个想法。',
  'learn.images.pixnat.h': 'pixnat：像素上的 mask-predict',
  'learn.images.pixnat':
    '一开始所有像素都被遮住；全部预测一遍，保留最有把握的一部分，其余重新遮住，重复 K 次' +
    '（MaskGIT 的调度）。K = 1 就是纯粹的一次生成 NAT。排序时加了随机噪声：只按把握度排，' +
    '背景总是最有把握，衣服会一轮比一轮缩小。',
  'learn.pron.cross.h': '交叉注意力',
  'learn.pron.cross':
    '编码器把每个字母变成一个向量，每个词只算一次。在解码器的每一层，每个音素位置都会问（查询）' +
    '哪些字母重要（键），再取它们的加权组合（值）：这就是交叉注意力。热力图的一行就是一个音素对各字母的权重，加起来为 1。',
  'learn.pron.guided.h': '单调（引导）注意力',
  'learn.pron.guided':
    '拼写和读音的顺序一致，所以好的注意力图近似一条对角线：“ph” → F，不发音的字母被跳过。' +
    '这个模型自己学会了这一点（对角程度这个数衡量它）；引导注意力则额外加一项损失，把注意力推向对角线，语音合成常常需要它。',
  'learn.pron.exposure.h': '教师强制与暴露偏差',
  'learn.pron.exposure': ({ forced, free, positions }) =>
    '训练时，AT 解码器看到的前文总是正确的音素（教师强制）；' +
    '真正运行时，它看到的是自己写的，包括错误（暴露偏差）。' +
    (forced === undefined
      ? ''
      : `在测试词的 ${positions} 个音素位置上测得：喂给它正确前文时对 ${pct(forced)}，` +
        `喂给它自己的输出时对 ${pct(free)}。早期的一个错误会带偏后面所有音素。`),
  'learn.pron.beam.h': '束搜索与采样：当答案只有一个',
  'learn.pron.beam':
    '一首诗有很多好的写法，采样带来受欢迎的多样性。一个词只有一个（或几个）读音，目标就是概率最高的序列：' +
    '束搜索比贪心更接近它，采样只会增加错误。',
  'learn.pron.modes.h': '为什么 NAT 在这里表现不错',
  'learn.pron.modes':
    'NAT 写诗会失败，因为一行诗可以有很多写法，而每个位置各自挑选（多模态问题）。一个词的读音几乎由拼写决定，' +
    '所以 NAT 的各个位置意见一致，几轮就能接近 AT，而顺序步骤更少。',
  'learn.pron.table.h': '在 500 个测试词上的测量',
  'learn.pron.decoder': '解码器',
  'learn.pron.passes': '每词计算次数',
  'learn.pron.ms': '每词毫秒（本机原生）',
  'learn.pron.table.note': ({ words }) =>
    `WER：${words} 个词中有任何音素错误的比例；PER：每个参考音素的编辑次数。` +
    '数据来自 models/g2p/test500.json。已发表的 CMUdict 全集结果：Transformer WER 19.9-23.8%。这个小模型（每个解码器 310 万参数，在一个 CPU 核上训练）在整个测试集上已收敛到约 27%；' +
    '怎样缩小差距见它的模型卡。',
  'learn.engine.gemv.h': 'GEMV 与 GEMM',
  'learn.engine.gemv':
    '有 KV 缓存时，AT 的一步是每个权重矩阵乘一个向量（GEMV）：读遍所有权重却只做很少的运算，' +
    '速度受内存限制。NAT 的一轮、处理开头、混合模式的验证，都是一次乘很多个向量（GEMM），更能发挥运算单元。',
  'learn.engine.simd.h': '浏览器里的 SIMD',
  'learn.engine.simd':
    'WebAssembly SIMD128 每条指令处理 4 个浮点数。同一份 xsimd 代码既可本地编译（SSE4.1），' +
    '也可编译成 WebAssembly，两者算出的数完全相同。',

  // --- 图表
  'chart.text.h': '质量和时间随迭代次数 T 的变化',
  'chart.text.intro':
    '数据来自 models/poet-nat/compare.md：200 个测试开头，本地测量。虚线是 AT 贪心。' +
    '不加惩罚的 argmax 各轮是原始的 mask-predict；加上重复惩罚（本页默认）后，每一轮也都降低重复率。' +
    '运行扫描，可加上当前开头按上面的设置在你浏览器里的测量结果。',
  'chart.text.sweep': '对这个开头扫描 T',
  'chart.images.h': '质量和时间随轮数 K 的变化',
  'chart.images.intro':
    '数据来自 models/pixnat/quality.json：1,000 张样本，由一个 Fashion-MNIST 分类器评判。' +
    '运行扫描，可在你的浏览器里测量各个 K 的用时。',
  'chart.images.sweep': '在这个浏览器里测 K 的用时',
  'chart.sweep.running': ({ value }) => `正在测量 ${value}…`,
  'chart.sweep.done': '完成：点线是这个浏览器的结果。',
  'chart.axis.T': '迭代次数 T',
  'chart.axis.K': '轮数 K',
  'chart.repetition': '重复率（%）',
  'chart.ppl': 'AT 困惑度',
  'chart.ms': '每首诗用时（毫秒）',
  'chart.form': '格式正确（%）',
  'chart.class_match': '类别吻合（%）',
  'chart.fd': 'Fréchet 距离（越低越好）',
  'chart.s_per_image': '每张用时（毫秒）',
  'chart.series.length': 'NAT，预测长度',
  'chart.series.fixed': 'NAT，固定最大长度 + END',
  'chart.series.penalty': ({ r }) => `NAT，重复惩罚 ${r}`,
  'chart.series.at': 'AT 贪心',
  'chart.series.prompt': '这个开头（你的浏览器）',
  'chart.series.g0': '按置信度',
  'chart.series.g45': '置信度 + 噪声（4.5）',
  'chart.series.g30': '置信度 + 噪声（30，默认）',
  'chart.series.random': '随机顺序',
  'chart.series.browser': '你的浏览器',
  'chart.unavailable': '这个版本没有图表数据。',
};
