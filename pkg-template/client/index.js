// chatseal/client: a conversation with a relay and the service (or agent) behind it, on top of
// the package's public API. See "The conversation client" in the package README.
import { MutualInitiator, Session, fromText, inspect, scanPii, toText } from 'chatseal';
import { ClientError } from './errors.js';
import { idbStore, memoryStore } from './stores.js';
import { httpTransport } from './transport.js';
import { kekKey, newKek, openRecord, sealRecord } from './vault.js';

export { ClientError, CLIENT_ERROR_CODES, isClientError } from './errors.js';
export { fileStore, idbStore, memoryStore, webLock } from './stores.js';
export { httpTransport } from './transport.js';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const KEK_ENTRY = 'kek';

function servicePublicKeyBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') {
    try {
      return fromText(value);
    } catch (cause) {
      throw new ClientError('invalid_input', 'servicePublicKey must be 32 bytes or their base64url text', { cause });
    }
  }
  throw new ClientError('invalid_input', 'servicePublicKey is required in pinned mode (32 bytes or base64url)');
}

function defaultStore() {
  return typeof indexedDB === 'undefined' ? memoryStore() : idbStore();
}

async function resolveKek(store, kek) {
  if (kek !== undefined) return kekKey(kek);
  if (!store.holdsCryptoKeys) {
    throw new ClientError('invalid_input', `a ${store.kind} store cannot hold a CryptoKey: pass kek (32 bytes)`);
  }
  const held = await store.get(KEK_ENTRY);
  if (held) return held;
  const made = await newKek();
  await store.put({ [KEK_ENTRY]: made });
  return made;
}

/**
 * Connects a conversation: resumes the one saved under `name` (default "default") or starts a new
 * one (pinned to `servicePublicKey`, or mutual through the relay's mailbox). See index.d.ts.
 */
export async function connect(options = {}) {
  if (!options || typeof options !== 'object') throw new ClientError('invalid_input', 'connect(options): options must be an object');
  const {
    relay,
    widgetKey,
    transport: givenTransport,
    servicePublicKey,
    mode = 'pinned',
    name = 'default',
    store = defaultStore(),
    kek,
    mask = true,
    maskPolicy,
    rekeyEveryTurns,
    rekeyEverySeconds,
    timeGranularity,
    subject,
    labels,
    answerTimeout = 300_000,
    signal,
  } = options;
  if (mode !== 'pinned' && mode !== 'mutual') throw new ClientError('invalid_input', 'mode must be "pinned" or "mutual"');
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    throw new ClientError('invalid_input', 'name must be 1-64 characters of [A-Za-z0-9_.-]');
  }
  const transport = givenTransport ?? httpTransport({ relay, key: widgetKey });
  const release = await store.lock(name);
  if (!release) throw new ClientError('locked', 'another tab or process has this conversation open');
  try {
    const wrapKey = await resolveKek(store, kek);
    const record = await store.get(name);
    const checkpoint = await store.get(`${name}#checkpoint`);
    const sessionOptions = Object.fromEntries(
      Object.entries({ rekeyEveryTurns, rekeyEverySeconds, timeGranularity, maskPolicy }).filter(([, v]) => v !== undefined),
    );
    let session;
    let journal = null;
    let saved = null;
    if (record || checkpoint) {
      if (!record) throw new ClientError('tampered', 'the saved conversation is missing (its checkpoint remains)');
      ({ session, journal, checkpoint: saved } = await openRecord(record, checkpoint, wrapKey));
    } else if (mode === 'mutual') {
      session = await mutualHandshake(transport, sessionOptions, answerTimeout, signal);
    } else {
      session = Session.initiatePinned(servicePublicKeyBytes(servicePublicKey), sessionOptions);
    }
    const chat = new Conversation({ session, journal, transport, store, name, kek: wrapKey, release, mask, subject, labels, saved });
    await chat._start();
    return chat;
  } catch (e) {
    await release();
    throw e;
  }
}

async function mutualHandshake(transport, sessionOptions, timeout, signal) {
  const initiator = MutualInitiator.offer(sessionOptions);
  try {
    await transport.offer(initiator.handle, initiator.offerBytes);
    const deadline = Date.now() + timeout;
    for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
      if (signal?.aborted) throw new ClientError('timeout', 'the mutual handshake was aborted');
      const answer = await transport.answer(initiator.handle);
      if (answer) return initiator.complete(fromText(answer));
      if (Date.now() > deadline) throw new ClientError('timeout', 'no agent answered the offer in time');
      await sleep(wait);
    }
  } finally {
    initiator.free();
  }
}

/** One conversation: send, receive (streamed), keep, close, forget. See index.d.ts. */
export class Conversation {
  constructor({ session, journal, transport, store, name, kek, release, mask, subject, labels, saved }) {
    this._session = session;
    this._transport = transport;
    this._store = store;
    this._name = name;
    this._kek = kek;
    this._release = release;
    this._mask = mask;
    this._subject = subject;
    this._labels = labels;
    this._saved = saved;
    const j = journal ?? {};
    this._messages = j.messages ?? [];
    this._outbox = j.outbox ?? []; // [{ seq, envelope (text form) }] sealed, not yet acknowledged by the relay
    this._cursor = j.cursor ?? '0.0';
    this._posted = j.posted ?? false; // the relay holds the hello: the live socket may open
    this._deleted = j.deleted ?? false;
    this._listeners = new Map();
    this._saving = Promise.resolve();
    this._dirty = false;
    this._sub = null;
    this._state = 'open';
    this._retry = null;
    this._flushing = null;
    this._backoff = 250;
    this._connected = false;
    if (session.status().closed) this._state = 'closed';
  }

  /** The session handle (32 hex digits). */
  get handle() {
    return this._session.handle;
  }

  /** "pinned" or "mutual". */
  get mode() {
    return this._session.mode;
  }

  /** 12 digits both ends derive; in mutual mode compare them with the agent's. */
  get safetyCode() {
    return this._session.safetyCode;
  }

  /** The transcript, oldest first (copies). */
  get messages() {
    return this._messages.map((m) => ({ ...m }));
  }

  /** Where the conversation stands. */
  status() {
    const forgotten = this._state === 'forgotten' || this._state === 'released';
    const s = forgotten ? null : this._session.status();
    let outcome = 'open';
    if (this._state === 'forgotten') outcome = 'forgotten';
    else if (this._deleted) outcome = 'deleted';
    else if (s && s.finished) outcome = 'finished';
    else if (s && s.closed && !s.peerClosed) outcome = 'closing';
    else if (s && s.peerClosed) outcome = 'unfinished';
    return {
      handle: this._session && !forgotten ? this.handle : null,
      mode: forgotten ? null : this.mode,
      outcome,
      closed: s ? s.closed : false,
      peerClosed: s ? s.peerClosed : false,
      connected: this._connected,
      pending: this._outbox.length,
      epoch: s ? this._session.epoch : null,
      epochsHeld: s ? this._session.epochsHeld : [],
      stateGeneration: this._saved ? this._saved.generation : 0,
    };
  }

  /** `fn(value)` on `message` (a transcript entry added or changed), `status`, `error`. Returns an unsubscribe function. */
  on(type, fn) {
    if (!['message', 'status', 'error'].includes(type) || typeof fn !== 'function') {
      throw new ClientError('invalid_input', 'on(type, fn): type is message, status or error');
    }
    if (!this._listeners.has(type)) this._listeners.set(type, new Set());
    this._listeners.get(type).add(fn);
    return () => this._listeners.get(type)?.delete(fn);
  }

  _emit(type, value) {
    for (const fn of this._listeners.get(type) ?? []) {
      try {
        fn(value);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  _live() {
    if (this._state !== 'open') {
      throw new ClientError(this._state === 'forgotten' ? 'forgotten' : 'closed', `the conversation is ${this._state}`);
    }
  }

  /** What masking would replace in `text` (categories and places; nothing is registered or sent). */
  preview(text) {
    this._live();
    const findings = scanPii(text);
    let masked = '';
    let at = 0;
    for (const f of findings) {
      masked += `${text.slice(at, f.start)}[${f.category.toUpperCase()}]`;
      at = f.end;
    }
    return { findings, text: masked + text.slice(at) };
  }

  /**
   * Seals `text` (masked unless `mask: false`), saves, and posts it; resolves with its transcript
   * entry once the relay stored it (or once it is queued, if the relay is unreachable: it is
   * sent again on reconnect, byte for byte, so the relay stores it once).
   */
  async send(text, { mask = this._mask, labels = this._labels } = {}) {
    this._live();
    if (typeof text !== 'string') throw new ClientError('invalid_input', 'send(text): text must be a string');
    const s = this._session;
    const sentAs = mask ? s.maskText(text).text : text;
    const envelope = s.sealText(text, { mask: Boolean(mask), labels, subject: this._subject });
    return this._queue(envelope, { text, sentAs, masked: sentAs !== text });
  }

  async _queue(envelope, { text, sentAs, masked, close = false }) {
    const { header, metadata } = inspect(envelope);
    const message = {
      id: `i2r:${header.seq}`,
      direction: 'sent',
      role: 'visitor',
      text,
      sentAs,
      masked,
      pii: Object.fromEntries(Object.entries(metadata.pii).filter(([, n]) => n > 0)),
      seq: header.seq,
      epoch: header.epoch,
      close,
      state: 'sending',
      at: Date.now(),
    };
    this._outbox.push({ seq: header.seq, envelope: toText(envelope) });
    if (text !== '' || !close) this._messages.push(message);
    await this._save();
    this._emit('message', { ...message });
    await this._flush();
    return { ...(this._messages.find((m) => m.id === message.id) ?? message) };
  }

  /**
   * Sends `text`, then yields the next reply as it streams: each value is the reply so far, with
   * placeholders filled in (restored) for display.
   */
  async *ask(text, options) {
    this._live();
    const seq = this._session.nextSendSeq; // listen first: a reply may stream in while saving
    const queue = [];
    let wake = null;
    const off = this.on('message', (m) => {
      if (m.direction === 'received' && m.after >= seq) {
        queue.push(m);
        wake?.();
      }
    });
    try {
      await this.send(text, options);
      for (;;) {
        while (queue.length === 0) {
          if (this._state !== 'open' && this._state !== 'closed') return;
          await new Promise((resolve) => {
            wake = resolve;
          });
          wake = null;
        }
        const m = queue.shift();
        if (m.state === 'unreadable' || m.state === 'broken') {
          throw new ClientError('tampered', `the reply could not be read (${m.error ?? m.state})`);
        }
        yield m.text;
        // An interrupted stream is followed by the whole answer: keep reading.
        if (m.state === 'received') return;
      }
    } finally {
      off();
    }
  }

  /**
   * Sends this end's close (optionally with a last text, masked like `send` unless `mask: false`);
   * the reply's close makes it "finished".
   */
  async close(text = '', { mask = this._mask } = {}) {
    this._live();
    if (typeof text !== 'string') throw new ClientError('invalid_input', 'close(text): text must be a string');
    const masking = Boolean(mask) && text !== '';
    const sentAs = masking ? this._session.maskText(text).text : text;
    const envelope = this._session.close(text, { mask: masking, subject: this._subject });
    this._state = 'closed';
    const entry = await this._queue(envelope, { text, sentAs, masked: sentAs !== text, close: true });
    this._ended();
    return entry;
  }

  /** Asks for a new key epoch now (the next turn carries it); the policy also does it on schedule. */
  rekeyNow() {
    this._live();
    this._session.rekeyNow();
  }

  /**
   * Crypto-shredding: destroys the session's keys and the PII originals, deletes the saved
   * state and transcript, and asks the relay to delete its copy (the relay then asks the service
   * to forget its end). Returns the session's deletion record and the relay's answer.
   */
  async forget() {
    if (this._state === 'forgotten') throw new ClientError('forgotten', 'already forgotten');
    const handle = this.handle;
    this._stop();
    const deletion = this._session.forget();
    this._session.free();
    this._state = 'forgotten';
    this._messages = [];
    this._outbox = [];
    await this._saving.catch(() => {});
    await this._store.delete([this._name, `${this._name}#checkpoint`]);
    let relay = null;
    let relayError = null;
    if (this._posted && !this._deleted) {
      try {
        relay = await this._transport.remove(handle);
      } catch (e) {
        relayError = e;
      }
    }
    await this._release();
    this._emitStatus();
    return { deletion, relay, relayError };
  }

  /** Lets go of the conversation without closing it (saved; another tab may open it). */
  async release() {
    if (this._state === 'forgotten' || this._state === 'released') return;
    this._stop();
    await this._saving.catch(() => {});
    this._session.free();
    this._state = 'released';
    await this._release();
  }

  _stop() {
    this._subToken = null;
    this._sub?.close();
    this._sub = null;
    if (this._retry) clearTimeout(this._retry);
    this._retry = null;
    this._connected = false;
  }

  _emitStatus() {
    this._emit('status', this.status());
  }

  async _start() {
    if (!this._saved) await this._save();
    this._emitStatus();
    await this._flush();
    const { closed, peerClosed } = this._session.status();
    if (this._posted && !(closed && peerClosed)) this._subscribe();
  }

  _journal() {
    return { messages: this._messages, outbox: this._outbox, cursor: this._cursor, posted: this._posted, deleted: this._deleted };
  }

  /** Saves after the current change; saves run one at a time and a burst collapses into one. */
  _save() {
    this._dirty = true;
    this._saving = this._saving
      .catch(() => {})
      .then(async () => {
        if (!this._dirty || this._state === 'forgotten' || this._state === 'released') return;
        this._dirty = false;
        const { record, checkpoint } = await sealRecord(this._session, this._journal(), this._kek);
        await this._store.put({ [this._name]: record, [`${this._name}#checkpoint`]: checkpoint });
        this._saved = checkpoint;
      });
    return this._saving;
  }

  /** Posts the outbox in order; on a retryable failure, tries again later (and on reconnect). */
  _flush() {
    if (this._flushing) return this._flushing;
    let settle;
    this._flushing = new Promise((resolve) => {
      settle = resolve;
    });
    (async () => {
      try {
        while (this._outbox.length && this._state !== 'forgotten' && this._state !== 'released') {
          const item = this._outbox[0];
          let posted;
          try {
            posted = await this._transport.post(fromText(item.envelope));
          } catch (e) {
            this._emit('error', e);
            if (e.retryable || e.code === 'offline') {
              this._scheduleRetry();
              return;
            }
            this._outbox.shift();
            this._mark(`i2r:${item.seq}`, { state: 'failed', error: e.relayCode ?? e.code });
            await this._save();
            continue;
          }
          this._backoff = 250;
          this._outbox.shift();
          this._mark(`i2r:${item.seq}`, { state: 'sent', stored: posted.stored });
          const first = !this._posted;
          this._posted = true;
          await this._save();
          if (first) this._subscribe();
        }
      } finally {
        const flushed = this._flushing;
        this._flushing = null;
        settle();
        if (this._state !== 'forgotten' && this._state !== 'released') this._emitStatus();
        void flushed;
      }
    })();
    return this._flushing;
  }

  _scheduleRetry() {
    if (this._retry || this._state === 'forgotten' || this._state === 'released') return;
    const wait = this._backoff;
    this._backoff = Math.min(this._backoff * 2, 5000);
    this._retry = setTimeout(() => {
      this._retry = null;
      this._flush();
      if (this._posted && !this._sub) this._subscribe();
    }, wait);
  }

  _mark(id, changes) {
    const m = this._messages.find((x) => x.id === id);
    if (!m) return;
    Object.assign(m, changes);
    this._emit('message', { ...m });
  }

  _subscribe() {
    if (this._sub || this._deleted || this._state === 'forgotten' || this._state === 'released') return;
    // A transport may deliver stored rows synchronously, inside subscribe(): handlers check a
    // token set before the call, not the returned object.
    const token = {};
    this._subToken = token;
    this._sub = { close() {} };
    const sub = this._transport.subscribe(this.handle, this._cursor, {
      onRow: (row) => {
        if (this._subToken !== token) return;
        if (!this._connected) {
          this._connected = true;
          this._backoff = 250;
          this._emitStatus();
        }
        this._row(row);
      },
      onDeleted: () => {
        if (this._subToken !== token) return;
        this._deleted = true;
        this._stop();
        this._save();
        this._emitStatus();
      },
      onDown: (e) => {
        if (this._subToken !== token) return;
        this._subToken = null;
        this._sub = null;
        this._connected = false;
        this._emit('error', e);
        this._emitStatus();
        this._scheduleRetry();
      },
    });
    if (this._subToken === token) this._sub = sub;
    else sub.close();
    // Rows already stored count as connected once the first arrives; an idle socket is
    // connected too, so say so after a moment without errors.
    setTimeout(() => {
      if (this._subToken === token && !this._connected) {
        this._connected = true;
        this._emitStatus();
      }
    }, 300);
    this._flush();
  }

  _row(row) {
    const [i2r, r2i] = this._cursor.split('.').map(Number);
    if (row.direction === 'i2r') {
      if (row.seq >= i2r) this._cursor = `${row.seq + 1}.${r2i}`;
      return;
    }
    if (row.seq < r2i) return; // seen before (a resend or an overlap after reconnecting)
    this._cursor = `${i2r}.${row.seq + 1}`;
    this._receive(row);
    this._save();
  }

  /** Opens one reply envelope into the transcript; a failure becomes a visible entry, never a throw. */
  _receive(row) {
    if (this._state === 'forgotten' || this._state === 'released') return;
    let turn;
    try {
      turn = this._session.open(fromText(row.envelope));
    } catch (e) {
      if (e.code === 'duplicate') return;
      const stream = this._openStream();
      if (stream) this._mark(stream.id, { state: 'broken' });
      const entry = {
        id: `r2i:${row.seq}`,
        direction: 'received',
        role: row.role,
        text: '',
        seq: row.seq,
        after: this._lastSent(),
        state: 'unreadable',
        error: e.code ?? 'invalid_input',
        at: Date.now(),
      };
      this._messages.push(entry);
      this._emit('message', { ...entry });
      this._emit('error', new ClientError('tampered', `a stored reply could not be opened (${entry.error})`, { cause: e }));
      return;
    }
    const { header, metadata } = turn;
    const labels = Object.fromEntries(metadata.labels);
    const open = this._openStream();
    if (header.stream) {
      const start = header.stream.start;
      let entry = open && open.seq === start ? open : null;
      if (!entry) {
        if (open) this._mark(open.id, { state: 'broken' });
        entry = this._newReply(turn, start);
      }
      entry.raw += turn.text;
      this._fill(entry);
      if (header.stream.end) {
        entry.state = labels['svc.interrupted'] !== undefined ? 'interrupted' : 'received';
        entry.last = header.seq;
      }
      if (labels['mod.flag']) entry.flag = labels['mod.flag'];
      this._emit('message', this._public(entry));
    } else {
      if (open) this._mark(open.id, { state: 'broken' });
      if (turn.text !== '' || !header.close) {
        const entry = this._newReply(turn, header.seq);
        entry.raw = turn.text;
        entry.state = 'received';
        if (labels['mod.flag']) entry.flag = labels['mod.flag'];
        this._fill(entry);
        this._emit('message', this._public(entry));
      }
    }
    if (header.close) this._ended();
  }

  /** Both ends closed: nothing more can arrive, so stop following (a Node process can exit). */
  _ended() {
    const s = this._session.status();
    if (s.closed && s.peerClosed) this._stop();
    this._emitStatus();
  }

  _lastSent() {
    for (let i = this._messages.length - 1; i >= 0; i--) if (this._messages[i].direction === 'sent') return this._messages[i].seq;
    return -1;
  }

  _openStream() {
    const last = this._messages[this._messages.length - 1];
    return last && last.direction === 'received' && last.state === 'streaming' ? last : null;
  }

  _newReply(turn, seq) {
    const entry = {
      id: `r2i:${seq}`,
      direction: 'received',
      role: turn.metadata.role,
      text: '',
      raw: '',
      withheld: 0,
      seq,
      after: this._lastSent(),
      epoch: turn.header.epoch,
      state: 'streaming',
      at: Date.now(),
    };
    this._messages.push(entry);
    return entry;
  }

  /** Fills placeholders back in (locally, plain text only; inside links they stay masked). */
  _fill(entry) {
    const restored = this._session.restore(entry.raw);
    entry.text = restored.text;
    entry.withheld = restored.withheld.length;
  }

  _public(entry) {
    return { ...entry };
  }
}
