// chatseal/client against a hostile store and transport, in Node: a swapped, stale or altered
// saved conversation is refused; a reply altered in storage shows as unreadable (never thrown
// out of a listener); a turn queued while the relay is down is posted again byte for byte and
// stored once; one process owns a conversation; the rekey schedule moves epochs and drops old
// keys; forget leaves nothing behind. (The client against the real relay: tests/e2e/.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as cs from 'chatseal';
import { connect, memoryStore } from 'chatseal/client';

/** The package's Service behind a transport of ours, with knobs for the attacks. */
function backend() {
  const keyring = new cs.ServiceKeyring();
  const publicKey = keyring.generateKey();
  const service = new cs.Service(keyring, crypto.getRandomValues(new Uint8Array(32)), new cs.MemoryRecordStore());
  const rows = [];
  const subs = new Set();
  const posts = [];
  const opened = [];
  let handle = null;
  const b = {
    publicKey,
    rows,
    posts,
    opened,
    down: false,
    tamperReplies: false,
    store(envelope) {
      const info = cs.inspect(envelope);
      const row = { direction: info.header.direction, seq: info.header.seq, role: info.metadata.role, envelope: cs.toText(envelope) };
      if (rows.some((r) => r.direction === row.direction && r.seq === row.seq)) return { row, stored: false };
      rows.push(row);
      for (const s of subs) s(row);
      return { row, stored: true };
    },
    reply(text) {
      let env = service.sealText(handle, text);
      if (b.tamperReplies) {
        env = env.slice();
        env[env.length - 1] ^= 1;
      }
      b.store(env);
    },
    transport: {
      async post(envelope) {
        posts.push(cs.toText(envelope));
        if (b.down) throw Object.assign(new Error('offline'), { code: 'offline', retryable: true });
        const { row, stored } = b.store(envelope);
        if (stored) {
          const got = handle === null ? service.accept(envelope) : service.open(envelope);
          handle = got.handle;
          opened.push(got.turn.text);
          if (!got.turn.header.close) b.reply(`re ${row.seq}`);
        }
        return { stored, seq: row.seq, direction: row.direction };
      },
      rows: async () => ({ envelopes: rows.slice(), cursor: '' }),
      remove: async () => ({ tombstone: {} }),
      offer: async () => null,
      answer: async () => null,
      subscribe(_h, since, { onRow }) {
        const [i2r, r2i] = since.split('.').map(Number);
        for (const r of rows.slice()) if (r.seq >= (r.direction === 'i2r' ? i2r : r2i)) onRow(r);
        subs.add(onRow);
        return { close: () => subs.delete(onRow) };
      },
    },
  };
  return b;
}

const until = async (fn, what) => {
  for (let i = 0; i < 200; i++) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

const open = (b, store, extra = {}) =>
  connect({ transport: b.transport, servicePublicKey: b.publicKey, store, kek: extra.kek ?? KEK, name: extra.name ?? 'c', ...extra });
const KEK = crypto.getRandomValues(new Uint8Array(32));

test('a saved conversation resumes; a swapped, stale or altered copy is refused as tampered', async () => {
  const b = backend();
  const store = memoryStore();
  const chat = await open(b, store);
  await chat.send('first');
  await until(() => chat.messages.some((m) => m.state === 'received'), 'the reply');
  const stale = await store.get('c'); // an older copy of the record
  await chat.send('second');
  await until(() => chat.messages.filter((m) => m.state === 'received').length === 2, 'the second reply');
  await chat.release();

  const again = await open(b, store);
  assert.deepEqual(again.messages.map((m) => m.text), ['first', 're 0', 'second', 're 1']);
  await again.release();

  // Another conversation's record under this name (the checkpoint names the expected one).
  const other = memoryStore();
  const chat2 = await open(backend(), other);
  await chat2.send('elsewhere');
  await chat2.release();
  const genuine = await store.get('c');
  await store.put({ c: await other.get('c') });
  await assert.rejects(open(b, store), { code: 'tampered', message: /another conversation/ });
  // A rolled-back copy.
  await store.put({ c: stale });
  await assert.rejects(open(b, store), { code: 'tampered', message: /older/ });
  // The transcript of one export beside the state of another.
  await store.put({ c: { ...genuine, journal: stale.journal, iv: stale.iv } });
  await assert.rejects(open(b, store), { code: 'tampered' });
  // Altered bytes; the wrong KEK.
  const flipped = genuine.journal.slice();
  flipped[3] ^= 1;
  await store.put({ c: { ...genuine, journal: flipped } });
  await assert.rejects(open(b, store), { code: 'tampered' });
  await store.put({ c: genuine });
  await assert.rejects(open(b, store, { kek: crypto.getRandomValues(new Uint8Array(32)) }), { code: 'tampered', message: /KEK/ });
  const ok = await open(b, store);
  assert.equal(ok.messages.length, 4);
  await ok.forget();
  assert.equal(await store.get('c'), null);
  assert.equal(await store.get('c#checkpoint'), null);
});

test('nothing readable is stored: no text, no KEK bytes', async () => {
  const b = backend();
  const store = memoryStore();
  const chat = await open(b, store);
  await chat.send('my secret is 4111 1111 1111 1111', { mask: false });
  await until(() => chat.messages.some((m) => m.state === 'received'), 'the reply');
  await chat.release();
  const record = await store.get('c');
  const bytes = [record.state, record.journal, record.wrapped].map((a) => Buffer.from(a).toString('latin1')).join('');
  for (const s of ['secret', '4111', 're 0']) assert.ok(!bytes.includes(s), s);
  assert.ok(!Buffer.from(bytes, 'latin1').includes(Buffer.from(KEK)));
});

test('a reply altered in storage becomes an unreadable entry, not an exception', async () => {
  const b = backend();
  b.tamperReplies = true;
  const chat = await open(b, memoryStore());
  const errors = [];
  chat.on('error', (e) => errors.push(e.code));
  await chat.send('hi');
  await until(() => chat.messages.some((m) => m.state === 'unreadable'), 'the unreadable entry');
  const bad = chat.messages.find((m) => m.state === 'unreadable');
  assert.equal(bad.error, 'decrypt_failed');
  assert.equal(bad.text, '');
  assert.deepEqual(errors, ['tampered']);
  await assert.rejects(async () => {
    for await (const _ of chat.ask('again')) { /* the altered reply */ }
  }, { code: 'tampered' });
  await chat.forget();
});

test('a turn sealed while the relay is down is posted again byte for byte and stored once', async () => {
  const b = backend();
  const chat = await open(b, memoryStore());
  await chat.send('one');
  b.down = true;
  const queued = await chat.send('two');
  assert.equal(queued.state, 'sending');
  assert.equal(chat.status().pending, 1);
  b.down = false;
  await until(() => chat.status().pending === 0, 'the resend');
  const twos = b.posts.filter((p) => cs.inspect(cs.fromText(p)).header.seq === 1);
  assert.ok(twos.length >= 2, 'posted again');
  assert.equal(new Set(twos).size, 1, 'the resend is the same bytes');
  assert.equal(b.rows.filter((r) => r.direction === 'i2r').length, 2);
  await until(() => chat.messages.filter((m) => m.state === 'received').length === 2, 'both replies');
  await chat.forget();
});

test('one owner per conversation: a second connect is refused with locked until released', async () => {
  const b = backend();
  const store = memoryStore();
  const chat = await open(b, store);
  await assert.rejects(open(b, store), { code: 'locked' });
  await chat.release();
  const again = await open(b, store);
  await again.forget();
});

test('the rekey schedule moves to new epochs and drops the old keys', async () => {
  const b = backend();
  const chat = await open(b, memoryStore(), { rekeyEveryTurns: 2 });
  for (let i = 0; i < 8; i++) {
    await chat.send(`turn ${i}`);
    await until(() => chat.messages.filter((m) => m.state === 'received').length === i + 1, `reply ${i}`);
  }
  const { epoch, epochsHeld } = chat.status();
  assert.ok(epoch >= 3, `epoch ${epoch}`);
  assert.ok(epochsHeld.length <= 2 && !epochsHeld.includes(0), `held ${epochsHeld}`);
  // The transcript still shows every turn: the client keeps it, sealed.
  assert.equal(chat.messages.filter((m) => m.direction === 'received').length, 8);
  await chat.forget();
});

test('bad options are refused with invalid_input', async () => {
  const b = backend();
  await assert.rejects(connect({ transport: b.transport, servicePublicKey: 'not base64url!' , store: memoryStore(), kek: KEK }), { code: 'invalid_input' });
  await assert.rejects(connect({ transport: b.transport, servicePublicKey: b.publicKey, store: memoryStore(), kek: new Uint8Array(5) }), { code: 'invalid_input' });
  await assert.rejects(connect({ transport: b.transport, servicePublicKey: b.publicKey, name: '../x' }), { code: 'invalid_input' });
  await assert.rejects(connect({ relay: 'ftp://x', widgetKey: 'k', servicePublicKey: b.publicKey }), { code: 'invalid_input' });
});

test('a closing text is masked like any other turn', async () => {
  const b = backend();
  const chat = await open(b, memoryStore());
  await chat.send('hello');
  await until(() => chat.messages.some((m) => m.state === 'received'), 'the reply');
  const entry = await chat.close('Bye, write to ann@example.org');
  assert.equal(b.opened.at(-1), 'Bye, write to [EMAIL_1]');
  assert.equal(entry.text, 'Bye, write to ann@example.org', 'the transcript keeps what the visitor typed');
  assert.ok(!b.posts.some((p) => Buffer.from(cs.fromText(p)).toString('latin1').includes('ann@')));
  await chat.release();
});
