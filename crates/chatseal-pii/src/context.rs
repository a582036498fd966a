//! Context words: the nearest cue word before a candidate tips ambiguous numbers one way or
//! the other ("call 4155552671" is a phone, "order 4155552671" is not). The look-back is
//! bounded, so the cost per candidate is constant.

use super::boundary::at;

/// How far back (in bytes) cue words are looked for...
const WINDOW: usize = 40;
/// ...and at most this many words, within the same sentence.
const MAX_WORDS: usize = 5;

/// What the nearest cue word before a candidate says about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cue {
    /// A word that announces this kind of data ("phone", "ssn").
    For,
    /// A word that announces something else ("order", "version").
    Against,
}

/// Words that announce an identifier that is not personal data. Shared by the number detectors.
pub(super) const ID_WORDS: &[&str] = &[
    "order",
    "orders",
    "invoice",
    "tracking",
    "track",
    "shipment",
    "parcel",
    "package",
    "ticket",
    "ref",
    "reference",
    "case",
    "confirmation",
    "booking",
    "reservation",
    "transaction",
    "txn",
    "id",
    "sku",
    "isbn",
    "serial",
    "receipt",
    "pnr",
    "po",
    "claim",
    "item",
    "product",
    "model",
    "part",
    "batch",
    "lot",
    "version",
    "build",
    "awb",
    "container",
    "imei",
    "upc",
    "ean",
    "asin",
];

/// The nearest word before `pos` that is in `for_words` or `against_words` (ASCII
/// case-insensitive), looking back at most `MAX_WORDS` words and `WINDOW` bytes and never past
/// the end of the previous sentence.
pub(super) fn nearest_cue(b: &[u8], pos: usize, for_words: &[&str], against_words: &[&str]) -> Option<Cue> {
    let floor = pos.saturating_sub(WINDOW);
    let mut end = pos.min(b.len());
    let mut words = 0;
    while words < MAX_WORDS {
        // Back over the gap to the previous word; a sentence or line end closes the context.
        while end > floor && !at(b, end - 1).is_ascii_alphanumeric() {
            if ends_sentence(b, end - 1) {
                return None;
            }
            end -= 1;
        }
        let mut start = end;
        while start > floor && at(b, start - 1).is_ascii_alphanumeric() {
            start -= 1;
        }
        if start == end {
            return None;
        }
        // A word cut by the window edge is not a whole word: stop rather than misread it.
        if start == floor && floor > 0 && at(b, floor - 1).is_ascii_alphanumeric() {
            return None;
        }
        let word = b.get(start..end).unwrap_or_default();
        end = start;
        // Numbers between the cue and the candidate ("from 1.0.0.1 to 1.0.0.2") are not words.
        if word.iter().all(u8::is_ascii_digit) {
            continue;
        }
        words += 1;
        // "order number", "tracking no": a connector word takes its sense from an id word before it.
        if is_listed(word, CONNECTORS) && preceded_by(b, end, floor, against_words) {
            return Some(Cue::Against);
        }
        if is_listed(word, for_words) {
            return Some(Cue::For);
        }
        if is_listed(word, against_words) {
            return Some(Cue::Against);
        }
    }
    None
}

/// A line break, `!`, `?`, a `.` before whitespace, URL and address syntax (`/`, `@`, `=`),
/// whose words ("/track/123") are not prose, or a bracket: placeholders (`[EMAIL_1]`) never
/// lend a cue, so masked text is read no more eagerly than the original.
fn ends_sentence(b: &[u8], i: usize) -> bool {
    match at(b, i) {
        b'\n' | b'!' | b'?' | b'/' | b'@' | b'=' | b'[' | b']' => true,
        b'.' => at(b, i + 1).is_ascii_whitespace(),
        _ => false,
    }
}

/// Words that say "a number follows" without saying which kind.
const CONNECTORS: &[&str] = &["number", "no", "nr", "num", "nbr"];

/// True when the word right before `pos` (not before `floor`) is in `list`.
fn preceded_by(b: &[u8], pos: usize, floor: usize, list: &[&str]) -> bool {
    let mut end = pos;
    while end > floor && !at(b, end - 1).is_ascii_alphanumeric() {
        end -= 1;
    }
    let mut start = end;
    while start > floor && at(b, start - 1).is_ascii_alphanumeric() {
        start -= 1;
    }
    is_listed(b.get(start..end).unwrap_or_default(), list)
}

fn is_listed(word: &[u8], list: &[&str]) -> bool {
    list.iter().any(|w| w.as_bytes().eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOR: &[&str] = &["call", "phone"];

    #[test]
    fn nearest_word_decides() {
        let t = b"call me about order 4155552671";
        assert_eq!(nearest_cue(t, 20, FOR, ID_WORDS), Some(Cue::Against));
        let t = b"order desk phone: 4155552671";
        assert_eq!(nearest_cue(t, 18, FOR, ID_WORDS), Some(Cue::For));
        let t = b"your order number: 4155552671";
        assert_eq!(nearest_cue(t, 19, FOR, ID_WORDS), Some(Cue::Against));
        let t = b"hello there 4155552671";
        assert_eq!(nearest_cue(t, 12, FOR, ID_WORDS), None);
    }

    #[test]
    fn sentence_and_word_limits() {
        let t = b"ref 12. Here it is: 4155552671";
        assert_eq!(nearest_cue(t, 20, FOR, ID_WORDS), None);
        let t = b"see example.com/track/1 for details 4155552671";
        assert_eq!(nearest_cue(t, 36, FOR, ID_WORDS), None);
        let t = b"order a b c d e 4155552671";
        assert_eq!(nearest_cue(t, 16, FOR, ID_WORDS), None);
        let t = b"order a b c d 4155552671";
        assert_eq!(nearest_cue(t, 14, FOR, ID_WORDS), Some(Cue::Against));
    }

    #[test]
    fn window_is_bounded_and_words_whole() {
        let t = b"phone aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1";
        assert_eq!(nearest_cue(t, t.len() - 1, FOR, ID_WORDS), None);
        let t = b"xcall 1";
        assert_eq!(nearest_cue(t, 6, FOR, ID_WORDS), None);
    }
}
