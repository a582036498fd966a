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

use std::collections::BTreeMap;

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
/// that reveals (a phone glued to an e-mail address, say) is added, until a reading adds
/// nothing. So masked text holds nothing a second scan would find.
///
/// The second reading covers the whole text; later ones only the neighbourhood of what the
/// reading before found ([`REREAD_MARGIN`] bytes each side), since only there can masking have
/// changed a judgement. So even adversarial chains (each finding revealed by masking the one
/// before) cost a bounded amount of work per finding, and the total stays linear in the text.
pub fn scan(text: &str) -> Result<Vec<Finding>> {
    settle(text, &|_| false)
}

/// The findings [`Vault::mask`] masks with `policy`: like [`scan`], but the categories the
/// policy keeps stay in clear in the re-readings, so kept values are judged in the text the
/// masked output will hold.
pub fn scan_with(text: &str, policy: &MaskPolicy) -> Result<Vec<Finding>> {
    settle(text, &|c| policy.mode(c) == MaskMode::Keep)
}

/// How far around a new finding a re-reading looks: the 40-byte cue look-back, the look-ahead
/// for extensions and labels, and the neighbours a chain can reach, with room to spare.
pub const REREAD_MARGIN: usize = 256;

fn settle(text: &str, kept: &dyn Fn(PiiCategory) -> bool) -> Result<Vec<Finding>> {
    if text.len() > MAX_SCAN_BYTES {
        return Err(Error::LimitExceeded("pii scan input longer than MAX_SCAN_BYTES"));
    }
    // Findings by start: a chain adds a few per round, and each round must cost only what it
    // reads, not the number of findings so far (that would be quadratic on a long chain).
    let mut findings: BTreeMap<usize, Finding> = detect(text).into_iter().map(|f| (f.start, f)).collect();
    let mut masked = findings.values().filter(|f| !kept(f.category)).count();
    // Regions of the text to read again, sorted and disjoint; first the whole text.
    let mut regions = vec![(0, text.len())];
    // How a number reads depends on the URL around it, whose scheme or host can be far away.
    let urls = url::find(text);
    while !regions.is_empty() && masked > 0 {
        let mut fresh = Vec::new();
        for &(start, end) in &regions {
            reread(text, (start, end), &urls, &findings, kept, &mut fresh);
        }
        fresh.sort_unstable_by_key(|f| f.start);
        fresh.dedup();
        fresh.retain(|f| !overlaps_any(&findings, f));
        let fresh = disjoint(fresh);
        regions = neighbourhoods(text, &fresh, &urls);
        masked += fresh.iter().filter(|f| !kept(f.category)).count();
        findings.extend(fresh.into_iter().map(|f| (f.start, f)));
    }
    Ok(findings.into_values().collect())
}

/// Reads `text[start..end]` (widened so that it cuts no finding and starts in no URL) with the
/// masked findings replaced, adding what it finds that a cut edge cannot have distorted.
fn reread(
    text: &str,
    (start, end): (usize, usize),
    urls: &[url::Url],
    findings: &BTreeMap<usize, Finding>,
    kept: &dyn Fn(PiiCategory) -> bool,
    out: &mut Vec<Finding>,
) {
    // A region cut inside a URL would lose its scheme, and the numbers in it would no longer
    // read as part of a URL (found by fuzzing).
    let start = url_around(urls, start).map_or(start, |u| u.start);
    // The finding that may reach into the region from before it, then the ones starting inside.
    let before = findings.range(..start).next_back().map(|(_, f)| *f).filter(|f| f.end > start);
    let inside: Vec<Finding> = before.into_iter().chain(findings.range(start..end).map(|(_, f)| *f)).collect();
    let start = inside.first().map_or(start, |f| f.start.min(start));
    let end = inside.last().map_or(end, |f| f.end.max(end));
    let Some(part) = text.get(start..end) else { return };
    let masked: Vec<Finding> = inside
        .iter()
        .filter(|f| !kept(f.category))
        .map(|f| Finding { category: f.category, start: f.start - start, end: f.end - start })
        .collect();
    let view = view::View::new(part, &masked);
    // A cut edge can hide a cue or split a token: keep only what lies well inside.
    let low = if start == 0 { 0 } else { 48 };
    let high = if end == text.len() { part.len() } else { part.len().saturating_sub(24) };
    out.extend(
        detect(view.text())
            .into_iter()
            .filter_map(|f| view.to_original(f))
            .filter(|f| f.start >= low && f.end <= high)
            .map(|f| Finding { category: f.category, start: f.start + start, end: f.end + start }),
    );
}

/// Keeps the first of overlapping findings (different regions may both report one).
fn disjoint(sorted: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::with_capacity(sorted.len());
    for f in sorted {
        if out.last().is_none_or(|l| l.end <= f.start) {
            out.push(f);
        }
    }
    out
}

/// The merged neighbourhoods of `fresh` (sorted), on character boundaries. A finding inside a
/// URL reaches to the URL's end: its placeholder ends the URL token, so the rest of the URL
/// reads as plain text.
fn neighbourhoods(text: &str, fresh: &[Finding], urls: &[url::Url]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for f in fresh {
        let mut start = f.start.saturating_sub(REREAD_MARGIN);
        let url_end = url_around(urls, f.start).map_or(0, |u| u.end);
        let mut end = (f.end + REREAD_MARGIN).max(url_end).min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        while !text.is_char_boundary(end) {
            end += 1;
        }
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// The URL that `at` lies inside (after its first byte); `urls` are sorted and disjoint.
fn url_around(urls: &[url::Url], at: usize) -> Option<&url::Url> {
    let k = urls.partition_point(|u| u.start < at);
    urls.get(k.checked_sub(1)?).filter(|u| u.end > at)
}

/// Whether `f` overlaps one of `findings` (disjoint).
fn overlaps_any(findings: &BTreeMap<usize, Finding>, f: &Finding) -> bool {
    let before = findings.range(..f.start).next_back().is_some_and(|(_, g)| g.end > f.start);
    before || findings.range(f.start..f.end).next().is_some()
}

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
    fn chains_settle_however_long() {
        // Each IP is only recognised once the phone number before it is masked, and vice versa
        // (found by fuzzing): every link of the chain is found, so masking masked text finds
        // nothing more.
        let link = "000000::0(22)";
        for n in [1usize, 3, 10, 400] {
            let text = format!("a\n000::0(22){}", link.repeat(n));
            let mut vault = Vault::new();
            let masked = vault.mask(&text, &MaskPolicy::new()).unwrap();
            let again = vault.mask(&masked.text, &MaskPolicy::new()).unwrap();
            assert!(again.findings.is_empty(), "{n} links: {:?} left in {}", again.findings, masked.text);
        }
    }

    #[test]
    fn a_reread_region_never_starts_inside_a_url() {
        // Found by fuzzing: the numbers sit in one long URL token, so none is data; a later
        // reading around the masked IP used to start inside the URL, past its scheme, and then
        // took the number for a phone. ('~' stands for U+FFFD, which keeps the token unbroken.)
        let t = "xx://~~~е~~~~~~~~x~~~~~~~~~x~~~~~~~xx~~x~~~~~~~~~~~x~0020776427~xxx~~~~~~~xxxxx~xxxxxxx~~~xx~x~~~~~~~~~x~~[EMAIL]/66616 66x36 6661666x6";
        let t = t.replace('~', "\u{fffd}");
        let found = scan(&t).unwrap();
        assert!(found.iter().all(|f| &t[f.start..f.end] != "0020776427"), "{found:?}");
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
