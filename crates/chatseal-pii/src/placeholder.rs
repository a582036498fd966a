//! Placeholder text: `[EMAIL_1]` (numbered), `[EMAIL]` (type only), `[CARD ****1234]` (partial).
//!
//! None of them can be read as personal data again: the digits in them are glued to `_` or
//! `*`, which every number detector refuses, so masking masked text changes nothing.

use crate::PiiCategory;

/// Most digits in a placeholder number (the vault never holds more than 99,999 entries).
const MAX_NUMBER_DIGITS: usize = 5;

/// `[TAG_n]`.
pub(super) fn numbered(category: PiiCategory, n: usize) -> String {
    format!("[{}_{}]", category.placeholder_tag(), n)
}

/// `[TAG]`.
pub(super) fn type_only(category: PiiCategory) -> String {
    format!("[{}]", category.placeholder_tag())
}

/// `[CARD ****1234]`: the last four digits of a card number; type only if it has fewer.
pub(super) fn partial_card(value: &str) -> String {
    let digits: Vec<char> = value.chars().filter(char::is_ascii_digit).collect();
    match digits.len().checked_sub(4).and_then(|k| digits.get(k..)) {
        Some(last4) => format!("[{} ****{}]", PiiCategory::Card.placeholder_tag(), last4.iter().collect::<String>()),
        None => type_only(PiiCategory::Card),
    }
}

/// True when a placeholder of any form (`[TAG_n]`, `[TAG]`, `[CARD ****1234]`) starts `b`.
pub(super) fn starts(b: &[u8]) -> bool {
    let Some(rest) = b.strip_prefix(b"[") else {
        return false;
    };
    PiiCategory::ALL.into_iter().any(|c| {
        rest.strip_prefix(c.placeholder_tag().as_bytes())
            .is_some_and(|after| after.starts_with(b"]") || after.starts_with(b"_") || after.starts_with(b" *"))
    })
}

/// Reads `[TAG_n]` at the start of `b`: `(category, n, length in bytes)`. `n` has no leading zero.
pub(super) fn parse_numbered(b: &[u8]) -> Option<(PiiCategory, usize, usize)> {
    let rest = b.strip_prefix(b"[")?;
    let (category, rest) = PiiCategory::ALL.into_iter().find_map(|c| {
        let after = rest.strip_prefix(c.placeholder_tag().as_bytes())?;
        Some((c, after.strip_prefix(b"_")?))
    })?;
    let len = rest.iter().take(MAX_NUMBER_DIGITS + 1).take_while(|c| c.is_ascii_digit()).count();
    let digits = rest.get(..len)?;
    if len == 0 || len > MAX_NUMBER_DIGITS || digits.first() == Some(&b'0') || rest.get(len) != Some(&b']') {
        return None;
    }
    let n = digits.iter().fold(0usize, |acc, &d| acc * 10 + usize::from(d - b'0'));
    let total = 1 + category.placeholder_tag().len() + 1 + len + 1;
    Some((category, n, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render() {
        assert_eq!(numbered(PiiCategory::Email, 3), "[EMAIL_3]");
        assert_eq!(type_only(PiiCategory::Ip), "[IP]");
        assert_eq!(partial_card("4111 1111 1111 1234"), "[CARD ****1234]");
        assert_eq!(partial_card("12"), "[CARD]");
    }

    #[test]
    fn starts_any_form() {
        for yes in [&b"[EMAIL_1]"[..], b"[IP]", b"[CARD ****1234]", b"[SECRET_12] x"] {
            assert!(starts(yes));
        }
        for no in [&b"[2001:db8::1]"[..], b"[0]", b"[email]", b"EMAIL_1]", b"[EMAILS]"] {
            assert!(!starts(no));
        }
    }

    #[test]
    fn parse() {
        assert_eq!(parse_numbered(b"[EMAIL_12] x"), Some((PiiCategory::Email, 12, 10)));
        assert_eq!(parse_numbered(b"[SECRET_1]"), Some((PiiCategory::Secret, 1, 10)));
        for bad in [
            &b"[EMAIL_0]"[..],
            b"[EMAIL_01]",
            b"[EMAIL]",
            b"[EMAIL_1",
            b"[email_1]",
            b"[EMAIL_123456]",
            b"[FOO_1]",
            b"[",
        ] {
            assert_eq!(parse_numbered(bad), None);
        }
    }
}
