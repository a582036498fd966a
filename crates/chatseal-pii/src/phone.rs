//! Telephone numbers, international and national.
//!
//! * International: `+` or `00`, a valid ITU country code, then a national significant number
//!   whose length fits that country (US/CA 10 by the NANP rules, UK 9-10, DE 7-12, FR 9, IN 10,
//!   BR 10-11, AU 9, others 6-12, 15 digits at most in all). A "(0)" trunk group is skipped.
//! * National: NANP `(415) 555-2671` / `415-555-2671` / `1-800-555-0199`; trunk-0 numbers of the
//!   UK, DE, FR, IN, AU and others (`020 7946 0958`, `030/1234567`, `06 12 34 56 78`), 10 to 12
//!   digits; Brazil `(11) 91234-5678`; India `98765 43210`; Australia `1300 123 456`.
//!
//! Separators are single spaces, dashes, dots (then only dots) or one slash. A national number
//! written as one bare digit run counts only after a phone cue word ("call", "phone", ...),
//! and any national number whose nearest cue word names an order, ticket or other id is not a
//! phone. Dates, times, versions, prices and GUIDs fail the grouping and length rules or the
//! boundary rules (a run glued to a word, amount or other number is never read).

use super::context::{nearest_cue, Cue, ID_WORDS};
use super::groups::{for_each_run, Digits, Group, Style, MAX_GROUPS};
use super::Finding;
use crate::PiiCategory;

/// 15 digits of E.164 plus a `00` prefix and a "(0)" trunk.
const MAX_DIGITS: usize = 18;

/// Cue words that announce a phone number.
const PHONE_WORDS: &[&str] = &[
    "call",
    "phone",
    "tel",
    "telephone",
    "mobile",
    "cell",
    "cellphone",
    "fax",
    "whatsapp",
    "sms",
    "text",
    "txt",
    "ring",
    "dial",
    "reach",
    "contact",
    "number",
    "handy",
    "telefon",
    "telefono",
    "celular",
    "mob",
    "landline",
    "hotline",
    "helpline",
    "signal",
    "telegram",
    "viber",
];

/// Appends every phone number in `text`.
pub(super) fn find(text: &str, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    for_each_run(text, Style::Phone, MAX_DIGITS, |run| {
        // Cue words are read only for the national candidates that need them, once per run.
        let mut cue = None;
        let mut cue_at = || *cue.get_or_insert_with(|| nearest_cue(b, run.start, PHONE_WORDS, ID_WORDS));
        let Some((_, end)) = run.longest_prefix(text, |groups| is_phone(b, run.plus, groups, &mut cue_at)) else {
            return false;
        };
        out.push(Finding { category: PiiCategory::Phone, start: run.start, end });
        true
    });
}

fn is_phone(b: &[u8], plus: bool, groups: &[Group], cue: &mut impl FnMut() -> Option<Cue>) -> bool {
    if groups.len() > MAX_GROUPS || !separators_ok(groups, plus) {
        return false;
    }
    if plus {
        return international(b, groups);
    }
    let digits = Digits::of(b, groups);
    if digits.as_slice().starts_with(&[0, 0]) {
        if groups.first().is_none_or(|g| g.len() < 2) {
            return false;
        }
        // "0044 20 7946 0958": the international call prefix instead of '+'.
        let mut rest = [Group::default(); MAX_GROUPS];
        let mut n = 0;
        for (i, g) in groups.iter().enumerate() {
            let g = if i == 0 { Group { start: g.start + 2, ..*g } } else { *g };
            if g.len() > 0 {
                if let Some(slot) = rest.get_mut(n) {
                    *slot = g;
                    n += 1;
                }
            }
        }
        return international(b, rest.get(..n).unwrap_or_default());
    }
    if !national(groups, &digits) {
        return false;
    }
    match cue() {
        Some(Cue::Against) => false,
        Some(Cue::For) => true,
        None => groups.len() > 1,
    }
}

/// Dots only with dots (after a `+` country code a space may come first), at most one slash.
fn separators_ok(groups: &[Group], plus: bool) -> bool {
    let inner = groups.iter().skip(if plus { 2 } else { 1 });
    let seps = || inner.clone().map(|g| g.sep).filter(|&s| s != 0);
    let dots = seps().filter(|&s| s == b'.').count();
    let slashes = seps().filter(|&s| s == b'/').count();
    (dots == 0 || dots == seps().count()) && slashes <= 1 && !(slashes == 1 && dots > 0)
}

/// Digits after the international prefix, in `groups`.
fn international(b: &[u8], groups: &[Group]) -> bool {
    let digits = Digits::of(b, groups);
    let Some(cc_len) = country_code_len(digits.as_slice()) else {
        return false;
    };
    let Some(first) = groups.first() else {
        return false;
    };
    if first.paren || first.len() < cc_len || (first.len() <= 3 && first.len() != cc_len) {
        return false;
    }
    let Some(cc) = digits.prefix(cc_len) else {
        return false;
    };
    // The national significant number: the rest of the first group, then every group except
    // a "(0)" trunk; only its first group may be a single digit ("+33 6 12 34 56 78").
    let mut nsn = Vec::with_capacity(16);
    nsn.extend(b.get(first.start + cc_len..first.end).unwrap_or_default().iter().map(|c| c - b'0'));
    for g in groups.iter().skip(1) {
        let ds = b.get(g.start..g.end).unwrap_or_default();
        if g.paren && ds == b"0" {
            continue;
        }
        if g.len() < 2 && !nsn.is_empty() {
            return false;
        }
        nsn.extend(ds.iter().map(|c| c - b'0'));
    }
    // "+44 020 ...": the trunk 0 written after the code by mistake. Italy keeps its 0.
    if nsn.first() == Some(&0) && cc != 39 {
        nsn.remove(0);
    }
    let n = nsn.len();
    let lead = nsn.first().copied().unwrap_or(0);
    let fits = match cc {
        1 => nanp(&nsn),
        7 => n == 10,
        33 => n == 9 && lead != 0,
        44 => (9..=10).contains(&n) && lead != 0,
        49 => (7..=12).contains(&n) && lead != 0,
        55 => (10..=11).contains(&n) && lead != 0 && nsn.get(1) != Some(&0),
        61 => n == 9 && matches!(lead, 2 | 3 | 4 | 7 | 8),
        91 => n == 10 && lead != 0,
        _ => (6..=12).contains(&n),
    };
    fits && cc_len + n <= 15
}

/// Length of the ITU country code that `digits` starts with. The codes are prefix-free: 1 and
/// 7 alone, the listed two-digit zones, and three digits for the rest of zones 2-9.
fn country_code_len(digits: &[u8]) -> Option<usize> {
    const TWO: &[u8] = &[
        20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60, 61,
        62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
    ];
    match digits {
        [1 | 7, ..] => Some(1),
        [0, ..] | [] => None,
        [a, b, _, ..] if !TWO.contains(&(a * 10 + b)) => Some(3),
        [a, b, ..] if TWO.contains(&(a * 10 + b)) => Some(2),
        _ => None,
    }
}

/// The North American numbering plan: area and exchange codes start with 2-9 and are not
/// service codes (N11).
fn nanp(d: &[u8]) -> bool {
    match d {
        [a, b, c, e, f, g, _, _, _, _] => *a >= 2 && !(*b == 1 && *c == 1) && *e >= 2 && !(*f == 1 && *g == 1),
        _ => false,
    }
}

fn national(groups: &[Group], digits: &Digits) -> bool {
    let d = digits.as_slice();
    let n = d.len();
    let mut lens = [0usize; MAX_GROUPS];
    for (slot, g) in lens.iter_mut().zip(groups) {
        *slot = g.len();
    }
    let lens = lens.get(..groups.len()).unwrap_or_default();
    let paren_at = |i: usize| groups.get(i).is_some_and(|g| g.paren);
    let any_paren_after = |i: usize| groups.iter().skip(i).any(|g| g.paren);

    let nanp_ok = match (n, lens) {
        (10, [3, 3, 4] | [3, 7] | [10]) => !any_paren_after(1) && nanp(d),
        (11, [1, 3, 3, 4] | [1, 3, 7] | [1, 10] | [11]) => {
            d.first() == Some(&1) && !paren_at(0) && !any_paren_after(2) && nanp(d.get(1..).unwrap_or_default())
        }
        _ => false,
    };
    let trunk_ok = matches!(d, [0, 1..=9, ..])
        && (10..=12).contains(&n)
        && lens.first().is_some_and(|l| (2..=6).contains(l) || lens.len() == 1)
        && lens.iter().skip(1).all(|l| (2..=8).contains(l))
        && !any_paren_after(1);
    let brazil_ok = matches!(d, [1..=9, 1..=9, ..])
        && (10..=11).contains(&n)
        && !any_paren_after(1)
        && match lens {
            [2, 4 | 5, 4] if paren_at(0) => n == 10 || d.get(2) == Some(&9),
            [2, 8 | 9] if paren_at(0) => n == 10 || d.get(2) == Some(&9),
            [2, 5, 4] => d.get(2) == Some(&9) && groups.get(2).is_some_and(|g| g.sep == b'-'),
            _ => false,
        };
    let india_ok = n == 10 && matches!(d.first(), Some(6..=9)) && matches!(lens, [5, 5] | [10]) && !any_paren_after(0);
    let au_ok = lens == [4, 3, 3] && (d.starts_with(&[1, 3, 0, 0]) || d.starts_with(&[1, 8, 0, 0]));
    nanp_ok || trunk_ok || brazil_ok || india_ok || au_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phones(text: &str) -> Vec<&str> {
        let mut v = Vec::new();
        find(text, &mut v);
        v.iter().map(|f| &text[f.start..f.end]).collect()
    }

    fn one(good: &str) {
        assert_eq!(phones(&format!("you can reach me on {good}, thanks")), vec![good], "{good}");
    }

    #[test]
    fn us_ca() {
        for p in [
            "(415) 555-2671",
            "415-555-2671",
            "415.555.2671",
            "415 555 2671",
            "+1 415 555 2671",
            "+1-415-555-2671",
            "+1 (415) 555-2671",
            "1-800-555-0199",
            "1 (800) 555-0199",
            "+14155552671",
            "(604)555-0123",
        ] {
            one(p);
        }
    }

    #[test]
    fn uk_de_fr() {
        for p in [
            "+44 20 7946 0958",
            "+44 (0)20 7946 0958",
            "020 7946 0958",
            "07700 900123",
            "+44 7700 900123",
            "0161 496 0000",
            "0044 20 7946 0958",
            "+49 30 12345678",
            "+49 (0)151 2345 6789",
            "030 12345678",
            "0151 23456789",
            "030/1234567",
            "089-1234567",
            "+33 1 23 45 67 89",
            "+33 6 12 34 56 78",
            "01 23 45 67 89",
            "06.12.34.56.78",
            "06-12-34-56-78",
        ] {
            one(p);
        }
    }

    #[test]
    fn in_br_au() {
        for p in [
            "+91 98765 43210",
            "+91-9876543210",
            "98765 43210",
            "098765 43210",
            "022 2345 6789",
            "+55 11 91234-5678",
            "(11) 91234-5678",
            "(21) 3456-7890",
            "11 91234-5678",
            "+55 (11) 91234-5678",
            "+61 2 9876 5432",
            "(02) 9876 5432",
            "0412 345 678",
            "+61 412 345 678",
            "1300 123 456",
        ] {
            one(p);
        }
    }

    #[test]
    fn bare_runs_need_a_cue() {
        assert_eq!(phones("call me at 4155552671"), vec!["4155552671"]);
        assert_eq!(phones("mobile: 07700900123"), vec!["07700900123"]);
        assert!(phones("4155552671").is_empty());
        assert!(phones("order number 4155552671").is_empty());
        assert!(phones("order 415-555-2671").is_empty());
        assert_eq!(phones("call me about it +14155552671"), vec!["+14155552671"]);
    }

    #[test]
    fn traps() {
        for bad in [
            "2024-01-15",
            "15.01.2024",
            "01/15/2024",
            "12/25/2024 0930",
            "10:30:45",
            "version 10.0.19041.1",
            "1.2.3",
            "192.168.100.200",
            "$1,234,567.89",
            "1 234 567,89 €",
            "550e8400-e29b-41d4-a716-446655440000",
            "12345678-1234-1234-1234-123456789012",
            "ISBN 978-3-16-148410-0",
            "#415-555-2671",
            "415-555-2671x",
            "1712345678",
            "9400 1000 0000 0000 0000 00",
            "+1 415",
            "+0 123 456 7890",
            "0 0412 345 678",
            "0 0",
            "(555) 011-2671",
            "123-456-7890",
            "911",
            "2024 1234 5678",
        ] {
            assert!(phones(bad).is_empty(), "{bad}: {:?}", phones(bad));
        }
    }
}
