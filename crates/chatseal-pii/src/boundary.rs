//! What may touch a detected span: panic-free byte reading and the token-boundary rules
//! shared by the detectors ("never a digit run inside a longer token").

/// The byte at `i`, or 0 past the end. NUL belongs to no class a detector looks for, so
/// callers can peek ahead without bounds checks of their own.
#[inline]
pub(super) fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// The character that ends at byte `pos`, if `pos` is a char boundary with one before it.
#[inline]
pub(super) fn char_before(text: &str, pos: usize) -> Option<char> {
    match text.as_bytes().get(pos.checked_sub(1)?) {
        // After an ASCII byte `pos` is always a boundary: no decoding needed.
        Some(&c) if c.is_ascii() => Some(char::from(c)),
        _ => text.get(..pos)?.chars().next_back(),
    }
}

/// The character that starts at byte `pos`, if any.
#[inline]
pub(super) fn char_after(text: &str, pos: usize) -> Option<char> {
    match text.as_bytes().get(pos) {
        Some(&c) if c.is_ascii() => Some(char::from(c)),
        _ => text.get(pos..)?.chars().next(),
    }
}

/// Letters and digits of any script, and `_`, glue characters into one token. Ideographs and
/// kana do not: CJK text has no spaces, so "电话13800138000" still holds a separate number.
#[inline]
pub(super) fn is_word(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        c.is_alphanumeric() && !is_cjk(c)
    }
}

/// Kana, CJK ideographs and compatibility ideographs.
#[inline]
pub(super) fn is_cjk(c: char) -> bool {
    matches!(u32::from(c), 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// Punctuation that makes one token of the numbers on either side: "1.5", "12/25", "10:30".
fn is_joiner(c: char) -> bool {
    matches!(c, '.' | ',' | '-' | '/' | ':' | '+' | '\'')
}

/// Characters that mark a touching number as an amount, an id, a handle or an already-masked value.
fn is_marker(c: char) -> bool {
    matches!(c, '#' | '$' | '€' | '£' | '¥' | '₹' | '%' | '@' | '&' | '*' | '\\' | '=' | '~' | '^' | '°')
}

/// The next position from `from` on where `first` holds for the byte and the byte before is
/// neither an ASCII letter or digit nor `glue`: where a token of interest may start. One tight
/// pass; callers decode non-ASCII neighbours themselves.
#[inline]
pub(super) fn next_start(
    b: &[u8],
    from: usize,
    first: impl Fn(u8) -> bool,
    glue: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut prev = from.checked_sub(1).map_or(b' ', |p| at(b, p));
    for (k, &c) in b.get(from..)?.iter().enumerate() {
        if first(c) && !(prev.is_ascii_alphanumeric() || glue(prev)) {
            return Some(from + k);
        }
        prev = c;
    }
    None
}

/// True when a number may start at `pos`: it is not the tail of a word ("ID4111"), of another
/// number ("1.4111", "12/4111"), of a code ("ORD-4111") or of an amount or id ("$4111", "#4111").
#[inline]
pub(super) fn number_starts_clean(text: &str, pos: usize) -> bool {
    match char_before(text, pos) {
        None => true,
        Some(c) if is_word(c) || is_marker(c) => false,
        Some(c) if is_joiner(c) => {
            let before = char_before(text, pos.saturating_sub(c.len_utf8()));
            match before {
                Some(p) if p.is_numeric() => false,
                // "ORD-4111", "A_1": a dash after letters continues a code; "Tel.+49" or "phone:0151" does not.
                Some(p) if is_word(p) => !matches!(c, '-' | '\'' | '+'),
                _ => true,
            }
        }
        Some(_) => true,
    }
}

/// True when a number may end at `end`: what follows is not a word ("2671x"), another number
/// ("2671.5", "12/25"), a code tail ("2671-ab") or an amount or handle sign ("50%", "2671@").
pub(super) fn number_ends_clean(text: &str, end: usize) -> bool {
    match char_after(text, end) {
        None => true,
        Some(c) if is_word(c) || is_marker(c) => false,
        Some(c) if is_joiner(c) => match char_after(text, end + c.len_utf8()) {
            Some(n) if n.is_numeric() => false,
            Some(n) if is_word(n) => !matches!(c, '-' | '\'' | '+'),
            _ => true,
        },
        Some(_) => true,
    }
}

/// True when `pos` continues a code: the word before it (across one space) mixes ASCII letters
/// and digits ("A1B2 4111"), or a chain of four-character groups before it starts with such a
/// word, as in a spaced IBAN ("DE89 3704 0044 0532", "GB29 NWBK 6016"), checksum-valid or not.
/// Looks back at most eight groups.
pub(super) fn after_code_word(b: &[u8], pos: usize) -> bool {
    let mut end = pos;
    for _ in 0..8 {
        if end == 0 || at(b, end - 1) != b' ' {
            return false;
        }
        let word_end = end - 1;
        let mut start = word_end;
        while start > 0 && at(b, start - 1).is_ascii_alphanumeric() && word_end - start < 40 {
            start -= 1;
        }
        let word = b.get(start..word_end).unwrap_or_default();
        if is_mixed(word) {
            return true;
        }
        if word.len() != 4 {
            return false;
        }
        end = start;
    }
    false
}

/// True when the word right after `end` across one space mixes letters and digits ("AB12").
pub(super) fn before_code_word(b: &[u8], end: usize) -> bool {
    if at(b, end) != b' ' {
        return false;
    }
    let start = end + 1;
    let mut stop = start;
    while at(b, stop).is_ascii_alphanumeric() && stop - start < 40 {
        stop += 1;
    }
    is_mixed(b.get(start..stop).unwrap_or_default())
}

fn is_mixed(word: &[u8]) -> bool {
    word.iter().any(u8::is_ascii_digit) && word.iter().any(u8::is_ascii_alphabetic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts() {
        assert!(number_starts_clean("4111", 0));
        assert!(number_starts_clean("x 4111", 2));
        assert!(number_starts_clean("Tel.+49", 4));
        assert!(number_starts_clean("phone:0151", 6));
        assert!(!number_starts_clean("ID4111", 2));
        assert!(!number_starts_clean("1.4111", 2));
        assert!(!number_starts_clean("10:30", 3));
        assert!(!number_starts_clean("ORD-4111", 4));
        assert!(!number_starts_clean("$4111", 1));
        assert!(!number_starts_clean("#4111", 1));
        assert!(!number_starts_clean("é4111", 2));
        assert!(number_starts_clean("电话4111", 6));
        assert!(number_ends_clean("4111谢谢", 4));
    }

    #[test]
    fn ends() {
        assert!(number_ends_clean("2671", 4));
        assert!(number_ends_clean("2671.", 4));
        assert!(number_ends_clean("2671. Thanks", 4));
        assert!(number_ends_clean("2671, ok", 4));
        assert!(!number_ends_clean("2671.5", 4));
        assert!(!number_ends_clean("2671x", 4));
        assert!(!number_ends_clean("2671-ab", 4));
        assert!(!number_ends_clean("50%", 2));
    }

    #[test]
    fn code_words() {
        assert!(after_code_word(b"DE89 3704", 5));
        assert!(after_code_word(b"GB29 NWBK 6016", 10));
        assert!(after_code_word(b"DE89 3704 0044 0532", 15));
        assert!(!after_code_word(b"card 4111", 5));
        assert!(!after_code_word(b"AKIA2 ssn 305", 10));
        assert!(!after_code_word(b"4111", 0));
        assert!(before_code_word(b"4111 AB12", 4));
        assert!(!before_code_word(b"4111 exp", 4));
    }
}
