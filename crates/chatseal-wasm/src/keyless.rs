//! Functions that need no session: inspecting and auditing stored envelopes (what a backend can
//! check without keys), the text form, key ids, state blob headers and KEK rotation, and
//! pseudonyms.

use crate::args;
use crate::error::{JsError, JsResult};
use crate::{scrub, view};
use chatseal::{
    base64url_decode, base64url_encode, hex_encode, Pseudonym, ServicePublicKey, MAX_ENVELOPE, MAX_PLAINTEXT,
    MAX_STATE_BLOB,
};
use wasm_bindgen::prelude::*;

/// Most envelopes one `audit` call takes.
const MAX_AUDIT: u32 = 100_000;
/// Longest id a `PseudonymKey` maps, in bytes.
const MAX_ID: usize = 4096;

/// Validates an envelope's structure (sizes, flags, the roles allowed in its direction) and
/// returns its header and metadata, without any key. Authenticity is not checked: only the
/// session's ends can do that.
#[wasm_bindgen(unchecked_return_type = "Inspection")]
pub fn inspect(#[wasm_bindgen(unchecked_param_type = "Uint8Array")] envelope: &JsValue) -> JsResult<JsValue> {
    let envelope = args::bytes(envelope, "envelope", MAX_ENVELOPE)?;
    view::inspection(&chatseal::inspect(&envelope)?)
}

/// Checks a stored conversation without keys: is every turn there, in one chain per direction,
/// acknowledged turns included, and did someone close it? Takes the envelopes in any order
/// (duplicates allowed); a malformed one fails the call, naming its index.
#[wasm_bindgen(unchecked_return_type = "Audit")]
pub fn audit(#[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] envelopes: &JsValue) -> JsResult<JsValue> {
    let items = args::items(envelopes, "envelopes", "an array of Uint8Array", MAX_AUDIT)?;
    let mut inspections = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let what = format!("envelopes[{i}]");
        let envelope = args::bytes(item, &what, MAX_ENVELOPE)?;
        inspections.push(chatseal::inspect(&envelope).map_err(|e| JsError::with_context(e, &what))?);
    }
    view::audit(&chatseal::audit(&inspections))
}

/// The text form of an envelope, offer, answer or state blob: unpadded base64url.
#[wasm_bindgen(js_name = toText)]
pub fn to_text(#[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: &JsValue) -> JsResult<String> {
    let bytes = args::bytes(bytes, "bytes", MAX_ENVELOPE.max(MAX_STATE_BLOB))?;
    Ok(base64url_encode(&bytes))
}

/// Decodes the text form; refuses padding, whitespace and non-canonical encodings (`malformed`).
#[wasm_bindgen(js_name = fromText)]
pub fn from_text(#[wasm_bindgen(unchecked_param_type = "string")] text: &JsValue) -> JsResult<Vec<u8>> {
    let longest = MAX_ENVELOPE.max(MAX_STATE_BLOB);
    let text = args::short_string(text, "text", longest.div_ceil(3) * 4)?;
    Ok(base64url_decode(&text)?)
}

/// The key id (16 hex digits) of a service public key, as envelopes carry it.
#[wasm_bindgen(js_name = keyIdOf)]
pub fn key_id_of(
    #[wasm_bindgen(js_name = publicKey, unchecked_param_type = "Uint8Array")] public_key: &JsValue,
) -> JsResult<String> {
    let key = args::array::<32>(public_key, "publicKey")?;
    Ok(hex_encode(ServicePublicKey::from_bytes(&*key)?.key_id()))
}

/// What a state blob says of itself in clear (session handle, side, generation), without the
/// key: to find `expectedHandle` and the generation before importing. Authenticated only by the
/// import.
#[wasm_bindgen(js_name = stateInfo, unchecked_return_type = "StateInfo")]
pub fn state_info(#[wasm_bindgen(unchecked_param_type = "Uint8Array")] blob: &JsValue) -> JsResult<JsValue> {
    let blob = args::bytes(blob, "blob", MAX_STATE_BLOB)?;
    view::state_info(&chatseal::state_info(&blob)?)
}

/// Re-seals a state blob under a new key-encryption key (KEK rotation): same state, same
/// generation; the old KEK no longer opens the new blob.
#[wasm_bindgen(js_name = rewrapState)]
pub fn rewrap_state(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] blob: &JsValue,
    #[wasm_bindgen(js_name = oldKek, unchecked_param_type = "Uint8Array")] old_kek: &JsValue,
    #[wasm_bindgen(js_name = newKek, unchecked_param_type = "Uint8Array")] new_kek: &JsValue,
) -> JsResult<Vec<u8>> {
    scrub::after(|| {
        let blob = args::bytes(blob, "blob", MAX_STATE_BLOB)?;
        let old_kek = args::array::<32>(old_kek, "oldKek")?;
        let new_kek = args::array::<32>(new_kek, "newKek")?;
        Ok(chatseal::rewrap_state(&blob, &old_kek, &new_kek)?)
    })
}

/// The padded length (the length bucket a backend sees) of a turn of `length` plaintext bytes.
#[wasm_bindgen(js_name = paddedLength)]
pub fn padded_length(length: &JsValue) -> JsResult<f64> {
    let n = length.as_f64().filter(|n| n.fract() == 0.0 && (0.0..=MAX_PLAINTEXT as f64).contains(n));
    let n = n.ok_or_else(|| JsError::invalid("length", "an integer from 0 to 16777216"))?;
    Ok(chatseal::padded_len(n as usize + 1) as f64)
}

/// A fresh random pseudonym for an anonymous visitor (22 base64url characters): keep it (with
/// the widget's state) to use it again as `subject`.
#[wasm_bindgen(js_name = randomPseudonym)]
pub fn random_pseudonym() -> JsResult<String> {
    Ok(Pseudonym::random()?.to_text())
}

/// The service's pseudonym key: maps a user id to its pseudonym with HMAC-SHA-256, so a backend
/// holding the metadata cannot test guesses. Keep it with the service's secrets, never in a
/// widget (a widget uses `randomPseudonym()` or a pseudonym the service sends it).
#[wasm_bindgen]
pub struct PseudonymKey {
    inner: Box<chatseal::PseudonymKey>,
}

#[wasm_bindgen]
impl PseudonymKey {
    /// Loads a stored 32-byte key (copied into zeroizing wasm memory; wipe your copy).
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "Uint8Array")] secret: &JsValue) -> JsResult<PseudonymKey> {
        scrub::after(|| {
            let secret = args::array::<32>(secret, "secret")?;
            Ok(PseudonymKey { inner: Box::new(chatseal::PseudonymKey::from_bytes(&*secret)?) })
        })
    }

    /// A fresh key from the platform's CSPRNG.
    pub fn generate() -> JsResult<PseudonymKey> {
        scrub::after(|| Ok(PseudonymKey { inner: Box::new(chatseal::PseudonymKey::generate()?) }))
    }

    /// The pseudonym (22 base64url characters) of `id`: a string (as UTF-8) or bytes.
    pub fn pseudonym(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] id: &JsValue,
    ) -> JsResult<String> {
        scrub::after(|| {
            let bytes = if id.is_string() {
                let mut text = args::text(id, "id", MAX_ID)?;
                crate::scrub::Wiped::new(core::mem::take(&mut *text).into_bytes())
            } else {
                args::bytes(id, "id", MAX_ID)
                    .map_err(|_| JsError::invalid("id", "a string or a Uint8Array of at most 4096 bytes"))?
            };
            Ok(self.inner.pseudonym(&bytes).to_text())
        })
    }

    /// The 32 key bytes, to store in the service's secret storage. Handle with care: wipe the
    /// returned array (`fill(0)`) once stored.
    #[wasm_bindgen(js_name = exposeSecretBytes)]
    pub fn expose_secret_bytes(&self) -> js_sys::Uint8Array {
        args::to_uint8_array(self.inner.expose_secret_bytes())
    }
}
