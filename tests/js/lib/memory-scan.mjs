// The memory-scan test: after each point where the package promises secrets are gone (an old
// epoch dropped, forget(), free(), a key retired, a call that held a key or plaintext only for
// its duration), the whole WebAssembly.Memory buffer is searched for every 8-byte piece of the
// secrets that should be gone. Needs the test-hooks package flavour (scripted randomness for the
// visitor, so its handshake secret is known in advance, and a copy of a session's keys). Runs in
// Node (tests/js/memory-scan.test.mjs) and in Chromium and Firefox (tests/page/suites.test.mjs).
import { random } from './check.mjs';

const PIECE = 8;

/**
 * Random text that cannot occur by chance (no words: those occur in the module's own strings):
 * the bytes are looked for, 8 at a time. `what` only names it.
 */
function canary(what) {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return [...random(96 + what.length % 7)].map((b) => letters[b % letters.length]).join('');
}

/** The `PIECE`-byte pieces of each secret, aligned, labelled. */
function pieces(secrets) {
  const out = [];
  for (const [label, bytes] of secrets) {
    for (let at = 0; at + PIECE <= bytes.length; at += PIECE) out.push({ label, bytes: bytes.slice(at, at + PIECE) });
  }
  return out;
}

const keys = (label, blob) => {
  const out = [];
  for (let i = 0; i < blob.length; i += 32) out.push([`${label}[${i / 32}]`, blob.slice(i, i + 32)]);
  return out;
};

const text = (label, value) => [[label, new TextEncoder().encode(value)]];

/** Labels of the secrets with a piece anywhere in `memory`. */
export function scan(memory, secrets) {
  const index = new Map();
  for (const p of pieces(secrets)) {
    const key = (p.bytes[0] | (p.bytes[1] << 8) | (p.bytes[2] << 16) | (p.bytes[3] << 24)) >>> 0;
    if (!index.has(key)) index.set(key, []);
    index.get(key).push(p);
  }
  const bytes = new Uint8Array(memory.buffer);
  const view = new DataView(memory.buffer);
  const found = new Map();
  for (let i = 0; i + PIECE <= bytes.length; i++) {
    const key = view.getUint32(i, true);
    if (key === 0) continue;
    const candidates = index.get(key);
    if (!candidates) continue;
    for (const p of candidates) {
      let same = true;
      for (let j = 4; j < PIECE; j++) if (bytes[i + j] !== p.bytes[j]) same = false;
      if (same) found.set(p.label, (found.get(p.label) ?? []).concat(i));
    }
  }
  return [...found.entries()].map(([label, at]) => `${label} at ${at.join(', ')}`);
}

/**
 * Runs the scenario; returns [{ step, looked: number of secrets, found: [...] }]. The scan of
 * a secret still in use is a control: it must be found (the scan works).
 */
export function runMemoryScan(cs, memory) {
  const results = [];
  let visitor = null;
  // The two ends of a session hold the same keys: a service key the (live) visitor still holds
  // is in memory legitimately, and is not looked for.
  const inUse = (secrets) => {
    if (!visitor) return secrets;
    const live = keys('visitor', visitor.__testSecrets()).map(([, b]) => b.join());
    return secrets.filter(([, bytes]) => !live.includes(bytes.join()));
  };
  const check = (step, secrets) => {
    const looked = inUse(secrets);
    results.push({ step, looked: looked.length, found: scan(memory, looked) });
  };
  const control = (step, secrets) => results.push({ step, control: true, looked: secrets.length, found: scan(memory, secrets) });

  const serviceSecret = random(32);
  const recordKey = random(32);
  const kek = random(32);
  const script = random(64 * 1024);
  const keyring = new cs.ServiceKeyring();
  const publicKey = keyring.importKey(serviceSecret.slice());
  const service = new cs.Service(keyring, recordKey, new cs.MemoryRecordStore());
  control('control: the service secret and record key are in memory while in use', [['service secret', serviceSecret], ['record key', recordKey]]);

  visitor = cs.Session.__testInitiatePinned(publicKey, script, undefined);
  const epoch0 = keys('visitor epoch 0', visitor.__testSecrets());
  const handshake = [['hello ephemeral secret (first 32 scripted bytes)', script.slice(0, 32)]];
  control('control: the visitor keys are in memory while in use', epoch0);

  const first = canary('first turn');
  const { handle, turn } = service.accept(visitor.sealText(first));
  if (turn.text !== first) throw new Error('the first turn did not open');
  const serviceEpochs = keys('service session', service.__testSecrets(handle));
  check('after sealText and Service.accept: the plaintext and the service session keys', [...text('first plaintext', first), ...serviceEpochs]);

  const reply = canary('service reply');
  const opened = visitor.open(service.sealText(handle, reply));
  if (opened.text !== reply || visitor.epoch !== 1) throw new Error('the reply did not move the visitor to epoch 1');
  check('after the first reply: epoch 0 dropped, the hello secret gone, the reply plaintext gone', [
    ...epoch0, ...handshake, ...text('reply plaintext', reply), ...serviceEpochs,
  ]);

  const later = canary('later turn');
  const laterService = keys('service session (later)', service.__testSecrets(handle));
  service.open(visitor.sealText(later));
  check('after Service.open: its plaintext and the session keys it loaded', [...text('later plaintext', later), ...laterService]);

  const blob = visitor.exportState(kek.slice());
  check('after exportState: the KEK', [['kek', kek]]);
  const restored = cs.Session.importState(blob, kek.slice(), visitor.handle);
  restored.free();
  check('after importState and free of the copy: the KEK', [['kek', kek]]);

  // Rekeying by request: the old epoch's keys go once both ends moved on.
  const epoch1 = keys('visitor epoch 1', visitor.__testSecrets());
  visitor.rekeyNow();
  for (let i = 0; i < 3; i++) {
    service.open(visitor.sealText(`turn ${i}`));
    visitor.open(service.sealText(handle, `reply ${i}`));
  }
  if (visitor.epoch < 2) throw new Error(`rekeyNow did not move to epoch 2 (epoch ${visitor.epoch})`);
  check('after rekeyNow: epoch 1 dropped', epoch1);

  // Masking: the originals live in the vault (a control) until forget().
  const email = `${canary('email').slice(0, 28).toLowerCase()}@example.org`;
  const masked = canary('masked turn');
  const present = [];
  if (typeof cs.scanPii === 'function') {
    const envelope = visitor.sealText(`${masked} mail ${email} thanks`, { mask: true });
    const seen = service.open(envelope).turn.text;
    if (!seen.includes('[EMAIL_1]')) throw new Error('masking did not happen');
    const back = visitor.restore(visitor.open(service.sealText(handle, `wrote to [EMAIL_1] ${reply}`)).text);
    if (!back.text.includes(email)) throw new Error('restore did not fill the placeholder in');
    check('after a masked seal and a restore: the turn text around the PII', text('masked plaintext', masked));
    control('control: the vault holds the original while the session lives', text('email in the vault', email));
    present.push(...text('email in the vault', email));
  }
  const current = keys('visitor current', visitor.__testSecrets());
  const record = visitor.forget();
  if (record.keysDeleted < 3) throw new Error('forget deleted too few keys');
  const forgotten = visitor;
  visitor = null;
  check('after forget(): the session keys and the vault', [...current, ...present]);
  forgotten.free();

  // free() without forget().
  const other = cs.Session.initiatePinned(publicKey);
  const otherKeys = keys('freed session', other.__testSecrets());
  service.accept(other.sealText(canary('other')));
  other.free();
  check('after free(): the session keys', otherKeys);

  // A pseudonym key, freed.
  const pseudonymSecret = random(32);
  const pseudonyms = new cs.PseudonymKey(pseudonymSecret.slice());
  pseudonyms.pseudonym('user-1');
  pseudonyms.free();
  check('after PseudonymKey.free(): its key', [['pseudonym key', pseudonymSecret]]);

  // A retired key, then the service and the keyring freed.
  keyring.retireKey(cs.keyIdOf(publicKey));
  check('after retireKey: the service secret', [['service secret', serviceSecret]]);
  service.free();
  keyring.free();
  check('after Service.free(): the record key', [['record key', recordKey]]);
  return results;
}

/** Problems in the results: a residue found, or a control not found. */
export function residues(results) {
  const out = [];
  for (const r of results) {
    if (r.control && r.found.length === 0) out.push(`${r.step}: control not found (the scan does not work)`);
    if (!r.control && r.found.length > 0) out.push(`${r.step}: ${r.found.join('; ')}`);
  }
  return out;
}
