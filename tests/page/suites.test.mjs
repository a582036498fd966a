// The isomorphic suites of tests/js/lib in headless Chromium and Firefox: the protocol v2 attacks
// (attacks.mjs), the hostile-input suite with fast-check (hostile.mjs) and the memory scan
// (memory-scan.mjs, against the test-hooks flavour of the package), each in a real page that
// imports the package's browser (web/) flavour through an import map, as a site would.
//
//   node tests/page/suites.test.mjs    (after scripts/test.sh's pack step and the test-hooks build)
//
// Package: $CHATSEAL_PACK_DIR/node_modules/chatseal (else node_modules/chatseal, else pkg/); the
// test-hooks flavour: $CHATSEAL_TEST_PKG (default ${TMPDIR:-/tmp}/chatseal-pkg-test-hooks).
// Prints the hostile figures and the memory-scan residues per browser, then "N passed, N failed".
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../../scripts/lib/page.mjs';
import { packageDir } from './lib/package.mjs';
import { launchBrowser } from './lib/webdriver.mjs';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const TOOLS = join(ROOT, 'tools', 'node_modules');
const WATCHDOG_MS = 540_000;

/** An import map entry for every export of pure-rand (fast-check imports its subpaths). */
function pureRandImports() {
  const { exports } = JSON.parse(readFileSync(join(TOOLS, 'pure-rand', 'package.json'), 'utf8'));
  const out = {};
  for (const [key, value] of Object.entries(exports)) {
    if (value && typeof value === 'object' && value.import) out[`pure-rand${key.slice(1)}`] = `./pure-rand/${value.import.replace(/^\.\//, '')}`;
  }
  return out;
}

function makeSite() {
  const pkg = packageDir();
  const testPkg = process.env.CHATSEAL_TEST_PKG || join(process.env.TMPDIR || tmpdir(), 'chatseal-pkg-test-hooks');
  if (!existsSync(join(testPkg, 'web', 'chatseal.js'))) throw new Error(`no test-hooks package in ${testPkg}`);
  const dir = mkdtempSync(join(tmpdir(), 'chatseal-suites-page-'));
  symlinkSync(pkg, join(dir, 'chatseal'));
  symlinkSync(testPkg, join(dir, 'chatseal-test'));
  symlinkSync(join(ROOT, 'tests', 'js', 'lib'), join(dir, 'lib'));
  symlinkSync(join(TOOLS, 'fast-check'), join(dir, 'fast-check'));
  symlinkSync(join(TOOLS, 'pure-rand'), join(dir, 'pure-rand'));
  const entry = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).exports['.'].default.default;
  const imports = {
    chatseal: `./chatseal/${entry.replace(/^\.\//, '')}`,
    'fast-check': './fast-check/lib/fast-check.js',
    ...pureRandImports(),
  };
  writeFileSync(join(dir, 'index.html'), `<!doctype html>
<meta charset="utf-8">
<title>chatseal suites</title>
<script type="importmap">${JSON.stringify({ imports })}</script>
<script type="module">
  import init, * as cs from 'chatseal';
  import * as fc from 'fast-check';
  import initTest, * as csTest from './chatseal-test/web/chatseal.js';
  import { cases } from './lib/attacks.mjs';
  import { runHostile, summary } from './lib/hostile.mjs';
  import { runMemoryScan, residues } from './lib/memory-scan.mjs';
  await init();
  const wasmTest = await initTest();
  window.suites = {
    async attacks() {
      const out = [];
      for (const [name, fn] of cases) {
        try { await fn(cs); out.push({ name, ok: true }); } catch (e) { out.push({ name, ok: false, error: String(e && e.stack || e) }); }
      }
      return out;
    },
    async hostile(runtime) {
      const stats = await runHostile(cs, { fc });
      return { line: summary(runtime, stats), stats };
    },
    async memory() {
      const results = runMemoryScan(csTest, wasmTest.memory);
      return { results, problems: residues(results), mib: wasmTest.memory.buffer.byteLength / 2 ** 20 };
    },
  };
  window.ready = true;
</script>
<p>chatseal suites</p>
`);
  return { dir, pkg, testPkg };
}

async function waitReady(browser) {
  for (let i = 0; i < 100; i++) {
    if (await browser.run(() => window.ready === true)) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error('the page did not load the package and the suites');
}

const watchdog = setTimeout(() => {
  console.log(`FAIL watchdog: still running after ${WATCHDOG_MS} ms`);
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

const site = makeSite();
process.once('exit', () => rmSync(site.dir, { recursive: true, force: true }));
const server = await startStaticServer(site.dir);
console.log(`   package: ${site.pkg}; test-hooks package: ${site.testPkg}`);
let passed = 0;
let failed = 0;
const report = (ok, title, detail = '') => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${title}${detail ? `\n     ${detail.split('\n').join('\n     ')}` : ''}`);
};
try {
  for (const name of ['chromium', 'firefox']) {
    const t0 = Date.now();
    let browser;
    try {
      browser = await launchBrowser(name, { scriptTimeout: 400_000 });
      await browser.navigate(`${server.url}index.html`);
      await waitReady(browser);
      for (const r of await browser.run(() => window.suites.attacks())) report(r.ok, `[${name}] ${r.name}`, r.error);
      const hostile = await browser.run((runtime) => window.suites.hostile(runtime), name);
      console.log(hostile.line);
      const clean = hostile.stats.traps + hostile.stats.coercions + hostile.stats.untyped + hostile.stats.locked === 0;
      report(clean && hostile.stats.calls > 5000, `[${name}] hostile inputs: no trap, no coercion, no untyped error, no locked object`,
        hostile.stats.problems.join('\n'));
      const memory = await browser.run(() => window.suites.memory());
      const scans = memory.results.filter((r) => !r.control);
      console.log(`memory scan (${name}): ${scans.length} scans of ${memory.mib.toFixed(1)} MiB, ` +
        `${scans.reduce((n, r) => n + r.found.length, 0)} residues`);
      report(memory.problems.length === 0, `[${name}] no key or plaintext bytes remain in wasm memory`, memory.problems.join('\n'));
    } catch (error) {
      report(false, `[${name}] the suites ran`, String(error.stack || error));
    } finally {
      await browser?.close();
    }
    console.log(`   ${name}: ${Date.now() - t0} ms`);
  }
} finally {
  await server.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
