//! Native throughput of the protocol core (not a test: figures only). Run with
//! `cargo bench --bench core`. Each figure is the median of 15 runs, with min and max.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use chatseal::{
    ImportOptions, MemoryRecordStore, Metadata, RekeyPolicy, Role, Service, ServiceKeyPair, ServiceKeyring,
    ServiceOptions, Session, SessionOptions,
};
use std::hint::black_box;
use std::time::Instant;

fn measure(name: &str, bytes_per_iter: usize, iters: u32, mut f: impl FnMut()) {
    let mut runs: Vec<f64> = (0..15)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_secs_f64() / f64::from(iters)
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    let (min, med, max) = (runs[0], runs[7], runs[14]);
    let rate = if bytes_per_iter > 0 {
        format!("{:>9.1} MB/s", bytes_per_iter as f64 / med / 1e6)
    } else {
        format!("{:>9.0} ops/s", 1.0 / med)
    };
    println!("| {name:<34} | {:>10.2} µs | {rate} | {:>8.2}–{:<8.2} µs |", med * 1e6, min * 1e6, max * 1e6);
}

fn main() {
    let pair = ServiceKeyPair::generate().unwrap();
    let public = pair.public_key().clone();
    let mut ring = ServiceKeyring::new();
    ring.insert(pair);
    let manual = || SessionOptions { rekey: RekeyPolicy::MANUAL, ..SessionOptions::default() };
    let mut visitor = Session::initiate_pinned(&public, manual()).unwrap();
    let meta = visitor.metadata(Role::Visitor, 1_800_000_000).unwrap();
    let first = visitor.seal(b"hello", &meta).unwrap();
    let (mut service, _) = ring.accept_unrecorded(&first, manual()).unwrap();
    let reply = service.seal(b"welcome", &Metadata::new(Role::Assistant, 1_800_000_000, 60).unwrap()).unwrap();
    visitor.open(&reply).unwrap();

    println!("| operation | median | rate | spread |\n|---|---:|---:|---:|");
    let kib = vec![b'a'; 1024];
    measure("seal 1 KiB turn", 1024, 2000, || {
        black_box(visitor.seal(black_box(&kib), &meta).unwrap());
    });
    let envs: Vec<_> = (0..15 * 2000).map(|_| visitor.seal(&kib, &meta).unwrap()).collect();
    // SPEC.md § 7.1: the link hashes header, metadata, nonce and tag, not the ciphertext.
    let env = &envs[0];
    let aad_and_nonce = chatseal::inspect(env).map(|_| env.len() - 1024 - 64 - 16).unwrap();
    measure("chain link (header + nonce + tag)", 0, 20_000, || {
        let mut h = sha2::Sha256::default();
        sha2::Digest::update(&mut h, b"chatseal v2 chain");
        sha2::Digest::update(&mut h, &env[..aad_and_nonce]);
        sha2::Digest::update(&mut h, &env[env.len() - 16..]);
        black_box(sha2::Digest::finalize(h));
    });
    measure("chain link if over the whole envelope", 0, 20_000, || {
        let mut h = sha2::Sha256::default();
        sha2::Digest::update(&mut h, b"chatseal v2 chain");
        sha2::Digest::update(&mut h, env);
        black_box(sha2::Digest::finalize(h));
    });
    let mut it = envs.iter();
    measure("open 1 KiB turn", 1024, 2000, || {
        black_box(service.open(it.next().unwrap()).unwrap());
    });
    let mib = vec![b'b'; 1 << 20];
    measure("seal 1 MiB", 1 << 20, 5, || {
        black_box(visitor.seal(black_box(&mib), &meta).unwrap());
    });
    measure("handshake (pinned, both sides)", 0, 200, || {
        let mut v = Session::initiate_pinned(&public, SessionOptions::default()).unwrap();
        let e = v.seal(b"hi", &meta).unwrap();
        black_box(ring.accept_unrecorded(&e, SessionOptions::default()).unwrap());
    });
    let kek = [1u8; 32];
    measure("export + import state", 0, 500, || {
        let blob = visitor.export_state(&kek).unwrap();
        black_box(Session::import_state(&blob, &kek, visitor.handle(), ImportOptions::default()).unwrap());
    });
    // The service end's path: every turn loads and stores the session's sealed record.
    let mut ring2 = ServiceKeyring::new();
    let pair2 = ServiceKeyPair::generate().unwrap();
    let public2 = pair2.public_key().clone();
    ring2.insert(pair2);
    let service_end = Service::new(ring2, &kek, MemoryRecordStore::new(), ServiceOptions::default());
    let mut v2 = Session::initiate_pinned(&public2, manual()).unwrap();
    let (handle, _) = service_end.accept(&v2.seal(b"hello", &meta).unwrap()).unwrap();
    let reply_meta = Metadata::new(Role::Assistant, 1_800_000_000, 60).unwrap();
    let turns: Vec<_> = (0..15 * 500).map(|_| v2.seal(&kib, &meta).unwrap()).collect();
    let mut it = turns.iter();
    measure("service end: open + reply (record)", 1024, 500, || {
        black_box(service_end.open(it.next().unwrap()).unwrap());
        black_box(service_end.seal(&handle, &kib, &reply_meta).unwrap());
    });
}
