//! The JavaScript face of chatseal (wasm32 only), published on npm as `chatseal`.
//!
//! Each binding converts its arguments, calls the core, and maps the result or error; the rules of
//! the protocol live in the core. Conventions shared by every binding:
//!
//! * Every failure is thrown as a JS `Error` with `name === "ChatsealError"` and a stable
//!   `code` (one of `errorCodes()`); messages never contain key, plaintext or PII bytes.
//! * Binary values (envelopes, offers, answers, keys) are `Uint8Array`; ids and digests are
//!   lower-case hex strings.
//! * Integers are exact JS numbers. A `u64` above `Number.MAX_SAFE_INTEGER` (never reached by
//!   honest sessions) makes the call fail with `limit_exceeded` before anything changes.
//! * No secret key ever crosses into JS: service secrets go in (`importKey`) but never come out.

mod bridge;
mod convert;
mod envelope;
mod error;
mod handshake;
#[cfg(feature = "pii")]
mod pii;
mod session;
mod view;

use error::JsResult;
use wasm_bindgen::prelude::*;

/// The crate version, e.g. `"0.1.0"`.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Bytes of WebAssembly linear memory this module holds now (`memory.buffer.byteLength`). It only
/// ever grows (in 64 KiB pages): `free()` makes room for later objects but does not shrink it.
/// For measuring, e.g. memory per live session.
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let buffer: js_sys::ArrayBuffer = memory.buffer().unchecked_into();
    f64::from(buffer.byte_length())
}

/// A pseudonymous id for a label value (base64url of 16 bytes) to use in labels: with a salt the
/// backend does not know, it can group turns by user without learning who the user is.
#[wasm_bindgen(js_name = hashedId)]
pub fn hashed_id(salt: &[u8], id: &str) -> JsResult<String> {
    Ok(crate::hashed_id(salt, id)?)
}

#[cfg(test)]
mod tests;
