// Page test of the demo (www/) in headless Chromium, plus browser <-> native interop.
//
//   node tests/page/demo.test.mjs      (after scripts/build.sh and scripts/sync-www.sh)
//
// Serves www/ (with www/pkg/) on 127.0.0.1, clicks through a handshake and a few turns, checks
// what each pane shows, tampers with a stored envelope, saves a screenshot
// (/tmp/chatseal-demo.png, or $CHATSEAL_SCREENSHOT), then seals envelopes in the page that the
// native crate opens (examples/interop.rs) and opens the native replies in the page, and the
// reverse. Prints "N passed, N failed"; exits non-zero on any failure.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import { WWW_DIR, launchChromium, startStaticServer } from '../../scripts/lib/page.mjs';
import { hex, loadChatseal, native, readText, readTurns, scratch, writeText, writeTurns } from '../js/harness.mjs';

const SCREENSHOT = process.env.CHATSEAL_SCREENSHOT || '/tmp/chatseal-demo.png';
const VISITOR_TURNS = ['Hello, I need help with my invoice', 'My e-mail is ann@example.org'];
const SERVICE_TURNS = ['Sure! Which invoice number?'];

const checks = [];
const check = (name, fn) => checks.push({ name, fn });

if (!existsSync(join(WWW_DIR, 'pkg/web/chatseal.js'))) {
  console.error('www/pkg/web/chatseal.js is missing: run bash scripts/build.sh && bash scripts/sync-www.sh');
  process.exit(1);
}
const cs = await loadChatseal(); // Node flavour, to read what the page shows
const server = await startStaticServer(WWW_DIR);
const { page, errors, close } = await launchChromium();
page.setDefaultTimeout(15_000);

const texts = (testid) => page.getByTestId(testid).locator('.bubble').allTextContents();

check('the page loads and the service publishes a key', async () => {
  await page.goto(`${server.url}index.html`);
  await page.waitForSelector('body[data-ready="true"]');
  const keyId = await page.getByTestId('service-key-id').textContent();
  assert.match(keyId, /^[0-9a-f]{16}$/);
  assert.equal(await page.getByTestId('visitor-key').textContent(), keyId);
  assert.match(await page.getByTestId('status').textContent(), /loaded/);
});

check('visitor and service agree on a session and exchange turns', async () => {
  await page.getByTestId('start').click();
  assert.match(await page.getByTestId('visitor-session').textContent(), /^[0-9a-f]{32}$/);
  for (const text of VISITOR_TURNS) {
    await page.getByTestId('visitor-input').fill(text);
    await page.getByTestId('visitor-send').click();
  }
  await page.getByTestId('service-input').fill(SERVICE_TURNS[0]);
  await page.getByTestId('service-input').press('Enter');
  assert.deepEqual(await texts('service-log'), [...VISITOR_TURNS, ...SERVICE_TURNS]);
  assert.deepEqual(await texts('visitor-log'), [...VISITOR_TURNS, ...SERVICE_TURNS]);
  const safety = await page.getByTestId('visitor-safety').textContent();
  assert.match(safety, /^\d{4} \d{4} \d{4}$/);
  assert.equal(await page.getByTestId('service-safety').textContent(), safety);
});

check('the local PII check names what a draft contains', async () => {
  await page.getByTestId('visitor-input').fill('call me at +44 20 7946 0958');
  assert.match(await page.getByTestId('visitor-pii').textContent(), /phone/);
  await page.getByTestId('visitor-input').fill('');
});

check('the backend pane shows envelopes and their metadata, never plaintext', async () => {
  const entries = page.getByTestId('store').getByTestId('envelope');
  assert.equal(await entries.count(), 3);
  const pane = await page.getByTestId('store').innerText();
  for (const text of [...VISITOR_TURNS, ...SERVICE_TURNS, 'ann@example.org', 'invoice']) {
    assert.ok(!pane.includes(text), `the backend pane shows plaintext: ${text}`);
  }
  assert.match(pane, /#1 visitor → service/);
  assert.match(pane, /i2r · epoch 0 · seq 0/);
  assert.match(pane, /handshake\s+pinned, key [0-9a-f]{16}/);
  assert.match(pane, /#3 service → visitor/);
  assert.match(pane, /role\s+agent/);
  assert.match(pane, /padded length\s+32 bytes/);
  assert.match(pane, /labels\s+channel=web/);
  // The full text forms (in the title) are real envelopes, in order, of one session.
  const forms = await page.getByTestId('text-form').evaluateAll((els) => els.map((e) => e.title));
  const infos = forms.map((t) => cs.inspect(cs.fromText(t)));
  assert.deepEqual(infos.map((i) => [i.header.direction, i.header.seq]), [['i2r', 0], ['i2r', 1], ['r2i', 0]]);
  assert.equal(new Set(infos.map((i) => i.header.sessionId)).size, 1);
  assert.equal(infos[1].header.prev, infos[0].link);
});

check('tampering with a stored envelope shows decrypt_failed', async () => {
  await page.getByTestId('store').getByTestId('tamper').nth(1).click();
  const verdict = await page.getByTestId('verdict').textContent();
  assert.match(verdict, /decrypt_failed/);
  assert.equal(await page.locator('.envelope.tampered').count(), 1);
});

check('screenshot', async () => {
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`   screenshot: ${SCREENSHOT}`);
});

check('envelopes sealed in the browser open natively; native replies open in the browser', async () => {
  const dir = scratch('page-interop-serve');
  const secret = webcrypto.getRandomValues(new Uint8Array(32));
  writeText(dir, 'service_secret.hex', hex(secret));
  const sealed = await page.evaluate(async ({ secretHex, turns }) => {
    const cs = await import('./pkg/web/chatseal.js'); // the instance the demo initialised
    const secret = new Uint8Array(secretHex.match(/../g).map((h) => parseInt(h, 16)));
    const keyring = new cs.ServiceKeyring();
    const publicKey = keyring.importKey(secret);
    keyring.free();
    window.interopVisitor = cs.Session.initiatePinned(publicKey);
    return turns.map((text) => cs.toText(window.interopVisitor.sealText(text)));
  }, { secretHex: hex(secret), turns: ['browser turn one', 'browser turn two ✓'] });
  writeTurns(dir, 'from_js.json', sealed.map((t, i) => ({ envelope: cs.fromText(t), text: ['browser turn one', 'browser turn two ✓'][i] })), cs.toText);
  assert.match(await native('serve', dir), /opened 2 turns/);
  const replies = readTurns(dir, 'from_native.json', cs.fromText);
  const opened = await page.evaluate(async (forms) => {
    const cs = await import('./pkg/web/chatseal.js');
    const out = forms.map((t) => window.interopVisitor.open(cs.fromText(t)).text);
    return { out, safety: window.interopVisitor.safetyCode() };
  }, replies.map((r) => cs.toText(r.envelope)));
  assert.deepEqual(opened.out, replies.map((r) => r.text));
  assert.equal(opened.safety, readText(dir, 'native_safety.txt'));
});

check('a native widget is served in the browser, and continues from its state blob', async () => {
  const dir = scratch('page-interop-visit');
  writeText(dir, 'kek.hex', hex(webcrypto.getRandomValues(new Uint8Array(32))));
  const publicKey = await page.evaluate(async () => {
    const cs = await import('./pkg/web/chatseal.js');
    window.interopKeyring = new cs.ServiceKeyring();
    return Array.from(window.interopKeyring.generateKey(), (b) => b.toString(16).padStart(2, '0')).join('');
  });
  writeText(dir, 'service_public.hex', publicKey);
  await native('visit-start', dir);
  const turns = readTurns(dir, 'from_native.json', cs.fromText);
  const result = await page.evaluate(async (forms) => {
    const cs = await import('./pkg/web/chatseal.js');
    const [first, ...rest] = forms.map((t) => cs.fromText(t));
    const { session, turn } = window.interopKeyring.accept(first);
    const seen = [turn.text, ...rest.map((e) => session.open(e).text)];
    const replies = ['browser reply ✓'].map((text) => ({ text, form: cs.toText(session.sealText(text)) }));
    return { seen, replies };
  }, turns.map((t) => cs.toText(t.envelope)));
  assert.deepEqual(result.seen, turns.map((t) => t.text));
  writeTurns(dir, 'from_js.json', result.replies.map((r) => ({ envelope: cs.fromText(r.form), text: r.text })), cs.toText);
  assert.match(await native('visit-finish', dir), /opened 1 replies/);
});

check('no page errors', async () => {
  assert.deepEqual(errors, []);
});

let passed = 0;
let failed = 0;
try {
  for (const { name, fn } of checks) {
    const t0 = Date.now();
    try {
      await fn();
      passed++;
      console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${name}\n     ${String(error.stack || error).split('\n').join('\n     ')}`);
    }
  }
} finally {
  await close();
  await server.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
