//! PII detection accuracy on a generated, labelled corpus of chat turns and on hand-written
//! hard negatives. Prints precision, recall and F1 per category and overall, and fails below
//! F1 0.97 in any category or on any hard-negative hit.
//!
//! Run: `cargo test --release --test pii_accuracy -- --nocapture`
//! Rewrite `PII_ACCURACY.md`: `PII_ACCURACY_WRITE=1 cargo test --release --test pii_accuracy -- --nocapture`
//!
//! A predicted span matches a labelled one when the category is the same and the overlap is
//! at least half of their union; matching is one-to-one.

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "pii/corpus.rs"]
mod corpus;

use std::fmt::Write as _;

use chatseal_pii::{scan, Finding};
use chatseal_pii::PiiCategory;
use corpus::Span;

const SEED: u64 = 0x5EA1_C4A7_0003_2026;
const TURNS: usize = 3000;
const HARD_NEGATIVES: &str = include_str!("pii/hard_negatives.txt");
const MIN_F1: f64 = 0.97;

#[derive(Clone, Copy, Default)]
struct Tally {
    gold: usize,
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Tally {
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

fn matches(gold: &Span, found: &Finding) -> bool {
    let overlap = gold.end.min(found.end).saturating_sub(gold.start.max(found.start));
    let union = gold.end.max(found.end) - gold.start.min(found.start);
    gold.category == found.category && 2 * overlap >= union
}

fn idx(c: PiiCategory) -> usize {
    PiiCategory::ALL.iter().position(|&x| x == c).unwrap()
}

struct Report {
    table: String,
    tallies: [Tally; 7],
    overall: Tally,
    negatives: usize,
    negative_hits: Vec<String>,
    examples: Vec<String>,
}

fn evaluate() -> Report {
    let turns = corpus::generate(SEED, TURNS);
    let mut tallies = [Tally::default(); 7];
    let mut examples = Vec::new();
    for turn in &turns {
        let found = scan(&turn.text).unwrap();
        let mut used = vec![false; turn.spans.len()];
        for g in &turn.spans {
            tallies[idx(g.category)].gold += 1;
        }
        for f in &found {
            let hit = turn.spans.iter().enumerate().find(|(k, g)| !used[*k] && matches(g, f));
            match hit {
                Some((k, _)) => {
                    used[k] = true;
                    tallies[idx(f.category)].tp += 1;
                }
                None => {
                    tallies[idx(f.category)].fp += 1;
                    examples.push(format!("FP {:6} {:?}", f.category.name(), &turn.text[f.start..f.end]));
                }
            }
        }
        for (k, g) in turn.spans.iter().enumerate() {
            if !used[k] {
                tallies[idx(g.category)].fn_ += 1;
                examples.push(format!(
                    "FN {:6} {:?}  in {:?}",
                    g.category.name(),
                    &turn.text[g.start..g.end],
                    turn.text
                ));
            }
        }
    }
    let mut overall = Tally::default();
    for t in &tallies {
        overall.gold += t.gold;
        overall.tp += t.tp;
        overall.fp += t.fp;
        overall.fn_ += t.fn_;
    }

    let mut negatives = 0;
    let mut negative_hits = Vec::new();
    for line in HARD_NEGATIVES.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        negatives += 1;
        for f in scan(line).unwrap() {
            negative_hits.push(format!("{} {:?} in {:?}", f.category.name(), &line[f.start..f.end], line));
        }
    }

    let mut table = String::new();
    writeln!(table, "| category | labelled | TP | FP | FN | precision | recall | F1 |").unwrap();
    writeln!(table, "|---|---:|---:|---:|---:|---:|---:|---:|").unwrap();
    for (c, t) in PiiCategory::ALL.iter().zip(&tallies) {
        row(&mut table, c.name(), t);
    }
    row(&mut table, "**overall**", &overall);
    Report { table, tallies, overall, negatives, negative_hits, examples }
}

fn row(out: &mut String, name: &str, t: &Tally) {
    writeln!(
        out,
        "| {name} | {} | {} | {} | {} | {:.4} | {:.4} | {:.4} |",
        t.gold,
        t.tp,
        t.fp,
        t.fn_,
        t.precision(),
        t.recall(),
        t.f1()
    )
    .unwrap();
}

#[test]
fn accuracy() {
    let r = evaluate();
    println!("\nPII accuracy: {TURNS} generated turns (seed {SEED:#x}), {} hard negatives\n", r.negatives);
    println!("{}", r.table);
    println!("hard negatives: {} lines, {} findings", r.negatives, r.negative_hits.len());
    for h in &r.negative_hits {
        println!("  HIT {h}");
    }
    for e in r.examples.iter().take(60) {
        println!("  {e}");
    }

    if std::env::var("PII_ACCURACY_WRITE").as_deref() == Ok("1") {
        let mut md = String::new();
        writeln!(md, "# PII masking accuracy\n").unwrap();
        writeln!(
            md,
            "Generated by `PII_ACCURACY_WRITE=1 cargo test --release --test pii_accuracy -- --nocapture` \
             (`tests/pii_accuracy.rs`). Do not edit by hand.\n"
        )
        .unwrap();
        writeln!(
            md,
            "Corpus: {TURNS} chat turns from the deterministic generator in `tests/pii/corpus.rs` (seed `{SEED:#x}`), \
             {} labelled spans over all seven categories in varied formats, mixed with non-PII dates, times, prices, \
             order and tracking numbers, versions and URLs. A finding counts as a true positive when its category \
             matches a labelled span and their overlap is at least half of their union (one-to-one).\n",
            r.overall.gold
        )
        .unwrap();
        writeln!(md, "{}", r.table).unwrap();
        writeln!(
            md,
            "Hard negatives (`tests/pii/hard_negatives.txt`, hand-written: dates, times, order and tracking numbers, \
             GUIDs, versions, prices, masked values, numbers in URLs, checksum-broken look-alikes, code): \
             **{} lines, {} findings**.",
            r.negatives,
            r.negative_hits.len()
        )
        .unwrap();
        for h in &r.negative_hits {
            writeln!(md, "- {h}").unwrap();
        }
        writeln!(md, "\n## Remaining errors\n").unwrap();
        writeln!(
            md,
            "All {} corpus errors, synthetic values (FP: found, not labelled; FN: labelled, missed):\n",
            r.examples.len()
        )
        .unwrap();
        writeln!(md, "```text").unwrap();
        for e in &r.examples {
            let short: String = e.chars().take(200).collect();
            writeln!(md, "{short}").unwrap();
        }
        writeln!(md, "```\n").unwrap();
        writeln!(
            md,
            "Known causes: a bare nine-digit SSN without a cue word (\"ssn\", \"social security\") before it is \
             not reported, by design; four small dotted numbers after a non-version word (\"timing out since \
             4.1.4.20\") read as an IPv4 address; two numbers run together without punctuation can hide each \
             other.\n\n\
             Caveat: the generator and the detectors were written by the same author. Formats follow real-world \
             conventions (issuer tables, the IBAN registry, national numbering plans, vendor token layouts) and \
             the generator does not read the detectors' code, but a corpus cannot score formats nobody thought \
             of. Treat these figures as a regression bar, and add real-world misses to the corpus or the hard \
             negatives as they are reported."
        )
        .unwrap();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/PII_ACCURACY.md");
        std::fs::write(path, md).unwrap();
        println!("wrote {path}");
    }

    for (c, t) in PiiCategory::ALL.iter().zip(&r.tallies) {
        assert!(t.gold >= 150, "{}: only {} labelled spans", c.name(), t.gold);
        assert!(t.f1() >= MIN_F1, "{}: F1 {:.4} below {MIN_F1}", c.name(), t.f1());
    }
    assert!(r.negatives >= 150);
    assert!(r.negative_hits.is_empty(), "{} hard-negative hits", r.negative_hits.len());
}
