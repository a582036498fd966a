// Drives headless Chromium through the benchmark page and writes BENCHMARKS.md (or JSON).
// Run through `bash scripts/bench.sh`, which builds the packages and assembles SITE first:
//
//   node benches/browser/run.mjs --site DIR --out BENCHMARKS.md [--json FILE] [--quick]
//   node benches/browser/run.mjs --site DIR --variant NAME --json FILE   (one "what we tried" row)
//
// SITE holds bench.html, cold.html, *.mjs (from benches/browser/page/), pkg/ (release build with
// PII), pkg-crypto/ (--no-default-features), sodium/ (libsodium-wrappers' dist files) and noble.js
// (esbuild bundle of just the noble functions used). Not a test: figures only.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, chromium, CHROMIUM_PATH, CHROMIUM_ARGS, startStaticServer } from '../../scripts/lib/page.mjs';

const { values: args } = parseArgs({
  options: {
    site: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'string' },
    variant: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'cold-runs': { type: 'string', default: '15' },
    build: { type: 'string', default: '' },
    // Comma-separated subset of the speed figures (for iterating on one); the report and
    // benchmarks.json are only written from a full run.
    figures: { type: 'string' },
    'bench-json': { type: 'string' },
    // With --figures ab: which figures to compare (comma-separated; default: the per-turn ones).
    'ab-figures': { type: 'string' },
  },
});
if (!args.site) throw new Error('--site DIR is required');
const SITE = args.site;
const BENCH_DIR = join(ROOT, 'benches', 'browser');
const log = (...m) => console.error('[bench]', ...m);

// -------------------------------------------------------------------- sizes --

const gz = (file) => execFileSync('gzip', ['-9', '-c', file], { maxBuffer: 1 << 28 }).length;
const raw = (file) => readFileSync(file).length;
function sizeOf(files) {
  const parts = files.map((f) => ({ file: f.replace(SITE + '/', ''), raw: raw(f), gzip: gz(f) }));
  return { parts, raw: parts.reduce((a, p) => a + p.raw, 0), gzip: parts.reduce((a, p) => a + p.gzip, 0) };
}
function sizes() {
  const out = {
    chatseal: sizeOf([join(SITE, 'pkg/web/chatseal_bg.wasm'), join(SITE, 'pkg/web/chatseal.js')]),
    libsodium: sizeOf([join(SITE, 'sodium/libsodium-wrappers.mjs'), join(SITE, 'sodium/libsodium.mjs')]),
    noble: sizeOf([join(SITE, 'noble.js')]),
  };
  if (existsSync(join(SITE, 'pkg-crypto/web/chatseal_bg.wasm'))) {
    out.chatsealCrypto = sizeOf([join(SITE, 'pkg-crypto/web/chatseal_bg.wasm'), join(SITE, 'pkg-crypto/web/chatseal.js')]);
  }
  return out;
}

// ------------------------------------------------------------------ browser --

const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
const server = await startStaticServer(SITE);
const browserVersion = browser.version();

/** A fresh context (no cache, no shared JIT state) with the bench page loaded. */
async function benchPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${server.url}bench.html`);
  await page.waitForFunction(() => globalThis.bench !== undefined, null, { timeout: 30_000 });
  const info = await page.evaluate(() => globalThis.bench.ready);
  return { page, info, errors, close: () => context.close() };
}

async function figure(name, fnArgs, timeout = 180_000) {
  const { page, info, errors, close } = await benchPage();
  try {
    page.setDefaultTimeout(timeout);
    const t0 = Date.now();
    const loadBefore = loadavg()[0];
    const result = await page.evaluate(([n, a]) => globalThis.bench.run(n, a), [name, fnArgs]);
    // The 1-minute load average (`uptime`) before and after: other work on a shared machine.
    if (result && typeof result === 'object') result.load = [loadBefore, loadavg()[0]];
    log(`${name}${fnArgs ? ' ' + JSON.stringify(fnArgs) : ''}: ${((Date.now() - t0) / 1000).toFixed(1)} s, load ${loadBefore.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`);
    if (errors.length) log(`page errors in ${name}:`, errors.join('; '));
    return { result, info };
  } finally {
    await close();
  }
}

async function coldOnce(lib, pkg) {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${server.url}cold.html?lib=${lib}${pkg ? '&pkg=' + pkg : ''}`);
    return await page.evaluate(() => globalThis.cold);
  } finally {
    await context.close();
  }
}

async function coldStart(runs, libs) {
  const samples = Object.fromEntries(libs.map(([name]) => [name, []]));
  for (const [name, lib, pkg] of libs) await coldOnce(lib, pkg); // warm the server and the OS cache
  for (let r = 0; r < runs; r++) {
    for (const [name, lib, pkg] of libs) samples[name].push((await coldOnce(lib, pkg)).ms);
  }
  const stat = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return { medianMs: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2, minMs: s[0], maxMs: s.at(-1), runs: s.length };
  };
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stat(v)]));
}

// ---------------------------------------------------------------------- run --

const results = { date: new Date().toISOString(), browserVersion, build: args.build };
try {
  results.sizes = sizes();
  const speedFigures = args.figures
    ? args.figures.split(',')
    : args.variant
      ? ['seal1k', 'sealPii', 'open1k', 'seal1m', 'handshake', 'phases']
      : ['seal1k', 'seal1kDefault', 'sealPii', 'open1k', 'seal1m', 'handshake', 'phases', 'piiScan'];
  results.speed = {};
  for (const name of speedFigures) {
    const fnArgs = name === 'ab' && args['ab-figures'] ? { figures: args['ab-figures'].split(',') } : undefined;
    const { result, info } = await figure(name, fnArgs);
    results.speed[name] = result;
    results.page = info;
  }
  const coldRuns = args.figures ? 0 : args.quick || args.variant ? 7 : Number(args['cold-runs']);
  const libs = [['chatseal', 'chatseal'], ['libsodium', 'libsodium'], ['noble', 'noble']];
  if (!args.variant && results.sizes.chatsealCrypto) libs.push(['chatsealCrypto', 'chatseal', 'pkg-crypto']);
  if (coldRuns > 0) {
    const loadBefore = loadavg()[0];
    results.cold = await coldStart(coldRuns, libs);
    results.coldLoad = [loadBefore, loadavg()[0]];
    log(`cold start done, load ${loadBefore.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`);
  }
  if (!args.variant && !args.figures) {
    results.memory = {
      initiators: (await figure('sessions', { count: 10_000, kind: 'initiator' })).result,
      responders: (await figure('sessions', { count: 10_000, kind: 'responder' })).result,
      long: (await figure('longSession', { turns: args.quick ? 100_000 : 1_000_000 }, 900_000)).result,
    };
  }
} finally {
  await browser.close();
  await server.close();
}

// ------------------------------------------------------------------ machine --

const pkgVersion = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
const git = (...a) => {
  try { return execFileSync('git', ['-C', ROOT, ...a], { encoding: 'utf8' }).trim(); } catch { return ''; }
};
results.machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  browserCores: results.page?.hardwareConcurrency,
  memGiB: Math.round(totalmem() / 2 ** 30),
  os: `${process.platform} ${release()}`,
  node: process.version,
};
let osName = '';
try { osName = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? ''; } catch { /* none */ }
results.machine.distro = osName;
const nm = join(BENCH_DIR, 'node_modules');
results.versions = {
  chatseal: pkgVersion(join(SITE, 'pkg')),
  chatsealCommit: `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? ' + uncommitted changes' : ''}`,
  libsodiumWrappers: pkgVersion(join(nm, 'libsodium-wrappers')),
  libsodium: pkgVersion(join(nm, 'libsodium')),
  libsodiumLib: results.page?.sodium,
  nobleCiphers: pkgVersion(join(nm, '@noble/ciphers')),
  nobleCurves: pkgVersion(join(nm, '@noble/curves')),
  nobleHashes: pkgVersion(join(nm, '@noble/hashes')),
  esbuild: pkgVersion(join(nm, 'esbuild')),
  playwrightCore: pkgVersion(join(ROOT, 'tools', 'node_modules', 'playwright-core')),
};

if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 2) + '\n');
if (args.out && !args.figures) {
  // The figures integrators compare, machine-readable, next to BENCHMARKS.md.
  const { summary } = await import('./report.mjs');
  const file = args['bench-json'] ?? join(dirname(args.out), 'benchmarks.json');
  writeFileSync(file, JSON.stringify(summary(results), null, 2) + '\n');
  log(`wrote ${file}`);
}
if (args.out && !args.figures) {
  const { render } = await import('./report.mjs');
  writeFileSync(args.out, render(results, BENCH_DIR));
  log(`wrote ${args.out}`);
}
