//! Byte offsets to UTF-16 code unit offsets, for JavaScript strings.

use super::Finding;

/// `(start, end)` of each finding in UTF-16 code units of `text`, in the order given.
///
/// One pass over `text` (plus sorting the 2k offsets, already sorted for [`scan`](super::scan)
/// output). An offset inside a character maps to that character's start; one past the end maps
/// to the text's UTF-16 length. Lone surrogates cannot reach Rust (`wasm-bindgen` replaces them
/// by U+FFFD, also one code unit), so JS offsets stay aligned.
pub fn utf16_offsets(text: &str, findings: &[Finding]) -> Vec<(usize, usize)> {
    let mut points: Vec<(usize, usize)> =
        findings.iter().enumerate().flat_map(|(i, f)| [(f.start, 2 * i), (f.end, 2 * i + 1)]).collect();
    points.sort_unstable();
    let mut units = vec![0usize; points.len()];
    let mut chars = text.char_indices().peekable();
    let mut count = 0;
    for (byte, slot) in points {
        while let Some(&(at, c)) = chars.peek() {
            if at + c.len_utf8() > byte {
                break;
            }
            count += c.len_utf16();
            chars.next();
        }
        if let Some(u) = units.get_mut(slot) {
            *u = count;
        }
    }
    units.chunks_exact(2).map(|p| (p.first().copied().unwrap_or(0), p.get(1).copied().unwrap_or(0))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PiiCategory;

    #[test]
    fn astral_and_bmp() {
        let text = "😀é a@x.com 😀";
        let start = text.find('a').unwrap();
        let f = Finding { category: PiiCategory::Email, start, end: start + 7 };
        // 😀 is two units, é one, space one.
        assert_eq!(utf16_offsets(text, &[f]), vec![(4, 11)]);
        let past = Finding { category: PiiCategory::Email, start: 1, end: 999 };
        assert_eq!(utf16_offsets(text, &[past]), vec![(0, 14)]);
        let js: Vec<u16> = text.encode_utf16().collect();
        assert_eq!(String::from_utf16(&js[4..11]).unwrap(), "a@x.com");
    }
}
