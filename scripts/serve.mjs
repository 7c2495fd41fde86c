// A minimal static file server for dist/ (no dependencies), bound to 127.0.0.1.
//   node scripts/serve.mjs [DIR=dist] [PORT=8080]        or        await serve(dir, port, '/atnat/')
// Contract: GET and HEAD only; paths are decoded once and must stay inside the served folder, also after
// following symlinks; malformed requests get 400 and never take the process down; every response carries
// the security headers below; no directory listings.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.safetensors': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

// What the page (static ES modules, web/index.html has no inline script or style) and the Emscripten 3.1.6
// glue running in a module Web Worker need. The worker gets this policy from worker.js's own response.
const CSP = [
  "default-src 'self'",
  // 'wasm-unsafe-eval': WebAssembly.instantiateStreaming of engine/atnat.wasm. No 'unsafe-eval': the module
  // is linked with -sDYNAMIC_EXECUTION=0, so embind builds no code with `new Function`.
  "script-src 'self' 'wasm-unsafe-eval'",
  // engine/worker.js is a same-origin module worker; sw.js the service worker that keeps the page's files.
  "worker-src 'self'",
  // favicon.svg.
  "img-src 'self'",
  // style.css (CSSOM writes such as el.style.setProperty, which the panels use, are not restricted by CSP).
  "style-src 'self'",
  // fetch() of the .wasm and of models/*.safetensors, from the worker.
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

// A content-hashed name such as model.3fa9c2d1.safetensors never changes content, so it may be cached forever.
const HASHED_NAME = /\.[0-9a-f]{8,}\./i;
const NOT_FOUND_CODES = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG', 'EACCES', 'EPERM', 'EISDIR']);

function isInside(root, file) {
  const rel = path.relative(root, file);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

function sendText(res, status, text, headers = {}) {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

// The request path decoded, or null when it is malformed (bad percent-encoding, NUL, not origin-form).
function decodePath(url) {
  if (!url.startsWith('/')) return null;
  let decoded;
  try {
    decoded = decodeURIComponent(url.split(/[?#]/, 1)[0]);
  } catch {
    return null;
  }
  return decoded.includes('\0') ? null : decoded;
}

function etagMatches(header, etag) {
  if (!header) return false;
  const strip = (tag) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || strip(tag) === strip(etag));
}

async function handle(req, res, base, prefix) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendText(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    return;
  }
  const pathname = decodePath(req.url);
  if (pathname === null) {
    sendText(res, 400, 'bad request\n');
    return;
  }
  if (`${pathname}/` === prefix) {
    sendText(res, 301, '', { Location: `${path.posix.basename(prefix)}/` });
    return;
  }
  if (!pathname.startsWith(prefix)) {
    sendText(res, 404, 'not found\n');
    return;
  }

  // Lexical check first, then again on the real path so that a symlink cannot lead out of the folder.
  const root = await fs.promises.realpath(base);
  const requested = path.join(root, pathname.slice(prefix.length));
  if (!isInside(root, requested)) {
    sendText(res, 404, 'not found\n');
    return;
  }
  let file = await fs.promises.realpath(requested);
  if (!isInside(root, file)) {
    sendText(res, 404, 'not found\n');
    return;
  }
  let name = requested;
  let stat = await fs.promises.stat(file);
  if (stat.isDirectory()) {
    if (!pathname.endsWith('/')) {
      // Relative, so it stays on this host and under the prefix; relative URLs in the index then resolve.
      sendText(res, 301, '', { Location: `${encodeURIComponent(path.posix.basename(pathname))}/` });
      return;
    }
    name = path.join(file, 'index.html');
    file = await fs.promises.realpath(name);
    if (!isInside(root, file)) {
      sendText(res, 404, 'not found\n');
      return;
    }
    stat = await fs.promises.stat(file);
  }
  if (!stat.isFile()) {
    sendText(res, 404, 'not found\n');
    return;
  }

  const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  const headers = {
    ...SECURITY_HEADERS,
    'Content-Type': TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream',
    'Cache-Control': HASHED_NAME.test(path.basename(name)) ? 'public, max-age=31536000, immutable' : 'no-cache',
    ETag: etag,
  };
  if (etagMatches(req.headers['if-none-match'], etag)) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': stat.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  pipeline(fs.createReadStream(file), res, (error) => {
    if (error) res.destroy();
  });
}

// prefix: the URL path the site is mounted at ('/' or e.g. '/atnat/'); other paths get 404.
// Resolves to the listening http.Server (port 0 picks a free port: server.address().port).
export function serve(dir, listenPort, prefix = '/') {
  const base = path.resolve(dir);
  const mount = `/${prefix.replace(/^\/+|\/+$/g, '')}/`.replace(/^\/\/$/, '/');
  const server = http.createServer((req, res) => {
    handle(req, res, base, mount).catch((error) => {
      if (!NOT_FOUND_CODES.has(error?.code)) console.error(`atnat serve: ${req.method} ${req.url}: ${error}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (NOT_FOUND_CODES.has(error?.code)) sendText(res, 404, 'not found\n');
      else sendText(res, 500, 'internal server error\n');
    });
  });
  // Unparseable requests (a raw NUL or space in the target, oversized headers...) never reach the handler.
  server.on('clientError', (error, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const headers = Object.entries(SECURITY_HEADERS)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.end(`HTTP/1.1 400 Bad Request\r\n${headers}Content-Length: 0\r\nConnection: close\r\n\r\n`, () =>
      socket.destroy(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = path.resolve(process.argv[2] ?? 'dist');
  const port = Number(process.argv[3] ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`atnat: not a port: ${process.argv[3]}`);
    process.exit(2);
  }
  const server = await serve(root, port);
  console.log(
    `atnat: serving ${path.relative(process.cwd(), root) || '.'} at http://localhost:${server.address().port}/`,
  );
}
