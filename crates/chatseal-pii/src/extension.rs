//! What may touch a phone number but is not a digit group: an extension after it (inside the
//! span), and a label glued before or after it (outside the span).
//!
//! * Extension: `x4587`, `x 4587`, `ext. 12`, `Ext.: 12`, `extension 7`, `#204`, `# 204`, with
//!   at most one space or ", " before it; one to six digits.
//! * Labels: `tel`, `phone`, `mobile`, `cell`, `home`, `office`, `fax`, ... glued to the number
//!   ("tel+44...", "555-1234home", "555-1234-office", "555-1234/mobile") or written next to
//!   it ("555-1234 (mobile)"). A label is a phone cue; a glued one does not break the boundary.

use super::boundary::at;
use super::context::Words;

/// Words that name a kind of phone line.
const LABELS: &Words = &Words::new(&[
    "tel",
    "phone",
    "ph",
    "mobile",
    "mob",
    "cell",
    "cellphone",
    "home",
    "office",
    "work",
    "fax",
    "direct",
    "main",
    "landline",
    "private",
    "business",
    "handy",
    "mobil",
    "whatsapp",
    "daytime",
    "evening",
    "tlf",
    "telefon",
]);

/// Words that open an extension.
const EXTENSION_WORDS: &Words =
    &Words::new(&["x", "ext", "extn", "extension", "poste", "durchwahl", "dw", "anexo", "interno"]);

/// Most digits in an extension.
const MAX_EXTENSION: usize = 6;

/// End of the ASCII letter run at `i`, reading at most 16 letters.
fn letters_end(b: &[u8], i: usize) -> usize {
    let mut e = i;
    while e - i < 16 && at(b, e).is_ascii_alphabetic() {
        e += 1;
    }
    e
}

/// The extension that follows a number ending at `end`: where it ends.
pub(super) fn extension(b: &[u8], end: usize) -> Option<usize> {
    let mut i = end;
    if at(b, i) == b',' && at(b, i + 1) == b' ' {
        i += 2;
    } else if at(b, i) == b' ' {
        i += 1;
    }
    if at(b, i) == b'#' {
        i += 1;
    } else {
        let word_end = letters_end(b, i);
        if !EXTENSION_WORDS.has(b.get(i..word_end)?) {
            return None;
        }
        i = word_end;
        i += usize::from(at(b, i) == b'.');
        i += usize::from(at(b, i) == b':');
    }
    i += usize::from(at(b, i) == b' ');
    let digits = b.get(i..)?.iter().take(MAX_EXTENSION + 1).take_while(|c| c.is_ascii_digit()).count();
    (1..=MAX_EXTENSION).contains(&digits).then_some(i + digits)
}

/// A label glued to the end of a number ("home", "-office", "/mobile"): true when one starts at `end`.
pub(super) fn glued_label_after(b: &[u8], end: usize) -> bool {
    let i = end + usize::from(matches!(at(b, end), b'-' | b'/'));
    let e = letters_end(b, i);
    e > i && !at(b, e).is_ascii_alphanumeric() && b.get(i..e).is_some_and(|w| LABELS.has(w))
}

/// A label written after the number, across spaces and one bracket: "555-1234 (mobile)".
pub(super) fn label_after(b: &[u8], end: usize) -> bool {
    let mut i = end;
    while i - end < 3 && matches!(at(b, i), b' ' | b'(' | b'[' | b'-' | b',') {
        i += 1;
    }
    i > end && glued_label_after(b, i)
}

/// A label glued right before `start` ("tel+1...", "mobile555-..."), itself not glued to a word.
pub(super) fn glued_label_before(b: &[u8], start: usize) -> bool {
    let mut s = start;
    while start - s < 16 && s > 0 && at(b, s - 1).is_ascii_alphabetic() {
        s -= 1;
    }
    s < start && !(s > 0 && at(b, s - 1).is_ascii_alphanumeric()) && b.get(s..start).is_some_and(|w| LABELS.has(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(s: &str) -> Option<&str> {
        extension(s.as_bytes(), 0).map(|e| &s[..e])
    }

    #[test]
    fn extensions() {
        for (text, want) in [
            ("x4587 ok", "x4587"),
            (" x 12", " x 12"),
            (" ext. 12.", " ext. 12"),
            (" Ext.:45", " Ext.:45"),
            (", ext 3", ", ext 3"),
            (" extension 7", " extension 7"),
            ("#204", "#204"),
            (" # 204", " # 204"),
        ] {
            assert_eq!(ext(text), Some(want), "{text}");
        }
        for bad in ["x", "x1234567", " xylophone 12", "  x12", " next 12", "ext", "#"] {
            assert_eq!(ext(bad), None, "{bad}");
        }
    }

    #[test]
    fn labels() {
        assert!(glued_label_after(b"home", 0));
        assert!(glued_label_after(b"-office.", 0));
        assert!(glued_label_after(b"/mobile", 0));
        assert!(!glued_label_after(b"homer", 0));
        assert!(!glued_label_after(b"abc", 0));
        assert!(label_after(b" (mobile)", 0));
        assert!(label_after(b" cell", 0));
        assert!(!label_after(b"cell", 0));
        assert!(!label_after(b" please", 0));
        assert!(glued_label_before(b"tel+1", 3));
        assert!(glued_label_before(b"call mobile555", 11));
        assert!(!glued_label_before(b"hotel555", 5));
        assert!(!glued_label_before(b"x555", 1));
    }
}
