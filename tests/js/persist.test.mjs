// Sealed session state in Node: the README's Node example (`<!-- example: persist-node -->` in
// pkg-template/README.md) run as written against the installed package, and exportState /
// importState / rewrapState through files: roundtrip, KEK rotation, tampered and truncated blobs,
// stale copies, and sessions that keep talking to their peer after every restore.
//
//   node --test tests/js/persist.test.mjs    (after scripts/test.sh's pack step)
//
// The package is the one scripts/test.sh packed and installed into $CHATSEAL_PACK_DIR
// (default ${TMPDIR:-/tmp}/chatseal-pack), so `import 'chatseal'` resolves as it does for users.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readmeExample } from '../page/lib/readme.mjs';

const PACK_DIR = process.env.CHATSEAL_PACK_DIR || join(process.env.TMPDIR || tmpdir(), 'chatseal-pack');
let dir; // scratch directory inside PACK_DIR: bare `chatseal` imports resolve to the installed package
let cs;

before(async () => {
  if (!existsSync(join(PACK_DIR, 'node_modules', 'chatseal', 'package.json'))) {
    throw new Error(`no installed package in ${PACK_DIR}/node_modules/chatseal: run scripts/test.sh (its pack step)`);
  }
  dir = mkdtempSync(join(PACK_DIR, 'persist-test-'));
  writeFileSync(join(dir, 'chatseal.mjs'), "export * from 'chatseal';\n");
  cs = await import(pathToFileURL(join(dir, 'chatseal.mjs')).href);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const kek = () => new Uint8Array(randomBytes(32));

/** The code of the ChatsealError `fn` throws. */
function code(fn) {
  try {
    fn();
  } catch (e) {
    assert.ok(cs.isChatsealError(e), `not a ChatsealError: ${e}`);
    return e.code;
  }
  assert.fail('expected a ChatsealError');
}

/** A visitor and an agent in mutual mode (two plain sessions, both exportable). */
function pinned() {
  const initiator = cs.MutualInitiator.offer({ timeGranularity: 60 });
  const responder = cs.MutualResponder.answer(initiator.offerBytes);
  const visitor = initiator.complete(responder.answerBytes);
  const { session: service } = responder.accept(visitor.sealText('first turn'));
  initiator.free();
  responder.free();
  return { visitor, service };
}

function node(script, { cwd, env }) {
  return new Promise((ok) => {
    execFile(process.execPath, [script], { cwd, env: { ...process.env, ...env }, timeout: 20_000 }, (error, stdout, stderr) =>
      ok({ status: error ? (error.code ?? error.signal) : 0, stdout, stderr }));
  });
}

test('the README Node example runs as written: file, rewrapState, restore, a turn after restore', async () => {
  const work = mkdtempSync(join(dir, 'readme-'));
  writeFileSync(join(work, 'persist.mjs'), readmeExample('persist-node'));
  const [first, next] = [kek(), kek()];
  const env = {
    CHATSEAL_KEK: Buffer.from(first).toString('base64'),
    CHATSEAL_NEXT_KEK: Buffer.from(next).toString('base64'),
  };
  const run = await node('persist.mjs', { cwd: work, env });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, 'Hello, I need help with my invoice -> Sure! Which invoice number?\n');

  // What it left behind: one blob, sealed under the next KEK only.
  assert.ok(!existsSync(join(work, 'session.state.tmp')));
  const blob = await readFile(join(work, 'session.state'));
  const { handle } = cs.stateInfo(blob);
  assert.equal(code(() => cs.Session.importState(blob, first, handle)), 'decrypt_failed');
  assert.equal(code(() => cs.Session.importState(blob, next, handle, { minGeneration: 2 })), 'stale_state');
  assert.equal(code(() => cs.Session.importState(blob, next, '00'.repeat(16))), 'wrong_session');
  const restored = cs.Session.importState(blob, next, handle, { minGeneration: 1 });
  assert.equal(restored.side, 'responder');
  assert.equal(restored.stateGeneration, 1);
  restored.free();

  // A KEK that is not 32 bytes is refused, not silently used.
  const short = await node('persist.mjs', { cwd: work, env: { ...env, CHATSEAL_KEK: randomBytes(16).toString('base64') } });
  assert.notEqual(short.status, 0);
  assert.match(short.stderr, /ChatsealError|invalid_input/);
});

test('exportState / importState through a file restore the same session', async () => {
  const { visitor, service } = pinned();
  visitor.open(service.sealText('a reply', { role: 'agent' }));
  const key = kek();
  const file = join(dir, 'visitor.state');
  await writeFile(file, visitor.exportState(key));
  const restored = cs.Session.importState(await readFile(file), key, visitor.handle);
  const view = (s) => ({
    handle: s.handle, side: s.side, mode: s.mode, keyId: s.keyId, safetyCode: s.safetyCode,
    timeGranularity: s.timeGranularity, nextSendSeq: s.nextSendSeq, epoch: s.epoch, epochsHeld: s.epochsHeld,
    rekeyPending: s.rekeyPending, stateGeneration: s.stateGeneration,
  });
  assert.deepEqual(view(restored), view(visitor));
  assert.equal(restored.stateGeneration, 1);

  // A KEK of the wrong length changes nothing: no blob, no generation raised.
  assert.equal(code(() => visitor.exportState(new Uint8Array(31))), 'invalid_input');
  const stored = await readFile(file);
  assert.equal(code(() => cs.Session.importState(stored, key.subarray(0, 16), visitor.handle)), 'invalid_input');
  assert.equal(visitor.stateGeneration, 1);
  for (const s of [visitor, service, restored]) s.free();
});

test('rewrapState: the new KEK opens the blob, the old one is refused', () => {
  const { visitor, service } = pinned();
  const [oldKek, newKek] = [kek(), kek()];
  const blob = visitor.exportState(oldKek);
  const rewrapped = cs.rewrapState(blob, oldKek, newKek);
  assert.equal(rewrapped.length, blob.length);
  assert.notDeepEqual(rewrapped, blob);
  const h = visitor.handle;
  assert.equal(code(() => cs.Session.importState(rewrapped, oldKek, h)), 'decrypt_failed');
  assert.equal(code(() => cs.rewrapState(rewrapped, oldKek, kek())), 'decrypt_failed');
  assert.equal(code(() => cs.rewrapState(blob, kek(), newKek)), 'decrypt_failed');
  assert.equal(code(() => cs.rewrapState(blob, oldKek, new Uint8Array(16))), 'invalid_input');
  // Same state, same generation: rotation neither refreshes nor ages the blob.
  const restored = cs.Session.importState(rewrapped, newKek, h, { minGeneration: 1 });
  assert.equal(restored.handle, visitor.handle);
  assert.equal(restored.stateGeneration, 1);
  assert.equal(service.open(restored.sealText('after rotation')).chain, 'linked');
  for (const s of [visitor, service, restored]) s.free();
});

test('tampered, truncated or wrong-kind blobs are refused with typed errors', () => {
  const { visitor, service } = pinned();
  const key = kek();
  const blob = visitor.exportState(key);
  const h = visitor.handle;
  // Layout: magic (2), version, suite, kind, handle (16), side, generation (8), export id (16),
  // 24-byte nonce, ciphertext, 16-byte tag. A flipped handle byte names another session.
  const headerCodes = ['malformed', 'malformed', 'unsupported_version', 'unsupported_suite', 'malformed'];
  for (let i = 0; i < blob.length; i++) {
    const tampered = blob.slice();
    tampered[i] ^= 0x80;
    const expected = headerCodes[i] ?? (i < 21 ? 'wrong_session' : i === 21 ? 'malformed' : 'decrypt_failed');
    assert.equal(code(() => cs.Session.importState(tampered, key, h)), expected, `byte ${i} flipped`);
  }
  const clear = 5 + 16 + 1 + 8 + 16 + 24;
  for (let n = 0; n < blob.length; n++) {
    const expected = n < 5 ? 'malformed' : n < 21 ? 'malformed' : n < clear ? 'malformed' : 'decrypt_failed';
    assert.equal(code(() => cs.Session.importState(blob.subarray(0, n), key, h)), expected, `truncated to ${n}`);
  }
  const longer = new Uint8Array(blob.length + 1);
  longer.set(blob);
  assert.equal(code(() => cs.Session.importState(longer, key, h)), 'decrypt_failed');
  assert.equal(code(() => cs.Session.importState(blob, kek(), h)), 'decrypt_failed');
  assert.equal(code(() => cs.Session.importState(service.sealText('an envelope'), key, h)), 'malformed');
  assert.equal(code(() => cs.Session.importState(new Uint8Array(4 * 1024 * 1024 + 1), key, h)), 'limit_exceeded');
  // The genuine blob is still fine.
  cs.Session.importState(blob, key, h).free();
  for (const s of [visitor, service]) s.free();
});

test('minGeneration refuses a stale copy with stale_state', () => {
  const { visitor, service } = pinned();
  const key = kek();
  const blobs = [1, 2, 3].map(() => visitor.exportState(key));
  const h = visitor.handle;
  assert.equal(visitor.stateGeneration, 3);
  assert.equal(code(() => cs.Session.importState(blobs[0], key, h, { minGeneration: 2 })), 'stale_state');
  assert.equal(code(() => cs.Session.importState(blobs[1], key, h, { minGeneration: 3 })), 'stale_state');
  // Rewrapping does not launder an old blob.
  const other = kek();
  assert.equal(code(() => cs.Session.importState(cs.rewrapState(blobs[0], key, other), other, h, { minGeneration: 3 })), 'stale_state');
  assert.equal(code(() => cs.Session.importState(blobs[2], key, h, { minGen: 3 })), 'invalid_input');
  for (const [blob, minGeneration, expected] of [[blobs[1], 2, 2], [blobs[2], 3, 3], [blobs[0], 0, 1], [blobs[0], undefined, 1]]) {
    const s = cs.Session.importState(blob, key, h, { minGeneration });
    assert.equal(s.stateGeneration, expected);
    s.free();
  }
  for (const s of [visitor, service]) s.free();
});

test('sessions restored from files after every turn keep talking, with no false replay alarm', async () => {
  const { visitor, service } = pinned();
  const keys = { visitor: kek(), service: kek() };
  const files = { visitor: join(dir, 'talk-visitor.state'), service: join(dir, 'talk-service.state') };
  const generations = {};
  const handles = { visitor: visitor.handle, service: service.handle };
  const save = async (name, session) => {
    await writeFile(files[name], session.exportState(keys[name]));
    generations[name] = session.stateGeneration;
    session.free();
  };
  const load = async (name) =>
    cs.Session.importState(await readFile(files[name]), keys[name], handles[name], { minGeneration: generations[name] });
  await save('visitor', visitor);
  await save('service', service);

  const opened = [];
  let inFlight = null; // sealed by the service after the visitor last saved
  let lastFromService = null;
  for (let round = 1; round <= 6; round++) {
    const v = await load('visitor');
    const s = await load('service');
    if (inFlight) opened.push(v.open(inFlight));
    if (round === 3) v.rekeyNow(); // a rekeying in flight survives the restores too
    opened.push(s.open(v.sealText(`visitor turn ${round}`)));
    lastFromService = s.sealText(`service turn ${round}`, { role: 'agent' });
    opened.push(v.open(lastFromService));
    inFlight = s.sealText(`service note ${round}`, { role: 'agent' });
    await save('visitor', v);
    await save('service', s);
  }
  for (const o of opened) {
    assert.deepEqual({ order: o.order, chain: o.chain }, { order: 'inOrder', chain: 'linked' }, o.text);
  }
  assert.equal(opened.length, 6 * 3 - 1);

  const v = await load('visitor');
  const s = await load('service');
  assert.ok(v.epoch >= 1, `rekeyed: epoch ${v.epoch}`);
  assert.equal(v.open(inFlight).text, 'service note 6');
  // A genuine replay is still caught after all those restores.
  assert.equal(code(() => v.open(lastFromService)), 'duplicate');
  assert.equal(code(() => v.open(inFlight)), 'duplicate');
  assert.equal(s.open(v.sealText('bye')).chain, 'linked');
  for (const x of [v, s]) x.free();
});
