// The package in real consumers, each a small project installing the packed tarball
// ($CHATSEAL_TARBALL, else the one scripts/test.sh's pack step recorded):
//   node     Node ESM (package + client with a file store) and CommonJS require
//   ts       tsc --strict under lib es2022+dom, esnext+dom (bundler resolution) and node16
//   vite     a Vite production build importing chatseal and chatseal/client, in Chromium and Firefox
//   worker   the package inside a module Web Worker, in Chromium and Firefox
//   csp      a page served with CSP default-src 'self'; script-src 'self' 'wasm-unsafe-eval'
//   esbuild  the README's esbuild recipe (its code block and command), run in Chromium and Firefox
//
//   node tests/consumers/run.mjs [NAME...]
//
// Tools come from tools/node_modules (vite, esbuild, tsc); browsers are driven over WebDriver
// (tests/page/lib/webdriver.mjs). Servers listen on 127.0.0.1 and everything started is stopped.
// Prints one line per check and "N passed, N failed"; exits non-zero on any failure.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeExample, README } from '../page/lib/readme.mjs';
import { launchBrowser } from '../page/lib/webdriver.mjs';
import { serve } from './lib/serve.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = resolve(HERE, '../..');
const BIN = join(ROOT, 'tools', 'node_modules', '.bin');
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";

function tarball() {
  const given = process.env.CHATSEAL_TARBALL;
  if (given && existsSync(given)) return given;
  const recorded = join(process.env.CHATSEAL_PACK_DIR || join(tmpdir(), 'chatseal-pack'), '.tarball');
  if (existsSync(recorded)) return readFileSync(recorded, 'utf8').trim();
  throw new Error('no package tarball: set CHATSEAL_TARBALL or run scripts/test.sh (its pack step)');
}

const run = (cmd, args, cwd) =>
  new Promise((ok, fail) =>
    execFile(cmd, args, { cwd, timeout: 180_000, maxBuffer: 1 << 24 }, (error, stdout, stderr) =>
      error ? fail(new Error(`${cmd} ${args.join(' ')} failed:\n${stdout}\n${stderr}`)) : ok(stdout),
    ),
  );

const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  try {
    const note = await fn();
    results.push({ name, ok: true });
    console.log(`ok    ${name} (${Date.now() - t0} ms)${note ? `: ${note}` : ''}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL  ${name}: ${String(e.message ?? e).slice(0, 3000)}`);
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** A scratch copy of consumer `name` with the tarball installed. */
async function project(work, name, pkg) {
  const dir = join(work, name);
  cpSync(join(HERE, name), dir, { recursive: true });
  for (const f of ['page-check.js', 'loopback.js']) cpSync(join(HERE, 'lib', f), join(dir, f));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--no-package-lock', '--prefer-offline', '--loglevel=error', pkg], dir);
  assert(existsSync(join(dir, 'node_modules', 'chatseal', 'package.json')), 'the tarball did not install');
  return dir;
}

/** Loads `url` and waits for the page's verdict in document.body.dataset. */
async function pageResult(browser, url) {
  await browser.navigate(url);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const d = await browser.run(() => ({ ...document.body.dataset }));
    if (d.error) throw new Error(`${browser.name}: page error: ${d.error}`);
    if (d.result || d.chatseal) return { ...d, result: d.result ? JSON.parse(d.result) : null };
    if (Date.now() > deadline) throw new Error(`${browser.name}: no result from ${url} in 30 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function checkSealed(r) {
  assert(r.sent === 'card [CARD_1] please', `the service got "${r.sent}", expected the card masked`);
  assert(r.reply === 'noted 4111 1111 1111 1111', `the reply was not restored: "${r.reply}"`);
}

const CONSUMERS = {
  async node(work, pkg) {
    const dir = await project(work, 'node', pkg);
    await check('node ESM: import chatseal + chatseal/client (file store, resume, lock)', async () => {
      const r = JSON.parse(await run(process.execPath, ['esm.mjs'], dir));
      checkSealed(r);
      assert(r.clientReply === 'Got it: mail me at ann@example.org', `client reply: ${r.clientReply}`);
      assert(r.locked === 'locked', `a second connect was not refused as locked: ${r.locked}`);
      assert(r.resumed >= 2, `resume found ${r.resumed} messages`);
      assert(r.plaintextOnDisk === false, 'plaintext found in the file store');
    });
    await check('node CommonJS: require("chatseal")', async () => {
      const r = JSON.parse(await run(process.execPath, ['cjs.cjs'], dir));
      assert(r.sent === 'hello from require' && r.reply === 'hi', JSON.stringify(r));
      return `require("chatseal/client") -> ${r.client}`;
    });
  },

  async ts(work, pkg) {
    const dir = await project(work, 'ts', pkg);
    cpSync(join(dir, 'main.ts'), join(dir, 'main.mts'));
    for (const [config, label] of [
      ['tsconfig.dom.json', 'lib es2022+dom, bundler'],
      ['tsconfig.esnext.json', 'lib esnext+dom, bundler'],
      ['tsconfig.node16.json', 'lib es2022+dom, node16'],
    ]) {
      await check(`TypeScript --strict (${label})`, () => run(join(BIN, 'tsc'), ['-p', config], dir));
    }
  },

  async vite(work, pkg, browsers) {
    const dir = await project(work, 'vite', pkg);
    await check('vite build (production)', async () => {
      await run(join(BIN, 'vite'), ['build', '--logLevel', 'warn'], dir);
      const assets = readdirSync(join(dir, 'dist', 'assets'));
      assert(assets.some((f) => f.endsWith('.wasm')), `no .wasm in dist/assets: ${assets}`);
    });
    await inBrowsers('vite app', join(dir, 'dist'), {}, browsers, (r) => {
      checkSealed(r.result);
      assert(r.result.clientReply === 'Got it: mail me at ann@example.org', `client reply ${r.result.clientReply}`);
      assert(r.result.outcome === 'finished', `client outcome ${r.result.outcome}`);
      assert(r.result.sentAs === 'mail me at [EMAIL_1]', `sent as ${r.result.sentAs}`);
    });
  },

  async worker(work, pkg, browsers) {
    const dir = await project(work, 'worker', pkg);
    await inBrowsers('module Web Worker', dir, {}, browsers, (r) => {
      checkSealed(r.result);
      assert(r.result.inWorker && r.result.hasDocument === false, 'did not run in a worker');
    });
  },

  async csp(work, pkg, browsers) {
    const dir = await project(work, 'csp', pkg);
    await inBrowsers(`strict CSP (${CSP})`, dir, { 'Content-Security-Policy': CSP }, browsers, (r) => {
      checkSealed(r.result);
      assert(r.result.evalBlocked === true, 'eval ran: the CSP was not in force');
      assert(r.result.violations.length === 0, `CSP violations: ${r.result.violations}`);
    });
  },

  async esbuild(work, pkg, browsers) {
    const dir = await project(work, 'esbuild', pkg);
    writeFileSync(join(dir, 'app.js'), readmeExample('esbuild'));
    const command = /^\s*(esbuild .*)$/m.exec(readFileSync(README, 'utf8'));
    assert(command, 'README: no esbuild command line');
    await check(`esbuild bundle (README recipe: ${command[1]})`, async () => {
      const [, ...args] = command[1].split(/\s+/);
      await run(join(BIN, 'esbuild'), args, dir);
      const out = readdirSync(join(dir, 'dist'));
      assert(out.some((f) => f.endsWith('.wasm')), `esbuild did not copy the .wasm: ${out}`);
    });
    const version = JSON.parse(readFileSync(join(dir, 'node_modules', 'chatseal', 'package.json'), 'utf8')).version;
    await inBrowsers('esbuild bundle', dir, {}, browsers, (r) => {
      assert(r.chatseal === version, `page says ${r.chatseal}, package is ${version}`);
    });
  },
};

async function inBrowsers(label, dir, headers, browsers, verify) {
  const server = await serve(dir, { headers });
  try {
    for (const browser of browsers) {
      await check(`${label} in ${browser.name}`, async () => verify(await pageResult(browser, server.url)));
    }
  } finally {
    await server.close();
  }
}

const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(CONSUMERS);
const pkg = tarball();
const work = mkdtempSync(join(tmpdir(), 'chatseal-consumers-'));
const browsers = [];
const watchdog = setTimeout(() => {
  console.log('FAIL  consumers: watchdog (240 s)');
  process.exit(1);
}, 240_000);
try {
  if (names.some((n) => ['vite', 'worker', 'csp', 'esbuild'].includes(n))) {
    for (const name of ['chromium', 'firefox']) browsers.push(await launchBrowser(name, { scriptTimeout: 30_000 }));
  }
  for (const name of names) {
    if (!CONSUMERS[name]) throw new Error(`unknown consumer ${name}`);
    console.log(`-- ${name}`);
    await CONSUMERS[name](work, pkg, browsers);
  }
} catch (e) {
  results.push({ name: 'runner', ok: false });
  console.log(`FAIL  runner: ${e.stack ?? e}`);
} finally {
  for (const b of browsers) await b.close();
  clearTimeout(watchdog);
  rmSync(work, { recursive: true, force: true });
}
const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
