// In-page benchmark of chatseal against libsodium-wrappers and noble (run by
// benches/browser/run.mjs through scripts/bench.sh; not a test).
//
// Every figure interleaves the contenders round by round (one batch of each per round), so drift
// of a shared machine hits all of them alike; each batch is calibrated to last >= TARGET_MS, and
// rounds go on until the median of the last K batches of every contender moved < TOL for
// STABLE_ROUNDS rounds in a row (or MAX_ROUNDS / MAX_MS is reached). Reported per contender:
// median time per operation, min, max, IQR, and the number of batches.
import init, * as cs from './pkg/web/chatseal.js';
import sodiumModule from './sodium/libsodium-wrappers.mjs';
import * as noble from './noble.js';

const TARGET_MS = 30;
const WARM_MS = 150;
const K = 5;
const TOL = 0.02;
const STABLE_ROUNDS = 3;
const MIN_ROUNDS = 8;
const MAX_ROUNDS = 40;
const WARMUP_ROUNDS = 2;

const sodium = sodiumModule.default ?? sodiumModule;
const now = () => performance.now();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
};
const random = (n) => crypto.getRandomValues(new Uint8Array(n));
const randomLarge = (n) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
};
let sink = 0; // keeps results alive so nothing is optimised away
const keep = (x) => { sink = (sink + (x?.length ?? 1)) | 0; };

/**
 * contenders: [{ name, op(), prepare?(n) }]: op() is one operation; prepare(n), untimed, runs
 * before every batch of n (e.g. seals n envelopes for an open figure).
 */
async function measure(contenders, { maxMs = 25_000 } = {}) {
  // Calibrate: batch size so one batch takes >= TARGET_MS (after a warm-up batch).
  const sizes = [];
  for (const c of contenders) {
    // Warm-up: ~WARM_MS of calls so the JIT tiers up before the batch size is chosen.
    for (const t0 = now(); now() - t0 < WARM_MS;) {
      c.prepare?.(8);
      for (let i = 0; i < 8; i++) c.op();
    }
    let n = 1;
    for (;;) {
      c.prepare?.(n);
      const t0 = now();
      for (let i = 0; i < n; i++) c.op();
      const dt = now() - t0;
      if (dt >= TARGET_MS || n >= 1 << 20) break;
      n = dt < 1 ? n * 8 : Math.max(n + 1, Math.ceil((n * TARGET_MS * 1.2) / dt));
    }
    sizes.push(n);
  }
  const samples = contenders.map(() => []);
  const paired = contenders.map(() => []); // per round: this contender's time / the first one's
  const medians = contenders.map(() => []);
  let stableFor = 0;
  let rounds = 0;
  const start = now();
  while (rounds < MAX_ROUNDS) {
    contenders.forEach((c, i) => {
      const n = sizes[i];
      c.prepare?.(n);
      const t0 = now();
      for (let j = 0; j < n; j++) c.op();
      const dt = now() - t0;
      if (rounds >= WARMUP_ROUNDS) samples[i].push(dt / n);
    });
    if (rounds >= WARMUP_ROUNDS) samples.forEach((s, i) => paired[i].push(s.at(-1) / samples[0].at(-1)));
    rounds++;
    // Let the garbage collector and the event loop run between rounds.
    await new Promise((r) => setTimeout(r, 0));
    if (samples[0].length >= K) {
      const moved = samples.map((s, i) => {
        const m = median(s.slice(-K));
        const prev = medians[i].at(-1);
        medians[i].push(m);
        return prev === undefined ? Infinity : Math.abs(m - prev) / prev;
      });
      stableFor = moved.every((d) => d < TOL) ? stableFor + 1 : 0;
      if (rounds >= MIN_ROUNDS && stableFor >= STABLE_ROUNDS) break;
    }
    if (now() - start > maxMs && rounds >= MIN_ROUNDS) break;
  }
  const stable = stableFor >= STABLE_ROUNDS;
  return Object.fromEntries(
    contenders.map((c, i) => {
      const s = samples[i];
      return [c.name, {
        medianUs: median(s) * 1000,
        minUs: Math.min(...s) * 1000,
        maxUs: Math.max(...s) * 1000,
        q1Us: quantile(s, 0.25) * 1000,
        q3Us: quantile(s, 0.75) * 1000,
        batches: s.length,
        batchSize: sizes[i],
        stable,
        label: c.label,
        // Median over rounds of (this contender's time / the first contender's) in the same round.
        pairedRatio: median(paired[i]),
      }];
    }),
  );
}

// ------------------------------------------------------------------ fixtures --

const ASCII = 'Hello, I need help with my invoice from last week; the amount looks wrong. ';
const text1k = ASCII.repeat(Math.ceil(1024 / ASCII.length)).slice(0, 1024);
const bytes1k = new TextEncoder().encode(text1k);

// ~1 KiB of chat-like text with PII of most categories (emails, phones, a card, an IBAN, an IP,
// a secret-looking token).
const PII_TEXT = [
  'Hi, this is Ann Miller. My order #48213 never arrived and I was charged twice. ',
  'You can reach me at ann.miller@example.org or on my mobile +44 7700 900123, ',
  'or my husband at bob.miller@mail.example.com (555) 010-4477. ',
  'The card I used is 4111 1111 1111 1111, expiry 09/27. Please refund to my IBAN ',
  'GB82 WEST 1234 5698 7654 32 instead of the card if that is faster. ',
  'I tried logging in from 203.0.113.42 but the page said my session expired, ',
  'and the API key you gave me (sk_live_51HxQ2b9Zq8vT3nLmK7pR4sW) does not work either. ',
  'My SSN is 078-05-1120 if you need to verify my identity for the refund. ',
  'Thanks for your help, I have been a customer for years and this never happened before. ',
  'Please call back after 5pm, or write to ann.m@work.example.net during office hours. ',
  'Order details: two blue mugs, one teapot, delivery to 12 Elm Street, flat 3. Cheers!',
].join('');
const piiText = PII_TEXT.padEnd(1024, ' .').slice(0, 1024);
const piiBytes = new TextEncoder().encode(piiText);

const MIB = 1 << 20;

// ------------------------------------------------------------------ set-up --

let ready;
let service; // { keyring, publicKey }
const sodiumKey = () => sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
const sodiumSeal = (key, bytes) =>
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    bytes, null, null, random(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES), key);
const nobleSeal = (key, bytes) => noble.xchacha20poly1305(key, random(24)).encrypt(bytes);

function pair(options) {
  const visitor = cs.Session.initiatePinned(service.publicKey, options);
  const first = visitor.sealText('hello');
  const { session, turn } = service.keyring.accept(first);
  keep(turn.bytes);
  return { visitor, session };
}

async function setup() {
  await init();
  await sodium.ready;
  const keyring = new cs.ServiceKeyring();
  service = { keyring, publicKey: keyring.generateKey() };
  return {
    chatseal: cs.version(),
    sodium: sodium.SODIUM_VERSION_STRING ?? null,
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
    crossOriginIsolated: self.crossOriginIsolated ?? false,
  };
}

/** How `sealText` masks PII in this build: 'option' if a seal option does it, else 'scan'. */
function piiMode() {
  if (typeof cs.scanPii !== 'function') return 'none';
  const { visitor } = pair();
  for (const options of [{ mask: true }, { pii: 'mask' }]) {
    try {
      const env = visitor.sealText('write to ann@example.org', options);
      const counts = cs.inspect(env).metadata.pii;
      if (counts.email === 1) return { kind: 'option', options };
    } catch { /* not this option */ }
  }
  return { kind: 'scan' };
}

/** Masks findings the way a widget would without a session-level masker: [EMAIL] etc. */
function maskWithScan(text) {
  const findings = cs.scanPii(text);
  let out = '';
  let at = 0;
  for (const f of findings) {
    out += text.slice(at, f.start) + '[' + f.category.toUpperCase() + ']';
    at = f.end;
  }
  return out + text.slice(at);
}

// ----------------------------------------------------------------- figures --

const figures = {
  async seal1k() {
    const { visitor } = pair();
    const options = { labels: { queue: 'billing' } };
    const sk = sodiumKey();
    const nk = random(32);
    return measure([
      { name: 'chatseal', op: () => keep(visitor.sealText(text1k, options)) },
      { name: 'libsodium', op: () => keep(sodiumSeal(sk, bytes1k)) },
      { name: 'noble', op: () => keep(nobleSeal(nk, bytes1k)) },
    ]);
  },

  async sealPii() {
    const mode = piiMode();
    if (mode === 'none') return { skipped: 'this build has no PII masking' };
    const { visitor } = pair();
    const sk = sodiumKey();
    const nk = random(32);
    const chatseal = mode.kind === 'option'
      ? { name: 'chatseal', op: () => keep(visitor.sealText(piiText, mode.options)),
          label: `sealText(text, ${JSON.stringify(mode.options)})` }
      : { name: 'chatseal', op: () => keep(visitor.sealText(maskWithScan(piiText))),
          label: 'scanPii(text) + mask in JS + sealText(masked)' };
    const check = mode.kind === 'option'
      ? cs.inspect(visitor.sealText(piiText, mode.options)).metadata.pii
      : cs.scanPii(piiText).length;
    const result = await measure([
      chatseal,
      { name: 'libsodium', op: () => keep(sodiumSeal(sk, piiBytes)) },
      { name: 'noble', op: () => keep(nobleSeal(nk, piiBytes)) },
    ]);
    return { ...result, findings: check };
  },

  async open1k() {
    const { visitor, session } = pair();
    const options = { labels: { queue: 'billing' } };
    let queue = [];
    let at = 0;
    const sk = sodiumKey();
    const nk = random(32);
    const nonce = sodium.randombytes_buf(24);
    const sodiumCt = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(bytes1k, null, null, nonce, sk);
    const nn = random(24);
    const nobleCt = noble.xchacha20poly1305(nk, nn).encrypt(bytes1k);
    return measure([
      {
        name: 'chatseal',
        prepare: (n) => { queue = Array.from({ length: n }, () => visitor.sealText(text1k, options)); at = 0; },
        op: () => keep(session.open(queue[at++]).bytes),
      },
      { name: 'libsodium', op: () => keep(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sodiumCt, null, nonce, sk)) },
      { name: 'noble', op: () => keep(noble.xchacha20poly1305(nk, nn).decrypt(nobleCt)) },
    ]);
  },

  async seal1m() {
    const { visitor } = pair();
    const big = randomLarge(MIB);
    const sk = sodiumKey();
    const nk = random(32);
    return measure([
      { name: 'chatseal', op: () => keep(visitor.seal(big)) },
      { name: 'libsodium', op: () => keep(sodiumSeal(sk, big)) },
      { name: 'noble', op: () => keep(nobleSeal(nk, big)) },
    ], { maxMs: 40_000 });
  },

  async handshake() {
    const server = sodium.crypto_kx_keypair();
    const nobleServerSk = random(32);
    const nobleServerPk = noble.x25519.getPublicKey(nobleServerSk);
    const salt = new Uint8Array(32);
    const info = new TextEncoder().encode('bench handshake');
    return measure([
      {
        // Pinned mode, both ends: the widget's ephemeral key pair and agreement, its first turn
        // (which carries the handshake), and the service deriving the session from it.
        name: 'chatseal',
        op: () => {
          const visitor = cs.Session.initiatePinned(service.publicKey);
          const first = visitor.sealText('hi');
          const { session, turn } = service.keyring.accept(first);
          keep(turn.bytes);
          visitor.free();
          session.free();
        },
      },
      {
        name: 'libsodium',
        op: () => {
          const client = sodium.crypto_kx_keypair();
          const c = sodium.crypto_kx_client_session_keys(client.publicKey, client.privateKey, server.publicKey);
          const s = sodium.crypto_kx_server_session_keys(server.publicKey, server.privateKey, client.publicKey);
          keep(c.sharedRx); keep(s.sharedTx);
        },
      },
      {
        name: 'noble',
        op: () => {
          const esk = random(32);
          const epk = noble.x25519.getPublicKey(esk);
          const c = noble.hkdf(noble.sha256, noble.x25519.getSharedSecret(esk, nobleServerPk), salt, info, 64);
          const s = noble.hkdf(noble.sha256, noble.x25519.getSharedSecret(nobleServerSk, epk), salt, info, 64);
          keep(c); keep(s); keep(epk);
        },
      },
    ]);
  },

  /** Linear memory with many live sessions (kind: 'initiator' | 'responder'), in a fresh page. */
  async sessions({ count = 10_000, kind = 'responder' } = {}) {
    if (typeof cs.wasmMemoryBytes !== 'function') return { skipped: 'no wasmMemoryBytes() in this build' };
    const keepAlive = [];
    const before = cs.wasmMemoryBytes();
    const t0 = now();
    for (let i = 0; i < count; i++) {
      const visitor = cs.Session.initiatePinned(service.publicKey);
      const first = visitor.sealText('hello, I have a question');
      if (kind === 'initiator') { keepAlive.push(visitor); continue; }
      const { session } = service.keyring.accept(first);
      visitor.free();
      keepAlive.push(session);
    }
    const after = cs.wasmMemoryBytes();
    const ms = now() - t0;
    keepAlive.forEach((s) => s.free());
    return { count, kind, beforeBytes: before, afterBytes: after, ms };
  },

  /** Linear memory over a long session: `turns` seal+open pairs of a short turn, in a fresh page. */
  async longSession({ turns = 1_000_000, warmup = 10_000 } = {}) {
    if (typeof cs.wasmMemoryBytes !== 'function') return { skipped: 'no wasmMemoryBytes() in this build' };
    const { visitor, session } = pair();
    const text = 'Sure, the refund is on its way; anything else I can help with today?';
    const start = cs.wasmMemoryBytes();
    const t0 = now();
    const marks = [];
    for (let i = 1; i <= turns; i++) {
      const env = visitor.sealText(text);
      keep(session.open(env).bytes);
      if (i === warmup || i % 250_000 === 0 || i === turns) marks.push({ turns: i, bytes: cs.wasmMemoryBytes() });
      if (i % 50_000 === 0) await new Promise((r) => setTimeout(r, 0));
    }
    const ms = now() - t0;
    return { turns, startBytes: start, marks, ms, usPerTurnPair: (ms * 1000) / turns };
  },
};

ready = setup();
globalThis.bench = {
  ready,
  async run(name, args) {
    await ready;
    return figures[name](args);
  },
  sink: () => sink,
};
