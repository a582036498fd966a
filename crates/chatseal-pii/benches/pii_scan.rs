//! PII scan throughput and linearity (plain `std::time`, no harness).
//!
//! Run: `cargo bench --bench pii_scan` (release profile of the crate: opt-level "z", LTO, as shipped).
//!
//! Prints (1) MB/s of `scan` and `Vault::mask` on chat-like text with and without PII, and
//! (2) a linearity table: ns per byte for inputs from 64 KiB to 4 MiB, chat-like and adversarial.
//! Linear time shows as a flat ns/byte column.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use chatseal_pii::{scan, MaskPolicy, Vault, MAX_SCAN_BYTES};

/// Ordinary chat, no personal data: words, dates, times, prices, versions, order numbers.
const PLAIN: &[&str] = &[
    "Hi there, I ordered a blue jacket last week and it still hasn't arrived.",
    "The tracking page says it left the warehouse on 2024-03-12 at 14:05.",
    "Could you check order #A1234567 for me? It was $129.99 including shipping.",
    "I'm on version 2.14.1 of the app, running on Android 14.",
    "Thanks so much, that's really helpful! Have a great day :)",
    "Meeting moved to 10:30 tomorrow, room 4B, bring the Q3 numbers (about 1,250 units).",
    "Can I return it within 30 days if the size doesn't fit?",
    "Ich habe am 15.03.2024 bestellt und warte immer noch auf die Lieferung.",
    "The error says 503 Service Unavailable after about 20 seconds.",
    "ok 👍 merci beaucoup, à bientôt",
];

/// Chat with personal data of every category.
const WITH_PII: &[&str] = &[
    "My email is jane.doe+shop@example.co.uk and my phone is +1 (415) 555-2671.",
    "Please refund to DE89 3704 0044 0532 0130 00, the card 4111 1111 1111 1111 was charged twice.",
    "SSN 536-22-1234 for the tax form, call me at 020 7946 0958 after 6pm.",
    "The server at 10.20.30.40 and 2001:db8::7 keeps timing out since 2.14.1.",
    "I pasted my key AKIAIOSFODNN7EXAMPLE by mistake, and 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 too.",
    "Hi, it's Maria, reach me on +49 30 12345678 or maria.rossi@web.de, thanks!",
    "Order #A1234567 was $129.99, paid with 5555-5555-5555-4444 on 2024-03-12.",
    "Meu telefone é (11) 91234-5678, pode ligar depois das 18h.",
];

fn chat(lines: &[&str], bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 256);
    let mut k = 0;
    while s.len() < bytes {
        s.push_str(lines[k % lines.len()]);
        s.push(if k % 3 == 2 { '\n' } else { ' ' });
        k += 1;
    }
    truncate_at_char(&mut s, bytes);
    s
}

fn truncate_at_char(s: &mut String, bytes: usize) {
    let mut end = bytes.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
}

fn repeat_to(unit: &str, bytes: usize) -> String {
    let mut s = unit.repeat(bytes / unit.len() + 1);
    truncate_at_char(&mut s, bytes);
    s
}

/// Best-of-`rounds` seconds for one call of `f`, running for at least `min` in total.
fn time(min: Duration, mut f: impl FnMut()) -> f64 {
    let mut best = f64::INFINITY;
    let started = Instant::now();
    let mut rounds = 0;
    while rounds < 3 || started.elapsed() < min {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
        rounds += 1;
    }
    best
}

/// Builds an input of about n bytes.
type MakeInput = Box<dyn Fn(usize) -> String>;

fn mb_per_s(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / secs / 1e6
}

fn main() {
    let min = Duration::from_millis(if std::env::args().any(|a| a == "--quick") { 50 } else { 400 });

    println!("\nPII engine throughput (single thread, best of repeated runs)\n");
    println!("| input | size | scan MB/s | mask MB/s | findings |");
    println!("|---|---:|---:|---:|---:|");
    let turn_plain = chat(PLAIN, 500);
    let turn_pii = chat(WITH_PII, 500);
    let big_plain = chat(PLAIN, 1 << 20);
    let big_pii = chat(WITH_PII, 1 << 20);
    for (name, text) in [
        ("chat turn, no PII", &turn_plain),
        ("chat turn, with PII", &turn_pii),
        ("chat, no PII", &big_plain),
        ("chat, with PII", &big_pii),
    ] {
        let reps = ((1 << 20) / text.len()).max(1);
        let scan_s = time(min, || {
            for _ in 0..reps {
                black_box(scan(black_box(text)).unwrap());
            }
        });
        let policy = MaskPolicy::new();
        let mask_s = time(min, || {
            let mut vault = Vault::new();
            for _ in 0..reps {
                black_box(vault.mask(black_box(text), &policy).unwrap());
            }
        });
        let findings = scan(text).unwrap().len();
        println!(
            "| {name} | {} B | {:.1} | {:.1} | {findings} |",
            text.len(),
            mb_per_s(text.len() * reps, scan_s),
            mb_per_s(text.len() * reps, mask_s)
        );
    }

    println!("\nLinearity: scan time per byte as the input grows (flat = linear)\n");
    let sizes = [64 << 10, 256 << 10, 1 << 20, 4 << 20];
    let inputs: Vec<(&str, MakeInput)> = vec![
        ("chat, no PII", Box::new(|n| chat(PLAIN, n))),
        ("chat, with PII", Box::new(|n| chat(WITH_PII, n))),
        ("digits 0-9", Box::new(|n| repeat_to("0123456789", n))),
        ("`@` only", Box::new(|n| repeat_to("@", n))),
        ("a.a.a.a", Box::new(|n| repeat_to("a.", n))),
        ("a@a@a@", Box::new(|n| repeat_to("a@", n))),
        ("1-1-1-1", Box::new(|n| repeat_to("1-", n))),
        ("1 1 1 1", Box::new(|n| repeat_to("1 ", n))),
        ("1.1.1.1", Box::new(|n| repeat_to("1.", n))),
        ("::::", Box::new(|n| repeat_to(":", n))),
        ("ab:ab:", Box::new(|n| repeat_to("ab:", n))),
        ("+(1) ", Box::new(|n| repeat_to("+(1) ", n))),
        ("PEM BEGIN, no END", Box::new(|n| repeat_to("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n", n))),
        ("eyJ.eyJ.", Box::new(|n| repeat_to("eyJhbGciOi.eyJ", n))),
        ("https://a:b@", Box::new(|n| repeat_to("https://a:b@", n))),
        ("DE89 3704 ", Box::new(|n| repeat_to("DE89 3704 ", n))),
        ("emoji + RTL", Box::new(|n| repeat_to("😀 مرحبا e\u{301} \u{fffd} ", n))),
    ];
    print!("| input |");
    for s in sizes {
        print!(" {} KiB ns/B |", s >> 10);
    }
    println!(" 4 MiB / 64 KiB |");
    print!("|---|");
    for _ in sizes {
        print!("---:|");
    }
    println!("---:|");
    for (name, make) in &inputs {
        print!("| {name} |");
        let mut per_byte = Vec::new();
        for &size in &sizes {
            let text = make(size.min(MAX_SCAN_BYTES));
            let secs = time(min, || {
                black_box(scan(black_box(&text)).unwrap());
            });
            let ns = secs * 1e9 / text.len() as f64;
            per_byte.push(ns);
            print!(" {ns:.2} |");
        }
        println!(" {:.2} |", per_byte[per_byte.len() - 1] / per_byte[0]);
    }
}
