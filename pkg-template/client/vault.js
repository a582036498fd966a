// Sealing a conversation for storage: the session's own `exportState` blob under a fresh data key,
// the client's journal (transcript, outbox, cursor) under the same data key with AES-GCM (its
// additional data binds it to that one export), and the data key wrapped under the KEK. Nothing
// is stored in plaintext; a journal of another export, a swapped or rolled-back state is refused.
import { Session, stateInfo } from 'chatseal';
import { ClientError } from './errors.js';

const FORMAT = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function subtle() {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new ClientError('unsupported', 'WebCrypto (crypto.subtle) is needed to keep a conversation');
  return s;
}

/** A 32-byte Uint8Array or an AES-GCM CryptoKey, as the AES-GCM key that wraps data keys. */
export async function kekKey(kek) {
  if (kek instanceof Uint8Array) {
    if (kek.length !== 32) throw new ClientError('invalid_input', 'kek must be 32 bytes');
    return subtle().importKey('raw', kek, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  }
  if (kek && typeof kek === 'object' && kek.type === 'secret' && kek.algorithm?.name === 'AES-GCM') return kek;
  throw new ClientError('invalid_input', 'kek must be 32 bytes (Uint8Array) or an AES-GCM CryptoKey');
}

/** A new non-extractable AES-GCM key (its bytes never reach JavaScript). */
export const newKek = () => subtle().generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);

const aad = (handle, generation, exportId) => encoder.encode(`chatseal-client/${FORMAT}|${handle}|${generation}|${exportId}`);

async function gcm(op, key, iv, data, additionalData) {
  const k = key instanceof Uint8Array ? await subtle().importKey('raw', key, 'AES-GCM', false, [op]) : key;
  const params = additionalData ? { name: 'AES-GCM', iv, additionalData } : { name: 'AES-GCM', iv };
  return new Uint8Array(await subtle()[op](params, k, data));
}

/**
 * Seals `session` and `journal` (JSON-able) under `kek` (AES-GCM CryptoKey). Returns the record
 * to store and the checkpoint ({ handle, generation, exportId }) to keep beside it.
 */
export async function sealRecord(session, journal, kek) {
  const dataKey = crypto.getRandomValues(new Uint8Array(32));
  try {
    const state = session.exportState(dataKey);
    const { handle, generation, exportId } = stateInfo(state);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const wrapIv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = await gcm('encrypt', dataKey, iv, encoder.encode(JSON.stringify(journal)), aad(handle, generation, exportId));
    const wrapped = await gcm('encrypt', kek, wrapIv, dataKey, aad(handle, generation, exportId));
    const record = { format: FORMAT, handle, generation, exportId, state, journal: sealed, iv, wrapped, wrapIv };
    return { record, checkpoint: { handle, generation, exportId } };
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Opens a stored record against its checkpoint: the session and the journal. Refuses (code
 * `tampered`) a record of another session, one older than the checkpoint, another export of the
 * same generation, a journal of another export, or anything altered.
 */
export async function openRecord(record, checkpoint, kek) {
  if (!record || record.format !== FORMAT || !(record.state instanceof Uint8Array)) {
    throw new ClientError('tampered', 'the stored conversation is not one this client wrote');
  }
  let info;
  try {
    info = stateInfo(record.state);
  } catch (cause) {
    throw new ClientError('tampered', 'the stored session state is unreadable', { cause });
  }
  if (checkpoint) {
    if (info.handle !== checkpoint.handle) {
      throw new ClientError('tampered', 'the stored state belongs to another conversation (swapped)');
    }
    // Newer is fine (a crash between writing the state and its checkpoint); older is a rollback.
    if (info.generation < checkpoint.generation) {
      throw new ClientError('tampered', 'the stored state is older than the last one saved (stale copy)');
    }
    if (info.generation === checkpoint.generation && info.exportId !== checkpoint.exportId) {
      throw new ClientError('tampered', 'the stored state is not the export last saved');
    }
  }
  const bind = aad(info.handle, info.generation, info.exportId);
  let dataKey;
  try {
    dataKey = await gcm('decrypt', kek, record.wrapIv, record.wrapped, bind);
  } catch (cause) {
    throw new ClientError('tampered', 'the stored key does not open under this KEK (wrong KEK or altered)', { cause });
  }
  try {
    const session = Session.importState(record.state, dataKey, info.handle, {
      minGeneration: checkpoint ? checkpoint.generation : 0,
    });
    let journal;
    try {
      journal = JSON.parse(decoder.decode(await gcm('decrypt', dataKey, record.iv, record.journal, bind)));
    } catch (cause) {
      session.free();
      throw new ClientError('tampered', 'the stored transcript does not belong to this state', { cause });
    }
    return { session, journal, checkpoint: { handle: info.handle, generation: info.generation, exportId: info.exportId } };
  } catch (e) {
    if (e instanceof ClientError) throw e;
    throw new ClientError('tampered', `the stored session state was refused (${e.code ?? e.name})`, { cause: e });
  } finally {
    dataKey.fill(0);
  }
}
