// The protocol v2 attacks of tests/js/lib/attacks.mjs against the installed package in Node (the
// same cases run in Chromium and Firefox from tests/page/suites.test.mjs).
import { test, before } from 'node:test';
import { cases } from './lib/attacks.mjs';
import { loadChatseal } from './harness.mjs';

let cs;
before(async () => {
  cs = await loadChatseal();
});

for (const [name, fn] of cases) test(name, () => fn(cs));
