//! Hostile and odd input for the PII engine: megabytes of digits, `@`, separators and
//! half-tokens; emoji, combining marks, RTL text, U+FFFD (what a lone surrogate from JS becomes);
//! the size limit. Every call must return a result or a typed error, never panic or hang.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chatseal_pii::{scan, utf16_offsets, MaskMode, MaskPolicy, Vault, MAX_SCAN_BYTES};
use chatseal_pii::{Error, PiiCategory};

const MB: usize = 1 << 20;

fn repeat_to(unit: &str, bytes: usize) -> String {
    let mut s = unit.repeat(bytes / unit.len() + 1);
    let mut end = bytes;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s
}

/// Scans and masks `text` with every mode; checks the findings are well-formed.
fn survive(text: &str) -> usize {
    let findings = scan(text).unwrap();
    for w in findings.windows(2) {
        assert!(w[0].end <= w[1].start);
    }
    for f in &findings {
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end) && f.start < f.end);
    }
    let units = utf16_offsets(text, &findings);
    assert_eq!(units.len(), findings.len());
    let mut vault = Vault::new();
    let masked = vault.mask(text, &MaskPolicy::uniform(MaskMode::TypeOnly).unwrap()).unwrap();
    assert_eq!(masked.findings, findings);
    findings.len()
}

#[test]
fn megabytes_of_one_thing() {
    for unit in [
        "0123456789",
        "7",
        "@",
        "a.",
        "a@",
        "@a.",
        "1-",
        "1 ",
        "1.",
        ":",
        "::1 ",
        "ab:",
        "+(1) ",
        "(",
        "[",
        "-----",
        "=",
        "%",
    ] {
        // A megabyte of digits and of `@`; a quarter of that for the rest keeps debug runs short
        // (the benchmark covers up to 4 MiB of each).
        let size = if matches!(unit, "0123456789" | "7" | "@") { MB } else { MB / 4 };
        let text = repeat_to(unit, size);
        let n = survive(&text);
        // None of these runs is personal data, except "::1" repeated (the loopback address).
        if unit != "::1 " {
            assert_eq!(n, 0, "{unit:?}");
        }
    }
}

#[test]
fn megabytes_of_half_tokens() {
    for unit in [
        "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n",
        "eyJhbGciOi.eyJ",
        "https://a:b@",
        "DE89 3704 ",
        "AKIA",
        "sk-",
        "xoxb-",
        "[EMAIL_1]",
        "[CARD ****",
        "4111 1111 1111 1111 ",
        "a@b.co ",
    ] {
        survive(&repeat_to(unit, MB / 4));
    }
}

#[test]
fn unicode_around_pii() {
    let text = "😀👍🏽 e\u{301}\u{302} مرحبا \u{200f}ann@example.com\u{200e} \u{fffd}\u{fffd} 电话+86 138 0013 8000 \u{202e}4111 1111 1111 1111\u{202c} 🇩🇪";
    let findings = scan(text).unwrap();
    let got: Vec<(PiiCategory, &str)> = findings.iter().map(|f| (f.category, &text[f.start..f.end])).collect();
    assert_eq!(
        got,
        vec![
            (PiiCategory::Email, "ann@example.com"),
            (PiiCategory::Phone, "+86 138 0013 8000"),
            (PiiCategory::Card, "4111 1111 1111 1111"),
        ]
    );
    let js: Vec<u16> = text.encode_utf16().collect();
    for (f, (s, e)) in findings.iter().zip(utf16_offsets(text, &findings)) {
        assert_eq!(String::from_utf16(&js[s..e]).unwrap(), &text[f.start..f.end]);
    }
    let mut vault = Vault::new();
    let masked = vault.mask(text, &MaskPolicy::new()).unwrap();
    assert_eq!(*vault.restore(&masked.text).text, text);
}

#[test]
fn lone_surrogates_arrive_as_replacement_characters() {
    // JS strings may hold lone surrogates; wasm-bindgen hands Rust U+FFFD instead, one UTF-16 unit too.
    let js: Vec<u16> = "a@b.com ".encode_utf16().chain([0xD800]).chain(" x@y.org".encode_utf16()).collect();
    let text = String::from_utf16_lossy(&js);
    let findings = scan(&text).unwrap();
    assert_eq!(findings.len(), 2);
    let units = utf16_offsets(&text, &findings);
    assert_eq!(units, vec![(0, 7), (10, 17)]);
    assert_eq!(String::from_utf16(&js[10..17]).unwrap(), "x@y.org");
}

#[test]
fn size_limit() {
    let exact = repeat_to("hello 4111 1111 1111 1111 ", MAX_SCAN_BYTES);
    assert_eq!(exact.len(), MAX_SCAN_BYTES);
    assert!(!scan(&exact).unwrap().is_empty());
    let over = format!("{exact}x");
    let err = scan(&over).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded(_)));
    // The error names the limit, never the text.
    assert!(!format!("{err:?} {err}").contains("4111"));
    let mut vault = Vault::new();
    assert!(matches!(vault.mask(&over, &MaskPolicy::new()), Err(Error::LimitExceeded(_))));
    assert!(vault.is_empty());
}

#[test]
fn vault_fills_up_with_a_typed_error() {
    let mut vault = Vault::new();
    let policy = MaskPolicy::new();
    // 4096 distinct cards in one text: the vault takes them all, the next new value fails.
    let mut text = String::new();
    for i in 0..chatseal_pii::MAX_VAULT_ENTRIES {
        let body = format!("4{:014}", i);
        let check = (0..10).find(|d| luhn(&format!("{body}{d}"))).unwrap();
        text.push_str(&format!("{body}{check} "));
    }
    let masked = vault.mask(&text, &policy).unwrap();
    assert_eq!(masked.counts.get(PiiCategory::Card) as usize, chatseal_pii::MAX_VAULT_ENTRIES);
    assert!(matches!(vault.mask("one more: a@b.com", &policy), Err(Error::LimitExceeded(_))));
    assert_eq!(vault.len(), chatseal_pii::MAX_VAULT_ENTRIES);
    // Debug output never shows values.
    assert!(!format!("{vault:?}").contains("4000"));
}

fn luhn(s: &str) -> bool {
    let sum: u32 = s
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}
