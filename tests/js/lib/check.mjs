// Assertions that run the same in Node and in a browser page (no node:assert there). Every
// failure throws an Error whose message says what differed.

function show(value) {
  try {
    return JSON.stringify(value, (_, v) => (v instanceof Uint8Array ? `Uint8Array(${v.length})` : v));
  } catch {
    return String(value);
  }
}

export function ok(value, what = 'expected a truthy value') {
  if (!value) throw new Error(what);
}

export function equal(actual, expected, what = '') {
  if (!Object.is(actual, expected)) throw new Error(`${what ? `${what}: ` : ''}${show(actual)} !== ${show(expected)}`);
}

export function deepEqual(actual, expected, what = '') {
  const a = show(actual);
  const b = show(expected);
  if (a !== b) throw new Error(`${what ? `${what}: ` : ''}${a} differs from ${b}`);
}

/** The ChatsealError `fn` throws, checked to be one (name, code in errorCodes()). */
export function thrown(cs, fn, what = '') {
  try {
    fn();
  } catch (e) {
    if (!cs.isChatsealError(e)) throw new Error(`${what}: threw a non-chatseal error: ${e && e.name}: ${e && e.message}`);
    return e;
  }
  throw new Error(`${what ? `${what}: ` : ''}expected a ChatsealError, nothing was thrown`);
}

/** Asserts `fn` throws a ChatsealError with `code`. */
export function throwsCode(cs, fn, code, what = '') {
  const e = thrown(cs, fn, what);
  if (e.code !== code) throw new Error(`${what ? `${what}: ` : ''}code ${e.code} (${e.message}), expected ${code}`);
  return e;
}

/** Asserts the promise rejects with a ChatsealError with `code`. */
export async function rejectsCode(cs, promise, code, what = '') {
  try {
    await promise;
  } catch (e) {
    if (!cs.isChatsealError(e)) throw new Error(`${what}: rejected with a non-chatseal error: ${e && e.name}: ${e && e.message}`);
    if (e.code !== code) throw new Error(`${what ? `${what}: ` : ''}code ${e.code} (${e.message}), expected ${code}`);
    return e;
  }
  throw new Error(`${what ? `${what}: ` : ''}expected a rejection with ${code}`);
}

export const bytesEqual = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

export function random(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}
