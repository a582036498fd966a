#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

// Layers, bottom to top: error, args (JS values in), view (JS values out), options, scrub, inner,
// shared, then the bindings: session, stream, handshake, service, keyless, pii, hooks.
mod args;
mod error;
mod handshake;
mod inner;
mod keyless;
mod options;
#[cfg(feature = "pii")]
mod pii;
mod scrub;
mod service;
mod session;
mod shared;
mod stream;
#[cfg(feature = "test-hooks")]
mod test_hooks;
mod view;

use wasm_bindgen::prelude::*;

/// Every heap block is zeroed when it is freed (and, since `realloc` allocates anew, when it
/// moves): whatever a buffer held (a key copied into struct padding, a plaintext piece in a string
/// that grew) is gone once the buffer is. `Zeroizing` still wipes secrets at the moment they are
/// dropped; this covers the copies nothing names. wasm32 only: natively the crate is a library for
/// tests.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: zeroizing_alloc::ZeroAlloc<std::alloc::System> = zeroizing_alloc::ZeroAlloc(std::alloc::System);

#[wasm_bindgen(typescript_custom_section)]
const TS_RUNTIME: &str = r#"
/**
 * Seals each text chunk `source` yields as a stream chunk of `session`, then an empty chunk that
 * ends the stream, yielding the envelopes as they are made. If `source` throws, the stream is
 * left open (the reader sees it cut off) and the error is rethrown.
 */
export function sealStream(
  session: Session,
  source: AsyncIterable<string> | Iterable<string> | ReadableStream<string>,
  options?: SealOptions,
): AsyncGenerator<Uint8Array, void, undefined>;

/**
 * Opens the envelopes of one stream from `source` with `session`, yielding each chunk's text.
 * Throws `ChatsealError` `stream_broken` when a chunk is missing, out of order or of another
 * stream, or when `source` ends before the stream's last chunk.
 */
export function openStream(
  session: Session,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>,
): AsyncGenerator<string, void, undefined>;

/** A `RecordStore` in memory (records are lost with the process: for tests and demos). */
export class MemoryRecordStore implements RecordStore {
  constructor();
  load(handle: string): Uint8Array | null;
  create(handle: string, generation: number, record: Uint8Array): boolean;
  update(handle: string, expected: number, generation: number, record: Uint8Array): boolean;
  remove(handle: string): boolean;
  /** How many live records it holds. */
  readonly size: number;
}

/** The size limits chatseal enforces, in bytes unless named otherwise. */
export interface Limits {
  maxEnvelope: number;
  maxPlaintext: number;
  maxStateBlob: number;
  maxLabels: number;
  maxLabelKey: number;
  maxLabelValue: number;
  maxMetadata: number;
  maxScanBytes: number;
  maxCounter: number;
  replayWindow: number;
}
"#;

/// The crate version, e.g. `"0.2.0"`.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Bytes of WebAssembly linear memory this module holds now (`memory.buffer.byteLength`). It
/// only ever grows (in 64 KiB pages): `free()` makes room for later objects but does not shrink it.
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let buffer: js_sys::ArrayBuffer = memory.buffer().unchecked_into();
    f64::from(buffer.byte_length())
}

/// The size limits chatseal enforces.
#[wasm_bindgen(unchecked_return_type = "Limits")]
pub fn limits() -> Result<JsValue, JsValue> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Limits {
        max_envelope: usize,
        max_plaintext: usize,
        max_state_blob: usize,
        max_labels: usize,
        max_label_key: usize,
        max_label_value: usize,
        max_metadata: usize,
        max_scan_bytes: usize,
        max_counter: u64,
        replay_window: u64,
    }
    #[cfg(feature = "pii")]
    let max_scan_bytes = chatseal_pii::MAX_SCAN_BYTES;
    #[cfg(not(feature = "pii"))]
    let max_scan_bytes = 0;
    Ok(view::to_js(&Limits {
        max_envelope: chatseal::MAX_ENVELOPE,
        max_plaintext: chatseal::MAX_PLAINTEXT,
        max_state_blob: chatseal::MAX_STATE_BLOB,
        max_labels: chatseal::MAX_LABELS,
        max_label_key: chatseal::MAX_LABEL_KEY,
        max_label_value: chatseal::MAX_LABEL_VALUE,
        max_metadata: chatseal::MAX_METADATA,
        max_scan_bytes,
        max_counter: chatseal::MAX_COUNTER,
        replay_window: chatseal::WINDOW,
    })?)
}

/// Whether `value` is an error thrown by chatseal (narrows its type in TypeScript). Never throws:
/// a value whose properties cannot be read is not a chatseal error.
#[wasm_bindgen(js_name = isChatsealError, unchecked_return_type = "value is ChatsealError")]
pub fn is_chatseal_error(#[wasm_bindgen(unchecked_param_type = "unknown")] value: &JsValue) -> bool {
    let read = |key: &str| args::get(value, key).ok().and_then(|v| v.as_string());
    args::is_error(value)
        && read("name").as_deref() == Some("ChatsealError")
        && read("code").is_some_and(|c| chatseal::Error::CODES.contains(&c.as_str()))
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests;
