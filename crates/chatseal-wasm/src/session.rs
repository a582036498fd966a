//! `Session`: one end of an agreed session: seal turns, open the peer's, rekey, re-open history,
//! persist as a sealed state blob, forget.
//!
//! Every method takes `&self` and keeps the state in a `RefCell` it borrows only after all the
//! arguments were read and checked: a getter in an options object may even call back into this
//! session, and no failure leaves it borrowed.

use crate::args;
use crate::error::{JsError, JsResult};
use crate::inner::{self, Inner, Step};
use crate::options::{import_options, now_unix, Kind, SessionArgs, TurnArgs};
use crate::shared::{with, Shared};
use crate::{scrub, view};
use chatseal::{hex_encode, Mode, ServicePublicKey, SessionHandle, MAX_ENVELOPE, MAX_PLAINTEXT, MAX_STATE_BLOB};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// One end of an agreed session. Create it with `Session.initiatePinned`, a `MutualInitiator` or
/// `MutualResponder`, or `Session.importState`. Call `free()` when done (the garbage collector
/// also releases it, later), or `forget()` to destroy its keys and get a deletion record. Any
/// use after either is a `freed` error.
#[wasm_bindgen]
pub struct Session {
    shared: Shared,
}

impl Session {
    /// Boxes `inner`: call it below a binding's frame (in `scrub::after`), since the move into
    /// the box copies the keys.
    pub(crate) fn new(inner: Inner) -> Self {
        Session { shared: Rc::new(RefCell::new(Some(Box::new(inner)))) }
    }

    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Inner) -> JsResult<T>) -> JsResult<T> {
        with(&self.shared, f)
    }

    pub(crate) fn read<T>(&self, f: impl FnOnce(&chatseal::Session) -> T) -> JsResult<T> {
        match self.shared.try_borrow() {
            Ok(guard) => guard.as_ref().map(|inner| f(inner::core(inner))).ok_or_else(JsError::freed),
            Err(_) => Err(JsError::busy()),
        }
    }

    fn seal_step(&self, body: &[u8], options: &JsValue, kind: Kind, step: Option<Step>) -> JsResult<Vec<u8>> {
        let turn = TurnArgs::read(options, kind)?;
        let step = step.unwrap_or(Step::Chunk { end: turn.end });
        self.with(|inner| Ok(inner::seal(inner, body, &turn, step)?))
    }

    /// Wraps a new core session, inside `scrub::after` (the struct holds keys inline until boxed).
    fn wrapped(session: chatseal::Result<chatseal::Session>, policy: crate::options::Policy) -> JsResult<Session> {
        Ok(Session::new(inner::wrap(session?, policy)))
    }
}

impl Drop for Session {
    /// `free()` (or the garbage collector) destroys the keys now, even while a stream reader
    /// still holds the state: the box is dropped where it lies.
    fn drop(&mut self) {
        if let Ok(mut guard) = self.shared.try_borrow_mut() {
            *guard = None;
        }
    }
}

#[wasm_bindgen]
impl Session {
    /// Pinned mode, widget side: a new session with the service whose public key (32 bytes) the
    /// widget ships with. The first sealed turn carries the handshake, so there is no round trip.
    #[wasm_bindgen(js_name = initiatePinned)]
    pub fn initiate_pinned(
        #[wasm_bindgen(js_name = servicePublicKey, unchecked_param_type = "Uint8Array")] service_public_key: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SessionOptions")] options: &JsValue,
    ) -> JsResult<Session> {
        scrub::after(|| {
            let key = args::array::<32>(service_public_key, "servicePublicKey")?;
            let args = SessionArgs::read(options)?;
            let service = ServicePublicKey::from_bytes(&*key)?;
            let policy = args.policy();
            Session::wrapped(chatseal::Session::initiate_pinned(&service, args.options), policy)
        })
    }

    /// Seals a text turn into an envelope (the bytes to send and store). With `mask`, personal
    /// data is masked locally first and the metadata carries the counts per category.
    #[wasm_bindgen(js_name = sealText)]
    pub fn seal_text(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] text: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SealOptions")] options: &JsValue,
    ) -> JsResult<Vec<u8>> {
        scrub::after(|| {
            let text = args::text(text, "text", MAX_PLAINTEXT)?;
            self.seal_step(text.as_bytes(), options, Kind::Text, Some(Step::Turn))
        })
    }

    /// Seals a binary turn into an envelope (`mask` is for text turns only).
    pub fn seal(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Omit<SealOptions, \"mask\">")] options: &JsValue,
    ) -> JsResult<Vec<u8>> {
        scrub::after(|| {
            let bytes = args::bytes(bytes, "bytes", MAX_PLAINTEXT)?;
            self.seal_step(&bytes, options, Kind::Bytes, Some(Step::Turn))
        })
    }

    /// Seals one chunk of a stream: the first call opens the stream, `end: true` marks its last
    /// chunk. While a stream is open only chunks can be sealed. See `sealStream` for a loop.
    #[wasm_bindgen(js_name = sealChunk)]
    pub fn seal_chunk(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] text: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "ChunkOptions")] options: &JsValue,
    ) -> JsResult<Vec<u8>> {
        scrub::after(|| {
            let text = args::text(text, "text", MAX_PLAINTEXT)?;
            self.seal_step(text.as_bytes(), options, Kind::Chunk, None)
        })
    }

    /// Seals this end's last turn (the text may be empty): the peer learns the conversation ended
    /// here and what this end received of it. Afterwards sealing fails with `closed`.
    pub fn close(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] text: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SealOptions")] options: &JsValue,
    ) -> JsResult<Vec<u8>> {
        scrub::after(|| {
            let text = args::optional_text(text, "text", MAX_PLAINTEXT)?;
            let body = text.as_ref().map_or(&[][..], |t| t.as_bytes());
            self.seal_step(body, options, Kind::Text, Some(Step::Close))
        })
    }

    /// Opens an envelope from the peer. On any failure the session is exactly as before, so the
    /// genuine envelope still opens after a forged, replayed or corrupted one was refused.
    #[wasm_bindgen(unchecked_return_type = "OpenedTurn")]
    pub fn open(&self, #[wasm_bindgen(unchecked_param_type = "Uint8Array")] envelope: &JsValue) -> JsResult<JsValue> {
        scrub::after(|| {
            let envelope = args::bytes(envelope, "envelope", MAX_ENVELOPE)?;
            self.with(|inner| view::opened(&mut inner::core_mut(inner).open(&envelope)?))
        })
    }

    /// Re-opens a stored envelope of this session (either direction, any order) for a history
    /// view, changing nothing: `order` is "inOrder", `chain` "unverified". Turns of deleted
    /// epochs fail with `unknown_epoch`.
    #[wasm_bindgen(unchecked_return_type = "OpenedTurn")]
    pub fn reopen(&self, #[wasm_bindgen(unchecked_param_type = "Uint8Array")] envelope: &JsValue) -> JsResult<JsValue> {
        scrub::after(|| {
            let envelope = args::bytes(envelope, "envelope", MAX_ENVELOPE)?;
            self.with(|inner| view::opened(&mut inner::core(inner).reopen(&envelope)?))
        })
    }

    /// Closes, acknowledgements and missing turns; `finished` says whether the conversation ended
    /// properly (closed, complete, acknowledged) rather than being cut off.
    #[wasm_bindgen(unchecked_return_type = "Status")]
    pub fn status(&self) -> JsResult<JsValue> {
        view::status(&self.read(|s| s.status())?)
    }

    /// Asks for a new key epoch: the next turn sealed carries the offer. No effect while a step is
    /// in flight; `bad_state` before the first turn is sealed.
    #[wasm_bindgen(js_name = rekeyNow)]
    pub fn rekey_now(&self) -> JsResult<()> {
        scrub::after(|| self.with(|inner| Ok(inner::core_mut(inner).rekey_now()?)))
    }

    /// The whole session state sealed under `kek` (32 secret bytes; in PII builds the vault of
    /// masked values and the policy ride along). Raises `stateGeneration`.
    #[wasm_bindgen(js_name = exportState)]
    pub fn export_state(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] kek: &JsValue,
    ) -> JsResult<Vec<u8>> {
        scrub::after(|| {
            let kek = args::array::<32>(kek, "kek")?;
            self.with(|inner| Ok(inner::export_state(inner, &kek)?))
        })
    }

    /// Restores a session from `exportState`. `expectedHandle` (32 hex digits) is the session the
    /// application expects: a blob of another session is refused (`wrong_session`) before it is
    /// decrypted. Pass the last `stateGeneration` the application saw exported as
    /// `minGeneration` to refuse a stale copy (`stale_state`).
    #[wasm_bindgen(js_name = importState)]
    pub fn import_state(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] blob: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] kek: &JsValue,
        #[wasm_bindgen(js_name = expectedHandle, unchecked_param_type = "string")] expected_handle: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ImportOptions")] options: &JsValue,
    ) -> JsResult<Session> {
        scrub::after(|| {
            let blob = args::bytes(blob, "blob", MAX_STATE_BLOB)?;
            let kek = args::array::<32>(kek, "kek")?;
            let expected = handle(expected_handle, "expectedHandle")?;
            let options = import_options(options)?;
            Ok(Session::new(inner::import_state(&blob, &kek, &expected, options)?))
        })
    }

    /// Crypto-shredding: zeroizes every key of this session (and, in PII builds, the originals
    /// behind its placeholders) and returns the deletion record, which holds no secret.
    /// Afterwards every call on this object fails with `freed`; `free()` still works.
    #[wasm_bindgen(unchecked_return_type = "DeletionRecord")]
    pub fn forget(&self) -> JsResult<JsValue> {
        let (record, pii) = scrub::after(|| {
            let mut guard = self.shared.try_borrow_mut().map_err(|_| JsError::busy())?;
            let inner = guard.take().ok_or_else(JsError::freed)?;
            let deleted = inner::deletion(&inner, now_unix());
            drop(inner); // where it lies: keys and vault wipe themselves
            Ok::<_, JsError>(deleted)
        })?;
        view::deletion(&record, pii)
    }

    /// A reader for the stream the peer is sending: it opens each chunk through this session and
    /// refuses a dropped, reordered, interleaved or cut-off stream with `stream_broken`. See
    /// `openStream` for a loop.
    #[wasm_bindgen(js_name = streamReader)]
    pub fn stream_reader(&self) -> JsResult<crate::stream::StreamReader> {
        self.read(|_| ())?;
        Ok(crate::stream::StreamReader::new(self.shared.clone()))
    }

    /// 12 digits both ends derive from the handshake, as "dddd dddd dddd". In mutual mode, show
    /// it on both ends: equal codes mean no one sits in the middle.
    #[wasm_bindgen(getter, js_name = safetyCode)]
    pub fn safety_code(&self) -> JsResult<String> {
        self.read(|s| s.safety_code())
    }

    /// The session handle, 32 hex digits (every envelope's header carries it).
    #[wasm_bindgen(getter)]
    pub fn handle(&self) -> JsResult<String> {
        self.read(|s| s.handle().to_hex())
    }

    /// `"initiator"` (widget) or `"responder"` (service, agent).
    #[wasm_bindgen(getter, unchecked_return_type = "Side")]
    pub fn side(&self) -> JsResult<String> {
        self.read(|s| s.side().name().to_owned())
    }

    /// `"pinned"` or `"mutual"`.
    #[wasm_bindgen(getter, unchecked_return_type = "Mode")]
    pub fn mode(&self) -> JsResult<String> {
        self.read(|s| s.mode().name().to_owned())
    }

    /// The pinned service key's id (16 hex digits); null in mutual mode.
    #[wasm_bindgen(getter, js_name = keyId, unchecked_return_type = "string | null")]
    pub fn key_id(&self) -> JsResult<JsValue> {
        self.read(|s| match s.mode() {
            Mode::Pinned => JsValue::from_str(&hex_encode(s.key_id())),
            Mode::Mutual => JsValue::NULL,
        })
    }

    /// Rounding step of the time this session puts in metadata (seconds; 0 = no time).
    #[wasm_bindgen(getter, js_name = timeGranularity)]
    pub fn time_granularity(&self) -> JsResult<u32> {
        self.read(|s| s.time_granularity())
    }

    /// The key epoch this end seals in.
    #[wasm_bindgen(getter)]
    pub fn epoch(&self) -> JsResult<u32> {
        self.read(|s| s.epoch())
    }

    /// The epochs whose keys this end holds, oldest first.
    #[wasm_bindgen(getter, js_name = epochsHeld, unchecked_return_type = "number[]")]
    pub fn epochs_held(&self) -> JsResult<js_sys::Array> {
        self.read(|s| s.epochs_held().into_iter().map(JsValue::from).collect())
    }

    /// The sequence number the next sealed turn will carry.
    #[wasm_bindgen(getter, js_name = nextSendSeq)]
    pub fn next_send_seq(&self) -> JsResult<f64> {
        self.read(|s| s.next_send_seq() as f64)
    }

    /// Whether a rekeying step is in flight (in pinned mode also the forward-secrecy step until
    /// the service's first reply arrives).
    #[wasm_bindgen(getter, js_name = rekeyPending)]
    pub fn rekey_pending(&self) -> JsResult<bool> {
        self.read(|s| s.rekey_pending())
    }

    /// When this session rekeys.
    #[wasm_bindgen(getter, js_name = rekeyPolicy, unchecked_return_type = "RekeyPolicy")]
    pub fn rekey_policy(&self) -> JsResult<JsValue> {
        view::rekey_policy(&self.read(|s| s.rekey_policy())?)
    }

    /// Whether a sealed stream is open (only chunks can be sealed until it ends).
    #[wasm_bindgen(getter, js_name = streamOpen)]
    pub fn stream_open(&self) -> JsResult<bool> {
        self.read(|s| s.stream_open())
    }

    /// How many times this session was exported (see `importState`'s `minGeneration`).
    #[wasm_bindgen(getter, js_name = stateGeneration)]
    pub fn state_generation(&self) -> JsResult<f64> {
        self.read(|s| s.state_generation() as f64)
    }
}

/// A session handle argument (32 hex digits).
pub(crate) fn handle(value: &JsValue, what: &str) -> JsResult<SessionHandle> {
    let text = args::short_string(value, what, 64)?;
    SessionHandle::from_hex(&text).map_err(|_| JsError::invalid(what, "a session handle (32 hex digits)"))
}
