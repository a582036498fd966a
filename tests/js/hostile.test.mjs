// The hostile-input suite (tests/js/lib/hostile.mjs) against the installed package in Node, with
// fast-check's random values (from tools/node_modules). Prints the figures; every count but the
// calls must be 0. The same suite runs in Chromium and Firefox from tests/page/suites.test.mjs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, loadChatseal } from './harness.mjs';
import { runHostile, summary } from './lib/hostile.mjs';

let cs;
let fc;
before(async () => {
  cs = await loadChatseal();
  const resolve = createRequire(join(ROOT, 'tools', 'package.json')).resolve;
  fc = await import(pathToFileURL(resolve('fast-check')).href.replace(/cjs\/fast-check\.js$/, 'fast-check.js'));
});

test('hostile inputs: no trap, no coercion, no untyped error, no locked object', { timeout: 600_000 }, async () => {
  const stats = await runHostile(cs, { fc, log: (line) => console.log(line) });
  console.log(summary('node', stats));
  assert.deepEqual(stats.problems, []);
  assert.equal(stats.traps + stats.coercions + stats.untyped + stats.locked, 0);
  assert.ok(stats.calls > 5000, `${stats.calls} calls`);
});
