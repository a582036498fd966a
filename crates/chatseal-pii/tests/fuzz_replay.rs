//! Replays every committed fuzz input of the PII targets (`fuzz/corpus/<target>/` and the crash
//! inputs in `fuzz/regressions/<target>/`) through the same harness the fuzzer runs
//! (`fuzz/harness/pii.rs`), so a normal `cargo test` re-checks each one.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs, dead_code)]

#[path = "../../../fuzz/harness/pii.rs"]
mod harness;

#[path = "../../../fuzz/harness/replay.rs"]
mod replay;

use std::path::{Path, PathBuf};

/// The fuzz directory at the repository's root.
fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn replay(target: &str, run: fn(&[u8])) {
    replay::replay(&fuzz_dir(), target, run);
}

#[test]
fn pii_scan() {
    replay("pii_scan", harness::pii_scan);
}

#[test]
fn pii_restore() {
    replay("pii_restore", harness::pii_restore);
}

#[test]
fn both_targets_listed() {
    let names: Vec<&str> = harness::TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["pii_scan", "pii_restore"]);
}
