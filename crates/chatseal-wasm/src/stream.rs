//! Reading a sealed stream from JavaScript: the core's `StreamAssembler` over the session that
//! opens the chunks. The package's `openStream` helper loops over it.

use crate::args;
use crate::error::{JsError, JsResult};
use crate::inner;
use crate::shared::{with, Shared};
use crate::view;
use chatseal::{StreamAssembler, MAX_ENVELOPE};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

/// Opens the chunks of one stream in order, through the session that made it
/// (`session.streamReader()`). A chunk that is not the next one of this stream (dropped,
/// reordered, another stream's, a plain turn in between) is `stream_broken`; so is `finish()`
/// before the last chunk arrived. Freeing or forgetting the session ends the reader too (`freed`).
#[wasm_bindgen]
pub struct StreamReader {
    session: Shared,
    assembler: RefCell<StreamAssembler>,
}

impl StreamReader {
    pub(crate) fn new(session: Shared) -> Self {
        StreamReader { session, assembler: RefCell::new(StreamAssembler::new()) }
    }
}

#[wasm_bindgen]
impl StreamReader {
    /// Opens the next chunk with the session and checks its place in the stream.
    #[wasm_bindgen(unchecked_return_type = "OpenedTurn")]
    pub fn open(&self, #[wasm_bindgen(unchecked_param_type = "Uint8Array")] envelope: &JsValue) -> JsResult<JsValue> {
        let envelope = args::bytes(envelope, "envelope", MAX_ENVELOPE)?;
        let mut assembler = self.assembler.try_borrow_mut().map_err(|_| JsError::busy())?;
        with(&self.session, |inner| {
            let mut opened = inner::core_mut(inner).open(&envelope)?;
            assembler.push(&opened)?;
            view::opened(&mut opened)
        })
    }

    /// Whether the last chunk arrived.
    #[wasm_bindgen(getter)]
    pub fn ended(&self) -> JsResult<bool> {
        Ok(self.assembler.try_borrow().map_err(|_| JsError::busy())?.finish().is_ok())
    }

    /// How many chunks were accepted.
    #[wasm_bindgen(getter)]
    pub fn chunks(&self) -> JsResult<f64> {
        Ok(self.assembler.try_borrow().map_err(|_| JsError::busy())?.chunks() as f64)
    }

    /// Call when no more chunks will come: `stream_broken` unless the last one ended the stream.
    pub fn finish(&self) -> JsResult<()> {
        Ok(self.assembler.try_borrow().map_err(|_| JsError::busy())?.finish()?)
    }
}
