// Helpers for page-level tests (tests/page/*.mjs), run by scripts/test.sh as
// `node tests/page/<file>.mjs` after `scripts/build.sh` and `scripts/sync-www.sh`
// (so www/pkg/ holds the freshly built package).
//
//   import { launchChromium, startStaticServer, WWW_DIR } from '../../scripts/lib/page.mjs';
//   const server = await startStaticServer(WWW_DIR);          // http://127.0.0.1:<free port>/
//   const { browser, page, close } = await launchChromium();
//   try {
//     await page.goto(server.url + 'index.html');
//     ...
//   } finally { await close(); await server.close(); }
//
// playwright-core comes from tools/node_modules (installed by scripts/setup.sh);
// it never downloads a browser: Debian's /usr/bin/chromium is used.
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { join, resolve, extname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const WWW_DIR = join(ROOT, 'www');
export const PKG_DIR = join(ROOT, 'pkg');

const requireTools = createRequire(join(ROOT, 'tools', 'package.json'));
/** playwright-core's `chromium` BrowserType. */
export const { chromium } = requireTools('playwright-core');

export const CHROMIUM_PATH = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox', // we run as root
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launch Debian's Chromium headless. playwright-core's launch() gives every
 * browser a fresh, temporary --user-data-dir (it refuses one in `args`; use
 * chromium.launchPersistentContext(dir, ...) if a test needs to choose it).
 * Returns { browser, context, page, errors, close }; `errors` collects uncaught
 * page errors and console.error messages.
 */
export async function launchChromium({ args = [], timeout = 30_000 } = {}) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout,
    args: [...CHROMIUM_ARGS, ...args],
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console.error: ${m.text()}`); });
  const close = () => browser.close().catch(() => {});
  return { browser, context, page, errors, close };
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/**
 * Serve `dir` on 127.0.0.1 (port 0 = a free one). .wasm is application/wasm.
 * Returns { url, port, close }; url ends with '/'.
 */
export async function startStaticServer(dir = WWW_DIR, { port = 0 } = {}) {
  const base = resolve(dir);
  const server = createServer((req, res) => {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    let file = resolve(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const size = statSync(file).size;
      res.writeHead(200, {
        'Content-Type': MIME[extname(file)] || 'application/octet-stream',
        'Content-Length': size,
        'Cache-Control': 'no-store',
      });
      if (req.method === 'HEAD') { res.end(); return; }
      createReadStream(file).pipe(res);
    } catch {
      // No favicon in www/ should not show up as a console error in page tests.
      if (path === '/favicon.ico') { res.writeHead(204).end(); return; }
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((ok, fail) => { server.once('error', fail); server.listen(port, '127.0.0.1', ok); });
  const actual = server.address().port;
  return {
    url: `http://127.0.0.1:${actual}/`,
    port: actual,
    close: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(() => ok()); }),
  };
}
