// The JS API as the generated glue exposes it (Node flavour of pkg/): error objects, shapes of
// results, typings in sync with the runtime, explicit free() and the weak-ref backstop.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PKG, loadChatseal, run } from './harness.mjs';

let cs;
before(async () => {
  cs = await loadChatseal();
});

function pinned() {
  const keyring = new cs.ServiceKeyring();
  const visitor = cs.Session.initiatePinned(keyring.generateKey());
  const first = visitor.sealText('the secret plaintext 4111 1111 1111 1111');
  const { session: service, turn } = keyring.accept(first);
  return { keyring, visitor, service, first, turn };
}

/** The error thrown by `fn`, checked to be a ChatsealError whose message leaks nothing. */
function thrown(fn) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof Error, 'thrown value is an Error');
    assert.equal(e.name, 'ChatsealError');
    assert.ok(cs.isChatsealError(e));
    assert.ok(cs.errorCodes().includes(e.code), `${e.code} is a listed code`);
    assert.doesNotMatch(e.message, /secret plaintext|4111/);
    return e;
  }
  assert.fail('expected a ChatsealError');
}

test('errorCodes() and the ErrorCode type list the same codes', () => {
  const dts = readFileSync(join(PKG, 'web/chatseal.d.ts'), 'utf8');
  const union = dts.match(/export type ErrorCode =([^;]+);/)[1];
  const typed = [...union.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
  assert.deepEqual(typed, cs.errorCodes());
  assert.equal(new Set(typed).size, typed.length);
});

test('every failure is a ChatsealError with a stable code', () => {
  const { keyring, visitor, service, first } = pinned();
  const reply = service.sealText('reply');
  assert.equal(thrown(() => cs.Session.initiatePinned(new Uint8Array(31))).code, 'invalid_input');
  assert.equal(thrown(() => cs.Session.initiatePinned(new Uint8Array(32))).code, 'non_contributory');
  assert.equal(thrown(() => cs.fromText('not base64url!')).code, 'malformed');
  assert.equal(thrown(() => cs.inspect(new Uint8Array([1, 2, 3]))).code, 'malformed');
  const forged = reply.slice();
  forged[forged.length - 1] ^= 1;
  assert.equal(thrown(() => visitor.open(forged)).code, 'decrypt_failed');
  visitor.open(reply);
  assert.equal(thrown(() => visitor.open(reply)).code, 'duplicate');
  assert.equal(thrown(() => service.open(first)).code, 'duplicate');
  assert.equal(thrown(() => new cs.ServiceKeyring().accept(first)).code, 'unknown_key');
  assert.equal(thrown(() => visitor.sealText('x', { role: 'admin' })).code, 'invalid_input');
  assert.equal(thrown(() => visitor.sealText('x', { rol: 'agent' })).code, 'invalid_input');
  assert.equal(thrown(() => visitor.exportState(new Uint8Array(8))).code, 'invalid_input');
  const initiator = cs.MutualInitiator.offer();
  initiator.complete(cs.MutualResponder.answer(initiator.offerBytes).answerBytes);
  assert.equal(thrown(() => initiator.complete(new Uint8Array(53))).code, 'bad_state');
  visitor.forget();
  assert.equal(thrown(() => visitor.sealText('x')).code, 'bad_state');
  assert.ok(!cs.isChatsealError(new Error('plain')));
  assert.ok(!cs.isChatsealError({ name: 'ChatsealError', code: 'duplicate' }));
  for (const o of [keyring, visitor, service, initiator]) o.free();
});

test('results are plain data: bytes are Uint8Array, numbers are numbers, inspections are JSON', () => {
  const { keyring, visitor, service, first, turn } = pinned();
  assert.ok(first instanceof Uint8Array);
  assert.ok(turn.bytes instanceof Uint8Array);
  assert.equal(turn.text, 'the secret plaintext 4111 1111 1111 1111');
  assert.deepEqual(Object.keys(turn), ['text', 'bytes', 'metadata', 'header', 'order', 'missing', 'chain']);
  const info = cs.inspect(first);
  assert.deepEqual(JSON.parse(JSON.stringify(info)), info);
  assert.deepEqual(Object.keys(info), ['header', 'hello', 'rekey', 'metadata', 'paddedLen', 'link']);
  assert.equal(typeof info.header.seq, 'number');
  assert.equal(typeof info.metadata.time, 'number');
  assert.equal(info.metadata.time % 60, 0);
  assert.equal(info.hello.keyId, visitor.keyId);
  assert.equal(info.rekey, null);
  assert.equal(typeof visitor.nextSendSeq, 'number');
  assert.deepEqual(visitor.epochsHeld, [0]);
  assert.match(visitor.safetyCode(), /^\d{4} \d{4} \d{4}$/);
  assert.match(visitor.sessionId, /^[0-9a-f]{32}$/);
  const record = service.forget();
  assert.deepEqual(JSON.parse(JSON.stringify(record)), record);
  assert.equal(record.sessionId, visitor.sessionId);
  assert.equal(cs.scanPii('mail ann@example.org').length, 1);
  for (const o of [keyring, visitor, service]) o.free();
});

test('free() and Symbol.dispose release an object; using or freeing it afterwards throws', () => {
  const { keyring, visitor, service } = pinned();
  visitor.free();
  assert.throws(() => visitor.sealText('x'));
  assert.throws(() => visitor.free()); // freeing twice is a bug too, and is reported
  service[Symbol.dispose]();
  assert.throws(() => service.sealText('x'));
  keyring.free();
});

test('the weak-ref backstop releases objects that were never freed', async () => {
  const glue = readFileSync(join(PKG, 'web/chatseal.js'), 'utf8');
  for (const cls of ['Session', 'ServiceKeyring', 'MutualInitiator', 'MutualResponder']) {
    assert.match(glue, new RegExp(`const ${cls}Finalization = [^;]*new FinalizationRegistry`, 's'));
  }
  // 40,000 sessions of about 2 KB each, never freed: with the finalization registry the wasm
  // heap stays small; keeping them reachable (the control) grows it past 64 MiB.
  const script = `
    import { readFileSync } from 'node:fs';
    const cs = await import(${JSON.stringify(join(PKG, 'web/chatseal.js'))});
    const wasm = await cs.default({ module_or_path: readFileSync(${JSON.stringify(join(PKG, 'web/chatseal_bg.wasm'))}) });
    const kek = new Uint8Array(32).fill(7);
    const blob = cs.Session.initiatePinned(new cs.ServiceKeyring().generateKey()).exportState(kek);
    const kept = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 2000; i++) {
        const session = cs.Session.importState(blob, kek);
        if (process.argv.includes('keep')) kept.push(session);
      }
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 0));
    }
    console.log(wasm.memory.buffer.byteLength / 2 ** 20);`;
  const args = (mode) => ['--expose-gc', '--input-type=module', '-e', script, '--', mode];
  const dropped = Number(await run(process.execPath, args('drop')));
  const kept = Number(await run(process.execPath, args('keep')));
  assert.ok(kept > 64, `control: ${kept} MiB with every session reachable`);
  assert.ok(dropped < 24, `${dropped} MiB after dropping 40,000 sessions without free()`);
});
