//! Errors as JavaScript sees them: an `Error` named `ChatsealError` with the stable `code`.
//!
//! Every binding returns `Result<_, JsError>`; wasm-bindgen throws the error value. Messages name
//! what was wrong (a parameter, a field, a limit), never a value: no key, plaintext or PII byte
//! reaches a message, and neither does a caller's unknown field name.

use chatseal::Error;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_ERRORS: &str = r#"
/** The stable machine-readable code of every chatseal failure (see `errorCodes()`). */
export type ErrorCode =
  | "invalid_input"
  | "malformed"
  | "unsupported_version"
  | "unsupported_suite"
  | "decrypt_failed"
  | "duplicate"
  | "too_old"
  | "wrong_session"
  | "wrong_direction"
  | "wrong_role"
  | "unknown_key"
  | "unknown_epoch"
  | "unknown_session"
  | "session_exists"
  | "not_hello"
  | "closed"
  | "non_contributory"
  | "limit_exceeded"
  | "counter_exhausted"
  | "entropy"
  | "stale_state"
  | "conflict"
  | "store"
  | "stream_broken"
  | "freed"
  | "bad_state";

/**
 * What every chatseal function throws. The message is for humans and never contains key,
 * plaintext or PII bytes; branch on `code`.
 */
export interface ChatsealError extends Error {
  readonly name: "ChatsealError";
  readonly code: ErrorCode;
}
"#;

/// A failure on its way to JavaScript: the thrown `ChatsealError`.
pub struct JsError(JsValue);

/// Result of a binding.
pub type JsResult<T> = Result<T, JsError>;

impl JsError {
    /// A `ChatsealError` with `code` and `message`.
    pub(crate) fn new(code: &str, message: &str) -> Self {
        let js = js_sys::Error::new(message);
        js.set_name("ChatsealError");
        // Setting a property on a fresh plain Error cannot fail.
        let _ = js_sys::Reflect::set(&js, &JsValue::from_str("code"), &JsValue::from_str(code));
        JsError(js.into())
    }

    /// `invalid_input`: `what` (a parameter or `param.field`) must be `expected`.
    pub(crate) fn invalid(what: &str, expected: &str) -> Self {
        Self::new("invalid_input", &format!("invalid input: {what} must be {expected}"))
    }

    /// `limit_exceeded`: `what` is larger than `limit` allows.
    pub(crate) fn too_large(what: &str, limit: &str) -> Self {
        Self::new("limit_exceeded", &format!("limit exceeded: {what} is larger than {limit}"))
    }

    /// `freed`: the object was freed or forgotten.
    pub(crate) fn freed() -> Self {
        Error::Freed.into()
    }

    /// `bad_state`: a call re-entered an object whose call is still running (from a getter or a
    /// record store callback).
    pub(crate) fn busy() -> Self {
        Error::State("object in use by a call in progress").into()
    }

    /// The core error `error`, with `context` (e.g. which envelope of a list) before its message.
    pub(crate) fn with_context(error: Error, context: &str) -> Self {
        Self::new(error.code(), &format!("{context}: {error}"))
    }
}

impl From<Error> for JsError {
    fn from(error: Error) -> Self {
        Self::new(error.code(), &error.to_string())
    }
}

impl From<JsError> for JsValue {
    fn from(error: JsError) -> Self {
        error.0
    }
}

/// Every error code, in a stable order.
#[wasm_bindgen(js_name = errorCodes, unchecked_return_type = "ErrorCode[]")]
pub fn error_codes() -> js_sys::Array {
    Error::CODES.iter().copied().map(JsValue::from_str).collect()
}
