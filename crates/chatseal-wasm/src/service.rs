//! The pinned-mode service end from JavaScript (Node backends): the keyring of static keys, the
//! `Service` that accepts, opens and seals through a record store the caller implements in JS,
//! and history re-derivation.

use crate::args;
use crate::error::{JsError, JsResult};
use crate::options::{service_options, Kind, TurnArgs};
use crate::session::handle;
use crate::{scrub, view};
use chatseal::{
    hex_decode, hex_encode, Error, RecordStore, ServiceKeyPair, SessionHandle, KEY_ID_LEN, MAX_ENVELOPE, MAX_PLAINTEXT,
    MAX_STATE_BLOB,
};
use js_sys::Array;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_SERVICE: &str = r#"
/**
 * Where a `Service` keeps its session records (sealed state blobs: the store never sees a key),
 * implemented by the application over its database. Every method is synchronous. A method that
 * throws makes the service call fail with `store`; nothing is stored then.
 */
export interface RecordStore {
  /** The record of `handle` (32 hex digits), or null if there is none. */
  load(handle: string): Uint8Array | null | undefined;
  /** Stores the first record of `handle`. Returns false if the handle has (or ever had) a record: a removed session must never come back. */
  create(handle: string, generation: number, record: Uint8Array): boolean;
  /** Replaces the record of `handle` if its generation is still `expected`; returns false otherwise (another worker won, or the record is gone). */
  update(handle: string, expected: number, generation: number, record: Uint8Array): boolean;
  /** Deletes the record of `handle`, leaving a tombstone so that `create` refuses the handle from then on. Returns whether there was a record. */
  remove(handle: string): boolean;
}

/** A visitor turn a `Service` opened, and the session it belongs to. */
export interface ServiceTurn {
  /** The session handle (32 hex digits). */
  handle: string;
  turn: OpenedTurn;
}
"#;

/// A key id argument (16 hex digits).
fn key_id(value: &JsValue, what: &str) -> JsResult<[u8; KEY_ID_LEN]> {
    let text = args::short_string(value, what, 64)?;
    hex_decode(&text, "key id").map_err(|_| JsError::invalid(what, "a key id (16 hex digits)"))
}

/// The service's static key pairs (pinned mode). Secrets live only inside: they can be
/// generated or imported, never read back. A `Service` made over this keyring sees keys added
/// or retired here.
#[wasm_bindgen]
pub struct ServiceKeyring {
    keys: Rc<RefCell<chatseal::ServiceKeyring>>,
}

impl ServiceKeyring {
    fn insert(&self, pair: ServiceKeyPair) -> JsResult<Vec<u8>> {
        let public = pair.public_key().as_bytes().to_vec();
        self.keys.try_borrow_mut().map_err(|_| JsError::busy())?.insert(pair);
        Ok(public)
    }

    fn read<T>(&self, f: impl FnOnce(&chatseal::ServiceKeyring) -> T) -> JsResult<T> {
        Ok(f(&*self.keys.try_borrow().map_err(|_| JsError::busy())?))
    }
}

impl Default for ServiceKeyring {
    fn default() -> Self {
        Self::new()
    }
}

#[wasm_bindgen]
impl ServiceKeyring {
    /// An empty keyring.
    #[wasm_bindgen(constructor)]
    pub fn new() -> ServiceKeyring {
        ServiceKeyring { keys: Rc::new(RefCell::new(chatseal::ServiceKeyring::new())) }
    }

    /// Generates a key pair, keeps it, and returns only its 32-byte public key (to pin in widgets).
    #[wasm_bindgen(js_name = generateKey)]
    pub fn generate_key(&self) -> JsResult<Vec<u8>> {
        scrub::after(|| self.insert(ServiceKeyPair::generate()?))
    }

    /// Imports a stored 32-byte secret and returns its public key. The secret is copied into
    /// zeroizing wasm memory; overwrite your own copy (`secret.fill(0)`) when done with it.
    #[wasm_bindgen(js_name = importKey)]
    pub fn import_key(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] secret: &JsValue,
    ) -> JsResult<Vec<u8>> {
        scrub::after(|| {
            let secret = args::array::<32>(secret, "secret")?;
            self.insert(ServiceKeyPair::from_secret_bytes(&*secret)?)
        })
    }

    /// Whether the keyring holds the key with this id (16 hex digits).
    #[wasm_bindgen(js_name = hasKey)]
    pub fn has_key(
        &self,
        #[wasm_bindgen(js_name = keyId, unchecked_param_type = "string")] id: &JsValue,
    ) -> JsResult<bool> {
        let id = key_id(id, "keyId")?;
        self.read(|k| k.get(&id).is_some())
    }

    /// Removes and zeroizes the key with this id; returns whether it was held. Sessions under it
    /// can no longer be accepted, and their epoch 0 no longer re-derived.
    #[wasm_bindgen(js_name = retireKey)]
    pub fn retire_key(
        &self,
        #[wasm_bindgen(js_name = keyId, unchecked_param_type = "string")] id: &JsValue,
    ) -> JsResult<bool> {
        let id = key_id(id, "keyId")?;
        scrub::after(|| Ok(self.keys.try_borrow_mut().map_err(|_| JsError::busy())?.retire(&id)))
    }

    /// The ids (16 hex digits) of the keys held, in insertion order.
    #[wasm_bindgen(getter, js_name = keyIds)]
    pub fn key_ids(&self) -> JsResult<Vec<String>> {
        self.read(|k| k.public_keys().map(|p| hex_encode(p.key_id())).collect())
    }

    /// The public keys (32 bytes each) of the keys held, in insertion order.
    #[wasm_bindgen(getter, js_name = publicKeys, unchecked_return_type = "Uint8Array[]")]
    pub fn public_keys(&self) -> JsResult<js_sys::Array> {
        self.read(|k| k.public_keys().map(|p| JsValue::from(args::to_uint8_array(p.as_bytes()))).collect())
    }

    /// Re-derives epoch 0 of a pinned session from its stored first envelope, for reading
    /// history only: the visitor's turns sealed before the service's first reply.
    pub fn history(
        &self,
        #[wasm_bindgen(js_name = firstEnvelope, unchecked_param_type = "Uint8Array")] first_envelope: &JsValue,
    ) -> JsResult<History> {
        scrub::after(|| {
            let envelope = args::bytes(first_envelope, "firstEnvelope", MAX_ENVELOPE)?;
            Ok(History { inner: Box::new(self.read(|k| k.history(&envelope))??) })
        })
    }

    /// A second handle on this keyring, for `new Service(keyring, ...)`.
    #[wasm_bindgen(js_name = __share, skip_typescript)]
    pub fn share(&self) -> KeyringShare {
        KeyringShare { keys: self.keys.clone() }
    }
}

/// What `ServiceKeyring.__share()` hands the `Service` constructor (internal).
#[wasm_bindgen(skip_typescript)]
pub struct KeyringShare {
    keys: Rc<RefCell<chatseal::ServiceKeyring>>,
}

/// The keyring behind `value`, without consuming it: its own `__share()` hands over a second
/// handle, which is the only object this accepts.
fn shared_keyring(value: &JsValue) -> JsResult<Rc<RefCell<chatseal::ServiceKeyring>>> {
    use wasm_bindgen::convert::TryFromJsValue;
    let invalid = || JsError::invalid("keyring", "a ServiceKeyring");
    if !value.is_object() {
        return Err(invalid());
    }
    let share = args::get(value, "__share").map_err(|_| invalid())?;
    if !share.is_function() {
        return Err(invalid());
    }
    let token = args::call(&share, value, &Array::new()).map_err(|_| invalid())?;
    // The token was just made by a genuine keyring, so this is an `instanceof` on our own object.
    KeyringShare::try_from_js_value(token).map(|t| t.keys).map_err(|_| invalid())
}

/// Epoch 0 of a pinned session, re-derived by the service key, for reading history only.
#[wasm_bindgen]
pub struct History {
    inner: Box<chatseal::History>,
}

#[wasm_bindgen]
impl History {
    /// The session handle (32 hex digits).
    #[wasm_bindgen(getter)]
    pub fn handle(&self) -> String {
        self.inner.handle().to_hex()
    }

    /// Opens a stored epoch-0 envelope of the session (`unknown_epoch` for later epochs, whose
    /// keys the static key cannot derive).
    #[wasm_bindgen(unchecked_return_type = "OpenedTurn")]
    pub fn reopen(&self, #[wasm_bindgen(unchecked_param_type = "Uint8Array")] envelope: &JsValue) -> JsResult<JsValue> {
        scrub::after(|| {
            let envelope = args::bytes(envelope, "envelope", MAX_ENVELOPE)?;
            view::opened(&mut self.inner.reopen(&envelope)?)
        })
    }
}

/// The application's record store, called through its four methods.
struct JsStore {
    store: JsValue,
    load: JsValue,
    create: JsValue,
    update: JsValue,
    remove: JsValue,
}

impl JsStore {
    fn new(store: &JsValue) -> JsResult<Self> {
        let invalid = || JsError::invalid("store", "an object with load, create, update and remove methods");
        if !store.is_object() {
            return Err(invalid());
        }
        let method = |name: &str| match args::get(store, name) {
            Ok(f) if f.is_function() => Ok(f),
            _ => Err(invalid()),
        };
        Ok(JsStore {
            load: method("load")?,
            create: method("create")?,
            update: method("update")?,
            remove: method("remove")?,
            store: store.clone(),
        })
    }

    fn call(&self, method: &JsValue, args: &[JsValue]) -> chatseal::Result<JsValue> {
        let list: Array = args.iter().collect();
        args::call(method, &self.store, &list).map_err(|_| Error::Store("the record store threw"))
    }

    fn accepted(result: JsValue, refused: Error) -> chatseal::Result<()> {
        match result.as_bool() {
            Some(true) => Ok(()),
            Some(false) => Err(refused),
            None => Err(Error::Store("the record store returned a non-boolean")),
        }
    }
}

fn handle_arg(handle: &SessionHandle) -> JsValue {
    JsValue::from_str(&handle.to_hex())
}

fn record_arg(record: &[u8]) -> JsValue {
    args::to_uint8_array(record).into()
}

impl RecordStore for JsStore {
    fn load(&self, handle: &SessionHandle) -> chatseal::Result<Option<Vec<u8>>> {
        let record = self.call(&self.load, &[handle_arg(handle)])?;
        if record.is_null() || record.is_undefined() {
            return Ok(None);
        }
        match args::bytes(&record, "record", MAX_STATE_BLOB) {
            Ok(bytes) => Ok(Some(bytes.to_vec())),
            Err(_) => Err(Error::Store("the record store's load returned neither bytes (up to 4 MiB) nor null")),
        }
    }

    fn create(&self, handle: &SessionHandle, generation: u64, record: &[u8]) -> chatseal::Result<()> {
        let result =
            self.call(&self.create, &[handle_arg(handle), JsValue::from(generation as f64), record_arg(record)])?;
        Self::accepted(result, Error::SessionExists)
    }

    fn update(&self, handle: &SessionHandle, expected: u64, generation: u64, record: &[u8]) -> chatseal::Result<()> {
        let args =
            [handle_arg(handle), JsValue::from(expected as f64), JsValue::from(generation as f64), record_arg(record)];
        Self::accepted(self.call(&self.update, &args)?, Error::Conflict)
    }

    fn remove(&self, handle: &SessionHandle) -> chatseal::Result<bool> {
        let result = self.call(&self.remove, &[handle_arg(handle)])?;
        result.as_bool().ok_or(Error::Store("the record store returned a non-boolean"))
    }
}

/// A pinned-mode service end for Node backends: accepts each session once (a second hello for a
/// live or forgotten handle is `session_exists`), and opens and seals through the session's
/// record in the application's store, stored back only when a call succeeds (compare-and-swap on
/// its generation), so a replayed, reordered or forked turn is refused as a live session would.
#[wasm_bindgen]
pub struct Service {
    keyring: Rc<RefCell<chatseal::ServiceKeyring>>,
    /// Holds an empty keyring between calls: the shared one is swapped in for each call.
    inner: RefCell<Box<chatseal::Service<JsStore>>>,
    time_granularity: u32,
}

impl Service {
    /// Runs `f` with the keyring's keys moved into the service (only the list's pointer moves:
    /// no key is copied), then moves them back. Callers run it inside `scrub::after`.
    fn run<T>(&self, f: impl FnOnce(&chatseal::Service<JsStore>) -> chatseal::Result<T>) -> JsResult<T> {
        match (self.inner.try_borrow_mut(), self.keyring.try_borrow_mut()) {
            (Ok(mut service), Ok(mut keys)) => {
                core::mem::swap(service.keyring_mut(), &mut *keys);
                let out = f(&service);
                core::mem::swap(service.keyring_mut(), &mut *keys);
                out.map_err(JsError::from)
            }
            _ => Err(JsError::busy()),
        }
    }

    /// Runs `f` on the session `handle` loaded from its record, storing it back if `f` succeeds.
    pub(crate) fn with_core_session<T>(
        &self,
        handle: &SessionHandle,
        f: impl FnOnce(&mut chatseal::Session) -> chatseal::Result<T>,
    ) -> JsResult<T> {
        self.run(|s| s.with_session(handle, f))
    }

    fn seal_step(
        &self,
        handle_value: &JsValue,
        body: &[u8],
        options: &JsValue,
        kind: Kind,
        step: crate::inner::Step,
    ) -> JsResult<Vec<u8>> {
        let handle = handle(handle_value, "handle")?;
        let turn = TurnArgs::read(options, kind)?;
        let granularity = self.time_granularity;
        let step = match step {
            crate::inner::Step::Chunk { .. } => crate::inner::Step::Chunk { end: turn.end },
            other => other,
        };
        self.run(|service| {
            let metadata = turn.metadata(chatseal::Side::Responder, granularity)?;
            service.with_session(&handle, |s| match step {
                crate::inner::Step::Turn => s.seal(body, &metadata),
                crate::inner::Step::Chunk { end } => s.seal_chunk(body, &metadata, end),
                crate::inner::Step::Close => s.close(body, &metadata),
            })
        })
    }
}

/// `{ handle, turn }`.
fn service_turn(handle: &SessionHandle, turn: &mut chatseal::Opened) -> JsResult<JsValue> {
    let turn = view::opened(turn)?;
    let object = js_sys::Object::new();
    let bad = |_| JsError::from(Error::State("result"));
    js_sys::Reflect::set(&object, &"handle".into(), &handle_arg(handle)).map_err(bad)?;
    js_sys::Reflect::set(&object, &"turn".into(), &turn).map_err(bad)?;
    Ok(object.into())
}

#[wasm_bindgen]
impl Service {
    /// A service over `keyring` (shared: keys added or retired there apply here), sealing its
    /// records under `recordKey` (32 secret bytes the service keeps beside its static keys, never
    /// in the store) into `store`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ServiceKeyring")] keyring: &JsValue,
        #[wasm_bindgen(js_name = recordKey, unchecked_param_type = "Uint8Array")] record_key: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "RecordStore")] store: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ServiceOptions")] options: &JsValue,
    ) -> JsResult<Service> {
        scrub::after(|| {
            let record_key = args::array::<32>(record_key, "recordKey")?;
            let store = JsStore::new(store)?;
            let options = service_options(options)?;
            let keyring = shared_keyring(keyring)?;
            let time_granularity = options.time_granularity;
            let inner = chatseal::Service::new(chatseal::ServiceKeyring::new(), &record_key, store, options);
            Ok(Service { keyring, inner: RefCell::new(Box::new(inner)), time_granularity })
        })
    }

    /// Accepts a session from its first envelope and opens that turn; stores the session's
    /// first record. A hello whose handle has (or had) a record is `session_exists`.
    #[wasm_bindgen(unchecked_return_type = "ServiceTurn")]
    pub fn accept(
        &self,
        #[wasm_bindgen(js_name = firstEnvelope, unchecked_param_type = "Uint8Array")] first_envelope: &JsValue,
    ) -> JsResult<JsValue> {
        scrub::after(|| {
            let envelope = args::bytes(first_envelope, "firstEnvelope", MAX_ENVELOPE)?;
            let (handle, mut turn) = self.run(|s| s.accept(&envelope))?;
            service_turn(&handle, &mut turn)
        })
    }

    /// Opens a visitor turn of a session this service accepted.
    #[wasm_bindgen(unchecked_return_type = "ServiceTurn")]
    pub fn open(&self, #[wasm_bindgen(unchecked_param_type = "Uint8Array")] envelope: &JsValue) -> JsResult<JsValue> {
        scrub::after(|| {
            let envelope = args::bytes(envelope, "envelope", MAX_ENVELOPE)?;
            let (handle, mut turn) = self.run(|s| s.open(&envelope))?;
            service_turn(&handle, &mut turn)
        })
    }

    /// Re-opens a stored envelope of session `handle` for a history view (the record is stored
    /// back unchanged but for its generation).
    #[wasm_bindgen(unchecked_return_type = "OpenedTurn")]
    pub fn reopen(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] handle_value: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] envelope: &JsValue,
    ) -> JsResult<JsValue> {
        scrub::after(|| {
            let handle = handle(handle_value, "handle")?;
            let envelope = args::bytes(envelope, "envelope", MAX_ENVELOPE)?;
            let mut turn = self.with_core_session(&handle, |session| session.reopen(&envelope))?;
            view::opened(&mut turn)
        })
    }

    /// Seals a text turn of the service into session `handle` (default role "assistant").
    #[wasm_bindgen(js_name = sealText)]
    pub fn seal_text(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] handle: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] text: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Omit<SealOptions, \"mask\">")] options: &JsValue,
    ) -> JsResult<Vec<u8>> {
        scrub::after(|| {
            let text = args::text(text, "text", MAX_PLAINTEXT)?;
            self.seal_step(handle, text.as_bytes(), options, Kind::Bytes, crate::inner::Step::Turn)
        })
    }

    /// Seals a binary turn of the service into session `handle`.
    pub fn seal(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] handle: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Omit<SealOptions, \"mask\">")] options: &JsValue,
    ) -> JsResult<Vec<u8>> {
        scrub::after(|| {
            let bytes = args::bytes(bytes, "bytes", MAX_PLAINTEXT)?;
            self.seal_step(handle, &bytes, options, Kind::Bytes, crate::inner::Step::Turn)
        })
    }

    /// Seals one chunk of a stream of the service into session `handle` (`end` marks the last).
    #[wasm_bindgen(js_name = sealChunk)]
    pub fn seal_chunk(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] handle: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] text: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "Omit<ChunkOptions, \"mask\">")] options: &JsValue,
    ) -> JsResult<Vec<u8>> {
        scrub::after(|| {
            let text = args::text(text, "text", MAX_PLAINTEXT)?;
            self.seal_step(handle, text.as_bytes(), options, Kind::Chunk, crate::inner::Step::Chunk { end: false })
        })
    }

    /// Seals the service's last turn of session `handle` (the text may be empty).
    pub fn close(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] handle: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] text: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Omit<SealOptions, \"mask\">")] options: &JsValue,
    ) -> JsResult<Vec<u8>> {
        scrub::after(|| {
            let text = args::optional_text(text, "text", MAX_PLAINTEXT)?;
            let body = text.as_ref().map_or(&[][..], |t| t.as_bytes());
            self.seal_step(handle, body, options, Kind::Bytes, crate::inner::Step::Close)
        })
    }

    /// Where session `handle` stands (see `Session.status()`).
    #[wasm_bindgen(unchecked_return_type = "Status")]
    pub fn status(&self, #[wasm_bindgen(unchecked_param_type = "string")] handle_value: &JsValue) -> JsResult<JsValue> {
        scrub::after(|| {
            let handle = handle(handle_value, "handle")?;
            view::status(&self.with_core_session(&handle, |session| Ok(session.status()))?)
        })
    }

    /// Asks session `handle` for a new key epoch on the service's next turn.
    #[wasm_bindgen(js_name = rekeyNow)]
    pub fn rekey_now(&self, #[wasm_bindgen(unchecked_param_type = "string")] handle_value: &JsValue) -> JsResult<()> {
        scrub::after(|| {
            let handle = handle(handle_value, "handle")?;
            self.with_core_session(&handle, |session| session.rekey_now())
        })
    }

    /// Crypto-shredding of the service's end of session `handle`: deletes its record (a
    /// tombstone stays, so the session cannot be accepted again) and returns the deletion record.
    #[wasm_bindgen(unchecked_return_type = "DeletionRecord")]
    pub fn forget(&self, #[wasm_bindgen(unchecked_param_type = "string")] handle_value: &JsValue) -> JsResult<JsValue> {
        scrub::after(|| {
            let handle = handle(handle_value, "handle")?;
            let record = self.run(|s| s.forget(&handle, crate::options::now_unix()))?;
            view::deletion(&record, 0)
        })
    }
}
