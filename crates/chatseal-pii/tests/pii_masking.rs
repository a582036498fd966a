//! Masking over the generated chat corpus: every policy is idempotent (masking masked text
//! changes nothing and finds nothing), numbered placeholders restore exactly and stay stable
//! for a whole session, also across vault persistence; counts match findings.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "pii/corpus.rs"]
mod corpus;

use chatseal_pii::PiiCategory;
use chatseal_pii::{scan, Finding, MaskMode, MaskPolicy, PiiCounts, Vault};

const SEED: u64 = 0x0DD5_EED5;

fn policies() -> Vec<MaskPolicy> {
    vec![
        MaskPolicy::new(),
        MaskPolicy::uniform(MaskMode::TypeOnly).unwrap(),
        MaskPolicy::new().with(PiiCategory::Card, MaskMode::Partial).unwrap(),
        MaskPolicy::from_names(&[("ip", "keep"), ("email", "type"), ("card", "partial")]).unwrap(),
    ]
}

fn counts(findings: &[Finding]) -> PiiCounts {
    let mut c = PiiCounts::default();
    for f in findings {
        c.add(f.category);
    }
    c
}

#[test]
fn corpus_masking_is_idempotent() {
    let turns = corpus::generate(SEED, 1000);
    for policy in policies() {
        let mut vault = Vault::new();
        for turn in &turns {
            let once = vault.mask(&turn.text, &policy).unwrap();
            assert_eq!(once.counts, counts(&once.findings));
            assert_eq!(once.findings, scan(&turn.text).unwrap());
            if policy.mode(PiiCategory::Ip) == MaskMode::Keep {
                continue;
            }
            let twice = vault.mask(&once.text, &policy).unwrap();
            assert_eq!(twice.text, once.text, "{:?}", turn.text);
            assert!(twice.findings.is_empty(), "{:?} in {:?}", twice.findings, once.text);
        }
    }
}

#[test]
fn a_session_restores_and_numbers_stably() {
    let turns = corpus::generate(SEED ^ 1, 600);
    let policy = MaskPolicy::new();
    let mut vault = Vault::new();
    let mut masked = Vec::new();
    for (k, turn) in turns.iter().enumerate() {
        // Persist and reload mid-session, as the sealed session state will.
        if k == 300 {
            vault = Vault::from_bytes(&vault.to_bytes()).unwrap();
        }
        let m = vault.mask(&turn.text, &policy).unwrap();
        assert_eq!(restored_in_full(&vault, &m.text), turn.text);
        masked.push(m);
    }
    // Every earlier turn still restores: placeholders never change meaning within a session.
    for (m, turn) in masked.iter().zip(&turns) {
        assert_eq!(restored_in_full(&vault, &m.text), turn.text);
    }
    // The same value seen again gets the same placeholder.
    let first = &masked[0];
    let again = vault.mask(&turns[0].text, &policy).unwrap();
    assert_eq!(again.text, first.text);
}

#[test]
fn metadata_counts_hold_no_values() {
    let mut vault = Vault::new();
    let m = vault.mask("card 4111 1111 1111 1111 and mail ann@example.com", &MaskPolicy::new()).unwrap();
    assert_eq!(m.counts.get(PiiCategory::Card), 1);
    assert_eq!(m.counts.get(PiiCategory::Email), 1);
    assert_eq!(m.counts.total(), 2);
    let debug = format!("{m:?} {:?} {vault:?}", m.findings);
    assert!(!debug.contains("4111") && !debug.contains("ann@"), "{debug}");
}

/// The restored text with its withheld placeholders filled too: the original, when masking
/// and restoring lose nothing.
fn restored_in_full(vault: &Vault, masked: &str) -> String {
    let r = vault.restore(masked);
    let mut out = String::new();
    let mut last = 0;
    for w in &r.withheld {
        let tag = &r.text[w.start..w.end];
        let n: usize = tag[tag.rfind('_').unwrap() + 1..tag.len() - 1].parse().unwrap();
        out.push_str(&r.text[last..w.start]);
        out.push_str(vault.value(w.category, n).unwrap());
        last = w.end;
    }
    out.push_str(&r.text[last..]);
    out
}
