//! Context words: the nearest cue word before a candidate tips ambiguous numbers one way or
//! the other ("call 4155552671" is a phone, "order 4155552671" is not). The look-back is
//! bounded, so the cost per candidate is constant.

use super::boundary::at;

/// How far back (in bytes) cue words are looked for.
const WINDOW: usize = 40;

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

/// The nearest word within the window before `pos` that is in `for_words` or `against_words`
/// (ASCII case-insensitive), if any. Digit-only words are skipped.
pub(super) fn nearest_cue(
    b: &[u8],
    pos: usize,
    for_words: &[&str],
    against_words: &[&str],
) -> Option<Cue> {
    let floor = pos.saturating_sub(WINDOW);
    let mut end = pos.min(b.len());
    while end > floor {
        // Skip to the end of the previous word.
        while end > floor && !at(b, end - 1).is_ascii_alphanumeric() {
            end -= 1;
        }
        let mut start = end;
        while start > floor && at(b, start - 1).is_ascii_alphanumeric() {
            start -= 1;
        }
        if start == end {
            break;
        }
        // A word cut by the window edge is not a whole word: stop rather than misread it.
        if start == floor && floor > 0 && at(b, floor - 1).is_ascii_alphanumeric() {
            break;
        }
        let word = b.get(start..end).unwrap_or_default();
        if is_listed(word, for_words) {
            return Some(Cue::For);
        }
        if is_listed(word, against_words) {
            return Some(Cue::Against);
        }
        end = start;
    }
    None
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
        let t = b"hello there 4155552671";
        assert_eq!(nearest_cue(t, 12, FOR, ID_WORDS), None);
    }

    #[test]
    fn window_is_bounded_and_words_whole() {
        let t = b"phone aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1";
        assert_eq!(nearest_cue(t, t.len() - 1, FOR, ID_WORDS), None);
        let t = b"xcall 1";
        assert_eq!(nearest_cue(t, 6, FOR, ID_WORDS), None);
    }
}
