//! Where a 1 KiB seal and open spend their instructions in the protocol core, natively: run under
//! callgrind (not a timing: instruction counts do not depend on the machine's load) by
//! `bash scripts/bench.sh --phases`, which prints the inclusive count per phase per operation.
//! Built with the bench profile (opt-level 3), so the counts are for the core's own work at its
//! best; in the wasm build the core is at opt-level "z" and the cipher at 3 (BENCHMARKS.md).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use chatseal::{Metadata, RekeyPolicy, Role, ServiceKeyPair, ServiceKeyring, Session, SessionOptions};
use std::hint::black_box;

/// Turns per operation: enough that set-up is a rounding error in the per-turn figures.
const TURNS: u32 = 10_000;

#[inline(never)]
fn seal_turns(visitor: &mut Session, body: &[u8], meta: &Metadata) -> Vec<Vec<u8>> {
    (0..TURNS).map(|_| black_box(visitor.seal(black_box(body), meta).unwrap())).collect()
}

#[inline(never)]
fn open_turns(service: &mut Session, envelopes: &[Vec<u8>]) {
    for envelope in envelopes {
        black_box(service.open(black_box(envelope)).unwrap());
    }
}

fn main() {
    let pair = ServiceKeyPair::generate().unwrap();
    let public = pair.public_key().clone();
    let mut ring = ServiceKeyring::new();
    ring.insert(pair);
    let manual = || SessionOptions { rekey: RekeyPolicy::MANUAL, ..SessionOptions::default() };
    let mut visitor = Session::initiate_pinned(&public, manual()).unwrap();
    let mut meta = visitor.metadata(Role::Visitor, 1_800_000_000).unwrap();
    meta.insert_label(chatseal::Label::new("queue", "billing").unwrap()).unwrap();
    let first = visitor.seal(b"hello", &meta).unwrap();
    let (mut service, _) = ring.accept_unrecorded(&first, manual()).unwrap();
    let reply = service.seal(b"welcome", &Metadata::new(Role::Assistant, 1_800_000_000, 60).unwrap()).unwrap();
    visitor.open(&reply).unwrap();
    let kib = vec![b'a'; 1024];
    let envelopes = seal_turns(&mut visitor, &kib, &meta);
    open_turns(&mut service, &envelopes);
    println!("sealed and opened {TURNS} turns of 1 KiB ({} bytes each)", envelopes[0].len());
}
