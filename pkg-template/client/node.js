// chatseal/client in Node: the same API, plus a file store. (Browsers and bundlers get index.js,
// whose fileStore refuses: no node: import reaches a browser bundle.)
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClientError } from './errors.js';

export * from './index.js';

const toJson = (value) =>
  JSON.stringify(value, (_, v) => (v instanceof Uint8Array ? { $bytes: Buffer.from(v).toString('base64') } : v));
const fromJson = (text) =>
  JSON.parse(text, (_, v) =>
    v && typeof v === 'object' && typeof v.$bytes === 'string' && Object.keys(v).length === 1
      ? new Uint8Array(Buffer.from(v.$bytes, 'base64'))
      : v,
  );

const fileName = (key) => `${encodeURIComponent(key).replace(/%/g, '_')}.json`;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/**
 * Files in `dir` (created, mode 0700; files 0600), each written to a temporary name and renamed,
 * so a crash never leaves half a record. The KEK must be passed to `connect` (a file cannot hold
 * a non-extractable key): keep it in the environment or a KMS, never beside the files.
 * `checkpointDir` puts the checkpoints elsewhere (where a restored backup of `dir` does not
 * reach), so a rolled-back copy of the records is refused.
 */
export function fileStore(dir, { checkpointDir = dir } = {}) {
  if (typeof dir !== 'string' || !dir) throw new ClientError('invalid_input', 'fileStore(dir): dir must be a path');
  const where = (key) => join(key.endsWith('#checkpoint') ? checkpointDir : dir, fileName(key));
  const ready = Promise.all([mkdir(dir, { recursive: true, mode: 0o700 }), mkdir(checkpointDir, { recursive: true, mode: 0o700 })]);
  return {
    kind: 'file',
    async get(key) {
      await ready;
      try {
        return fromJson(await readFile(where(key), 'utf8'));
      } catch (e) {
        if (e.code === 'ENOENT') return null;
        throw e;
      }
    },
    async put(entries) {
      await ready;
      // The record first, then its checkpoint: a crash in between leaves a record newer than
      // its checkpoint, which opens; never a checkpoint without its record.
      const keys = Object.keys(entries).sort((a, b) => Number(a.endsWith('#checkpoint')) - Number(b.endsWith('#checkpoint')));
      for (const key of keys) {
        const path = where(key);
        await writeFile(`${path}.tmp`, toJson(entries[key]), { mode: 0o600 });
        await rename(`${path}.tmp`, path);
      }
    },
    async delete(keys) {
      await ready;
      for (const key of keys) await rm(where(key), { force: true });
    },
    holdsCryptoKeys: false,
    async lock(name) {
      await ready;
      const path = join(dir, `${fileName(name)}.lock`);
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          const handle = await open(path, 'wx', 0o600);
          await handle.writeFile(String(process.pid));
          await handle.close();
          return () => rm(path, { force: true });
        } catch (e) {
          if (e.code !== 'EEXIST') throw e;
          const pid = Number(await readFile(path, 'utf8').catch(() => '0'));
          if (pid && alive(pid)) return null;
          await rm(path, { force: true }); // left by a process that died
        }
      }
      return null;
    },
  };
}
