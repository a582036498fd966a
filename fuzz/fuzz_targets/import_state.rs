//! Arbitrary bytes as a state blob: typed errors only, never a panic.
#![no_main]

use chatseal::{ImportOptions, Session};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Session::import_state(data, &[1; 32], ImportOptions::default());
    let _ = chatseal::rewrap_state(data, &[1; 32], &[2; 32]);
});
