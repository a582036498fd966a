// The README's browser persistence example (IndexedDB + a non-extractable WebCrypto KEK), run as
// written in headless Chromium and Firefox across real page reloads.
//
//   node tests/page/persist.test.mjs    (after scripts/test.sh's pack step, or scripts/build.sh)
//
// Serves a scratch page with the installed package ($CHATSEAL_PACK_DIR/node_modules/chatseal,
// else node_modules/chatseal, else pkg/) and the block marked `<!-- example: persist-browser -->`
// in pkg-template/README.md as session-store.js, reached through an import map as `chatseal`.
// Drives both browsers over W3C WebDriver (tests/page/lib/webdriver.mjs). In each: a pinned
// session with an in-page ServiceKeyring exchanges turns and is saved with saveSession; the page
// reloads; loadSession restores it and it carries on (seq continues, a turn in flight opens
// in order and linked, a replay is 'duplicate'); the stored entries hold no raw KEK; a wrong KEK,
// a tampered, truncated or stale blob are refused; rotateKek re-wraps the data key only and the
// state still restores after another reload. Prints "N passed, N failed"; exits non-zero on failure.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import { startStaticServer } from '../../scripts/lib/page.mjs';
import { readmeExample } from './lib/readme.mjs';
import { packageDir } from './lib/package.mjs';
import { launchBrowser } from './lib/webdriver.mjs';

const WATCHDOG_MS = 150_000;

// ---------------------------------------------------------------- the page --

/** A scratch site: index.html, session-store.js (the README block as written), chatseal/. */
function makeSite() {
  const pkg = packageDir();
  // What a bundler picks for a browser from the package's exports map.
  const entry = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).exports['.'].default.default;
  const dir = mkdtempSync(join(tmpdir(), 'chatseal-persist-page-'));
  symlinkSync(pkg, join(dir, 'chatseal'));
  writeFileSync(join(dir, 'session-store.js'), readmeExample('persist-browser'));
  writeFileSync(join(dir, 'index.html'), `<!doctype html>
<meta charset="utf-8">
<title>chatseal: keeping a session across page loads</title>
<script type="importmap">${JSON.stringify({ imports: { chatseal: `./chatseal/${entry.replace(/^\.\//, '')}` } })}</script>
<script>
  window.pageErrors = [];
  addEventListener('error', (e) => pageErrors.push('error: ' + e.message));
  addEventListener('unhandledrejection', (e) => pageErrors.push('unhandledrejection: ' + e.reason));
  // The package, and the README example exactly as written (it awaits init() itself).
  window.loaded = Promise.all([import('chatseal'), import('./session-store.js')]);
</script>
<p>persistence test page</p>
`);
  return { dir, pkg };
}

// ------------------------------------------- code run in the page (sent as source) --

/** Test helpers in the page, installed after every navigation: raw IndexedDB access. */
async function installHelpers() {
  const [cs, ex] = await window.loaded;
  const done = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
  const db = await ex.openDb();
  if (db.objectStoreNames.length !== 1) throw new Error(`expected one object store, got ${[...db.objectStoreNames]}`);
  const name = db.objectStoreNames[0];
  const t = {
    cs, ex, db,
    get: (key) => done(db.transaction(name).objectStore(name).get(key)),
    put: (key, value) => done(db.transaction(name, 'readwrite').objectStore(name).put(value, key)),
    async entries() {
      const store = db.transaction(name).objectStore(name);
      const [keys, values] = await Promise.all([done(store.getAllKeys()), done(store.getAll())]);
      return keys.map((key, i) => [key, values[i]]);
    },
    // The key of the CryptoKey entry and of the session record (found, not assumed).
    async keys() {
      const entries = await t.entries();
      const kek = entries.filter(([, v]) => v instanceof CryptoKey).map(([k]) => k);
      const record = entries.filter(([, v]) => v && t.isBytes(v.blob)).map(([k]) => k);
      if (kek.length !== 1 || record.length !== 1) throw new Error(`expected one CryptoKey and one record: ${entries.map(([k]) => k)}`);
      return { kek: kek[0], record: record[0] };
    },
    // Realm-independent (in Firefox, WebDriver scripts run in a sandbox with its own Uint8Array).
    isBytes: (v) => Object.prototype.toString.call(v) === '[object Uint8Array]',
    b64: (bytes) => btoa(String.fromCharCode(...bytes)),
    fromB64: (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0)),
    turn: (o) => ({ text: o.text, order: o.order, chain: o.chain, seq: o.header.seq }),
    // The service end, in the page for the test: a Service over a store whose rows the test
    // carries across reloads (as base64), with the service secret and record key it was given.
    service(secret, recordKey, rows = []) {
      const map = new Map(rows.map(([h, row]) => [h, row && { generation: row.generation, record: t.fromB64(row.record) }]));
      const store = {
        load: (h) => map.get(h)?.record ?? null,
        create: (h, generation, record) => !map.has(h) && (map.set(h, { generation, record: record.slice() }), true),
        update: (h, expected, generation, record) =>
          map.get(h)?.generation === expected && (map.set(h, { generation, record: record.slice() }), true),
        remove: (h) => { const had = Boolean(map.get(h)); map.set(h, null); return had; },
      };
      const keyring = new cs.ServiceKeyring();
      const publicKey = keyring.importKey(t.fromB64(secret));
      const service = new cs.Service(keyring, t.fromB64(recordKey), store);
      const dump = () => [...map].map(([h, row]) => [h, row && { generation: row.generation, record: t.b64(row.record) }]);
      return { service, keyring, publicKey, dump, free: () => { service.free(); keyring.free(); } };
    },
    async failure(promise) {
      try {
        const value = await promise;
        return { ok: true, value: String(value) };
      } catch (e) {
        // DOMException has a legacy numeric `code`; ChatsealError's is a string.
        return { ok: false, name: e.name, code: typeof e.code === 'string' ? e.code : null, chatseal: cs.isChatsealError(e) };
      }
    },
  };
  window.t = t;
  return { navigation: performance.getEntriesByType('navigation')[0]?.type ?? null, marker: window.marker ?? null };
}

/** First load: a pinned session with an in-page service, turns, saveSession, a turn in flight. */
async function firstLoad({ serviceSecret, recordKey }) {
  const { cs, ex, db } = window.t;
  window.marker = 'set before the reload';
  const nothing = await ex.loadSession(db, 'ff'.repeat(16));
  const svc = window.t.service(serviceSecret, recordKey);
  const visitor = cs.Session.initiatePinned(svc.publicKey, { timeGranularity: 60 });
  const { handle, turn } = svc.service.accept(visitor.sealText('Hello, I need help with my invoice'));
  const second = svc.service.open(visitor.sealText('It is invoice 42')).turn;
  const reply = svc.service.sealText(handle, 'Sure! Let me look.', { role: 'agent' });
  visitor.open(reply);
  const generation = await ex.saveSession(db, visitor);
  const result = {
    nothing,
    opened: [turn.text, second.text],
    generation,
    handle: visitor.handle,
    nextSendSeq: visitor.nextSendSeq,
    reply: cs.toText(reply),
    // Sealed by the service after the visitor saved: arrives only after the reload.
    inFlight: cs.toText(svc.service.sealText(handle, 'Found it: paid on 3 May.', { role: 'agent' })),
    rows: svc.dump(),
  };
  visitor.free();
  svc.free();
  return result;
}

/** After the reload: loadSession, then the restored session carries on. */
async function afterReload({ serviceSecret, recordKey, rows, handle, generation, reply, inFlight }) {
  const { cs, ex, db, turn, failure } = window.t;
  window.t.handle = handle;
  const visitor = await ex.loadSession(db, handle, generation);
  const svc = window.t.service(serviceSecret, recordKey, rows);
  const late = turn(visitor.open(cs.fromText(inFlight)));
  const replay = await failure(Promise.resolve().then(() => visitor.open(cs.fromText(reply))));
  const next = visitor.sealText('Thanks, that was quick');
  const heard = turn(svc.service.open(next).turn);
  const saved = await ex.saveSession(db, visitor);
  window.live = { visitor, svc };
  return {
    handle: visitor.handle,
    side: visitor.side,
    late,
    replay,
    nextSeq: cs.inspect(next).header.seq,
    heard,
    generation: saved,
  };
}

/** What IndexedDB holds, described without secrets. */
async function describeStorage() {
  const { entries, isBytes } = window.t;
  const describe = (v) => {
    if (v instanceof CryptoKey) {
      return { kind: 'CryptoKey', extractable: v.extractable, algorithm: v.algorithm.name, length: v.algorithm.length, usages: [...v.usages].sort() };
    }
    if (isBytes(v)) return { kind: 'Uint8Array', length: v.length };
    if (v && typeof v === 'object') return { kind: 'object', fields: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, describe(x)])) };
    return { kind: typeof v };
  };
  const all = await entries();
  // Can anything stored be exported as raw key bytes? (A non-extractable key cannot.)
  const exports = [];
  for (const [key, v] of all) {
    if (v instanceof CryptoKey) {
      try { await crypto.subtle.exportKey('raw', v); exports.push(`${key}: exported`); } catch (e) { exports.push(`${key}: ${e.name}`); }
    }
  }
  return { entries: all.map(([k, v]) => [k, describe(v)]), exports };
}

/** Wrong KEK, tampered, truncated and stale blobs: each refused; the good state restored after. */
async function refusals({ generation }) {
  const { ex, db, get, put, keys, failure } = window.t;
  const names = await keys();
  const kek = await get(names.kek);
  const record = await get(names.record);
  const out = {};
  const attempt = async (label, entries, minGeneration = generation) => {
    for (const [key, value] of entries) await put(key, value);
    out[label] = await failure(ex.loadSession(db, window.t.handle, minGeneration).then((s) => s && (s.free(), 'restored')));
    await put(names.kek, kek);
    await put(names.record, record);
  };
  const withBlob = (blob) => [[names.record, { ...record, blob }]];
  const flip = (i) => { const b = record.blob.slice(); b[i] ^= 0x01; return b; };
  const otherKek = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  await attempt('wrongKek', [[names.kek, otherKek]]);
  await attempt('tamperedBody', withBlob(flip(record.blob.length >> 1)));
  await attempt('tamperedTag', withBlob(flip(record.blob.length - 1)));
  await attempt('tamperedMagic', withBlob(flip(0)));
  await attempt('truncatedTail', withBlob(record.blob.slice(0, -1)));
  await attempt('truncatedHeader', withBlob(record.blob.slice(0, 10)));
  await attempt('emptyBlob', withBlob(new Uint8Array(0)));
  // A stale copy: save again (the generation rises), then put the older record back.
  const newer = await ex.saveSession(db, window.live.visitor);
  const current = await get(names.record);
  await attempt('stale', [[names.record, record]], newer);
  await put(names.record, current);
  out.newer = newer;
  out.afterwards = await failure(ex.loadSession(db, window.t.handle, newer).then((s) => s && (s.free(), 'restored')));
  out.otherSession = await failure(ex.loadSession(db, '00'.repeat(16), newer).then((s) => s && (s.free(), 'restored')));
  return out;
}

/** KEK rotation: only the data key is re-wrapped, under a new non-extractable CryptoKey. */
async function rotation({ generation }) {
  const { ex, db, get, keys, failure, turn } = window.t;
  const names = await keys();
  const [kekBefore, before] = [await get(names.kek), await get(names.record)];
  await ex.rotateKek(db);
  const [kekAfter, after] = [await get(names.kek), await get(names.record)];
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const oldOnNew = await failure(crypto.subtle.decrypt({ name: 'AES-GCM', iv: after.iv }, kekBefore, after.wrappedKey));
  const visitor = await ex.loadSession(db, window.t.handle, generation);
  const heard = turn(window.live.svc.service.open(visitor.sealText('Still here after a key rotation')).turn);
  const saved = await ex.saveSession(db, visitor);
  visitor.free();
  return {
    blobUnchanged: same(before.blob, after.blob),
    wrappedKeyChanged: !same(before.wrappedKey, after.wrappedKey),
    extractable: kekAfter.extractable,
    oldKekOnNewWrap: oldOnNew,
    heard,
    generation: saved,
    rows: window.live.svc.dump(),
  };
}

/** After a second reload: the rotated state restores; the service's next turn opens linked. */
async function afterSecondReload({ serviceSecret, recordKey, rows, handle, generation }) {
  const { ex, db, turn } = window.t;
  const visitor = await ex.loadSession(db, handle, generation);
  const svc = window.t.service(serviceSecret, recordKey, rows);
  const got = turn(visitor.open(svc.service.sealText(handle, 'Anything else?', { role: 'agent' })));
  const heard = turn(svc.service.open(visitor.sealText('No, thank you')).turn);
  visitor.free();
  svc.free();
  return { got, heard, pageErrors: window.pageErrors };
}

// ------------------------------------------------------------------ the checks --

function browserChecks(name, ctx) {
  const b64 = () => Buffer.from(webcrypto.getRandomValues(new Uint8Array(32))).toString('base64');
  const keys = { serviceSecret: b64(), recordKey: b64() };
  const s = {}; // state carried from one check to the next
  const b = () => ctx.browser;
  const checks = [
    ['the browser starts and the page loads the package and the README example', async () => {
      ctx.browser = await launchBrowser(name);
      await b().navigate(`${ctx.server.url}index.html`);
      const info = await b().run(installHelpers);
      assert.equal(info.navigation, 'navigate');
    }],
    ['a pinned session with an in-page Service exchanges turns and is saved (saveSession)', async () => {
      s.first = await b().run(firstLoad, keys);
      assert.equal(s.first.nothing, null, 'loadSession before any save gives null');
      assert.deepEqual(s.first.opened, ['Hello, I need help with my invoice', 'It is invoice 42']);
      // 1, or 2 when the reply's epoch change repacked the session (which counts as an export).
      assert.ok([1, 2].includes(s.first.generation), `generation ${s.first.generation}`);
      assert.equal(s.first.nextSendSeq, 2);
    }],
    ['after a real reload, loadSession restores it and it carries on', async () => {
      await b().reload();
      const info = await b().run(installHelpers);
      assert.equal(info.navigation, 'reload');
      assert.equal(info.marker, null, 'page state survived: not a real reload');
      s.second = await b().run(afterReload, { ...keys, ...s.first });
      assert.equal(s.second.handle, s.first.handle);
      assert.equal(s.second.side, 'initiator');
      assert.deepEqual(s.second.late, { text: 'Found it: paid on 3 May.', order: 'inOrder', chain: 'linked', seq: 1 });
      assert.equal(s.second.replay.code, 'duplicate', `replayed reply: ${JSON.stringify(s.second.replay)}`);
      assert.equal(s.second.nextSeq, s.first.nextSendSeq, 'the next seal continues the sequence');
      assert.deepEqual(s.second.heard, { text: 'Thanks, that was quick', order: 'inOrder', chain: 'linked', seq: 2 });
      assert.ok(s.second.generation > s.first.generation);
    }],
    ['IndexedDB holds a non-extractable CryptoKey and the sealed record, no raw key', async () => {
      const { entries, exports } = await b().run(describeStorage);
      const kinds = Object.fromEntries(entries);
      const crypto = Object.values(kinds).filter((d) => d.kind === 'CryptoKey');
      assert.equal(crypto.length, 1, JSON.stringify(entries));
      assert.deepEqual(crypto[0], { kind: 'CryptoKey', extractable: false, algorithm: 'AES-GCM', length: 256, usages: ['decrypt', 'encrypt'] });
      assert.deepEqual(exports.map((e) => e.split(': ')[1]), ['InvalidAccessError']);
      const records = Object.values(kinds).filter((d) => d.kind === 'object');
      assert.equal(records.length, 1, JSON.stringify(entries));
      const { fields } = records[0];
      assert.deepEqual(Object.keys(fields).sort(), ['blob', 'generation', 'handle', 'iv', 'wrappedKey']);
      assert.equal(fields.generation.kind, 'number');
      assert.deepEqual(fields.iv, { kind: 'Uint8Array', length: 12 });
      assert.deepEqual(fields.wrappedKey, { kind: 'Uint8Array', length: 48 }, 'a 32-byte key + 16-byte GCM tag');
      assert.ok(fields.blob.length > 100);
      assert.equal(entries.length, 2, 'nothing else is stored');
    }],
    ['a wrong KEK, tampered, truncated and stale blobs are refused; the genuine state still loads', async () => {
      const r = await b().run(refusals, { generation: s.second.generation });
      assert.deepEqual(r.wrongKek, { ok: false, name: 'OperationError', code: null, chatseal: false });
      const refused = (code) => ({ ok: false, name: 'ChatsealError', code, chatseal: true });
      assert.deepEqual(r.tamperedBody, refused('decrypt_failed'));
      assert.deepEqual(r.tamperedTag, refused('decrypt_failed'));
      assert.deepEqual(r.tamperedMagic, refused('malformed'));
      assert.deepEqual(r.truncatedTail, refused('decrypt_failed'));
      assert.deepEqual(r.truncatedHeader, refused('malformed'));
      assert.deepEqual(r.emptyBlob, refused('malformed'));
      assert.deepEqual(r.stale, refused('stale_state'));
      assert.deepEqual(r.afterwards, { ok: true, value: 'restored' });
      assert.deepEqual(r.otherSession, refused('wrong_session'), 'a blob loaded for another session');
      s.generation = r.newer;
    }],
    ['KEK rotation re-wraps only the data key; the state still restores', async () => {
      s.rotated = await b().run(rotation, { generation: s.generation });
      assert.equal(s.rotated.blobUnchanged, true, 'the sealed blob is untouched');
      assert.equal(s.rotated.wrappedKeyChanged, true);
      assert.equal(s.rotated.extractable, false);
      assert.equal(s.rotated.oldKekOnNewWrap.name, 'OperationError', 'the old KEK does not unwrap the new data key');
      assert.deepEqual(s.rotated.heard, { text: 'Still here after a key rotation', order: 'inOrder', chain: 'linked', seq: 3 });
    }],
    ['after a second reload the rotated state restores and both ends continue', async () => {
      await b().reload();
      const info = await b().run(installHelpers);
      assert.equal(info.marker, null);
      const r = await b().run(afterSecondReload, { ...keys, rows: s.rotated.rows, handle: s.first.handle, generation: s.rotated.generation });
      assert.deepEqual(r.got, { text: 'Anything else?', order: 'inOrder', chain: 'linked', seq: 2 });
      assert.deepEqual(r.heard, { text: 'No, thank you', order: 'inOrder', chain: 'linked', seq: 4 });
      assert.deepEqual(r.pageErrors, []);
    }],
  ];
  return checks.map(([title, fn]) => ({ name: `[${name}] ${title}`, fn }));
}

// ---------------------------------------------------------------------- run --

const watchdog = setTimeout(() => {
  console.log(`FAIL watchdog: still running after ${WATCHDOG_MS} ms`);
  process.exit(1); // the 'exit' handlers in lib/webdriver.mjs kill the drivers and browsers
}, WATCHDOG_MS);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

const site = makeSite();
process.once('exit', () => rmSync(site.dir, { recursive: true, force: true }));
const server = await startStaticServer(site.dir);
console.log(`   package: ${site.pkg}; README example served from ${site.dir}`);
let passed = 0;
let failed = 0;
try {
  for (const name of ['chromium', 'firefox']) {
    const ctx = { server, browser: null };
    const t0 = Date.now();
    try {
      let broken = false;
      for (const { name: title, fn } of browserChecks(name, ctx)) {
        if (broken) {
          failed++;
          console.log(`FAIL ${title} (not run: an earlier check in this browser failed)`);
          continue;
        }
        const t = Date.now();
        try {
          await fn();
          passed++;
          console.log(`ok   ${title} (${Date.now() - t} ms)`);
        } catch (error) {
          failed++;
          broken = true;
          console.log(`FAIL ${title}\n     ${String(error.stack || error).split('\n').join('\n     ')}`);
        }
      }
    } finally {
      await ctx.browser?.close();
    }
    console.log(`   ${name}: ${Date.now() - t0} ms`);
  }
} finally {
  await server.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
