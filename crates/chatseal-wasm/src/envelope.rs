//! Keyless helpers for backends: inspect an envelope, convert between binary and text form.

use super::error::JsResult;
use super::view::inspection;
use wasm_bindgen::prelude::*;

/// Validates an envelope's structure and returns its header and metadata, without any key.
/// Authenticity is not checked: only the session's ends can do that.
#[wasm_bindgen(unchecked_return_type = "Inspection")]
pub fn inspect(envelope: &[u8]) -> JsResult<JsValue> {
    Ok(inspection(&crate::inspect(envelope)?)?)
}

/// The text form of an envelope (or offer, answer): unpadded base64url.
#[wasm_bindgen(js_name = toText)]
pub fn to_text(bytes: &[u8]) -> String {
    crate::base64url_encode(bytes)
}

/// Decodes the text form; refuses padding, whitespace and non-canonical encodings (`malformed`).
#[wasm_bindgen(js_name = fromText)]
pub fn from_text(text: &str) -> JsResult<Vec<u8>> {
    Ok(crate::base64url_decode(text)?)
}
