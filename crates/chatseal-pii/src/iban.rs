//! International Bank Account Numbers: a country code from the IBAN registry, two check digits,
//! and exactly the registry's length for that country, passing the ISO 7064 mod-97 check.
//! Written compact (`DE89370400440532013000`) or in groups of four split by single spaces
//! (`DE89 3704 0044 0532 0130 00`), in upper or lower case, and not glued to a longer token.

use super::boundary::{at, char_after, next_start, number_starts_clean};
use super::Finding;
use crate::PiiCategory;

/// Registry lengths by country code (SWIFT IBAN registry).
const LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BI", 27),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DJ", 27),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FK", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"LY", 25),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MN", 20),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NI", 28),
    (b"NL", 18),
    (b"NO", 15),
    (b"OM", 23),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"RU", 33),
    (b"SA", 24),
    (b"SC", 31),
    (b"SD", 18),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"SO", 23),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
    (b"YE", 30),
];

/// Longest registered IBAN.
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

fn registry_length(cc: [u8; 2]) -> Option<usize> {
    let cc = cc.map(|c| c.to_ascii_uppercase());
    LENGTHS.iter().find(|(code, _)| **code == cc).map(|&(_, len)| len)
}

fn iban_at(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    let (c0, c1) = (at(b, i), at(b, i + 1));
    let same_case =
        (c0.is_ascii_uppercase() && c1.is_ascii_uppercase()) || (c0.is_ascii_lowercase() && c1.is_ascii_lowercase());
    if !same_case || !at(b, i + 2).is_ascii_digit() || !at(b, i + 3).is_ascii_digit() || !number_starts_clean(text, i) {
        return None;
    }
    let len = registry_length([c0, c1])?;
    let mut chars = [0u8; MAX_LEN];
    let mut n = 0;
    let mut pos = i;
    // Compact, or groups of four after single spaces (the last group may be shorter).
    let grouped = at(b, i + 4) == b' ';
    while n < len {
        if grouped && n > 0 && n % 4 == 0 {
            if at(b, pos) != b' ' {
                return None;
            }
            pos += 1;
        }
        let c = at(b, pos);
        if !c.is_ascii_alphanumeric() {
            return None;
        }
        *chars.get_mut(n)? = c.to_ascii_uppercase();
        n += 1;
        pos += 1;
    }
    let glued = char_after(text, pos).is_some_and(|c| c.is_alphanumeric() || c == '_')
        || (at(b, pos) == b'-' && at(b, pos + 1).is_ascii_alphanumeric());
    (!glued && mod97(chars.get(..len)?) == 1).then_some(pos)
}

/// ISO 7064 mod 97-10 over an IBAN: the first four characters moved to the end, letters as 10-35.
pub(super) fn mod97(iban: &[u8]) -> u32 {
    let (head, tail) = iban.split_at_checked(4).unwrap_or((iban, &[]));
    tail.iter().chain(head).fold(0u32, |acc, &c| match c {
        b'0'..=b'9' => (acc * 10 + u32::from(c - b'0')) % 97,
        b'A'..=b'Z' => (acc * 100 + u32::from(c - b'A') + 10) % 97,
        _ => acc,
    })
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
            assert!(ibans(&iban[..iban.len() - 1]).is_empty());
            assert!(ibans(&format!("{iban}0")).is_empty());
            assert!(ibans(&format!("X{iban}")).is_empty());
        }
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
