//! cargo-fuzz target `text_form`: the harness in `fuzz/harness` (shared with the replay test).
#![no_main]

#[allow(dead_code)]
#[path = "../harness/core.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::text_form(data));
