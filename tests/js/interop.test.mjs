// Interop between the wasm build (Node flavour of pkg/) and the native crate
// (examples/interop.rs) through fixture files, in both roles.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { loadChatseal, native, scratch, hex, readTurns, readText, writeText, writeTurns } from './harness.mjs';

let cs;
before(async () => {
  cs = await loadChatseal();
});

test('envelopes sealed in wasm open natively, and native replies open in wasm', async () => {
  const dir = scratch('interop-serve');
  const secret = webcrypto.getRandomValues(new Uint8Array(32));
  writeText(dir, 'service_secret.hex', hex(secret));
  const keyring = new cs.ServiceKeyring();
  const servicePublicKey = keyring.importKey(secret);
  secret.fill(0);
  keyring.free();

  const visitor = cs.Session.initiatePinned(servicePublicKey, { timeGranularity: 60 });
  const texts = ['hello from wasm', 'ünïcödé and emoji 😀 travel intact', 'x'.repeat(5000)];
  const turns = texts.map((text) => ({ envelope: visitor.sealText(text, { labels: { side: 'wasm' } }), text }));
  writeTurns(dir, 'from_js.json', turns, cs.toText);

  const summary = await native('serve', dir);
  assert.match(summary, /opened 3 turns, sealed 3 replies/);

  const replies = readTurns(dir, 'from_native.json', cs.fromText);
  assert.equal(replies.length, 3);
  // A native envelope altered in transit: one opaque code, and the session is unchanged (the
  // genuine envelope opens next).
  const forged = replies[0].envelope.slice();
  forged[forged.length - 3] ^= 0x10;
  assert.throws(() => visitor.open(forged), { name: 'ChatsealError', code: 'decrypt_failed' });
  for (const [i, { envelope, text }] of replies.entries()) {
    assert.equal(text, `native reply to: ${texts[i]}`);
    const info = cs.inspect(envelope);
    assert.equal(info.header.direction, 'r2i');
    assert.deepEqual(info.metadata.labels, [['side', 'native']]);
    const turn = visitor.open(envelope);
    assert.equal(turn.text, text);
    assert.equal(turn.metadata.role, 'assistant');
    assert.equal(turn.chain, 'linked');
  }
  assert.equal(visitor.safetyCode, readText(dir, 'native_safety.txt'));

  assert.throws(() => visitor.open(replies[0].envelope), { name: 'ChatsealError', code: 'duplicate' });
  visitor.free();
});

test('a native widget is served by a wasm Service, and the native end restores its state blob', async () => {
  const dir = scratch('interop-visit');
  const keyring = new cs.ServiceKeyring();
  writeText(dir, 'service_public.hex', hex(keyring.generateKey()));
  writeText(dir, 'kek.hex', hex(webcrypto.getRandomValues(new Uint8Array(32))));
  const service = new cs.Service(keyring, webcrypto.getRandomValues(new Uint8Array(32)), new cs.MemoryRecordStore());

  assert.match(await native('visit-start', dir), /sealed 3 turns/);
  const [first, ...rest] = readTurns(dir, 'from_native.json', cs.fromText);
  const { handle, turn } = service.accept(first.envelope);
  assert.equal(turn.text, first.text);
  assert.equal(turn.metadata.role, 'visitor');
  for (const { envelope, text } of rest) assert.equal(service.open(envelope).turn.text, text);

  const replies = ['wasm reply one', 'wasm reply two ✓'].map((text) => ({ envelope: service.sealText(handle, text), text }));
  writeTurns(dir, 'from_js.json', replies, cs.toText);
  assert.match(await native('visit-finish', dir), /opened 2 replies/);

  // The native end refuses a tampered reply (and says which code).
  const forged = replies[1].envelope.slice();
  forged[forged.length - 1] ^= 1;
  writeTurns(dir, 'from_js.json', [replies[0], { envelope: forged, text: replies[1].text }], cs.toText);
  await assert.rejects(native('visit-finish', dir), /decrypt_failed/);
  service.free();
  keyring.free();
});
