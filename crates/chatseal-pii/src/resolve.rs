//! The overlap rule: one finding per stretch of text.
//!
//! 1. Context first: cards, phones, SSNs and IBANs inside a URL are ids in a path or query, not
//!    personal data; an e-mail that starts inside a URL's authority (`https://user:pw@host`) is
//!    its user-info and host, not an address; a span holding a placeholder (`[EMAIL_1]`) is
//!    masked text, not new data.
//! 2. Then the longer span wins; at equal length the more specific category wins, in the order
//!    secret, IBAN, card, SSN, phone, e-mail, IP. Every candidate is already validated by its
//!    detector, so the longer one explains more of the text.
//!
//! Cost: O(k log k) for k candidates, and k is at most a small fraction of the input length.

use std::collections::BTreeMap;

use super::placeholder;
use super::url::Url;
use super::Finding;
use crate::PiiCategory;

fn rank(category: PiiCategory) -> u8 {
    match category {
        PiiCategory::Secret => 0,
        PiiCategory::Iban => 1,
        PiiCategory::Card => 2,
        PiiCategory::Ssn => 3,
        PiiCategory::Phone => 4,
        PiiCategory::Email => 5,
        PiiCategory::Ip => 6,
    }
}

/// The URL (if any) that overlaps `start..end`; `urls` are sorted and disjoint.
fn url_over(urls: &[Url], start: usize, end: usize) -> Option<&Url> {
    let k = urls.partition_point(|u| u.start < end);
    urls.get(k.checked_sub(1)?).filter(|u| u.end > start)
}

fn drowned_by_url(f: &Finding, urls: &[Url]) -> bool {
    match f.category {
        PiiCategory::Card | PiiCategory::Phone | PiiCategory::Ssn | PiiCategory::Iban => {
            url_over(urls, f.start, f.end).is_some()
        }
        PiiCategory::Email => {
            url_over(urls, f.start, f.start + 1).is_some_and(|u| f.start >= u.auth_start && f.start < u.auth_end)
        }
        PiiCategory::Ip | PiiCategory::Secret => false,
    }
}

/// A span that contains a placeholder is masked text read as a whole, not new data; dropping
/// it keeps masking idempotent. Linear: each detector's candidates are disjoint.
fn holds_placeholder(text: &str, f: &Finding) -> bool {
    let span = text.as_bytes().get(f.start..f.end).unwrap_or_default();
    span.iter().enumerate().any(|(k, &c)| c == b'[' && placeholder::starts(span.get(k..).unwrap_or_default()))
}

/// Applies the rule to all candidates; returns findings sorted by start, without overlaps.
pub(super) fn resolve(text: &str, mut found: Vec<Finding>, urls: &[Url]) -> Vec<Finding> {
    found.retain(|f| f.end > f.start && !drowned_by_url(f, urls) && !holds_placeholder(text, f));
    found.sort_unstable_by_key(|f| (f.start, core::cmp::Reverse(f.end)));
    let mut out = Vec::with_capacity(found.len());
    let mut rest = found.as_mut_slice();
    // Only candidates in one chain of overlaps compete; almost every chain is a single candidate.
    while let Some(first) = rest.first() {
        let mut reach = first.end;
        let len = 1 + rest
            .iter()
            .skip(1)
            .take_while(|f| {
                f.start < reach && {
                    reach = reach.max(f.end);
                    true
                }
            })
            .count();
        let (cluster, tail) = rest.split_at_mut(len.min(rest.len()));
        match cluster {
            [one] => out.push(*one),
            _ => settle(cluster, &mut out),
        }
        rest = tail;
    }
    out
}

/// The rule inside one chain of overlapping candidates: longest first, then by rank; appends
/// the winners sorted by start.
fn settle(cluster: &mut [Finding], out: &mut Vec<Finding>) {
    cluster.sort_unstable_by(|a, b| {
        (b.end - b.start)
            .cmp(&(a.end - a.start))
            .then(rank(a.category).cmp(&rank(b.category)))
            .then(a.start.cmp(&b.start))
    });
    // Kept spans by start; they never overlap, so only the nearest one before `end` can clash.
    let mut kept: BTreeMap<usize, Finding> = BTreeMap::new();
    for f in cluster.iter() {
        let clash = kept.range(..f.end).next_back().is_some_and(|(_, k)| k.end > f.start);
        if !clash {
            kept.insert(f.start, *f);
        }
    }
    out.extend(kept.into_values());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(category: PiiCategory, start: usize, end: usize) -> Finding {
        Finding { category, start, end }
    }

    #[test]
    fn longer_wins_then_rank() {
        let got = resolve(
            "",
            vec![
                f(PiiCategory::Card, 5, 21),
                f(PiiCategory::Iban, 0, 27),
                f(PiiCategory::Phone, 30, 40),
                f(PiiCategory::Ssn, 30, 40),
            ],
            &[],
        );
        assert_eq!(got, vec![f(PiiCategory::Iban, 0, 27), f(PiiCategory::Ssn, 30, 40)]);
    }

    #[test]
    fn url_context() {
        let urls = [Url { start: 10, end: 60, auth_start: 18, auth_end: 40, userinfo_at: Some(25) }];
        let got = resolve(
            "",
            vec![
                f(PiiCategory::Card, 42, 58),
                f(PiiCategory::Email, 22, 40),
                f(PiiCategory::Email, 45, 55),
                f(PiiCategory::Phone, 61, 70),
            ],
            &urls,
        );
        assert_eq!(got, vec![f(PiiCategory::Email, 45, 55), f(PiiCategory::Phone, 61, 70)]);
    }
}
