// Turns from the real npm package, in headless Chromium and Firefox, through the real relay to the
// real service end and back (issue 12 item 5).
//
//   node tests/page/relay.test.mjs    (after scripts/test.sh's pack step, or scripts/build.sh)
//
// Builds (debug, if needed) and starts `chatseal-relay serve` on a SQLite file in a temp dir and
// `chatseal-service run` (built-in responder, answers in 3 stream chunks) on 127.0.0.1, with CORS
// for a scratch page served from another port. The page imports the installed package
// ($CHATSEAL_PACKAGE, $CHATSEAL_PACK_DIR/node_modules/chatseal, node_modules/chatseal or pkg/)
// through an import map and, in each browser:
//   1. with the low-level API: a session pinned to the service's key seals turns holding PII
//      canaries (e-mail addresses, masked in the page) and plaintext canaries, posts them with
//      fetch, follows the conversation's live WebSocket, opens the streamed replies and checks
//      their text (the built-in answer to the masked text the service read) and their moderation
//      label; the last turn closes and the service closes too (status finished);
//   2. with `chatseal/client` (connect, ask, close): the same, the way a widget would.
// Then, from Node: the relay's stored rows carry the PII counts and flags and no plaintext, its
// keyless audit says complete; the relay and service are killed (kill -9: the SQLite WAL stays)
// and every canary is searched for in the relay's database, WAL and shm, the service's store and
// both logs (debug level): none may be found, and one planted on purpose must be.
// Prints "N passed, N failed"; exits non-zero on failure.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../../scripts/lib/page.mjs';
import { packageDir } from './lib/package.mjs';
import { freePort, launchBrowser } from './lib/webdriver.mjs';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const WATCHDOG_MS = 240_000;
const TURNS = 4; // per conversation, the last one a close

// ---------------------------------------------------------------- processes --

/** The relay's binaries: $CHATSEAL_RELAY_BIN_DIR, else a debug build (a no-op after `cargo test`). */
function binaries() {
  let dir = process.env.CHATSEAL_RELAY_BIN_DIR;
  if (!dir) {
    console.log('   cargo build -p chatseal-relay --bins (debug)');
    execFileSync('cargo', ['build', '--quiet', '-p', 'chatseal-relay', '--bin', 'chatseal-relay', '--bin', 'chatseal-service'], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const meta = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: ROOT, maxBuffer: 64 << 20 }));
    dir = join(meta.target_directory, 'debug');
  }
  const bin = { relay: join(dir, 'chatseal-relay'), service: join(dir, 'chatseal-service') };
  for (const path of Object.values(bin)) if (!existsSync(path)) throw new Error(`missing ${path}`);
  return bin;
}

const children = [];
process.once('exit', () => children.forEach((c) => { try { c.kill('SIGKILL'); } catch { /* gone */ } }));

function start(path, args, { env = {}, log }) {
  const out = openSync(log, 'a');
  const child = spawn(path, args, { env: { ...process.env, RUST_LOG: 'debug', ...env }, stdio: ['ignore', out, out] });
  children.push(child);
  return child;
}

async function untilHealthy(base) {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch { /* not yet */ }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`relay at ${base} did not become healthy`);
}

/** Relay + service end on a fresh data dir; `origin` may call the relay (CORS). */
async function backend(bin, origin) {
  const dir = mkdtempSync(join(tmpdir(), 'chatseal-relay-page-'));
  const db = `sqlite://${join(dir, 'relay.db')}`;
  const tenant = JSON.parse(execFileSync(bin.relay, ['create-tenant', '--database-url', db, 'page-test'], { env: { ...process.env, RUST_LOG: 'warn' } }));
  const keys = JSON.parse(execFileSync(bin.service, ['keys', '--data-dir', join(dir, 'service')], { env: { ...process.env, RUST_LOG: 'warn' } }));
  const port = await freePort();
  const relay = `http://127.0.0.1:${port}`;
  const relayProc = start(bin.relay, ['serve', '--database-url', db, '--listen', `127.0.0.1:${port}`, '--cors-origin', origin], { log: join(dir, 'relay.log') });
  await untilHealthy(relay);
  const serviceProc = start(bin.service, ['run', '--relay', relay, '--data-dir', join(dir, 'service'), '--chunks', '3'], {
    env: { CHATSEAL_SERVICE_API_KEY: tenant.service_key },
    log: join(dir, 'service.log'),
  });
  const stop = async () => {
    for (const p of [serviceProc, relayProc]) {
      if (p.exitCode === null && p.signalCode === null) {
        const gone = new Promise((ok) => p.once('exit', ok));
        p.kill('SIGKILL'); // killed, not stopped: the WAL stays on disk for the search
        await gone;
      }
    }
  };
  return { dir, relay, tenant, servicePublicKey: keys.public_key, stop };
}

// ---------------------------------------------------------------- the page --

// Runs in the page (a module of the scratch site): both ways of talking to the relay.
const PAGE_MODULE = String.raw`
import init, { Session, fromText, inspect } from 'chatseal';
import { connect, memoryStore } from 'chatseal/client';

const ready = init();

const total = (pii) => Object.values(pii).reduce((a, b) => a + b, 0);

/** The live socket as a queue of messages. */
function follow(relay, handle, key) {
  const url = relay.replace(/^http/, 'ws') + '/v1/conversations/' + handle + '/live?since=0.0&key=' + encodeURIComponent(key);
  const ws = new WebSocket(url);
  const queue = [];
  let wake = () => {};
  let ended = null;
  ws.onmessage = (e) => { queue.push(JSON.parse(e.data)); wake(); };
  ws.onclose = () => { ended = 'the live socket closed'; wake(); };
  ws.onerror = () => { ended = 'the live socket failed'; wake(); };
  return {
    async next(ms = 20000) {
      const deadline = Date.now() + ms;
      while (queue.length === 0) {
        if (ended) throw new Error(ended);
        if (Date.now() > deadline) throw new Error('nothing on the live socket in time');
        await new Promise((ok) => { wake = ok; setTimeout(ok, 250); });
      }
      return queue.shift();
    },
    close: () => ws.close(),
  };
}

/** Low-level API: seal with masking, post with fetch, replies over the WebSocket. */
async function lowLevel({ relay, widgetKey, servicePublicKey, texts }) {
  await ready;
  const session = Session.initiatePinned(fromText(servicePublicKey));
  const handle = session.handle;
  const post = async (envelope) => {
    const res = await fetch(relay + '/v1/envelopes', {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + widgetKey, 'Content-Type': 'application/octet-stream' },
      body: envelope,
    });
    const body = await res.json();
    if (!res.ok) throw new Error('post refused: ' + res.status + ' ' + (body.error && body.error.code));
    return { status: res.status, stored: body.stored, seq: body.seq, direction: body.direction };
  };
  let live = null;
  const turns = [];
  for (const [i, text] of texts.entries()) {
    const preview = session.maskText(text);
    const envelope = i === texts.length - 1 ? session.close(text, { mask: true }) : session.sealText(text, { mask: true });
    const { metadata } = inspect(envelope);
    const posted = await post(envelope);
    const resent = await post(envelope); // byte-identical: answered, not stored again
    live ??= follow(relay, handle, widgetKey); // after the hello: the conversation exists now
    let reply = '';
    let chunks = 0;
    let labels = null;
    for (;;) {
      const msg = await live.next();
      if (msg.type !== 'envelope' || msg.direction !== 'r2i') continue;
      const turn = session.open(fromText(msg.envelope));
      if (!turn.header.stream) continue; // the service's close
      reply += turn.text;
      chunks++;
      labels = turn.metadata.labels;
      if (turn.header.stream.end) break;
    }
    turns.push({ posted, resent, pii: metadata.pii, piiTotal: total(metadata.pii), masked: preview.text, reply, chunks, labels });
  }
  // The service closes after answering the close.
  for (let i = 0; i < 50 && !session.status().peerClosed; i++) {
    const msg = await live.next();
    if (msg.type === 'envelope' && msg.direction === 'r2i') session.open(fromText(msg.envelope));
  }
  live.close();
  const status = session.status();
  session.free();
  return { handle, turns, status: { finished: status.finished, closed: status.closed, peerClosed: status.peerClosed } };
}

/** chatseal/client: connect, ask, close. */
async function client({ relay, widgetKey, servicePublicKey, texts }) {
  await ready;
  const chat = await connect({
    relay,
    widgetKey,
    servicePublicKey,
    store: memoryStore(),
    kek: crypto.getRandomValues(new Uint8Array(32)),
    name: 'relay-test',
  });
  const turns = [];
  for (const text of texts.slice(0, -1)) {
    let reply = '';
    for await (const soFar of chat.ask(text)) reply = soFar;
    const sent = chat.messages.filter((m) => m.direction === 'sent').at(-1);
    turns.push({ reply, sentAs: sent.sentAs, piiTotal: total(sent.pii || {}), masked: sent.masked, state: sent.state });
  }
  await chat.close(texts.at(-1));
  for (let i = 0; i < 100 && chat.status().outcome !== 'finished'; i++) await new Promise((ok) => setTimeout(ok, 100));
  const outcome = chat.status().outcome;
  const handle = chat.handle;
  await chat.release();
  return { handle, turns, outcome };
}

window.relayTest = { lowLevel, client };
`;

/** A scratch site: index.html, relay-page.js, chatseal/ (the package). */
function makeSite() {
  const pkg = packageDir();
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  const entry = manifest.exports['.'].default.default.replace(/^\.\//, '');
  const clientEntry = manifest.exports['./client'].default.replace(/^\.\//, '');
  const dir = mkdtempSync(join(tmpdir(), 'chatseal-relay-site-'));
  symlinkSync(pkg, join(dir, 'chatseal'));
  writeFileSync(join(dir, 'relay-page.js'), PAGE_MODULE);
  const imports = { chatseal: `./chatseal/${entry}`, 'chatseal/client': `./chatseal/${clientEntry}` };
  writeFileSync(join(dir, 'index.html'), `<!doctype html>
<meta charset="utf-8">
<title>chatseal: turns through the relay</title>
<script type="importmap">${JSON.stringify({ imports })}</script>
<script>
  window.pageErrors = [];
  addEventListener('error', (e) => pageErrors.push('error: ' + e.message));
  addEventListener('unhandledrejection', (e) => pageErrors.push('unhandledrejection: ' + e.reason));
  window.loaded = import('./relay-page.js');
</script>
<p>relay test page</p>
`);
  return { dir, pkg };
}

// ------------------------------------------------------------------ the checks --

const canaries = [];
/**
 * TURNS texts, each with a plaintext and an e-mail canary; `plainClose`: the last (the close)
 * without any (chatseal/client does not mask a close's text: reported, not worked around).
 */
function texts(tag, { plainClose = false } = {}) {
  return Array.from({ length: TURNS }, (_, i) => {
    if (plainClose && i === TURNS - 1) return 'Thanks, that is all.';
    const plain = `RELAYPLAIN${tag}${randomBytes(8).toString('hex')}`;
    const email = `relaymail${randomBytes(8).toString('hex')}@example.org`;
    canaries.push(plain, email);
    return i === TURNS - 1 ? `Thanks ${plain}, that is all; write to ${email} if needed` : `Turn ${i}: ${plain} please answer to ${email} today`;
  });
}

/**
 * A reply of the reference service's built-in responder to `masked` (what left the page): it
 * states the word and character count of the text it read and how much the widget masked, so
 * it shows the service read exactly the masked text. (Its middle may quote placeholders back.)
 */
function checkReply(reply, masked, piiTotal) {
  const words = masked.split(/\s+/).filter(Boolean).length;
  const chars = [...masked].length;
  const head = `Sealed reply from the chatseal demo service: I read your ${words}-word message (${chars} characters).`;
  assert.ok(reply.startsWith(head), `${JSON.stringify(reply)} should start with ${JSON.stringify(head)}`);
  assert.ok(reply.includes(piiTotal === 1 ? ' Your widget masked 1 piece of personal data' : ` masked ${piiTotal} pieces`), reply);
  assert.ok(reply.endsWith(' The relay stored only ciphertext and metadata.'), reply);
}

function browserChecks(name, ctx, be) {
  const cfg = () => ({ relay: be.relay, widgetKey: be.tenant.widget_key, servicePublicKey: be.servicePublicKey });
  const b = () => ctx.browser;
  return [
    ['the browser loads the page and the package', async () => {
      ctx.browser = await launchBrowser(name, { scriptTimeout: 90_000 });
      await b().navigate(`${ctx.server.url}index.html`);
      assert.equal(await b().run(async () => { await window.loaded; return typeof window.relayTest.lowLevel; }), 'function');
    }],
    ['sealed, masked turns posted with fetch come back as the service\'s streamed replies over the WebSocket', async () => {
      const sent = texts(name);
      const r = await b().run((arg) => window.relayTest.lowLevel(arg), { ...cfg(), texts: sent });
      ctx.conversations.push({ handle: r.handle, plainClose: false });
      assert.equal(r.turns.length, TURNS);
      r.turns.forEach((t, i) => {
        assert.deepEqual(t.posted, { status: 201, stored: true, seq: i, direction: 'i2r' });
        assert.deepEqual(t.resent, { status: 200, stored: false, seq: i, direction: 'i2r' });
        assert.equal(t.pii.email, 1, 'the e-mail was found and masked in the page');
        const email = sent[i].match(/relaymail\w+@example\.org/)[0];
        assert.ok(!t.masked.includes(email) && t.masked.includes('[EMAIL_'), t.masked);
        checkReply(t.reply, t.masked, t.piiTotal);
        assert.ok(!t.reply.includes(email), 'the service never saw the address');
        assert.equal(t.chunks, 3);
        assert.deepEqual(t.labels, [['mod.flag', 'pii']]);
      });
      assert.deepEqual(r.status, { finished: true, closed: true, peerClosed: true });
    }],
    ['chatseal/client (connect, ask, close) talks to the same relay and service', async () => {
      const r = await b().run((arg) => window.relayTest.client(arg), { ...cfg(), texts: texts(`${name}C`, { plainClose: true }) });
      ctx.conversations.push({ handle: r.handle, plainClose: true });
      assert.equal(r.turns.length, TURNS - 1);
      for (const t of r.turns) {
        assert.equal(t.masked, true);
        assert.equal(t.state, 'sent');
        assert.ok(t.sentAs.includes('[EMAIL_') && !/relaymail/.test(t.sentAs), t.sentAs);
        checkReply(t.reply, t.sentAs, t.piiTotal);
      }
      assert.equal(r.outcome, 'finished');
      assert.deepEqual(await b().run(() => window.pageErrors), []);
    }],
  ].map(([title, fn]) => ({ name: `[${name}] ${title}`, fn }));
}

async function relayChecks(be, conversations) {
  const get = async (path, key) => {
    const res = await fetch(`${be.relay}${path}`, { headers: { Authorization: `Bearer ${key}` } });
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    return res.json();
  };
  assert.equal(conversations.length, 4);
  for (const { handle, plainClose } of conversations) {
    const page = await get(`/v1/conversations/${handle}/envelopes`, be.tenant.widget_key);
    const i2r = page.envelopes.filter((e) => e.direction === 'i2r');
    const r2i = page.envelopes.filter((e) => e.direction === 'r2i');
    assert.equal(i2r.length, TURNS);
    assert.ok(i2r.every((e) => e.role === 'visitor'));
    const emails = i2r.map((e) => e.pii.email ?? 0);
    assert.deepEqual(emails, Array.from({ length: TURNS }, (_, i) => (plainClose && i === TURNS - 1 ? 0 : 1)));
    assert.ok(r2i.some((e) => e.flags.includes('pii')));
    assert.equal(r2i.filter((e) => e.close).length, 1);
    const audit = await get(`/v1/conversations/${handle}/audit`, be.tenant.moderator_key);
    assert.equal(audit.verdict, 'complete', JSON.stringify(audit));
  }
  const flagged = JSON.stringify(await get('/v1/moderation/flagged?flag=pii', be.tenant.moderator_key));
  assert.ok(conversations.every(({ handle }) => flagged.includes(handle)), flagged);
}

/** Every file of the backend's data dir, searched for every canary; and a planted one. */
function canarySearch(dir) {
  const files = [];
  const walk = (d) => readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(join(d, e.name)) : files.push(join(d, e.name))));
  walk(dir);
  const names = files.map((f) => f.slice(dir.length + 1));
  for (const needed of ['relay.db', 'relay.db-wal', 'service/service.db', 'relay.log', 'service.log']) {
    assert.ok(names.includes(needed), `${needed} missing: ${names}`);
  }
  const found = [];
  for (const f of files) {
    const bytes = readFileSync(f);
    for (const c of canaries) if (bytes.includes(c)) found.push(`${c} in ${f}`);
  }
  const planted = join(dir, 'planted.bin');
  copyFileSync(join(dir, 'relay.db-wal'), planted);
  writeFileSync(planted, Buffer.concat([readFileSync(planted), Buffer.from(canaries[0])]));
  const plantedFound = canaries.filter((c) => readFileSync(planted).includes(c)).length;
  rmSync(planted);
  return { files: names, found, plantedFound };
}

// ---------------------------------------------------------------------- run --

const bin = binaries();
const watchdog = setTimeout(() => {
  console.log(`FAIL watchdog: still running after ${WATCHDOG_MS} ms`);
  process.exit(1); // the 'exit' handlers kill the relay, the service, the drivers and browsers
}, WATCHDOG_MS);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

const site = makeSite();
const server = await startStaticServer(site.dir);
const origin = server.url.replace(/\/$/, '');
const be = await backend(bin, origin);
process.once('exit', () => {
  rmSync(site.dir, { recursive: true, force: true });
  if (process.env.CHATSEAL_KEEP !== '1') rmSync(be.dir, { recursive: true, force: true });
});
console.log(`   package: ${site.pkg}; relay ${be.relay} (data in ${be.dir}); page ${origin}`);
let passed = 0;
let failed = 0;
const record = async (title, fn) => {
  const t = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${title} (${Date.now() - t} ms)`);
    return true;
  } catch (error) {
    failed++;
    console.log(`FAIL ${title}\n     ${String(error.stack || error).split('\n').join('\n     ')}`);
    return false;
  }
};
const conversations = [];
try {
  for (const name of ['chromium', 'firefox']) {
    const ctx = { server, browser: null, conversations };
    try {
      let broken = false;
      for (const { name: title, fn } of browserChecks(name, ctx, be)) {
        if (broken) {
          failed++;
          console.log(`FAIL ${title} (not run: an earlier check in this browser failed)`);
          continue;
        }
        broken = !(await record(title, fn));
      }
    } finally {
      await ctx.browser?.close();
    }
  }
  await record('the relay stored envelopes with PII counts and flags, and every conversation audits complete', () => relayChecks(be, conversations));
} finally {
  await be.stop();
  await server.close();
}
await record('no canary in the relay database, WAL, service store or logs (a planted one is found)', async () => {
  const r = canarySearch(be.dir);
  console.log(`     searched ${canaries.length} canaries in ${r.files.join(', ')}`);
  assert.deepEqual(r.found, []);
  assert.equal(r.plantedFound, 1);
  assert.equal(canaries.length, 2 * 2 * (TURNS + TURNS - 1)); // browsers × canaries a turn × turns
});
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
