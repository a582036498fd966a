// Node ESM: the package and its client (file store, a caller-supplied KEK).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as cs from 'chatseal';
import * as client from 'chatseal/client';
import { sealAndOpen } from './page-check.js';
import { loopback } from './loopback.js';

const basic = sealAndOpen(cs);
const dir = mkdtempSync(join(tmpdir(), 'chatseal-consumer-'));
try {
  const keyring = new cs.ServiceKeyring();
  const servicePublicKey = keyring.generateKey();
  const service = new cs.Service(keyring, crypto.getRandomValues(new Uint8Array(32)), new cs.MemoryRecordStore());
  const transport = loopback(cs, service);
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const open = () => client.connect({ transport, servicePublicKey, store: client.fileStore(dir), kek });
  let chat = await open();
  let clientReply = '';
  for await (const text of chat.ask('mail me at ann@example.org')) clientReply = text;
  let locked = null;
  await open().catch((e) => (locked = e.code)); // this process owns it already
  await chat.release();
  const onDisk = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
  chat = await open(); // resumed from the files
  const resumed = chat.messages.length;
  await chat.close();
  await chat.forget();
  console.log(JSON.stringify({ ...basic, clientReply, locked, resumed, plaintextOnDisk: onDisk.includes('ann@example.org') || onDisk.includes('mail me') }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
