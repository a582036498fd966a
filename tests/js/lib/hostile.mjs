// The hostile-input suite: every exported function, constructor, method and getter of the
// package called as a careless or hostile caller would, with wrong types (undefined, null,
// numbers, NaN, negative and fractional lengths, strings, plain objects, array-likes, typed
// arrays of other kinds, detached buffers, Proxies, getters and traps that throw), huge sizes,
// freed and forgotten objects and foreign `this` values; then random values from fast-check
// when it is given. Runs the same in Node (tests/js/hostile.test.mjs) and in Chromium and
// Firefox (tests/page/suites.test.mjs).
//
// Every call is classified: a ChatsealError (typed), a success, a WebAssembly trap, or another
// exception (untyped). A wrong-typed argument must give `invalid_input` or `limit_exceeded`
// (anything else, success included, means it was coerced); no call may trap or throw an untyped
// error; and after every failed call the object it was made on must still work (otherwise it
// counts as locked), `free()` included at the end.

const MiB = 1024 * 1024;

/** What counts as a Uint8Array for the package: the internal slot, as the binding checks it. */
const typedArrayKind = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;
const isBytes = (v) => typedArrayKind.call(v) === 'Uint8Array';
const isWellFormed = (s) => !/[\uD800-\uDFFF]/u.test(s);

function detached(n) {
  const buffer = new ArrayBuffer(n);
  const view = new Uint8Array(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  return view;
}

const thrower = () => {
  throw new Error('hostile getter');
};

/**
 * The value bank: [label, make, validFor]. `validFor` lists the parameter types the value is a
 * right type for (calls with it may still fail, with a typed error).
 */
function bank(cs, world) {
  const trapAll = {
    get: thrower, has: thrower, ownKeys: thrower, getPrototypeOf: thrower, getOwnPropertyDescriptor: thrower,
    apply: thrower, construct: thrower,
  };
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const revokedBytes = Proxy.revocable(new Uint8Array(32), {});
  revokedBytes.revoke();
  const lyingLength = Object.defineProperty(new Uint8Array(32), 'length', { get: thrower });
  const lyingTag = Object.defineProperty(new Int8Array(32), Symbol.toStringTag, { value: 'Uint8Array' });
  class Sub extends Uint8Array {}
  const values = [
    ['undefined', () => undefined, ['options', 'opttext']],
    ['null', () => null, []],
    ['0', () => 0, ['count']],
    ['42', () => 42, ['count']],
    ['-1', () => -1, []],
    ['1.5', () => 1.5, []],
    ['NaN', () => NaN, []],
    ['Infinity', () => Infinity, []],
    ['-0', () => -0, ['count']],
    ['2^53', () => 2 ** 53, []],
    ['bigint', () => 10n, []],
    ['symbol', () => Symbol('s'), []],
    ['true', () => true, []],
    ['string', () => 'secret', ['text', 'opttext', 'idOrBytes']],
    ['empty string', () => '', ['text', 'opttext', 'idOrBytes']],
    ['hex string', () => world.handle, ['text', 'opttext', 'idOrBytes', 'hex']],
    ['lone surrogate', () => 'a\uD800b', []],
    ['String object', () => new String('boxed'), []],
    ['object with toString', () => ({ toString: () => 'x', valueOf: () => 42 }), []],
    ['{}', () => ({}), ['options']],
    ['null-prototype object', () => Object.create(null), ['options']],
    ['{ length: -1 }', () => ({ length: -1 }), []],
    ['{ length: 1.5 }', () => ({ length: 1.5 }), []],
    ['{ length: 2**32 }', () => ({ length: 2 ** 32 }), []],
    ['array-like', () => ({ 0: 1, 1: 2, length: 2 }), []],
    ['[1, 2, 3]', () => [1, 2, 3], []],
    ['array of 32 numbers', () => Array(32).fill(7), []],
    ['[]', () => [], ['envelopes']],
    ['array of strings', () => ['a', 'b'], []],
    ['Int8Array(32)', () => new Int8Array(32), []],
    ['Uint8ClampedArray(32)', () => new Uint8ClampedArray(32), []],
    ['Uint16Array(16)', () => new Uint16Array(16), []],
    ['Float64Array(4)', () => new Float64Array(4), []],
    ['BigUint64Array(4)', () => new BigUint64Array(4), []],
    ['DataView(32)', () => new DataView(new ArrayBuffer(32)), []],
    ['ArrayBuffer(32)', () => new ArrayBuffer(32), []],
    ['Int8Array claiming to be a Uint8Array', () => lyingTag, []],
    ['Uint8Array(0)', () => new Uint8Array(0), ['bytes', 'idOrBytes']],
    ['Uint8Array(32)', () => new Uint8Array(32), ['bytes', 'key32', 'idOrBytes']],
    ['Uint8Array(32) of 0xff', () => new Uint8Array(32).fill(255), ['bytes', 'key32', 'idOrBytes']],
    ['Uint8Array(33)', () => new Uint8Array(33), ['bytes', 'idOrBytes']],
    ['Uint8Array subclass(32)', () => new Sub(32), ['bytes', 'key32', 'idOrBytes']],
    ['Uint8Array with a throwing length getter', () => lyingLength, ['bytes', 'key32', 'idOrBytes']],
    ['Uint8Array view at an offset', () => new Uint8Array(new ArrayBuffer(64), 16, 32), ['bytes', 'key32', 'idOrBytes']],
    ['detached Uint8Array', () => detached(32), ['bytes', 'idOrBytes']],
    ['Proxy of Uint8Array(32)', () => new Proxy(new Uint8Array(32), {}), []],
    ['revoked Proxy of a Uint8Array', () => revokedBytes.proxy, []],
    ['Proxy of {}', () => new Proxy({}, {}), ['options']],
    ['Proxy with throwing traps', () => new Proxy({}, trapAll), []],
    ['Proxy of [] with throwing traps', () => new Proxy([], trapAll), []],
    ['revoked Proxy', () => revoked.proxy, []],
    ['object with a throwing getter', () => Object.defineProperty({}, 'role', { get: thrower, enumerable: true }), []],
    ['object with a misspelt field', () => ({ rol: 'agent' }), []],
    ['object with a wrong-typed field', () => ({ role: 42, timeGranularity: 'sixty', minGeneration: -1, end: 'yes' }), []],
    ['deeply nested object', () => ({ labels: { a: { b: { c: { d: {} } } } } }), []],
    ['function', () => () => 1, []],
    ['class', () => class {}, []],
    ['Date', () => new Date(0), []],
    ['Map', () => new Map([['a', 'b']]), []],
    ['Promise', () => Promise.resolve(new Uint8Array(32)), []],
    ['Error', () => new Error('e'), []],
    ['a ServiceKeyring where something else is expected', () => world.keyring, ['keyring']],
    ['a live Session', () => world.visitor, ['session']],
    ['a freed Session', () => world.freedSession, []],
    ['a forgotten Session', () => world.forgottenSession, []],
    ['a freed ServiceKeyring', () => world.freedKeyring, []],
    ['a MemoryRecordStore', () => world.store, ['store']],
    ['huge Uint8Array (64 MiB)', () => world.huge, ['bytes', 'idOrBytes']],
    ['huge string (17 Mi characters)', () => world.hugeString, ['text', 'opttext', 'idOrBytes']],
    ['string of 6 Mi euro signs (18 MiB in UTF-8)', () => world.wideString, ['text', 'opttext', 'idOrBytes']],
  ];
  if (typeof Buffer === 'function') values.push(['Node Buffer(32)', () => Buffer.alloc(32), ['bytes', 'key32', 'idOrBytes']]);
  if (typeof SharedArrayBuffer === 'function') {
    values.push(['Uint8Array over a SharedArrayBuffer', () => new Uint8Array(new SharedArrayBuffer(32)), ['bytes', 'key32', 'idOrBytes']]);
  }
  return values;
}

/** Valid arguments and the objects they are called on. */
function makeWorld(cs) {
  const keyring = new cs.ServiceKeyring();
  const publicKey = keyring.generateKey();
  const store = new cs.MemoryRecordStore();
  const recordKey = new Uint8Array(32).fill(3);
  const service = new cs.Service(keyring, recordKey, store);
  const visitor = cs.Session.initiatePinned(publicKey);
  const first = visitor.sealText('first');
  const { handle } = service.accept(first);
  const kek = new Uint8Array(32).fill(5);
  const blob = visitor.exportState(kek);
  const initiator = cs.MutualInitiator.offer();
  const responder = cs.MutualResponder.answer(initiator.offerBytes);
  const freedSession = cs.Session.initiatePinned(publicKey);
  freedSession.free();
  const forgottenSession = cs.Session.initiatePinned(publicKey);
  forgottenSession.forget();
  const freedKeyring = new cs.ServiceKeyring();
  freedKeyring.free();
  const world = {
    keyring, publicKey, store, recordKey, service, visitor, first, handle, kek, blob, initiator, responder,
    freedSession, forgottenSession, freedKeyring,
    history: keyring.history(first),
    reader: visitor.streamReader(),
    pseudonymKey: new cs.PseudonymKey(new Uint8Array(32).fill(9)),
    keyId: cs.keyIdOf(publicKey),
    huge: new Uint8Array(64 * MiB),
    hugeString: 'x'.repeat(17 * MiB),
    wideString: '\u20ac'.repeat(6 * MiB),
  };
  return world;
}

/**
 * Every export: [name, parameter types, call(args), the object to check afterwards (or null),
 * a check that it still works, mutates (skip right-typed values)].
 */
function exportsTable(cs, w) {
  const S = (name, types, call, opts = {}) => ({ name, types, call, ...opts });
  const visitorOk = () => w.visitor.status();
  const serviceOk = () => w.service.status(w.handle);
  return [
    S('Session.initiatePinned', ['key32', 'options'], (a) => cs.Session.initiatePinned(...a)),
    S('Session.importState', ['bytes', 'key32', 'hex', 'options'], (a) => cs.Session.importState(...a), {
      valid: () => [w.blob, w.kek, w.visitor.handle, undefined],
    }),
    S('Session#sealText', ['text', 'options'], (a) => w.visitor.sealText(...a), { check: visitorOk }),
    S('Session#seal', ['bytes', 'options'], (a) => w.visitor.seal(...a), { check: visitorOk }),
    S('Session#sealChunk', ['text', 'chunkOptions'], (a) => w.visitor.sealChunk(...a), { check: visitorOk, mutates: true }),
    S('Session#close', ['opttext', 'options'], (a) => w.visitor.close(...a), { check: visitorOk, mutates: true }),
    S('Session#open', ['bytes'], (a) => w.visitor.open(...a), { check: visitorOk }),
    S('Session#reopen', ['bytes'], (a) => w.visitor.reopen(...a), { check: visitorOk }),
    S('Session#exportState', ['key32'], (a) => w.visitor.exportState(...a), { check: visitorOk }),
    S('Session#maskText', ['text'], (a) => w.visitor.maskText(...a), { check: visitorOk, pii: true }),
    S('Session#restore', ['text'], (a) => w.visitor.restore(...a), { check: visitorOk, pii: true }),
    S('Session#setMaskPolicy', ['policy'], (a) => w.visitor.setMaskPolicy(...a), { check: visitorOk, pii: true, mutates: true }),
    S('StreamReader#open', ['bytes'], (a) => w.reader.open(...a), { check: () => w.reader.chunks }),
    S('MutualInitiator.offer', ['options'], (a) => cs.MutualInitiator.offer(...a)),
    S('MutualInitiator#complete', ['bytes'], (a) => w.initiator.complete(...a), { check: () => w.initiator.handle, mutates: true }),
    S('MutualResponder.answer', ['bytes', 'options'], (a) => cs.MutualResponder.answer(...a), {
      valid: () => [w.initiator.offerBytes, undefined],
    }),
    S('MutualResponder#accept', ['bytes'], (a) => w.responder.accept(...a), { check: () => w.responder.handle, mutates: true }),
    S('new ServiceKeyring', [], () => new cs.ServiceKeyring()),
    S('ServiceKeyring#importKey', ['key32'], (a) => w.keyring.importKey(...a), { check: () => w.keyring.keyIds }),
    S('ServiceKeyring#hasKey', ['hex16'], (a) => w.keyring.hasKey(...a), { check: () => w.keyring.keyIds }),
    S('ServiceKeyring#retireKey', ['hex16'], (a) => w.keyring.retireKey(...a), { check: () => w.keyring.keyIds, mutates: true }),
    S('ServiceKeyring#history', ['bytes'], (a) => w.keyring.history(...a), { check: () => w.keyring.keyIds }),
    S('History#reopen', ['bytes'], (a) => w.history.reopen(...a), { check: () => w.history.handle }),
    S('new Service', ['keyring', 'key32', 'store', 'options'], (a) => new cs.Service(...a), {
      valid: () => [w.keyring, w.recordKey, w.store, undefined],
    }),
    S('Service#accept', ['bytes'], (a) => w.service.accept(...a), { check: serviceOk }),
    S('Service#open', ['bytes'], (a) => w.service.open(...a), { check: serviceOk }),
    S('Service#reopen', ['hex', 'bytes'], (a) => w.service.reopen(...a), { check: serviceOk, valid: () => [w.handle, w.first] }),
    S('Service#sealText', ['hex', 'text', 'options'], (a) => w.service.sealText(...a), { check: serviceOk }),
    S('Service#seal', ['hex', 'bytes', 'options'], (a) => w.service.seal(...a), { check: serviceOk }),
    S('Service#sealChunk', ['hex', 'text', 'chunkOptions'], (a) => w.service.sealChunk(...a), { check: serviceOk, mutates: true }),
    S('Service#close', ['hex', 'opttext', 'options'], (a) => w.service.close(...a), { check: serviceOk, mutates: true }),
    S('Service#status', ['hex'], (a) => w.service.status(...a), { check: serviceOk }),
    S('Service#rekeyNow', ['hex'], (a) => w.service.rekeyNow(...a), { check: serviceOk }),
    S('Service#forget', ['hex'], (a) => w.service.forget(...a), { check: serviceOk, mutates: true }),
    S('inspect', ['bytes'], (a) => cs.inspect(...a)),
    S('audit', ['envelopes'], (a) => cs.audit(...a)),
    S('toText', ['bytes'], (a) => cs.toText(...a)),
    S('paddedLength', ['count'], (a) => cs.paddedLength(...a)),
    S('fromText', ['text'], (a) => cs.fromText(...a)),
    S('keyIdOf', ['key32'], (a) => cs.keyIdOf(...a)),
    S('stateInfo', ['bytes'], (a) => cs.stateInfo(...a)),
    S('rewrapState', ['bytes', 'key32', 'key32'], (a) => cs.rewrapState(...a), { valid: () => [w.blob, w.kek, w.kek] }),
    S('scanPii', ['text'], (a) => cs.scanPii(...a), { pii: true }),
    S('new PseudonymKey', ['key32'], (a) => new cs.PseudonymKey(...a)),
    S('PseudonymKey#pseudonym', ['idOrBytes'], (a) => w.pseudonymKey.pseudonym(...a), { check: () => w.pseudonymKey.pseudonym('x') }),
    S('isChatsealError', ['any'], (a) => cs.isChatsealError(...a)),
    S('sealStream', ['session', 'source', 'options'], (a) => cs.sealStream(...a), { async: true, valid: () => [w.visitor, [], undefined] }),
    S('openStream', ['session', 'source'], (a) => cs.openStream(...a), { async: true, valid: () => [w.visitor, []] }),
  ].filter((s) => !s.pii || typeof cs.scanPii === 'function');
}

/** A right-typed value for each parameter type, for the parameters not under test. */
function validFor(type, w) {
  switch (type) {
    case 'key32': return w.publicKey;
    case 'bytes': return new Uint8Array(40);
    case 'text': return 'hello';
    case 'opttext': return undefined;
    case 'hex': return w.handle;
    case 'hex16': return w.keyId;
    case 'options': return undefined;
    case 'chunkOptions': return { end: false };
    case 'policy': return { email: 'type' };
    case 'envelopes': return [];
    case 'keyring': return w.keyring;
    case 'store': return w.store;
    case 'idOrBytes': return 'user-1';
    case 'session': return w.visitor;
    case 'source': return [];
    case 'count': return 10;
    default: return undefined;
  }
}

/** Parameter types a bank value can never be right for, whatever its label says. */
const rightTypes = {
  hex16: () => false,
  chunkOptions: () => false,
  policy: (v, labels) => labels.includes('options') && v !== undefined,
  source: (v) => isSource(v),
  any: () => true,
};

function isRightType(type, label, validLabels, value) {
  if (rightTypes[type]) return rightTypes[type](value, validLabels);
  return validLabels.includes(type);
}

/** What the package's stream helpers take as a source (mirrors pkg-template/runtime.js). */
function isSource(v) {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return false;
  try {
    if (v instanceof String) return false;
    return [v[Symbol.asyncIterator], v.getReader, v[Symbol.iterator]].some((f) => typeof f === 'function');
  } catch {
    return false;
  }
}

/** Codes a wrong-typed argument of `type` may give. */
function allowedCodes(type) {
  return type === 'session' ? ['invalid_input', 'freed'] : ['invalid_input', 'limit_exceeded'];
}

export async function runHostile(cs, { fc = null, log = () => {}, randomRuns = 80 } = {}) {
  const stats = { calls: 0, typed: 0, succeeded: 0, traps: 0, coercions: 0, untyped: 0, locked: 0, problems: [] };
  const problem = (kind, what) => {
    stats[kind] += 1;
    if (stats.problems.length < 40) stats.problems.push(`${kind}: ${what}`);
  };
  const isTrap = (e) => typeof WebAssembly === 'object' && e instanceof WebAssembly.RuntimeError;

  /** Runs `thunk`, classifies the outcome; returns { ok, code }. */
  async function call(thunk, isAsync) {
    stats.calls += 1;
    try {
      const result = thunk();
      if (isAsync) {
        const first = await result.next();
        if (!first.done) for await (const _ of { [Symbol.asyncIterator]: () => result }) { /* drain */ }
      }
      stats.succeeded += 1;
      return { ok: true };
    } catch (e) {
      if (isTrap(e)) return { trap: true, message: String(e && e.message) };
      if (cs.isChatsealError(e)) {
        stats.typed += 1;
        return { code: e.code };
      }
      return { untyped: true, message: `${e && e.name}: ${e && e.message}` };
    }
  }

  function judge(outcome, what, wrong, codes) {
    if (outcome.trap) problem('traps', `${what}: ${outcome.message}`);
    else if (outcome.untyped) problem('untyped', `${what}: ${outcome.message}`);
    else if (wrong && outcome.ok) problem('coercions', `${what}: succeeded`);
    else if (wrong && !codes.includes(outcome.code)) problem('coercions', `${what}: ${outcome.code}`);
  }

  let w = makeWorld(cs);
  const values = bank(cs, w);
  const table = exportsTable(cs, w);

  function stillWorks(spec, what) {
    if (!spec.check) return;
    try {
      spec.check();
    } catch (e) {
      problem('locked', `${what}: ${e && e.message}`);
    }
  }

  // Wrong types, one parameter at a time, the others right.
  for (const spec of table) {
    const base = spec.valid ? spec.valid() : spec.types.map((t) => validFor(t, w));
    for (let i = 0; i < spec.types.length; i++) {
      const type = spec.types[i];
      for (const [label, make, validLabels] of values) {
        let value;
        try {
          value = make();
        } catch {
          continue; // a value this platform cannot make
        }
        const right = isRightType(type, label, validLabels, value);
        if (right && spec.mutates) continue;
        const args = base.slice();
        args[i] = value;
        const what = `${spec.name}(arg ${i} ${type} = ${label})`;
        judge(await call(() => spec.call(args), spec.async), what, !right, allowedCodes(type));
        stillWorks(spec, what);
      }
    }
    // Missing arguments altogether, and one argument too many.
    if (spec.types.length > 0 && !spec.mutates) {
      const what = `${spec.name}()`;
      const requiredWrong = spec.types.some((t) => !['options', 'opttext', 'any'].includes(t));
      judge(await call(() => spec.call([]), spec.async), what, requiredWrong, ['invalid_input', 'freed']);
      stillWorks(spec, what);
    }
  }
  log(`hostile: wrong types done (${stats.calls} calls)`);

  // Use after free and forget, and foreign `this`, for every method and getter of every class.
  const classes = ['Session', 'Service', 'ServiceKeyring', 'MutualInitiator', 'MutualResponder', 'History', 'StreamReader', 'PseudonymKey'];
  const fresh = {
    Session: () => cs.Session.initiatePinned(w.publicKey),
    Service: () => new cs.Service(w.keyring, w.recordKey, new cs.MemoryRecordStore()),
    ServiceKeyring: () => new cs.ServiceKeyring(),
    MutualInitiator: () => cs.MutualInitiator.offer(),
    MutualResponder: () => cs.MutualResponder.answer(cs.MutualInitiator.offer().offerBytes),
    History: () => w.keyring.history(w.first),
    StreamReader: () => w.visitor.streamReader(),
    PseudonymKey: () => new cs.PseudonymKey(new Uint8Array(32).fill(1)),
  };
  const foreignThis = [{}, null, undefined, 42, w.store, new Proxy({}, { getPrototypeOf: thrower })];
  for (const name of classes) {
    const cls = cs[name];
    const members = Object.getOwnPropertyNames(cls.prototype).filter((k) => k !== 'constructor' && !k.startsWith('__'));
    const freed = fresh[name]();
    freed.free();
    const others = classes.filter((c) => c !== name).map((c) => fresh[c]());
    for (const key of members) {
      const d = Object.getOwnPropertyDescriptor(cls.prototype, key);
      const invoke = d.get ? (self) => d.get.call(self) : (self) => d.value.call(self, validFor('bytes', w), undefined);
      if (key === 'free') continue;
      judge(await call(() => invoke(freed)), `${name}#${key} after free()`, true, ['freed']);
      for (const self of [...foreignThis, ...others]) {
        judge(await call(() => invoke(self)), `${name}#${key} on a foreign this`, true, ['invalid_input']);
      }
    }
    // free() twice, or on anything, never throws.
    for (const self of [freed, ...foreignThis]) {
      judge(await call(() => cls.prototype.free.call(self)), `${name}#free on a freed or foreign this`, false, []);
    }
    for (const o of others) o.free();
  }
  // A forgotten session: every method but free() is freed (given right-typed arguments).
  for (const key of Object.getOwnPropertyNames(cs.Session.prototype).filter((k) => !['constructor', 'free'].includes(k) && !k.startsWith('__'))) {
    const d = Object.getOwnPropertyDescriptor(cs.Session.prototype, key);
    const spec = table.find((s) => s.name === `Session#${key}`);
    const args = spec ? spec.types.map((t) => validFor(t, w)) : [];
    const invoke = d.get ? () => d.get.call(w.forgottenSession) : () => d.value.apply(w.forgottenSession, args);
    judge(await call(invoke), `Session#${key} after forget()`, true, ['freed']);
  }
  log(`hostile: use after free done (${stats.calls} calls)`);

  // Random values (fast-check's `anything`, plus typed arrays) in every parameter.
  if (fc) {
    const arbitrary = fc.oneof(
      fc.anything({ withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }),
      fc.uint8Array({ maxLength: 80 }),
      fc.string({ unit: 'binary' }),
    );
    const samples = fc.sample(arbitrary, { numRuns: randomRuns, seed: 20251203 });
    for (const spec of table) {
      if (spec.mutates) continue;
      const base = spec.valid ? spec.valid() : spec.types.map((t) => validFor(t, w));
      for (let i = 0; i < spec.types.length; i++) {
        for (const value of samples) {
          const args = base.slice();
          args[i] = value;
          const what = `${spec.name}(arg ${i} ${spec.types[i]} = random ${typeof value})`;
          const wrong = !rightByShape(spec.types[i], value);
          judge(await call(() => spec.call(args), spec.async), what, wrong, allowedCodes(spec.types[i]));
          stillWorks(spec, what);
        }
      }
    }
    log(`hostile: random values done (${stats.calls} calls)`);
  }

  // The objects still do their job end to end, and free() releases each of them.
  try {
    const session = cs.Session.initiatePinned(w.publicKey);
    const s = new cs.Service(w.keyring, w.recordKey, new cs.MemoryRecordStore());
    const { handle, turn } = s.accept(session.sealText('end to end'));
    if (turn.text !== 'end to end') throw new Error('wrong text');
    if (session.open(s.sealText(handle, 'reply')).text !== 'reply') throw new Error('wrong reply');
    session.free();
    s.free();
  } catch (e) {
    problem('locked', `end to end after the suite: ${e && e.message}`);
  }
  for (const key of ['reader', 'history', 'visitor', 'service', 'keyring', 'initiator', 'responder', 'pseudonymKey']) {
    try {
      w[key].free();
    } catch (e) {
      problem('locked', `${key}.free(): ${e && e.message}`);
    }
  }
  w = null;
  return stats;
}

/** Whether a random value is of the right type for `type` (then any typed outcome is fine). */
function rightByShape(type, v) {
  let plain = false;
  try {
    plain = v !== null && typeof v === 'object' && !Array.isArray(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v));
  } catch {
    plain = false;
  }
  switch (type) {
    case 'text': return typeof v === 'string' && isWellFormed(v);
    case 'opttext': return v === undefined || (typeof v === 'string' && isWellFormed(v));
    case 'bytes':
    case 'key32': return isBytes(v);
    case 'idOrBytes': return isBytes(v) || (typeof v === 'string' && isWellFormed(v));
    case 'options': return v === undefined || plain;
    case 'policy': return plain;
    case 'hex':
    case 'hex16': return typeof v === 'string';
    case 'envelopes': return Array.isArray(v);
    case 'source': return isSource(v);
    case 'count': return Number.isInteger(v) && v >= 0 && v <= 16 * 1024 * 1024;
    case 'any': return true;
    default: return false;
  }
}

/** The figures as one line. */
export function summary(runtime, stats) {
  return `hostile suite (${runtime}): ${stats.calls} calls (${stats.typed} typed errors, ${stats.succeeded} successes); ` +
    `traps ${stats.traps}, coercions ${stats.coercions}, untyped errors ${stats.untyped}, locked objects ${stats.locked}`;
}
