//! Payment card numbers: a known issuer prefix with a length that issuer uses (12 to 19 digits),
//! a valid Luhn check digit, written bare or in groups split by single spaces or dashes.
//!
//! Grouped numbers are split by one kind of separator (space, dash or dot) into groups of two
//! to eight digits (the last may be one): printed fours, Amex 4-6-5, and the uneven groups
//! people type. Runs glued to words, amounts, other numbers or codes (an IBAN's tail, an order
//! id, a timestamp) are never cards, nor is a number whose nearest cue word names an id
//! ("order", "tracking", "invoice") unless a card word is nearer.

use super::context::{cue_within, Cue, Words, ID_WORDS};
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

/// Issuer ranges (public IIN tables, current and recent). UATP (prefix 1) is left out: too many
/// 15-digit ids start with 1; JCB's 15-digit 1800 and 2131 are specific enough.
const ISSUERS: &[Iin] = &[
    Iin { lo: 4, hi: 4, width: 1, lengths: VISA_LENGTHS },
    iin(51, 55, 2, 16, 16),     // Mastercard
    iin(2221, 2720, 4, 16, 16), // Mastercard 2-series
    iin(34, 34, 2, 15, 15),     // American Express
    iin(37, 37, 2, 15, 15),     // American Express
    iin(6011, 6011, 4, 16, 19), // Discover
    iin(644, 649, 3, 16, 19),   // Discover
    iin(65, 65, 2, 16, 19),     // Discover, RuPay, Troy
    iin(300, 305, 3, 14, 19),   // Diners Club
    iin(3095, 3095, 4, 14, 19), // Diners Club
    iin(36, 36, 2, 14, 19),     // Diners Club
    iin(38, 39, 2, 14, 19),     // Diners Club
    iin(35, 35, 2, 16, 19),     // JCB (3528-3589), RuPay-JCB, LankaPay, and generators' 35xx
    iin(1800, 1800, 4, 15, 15), // JCB 15-digit
    iin(2131, 2131, 4, 15, 15), // JCB 15-digit
    iin(62, 62, 2, 16, 19),     // UnionPay
    iin(81, 82, 2, 16, 19),     // UnionPay, RuPay
    iin(2200, 2205, 4, 16, 19), // Mir, BORICA
    iin(50, 50, 2, 12, 19),     // Maestro, Verve, Elo, RuPay (508)
    iin(56, 69, 2, 12, 19),     // Maestro and the 6-series networks
    iin(604, 604, 4, 12, 19),   // Maestro 0604 (older tables, still generated)
    iin(3841, 3841, 4, 16, 19), // Hipercard
    iin(1946, 1946, 4, 16, 16), // GPN
    iin(8600, 8600, 4, 16, 16), // UzCard
    iin(9860, 9860, 4, 16, 16), // Humo
    iin(9792, 9792, 4, 16, 16), // Troy
];

/// The card number that leads `run`, if any. Runs come from the plain-number pass shared
/// with SSNs (see `plain_numbers` in the module root).
pub(super) fn judge(text: &str, run: &Run) -> Option<Finding> {
    let b = text.as_bytes();
    let (_, end) = run.longest_prefix(text, |groups| is_card(b, groups))?;
    // Only an id word right before vetoes: a card is validated enough ("order 5, paid with 4111...").
    let vetoed = cue_within(b, run.start, 2, CARD_WORDS, ID_WORDS) == Some(Cue::Against);
    (!vetoed).then_some(Finding { category: PiiCategory::Card, start: run.start, end })
}

/// Cue words that announce a card, nearer than an id word ("order 123, paid with card ...").
const CARD_WORDS: &Words = &Words::new(&[
    "card",
    "cards",
    "cc",
    "visa",
    "mastercard",
    "amex",
    "maestro",
    "discover",
    "jcb",
    "diners",
    "unionpay",
    "mir",
    "credit",
    "debit",
    "pan",
    "kreditkarte",
    "karte",
    "tarjeta",
    "carte",
    "carta",
    "cartao",
    "kaart",
]);

fn is_card(b: &[u8], groups: &[Group]) -> bool {
    let digits = Digits::of(b, groups);
    printed_grouping(groups) && issuer_uses(&digits) && luhn(digits.as_slice())
}

/// Bare, or in groups as people print and type them: fours, Amex 4-6-5, and uneven groups of
/// two to eight digits ("4111 11111111 1111", "5555 555555 554444"); the last may be one digit.
fn printed_grouping(groups: &[Group]) -> bool {
    match groups {
        [] => false,
        [_] => true,
        [init @ .., last] => init.iter().all(|g| (2..=8).contains(&g.len())) && (1..=8).contains(&last.len()),
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
            "180001234567899",
            "2131 0000 0000 001",
            "5000 1234 5673",
            "6799990100000000019",
            "0604 5981 5654",
            "3501 6492 1900 1742",
            "8600 0000 0000 0007",
            "4111 11111111 1111",
            "5555 555555 554444",
            "4111.1111.1111.1111",
            "6011 000 990 139 424",
        ] {
            assert_eq!(cards(&format!("card: {good}, thanks")), vec![good], "{good}");
        }
    }

    #[test]
    fn checks_and_tokens() {
        for bad in [
            "4111 1111 1111 1112",           // Luhn
            "9111 1111 1111 1113",           // no issuer
            "4 111 1111 1111 1111",          // not a grouping people type
            "order 4111111111111111",        // an id
            "tracking no. 4111111111111111", // an id
            "1800 1234 5678 9012",           // JCB 1800 is 15 digits
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
        assert_eq!(cards("Order #A1 was $9, paid with 5555-5555-5555-4444"), vec!["5555-5555-5555-4444"]);
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
