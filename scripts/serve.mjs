// Serves the built app (dist/) on http://localhost — a secure context, so navigator.gpu exists — and prints the URL.
// Cross-origin isolation headers let the wasm backend use threads. Usage: node scripts/serve.mjs [--port N] [--dir D]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const opt = (name, d) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : d;
};
const root = path.resolve(opt('dir', 'dist'));
let port = Number(opt('port', process.env.PORT ?? 5173));
if (!fs.existsSync(path.join(root, 'index.html'))) {
  console.error(`error: ${root}/index.html not found — run "npm run build" first`);
  process.exit(2);
}
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.md': 'text/markdown; charset=utf-8',
};

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  let file = path.join(root, decodeURIComponent(url.pathname));
  if (!file.startsWith(root)) {
    res.writeHead(403).end();
    return;
  }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
  if (!fs.existsSync(file)) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
    'cache-control': 'no-cache',
  });
  fs.createReadStream(file).pipe(res);
});

server.on('error', (e) => {
  if (e.code === 'EADDRINUSE' && !args.includes('--port')) {
    port += 1;
    server.listen(port, '127.0.0.1');
  } else {
    console.error(`error: ${e.message}`);
    process.exit(1);
  }
});
server.listen(port, '127.0.0.1', () => {
  console.log(
    `Search-R1 Playground is running: open http://localhost:${port}/ in Chrome or Chromium (WebGPU).`,
  );
  console.log('Press Ctrl+C to stop.');
});
