// CPU profile of one chatseal operation in headless Chromium (DevTools protocol), for the
// per-phase attribution in BENCHMARKS.md. Not part of scripts/bench.sh's report.
//
//   node benches/browser/profile.mjs --site DIR --op seal1k [--ms 4000] [--top 40]
//
// SITE as for run.mjs; build its pkg/ with wasm names kept for readable rows (scripts/bench.sh
// --profile does: wasm-bindgen on cargo's output, no wasm-opt). Prints self time per function
// (wasm functions by their Rust names) and per group (crate or JS).
import { parseArgs } from 'node:util';
import { chromium, CHROMIUM_PATH, CHROMIUM_ARGS, startStaticServer } from '../../scripts/lib/page.mjs';

const { values: args } = parseArgs({
  options: {
    site: { type: 'string' },
    op: { type: 'string', default: 'seal1k' },
    ms: { type: 'string', default: '4000' },
    top: { type: 'string', default: '40' },
  },
});
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
const server = await startStaticServer(args.site);
try {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.url}bench.html`);
  await page.waitForFunction(() => globalThis.bench !== undefined);
  await page.evaluate(() => globalThis.bench.ready);
  await page.evaluate(([op]) => globalThis.bench.prepareProfile(op), [args.op]);
  // Warm up (JIT tiers) before profiling.
  await page.evaluate(() => globalThis.bench.loop(1000));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
  await cdp.send('Profiler.start');
  const count = await page.evaluate((ms) => globalThis.bench.loop(ms), Number(args.ms));
  const { profile } = await cdp.send('Profiler.stop');
  const dt = (profile.endTime - profile.startTime) / 1e3; // ms
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const total = profile.samples.length;
  const hits = new Map();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  for (const [id, h] of hits) {
    const n = byId.get(id);
    const f = n.callFrame;
    const name = f.functionName || `(anonymous ${f.url.split('/').pop()}:${f.lineNumber})`;
    self.set(name, (self.get(name) ?? 0) + h);
  }
  const perOp = (h) => ((h / total) * dt * 1000) / count; // µs per op
  console.log(`${args.op}: ${count} ops in ${dt.toFixed(0)} ms = ${((dt * 1000) / count).toFixed(2)} µs/op, ${total} samples`);
  const group = new Map();
  const groupOf = (name) => {
    const m = /^(?:<)?([a-z_][a-z0-9_]*)::/.exec(name) || /^(?:_?ZN\d+)?([a-z_][a-z0-9_]+)/.exec(name);
    if (/^\$?func\d+|wasm-function/.test(name)) return 'wasm (unnamed)';
    if (name.includes('::')) return (m && m[1]) || 'wasm';
    return 'js/other';
  };
  for (const [name, h] of self) group.set(groupOf(name), (group.get(groupOf(name)) ?? 0) + h);
  console.log('--- by group (µs/op, %)');
  for (const [g, h] of [...group].sort((a, b) => b[1] - a[1])) console.log(`${perOp(h).toFixed(2).padStart(8)} ${((100 * h) / total).toFixed(1).padStart(5)}%  ${g}`);
  console.log('--- by function (self)');
  for (const [name, h] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) {
    console.log(`${perOp(h).toFixed(2).padStart(8)} ${((100 * h) / total).toFixed(1).padStart(5)}%  ${name.slice(0, 150)}`);
  }
} finally {
  await browser.close();
  await server.close();
}
