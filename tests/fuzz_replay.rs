//! Replays every committed fuzz input of the core targets (`fuzz/corpus/<target>/` and the crash
//! inputs in `fuzz/regressions/<target>/`) through the same harness the fuzzer runs
//! (`fuzz/harness/core.rs`), so a normal `cargo test` re-checks each one. The PII targets are
//! replayed by `crates/chatseal-pii/tests/fuzz_replay.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs, dead_code)]

#[path = "../fuzz/harness/core.rs"]
mod harness;

#[path = "../fuzz/harness/replay.rs"]
mod replay;

use std::path::{Path, PathBuf};

/// The fuzz directory at the repository's root.
fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn replay(target: &str, run: fn(&[u8])) {
    replay::replay(&fuzz_dir(), target, run);
}

#[test]
fn every_core_target_has_a_replay() {
    let names: Vec<&str> = harness::TARGETS.iter().map(|(n, _)| *n).collect();
    let fuzz = fuzz_dir().join("fuzz_targets");
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
