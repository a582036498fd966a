//! Mutual mode from JavaScript: both ends ephemeral, the initiator committed to its key before
//! seeing the responder's, and a safety code to compare. Each party ends in a `Session`.

use crate::args;
use crate::error::{JsError, JsResult};
use crate::inner;
use crate::options::Policy;
use crate::options::SessionArgs;
use crate::session::Session;
use crate::{scrub, view};
use chatseal::{HANDSHAKE_MESSAGE_LEN, MAX_ENVELOPE};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_HANDSHAKE: &str = r#"
/** A responder's new session and the first turn it opened. */
export interface AcceptedSession {
  session: Session;
  turn: OpenedTurn;
}
"#;

/// `{ session, turn }`.
fn accepted(session: Session, turn: &mut chatseal::Opened) -> JsResult<JsValue> {
    let turn = view::opened(turn)?;
    let object = js_sys::Object::new();
    let bad = |_| JsError::busy();
    js_sys::Reflect::set(&object, &"session".into(), &JsValue::from(session)).map_err(bad)?;
    js_sys::Reflect::set(&object, &"turn".into(), &turn).map_err(bad)?;
    Ok(object.into())
}

/// Mutual mode, widget side: send `offerBytes`, then `complete` with the answer.
#[wasm_bindgen]
pub struct MutualInitiator {
    inner: RefCell<Box<chatseal::MutualInitiator>>,
    offer: Vec<u8>,
    policy: Policy,
}

#[wasm_bindgen]
impl MutualInitiator {
    /// Starts a mutual session: a fresh ephemeral key and the offer that commits to it.
    pub fn offer(
        #[wasm_bindgen(unchecked_optional_param_type = "SessionOptions")] options: &JsValue,
    ) -> JsResult<MutualInitiator> {
        scrub::after(|| {
            let args = SessionArgs::read(options)?;
            let policy = args.policy();
            let (inner, offer) = chatseal::MutualInitiator::offer(args.options)?;
            Ok(MutualInitiator { inner: RefCell::new(Box::new(inner)), offer, policy })
        })
    }

    /// The offer to send to the responder.
    #[wasm_bindgen(getter, js_name = offerBytes)]
    pub fn offer_bytes(&self) -> Vec<u8> {
        self.offer.clone()
    }

    /// The session handle (32 hex digits) the offer fixes.
    #[wasm_bindgen(getter)]
    pub fn handle(&self) -> JsResult<String> {
        Ok(self.inner.try_borrow().map_err(|_| JsError::busy())?.handle().to_hex())
    }

    /// Completes the handshake with the responder's answer. Works once (then `bad_state`); a
    /// failed call (a bad or injected answer) leaves it able to complete with the genuine answer.
    pub fn complete(&self, #[wasm_bindgen(unchecked_param_type = "Uint8Array")] answer: &JsValue) -> JsResult<Session> {
        scrub::after(|| {
            let answer = args::bytes(answer, "answer", HANDSHAKE_MESSAGE_LEN)?;
            let session = self.inner.try_borrow_mut().map_err(|_| JsError::busy())?.complete(&answer)?;
            Ok(Session::new(inner::wrap(session, self.policy)))
        })
    }
}

/// Mutual mode, responder side: answer an offer, send `answerBytes`, then `accept` the first turn.
#[wasm_bindgen]
pub struct MutualResponder {
    inner: RefCell<Box<chatseal::MutualResponder>>,
    answer: Vec<u8>,
    policy: Policy,
}

#[wasm_bindgen]
impl MutualResponder {
    /// Answers an offer with a fresh ephemeral key.
    pub fn answer(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] offer: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SessionOptions")] options: &JsValue,
    ) -> JsResult<MutualResponder> {
        scrub::after(|| {
            let offer = args::bytes(offer, "offer", HANDSHAKE_MESSAGE_LEN)?;
            let args = SessionArgs::read(options)?;
            let policy = args.policy();
            let (inner, answer) = chatseal::MutualResponder::answer(&offer, args.options)?;
            Ok(MutualResponder { inner: RefCell::new(Box::new(inner)), answer, policy })
        })
    }

    /// The answer to send back to the initiator.
    #[wasm_bindgen(getter, js_name = answerBytes)]
    pub fn answer_bytes(&self) -> Vec<u8> {
        self.answer.clone()
    }

    /// The session handle (32 hex digits) the offer fixed.
    #[wasm_bindgen(getter)]
    pub fn handle(&self) -> JsResult<String> {
        Ok(self.inner.try_borrow().map_err(|_| JsError::busy())?.handle().to_hex())
    }

    /// Checks the initiator's revealed key against its offer, derives the session and opens the
    /// first turn. A failed call leaves this object able to accept the genuine first envelope.
    #[wasm_bindgen(unchecked_return_type = "AcceptedSession")]
    pub fn accept(
        &self,
        #[wasm_bindgen(js_name = firstEnvelope, unchecked_param_type = "Uint8Array")] first_envelope: &JsValue,
    ) -> JsResult<JsValue> {
        scrub::after(|| {
            let envelope = args::bytes(first_envelope, "firstEnvelope", MAX_ENVELOPE)?;
            let (session, mut turn) = self.inner.try_borrow_mut().map_err(|_| JsError::busy())?.accept(&envelope)?;
            accepted(Session::new(inner::wrap(session, self.policy)), &mut turn)
        })
    }
}
