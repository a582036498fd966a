//! `Session`: one end of an agreed session: seal turns, open the peer's, rekey, re-open history,
//! persist as a sealed state blob, forget.

use super::convert::{
    import_options, kek, now_unix, seal_options, secret_bytes, secret_text, session_options, Masking,
};
use super::error::JsResult;
use super::view::{check_envelope, deletion_record, exact, hex, opened};
use crate::{Error, Mode, Result, ServicePublicKey};
use wasm_bindgen::prelude::*;

/// One end of an agreed session. Create it with `Session.initiatePinned`, `MutualInitiator`,
/// `MutualResponder` or `Session.importState`, or receive it from `ServiceKeyring.accept`.
/// Call `free()` when done (the garbage collector also releases it, later), or `forget()` to
/// destroy its keys.
#[wasm_bindgen]
pub struct Session {
    /// `None` once forgotten: every call then fails with `bad_state`.
    inner: Option<crate::Session>,
}

impl From<crate::Session> for Session {
    fn from(inner: crate::Session) -> Self {
        Session { inner: Some(inner) }
    }
}

impl Session {
    fn live(&self) -> Result<&crate::Session> {
        self.inner.as_ref().ok_or(Error::State("session forgotten"))
    }

    fn live_mut(&mut self) -> Result<&mut crate::Session> {
        self.inner.as_mut().ok_or(Error::State("session forgotten"))
    }
}

#[wasm_bindgen]
impl Session {
    /// Pinned mode, widget side: a new session with the service whose public key the widget
    /// ships with. The first sealed turn carries the handshake, so there is no round trip.
    #[wasm_bindgen(js_name = initiatePinned)]
    pub fn initiate_pinned(
        #[wasm_bindgen(js_name = servicePublicKey)] service_public_key: &[u8],
        #[wasm_bindgen(unchecked_optional_param_type = "SessionOptions")] options: Option<js_sys::Object>,
    ) -> JsResult<Session> {
        let service = ServicePublicKey::from_bytes(service_public_key)?;
        Ok(crate::Session::initiate_pinned(&service, session_options(options)?)?.into())
    }

    /// Seals a text turn into an envelope (the bytes to send and store). With `mask`, personal
    /// data is masked locally first and the metadata carries the counts per category.
    #[wasm_bindgen(js_name = sealText)]
    pub fn seal_text(
        &mut self,
        text: &js_sys::JsString,
        #[wasm_bindgen(unchecked_optional_param_type = "SealOptions")] options: Option<js_sys::Object>,
    ) -> JsResult<Vec<u8>> {
        let session = self.live_mut()?;
        let (metadata, masking) = seal_options(session, options)?;
        let text = secret_text(text);
        Ok(match masking {
            Masking::Off => session.seal(text.as_bytes(), &metadata)?,
            #[cfg(feature = "pii")]
            Masking::SessionPolicy => session.seal_masked(&text, &metadata)?.0,
            #[cfg(feature = "pii")]
            Masking::Policy(policy) => session.seal_masked_with(&text, &metadata, &policy)?.0,
        })
    }

    /// Seals a binary turn into an envelope (`mask` applies to text turns only).
    pub fn seal(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: &js_sys::Uint8Array,
        #[wasm_bindgen(unchecked_optional_param_type = "SealOptions")] options: Option<js_sys::Object>,
    ) -> JsResult<Vec<u8>> {
        let session = self.live_mut()?;
        let (metadata, masking) = seal_options(session, options)?;
        if !matches!(masking, Masking::Off) {
            return Err(Error::InvalidInput("mask applies to sealText").into());
        }
        Ok(session.seal(&secret_bytes(bytes), &metadata)?)
    }

    /// Masks `text` with the session's policy without sealing (to show what will be sent).
    /// Numbered placeholders are registered as a masked seal would.
    #[cfg(feature = "pii")]
    #[wasm_bindgen(js_name = maskText, unchecked_return_type = "MaskedText")]
    pub fn mask_text(&mut self, text: &js_sys::JsString) -> JsResult<JsValue> {
        let text = secret_text(text);
        let masked = self.live_mut()?.mask(&text)?;
        Ok(super::pii::masked_view(&text, &masked)?)
    }

    /// Fills this session's numbered placeholders (`[EMAIL_1]`) in `text` back in with the
    /// originals, locally. Unknown placeholders stay as they are.
    #[cfg(feature = "pii")]
    pub fn restore(&self, text: &js_sys::JsString) -> JsResult<String> {
        Ok(self.live()?.restore(&secret_text(text)))
    }

    /// Opens an envelope from the peer. On any failure the session is exactly as before, so the
    /// genuine envelope still opens after a forged or corrupted one was refused.
    #[wasm_bindgen(unchecked_return_type = "OpenedTurn")]
    pub fn open(&mut self, envelope: &[u8]) -> JsResult<JsValue> {
        let session = self.live_mut()?;
        check_envelope(envelope)?;
        Ok(opened(&session.open(envelope)?)?)
    }

    /// Re-opens any stored envelope of this session (either direction, any order) for a history
    /// view. Changes nothing; `order` is "inOrder" and `chain` "unverified". Epochs whose keys
    /// were deleted fail with `unknown_epoch`.
    #[wasm_bindgen(unchecked_return_type = "OpenedTurn")]
    pub fn reopen(&self, envelope: &[u8]) -> JsResult<JsValue> {
        Ok(opened(&self.live()?.reopen(envelope)?)?)
    }

    /// For a stateless service end that re-derived this session with `ServiceKeyring.accept`:
    /// continue sealing after `ownEnvelope`, the last envelope this end sealed.
    #[wasm_bindgen(js_name = resumeAfter)]
    pub fn resume_after(&mut self, #[wasm_bindgen(js_name = ownEnvelope)] own_envelope: &[u8]) -> JsResult<()> {
        let session = self.live_mut()?;
        let inspection = crate::inspect(own_envelope)?;
        exact(inspection.header.seq.saturating_add(1), "sequence number above 2^53 - 1")?;
        Ok(session.resume_after(own_envelope)?)
    }

    /// Asks for a new key epoch: the next turn sealed carries the offer. No effect while a step is
    /// in flight; `bad_state` before the first turn is sealed.
    #[wasm_bindgen(js_name = rekeyNow)]
    pub fn rekey_now(&mut self) -> JsResult<()> {
        Ok(self.live_mut()?.rekey_now()?)
    }

    /// The whole session state sealed under `kek` (32 secret bytes the application keeps, e.g.
    /// wrapped by a non-extractable WebCrypto key). Raises `stateGeneration`.
    #[wasm_bindgen(js_name = exportState)]
    pub fn export_state(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] kek_bytes: &js_sys::Uint8Array,
    ) -> JsResult<Vec<u8>> {
        let kek = kek(kek_bytes)?;
        Ok(self.live_mut()?.export_state(&kek)?)
    }

    /// Restores a session from `exportState`. Pass the last `stateGeneration` the application saw
    /// exported as `minGeneration` to refuse a stale copy (`stale_state`).
    #[wasm_bindgen(js_name = importState)]
    pub fn import_state(
        blob: &[u8],
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] kek_bytes: &js_sys::Uint8Array,
        #[wasm_bindgen(unchecked_optional_param_type = "ImportOptions")] options: Option<js_sys::Object>,
    ) -> JsResult<Session> {
        let kek = kek(kek_bytes)?;
        Ok(crate::Session::import_state(blob, &kek, import_options(options)?)?.into())
    }

    /// Crypto-shredding: zeroizes every key of this session and returns the deletion record (no
    /// secret in it). Afterwards every call on this object fails with `bad_state`.
    #[wasm_bindgen(unchecked_return_type = "DeletionRecord")]
    pub fn forget(&mut self) -> JsResult<JsValue> {
        let session = self.inner.take().ok_or(Error::State("session forgotten"))?;
        Ok(deletion_record(&session.forget(now_unix()))?)
    }

    /// 12 digits both ends derive from the handshake. In mutual mode, show it on both ends: equal
    /// codes mean no one sits in the middle.
    #[wasm_bindgen(js_name = safetyCode)]
    pub fn safety_code(&self) -> JsResult<String> {
        Ok(self.live()?.safety_code())
    }

    /// The session id, 32 hex digits (also in every envelope header).
    #[wasm_bindgen(getter, js_name = sessionId)]
    pub fn session_id(&self) -> JsResult<String> {
        Ok(hex(self.live()?.session_id()))
    }

    /// `"initiator"` (widget) or `"responder"` (service).
    #[wasm_bindgen(getter, unchecked_return_type = "Side")]
    pub fn side(&self) -> JsResult<String> {
        Ok(self.live()?.side().name().to_owned())
    }

    /// `"pinned"` or `"mutual"`.
    #[wasm_bindgen(getter, unchecked_return_type = "Mode")]
    pub fn mode(&self) -> JsResult<String> {
        Ok(self.live()?.mode().name().to_owned())
    }

    /// The pinned service key's id (16 hex digits); null in mutual mode.
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> JsResult<Option<String>> {
        let session = self.live()?;
        Ok((session.mode() == Mode::Pinned).then(|| hex(session.key_id())))
    }

    /// Rounding step of the time this session puts in metadata (seconds; 0 = no time).
    #[wasm_bindgen(getter, js_name = timeGranularity)]
    pub fn time_granularity(&self) -> JsResult<u32> {
        Ok(self.live()?.time_granularity())
    }

    /// The sequence number the next sealed turn will carry.
    #[wasm_bindgen(getter, js_name = nextSendSeq)]
    pub fn next_send_seq(&self) -> JsResult<f64> {
        Ok(exact(self.live()?.next_send_seq(), "sequence number above 2^53 - 1")? as f64)
    }

    /// The key epoch this end seals in (0 until the first rekeying).
    #[wasm_bindgen(getter)]
    pub fn epoch(&self) -> JsResult<u32> {
        Ok(self.live()?.epoch())
    }

    /// The epochs whose keys this end holds, oldest first.
    #[wasm_bindgen(getter, js_name = epochsHeld, unchecked_return_type = "number[]")]
    pub fn epochs_held(&self) -> JsResult<js_sys::Array> {
        Ok(self.live()?.epochs_held().into_iter().map(JsValue::from).collect())
    }

    /// Whether a rekeying step is in flight.
    #[wasm_bindgen(getter, js_name = rekeyPending)]
    pub fn rekey_pending(&self) -> JsResult<bool> {
        Ok(self.live()?.rekey_pending())
    }

    /// How many times this session was exported (see `importState`'s `minGeneration`).
    #[wasm_bindgen(getter, js_name = stateGeneration)]
    pub fn state_generation(&self) -> JsResult<f64> {
        Ok(exact(self.live()?.state_generation(), "state generation above 2^53 - 1")? as f64)
    }

    /// Whether `forget()` was called.
    #[wasm_bindgen(getter)]
    pub fn forgotten(&self) -> bool {
        self.inner.is_none()
    }
}

/// Re-seals a state blob under a new key-encryption key (KEK rotation).
#[wasm_bindgen(js_name = rewrapState)]
pub fn rewrap_state(
    blob: &[u8],
    #[wasm_bindgen(js_name = oldKek, unchecked_param_type = "Uint8Array")] old_kek: &js_sys::Uint8Array,
    #[wasm_bindgen(js_name = newKek, unchecked_param_type = "Uint8Array")] new_kek: &js_sys::Uint8Array,
) -> JsResult<Vec<u8>> {
    Ok(crate::rewrap_state(blob, &*kek(old_kek)?, &*kek(new_kek)?)?)
}
