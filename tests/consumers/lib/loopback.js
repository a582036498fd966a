// A Transport of the consumer's own (chatseal/client's transport is pluggable): the package's
// Service in the same process stands in for relay + service end, answering each visitor turn with
// a 3-chunk stream that quotes it, and closing when the visitor closes.
export function loopback(cs, service) {
  const rows = [];
  const subs = new Set();
  let handle = null;
  const store = (envelope) => {
    const info = cs.inspect(envelope);
    const row = { direction: info.header.direction, seq: info.header.seq, role: info.metadata.role, envelope: cs.toText(envelope) };
    rows.push(row);
    for (const s of subs) s(row);
    return row;
  };
  const answer = (envelope) => {
    let turn;
    if (handle === null) ({ handle, turn } = service.accept(envelope));
    else ({ turn } = service.open(envelope));
    if (turn.header.close) return store(service.close(handle));
    for (const text of ['Got ', 'it: ', turn.text]) store(service.sealChunk(handle, text, { end: false }));
    return store(service.sealChunk(handle, '', { end: true }));
  };
  return {
    async post(envelope) {
      const row = store(envelope);
      setTimeout(() => answer(envelope), 0);
      return { stored: true, seq: row.seq, direction: row.direction };
    },
    async rows() {
      return { envelopes: rows.slice(), cursor: '' };
    },
    async remove() {
      return null;
    },
    async offer() {
      throw new Error('no mailbox here');
    },
    async answer() {
      return null;
    },
    subscribe(_handle, since, { onRow }) {
      const [i2r, r2i] = since.split('.').map(Number);
      for (const r of rows) if (r.seq >= (r.direction === 'i2r' ? i2r : r2i)) onRow(r);
      subs.add(onRow);
      return { close: () => subs.delete(onRow) };
    },
  };
}

/** The client over the loopback: one masked question, its streamed reply, a proper close. */
export async function clientRound(cs, client, store) {
  const keyring = new cs.ServiceKeyring();
  const servicePublicKey = keyring.generateKey();
  const service = new cs.Service(keyring, crypto.getRandomValues(new Uint8Array(32)), new cs.MemoryRecordStore());
  const chat = await client.connect({ transport: loopback(cs, service), servicePublicKey, store, name: `c${Date.now()}` });
  let clientReply = '';
  for await (const text of chat.ask('mail me at ann@example.org')) clientReply = text;
  await chat.close();
  const status = chat.status();
  const sentAs = chat.messages[0].sentAs;
  await chat.forget();
  service.free();
  keyring.free();
  return { clientReply, sentAs, outcome: status.outcome };
}
