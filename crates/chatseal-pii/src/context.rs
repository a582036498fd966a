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
pub(super) const ID_WORDS: &Words = &Words::new(&[
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
    "mrn",
    "record",
    "records",
    "patient",
    "member",
    "membership",
    "policy",
    "account",
    "acct",
    "routing",
    "aba",
    "bic",
    "swift",
    "invoice",
    "inv",
    "rma",
    "incident",
    "voucher",
    "coupon",
    "license",
    "licence",
    "passport",
    "vin",
    "zip",
    "postcode",
    "plz",
    "isbn10",
    "isbn13",
    "issn",
    "doi",
    "pmid",
    "docket",
    "file",
    "job",
    "auftrag",
    "bestellung",
    "rechnung",
    "commande",
    "pedido",
    "factura",
    "fattura",
    "ordine",
]);

/// The nearest word before `pos` that is in `for_words` or `against_words` (ASCII
/// case-insensitive), looking back at most `MAX_WORDS` words and `WINDOW` bytes and never past
/// the end of the previous sentence.
pub(super) fn nearest_cue(b: &[u8], pos: usize, for_words: &Words, against_words: &Words) -> Option<Cue> {
    cue_within(b, pos, MAX_WORDS, for_words, against_words)
}

/// [`nearest_cue`] looking back at most `max_words` words.
pub(super) fn cue_within(
    b: &[u8],
    pos: usize,
    max_words: usize,
    for_words: &Words,
    against_words: &Words,
) -> Option<Cue> {
    let floor = pos.saturating_sub(WINDOW);
    let mut end = pos.min(b.len());
    let mut words = 0;
    while words < max_words {
        // Back over the gap to the previous word; a sentence or line end closes the context.
        while end > floor && !is_word_byte(at(b, end - 1)) {
            if ends_sentence(b, end - 1) && !abbreviation(b, end - 1, floor, &[for_words, against_words, CONNECTORS]) {
                return None;
            }
            end -= 1;
        }
        let start = word_start(b, end, floor);
        if start == end {
            return None;
        }
        // A word cut by the window edge is not a whole word: stop rather than misread it.
        if start == floor && floor > 0 && is_word_byte(at(b, floor - 1)) {
            return None;
        }
        let word = b.get(start..end).unwrap_or_default();
        end = start;
        // Numbers between the cue and the candidate ("from 1.0.0.1 to 1.0.0.2") are not words.
        if word.iter().all(u8::is_ascii_digit) {
            continue;
        }
        words += 1;
        // "order number", "tax id", "phone no": a connector word takes its sense from the word before it.
        if CONNECTORS.has(word) {
            let before = word_before(b, end, floor);
            if for_words.has(before) {
                return Some(Cue::For);
            }
            if against_words.has(before) {
                return Some(Cue::Against);
            }
        }
        if for_words.has(word) {
            return Some(Cue::For);
        }
        if against_words.has(word) {
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

/// A `.` at `dot` that ends a listed short word ("Tel.", "No.", "ref."), not a sentence.
fn abbreviation(b: &[u8], dot: usize, floor: usize, lists: &[&Words]) -> bool {
    let start = word_start(b, dot, floor);
    let word = b.get(start..dot).unwrap_or_default();
    at(b, dot) == b'.' && (1..=4).contains(&word.len()) && lists.iter().any(|l| l.has(word))
}

/// Words that say "a number follows" without saying which kind.
const CONNECTORS: &Words = &Words::new(&["number", "no", "nr", "num", "nbr", "id", "nummer", "numero", "code"]);

/// Letters and digits; any non-ASCII byte too, so "téléphone" and "电话" are read as words.
fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c >= 0x80
}

/// Start of the word that ends at `end`, not before `floor`.
fn word_start(b: &[u8], end: usize, floor: usize) -> usize {
    let mut start = end;
    while start > floor && is_word_byte(at(b, start - 1)) {
        start -= 1;
    }
    start
}

/// The word right before `pos` (not before `floor`), across the gap of other characters.
fn word_before(b: &[u8], pos: usize, floor: usize) -> &[u8] {
    let mut end = pos;
    while end > floor && !is_word_byte(at(b, end - 1)) {
        end -= 1;
    }
    b.get(word_start(b, end, floor)..end).unwrap_or_default()
}

/// A word list, with an index of the lengths its words have per first letter so that most
/// words are rejected by one lookup. Built at compile time by [`Words::new`].
pub(super) struct Words {
    list: &'static [&'static str],
    /// Bit n of slot c: some word of length n starts with letter c (slot 26: any other byte).
    index: [u32; 27],
    /// The same for the last letter.
    last: [u32; 27],
    /// Holds a non-ASCII word.
    wide: bool,
}

impl Words {
    /// Indexes `list` (evaluated at compile time: an out-of-range index there fails the build).
    #[allow(clippy::indexing_slicing)]
    pub const fn new(list: &'static [&'static str]) -> Self {
        let mut index = [0u32; 27];
        let mut last = [0u32; 27];
        let mut wide = false;
        let mut rest = list;
        while let [word, tail @ ..] = rest {
            let bytes = word.as_bytes();
            let bit = 1 << if bytes.len() < 31 { bytes.len() } else { 31 };
            if let ([first, ..], [.., end]) = (bytes, bytes) {
                index[slot(*first)] |= bit;
                last[slot(*end)] |= bit;
            }
            let mut k = 0;
            while k < bytes.len() {
                wide |= bytes[k] >= 0x80;
                k += 1;
            }
            rest = tail;
        }
        Words { list, index, last, wide }
    }

    /// `word` is listed (ASCII case-insensitive). A listed non-ASCII word may also sit inside a
    /// longer run of non-ASCII text ("我的电话是" holds "电话"): such scripts do not space words.
    pub fn has(&self, word: &[u8]) -> bool {
        let (Some(&first), Some(&end)) = (word.first(), word.last()) else {
            return false;
        };
        let bit = 1u32 << word.len().min(31);
        let maybe = self.index.get(slot(first)).is_some_and(|m| m & bit != 0)
            && self.last.get(slot(end)).is_some_and(|m| m & bit != 0);
        if maybe && self.list.iter().any(|w| w.as_bytes().eq_ignore_ascii_case(word)) {
            return true;
        }
        self.wide
            && !word.is_ascii()
            && self.list.iter().any(|w| {
                let w = w.as_bytes();
                !w.is_ascii() && w.len() < word.len() && word.windows(w.len()).any(|part| part == w)
            })
    }
}

/// Index slot of a word's first byte: its letter, or 26.
const fn slot(c: u8) -> usize {
    if c.is_ascii_alphabetic() {
        (c.to_ascii_lowercase() - b'a') as usize
    } else {
        26
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOR: &Words = &Words::new(&["call", "phone"]);

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
