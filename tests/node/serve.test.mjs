// The dev server (scripts/serve.mjs) against raw HTTP requests: malformed URLs, traversal out of the served
// folder (also by a sibling named like it and by symlinks), methods, security and cache headers, MIME types.
// Requests go over node:net so that nothing normalises the request target before the server sees it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { serve } from '../../scripts/serve.mjs';
import { ROOT } from './helpers.mjs';

const SECRET = 'the-secret-must-never-be-served';
const WASM = Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]);
let tmp, site, plain, mounted;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'atnat-serve-'));
  site = path.join(tmp, 'site');
  const files = {
    'index.html': '<!doctype html><title>root</title>',
    'app.js': 'export {};',
    'lib.mjs': 'export {};',
    'style.css': 'body {}',
    'data.json': '{}',
    'icon.png': 'png',
    'favicon.svg': '<svg/>',
    'favicon.ico': 'ico',
    'notes.txt': 'notes',
    'README.md': '# hi',
    'blob.xyz': 'unknown',
    'engine/atnat.wasm': WASM,
    'models/poet/model.safetensors': 'weights',
    'models/poet/model.3fa9c2d1.safetensors': 'hashed weights',
    'sub/index.html': '<title>sub</title>',
    'empty/.keep': '',
  };
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(site, name)), { recursive: true });
    fs.writeFileSync(path.join(site, name), content);
  }
  fs.mkdirSync(path.join(tmp, 'site-secret'));
  fs.writeFileSync(path.join(tmp, 'site-secret/secret.txt'), SECRET);
  fs.symlinkSync(path.join(tmp, 'site-secret/secret.txt'), path.join(site, 'leak.txt'));
  fs.symlinkSync(path.join(tmp, 'site-secret'), path.join(site, 'leakdir'));
  fs.mkdirSync(path.join(site, 'linked'));
  fs.symlinkSync(path.join(tmp, 'site-secret/secret.txt'), path.join(site, 'linked/index.html'));
  fs.symlinkSync('index.html', path.join(site, 'alias.html')); // stays inside: allowed
  plain = await serve(site, 0);
  mounted = await serve(site, 0, '/atnat/');
});

after(() => {
  plain?.close();
  mounted?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// Sends `head` (a request line, or a whole raw request when it contains CRLF) and reads the response to EOF.
function raw(server, head) {
  const text = head.includes('\r\n') ? head : `${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.address().port, '127.0.0.1', () => socket.write(text, 'latin1'));
    // A handler that throws leaves the socket unanswered: fail instead of hanging.
    socket.setTimeout(5000, () => socket.destroy(new Error(`no response to ${JSON.stringify(head.slice(0, 80))}`)));
    const chunks = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const data = Buffer.concat(chunks);
      const split = data.indexOf('\r\n\r\n');
      const lines = data.subarray(0, split).toString('latin1').split('\r\n');
      const headers = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(lines[0].split(' ')[1]), headers, body: data.subarray(split + 4) });
    });
  });
}

const get = (server, target, extra = '') =>
  raw(server, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${extra}\r\n`);

async function assertStillServing(server = plain) {
  const response = await get(server, server === plain ? '/' : '/atnat/');
  assert.equal(response.status, 200);
  assert.match(response.body.toString(), /<title>root<\/title>/);
}

test('binds 127.0.0.1 only', () => {
  assert.equal(plain.address().address, '127.0.0.1');
  assert.equal(mounted.address().address, '127.0.0.1');
});

for (const target of ['/%', '/%E0%A4%A', '/%ED%A0%80', '/index.html%00.png', '/%00', 'http://127.0.0.1/index.html']) {
  test(`malformed target ${target} is 400 and the server keeps serving`, async () => {
    for (const server of [plain, mounted]) {
      const response = await get(server, target.startsWith('/') && server === mounted ? `/atnat${target}` : target);
      assert.equal(response.status, 400);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.doesNotMatch(response.body.toString(), /Error|\bat |node:/);
      await assertStillServing(server);
    }
  });
}

test('requests the HTTP parser rejects get 400 and the connection is closed', async () => {
  for (const request of [
    'GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n',
    'NONSENSE\r\n\r\n',
    `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`,
  ]) {
    const response = await raw(plain, request);
    assert.equal(response.status, 400);
    assert.equal(response.body.length, 0);
    await assertStillServing();
  }
});

const TRAVERSALS = [
  '/../site-secret/secret.txt',
  '/..%2fsite-secret%2fsecret.txt',
  '/%2e%2e/site-secret/secret.txt',
  '/%2e%2e%2fsite-secret%2fsecret.txt',
  '/..%5csite-secret%5csecret.txt',
  '/.%2e/.%2e/site-secret/secret.txt',
  '/sub/../../site-secret/secret.txt',
  '/sub%2f..%2f..%2fsite-secret%2fsecret.txt',
  'TO-ABSOLUTE',
  '/leak.txt',
  '/leakdir/secret.txt',
  '/leakdir/',
  '/linked/',
  '//etc/passwd',
  '/%2fetc%2fpasswd',
];

for (const target of TRAVERSALS) {
  test(`traversal ${target} never returns the secret`, async () => {
    // TO-ABSOLUTE: enough ../ to reach / and then the secret's absolute path.
    const resolved =
      target === 'TO-ABSOLUTE'
        ? `/${'..%2f'.repeat(12)}${encodeURIComponent(path.join(tmp, 'site-secret/secret.txt').slice(1))}`
        : target;
    for (const [server, url] of [
      [plain, resolved],
      [mounted, `/atnat${resolved}`],
    ]) {
      const response = await get(server, url);
      assert.ok([400, 404].includes(response.status), `${url}: HTTP ${response.status}`);
      assert.ok(!response.body.includes(SECRET), `${url} leaked the secret`);
      assert.ok(!response.body.includes('root:'), `${url} leaked /etc/passwd`);
    }
  });
}

test('the sibling folder named like the served one is out of reach', async () => {
  // The old check was file.startsWith(base): /tmp/x/site-secret/... starts with /tmp/x/site.
  const response = await get(plain, '/..%2fsite-secret%2fsecret.txt');
  assert.equal(response.status, 404);
  assert.equal(response.body.toString(), 'not found\n');
});

test('a symlink that stays inside the folder is followed', async () => {
  const response = await get(plain, '/alias.html');
  assert.equal(response.status, 200);
  assert.match(response.body.toString(), /<title>root<\/title>/);
});

for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'TRACE', 'OPTIONS', 'CONNECT']) {
  test(`${method} is 405 with Allow: GET, HEAD`, async () => {
    const target = method === 'CONNECT' ? '127.0.0.1:80' : '/index.html';
    const response = await raw(
      plain,
      `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` + 'Content-Length: 5\r\n\r\nhello',
    );
    if (method === 'CONNECT') {
      // node hands CONNECT to a 'connect' listener; with none it closes the socket: never served either way.
      assert.ok(Number.isNaN(response.status) || response.status >= 400);
      return;
    }
    assert.equal(response.status, 405);
    assert.equal(response.headers.allow, 'GET, HEAD');
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    await assertStillServing();
  });
}

test('HEAD sends the headers of GET and no body', async () => {
  const head = await raw(plain, 'HEAD /engine/atnat.wasm HTTP/1.1');
  const full = await get(plain, '/engine/atnat.wasm');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(head.headers['content-length'], String(WASM.length));
  for (const name of ['content-type', 'etag', 'cache-control', 'content-security-policy']) {
    assert.equal(head.headers[name], full.headers[name], name);
  }
  assert.deepEqual(full.body, WASM);
});

test('every response carries the security headers', async () => {
  const responses = [
    await get(plain, '/'),
    await get(plain, '/missing.txt'),
    await get(plain, '/%'),
    await raw(plain, 'POST / HTTP/1.1'),
    await get(plain, '/sub'),
    await get(mounted, '/elsewhere'),
    await raw(plain, 'NONSENSE\r\n\r\n'),
  ];
  const etag = responses[0].headers.etag;
  responses.push(await get(plain, '/', `If-None-Match: ${etag}\r\n`));
  for (const { status, headers } of responses) {
    assert.ok(headers['content-security-policy'], `CSP on ${status}`);
    assert.equal(headers['x-content-type-options'], 'nosniff', `nosniff on ${status}`);
    assert.equal(headers['referrer-policy'], 'no-referrer', `Referrer-Policy on ${status}`);
    assert.equal(headers['cross-origin-opener-policy'], 'same-origin', `COOP on ${status}`);
  }
});

test('the CSP allows what the page and the Emscripten glue need, and nothing inline for scripts', async () => {
  const csp = (await get(plain, '/')).headers['content-security-policy'];
  const directives = Object.fromEntries(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([k, ...v]) => [k, v]),
  );
  assert.deepEqual(directives['default-src'], ["'self'"]);
  assert.ok(directives['script-src'].includes("'self'"));
  assert.ok(directives['script-src'].includes("'wasm-unsafe-eval'"));
  assert.ok(!directives['script-src'].includes("'unsafe-inline'"));
  assert.ok(!directives['script-src'].includes("'unsafe-eval'"), 'embind is linked without dynamic execution');
  assert.ok(directives['worker-src'].includes("'self'"));
  assert.deepEqual(directives['connect-src'], ["'self'"]);
  assert.ok(directives['img-src'].includes("'self'"));
  assert.ok(directives['style-src'].includes("'self'"));
  assert.deepEqual(directives['object-src'], ["'none'"]);
  assert.deepEqual(directives['base-uri'], ["'none'"]);
  assert.deepEqual(directives['frame-ancestors'], ["'none'"]);
});

test('content-hashed names are cached for a year, immutable', async () => {
  const response = await get(plain, '/models/poet/model.3fa9c2d1.safetensors');
  assert.equal(response.status, 200);
  assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(response.headers['content-type'], 'application/octet-stream');
});

test('other names are revalidated: no-cache, an ETag, and 304 for a matching If-None-Match', async () => {
  for (const name of ['/models/poet/model.safetensors', '/index.html', '/engine/atnat.wasm']) {
    const first = await get(plain, name);
    assert.equal(first.headers['cache-control'], 'no-cache', name);
    assert.ok(first.headers.etag, name);
    const again = await get(plain, name, `If-None-Match: ${first.headers.etag}\r\n`);
    assert.equal(again.status, 304, name);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, first.headers.etag);
    const list = await get(plain, name, `If-None-Match: "other", ${first.headers.etag}\r\n`);
    assert.equal(list.status, 304, name);
    const stale = await get(plain, name, 'If-None-Match: "stale"\r\n');
    assert.equal(stale.status, 200, name);
  }
});

test('the ETag changes when the file does', async () => {
  const file = path.join(site, 'notes.txt');
  const before = (await get(plain, '/notes.txt')).headers.etag;
  fs.writeFileSync(file, 'notes, longer now');
  const after = await get(plain, '/notes.txt', `If-None-Match: ${before}\r\n`);
  assert.equal(after.status, 200);
  assert.notEqual(after.headers.etag, before);
  assert.equal(after.body.toString(), 'notes, longer now');
});

const MIME = {
  '/index.html': 'text/html',
  '/app.js': 'text/javascript',
  '/lib.mjs': 'text/javascript',
  '/style.css': 'text/css',
  '/engine/atnat.wasm': 'application/wasm',
  '/data.json': 'application/json',
  '/icon.png': 'image/png',
  '/favicon.svg': 'image/svg+xml',
  '/favicon.ico': 'image/x-icon',
  '/models/poet/model.safetensors': 'application/octet-stream',
  '/notes.txt': 'text/plain',
  '/README.md': 'text/plain',
  '/blob.xyz': 'application/octet-stream',
};

test('MIME types by extension; unknown is application/octet-stream', async () => {
  for (const [name, type] of Object.entries(MIME)) {
    const response = await get(plain, name);
    assert.equal(response.status, 200, name);
    assert.equal(response.headers['content-type'].split(';')[0], type, name);
  }
  assert.equal((await get(plain, '/engine/atnat.wasm')).headers['content-type'], 'application/wasm');
});

test('a directory serves its index.html; without the slash it redirects (relatively) to add one', async () => {
  assert.match((await get(plain, '/sub/')).body.toString(), /<title>sub<\/title>/);
  assert.match((await get(plain, '/')).body.toString(), /<title>root<\/title>/);
  const redirect = await get(plain, '/sub');
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, 'sub/');
});

test('no directory listings: a folder without index.html is 404', async () => {
  for (const name of ['/empty/', '/engine/', '/models/']) {
    const response = await get(plain, name);
    assert.equal(response.status, 404, name);
    assert.equal(response.body.toString(), 'not found\n');
  }
});

test('a missing file is 404 with a short text body and no paths or stack', async () => {
  const response = await get(plain, '/nope/missing.js?x=1');
  assert.equal(response.status, 404);
  assert.equal(response.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(response.body.toString(), 'not found\n');
});

test('under a prefix: the site is at /atnat/, /atnat redirects there, other paths are 404', async () => {
  assert.match((await get(mounted, '/atnat/')).body.toString(), /<title>root<\/title>/);
  assert.equal((await get(mounted, '/atnat/engine/atnat.wasm')).headers['content-type'], 'application/wasm');
  const redirect = await get(mounted, '/atnat');
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, 'atnat/');
  for (const name of ['/', '/index.html', '/atnatx/index.html', '/atna']) {
    assert.equal((await get(mounted, name)).status, 404, name);
  }
});

test('a request for a folder that is not there is 404, not a crash', async () => {
  const gone = await serve(path.join(tmp, 'not-built'), 0);
  try {
    assert.equal((await get(gone, '/')).status, 404);
  } finally {
    gone.close();
  }
});

test('the command line (scripts/start.sh) serves DIR on PORT at 127.0.0.1', async () => {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts/serve.mjs'), site, '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const line = await new Promise((resolve, reject) => {
      child.stdout.once('data', (chunk) => resolve(chunk.toString()));
      child.once('exit', (code) => reject(new Error(`serve.mjs exited with ${code}`)));
    });
    const port = Number(line.match(/http:\/\/localhost:(\d+)\//)[1]);
    const response = await get({ address: () => ({ port }) }, '/');
    assert.equal(response.status, 200);
    assert.match(response.body.toString(), /<title>root<\/title>/);
  } finally {
    child.kill();
  }
});
