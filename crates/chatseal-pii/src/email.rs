//! E-mail addresses: a dot-atom local part (letters and digits of any script, `. _ % + - '`, at
//! most 64 bytes, no leading, trailing or double dot) and a domain of at least two labels (1-63
//! bytes each, letters, digits, `-` not at either end, IDN letters allowed) ending in an
//! alphabetic, punycode (`xn--`) or IDN top-level label, 253 bytes at most.
//!
//! Ideographs and kana belong to neither part: CJK prose runs into addresses without spaces
//! ("邮箱是ann@example.com谢谢").
//!
//! Not e-mail: handles without a local part (`@john`), single-label hosts (`user@localhost`),
//! package pins (`react@18.2.0`), asset names (`icon@2x.png`), scp targets
//! (`git@github.com:org/repo`), and chains (`a@b@c.com`). The user-info of a URL with
//! credentials is dropped by the overlap rule, which keeps the whole URL as a secret.
//!
//! Linear: each `@` is expanded left at most to the previous `@` (or 65 bytes) and right at most
//! to the next `@` (or 254 bytes), since `@` belongs to neither part.

use super::boundary::{char_after, char_before, is_cjk};
use super::Finding;
use crate::PiiCategory;

const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 253;
const MAX_LABEL: usize = 63;

/// File extensions that are not top-level domains: `name@2x.png` is an asset, not an address.
const FILE_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "pdf", "txt", "js", "mjs", "cjs", "tsx", "jsx", "css",
    "scss", "html", "htm", "json", "yaml", "yml", "xml", "csv", "log", "toml", "lock", "exe", "dll", "mp3", "mp4",
    "wav", "avi", "gz", "tgz", "heic", "docx", "xlsx",
];

/// Appends every e-mail address in `text`.
pub(super) fn find(text: &str, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(rel) = b.get(from..).and_then(|s| s.iter().position(|&c| c == b'@')) {
        let at = from + rel;
        from = at + 1;
        if let (Some(start), Some(end)) = (local_start(text, at), domain_end(text, at + 1)) {
            out.push(Finding { category: PiiCategory::Email, start, end });
        }
    }
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\'') || is_intl_letter(c)
}

fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || is_intl_letter(c)
}

/// Non-ASCII letters and digits, except ideographs: CJK prose runs into addresses without spaces.
fn is_intl_letter(c: char) -> bool {
    !c.is_ascii() && c.is_alphanumeric() && !is_cjk(c)
}

/// Start of the local part that ends at the `@` at `at`.
fn local_start(text: &str, at: usize) -> Option<usize> {
    let head = text.get(..at)?;
    let mut start = at;
    for (i, c) in head.char_indices().rev() {
        if !is_local_char(c) {
            break;
        }
        start = i;
        if at - start > MAX_LOCAL {
            return None;
        }
    }
    // Punctuation before an address ("-john@", "...john@") is prose, not part of it.
    let local = text.get(start..at)?.trim_start_matches(['.', '-', '+', '%', '\'']);
    let start = at - local.len();
    let valid = !local.is_empty() && !local.ends_with('.') && !local.contains("..");
    (valid && char_before(text, start) != Some('@')).then_some(start)
}

/// End of the domain that starts at `from`, if it is one.
fn domain_end(text: &str, from: usize) -> Option<usize> {
    let tail = text.get(from..)?;
    let mut labels = 0usize;
    let mut first: &str = "";
    let mut last: &str = "";
    let mut label_start = 0;
    let mut end = 0;
    for (i, c) in tail.char_indices().chain(core::iter::once((tail.len(), ' '))) {
        if i > MAX_DOMAIN {
            return None;
        }
        if is_label_char(c) {
            continue;
        }
        let label = tail.get(label_start..i)?;
        if label.is_empty() {
            break;
        }
        if label.len() > MAX_LABEL || label.starts_with('-') || label.ends_with('-') {
            return None;
        }
        labels += 1;
        if labels == 1 {
            first = label;
        }
        last = label;
        end = i;
        if c != '.' {
            break;
        }
        label_start = i + 1;
    }
    let end = from + end;
    let after = char_after(text, end);
    let scp_target = after == Some(':') && char_after(text, end + 1).is_some_and(char::is_alphanumeric);
    let ok = labels >= 2 && is_top_label(last) && !is_asset(first, last) && after != Some('@') && !scp_target;
    ok.then_some(end)
}

fn is_top_label(label: &str) -> bool {
    let punycode = label.len() > 4 && label.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--"));
    let alphabetic = label.chars().count() >= 2 && label.chars().all(char::is_alphabetic);
    punycode || alphabetic
}

/// `icon@2x.png`, `logo@3x.webp`: asset names, not addresses.
fn is_asset(first: &str, last: &str) -> bool {
    let density = first.len() >= 2
        && first.ends_with(['x', 'X'])
        && first.get(..first.len() - 1).is_some_and(|d| d.bytes().all(|c| c.is_ascii_digit()));
    density || FILE_EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emails(text: &str) -> Vec<&str> {
        let mut v = Vec::new();
        find(text, &mut v);
        v.iter().map(|f| &text[f.start..f.end]).collect()
    }

    #[test]
    fn addresses() {
        for good in [
            "john@example.com",
            "John.Doe@Example.COM",
            "jane+newsletter@mail.example.co.uk",
            "o'hara@x.io",
            "user_01@sub.domain.example.org",
            "info@xn--mnchen-3ya.de",
            "kontakt@münchen.de",
            "admin@xn--80ak6aa92e.xn--p1ai",
            "δοκιμή@παράδειγμα.δοκιμή",
            "josé.garcía@correo.es",
            "4155552671@txt.att.net",
        ] {
            assert_eq!(emails(&format!("write to <{good}>.")), vec![good], "{good}");
            assert_eq!(emails(&format!("'{good}'")), vec![good], "{good}");
        }
    }

    #[test]
    fn cjk_prose_around() {
        assert_eq!(emails("我的邮箱是ann@example.com谢谢"), vec!["ann@example.com"]);
    }

    #[test]
    fn trailing_punctuation_is_prose() {
        assert_eq!(emails("mail a.b@c.org."), vec!["a.b@c.org"]);
        assert_eq!(emails("(a.b@c.org)"), vec!["a.b@c.org"]);
        assert_eq!(emails("...john@x.com"), vec!["john@x.com"]);
        assert_eq!(emails("mailto:john@x.com"), vec!["john@x.com"]);
    }

    #[test]
    fn not_addresses() {
        for bad in [
            "@john",
            "user@localhost",
            "react@18.2.0",
            "npm i lodash@4.17.21",
            "icon@2x.png",
            "logo@3x.webp",
            "git@github.com:org/repo.git",
            "a@b@c.com",
            "john@-x.com",
            "john@x-.com",
            "john.@x.com",
            "jo..hn@x.com",
            "john@x.c",
            "john@x..com",
            "@@@@",
            "[EMAIL_1]",
        ] {
            assert!(emails(bad).is_empty(), "{bad}: {:?}", emails(bad));
        }
    }

    #[test]
    fn limits() {
        let long_local = format!("{}@x.com", "a".repeat(65));
        assert!(emails(&long_local).is_empty());
        let ok_local = format!("{}@x.com", "a".repeat(64));
        assert_eq!(emails(&ok_local).len(), 1);
        let long_label = format!("a@{}.com", "b".repeat(64));
        assert!(emails(&long_label).is_empty());
    }
}
