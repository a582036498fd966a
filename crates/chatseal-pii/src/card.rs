//! Payment card numbers: a known issuer prefix with a length that issuer uses (12 to 19 digits),
//! a valid Luhn check digit, written bare or in groups split by single spaces or dashes.
//!
//! Grouped numbers must look like printed cards: a first group of four, middle groups of four
//! or six (Amex, Diners), a last group of one to six. Runs glued to words, amounts, other
//! numbers or codes (an IBAN's tail, an order id, a timestamp) are never cards.

use super::groups::{Digits, Group, Run};
use super::Finding;
use crate::PiiCategory;

/// Longest card number, in digits.
pub(super) const MAX_DIGITS: usize = 19;

/// An issuer identification range: prefixes `lo..=hi` of `width` digits, and the card lengths
/// the issuer uses as a bit set (bit n = length n).
struct Iin {
    lo: u32,
    hi: u32,
    width: usize,
    lengths: u32,
}

const fn iin(lo: u32, hi: u32, width: usize, min_len: u32, max_len: u32) -> Iin {
    let mut lengths = 0;
    let mut n = min_len;
    while n <= max_len {
        lengths |= 1 << n;
        n += 1;
    }
    Iin { lo, hi, width, lengths }
}

/// Visa's three lengths are not a range.
const VISA_LENGTHS: u32 = (1 << 13) | (1 << 16) | (1 << 19);
/// Verve's lengths are not a range either.
const VERVE_LENGTHS: u32 = (1 << 16) | (1 << 18) | (1 << 19);

/// Issuer ranges (public IIN tables). UATP (prefix 1) is left out: too many 15-digit ids start with 1.
const ISSUERS: &[Iin] = &[
    Iin { lo: 4, hi: 4, width: 1, lengths: VISA_LENGTHS },
    iin(51, 55, 2, 16, 16),           // Mastercard
    iin(2221, 2720, 4, 16, 16),       // Mastercard 2-series
    iin(34, 34, 2, 15, 15),           // American Express
    iin(37, 37, 2, 15, 15),           // American Express
    iin(6011, 6011, 4, 16, 19),       // Discover
    iin(644, 649, 3, 16, 19),         // Discover
    iin(65, 65, 2, 16, 19),           // Discover, RuPay
    iin(622_126, 622_925, 6, 16, 19), // Discover co-branded UnionPay
    iin(300, 305, 3, 14, 19),         // Diners Club
    iin(3095, 3095, 4, 14, 19),       // Diners Club
    iin(36, 36, 2, 14, 19),           // Diners Club
    iin(38, 39, 2, 14, 19),           // Diners Club
    iin(3528, 3589, 4, 16, 19),       // JCB
    iin(62, 62, 2, 16, 19),           // UnionPay
    iin(81, 81, 2, 16, 19),           // UnionPay
    iin(2200, 2204, 4, 16, 19),       // Mir
    iin(60, 60, 2, 16, 16),           // RuPay
    iin(82, 82, 2, 16, 16),           // RuPay
    iin(508, 508, 3, 16, 16),         // RuPay
    iin(353, 353, 3, 16, 16),         // RuPay co-branded JCB
    iin(356, 356, 3, 16, 16),         // RuPay co-branded JCB
    iin(5018, 5018, 4, 12, 19),       // Maestro
    iin(5020, 5020, 4, 12, 19),       // Maestro
    iin(5038, 5038, 4, 12, 19),       // Maestro
    iin(5893, 5893, 4, 12, 19),       // Maestro
    iin(6304, 6304, 4, 12, 19),       // Maestro
    iin(6759, 6759, 4, 12, 19),       // Maestro UK
    iin(6761, 6763, 4, 12, 19),       // Maestro
    iin(5019, 5019, 4, 16, 16),       // Dankort
    iin(636, 636, 3, 16, 19),         // InterPayment
    iin(637, 639, 3, 16, 16),         // InstaPayment
    iin(9792, 9792, 4, 16, 16),       // Troy
    Iin { lo: 506_099, hi: 506_198, width: 6, lengths: VERVE_LENGTHS },
    Iin { lo: 650_002, hi: 650_027, width: 6, lengths: VERVE_LENGTHS },
];

/// The card number that leads `run`, if any. Runs come from the plain-number pass shared
/// with SSNs (see `plain_numbers` in the module root).
pub(super) fn judge(text: &str, run: &Run) -> Option<Finding> {
    let b = text.as_bytes();
    let (_, end) = run.longest_prefix(text, |groups| is_card(b, groups))?;
    Some(Finding { category: PiiCategory::Card, start: run.start, end })
}

fn is_card(b: &[u8], groups: &[Group]) -> bool {
    let digits = Digits::of(b, groups);
    printed_grouping(groups) && issuer_uses(&digits) && luhn(digits.as_slice())
}

/// Bare, or grouped the way cards are printed and read out.
fn printed_grouping(groups: &[Group]) -> bool {
    match groups {
        [] => false,
        [_] => true,
        [first, middle @ .., last] => {
            first.len() == 4 && middle.iter().all(|g| g.len() == 4 || g.len() == 6) && (1..=6).contains(&last.len())
        }
    }
}

fn issuer_uses(digits: &Digits) -> bool {
    let len = digits.as_slice().len();
    ISSUERS.iter().any(|iin| {
        iin.lengths & (1u32 << len.min(31)) != 0
            && digits.prefix(iin.width).is_some_and(|p| (iin.lo..=iin.hi).contains(&p))
    })
}

/// The Luhn (mod 10) check over digit values, check digit last.
pub(super) fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    !digits.is_empty() && sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::groups::{for_each_run, Style};

    fn cards(text: &str) -> Vec<&str> {
        let mut v = Vec::new();
        for_each_run(text, Style::Plain, MAX_DIGITS, |run| judge(text, run).map(|f| v.push(f)).is_some());
        v.iter().map(|f| &text[f.start..f.end]).collect()
    }

    #[test]
    fn issuers_and_formats() {
        for good in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "4012888888881881",
            "4222222222222",
            "5555 5555 5555 4444",
            "2223 0031 2200 3222",
            "3782 822463 10005",
            "3714-496353-98431",
            "6011 1111 1111 1117",
            "3056 9309 0259 04",
            "3530 1113 3330 0000",
            "6200 0000 0000 0005",
            "6759 6498 2643 8453",
            "2200 0000 0000 0004",
        ] {
            assert_eq!(cards(&format!("card: {good}, thanks")), vec![good], "{good}");
        }
    }

    #[test]
    fn checks_and_tokens() {
        for bad in [
            "4111 1111 1111 1112",           // Luhn
            "9111 1111 1111 1113",           // no issuer
            "41111 111 1111 1111",           // not a printed grouping
            "4111 1111 1111 1111 1111 2222", // too long
            "DE89 3704 0044 0532 0130 00",   // IBAN tail
            "ORD-4111111111111111",          // order id
            "ts=20240101T4111111111111111",  // inside a token
            "$4111111111111111",             // amount
            "4111111111111111.5",            // decimal
            "4111-1111-1111-1111-ab",        // code
            "x4111 1111 1111 1111",          // glued
            "**** **** **** 1111",           // masked
        ] {
            assert!(cards(bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn bare_cards_side_by_side() {
        assert_eq!(cards("4111111111111111 5555555555554444"), vec!["4111111111111111", "5555555555554444"]);
    }

    #[test]
    fn expiry_or_cvv_after_card() {
        assert_eq!(cards("4111 1111 1111 1111 12/27"), vec!["4111 1111 1111 1111"]);
        assert_eq!(cards("4111 1111 1111 1111 123"), vec!["4111 1111 1111 1111"]);
    }

    #[test]
    fn luhn_values() {
        assert!(luhn(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 3]));
        assert!(!luhn(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 4]));
        assert!(!luhn(&[]));
    }
}
