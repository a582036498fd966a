//! Property tests of the PII engine: arbitrary text never panics; findings are in bounds, on
//! char boundaries, sorted and disjoint; UTF-16 offsets agree with JavaScript's; numbered
//! masking restores exactly; placeholders are never detected; masking is idempotent.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chatseal_pii::PiiCategory;
use chatseal_pii::{scan, utf16_offsets, Finding, MaskMode, MaskPolicy, Vault};
use proptest::prelude::*;

/// Findings are well-formed for `text`, and their UTF-16 offsets match `encode_utf16`.
fn check_findings(text: &str, findings: &[Finding]) {
    for f in findings {
        assert!(f.start < f.end && f.end <= text.len(), "{f:?}");
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end), "{f:?}");
    }
    for w in findings.windows(2) {
        assert!(w[0].end <= w[1].start, "{:?} overlaps {:?}", w[0], w[1]);
    }
    let units = utf16_offsets(text, findings);
    for (f, &(s, e)) in findings.iter().zip(&units) {
        assert_eq!(s, text[..f.start].encode_utf16().count());
        assert_eq!(e, text[..f.end].encode_utf16().count());
    }
}

/// Pieces of chat: PII in many formats, look-alikes, glue, and non-ASCII text. No `[`, so the
/// input never holds a literal placeholder.
const PIECES: &[&str] = &[
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "378282246310005",
    "5555555555554444",
    "4111 1111 1111 1112",
    "ann.lee+x@example.co.uk",
    "josé@correo.es",
    "info@xn--mnchen-3ya.de",
    "a@b",
    "@@",
    "+1 (415) 555-2671",
    "020 7946 0958",
    "+49 30 12345678",
    "06 12 34 56 78",
    "+91 98765 43210",
    "(11) 91234-5678",
    "0412 345 678",
    "call",
    "order",
    "ssn",
    "version",
    "536-22-1234",
    "536221234",
    "000-12-3456",
    "DE89 3704 0044 0532 0130 00",
    "GB29NWBK60161331926819",
    "10.0.0.1",
    "1.2.3.256",
    "2001:db8::1",
    "fe80::1%eth0",
    "::1",
    ":::",
    "AKIAIOSFODNN7EXAMPLE",
    "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",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "xoxb-2634182384-1294038291-QwErTyUiOpAsDfGh",
    "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature-0123456789",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN EC PRIVATE KEY-----",
    "https://admin:pw@db.example.com/x",
    "https://shop.example.com/orders/4111111111111111",
    "2024-03-15",
    "10:30",
    "$1,234.56",
    "v1.2.3",
    "550e8400-e29b-41d4-a716-446655440000",
    "😀",
    "e\u{301}",
    "مرحبا",
    "\u{200f}",
    "\u{fffd}",
    "电话",
    "0",
    "12",
    "-",
    ".",
    "/",
    ":",
    "+",
    "(",
    ")",
];

fn pieces(seps: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::collection::vec((0..PIECES.len(), 0..seps.len()), 0..12).prop_map(move |v| {
        let mut s = String::new();
        for (p, k) in v {
            s.push_str(PIECES[p]);
            s.push_str(seps[k]);
        }
        s
    })
}

/// Any glue, including none: pieces run into each other.
const GLUE: &[&str] = &["", " ", ", ", "\n", "-", ".", "@", ":", "/", " and ", "x", ". "];

fn policies() -> Vec<MaskPolicy> {
    vec![
        MaskPolicy::new(),
        MaskPolicy::uniform(MaskMode::TypeOnly).unwrap(),
        MaskPolicy::new().with(PiiCategory::Card, MaskMode::Partial).unwrap(),
        MaskPolicy::from_names(&[("email", "keep"), ("ip", "type")]).unwrap(),
    ]
}

proptest! {
    // No regression files in the tree: failures print their minimal input instead.
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        let findings = scan(&text).unwrap();
        check_findings(&text, &findings);
        for policy in policies() {
            let mut vault = Vault::new();
            let masked = vault.mask(&text, &policy).unwrap();
            let _ = vault.restore(&masked.text);
            let _ = vault.restore(&text);
        }
    }

    #[test]
    fn findings_are_well_formed(text in pieces(GLUE)) {
        let findings = scan(&text).unwrap();
        check_findings(&text, &findings);
    }

    #[test]
    fn numbered_masking_restores(text in pieces(GLUE), again in pieces(GLUE)) {
        let mut vault = Vault::new();
        let policy = MaskPolicy::new();
        let first = vault.mask(&text, &policy).unwrap();
        let second = vault.mask(&again, &policy).unwrap();
        prop_assert_eq!(restored_in_full(&vault, &first.text), text);
        prop_assert_eq!(restored_in_full(&vault, &second.text), again);
        let reloaded = Vault::from_bytes(&vault.to_bytes()).unwrap();
        prop_assert_eq!(reloaded.restore(&first.text), vault.restore(&first.text));
    }

    #[test]
    fn placeholders_are_never_detected(text in pieces(GLUE)) {
        for policy in policies() {
            let masked = Vault::new().mask(&text, &policy).unwrap();
            prop_assert_eq!(masked.findings.len(), masked.masked_spans.len());
            let again = scan(&masked.text).unwrap();
            for (f, &(s, e)) in masked.findings.iter().zip(&masked.masked_spans) {
                if policy.mode(f.category) == MaskMode::Keep {
                    continue;
                }
                prop_assert!(again.iter().all(|g| g.end <= s || g.start >= e), "{:?} re-detected in {:?}", f, masked.text);
            }
        }
    }

    #[test]
    fn masking_is_idempotent(text in pieces(GLUE)) {
        // Not with `Keep`: kept values are found again, by design.
        for policy in policies().into_iter().take(3) {
            let mut vault = Vault::new();
            let once = vault.mask(&text, &policy).unwrap();
            let twice = vault.mask(&once.text, &policy).unwrap();
            prop_assert_eq!(&twice.text, &once.text);
            prop_assert!(twice.findings.is_empty(), "{:?}", twice.findings);
        }
    }
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
