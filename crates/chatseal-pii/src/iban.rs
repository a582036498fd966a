//! International Bank Account Numbers: two letters (the country), two check digits and an
//! alphanumeric account number, 14 to 34 characters in all, passing the ISO 7064 mod-97 check
//! (which rejects 96 of 97 random strings and every single-character error). The registry's
//! length per country is not required: generators and national variants differ from it, and
//! the checksum already carries the precision.
//! Written compact (`DE89370400440532013000`) or in groups of four split by single spaces
//! (`DE89 3704 0044 0532 0130 00`), in upper or lower case, and not glued to a longer token.

use super::boundary::{at, char_after, next_start, number_starts_clean};
use super::Finding;
use crate::PiiCategory;

/// Shortest and longest IBAN in use (Norway 15; some generators and national variants write 14).
const MIN_LEN: usize = 14;
const MAX_LEN: usize = 34;

/// Appends every IBAN in `text`.
pub(super) fn find(text: &str, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(start) = next_start(b, i, |c| c.is_ascii_alphabetic(), |p| p == b'_') {
        if let Some(end) = iban_at(text, start) {
            out.push(Finding { category: PiiCategory::Iban, start, end });
            i = end;
        } else {
            i = start + 1;
        }
    }
}

fn iban_at(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    let (c0, c1) = (at(b, i), at(b, i + 1));
    let same_case =
        (c0.is_ascii_uppercase() && c1.is_ascii_uppercase()) || (c0.is_ascii_lowercase() && c1.is_ascii_lowercase());
    if !same_case || !at(b, i + 2).is_ascii_digit() || !at(b, i + 3).is_ascii_digit() || !number_starts_clean(text, i) {
        return None;
    }
    // Compact, or groups of four after single spaces (the last group may be shorter). Every
    // place the grouping may end is a candidate, longest first; `ends` holds (chars, byte end).
    let grouped = at(b, i + 4) == b' ';
    let mut chars = [0u8; MAX_LEN];
    let mut ends = [(0usize, 0usize); MAX_LEN / 4 + 1];
    let (mut n, mut k, mut pos) = (0, 0, i);
    while n < MAX_LEN {
        if grouped && n > 0 && n % 4 == 0 {
            if let Some(slot) = ends.get_mut(k) {
                *slot = (n, pos);
                k += 1;
            }
            if at(b, pos) != b' ' || !at(b, pos + 1).is_ascii_alphanumeric() {
                break;
            }
            pos += 1;
        }
        let c = at(b, pos);
        if !c.is_ascii_alphanumeric() {
            break;
        }
        *chars.get_mut(n)? = c.to_ascii_uppercase();
        n += 1;
        pos += 1;
    }
    if n % 4 != 0 || !grouped {
        *ends.get_mut(k)? = (n, pos);
        k += 1;
    }
    // mod-97 of the rearranged IBAN (account number, then country and check digits) for every
    // candidate length in one pass: the account number's remainder grows char by char.
    let head = mod97(chars.get(..4)?);
    let mut rem = 0u32;
    let mut done = 4;
    let mut best = None;
    for &(len, end) in ends.get(..k)? {
        for &c in chars.get(done..len).unwrap_or_default() {
            rem = push97(rem, c);
        }
        done = done.max(len);
        let glued = char_after(text, end).is_some_and(|c| c.is_alphanumeric() || c == '_')
            || (at(b, end) == b'-' && at(b, end + 1).is_ascii_alphanumeric());
        // The country letters and check digits add six decimal digits after the account number.
        let valid = (rem * 1_000_000 % 97 + head) % 97 == 1;
        if (MIN_LEN..=MAX_LEN).contains(&len) && !glued && valid {
            best = Some(end);
        }
    }
    best
}

/// ISO 7064 mod 97-10 over an IBAN: the first four characters moved to the end, letters as 10-35.
pub(super) fn mod97(iban: &[u8]) -> u32 {
    let (head, tail) = iban.split_at_checked(4).unwrap_or((iban, &[]));
    tail.iter().chain(head).fold(0u32, |acc, &c| push97(acc, c))
}

/// Appends one IBAN character to a mod-97 remainder.
fn push97(acc: u32, c: u8) -> u32 {
    match c {
        b'0'..=b'9' => (acc * 10 + u32::from(c - b'0')) % 97,
        b'A'..=b'Z' => (acc * 100 + u32::from(c - b'A') + 10) % 97,
        _ => acc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ibans(text: &str) -> Vec<&str> {
        let mut v = Vec::new();
        find(text, &mut v);
        v.iter().map(|f| &text[f.start..f.end]).collect()
    }

    /// Valid example IBANs from national and registry documentation.
    const VALID: &[&str] = &[
        "DE89370400440532013000",
        "GB29NWBK60161331926819",
        "FR1420041010050500013M02606",
        "ES9121000418450200051332",
        "IT60X0542811101000000123456",
        "NL91ABNA0417164300",
        "BE68539007547034",
        "CH9300762011623852957",
        "AT611904300234573201",
        "PL61109010140000071219812874",
        "SE4550000000058398257466",
        "NO9386011117947",
        "DK5000400440116243",
        "FI2112345600000785",
        "IE29AIBK93115212345678",
        "PT50000201231234567890154",
        "GR1601101250000000012300695",
        "SA0380000000608010167519",
        "BR1800360305000010009795493C1",
        "MT84MALT011000012345MTLCAST001S",
        "LC55HEMM000100010012001200023015",
        "RU0204452560040702810412345678901",
    ];

    #[test]
    fn many_countries_compact_and_grouped() {
        for iban in VALID {
            assert_eq!(ibans(&format!("IBAN: {iban}.")), vec![*iban], "{iban}");
            let grouped: String =
                iban.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(" ");
            assert_eq!(ibans(&format!("pay to {grouped} today")), vec![grouped.as_str()], "{grouped}");
            let lower = iban.to_ascii_lowercase();
            assert_eq!(ibans(&lower), vec![lower.as_str()]);
        }
    }

    #[test]
    fn broken_checksums_lengths_and_tokens() {
        for iban in VALID {
            // Change one digit: mod-97 catches every single-character substitution.
            let mut s = iban.as_bytes().to_vec();
            let k = s.iter().rposition(u8::is_ascii_digit).unwrap();
            s[k] = if s[k] == b'9' { b'0' } else { s[k] + 1 };
            let broken = String::from_utf8(s).unwrap();
            assert!(ibans(&broken).is_empty(), "{broken}");
            assert!(ibans(&format!("X{iban}")).is_empty());
            assert!(ibans(&format!("{iban}_")).is_empty());
        }
        // A character more or less is caught by the checksum, 96 times in 97 (here: FI and BR truncated pass).
        let shifted =
            VALID.iter().filter(|i| !ibans(&i[..i.len() - 1]).is_empty() || !ibans(&format!("{i}7")).is_empty());
        assert!(shifted.count() <= 2);
        for bad in [
            "DE89 3704 0044 0532 0130 0",
            "DE89 37040044 0532 0130 00",
            "XX89370400440532013000",
            "De89370400440532013000",
        ] {
            assert!(ibans(bad).is_empty(), "{bad}");
        }
    }
}
