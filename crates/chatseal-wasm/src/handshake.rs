//! Key agreement from JavaScript: the service keyring (pinned mode) and the two mutual-mode
//! parties. Each ends in a `Session`.

use super::convert::{key_id, secret_bytes, session_options};
use super::error::JsResult;
use super::session::Session;
use super::view::{accepted, check_envelope, hex};
use crate::{ServiceKeyPair, ServicePublicKey};
use wasm_bindgen::prelude::*;

/// The key id (16 hex digits) of a service public key, as envelopes carry it.
#[wasm_bindgen(js_name = keyIdOf)]
pub fn key_id_of(#[wasm_bindgen(js_name = publicKey)] public_key: &[u8]) -> JsResult<String> {
    Ok(hex(ServicePublicKey::from_bytes(public_key)?.key_id()))
}

/// Opens the first envelope of a session with `accept`, refusing numbers JS cannot hold first.
fn accept_with(
    envelope: &[u8],
    accept: impl FnOnce() -> crate::Result<(crate::Session, crate::Opened)>,
) -> JsResult<JsValue> {
    check_envelope(envelope)?;
    let (session, turn) = accept()?;
    accepted(Session::from(session).into(), &turn)
}

/// The service's static key pairs (pinned mode). Secrets live only inside this object: they can
/// be generated or imported, never read back.
#[wasm_bindgen]
pub struct ServiceKeyring {
    inner: crate::ServiceKeyring,
}

#[wasm_bindgen]
impl ServiceKeyring {
    /// An empty keyring.
    #[wasm_bindgen(constructor)]
    pub fn new() -> ServiceKeyring {
        ServiceKeyring { inner: crate::ServiceKeyring::new() }
    }

    /// Generates a key pair, keeps it, and returns only its 32-byte public key (to pin in widgets).
    #[wasm_bindgen(js_name = generateKey)]
    pub fn generate_key(&mut self) -> JsResult<Vec<u8>> {
        self.insert(ServiceKeyPair::generate()?)
    }

    /// Imports a stored 32-byte secret and returns its public key. The secret is copied into
    /// zeroized wasm memory; overwrite your own copy (`secret.fill(0)`) when done with it.
    #[wasm_bindgen(js_name = importKey)]
    pub fn import_key(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] secret: &js_sys::Uint8Array,
    ) -> JsResult<Vec<u8>> {
        self.insert(ServiceKeyPair::from_secret_bytes(&secret_bytes(secret))?)
    }

    fn insert(&mut self, pair: ServiceKeyPair) -> JsResult<Vec<u8>> {
        let public = pair.public_key().as_bytes().to_vec();
        self.inner.insert(pair);
        Ok(public)
    }

    /// Whether the keyring holds the key with this id (16 hex digits).
    #[wasm_bindgen(js_name = hasKey)]
    pub fn has_key(&self, #[wasm_bindgen(js_name = keyId)] key_id_hex: &str) -> JsResult<bool> {
        Ok(self.inner.get(&key_id(key_id_hex)?).is_some())
    }

    /// Removes and zeroizes the key with this id; returns whether it was held. Sessions under it
    /// can no longer be accepted or re-derived.
    #[wasm_bindgen(js_name = retireKey)]
    pub fn retire_key(&mut self, #[wasm_bindgen(js_name = keyId)] key_id_hex: &str) -> JsResult<bool> {
        Ok(self.inner.retire(&key_id(key_id_hex)?))
    }

    /// Derives the responder session from a widget's first envelope and opens that turn. Needs
    /// no stored state: accepting the stored first envelope again gives the same session (then
    /// `resumeAfter` the last envelope this end sealed).
    #[wasm_bindgen(unchecked_return_type = "AcceptedSession")]
    pub fn accept(
        &self,
        #[wasm_bindgen(js_name = firstEnvelope)] first_envelope: &[u8],
        #[wasm_bindgen(unchecked_optional_param_type = "SessionOptions")] options: Option<js_sys::Object>,
    ) -> JsResult<JsValue> {
        let options = session_options(options)?;
        accept_with(first_envelope, || self.inner.accept(first_envelope, options))
    }
}

/// Mutual mode, widget side: send `offerBytes`, then `complete` with the answer.
#[wasm_bindgen]
pub struct MutualInitiator {
    inner: crate::MutualInitiator,
    offer: Vec<u8>,
}

#[wasm_bindgen]
impl MutualInitiator {
    /// Starts a mutual session: a fresh ephemeral key and the offer that commits to it.
    pub fn offer(
        #[wasm_bindgen(unchecked_optional_param_type = "SessionOptions")] options: Option<js_sys::Object>,
    ) -> JsResult<MutualInitiator> {
        let (pending, offer) = crate::MutualInitiator::offer(session_options(options)?)?;
        Ok(MutualInitiator { inner: pending, offer })
    }

    /// The offer to send to the responder.
    #[wasm_bindgen(getter, js_name = offerBytes)]
    pub fn offer_bytes(&self) -> Vec<u8> {
        self.offer.clone()
    }

    /// Completes the handshake with the responder's answer. Works once (then `bad_state`); a
    /// failed call (bad or injected answer) leaves it able to complete with the genuine answer.
    pub fn complete(&mut self, answer: &[u8]) -> JsResult<Session> {
        Ok(self.inner.complete(answer)?.into())
    }
}

/// Mutual mode, service side: answer an offer, send `answerBytes`, then `accept` the first turn.
#[wasm_bindgen]
pub struct MutualResponder {
    inner: crate::MutualResponder,
    answer: Vec<u8>,
}

#[wasm_bindgen]
impl MutualResponder {
    /// Answers an offer with a fresh ephemeral key.
    pub fn answer(
        offer: &[u8],
        #[wasm_bindgen(unchecked_optional_param_type = "SessionOptions")] options: Option<js_sys::Object>,
    ) -> JsResult<MutualResponder> {
        let (inner, answer) = crate::MutualResponder::answer(offer, session_options(options)?)?;
        Ok(MutualResponder { inner, answer })
    }

    /// The answer to send back to the initiator.
    #[wasm_bindgen(getter, js_name = answerBytes)]
    pub fn answer_bytes(&self) -> Vec<u8> {
        self.answer.clone()
    }

    /// Checks the initiator's revealed key against its offer, derives the session and opens the
    /// first turn. A failed call leaves this object able to accept the genuine first envelope.
    #[wasm_bindgen(unchecked_return_type = "AcceptedSession")]
    pub fn accept(&mut self, #[wasm_bindgen(js_name = firstEnvelope)] first_envelope: &[u8]) -> JsResult<JsValue> {
        accept_with(first_envelope, || self.inner.accept(first_envelope))
    }
}
