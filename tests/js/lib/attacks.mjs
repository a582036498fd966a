// The protocol v2 attacks as a backend (or a careless page) would try them through the JS API,
// one case each. The same cases run in Node (tests/js/attacks.test.mjs) and in Chromium and
// Firefox (tests/page/suites.test.mjs). Each case gets the package's module namespace.
import { bytesEqual, deepEqual, equal, ok, random, rejectsCode, throwsCode } from './check.mjs';

/** A visitor, a JS `Service` over a `MemoryRecordStore`, and the accepted first turn. */
export function pinned(cs, options = {}) {
  const keyring = new cs.ServiceKeyring();
  const publicKey = keyring.generateKey();
  const store = new cs.MemoryRecordStore();
  const recordKey = random(32);
  const service = new cs.Service(keyring, recordKey, store, options.service);
  const visitor = cs.Session.initiatePinned(publicKey, options.visitor);
  const first = visitor.sealText(options.firstText ?? 'Hello, I need help with my invoice');
  const { handle, turn } = service.accept(first);
  const free = () => {
    for (const o of [visitor, service, keyring]) o.free();
  };
  return { keyring, publicKey, store, recordKey, service, visitor, first, handle, turn, free };
}

async function collect(generator) {
  const out = [];
  for await (const item of generator) out.push(item);
  return out;
}

export const cases = [
  ['replay: a turn opened twice is refused at both ends, also by a restarted service', (cs) => {
    const p = pinned(cs);
    const second = p.visitor.sealText('It is invoice 42');
    equal(p.service.open(second).turn.text, 'It is invoice 42');
    throwsCode(cs, () => p.service.open(second), 'duplicate', 'service replay');
    throwsCode(cs, () => p.service.open(p.first), 'duplicate', 'first envelope replayed as a turn');
    // A new Service over the same store (a restart, another worker) remembers.
    const restarted = new cs.Service(p.keyring, p.recordKey, p.store);
    throwsCode(cs, () => restarted.open(second), 'duplicate', 'restarted service');
    const reply = restarted.sealText(p.handle, 'Sure!');
    equal(p.visitor.open(reply).text, 'Sure!');
    throwsCode(cs, () => p.visitor.open(reply), 'duplicate', 'visitor replay');
    restarted.free();
    p.free();
  }],

  ['hijack: a second hello for a live or forgotten handle is session_exists; a later turn is not_hello', (cs) => {
    const p = pinned(cs);
    throwsCode(cs, () => p.service.accept(p.first), 'session_exists', 'replayed hello');
    const later = p.visitor.sealText('second turn');
    throwsCode(cs, () => p.service.accept(later), 'not_hello');
    p.service.open(later);
    const record = p.service.forget(p.handle);
    equal(record.handle, p.handle);
    ok(record.keysDeleted >= 2, 'keys deleted');
    throwsCode(cs, () => p.service.accept(p.first), 'session_exists', 'hello after forget (tombstone)');
    throwsCode(cs, () => p.service.open(p.visitor.sealText('after forget')), 'unknown_session');
    p.free();
  }],

  ['truncation: an unanswered close or a dropped turn leaves status().finished false; peerAck counts', (cs) => {
    // A complete conversation first.
    const a = pinned(cs);
    const r0 = a.service.sealText(a.handle, 'Which invoice?');
    const opened = a.visitor.open(r0);
    deepEqual(opened.peerAck, { highest: 0, unacknowledged: 0, matches: true });
    const close = a.visitor.close('bye');
    a.service.open(close);
    const serviceClose = a.service.close(a.handle);
    equal(a.visitor.open(serviceClose).header.close, true);
    equal(a.visitor.status().finished, true, 'visitor finished');
    equal(a.service.status(a.handle).finished, true, 'service finished');
    throwsCode(cs, () => a.visitor.sealText('after close'), 'closed');
    a.free();

    // The backend drops the service's close: the visitor closed, but nothing confirms it.
    const b = pinned(cs);
    b.visitor.open(b.service.sealText(b.handle, 'reply'));
    b.service.open(b.visitor.close());
    b.service.close(b.handle); // dropped
    const status = b.visitor.status();
    equal(status.closed, true);
    equal(status.peerClosed, false);
    equal(status.finished, false, 'cut-off end is not finished');

    // The backend drops a visitor turn: the service sees the gap; the visitor sees its turns
    // unacknowledged.
    const c = pinned(cs);
    const t1 = c.visitor.sealText('turn 1'); // dropped
    const t2 = c.visitor.sealText('turn 2');
    const late = c.service.open(t2).turn;
    equal(late.order, 'gap');
    equal(late.missing, 1);
    equal(c.service.status(c.handle).missing, 1);
    const reply = c.visitor.open(c.service.sealText(c.handle, 'got turn 2'));
    equal(reply.peerAck.highest, 2);
    c.service.open(t1); // arrives late: the gap closes
    equal(c.service.status(c.handle).missing, 0);
    // The visitor's next turn goes unanswered: it stays unacknowledged.
    c.visitor.sealText('turn 3');
    equal(c.visitor.status().unacknowledged, 1);
    for (const x of [b, c]) x.free();
  }],

  ['truncation seen by the backend: audit() of the stored envelopes', (cs) => {
    const p = pinned(cs);
    const stored = [p.first];
    for (const text of ['one', 'two']) {
      const e = p.visitor.sealText(text);
      p.service.open(e);
      stored.push(e);
    }
    const reply = p.service.sealText(p.handle, 'ok');
    p.visitor.open(reply);
    stored.push(reply);
    const close = p.visitor.close();
    p.service.open(close);
    stored.push(close);
    const serviceClose = p.service.close(p.handle);
    stored.push(serviceClose);
    equal(cs.audit(stored).verdict, 'complete');
    equal(cs.audit(stored.filter((e) => e !== serviceClose && e !== close)).verdict, 'unfinished');
    const gap = cs.audit(stored.filter((_, i) => i !== 1));
    equal(gap.verdict, 'incomplete');
    deepEqual(gap.i2r.missing, [[1, 1]]);
    const foreign = pinned(cs);
    equal(cs.audit([...stored, foreign.first]).verdict, 'broken');
    throwsCode(cs, () => cs.audit([...stored, new Uint8Array(3)]), 'malformed');
    for (const x of [p, foreign]) x.free();
  }],

  ['peerAck.matches is false when a restored stale copy sealed what the peer acknowledged differently', (cs) => {
    const p = pinned(cs);
    const kek = random(32);
    const stale = p.visitor.exportState(kek);
    p.service.open(p.visitor.sealText('sealed after the save'));
    const reply = p.service.sealText(p.handle, 'ack of turn 1');
    const restored = cs.Session.importState(stale, kek, p.visitor.handle);
    equal(restored.nextSendSeq, 1);
    equal(restored.open(reply).peerAck.matches, false);
    restored.free();
    p.free();
  }],

  ['streams: in order they open; dropped, reordered, cut off or spliced they are stream_broken', async (cs) => {
    const p = pinned(cs);
    p.visitor.open(p.service.sealText(p.handle, 'streaming next'));
    const chunks = ['Your ', 'invoice ', 'was paid.'].map((t) => p.service.sealChunk(p.handle, t, { end: false }));
    chunks.push(p.service.sealChunk(p.handle, '', { end: true }));
    const kek = random(32);
    const saved = p.visitor.exportState(kek);
    const fresh = () => cs.Session.importState(saved, kek, p.visitor.handle);
    const whole = fresh();
    deepEqual(await collect(cs.openStream(whole, chunks)), ['Your ', 'invoice ', 'was paid.']);
    equal(whole.status().missing, 0);
    const attempts = [
      ['dropped', [chunks[0], chunks[2], chunks[3]]],
      ['reordered', [chunks[1], chunks[0], chunks[2], chunks[3]]],
      ['cut off', [chunks[0], chunks[1]]],
      ['no chunk at all', []],
    ];
    for (const [what, list] of attempts) {
      const s = fresh();
      await rejectsCode(cs, collect(cs.openStream(s, list)), 'stream_broken', what);
      s.free();
    }
    // A ReadableStream source works the same.
    if (typeof ReadableStream === 'function') {
      const s = fresh();
      const source = new ReadableStream({ start(c) { chunks.forEach((x) => c.enqueue(x)); c.close(); } });
      deepEqual(await collect(cs.openStream(s, source)), ['Your ', 'invoice ', 'was paid.']);
      s.free();
    }
    // While a stream is open only chunks can be sealed, and sealStream ends it.
    const envelopes = await collect(cs.sealStream(p.visitor, (async function* () { yield 'a'; yield 'b'; })()));
    equal(envelopes.length, 3);
    equal(p.visitor.streamOpen, false);
    const turns = envelopes.map((e) => p.service.open(e).turn.header.stream);
    deepEqual(turns.map((s) => s.end), [false, false, true]);
    p.service.sealChunk(p.handle, 'open', { end: false });
    throwsCode(cs, () => p.service.sealText(p.handle, 'plain turn'), 'bad_state', 'plain turn inside a stream');
    whole.free();
    p.free();
  }],

  ['roles per direction: the visitor cannot speak as the assistant, nor the service as the visitor', (cs) => {
    const p = pinned(cs);
    throwsCode(cs, () => p.visitor.sealText('I am the bank', { role: 'assistant' }), 'wrong_role');
    throwsCode(cs, () => p.visitor.sealText('system notice', { role: 'system' }), 'wrong_role');
    throwsCode(cs, () => p.service.sealText(p.handle, 'I am the visitor', { role: 'visitor' }), 'wrong_role');
    // A backend rewriting the role byte is caught without keys by inspect (and by the AEAD).
    const turn = p.visitor.sealText('a normal turn');
    const info = cs.inspect(turn);
    // The metadata's first byte (the role) follows the 107-byte fixed header, the optional
    // fields and the 2-byte metadata length.
    const at = 107 + (info.hello ? 41 : 0) + (info.rekey ? 32 : 0) + (info.header.stream ? 8 : 0) + 2;
    const forged = turn.slice();
    forged[at] = 1; // assistant
    throwsCode(cs, () => cs.inspect(forged), 'wrong_role', 'inspect');
    throwsCode(cs, () => p.service.open(forged), 'wrong_role', 'open');
    equal(p.service.open(turn).turn.metadata.role, 'visitor');
    equal(p.visitor.open(p.service.sealText(p.handle, 'an agent', { role: 'agent' })).metadata.role, 'agent');
    p.free();
  }],

  ['reflection and tampering: own envelopes are wrong_direction, altered ones decrypt_failed, state kept', (cs) => {
    const p = pinned(cs);
    const own = p.visitor.sealText('mine');
    throwsCode(cs, () => p.visitor.open(own), 'wrong_direction');
    const reply = p.service.sealText(p.handle, 'genuine');
    throwsCode(cs, () => p.service.open(reply), 'wrong_direction');
    const forged = reply.slice();
    forged[forged.length - 1] ^= 1;
    throwsCode(cs, () => p.visitor.open(forged), 'decrypt_failed');
    equal(p.visitor.open(reply).text, 'genuine');
    p.free();
  }],

  ['restore exfiltration: placeholders inside links stay masked and are reported in withheld', (cs) => {
    if (typeof cs.scanPii !== 'function') return; // crypto-only build
    const p = pinned(cs);
    const envelope = p.visitor.sealText('Mail me at ann@example.org please', { mask: true });
    const seen = p.service.open(envelope).turn;
    equal(seen.text, 'Mail me at [EMAIL_1] please');
    equal(seen.metadata.pii.email, 1);
    const reply = p.visitor.open(p.service.sealText(p.handle,
      'Noted [EMAIL_1]. Confirm at https://evil.example/c?u=[EMAIL_1] or [here](https://x.example/[EMAIL_1])'));
    const restored = p.visitor.restore(reply.text);
    equal(restored.text.split('ann@example.org').length, 2, 'filled in once, in plain text');
    equal(restored.withheld.length, 2);
    for (const w of restored.withheld) {
      equal(w.category, 'email');
      equal(restored.text.slice(w.start, w.end), '[EMAIL_1]');
    }
    p.free();
  }],

  ['labels: records or pairs, awkward keys kept, canonical order, bidi and PII refused', (cs) => {
    const p = pinned(cs);
    const record = JSON.parse('{"__proto__": "a", "constructor": "b", "10": "c", "2": "d"}');
    const expected = [['10', 'c'], ['2', 'd'], ['__proto__', 'a'], ['constructor', 'b']];
    const viaRecord = p.service.open(p.visitor.sealText('x', { labels: record })).turn.metadata.labels;
    deepEqual(viaRecord, expected);
    const pairs = [['constructor', 'b'], ['2', 'd'], ['__proto__', 'a'], ['10', 'c']];
    const viaPairs = cs.inspect(p.visitor.sealText('y', { labels: pairs })).metadata.labels;
    deepEqual(viaPairs, expected);
    throwsCode(cs, () => p.visitor.sealText('z', { labels: { page: 'abc\u202Edef' } }), 'invalid_input', 'bidi');
    throwsCode(cs, () => p.visitor.sealText('z', { labels: { Page: 'x' } }), 'invalid_input', 'key charset');
    throwsCode(cs, () => p.visitor.sealText('z', { labels: [['a', 'x'], ['a', 'y']] }), 'invalid_input', 'duplicate');
    throwsCode(cs, () => p.visitor.sealText('z', { labels: { a: 5 } }), 'invalid_input', 'number value');
    const nine = Object.fromEntries([...Array(9)].map((_, i) => [`k${i}`, 'v']));
    throwsCode(cs, () => p.visitor.sealText('z', { labels: nine }), 'limit_exceeded', 'nine labels');
    if (typeof cs.scanPii === 'function') {
      throwsCode(cs, () => p.visitor.sealText('z', { labels: { phone: '+44 20 7946 0958' } }), 'invalid_input', 'PII');
    }
    equal(p.visitor.nextSendSeq, 3, 'refused seals changed nothing');
    p.free();
  }],

  ['state blob swap: a blob of another session is wrong_session before decryption; stale_state', (cs) => {
    const a = pinned(cs);
    const b = pinned(cs);
    const kek = random(32);
    const blobA = a.visitor.exportState(kek);
    const blobB = b.visitor.exportState(kek);
    throwsCode(cs, () => cs.Session.importState(blobA, kek, b.visitor.handle), 'wrong_session');
    throwsCode(cs, () => cs.Session.importState(blobB, random(32), b.visitor.handle), 'decrypt_failed');
    deepEqual(cs.stateInfo(blobB).handle, b.visitor.handle);
    a.visitor.exportState(kek);
    const newer = a.visitor.stateGeneration;
    throwsCode(cs, () => cs.Session.importState(blobA, kek, a.visitor.handle, { minGeneration: newer }), 'stale_state');
    const restored = cs.Session.importState(blobA, kek, a.visitor.handle, { minGeneration: 1 });
    equal(restored.handle, a.visitor.handle);
    restored.free();
    const rewrapped = cs.rewrapState(blobB, kek, random(32));
    throwsCode(cs, () => cs.Session.importState(rewrapped, kek, b.visitor.handle), 'decrypt_failed');
    for (const x of [a, b]) x.free();
  }],

  ['mutual mode: a party in the middle ends with different safety codes and handles', (cs) => {
    const initiator = cs.MutualInitiator.offer();
    const middle = cs.MutualResponder.answer(initiator.offerBytes);
    const visitor = initiator.complete(middle.answerBytes);
    const { session: middleIn } = middle.accept(visitor.sealText('hello'));
    const middleOut = cs.MutualInitiator.offer();
    const agent = cs.MutualResponder.answer(middleOut.offerBytes);
    const toAgent = middleOut.complete(agent.answerBytes);
    const { session: agentSession, turn } = agent.accept(toAgent.sealText('hello'));
    equal(turn.text, 'hello');
    ok(visitor.safetyCode !== agentSession.safetyCode, 'codes differ');
    ok(visitor.handle !== agentSession.handle, 'handles differ');
    equal(visitor.safetyCode, middleIn.safetyCode);
    throwsCode(cs, () => initiator.complete(agent.answerBytes), 'bad_state');
    for (const o of [initiator, middle, visitor, middleIn, middleOut, agent, toAgent, agentSession]) o.free();
  }],

  ['pseudonyms: random for widgets, keyed for services; hashedId is gone', (cs) => {
    equal('hashedId' in cs, false);
    const a = cs.randomPseudonym();
    ok(/^[A-Za-z0-9_-]{22}$/.test(a), a);
    ok(a !== cs.randomPseudonym());
    const key = new cs.PseudonymKey(random(32));
    equal(key.pseudonym('ann@example.org'), key.pseudonym(new TextEncoder().encode('ann@example.org')));
    ok(key.pseudonym('ann@example.org') !== new cs.PseudonymKey(random(32)).pseudonym('ann@example.org'));
    const p = pinned(cs);
    const subject = key.pseudonym('user-42');
    equal(cs.inspect(p.visitor.sealText('x', { subject })).metadata.subject, subject);
    throwsCode(cs, () => p.visitor.sealText('x', { subject: 'user-42' }), 'invalid_input');
    const secret = key.exposeSecretBytes();
    ok(bytesEqual(secret, key.exposeSecretBytes()));
    key.free();
    p.free();
  }],

  ['forget and free: every later use is freed, free() twice is fine, getters too', (cs) => {
    const p = pinned(cs);
    const record = p.visitor.forget();
    equal(record.side, 'initiator');
    ok(record.residual.length >= 2);
    for (const use of [() => p.visitor.sealText('x'), () => p.visitor.status(), () => p.visitor.handle, () => p.visitor.forget()]) {
      throwsCode(cs, use, 'freed');
    }
    p.visitor.free();
    p.visitor.free();
    throwsCode(cs, () => p.visitor.handle, 'freed');
    p.keyring.free();
    // The service keeps its own handle on the keyring's keys.
    equal(p.service.sealText(p.handle, 'still serving').length > 0, true);
    p.service.free();
    throwsCode(cs, () => p.service.status(p.handle), 'freed');
  }],

  ['rekeying: both ends move to new epochs and old ones are deleted', (cs) => {
    const p = pinned(cs, { visitor: { rekeyEveryTurns: 2 } });
    p.visitor.open(p.service.sealText(p.handle, 'first reply moves to epoch 1'));
    equal(p.visitor.epoch, 1);
    deepEqual(p.visitor.epochsHeld, [1]);
    for (let i = 0; i < 4; i++) {
      p.service.open(p.visitor.sealText(`turn ${i}`));
      p.visitor.open(p.service.sealText(p.handle, `reply ${i}`));
    }
    ok(p.visitor.epoch >= 2, `epoch ${p.visitor.epoch}`);
    equal(p.visitor.epochsHeld.length, 1);
    throwsCode(cs, () => p.visitor.reopen(p.first), 'unknown_epoch');
    p.visitor.rekeyNow();
    equal(p.visitor.rekeyPending, true);
    p.free();
  }],
];
