//! Native throughput of the protocol core (not a test: figures only). Run with
//! `cargo bench --bench core`. Each figure is the median of 15 runs, with min and max.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use chatseal::{Role, ServiceKeyPair, ServiceKeyring, Session, SessionOptions};
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
    let mut visitor = Session::initiate_pinned(&public, SessionOptions::default()).unwrap();
    let meta = visitor.metadata(Role::Visitor, 1_800_000_000).unwrap();
    let first = visitor.seal(b"hello", &meta).unwrap();
    let (mut service, _) = ring.accept(&first, SessionOptions::default()).unwrap();

    println!("| operation | median | rate | spread |\n|---|---:|---:|---:|");
    let kib = vec![b'a'; 1024];
    measure("seal 1 KiB turn", 1024, 2000, || {
        black_box(visitor.seal(black_box(&kib), &meta).unwrap());
    });
    let envs: Vec<_> = (0..15 * 2000).map(|_| visitor.seal(&kib, &meta).unwrap()).collect();
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
        black_box(ring.accept(&e, SessionOptions::default()).unwrap());
    });
    let kek = [1u8; 32];
    measure("export + import state", 0, 500, || {
        let blob = visitor.export_state(&kek).unwrap();
        black_box(Session::import_state(&blob, &kek, Default::default()).unwrap());
    });
}
