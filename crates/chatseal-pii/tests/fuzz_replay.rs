//! Replays every committed fuzz input of the PII targets (`fuzz/corpus/<target>/` and the crash
//! inputs in `fuzz/regressions/<target>/`) through the same harness the fuzzer runs
//! (`fuzz/harness/pii.rs`), so a normal `cargo test` re-checks each one.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs, dead_code)]

#[path = "../../../fuzz/harness/pii.rs"]
mod harness;

use std::path::{Path, PathBuf};

/// The files of `dir`, sorted (none if it does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

fn replay(target: &str, run: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let corpus = files(&fuzz.join("corpus").join(target));
    assert!(!corpus.is_empty(), "no committed corpus for {target}");
    for path in corpus.iter().chain(&files(&fuzz.join("regressions").join(target))) {
        let data = std::fs::read(path).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target}: {} fails", path.display());
    }
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
