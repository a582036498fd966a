// The JS API as the package exposes it in Node: error objects, result shapes, typings in sync with
// the runtime, free() / Symbol.dispose / the freed guard, sizes checked before copying, and the
// weak-ref backstop.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadChatseal, run } from './harness.mjs';
import { pinned } from './lib/attacks.mjs';

let cs;
let dir; // the package directory under test
before(async () => {
  cs = await loadChatseal();
  dir = process.env.CHATSEAL_PKG || join(process.cwd(), 'node_modules', 'chatseal');
});

const dts = () => readFileSync(join(dir, 'web', 'chatseal.d.ts'), 'utf8');

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
  const union = dts().match(/export type ErrorCode =([^;]+);/)[1];
  const typed = [...union.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
  assert.deepEqual(typed, cs.errorCodes());
  assert.equal(new Set(typed).size, typed.length);
  assert.equal(typed.length, 26);
});

test('every runtime export is declared in the typings, and every declared value exists', () => {
  const text = dts();
  const declared = new Set([...text.matchAll(/^export (?:declare )?(?:function|class) ([A-Za-z]+)/gm)].map((m) => m[1]));
  const runtime = Object.keys(cs).filter((k) => k !== 'default' && k !== 'initSync' && k !== 'KeyringShare');
  for (const name of runtime) assert.ok(declared.has(name), `${name} has no declaration`);
  for (const name of declared) {
    if (name === 'initSync') continue;
    assert.ok(name in cs, `${name} is declared but not exported`);
  }
  assert.ok(!text.includes('[Symbol.dispose](): void'), 'no unguarded Symbol.dispose member');
});

test('messages name the parameter; wrong types and sizes are refused before anything happens', () => {
  const p = pinned(cs, { firstText: 'the secret plaintext 4111 1111 1111 1111' });
  assert.match(thrown(() => p.visitor.open('abc')).message, /envelope must be a Uint8Array/);
  assert.match(thrown(() => p.visitor.exportState('secret-of-thirty-two-characters!')).message, /kek must be a Uint8Array of 32 bytes/);
  assert.match(thrown(() => p.visitor.sealText('x', { labels: 3 })).message, /options\.labels/);
  assert.match(thrown(() => cs.Session.importState(new Uint8Array(10), new Uint8Array(32), 'xyz')).message, /expectedHandle/);
  assert.equal(p.visitor.stateGeneration, 0);
  const before = cs.wasmMemoryBytes();
  assert.equal(thrown(() => p.visitor.open(new Uint8Array(300 * 1024 * 1024))).code, 'limit_exceeded');
  assert.ok(cs.wasmMemoryBytes() - before < 1024 * 1024, 'the 300 MB envelope was not copied into wasm memory');
  p.free();
});

test('results are plain data with the documented shapes', () => {
  const p = pinned(cs);
  const reply = p.service.sealText(p.handle, 'reply', { labels: [['b', '2'], ['a', '1']] });
  const turn = p.visitor.open(reply);
  assert.deepEqual(Object.keys(turn), ['text', 'bytes', 'metadata', 'header', 'order', 'missing', 'chain', 'peerAck']);
  assert.ok(turn.bytes instanceof Uint8Array);
  assert.deepEqual(Object.keys(turn.header), ['handle', 'direction', 'epoch', 'seq', 'prev', 'ack', 'close', 'stream']);
  assert.deepEqual(turn.header.ack, { seq: 0, link: cs.inspect(p.first).link });
  assert.deepEqual(turn.metadata.labels, [['a', '1'], ['b', '2']]);
  assert.deepEqual(Object.keys(turn.metadata), ['role', 'time', 'timeGranularity', 'subject', 'pii', 'labels']);
  const info = cs.inspect(p.first);
  assert.deepEqual(Object.keys(info), ['header', 'hello', 'rekey', 'metadata', 'paddedLen', 'link']);
  assert.deepEqual(JSON.parse(JSON.stringify(info)), info);
  assert.equal(info.hello.keyId, p.visitor.keyId);
  assert.match(p.visitor.handle, /^[0-9a-f]{32}$/);
  assert.match(p.visitor.safetyCode, /^\d{4} \d{4} \d{4}$/);
  assert.deepEqual(Object.keys(p.visitor.status()), ['closed', 'peerClosed', 'sent', 'unacknowledged', 'receivedHighest', 'missing', 'finished']);
  assert.deepEqual(p.visitor.rekeyPolicy, { everyTurns: 100, everySeconds: 3600, keepOldEpochs: false });
  const record = p.service.forget(p.handle);
  assert.deepEqual(Object.keys(record), ['handle', 'side', 'mode', 'keyId', 'epochsDeleted', 'keysDeleted', 'deletedAt', 'residual', 'digest', 'piiValuesDeleted']);
  assert.equal(record.handle, p.handle);
  assert.deepEqual(Object.keys(cs.limits()).length, 10);
  p.free();
});

test('free() twice is fine, Symbol.dispose frees, and use after free is a freed error', () => {
  const p = pinned(cs);
  p.visitor.free();
  p.visitor.free();
  assert.equal(thrown(() => p.visitor.sealText('x')).code, 'freed');
  assert.equal(thrown(() => p.visitor.epoch).code, 'freed');
  if (typeof Symbol.dispose === 'symbol') {
    const s = cs.Session.initiatePinned(p.publicKey);
    s[Symbol.dispose]();
    assert.equal(thrown(() => s.handle).code, 'freed');
  }
  assert.equal(thrown(() => cs.Session.prototype.status.call(p.keyring)).code, 'invalid_input');
  p.service.free();
  p.keyring.free();
});

test('the weak-ref backstop releases objects that were never freed', async () => {
  const glue = readFileSync(join(dir, 'web/chatseal.js'), 'utf8');
  for (const cls of ['Session', 'Service', 'ServiceKeyring', 'MutualInitiator', 'MutualResponder']) {
    assert.match(glue, new RegExp(`const ${cls}Finalization = [^;]*new FinalizationRegistry`, 's'));
  }
  // 20,000 sessions never freed: with the finalization registry the wasm heap stays small; keeping
  // them reachable (the control) grows it.
  const script = `
    import { readFileSync } from 'node:fs';
    const cs = await import(${JSON.stringify(join(dir, 'web/chatseal.js'))});
    const wasm = await cs.default({ module_or_path: readFileSync(${JSON.stringify(join(dir, 'web/chatseal_bg.wasm'))}) });
    const kek = new Uint8Array(32).fill(7);
    const keyring = new cs.ServiceKeyring();
    const first = cs.Session.initiatePinned(keyring.generateKey());
    const blob = first.exportState(kek);
    const kept = [];
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 2000; i++) {
        const session = cs.Session.importState(blob, kek, first.handle);
        if (process.argv.includes('keep')) kept.push(session);
      }
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 0));
    }
    console.log(wasm.memory.buffer.byteLength / 2 ** 20);`;
  const args = (mode) => ['--expose-gc', '--input-type=module', '-e', script, '--', mode];
  const dropped = Number(await run(process.execPath, args('drop')));
  const kept = Number(await run(process.execPath, args('keep')));
  assert.ok(kept > 2 * dropped, `control: ${kept} MiB with every session reachable, ${dropped} MiB dropped`);
  assert.ok(dropped < 24, `${dropped} MiB after dropping 20,000 sessions without free()`);
});
