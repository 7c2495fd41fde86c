// The native CLI against hostile inputs: files that never end or block, and a weight file whose strings
// carry terminal control sequences. Each gets one clear error (or escaped output), fast, never a hang.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, ROOT } from './helpers.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'atnat-hostile-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function atnat(args) {
  const r = spawnSync(CLI, args, { cwd: ROOT, encoding: 'utf8', timeout: 10000 });
  assert.equal(r.error, undefined, `atnat ${args.join(' ')}: ${r.error}`); // a timeout shows up here
  return r;
}

// An atnat-1 weight file with one F32 tensor [2] and the given metadata strings.
function weightFile(metadata) {
  const header = JSON.stringify({ __metadata__: metadata, w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
  const padded = header + ' '.repeat((16 - ((8 + Buffer.byteLength(header)) % 16)) % 16);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(padded)));
  return Buffer.concat([length, Buffer.from(padded), Buffer.from(new Float32Array([0.5, -1]).buffer)]);
}

test('endless or blocking files are refused before anything is read', () => {
  const fifo = path.join(tmp, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const sparse = path.join(tmp, 'sparse.safetensors');
  fs.closeSync(fs.openSync(sparse, 'w'));
  fs.truncateSync(sparse, 64 * 2 ** 30); // 64 GB, no blocks
  for (const [args, message] of [
    [['info', '/dev/zero'], /not a regular file/],
    [['info', '/dev/urandom'], /not a regular file/],
    [['info', fifo], /not a regular file/],
    [['generate', '--model', fifo, '--prompt', '春'], /not a regular file/],
    [['info', sparse], /68719476736 bytes, more than the 1073741824/],
    [['score', '--model', 'models/poet-at', '--text-file', '/dev/zero'], /not a regular file/],
    [['compare', '--prompts', fifo], /not a regular file/],
  ]) {
    const r = atnat(args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
  }
});

test('control characters from a weight file are shown escaped, never sent to the terminal raw', () => {
  const file = path.join(tmp, 'hostile.safetensors');
  fs.writeFileSync(
    file,
    weightFile({
      format: 'atnat-1',
      arch: '\u001b]0;pwned\u0007\u001b[2J',
      config: '{"x": "\\u001b[31mred"}',
      note: 'a\rb\u009bc',
    }),
  );
  const info = atnat(['info', file]);
  assert.equal(info.status, 0, info.stderr);
  assert.doesNotMatch(
    info.stdout,
    /[\u0000-\u0009\u000b-\u001f\u007f\u0080-\u009f]/u,
    'no control character but newlines',
  );
  assert.match(info.stdout, /arch {8}\\x1b\]0;pwned\\x07\\x1b\[2J/);
  assert.match(info.stdout, /note = a\\x0db\\x9bc/);
  const generate = atnat(['generate', '--model', file, '--prompt', '春']); // not a text model: an error
  assert.notEqual(generate.status, 0);
  assert.doesNotMatch(generate.stderr, /[\u0000-\u0009\u000b-\u001f\u007f]/u);
  assert.match(generate.stderr, /\\x1b/);
});
