
// ---------------------------------------------------------------------------------------------
// chatseal runtime (pkg-template/runtime.js). scripts/build.sh appends this file to both
// generated glue files (web: ES module, node: CommonJS) followed by a few lines that install the
// guard on the exported classes and export the helpers, so it uses no import or export itself.
//
// 1. The guard. wasm-bindgen's glue hands a freed object's pointer (0) to wasm, which throws a
//    plain Error, and passes any `this` on to wasm as if it were an instance of the class. Every
//    method and getter of the exported classes first checks that `this` is an instance of its
//    class (invalid_input otherwise) and live (freed otherwise); free() is idempotent. (Code
//    that rewrites an object's prototype or its internal `__wbg_ptr` field is not guarded
//    against: it runs in the page and can read wasm memory directly anyway.)
// 2. sealStream / openStream: loops over Session.sealChunk and Session.streamReader().
// 3. MemoryRecordStore: the RecordStore contract, in memory.
// ---------------------------------------------------------------------------------------------

/** A ChatsealError made in JS, shaped like the ones wasm throws. */
function chatsealError(code, message) {
  const error = new Error(message);
  error.name = 'ChatsealError';
  error.code = code;
  return error;
}

function chatsealIsLive(object) {
  try {
    const ptr = object !== null && typeof object === 'object' ? object.__wbg_ptr : undefined;
    return typeof ptr === 'number' && ptr !== 0;
  } catch {
    return false;
  }
}

/** Throws unless `object` is a live instance of `cls` (a subclass included). */
function chatsealCheckLive(object, cls) {
  let instance = false;
  try {
    instance = Object.prototype.isPrototypeOf.call(cls.prototype, object);
  } catch {
    // a Proxy trap threw
  }
  if (!instance) throw chatsealError('invalid_input', `invalid input: this must be a ${cls.name}`);
  if (!chatsealIsLive(object)) throw chatsealError('freed', 'object was freed or forgotten');
}

function chatsealGuard(classes) {
  for (const cls of classes) {
    const proto = cls.prototype;
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || key === 'free' || key === '__destroy_into_raw') continue;
      const d = Object.getOwnPropertyDescriptor(proto, key);
      if (typeof d.value === 'function') {
        const method = d.value;
        d.value = {
          [key](...args) {
            chatsealCheckLive(this, cls);
            return method.apply(this, args);
          },
        }[key];
      } else if (typeof d.get === 'function') {
        const getter = d.get;
        d.get = Object.getOwnPropertyDescriptor({
          get [key]() {
            chatsealCheckLive(this, cls);
            return getter.call(this);
          },
        }, key).get;
      } else {
        continue;
      }
      Object.defineProperty(proto, key, d);
    }
    const free = proto.free;
    // Freeing twice, or an object that was never made by chatseal, does nothing.
    proto.free = function free_() {
      if (chatsealIsLive(this)) free.call(this);
    };
    Object.defineProperty(proto.free, 'name', { value: 'free' });
    if (typeof Symbol.dispose === 'symbol') proto[Symbol.dispose] = proto.free;
  }
}

/** An iterator over `source`: an async iterable, an iterable (not a string) or a ReadableStream. */
function chatsealIterate(source, what) {
  let kind;
  try {
    if (source !== null && (typeof source === 'object' || typeof source === 'function') && !(source instanceof String)) {
      if (typeof source[Symbol.asyncIterator] === 'function') kind = 'async';
      else if (typeof source.getReader === 'function') kind = 'stream';
      else if (typeof source[Symbol.iterator] === 'function') kind = 'sync';
    }
  } catch {
    kind = undefined;
  }
  if (kind === undefined) {
    throw chatsealError('invalid_input', `invalid input: ${what} must be an async iterable, an iterable or a ReadableStream`);
  }
  if (kind !== 'stream') return source;
  return (async function* read() {
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  })();
}

/** `options` (undefined or a plain object) with `end` set, for sealChunk (which checks the rest). */
function chatsealChunkOptions(options, end) {
  if (options === undefined) return { end };
  try {
    const proto = options !== null && typeof options === 'object' ? Object.getPrototypeOf(options) : undefined;
    // A plain object: no prototype, or a root one (Object.prototype of this realm or another).
    const plain = proto === null || (proto !== undefined && Object.getPrototypeOf(proto) === null);
    if (plain && !Array.isArray(options)) return { ...options, end };
  } catch {
    // a getter or a Proxy trap threw
  }
  throw chatsealError('invalid_input', 'invalid input: options must be undefined or a plain object');
}

/**
 * The items of `source`; a failure of the source itself (a dropped connection, a bad iterable)
 * ends the stream: it becomes `stream_broken`, with the source's error as `cause`.
 */
async function* chatsealItems(source) {
  const iterable = chatsealIterate(source, 'source');
  let iterator;
  try {
    iterator = typeof iterable[Symbol.asyncIterator] === 'function' ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
  } catch (cause) {
    throw Object.assign(chatsealError('stream_broken', 'stream broken: the source failed'), { cause });
  }
  for (;;) {
    let step;
    try {
      step = await iterator.next();
    } catch (cause) {
      throw Object.assign(chatsealError('stream_broken', 'stream broken: the source failed'), { cause });
    }
    if (step === null || typeof step !== 'object') throw chatsealError('stream_broken', 'stream broken: the source failed');
    if (step.done) return;
    yield step.value;
  }
}

/** Checks that `session` is a live chatseal Session (`Session` is the glue's class). */
function chatsealCheckSession(session) {
  let isSession = false;
  try {
    isSession = session instanceof Session;
  } catch {
    // a Proxy trap threw
  }
  if (!isSession) throw chatsealError('invalid_input', 'invalid input: session must be a Session');
  chatsealCheckLive(session, Session);
}

async function* sealStream(session, source, options) {
  chatsealCheckSession(session);
  const chunk = chatsealChunkOptions(options, false);
  const last = chatsealChunkOptions(options, true);
  for await (const text of chatsealItems(source)) {
    yield session.sealChunk(text, chunk);
  }
  yield session.sealChunk('', last);
}

async function* openStream(session, source) {
  chatsealCheckSession(session);
  chatsealIterate(source, 'source');
  const chunks = chatsealItems(source);
  const reader = session.streamReader();
  try {
    for await (const envelope of chunks) {
      const turn = reader.open(envelope);
      if (reader.ended) {
        if (turn.text !== '') yield turn.text;
        return;
      }
      yield turn.text;
    }
    reader.finish();
  } finally {
    reader.free();
  }
}

class MemoryRecordStore {
  #records = new Map(); // handle -> { generation, record }, or null once removed (a tombstone)

  load(handle) {
    const entry = this.#records.get(handle);
    return entry ? entry.record.slice() : null;
  }

  create(handle, generation, record) {
    if (this.#records.has(handle)) return false;
    this.#records.set(handle, { generation, record: record.slice() });
    return true;
  }

  update(handle, expected, generation, record) {
    const entry = this.#records.get(handle);
    if (!entry || entry.generation !== expected) return false;
    this.#records.set(handle, { generation, record: record.slice() });
    return true;
  }

  remove(handle) {
    const entry = this.#records.get(handle);
    this.#records.set(handle, null);
    return Boolean(entry);
  }

  get size() {
    let n = 0;
    for (const entry of this.#records.values()) if (entry) n += 1;
    return n;
  }
}
