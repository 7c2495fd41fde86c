// One memory budget per request (core/decode/budget.hpp): small, valid weight files whose configs ask for
// far more memory than their bytes (a huge context with beam 8, a large image) get one error naming the
// setting and the bytes, from the native CLI (--max-memory, default 1024 MiB) and from the wasm engine (its
// phone-sized limit), and the wasm heap does not grow: nothing is allocated before the check.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, ROOT, loadEngine, readBytes } from './helpers.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'atnat-budget-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// An atnat-1 weight file (docs/weight-format.md): tensors [name, shape, values (default zeros), dtype].
function weightFile(arch, config, tensors, tokenizer) {
  const header = { __metadata__: { format: 'atnat-1', arch, config: JSON.stringify(config) } };
  if (tokenizer) header.__metadata__.tokenizer = JSON.stringify(tokenizer);
  const chunks = [];
  let offset = 0;
  for (const [name, shape, values, dtype = 'F32'] of tensors) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = dtype === 'U8' ? Buffer.from(Uint8Array.from(values)) : Buffer.alloc(4 * n);
    const start = Math.ceil(offset / 16) * 16;
    chunks.push(Buffer.alloc(start - offset), data);
    header[name] = { dtype, shape, data_offsets: [start, start + data.length] };
    offset = start + data.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((16 - ((8 + Buffer.byteLength(json)) % 16)) % 16);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([length, Buffer.from(json), ...chunks]);
}

// A gpt of 8.8 MB: 32 layers of width 128 over a context of 8192. One state of the whole context needs
// 290 MB, each more beam hypothesis 268 MB of KV cache: beam 8 asks for 2.18 GB.
const TOKENS = ['<pad>', '<bos>', '<eos>', '<mask>', '<unk>', '\n', '，', '。', '春', '风'];
function hugeContextGpt() {
  const d = 128,
    f = 8,
    V = TOKENS.length;
  const tensors = [
    ['tok_emb', [V, d]],
    ['final_norm', [d]],
  ];
  for (let i = 0; i < 32; i++) {
    const p = `layers.${i}.`;
    tensors.push(
      [p + 'attn_norm', [d]],
      [p + 'wq', [d, d]],
      [p + 'wk', [d, d]],
      [p + 'wv', [d, d]],
      [p + 'wo', [d, d]],
      [p + 'mlp_norm', [d]],
      [p + 'w_gate', [f, d]],
      [p + 'w_up', [f, d]],
      [p + 'w_down', [d, f]],
    );
  }
  const config = {
    vocab_size: V,
    d_model: d,
    n_layers: 32,
    n_heads: 2,
    d_ff: f,
    context: 8192,
    rope_theta: 10000,
    norm_eps: 1e-5,
  };
  const tokenizer = { type: 'char', tokens: TOKENS, specials: { pad: 0, bos: 1, eos: 2, mask: 3, unk: 4, newline: 5 } };
  return weightFile('gpt', config, tensors, tokenizer);
}

// A PixelCNN of 2.5 MB painting 256 x 256 images: 8 layers of 64 channels need 293 MB (280 MiB) of image
// buffers.
function largeImagePixelCNN() {
  const C = 64,
    Ch = 16,
    L = 4,
    K = 2;
  const tensors = [];
  for (let i = 0; i < 8; i++) {
    const p = `layers.${i}.`;
    tensors.push(
      [p + 'v_conv.weight', i === 0 ? [2, 3, 2 * C, 1] : [2, 3, 2 * C, C]],
      [p + 'v_conv.bias', [2 * C]],
      [p + 'h_conv.weight', i === 0 ? [1, 2, 2 * C, 1] : [1, 2, 2 * C, C]],
      [p + 'h_conv.bias', [2 * C]],
      [p + 'v_class', [K, 2 * C]],
      [p + 'h_class', [K, 2 * C]],
      [p + 'v2h.weight', [2 * C, 2 * C]],
      [p + 'v2h.bias', [2 * C]],
      [p + 'h_out.weight', [C, C]],
      [p + 'h_out.bias', [C]],
    );
    if (i === 0)
      tensors.push([p + 'v_conv.mask', [2, 3], [1, 1, 1, 0, 0, 0], 'U8'], [p + 'h_conv.mask', [1, 2], [1, 0], 'U8']);
  }
  tensors.push(['head.0.weight', [Ch, C]], ['head.0.bias', [Ch]], ['head.1.weight', [L, Ch]], ['head.1.bias', [L]]);
  const config = {
    levels: L,
    channels: C,
    layers: 8,
    first_kernel: 3,
    head_channels: Ch,
    n_classes: K,
    height: 256,
    width: 256,
  };
  return weightFile('pixelcnn', config, tensors);
}

const gptPath = path.join(tmp, 'huge-context.safetensors');
const pixelcnnPath = path.join(tmp, 'large-image.safetensors');
fs.writeFileSync(gptPath, hugeContextGpt());
fs.writeFileSync(pixelcnnPath, largeImagePixelCNN());

function atnat(args) {
  const r = spawnSync(CLI, args, { cwd: ROOT, encoding: 'utf8', timeout: 20000 });
  assert.equal(r.error, undefined, `atnat ${args.join(' ')}: ${r.error}`);
  return r;
}

const NEEDS = /this request needs (\d+) bytes \((\d+\.\d) MiB\), more than max_memory = (\d+) MiB/;

test('the CLI refuses a request over --max-memory (default 1024 MiB), naming the setting and the bytes', () => {
  const beam = atnat(['generate', '--model', gptPath, '--prompt', '春', '--strategy', 'beam', '--beam', '8']);
  assert.notEqual(beam.status, 0);
  const [, bytes, , limit] = beam.stderr.match(NEEDS) ?? assert.fail(beam.stderr);
  assert.equal(limit, '1024');
  assert.ok(Number(bytes) > 2.1e9 && Number(bytes) < 2.3e9, bytes);
  assert.match(beam.stderr, /7 more beam states \(beam = 8, context 8192\)/);
  const image = atnat(['sample', '--model', pixelcnnPath, '--max-memory', '256']);
  assert.notEqual(image.status, 0);
  assert.match(
    image.stderr,
    /more than max_memory = 256 MiB: weights 2\.\d MiB \+ image buffers \(height 256 x width 256, 8 layers x 64 channels\) 279\.\d MiB/,
  );
  assert.match(atnat(['generate', '--help']).stdout, /--max-memory MIB .*\(default 1024\)/);
});

test('the wasm engine refuses them under its own limit without growing the heap, and keeps working', async () => {
  const engine = await loadEngine();
  engine.load('poet-at', readBytes('models/poet-at/model.safetensors'));
  engine.load('huge', new Uint8Array(fs.readFileSync(gptPath)));
  engine.load('large', new Uint8Array(fs.readFileSync(pixelcnnPath)));
  const run = (task, request) => engine.run(1, task, request, () => {});
  const poem = await run('generate', {
    model: 'poet-at',
    prompt: '春',
    form: 'wuyan-jueju',
    strategy: 'beam',
    beam: 8,
  });
  const before = engine.memory();
  const refusals = [
    [{ model: 'huge', prompt: '春', strategy: 'beam', beam: 8 }, /beam = 8, context 8192/],
    [
      { model: 'huge', prompt: '春', max_memory: 100000 },
      /max_memory = 256 MiB: weights 8\.\d MiB \+ decoding state \(context 8192\)/,
    ],
  ];
  for (const [request, message] of refusals) {
    await assert.rejects(run('generate', request), (error) => {
      assert.match(error.message, NEEDS);
      assert.match(error.message, message);
      return true;
    });
  }
  await assert.rejects(
    run('paint', { model: 'large' }),
    /max_memory = 256 MiB: .*image buffers \(height 256 x width 256/,
  );
  const after = engine.memory();
  assert.equal(after.heap_size, before.heap_size, 'the heap did not grow');
  assert.ok(Math.abs(after.heap_in_use - before.heap_in_use) < 4096, `${before.heap_in_use} -> ${after.heap_in_use}`);
  const again = await run('generate', {
    model: 'poet-at',
    prompt: '春',
    form: 'wuyan-jueju',
    strategy: 'beam',
    beam: 8,
  });
  assert.equal(again.text, poem.text);
});
