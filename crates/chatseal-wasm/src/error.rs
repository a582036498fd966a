//! Errors as JavaScript sees them: an `Error` named `ChatsealError` with the stable `code`.

use crate::Error;
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
  | "unknown_key"
  | "unknown_epoch"
  | "non_contributory"
  | "limit_exceeded"
  | "counter_exhausted"
  | "entropy"
  | "stale_state"
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

/// Result of a binding: the error is a thrown `ChatsealError`.
pub(crate) type JsResult<T> = Result<T, JsValue>;

impl From<Error> for JsValue {
    /// `new Error(message)` with `name = "ChatsealError"` and `code = error.code()`.
    fn from(error: Error) -> JsValue {
        let js = js_sys::Error::new(&error.to_string());
        js.set_name("ChatsealError");
        // Setting a property on a fresh plain Error cannot fail.
        let _ = js_sys::Reflect::set(&js, &JsValue::from_str("code"), &JsValue::from_str(error.code()));
        js.into()
    }
}

/// Every error code, in a stable order.
#[wasm_bindgen(js_name = errorCodes, unchecked_return_type = "ErrorCode[]")]
pub fn error_codes() -> js_sys::Array {
    Error::CODES.iter().copied().map(JsValue::from_str).collect()
}

/// Whether `value` is an error thrown by chatseal (narrows its type in TypeScript).
#[wasm_bindgen(js_name = isChatsealError, unchecked_return_type = "value is ChatsealError")]
pub fn is_chatseal_error(#[wasm_bindgen(unchecked_param_type = "unknown")] value: &JsValue) -> bool {
    let Some(error) = value.dyn_ref::<js_sys::Error>() else { return false };
    let code = js_sys::Reflect::get(error, &JsValue::from_str("code")).ok().and_then(|c| c.as_string());
    error.name() == "ChatsealError" && code.is_some_and(|c| Error::CODES.contains(&c.as_str()))
}
