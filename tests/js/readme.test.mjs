// The npm README's runnable examples (`<!-- example: NAME -->` blocks in pkg-template/README.md),
// run as written against the installed package, their output checked line by line. (The
// persistence examples have their own tests: tests/js/persist.test.mjs in Node,
// tests/page/persist.test.mjs in the browsers.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readmeExample } from '../page/lib/readme.mjs';
import { run } from './harness.mjs';

const PACK_DIR = process.env.CHATSEAL_PACK_DIR || join(process.env.TMPDIR || tmpdir(), 'chatseal-pack');
let dir; // inside PACK_DIR: bare `chatseal` imports resolve to the installed package

before(() => {
  if (!existsSync(join(PACK_DIR, 'node_modules', 'chatseal', 'package.json'))) {
    throw new Error(`no installed package in ${PACK_DIR}/node_modules/chatseal: run scripts/test.sh (its pack step)`);
  }
  dir = mkdtempSync(join(PACK_DIR, 'readme-test-'));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const expected = {
  conversation: ['Hello, I need help with my invoice -> Sure! Which invoice number? (agent)', 'true true'],
  'record-store': ['session_exists', 'true null'],
  streams: ['Once upon a time.', 'stream_broken'],
  mutual: ['hi true'],
  backend: ['0 visitor [] 32', 'unfinished', 'incomplete'],
  masking: [
    'Mail [EMAIL_1], card [CARD ****1111] 1',
    'Sent to ann@example.org; confirm at https://x.example/?u=[EMAIL_1]',
    "[ { category: 'email', start: 57, end: 66 } ]",
    "[ { category: 'phone', start: 5, end: 21 } ]",
  ],
};

for (const [name, lines] of Object.entries(expected)) {
  test(`README example "${name}" runs as written`, async () => {
    const file = join(dir, `${name}.mjs`);
    writeFileSync(file, readmeExample(name));
    const out = await run(process.execPath, [file], { cwd: dir, timeout: 60_000 });
    assert.deepEqual(out.trim().split('\n'), lines);
  });
}
