// Where a conversation is kept: key-value stores of sealed records (see vault.js). Each store
// keeps, per conversation name, the sealed record and its checkpoint, and may hold the KEK
// (a non-extractable CryptoKey) and lock a name so that one tab or process owns it.
import { ClientError } from './errors.js';

/** In memory (lost with the page or process): tests, and Node without a file. */
export function memoryStore() {
  const map = new Map();
  const held = new Set();
  return {
    kind: 'memory',
    get: async (key) => map.get(key) ?? null,
    async put(entries) {
      for (const [k, v] of Object.entries(entries)) map.set(k, v);
    },
    async delete(keys) {
      for (const k of keys) map.delete(k);
    },
    holdsCryptoKeys: true,
    async lock(name) {
      if (held.has(name)) return null;
      held.add(name);
      return () => held.delete(name);
    },
  };
}

const done = (request) =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

/**
 * IndexedDB (browsers, workers): one object store; a record and its checkpoint are written in one
 * transaction. Names are locked with Web Locks (`navigator.locks`), so one tab owns a conversation.
 */
export function idbStore(database = 'chatseal-client') {
  if (typeof indexedDB === 'undefined') throw new ClientError('unsupported', 'idbStore needs IndexedDB');
  let db = null;
  const open = async () => {
    if (db) return db;
    const request = indexedDB.open(database, 1);
    request.onupgradeneeded = () => request.result.createObjectStore('kv');
    db = await done(request);
    db.onversionchange = () => {
      db.close();
      db = null;
    };
    return db;
  };
  const tx = async (mode, fn) => {
    const t = (await open()).transaction('kv', mode);
    const result = fn(t.objectStore('kv'));
    await new Promise((resolve, reject) => {
      t.oncomplete = () => resolve();
      t.onerror = t.onabort = () => reject(t.error);
    });
    return result;
  };
  return {
    kind: 'indexeddb',
    async get(key) {
      const request = await tx('readonly', (s) => s.get(key));
      return request.result ?? null;
    },
    put: (entries) =>
      tx('readwrite', (s) => {
        for (const [k, v] of Object.entries(entries)) s.put(v, k);
      }),
    delete: (keys) =>
      tx('readwrite', (s) => {
        for (const k of keys) s.delete(k);
      }),
    holdsCryptoKeys: true,
    lock: (name) => webLock(`chatseal:${database}:${name}`),
    close() {
      if (db) db.close();
      db = null;
    },
  };
}

/** Takes a Web Lock if free: its release function, or null if another tab holds it. */
export function webLock(name) {
  const locks = globalThis.navigator?.locks;
  if (!locks) return Promise.resolve(() => {});
  return new Promise((resolve, reject) => {
    locks
      .request(name, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(null);
          return undefined;
        }
        return new Promise((release) => resolve(() => release()));
      })
      .catch(reject);
  });
}

/** Files (Node): see node.js; elsewhere it is refused. */
export function fileStore() {
  throw new ClientError('unsupported', 'fileStore needs Node (import chatseal/client in Node)');
}
