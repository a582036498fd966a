//! cargo-fuzz target `rewrap`: the harness in `fuzz/harness` (shared with the replay test).
#![no_main]

#[allow(dead_code)]
#[path = "../harness/core.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::rewrap(data));
