#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod boundary;
mod card;
mod context;
mod email;
mod extension;
mod groups;
mod iban;
mod intl;
mod ip;
mod lookalike;
mod mask;
mod masked;
mod phone;
mod placeholder;
mod policy;
mod resolve;
mod restore;
mod secret;
mod ssn;
mod url;
mod utf16;
mod vault;
mod view;

pub use chatseal::{Error, PiiCategory, PiiCounts, Result};
pub use mask::Masked;
pub use masked::{MaskedDeletion, MaskedSession};
pub use policy::{MaskMode, MaskPolicy};
pub use restore::{Restored, Withheld};
pub use utf16::utf16_offsets;
pub use vault::{Vault, MAX_VAULT_BYTES, MAX_VAULT_ENTRIES};

/// Longest text [`scan`] and [`Vault::mask`] accept, in bytes (4 MiB: a megabyte of digits and
/// any pasted document fit; scanning it takes tens of milliseconds).
pub const MAX_SCAN_BYTES: usize = 4 * 1024 * 1024;

/// One piece of personal data found in a text: its category and where it is. Never its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Finding {
    /// What kind of data.
    pub category: PiiCategory,
    /// Byte offset of the first byte in the scanned text (a char boundary).
    pub start: usize,
    /// Byte offset one past the last byte (a char boundary).
    pub end: usize,
}

/// Finds personal data in `text`: findings sorted by start, not overlapping (see the overlap
/// rule above). Errors only for text longer than [`MAX_SCAN_BYTES`] ([`Error::LimitExceeded`]).
///
/// Each finding is judged as if the others were already masked: when something was found,
/// the text is read again with every finding replaced by its `[TAG]` placeholder, and what
/// that reveals (a phone glued to an e-mail address, say) is added, up to [`MAX_ROUNDS`]
/// times. So masked text holds nothing a second scan would find.
pub fn scan(text: &str) -> Result<Vec<Finding>> {
    if text.len() > MAX_SCAN_BYTES {
        return Err(Error::LimitExceeded("pii scan input longer than MAX_SCAN_BYTES"));
    }
    let mut findings = detect(text);
    for _ in 0..MAX_ROUNDS {
        if findings.is_empty() {
            break;
        }
        let view = view::View::new(text, &findings);
        let extra: Vec<Finding> = detect(view.text()).into_iter().filter_map(|f| view.to_original(f)).collect();
        if extra.is_empty() {
            break;
        }
        findings.extend(extra);
        findings.sort_unstable_by_key(|f| f.start);
    }
    Ok(findings)
}

/// Extra readings of a text with its findings masked (see [`scan`]). Each costs one more pass,
/// and only happens when the previous one found something.
pub const MAX_ROUNDS: usize = 3;

/// One reading: every detector, then the overlap rule.
fn detect(text: &str) -> Vec<Finding> {
    let urls = url::find(text);
    let mut found = Vec::new();
    plain_numbers(text, &mut found);
    email::find(text, &mut found);
    phone::find(text, &mut found);
    iban::find(text, &mut found);
    ip::find(text, &mut found);
    secret::find(text, &urls, &mut found);
    resolve::resolve(text, found, &urls)
}

/// Cards and SSNs share one run grammar (single spaces or dashes): one pass judges each run as both.
fn plain_numbers(text: &str, out: &mut Vec<Finding>) {
    groups::for_each_run(text, groups::Style::Plain, card::MAX_DIGITS, |run| {
        // SSNs have nine digits, cards twelve or more: most numbers in chat are shorter.
        if run.digits() < 9 && !run.overflow {
            return false;
        }
        let before = out.len();
        out.extend(card::judge(text, run));
        out.extend(ssn::judge(text, run));
        out.len() > before
    });
}

/// Index of a category in per-category arrays ([`PiiCategory::ALL`] order).
fn slot(category: PiiCategory) -> usize {
    PiiCategory::ALL.iter().position(|&c| c == category).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(PiiCategory, &str)> {
        scan(text).unwrap().iter().map(|f| (f.category, &text[f.start..f.end])).collect()
    }

    #[test]
    fn mixed_turn() {
        let t = "Hi, I'm jane.doe+chat@example.co.uk, call +1 (415) 555-2671. Card 4111-1111-1111-1111, \
                 SSN 536-22-1234, IBAN DE89 3704 0044 0532 0130 00, from 2001:db8::7 with key AKIAIOSFODNN7EXAMPLE.";
        assert_eq!(
            found(t),
            vec![
                (PiiCategory::Email, "jane.doe+chat@example.co.uk"),
                (PiiCategory::Phone, "+1 (415) 555-2671"),
                (PiiCategory::Card, "4111-1111-1111-1111"),
                (PiiCategory::Ssn, "536-22-1234"),
                (PiiCategory::Iban, "DE89 3704 0044 0532 0130 00"),
                (PiiCategory::Ip, "2001:db8::7"),
                (PiiCategory::Secret, "AKIAIOSFODNN7EXAMPLE"),
            ]
        );
    }

    #[test]
    fn overlaps_resolved() {
        assert_eq!(
            found("db: postgres://admin:pa55@mail.example.com/x"),
            vec![(PiiCategory::Secret, "postgres://admin:pa55@mail.example.com/x")]
        );
        assert_eq!(found("see https://shop.example.com/orders/4111111111111111?tel=4155552671"), vec![]);
        assert_eq!(found("https://x.com/?email=ann@example.org"), vec![(PiiCategory::Email, "ann@example.org")]);
        assert_eq!(found("4155552671@txt.example.net"), vec![(PiiCategory::Email, "4155552671@txt.example.net")]);
    }

    #[test]
    fn limit() {
        let big = "a".repeat(MAX_SCAN_BYTES + 1);
        assert_eq!(scan(&big), Err(Error::LimitExceeded("pii scan input longer than MAX_SCAN_BYTES")));
        assert!(scan(&big[1..]).unwrap().is_empty());
    }

    #[test]
    fn masking_is_idempotent() {
        let t = "mail ann@example.org, 4111 1111 1111 1111, 10.0.0.1, 123-45-6789, +33 6 12 34 56 78";
        for policy in [
            MaskPolicy::new(),
            MaskPolicy::uniform(MaskMode::TypeOnly).unwrap(),
            MaskPolicy::new().with(PiiCategory::Card, MaskMode::Partial).unwrap(),
        ] {
            let mut v = Vault::new();
            let once = v.mask(t, &policy).unwrap();
            assert_eq!(once.findings.len(), 5);
            let twice = v.mask(&once.text, &policy).unwrap();
            assert_eq!(twice.text, once.text);
            assert!(twice.findings.is_empty(), "{:?}", twice.findings);
        }
    }
}
