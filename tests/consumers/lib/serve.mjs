// A static server on 127.0.0.1 for the consumer pages, with optional extra response headers
// (the CSP consumer's Content-Security-Policy).
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.wasm': 'application/wasm',
};

export async function serve(dir, { headers = {} } = {}) {
  const base = resolve(dir);
  const server = createServer((req, res) => {
    let file;
    try {
      file = resolve(join(base, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    } catch {
      return res.writeHead(400).end();
    }
    if (file !== base && !file.startsWith(base + sep)) return res.writeHead(403).end();
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const size = statSync(file).size;
      res.writeHead(200, { 'Content-Type': MIME[extname(file)] || 'application/octet-stream', 'Content-Length': size,
        'Cache-Control': 'no-store', ...headers });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(req.url === '/favicon.ico' ? 204 : 404).end();
    }
  });
  await new Promise((ok, fail) => { server.once('error', fail); server.listen(0, '127.0.0.1', ok); });
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(() => ok()); }),
  };
}
