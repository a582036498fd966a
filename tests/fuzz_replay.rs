//! Replays every committed fuzz input of the core targets (`fuzz/corpus/<target>/` and the crash
//! inputs in `fuzz/regressions/<target>/`) through the same harness the fuzzer runs
//! (`fuzz/harness/core.rs`), so a normal `cargo test` re-checks each one. The PII targets are
//! replayed by `crates/chatseal-pii/tests/fuzz_replay.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs, dead_code)]

#[path = "../fuzz/harness/core.rs"]
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
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let corpus = files(&fuzz.join("corpus").join(target));
    assert!(!corpus.is_empty(), "no committed corpus for {target}");
    for path in corpus.iter().chain(&files(&fuzz.join("regressions").join(target))) {
        let data = std::fs::read(path).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target}: {} fails", path.display());
    }
}

#[test]
fn every_core_target_has_a_replay() {
    let names: Vec<&str> = harness::TARGETS.iter().map(|(n, _)| *n).collect();
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join("fuzz_targets");
    for name in names {
        assert!(fuzz.join(format!("{name}.rs")).is_file(), "{name} has no fuzz target");
    }
}

macro_rules! replays {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                replay(stringify!($name), harness::$name);
            }
        )*
    };
}

replays!(open, inspect, accept, handshake, import_state, rewrap, labels, text_form, stream);
