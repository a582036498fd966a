//! cargo-fuzz target `pii_scan`: the harness in `fuzz/harness` (shared with the replay test).
#![no_main]

#[allow(dead_code)]
#[path = "../harness/pii.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::pii_scan(data));
