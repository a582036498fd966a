// The memory scan (tests/js/lib/memory-scan.mjs) in Node, against the test-hooks flavour of the
// package: its web build, instantiated here so that the test holds the WebAssembly.Memory.
//
//   FEATURES="--features test-hooks" PKG_DIR=$CHATSEAL_TEST_PKG bash scripts/build.sh
//   CHATSEAL_TEST_PKG=... node --test tests/js/memory-scan.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runMemoryScan, residues } from './lib/memory-scan.mjs';

const PKG = process.env.CHATSEAL_TEST_PKG || join(process.env.TMPDIR || '/tmp', 'chatseal-pkg-test-hooks');

test('no key or plaintext bytes remain in wasm memory after drop, forget(), free()', async () => {
  assert.ok(existsSync(join(PKG, 'web', 'chatseal.js')), `no test-hooks package in ${PKG}: build it with FEATURES="--features test-hooks"`);
  const cs = await import(pathToFileURL(join(PKG, 'web', 'chatseal.js')).href);
  const wasm = await cs.default({ module_or_path: readFileSync(join(PKG, 'web', 'chatseal_bg.wasm')) });
  const results = runMemoryScan(cs, wasm.memory);
  for (const r of results) {
    console.log(`memory scan (node): ${r.control ? 'control ' : ''}${r.step}: ${r.looked} secrets, ${r.found.length} found`);
  }
  const problems = residues(results);
  const checks = results.filter((r) => !r.control);
  console.log(`memory scan (node): ${checks.length} scans of ${(wasm.memory.buffer.byteLength / 2 ** 20).toFixed(1)} MiB, ` +
    `${checks.reduce((n, r) => n + r.found.length, 0)} residues`);
  assert.deepEqual(problems, []);
});
