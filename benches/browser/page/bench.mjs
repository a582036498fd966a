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
let service; // { keyring, publicKey, service }
const sodiumKey = () => sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
const sodiumSeal = (key, bytes) =>
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    bytes, null, null, random(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES), key);
const nobleSeal = (key, bytes) => noble.xchacha20poly1305(key, random(24)).encrypt(bytes);

/** Rekeying only when asked: the figures measure the steady state of one epoch. */
const MANUAL = { rekeyEveryTurns: 0, rekeyEverySeconds: 0 };

/**
 * A record store that keeps nothing: the handshake figure measures the service end's work
 * (agreement, key schedule, opening the turn, sealing its record), not a JS Map growing by one
 * record per iteration.
 */
const discardingStore = { load: () => null, create: () => true, update: () => true, remove: () => true };

/**
 * A pinned session in its steady state: the widget's first turn accepted by the service, the
 * service's reply opened by the widget (which moves both ends to epoch 1, ephemeral-ephemeral
 * keys). Returns the widget's Session and the handle on the service.
 */
function pinnedPair(options = MANUAL) {
  const visitor = cs.Session.initiatePinned(service.publicKey, options);
  const { handle, turn } = service.service.accept(visitor.sealText('hello'));
  keep(turn.bytes);
  keep(visitor.open(service.service.sealText(handle, 'hi, how can I help?')).bytes);
  return { visitor, handle };
}

/**
 * A mutual-mode pair (both ends are `Session` objects, so either can seal and open without a
 * record store), moved past its handshake turns into its steady state.
 */
function mutualPair(options = MANUAL) {
  const offer = cs.MutualInitiator.offer(options);
  const answer = cs.MutualResponder.answer(offer.offerBytes, options);
  const visitor = offer.complete(answer.answerBytes);
  const { session, turn } = answer.accept(visitor.sealText('hello'));
  keep(turn.bytes);
  keep(visitor.open(session.sealText('hi, how can I help?')).bytes);
  offer.free();
  answer.free();
  return { visitor, agent: session };
}

async function setup() {
  await init();
  await sodium.ready;
  const keyring = new cs.ServiceKeyring();
  const publicKey = keyring.generateKey();
  service = {
    keyring,
    publicKey,
    // The service end with the same manual policy, its records in memory.
    service: new cs.Service(keyring, random(32), new cs.MemoryRecordStore(), MANUAL),
    // The same service keys with a store that keeps nothing (handshake figure).
    bare: new cs.Service(keyring, random(32), discardingStore, MANUAL),
  };
  return {
    chatseal: cs.version(),
    sodium: sodium.SODIUM_VERSION_STRING ?? null,
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
    crossOriginIsolated: self.crossOriginIsolated ?? false,
  };
}

const hasPii = () => typeof cs.scanPii === 'function';

// ----------------------------------------------------------------- figures --

const LABELS = { labels: { queue: 'billing' } };

const figures = {
  ab: abCompare,

  async seal1k() {
    const { visitor } = pinnedPair();
    const sk = sodiumKey();
    const nk = random(32);
    return measure([
      { name: 'chatseal', op: () => keep(visitor.sealText(text1k, LABELS)) },
      { name: 'libsodium', op: () => keep(sodiumSeal(sk, bytes1k)) },
      { name: 'noble', op: () => keep(nobleSeal(nk, bytes1k)) },
    ]);
  },

  /**
   * The same seal on a session with the default rekey policy (every 100 turns or hour). The
   * service answers every 100th turn, as a chat would, so rekeying completes and old epochs
   * are dropped (and the session repacked) in the timed loop.
   */
  async seal1kDefault() {
    const { visitor, agent } = mutualPair({});
    const sk = sodiumKey();
    let count = 0;
    return measure([
      {
        name: 'chatseal',
        op: () => {
          const env = visitor.sealText(text1k, LABELS);
          keep(env);
          if (++count % 100 === 0) {
            agent.open(env);
            keep(visitor.open(agent.sealText('ok')).bytes);
          }
        },
        label: 'sealText on a mutual pair with the default policy; the peer opens and answers every 100th turn (inside the timing)',
      },
      { name: 'libsodium', op: () => keep(sodiumSeal(sk, bytes1k)) },
    ]);
  },

  async sealPii() {
    if (!hasPii()) return { skipped: 'this build has no PII masking' };
    const { visitor } = pinnedPair();
    const sk = sodiumKey();
    const nk = random(32);
    const options = { mask: true };
    const findings = cs.inspect(visitor.sealText(piiText, options)).metadata.pii;
    const result = await measure([
      { name: 'chatseal', op: () => keep(visitor.sealText(piiText, options)), label: 'sealText(text, { mask: true })' },
      { name: 'libsodium', op: () => keep(sodiumSeal(sk, piiBytes)) },
      { name: 'noble', op: () => keep(nobleSeal(nk, piiBytes)) },
    ]);
    return { ...result, findings };
  },

  /** The widget opening the agent's 1 KiB replies (sealed untimed before each batch). */
  async open1k() {
    const { visitor, agent } = mutualPair();
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
        prepare: (n) => { queue = Array.from({ length: n }, () => agent.sealText(text1k, LABELS)); at = 0; },
        op: () => keep(visitor.open(queue[at++]).text),
      },
      { name: 'libsodium', op: () => keep(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sodiumCt, null, nonce, sk)) },
      { name: 'noble', op: () => keep(noble.xchacha20poly1305(nk, nn).decrypt(nobleCt)) },
    ]);
  },

  async seal1m() {
    const { visitor } = pinnedPair();
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
        // (which carries the handshake), and the service deriving the session from it, opening
        // the turn and sealing the session's record (handed to a store that keeps nothing).
        name: 'chatseal',
        op: () => {
          const visitor = cs.Session.initiatePinned(service.publicKey);
          const { turn } = service.bare.accept(visitor.sealText('hi'));
          keep(turn.bytes);
          visitor.free();
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

  /**
   * Where a 1 KiB seal's time goes, chatseal only (libsodium's bare seal alongside as the
   * yardstick): each row adds one piece of work to the one before, so the differences are the
   * cost of that piece. See BENCHMARKS.md "Per-phase breakdown".
   */
  async phases() {
    const { visitor } = pinnedPair();
    const { visitor: v2 } = pinnedPair();
    const sk = sodiumKey();
    const empty = new Uint8Array(0);
    const b64 = cs.toText(bytes1k);
    const contenders = [
      { name: 'libsodium', op: () => keep(sodiumSeal(sk, bytes1k)) },
      { name: 'version', op: () => keep(cs.version()), label: 'version(): one wasm call returning a short string' },
      { name: 'fromText', op: () => keep(cs.fromText(b64)), label: 'fromText(1,366 base64url chars): a string checked and copied in, 1 KiB copied out' },
      { name: 'sealEmpty', op: () => keep(visitor.seal(empty)), label: 'seal(0 bytes): the fixed cost of a turn (pads to the 256-byte bucket)' },
      { name: 'sealBytes', op: () => keep(visitor.seal(bytes1k)), label: 'seal(1 KiB bytes), no options' },
      { name: 'sealText', op: () => keep(v2.sealText(text1k)), label: 'sealText(1 KiB), no options' },
      { name: 'sealTextLabels', op: () => keep(v2.sealText(text1k, LABELS)), label: 'sealText(1 KiB, { labels }): the seal1k figure' },
    ];
    return measure(contenders);
  },

  /** PII scanning speed in the page: scanPii over ~64 KiB of chat text, chars per second. */
  async piiScan() {
    if (!hasPii()) return { skipped: 'this build has no PII scanner' };
    const text = piiText.repeat(64);
    const sk = sodiumKey();
    const findings = cs.scanPii(text).length;
    const result = await measure([
      { name: 'chatseal', op: () => keep(cs.scanPii(text)), label: 'scanPii(64 KiB of chat text with PII)' },
      { name: 'libsodium', op: () => keep(sodiumSeal(sk, piiBytes)) },
    ]);
    return { ...result, chars: text.length, findings, charsPerSecond: text.length / (result.chatseal.medianUs / 1e6) };
  },

  /** Linear memory with many live sessions, in a fresh page: widget ends of pinned sessions. */
  async sessions({ count = 10_000, kind = 'initiator' } = {}) {
    if (typeof cs.wasmMemoryBytes !== 'function') return { skipped: 'no wasmMemoryBytes() in this build' };
    const keepAlive = [];
    const before = cs.wasmMemoryBytes();
    const t0 = now();
    for (let i = 0; i < count; i++) {
      if (kind === 'initiator') {
        const visitor = cs.Session.initiatePinned(service.publicKey);
        keep(visitor.sealText('hello, I have a question'));
        keepAlive.push(visitor);
      } else {
        // Responder ends in memory: mutual-mode sessions after their first turn.
        const offer = cs.MutualInitiator.offer();
        const answer = cs.MutualResponder.answer(offer.offerBytes);
        const visitor = offer.complete(answer.answerBytes);
        const { session } = answer.accept(visitor.sealText('hello, I have a question'));
        offer.free(); answer.free(); visitor.free();
        keepAlive.push(session);
      }
    }
    const after = cs.wasmMemoryBytes();
    const ms = now() - t0;
    keepAlive.forEach((s) => s.free());
    return { count, kind, beforeBytes: before, afterBytes: after, ms };
  },

  /**
   * Linear memory over a long conversation, in a fresh page: `turns` envelopes, the widget and
   * the agent taking turns (seal + open each), default rekey policy (a new epoch every 100
   * turns, the old ones dropped and the sessions repacked).
   */
  async longSession({ turns = 1_000_000, warmup = 10_000 } = {}) {
    if (typeof cs.wasmMemoryBytes !== 'function') return { skipped: 'no wasmMemoryBytes() in this build' };
    const { visitor, agent } = mutualPair({});
    const text = 'Sure, the refund is on its way; anything else I can help with today?';
    const start = cs.wasmMemoryBytes();
    const t0 = now();
    const marks = [];
    for (let i = 1; i <= turns; i++) {
      const [from, to] = i % 2 ? [visitor, agent] : [agent, visitor];
      keep(to.open(from.sealText(text)).bytes);
      if (i === warmup || i % 250_000 === 0 || i === turns) marks.push({ turns: i, bytes: cs.wasmMemoryBytes() });
      if (i % 50_000 === 0) await new Promise((r) => setTimeout(r, 0));
    }
    const ms = now() - t0;
    return { turns, startBytes: start, marks, ms, usPerTurn: (ms * 1000) / turns, epoch: visitor.epoch };
  },
};

/**
 * A/B of two builds in one page (`bash scripts/bench.sh --ab DIR`): the package in `pkg/` against
 * the one in `pkg-b/`, each with its own module instance, interleaved round by round like the
 * peers, so a shared machine's load hits both alike. Returns per-figure results for a and b.
 */
async function abCompare({ figures: which = ['seal1k', 'sealEmpty', 'open1k', 'seal1m', 'handshake'] } = {}) {
  const b = await import('./pkg-b/web/chatseal.js');
  await b.default();
  const ends = (lib) => {
    const keyring = new lib.ServiceKeyring();
    const pk = keyring.generateKey();
    const svc = new lib.Service(keyring, random(32), discardingStore, MANUAL);
    const offer = lib.MutualInitiator.offer(MANUAL);
    const answer = lib.MutualResponder.answer(offer.offerBytes, MANUAL);
    const visitor = offer.complete(answer.answerBytes);
    const { session: agent } = answer.accept(visitor.sealText('hello'));
    visitor.open(agent.sealText('hi'));
    return { lib, pk, svc, visitor, agent, queue: [], at: 0 };
  };
  const A = ends(cs);
  const B = ends(b);
  const big = randomLarge(MIB);
  const empty = new Uint8Array(0);
  const piiText64 = piiText.repeat(64);
  const ops = {
    seal1k: (e) => ({ op: () => keep(e.visitor.sealText(text1k, LABELS)) }),
    sealEmpty: (e) => ({ op: () => keep(e.visitor.seal(empty)) }),
    sealPii: (e) => ({ op: () => keep(e.visitor.sealText(piiText, { mask: true })) }),
    open1k: (e) => ({
      prepare: (n) => { e.queue = Array.from({ length: n }, () => e.agent.sealText(text1k, LABELS)); e.at = 0; },
      op: () => keep(e.visitor.open(e.queue[e.at++]).text),
    }),
    seal1m: (e) => ({ op: () => keep(e.visitor.seal(big)) }),
    piiScan: (e) => ({ op: () => keep(e.lib.scanPii(piiText64)) }),
    handshake: (e) => ({
      op: () => {
        const v = e.lib.Session.initiatePinned(e.pk);
        keep(e.svc.accept(v.sealText('hi')).turn.bytes);
        v.free();
      },
    }),
  };
  const out = {};
  for (const f of which) {
    out[f] = await measure([{ name: 'a', ...ops[f](A) }, { name: 'b', ...ops[f](B) }], { maxMs: 15_000 });
  }
  return out;
}

/** Operations for benches/browser/profile.mjs: one chatseal call each, looped for a CPU profile. */
let profiled = null;
const profileOps = {
  seal1k: () => { const { visitor } = pinnedPair(); return () => keep(visitor.sealText(text1k, LABELS)); },
  sealBytes: () => { const { visitor } = pinnedPair(); return () => keep(visitor.seal(bytes1k)); },
  sealEmpty: () => { const { visitor } = pinnedPair(); const e = new Uint8Array(0); return () => keep(visitor.seal(e)); },
  sealPii: () => { const { visitor } = pinnedPair(); return () => keep(visitor.sealText(piiText, { mask: true })); },
  open1k: () => {
    const { visitor, agent } = mutualPair();
    let queue = [];
    let at = 0;
    return () => {
      if (at === queue.length) { queue = Array.from({ length: 256 }, () => agent.sealText(text1k, LABELS)); at = 0; }
      keep(visitor.open(queue[at++]).text);
    };
  },
  seal1m: () => { const { visitor } = pinnedPair(); const big = randomLarge(MIB); return () => keep(visitor.seal(big)); },
  handshake: () => () => {
    const visitor = cs.Session.initiatePinned(service.publicKey);
    keep(service.bare.accept(visitor.sealText('hi')).turn.bytes);
    visitor.free();
  },
  fromText: () => { const b64 = cs.toText(bytes1k); return () => keep(cs.fromText(b64)); },
  piiScan: () => { const t = piiText.repeat(64); return () => keep(cs.scanPii(t)); },
};

ready = setup();
globalThis.bench = {
  ready,
  prepareProfile(op) { profiled = profileOps[op](); },
  /** Runs the prepared operation for `ms` milliseconds; returns how many times it ran. */
  loop(ms) {
    let n = 0;
    for (const t0 = now(); now() - t0 < ms; n++) profiled();
    return n;
  },
  async run(name, args) {
    await ready;
    return figures[name](args);
  },
  sink: () => sink,
};
