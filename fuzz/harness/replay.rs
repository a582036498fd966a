//! Replays the committed inputs of one fuzz target (its corpus, then its crash inputs) through
//! its harness: shared by the core and PII replay tests, which include this file by path.

use std::path::{Path, PathBuf};

/// The files of `dir`, sorted (none if it does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// Runs `run` on every file of `fuzz/corpus/<target>/` (which must not be empty) and
/// `fuzz/regressions/<target>/`, naming the first that fails.
pub fn replay(fuzz: &Path, target: &str, run: fn(&[u8])) {
    let corpus = files(&fuzz.join("corpus").join(target));
    assert!(!corpus.is_empty(), "no committed corpus for {target}");
    for path in corpus.iter().chain(&files(&fuzz.join("regressions").join(target))) {
        let data = std::fs::read(path).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target}: {} fails", path.display());
    }
}
