//! URLs, found once per scan and shared: numbers inside a URL (paths, query strings, ids) are
//! not cards, phones, SSNs or IBANs; the user-info and host of a URL are not e-mail addresses;
//! a URL with a password in it, or a chat webhook URL, is a secret as a whole.
//!
//! A URL is a whitespace-delimited token part that has `scheme://`, starts with `www.`, or starts
//! with a dotted host name with an alphabetic top label followed by `/` (`example.com/track/1`).
//! Trailing prose punctuation is not part of it. Linear: each token is read a constant number of times.

use super::boundary::at;
use super::placeholder;

/// One URL in the scanned text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Url {
    /// First byte (scheme or host).
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// Authority (user-info, host, port): from here...
    pub auth_start: usize,
    /// ...to here (the first `/`, `?` or `#`, or the end).
    pub auth_end: usize,
    /// The `@` that ends the user-info, if any.
    pub userinfo_at: Option<usize>,
}

impl Url {
    /// `user:password@`: user-info with a non-empty password.
    pub fn has_password(&self, b: &[u8]) -> bool {
        let Some(at_pos) = self.userinfo_at else {
            return false;
        };
        let userinfo = b.get(self.auth_start..at_pos).unwrap_or_default();
        userinfo.iter().position(|&c| c == b':').is_some_and(|k| k > 0 && k + 1 < userinfo.len())
    }

    /// The host name (after the user-info, before any port).
    pub fn host<'t>(&self, b: &'t [u8]) -> &'t [u8] {
        let from = self.userinfo_at.map_or(self.auth_start, |a| a + 1);
        let auth = b.get(from..self.auth_end).unwrap_or_default();
        let stop = auth.iter().position(|&c| c == b':').unwrap_or(auth.len());
        auth.get(..stop).unwrap_or_default()
    }

    /// Path, query and fragment.
    pub fn path<'t>(&self, b: &'t [u8]) -> &'t [u8] {
        b.get(self.auth_end..self.end).unwrap_or_default()
    }
}

/// Ends a token: whitespace and characters that quote or bracket URLs in prose and markup.
fn ends_token(c: u8) -> bool {
    c.is_ascii_whitespace() || matches!(c, b'<' | b'>' | b'"' | b'`' | 0)
}

/// Prose punctuation that may follow a URL without being part of it.
fn is_trailing(c: u8) -> bool {
    matches!(c, b'.' | b',' | b';' | b':' | b'!' | b'?' | b')' | b']' | b'}' | b'\'' | b'*')
}

/// Every URL in `text`, in order. Linear, and quick on prose: only tokens holding a `/` or a
/// `www.` are looked at (every URL form has one), each token once.
pub(super) fn find(text: &str) -> Vec<Url> {
    let b = text.as_bytes();
    let mut urls = Vec::new();
    let mut i = 0;
    // End of the last token read: tokens are disjoint, so no byte is walked over twice.
    let mut done = 0;
    while let Some(k) = b.get(i..).and_then(|rest| rest.iter().position(|&c| c == b'/' || c == b'.')) {
        let anchor = i + k;
        i = anchor + 1;
        let www = anchor >= 3 && b.get(anchor - 3..anchor).is_some_and(|w| w.eq_ignore_ascii_case(b"www"));
        if at(b, anchor) == b'.' && !www {
            continue;
        }
        let start = token_start(b, anchor, done);
        let end = token_end(b, start);
        if let Some(url) = in_token(b, start, end) {
            urls.push(url);
        }
        done = end;
        i = i.max(end);
    }
    urls
}

/// True when a placeholder starts at `i`. A placeholder ends a URL token too, so masked text
/// reads the same as the text it came from.
fn placeholder_at(b: &[u8], i: usize) -> bool {
    at(b, i) == b'[' && placeholder::starts(b.get(i..).unwrap_or_default())
}

/// Start of the token holding `anchor`, looking back no further than `floor`.
fn token_start(b: &[u8], anchor: usize, floor: usize) -> usize {
    let mut s = anchor;
    while s > floor && !ends_token(at(b, s - 1)) {
        s -= 1;
        if placeholder_at(b, s) {
            break;
        }
    }
    s
}

/// End of the token starting at `start` (its first byte always belongs to it).
fn token_end(b: &[u8], start: usize) -> usize {
    let mut e = start + 1;
    while e < b.len() && !ends_token(at(b, e)) && !placeholder_at(b, e) {
        e += 1;
    }
    e
}

fn in_token(b: &[u8], ts: usize, te: usize) -> Option<Url> {
    let token = b.get(ts..te)?;
    let (start, auth_start) = if let Some(p) = token.windows(3).position(|w| w == b"://") {
        let colon = ts + p;
        let mut s = colon;
        while s > ts
            && colon - s < 32
            && matches!(at(b, s - 1), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'+' | b'.' | b'-')
        {
            s -= 1;
        }
        while s < colon && !at(b, s).is_ascii_alphabetic() {
            s += 1;
        }
        if colon - s < 2 {
            return None;
        }
        (s, colon + 3)
    } else {
        let s = ts + token.iter().position(|c| c.is_ascii_alphanumeric())?;
        let rest = b.get(s..te)?;
        let www = rest.len() > 4 && rest.get(..4).is_some_and(|w| w.eq_ignore_ascii_case(b"www."));
        (www || bare_host_path(rest)).then_some((s, s))?
    };
    let mut end = te;
    while end > auth_start && is_trailing(at(b, end - 1)) {
        end -= 1;
    }
    if end <= auth_start {
        return None;
    }
    let auth_len = b.get(auth_start..end)?.iter().position(|&c| matches!(c, b'/' | b'?' | b'#'));
    let auth_end = auth_start + auth_len.unwrap_or(end - auth_start);
    let userinfo_at = b.get(auth_start..auth_end)?.iter().rposition(|&c| c == b'@').map(|k| auth_start + k);
    Some(Url { start, end, auth_start, auth_end, userinfo_at })
}

/// `example.com/...`: a dotted host with an alphabetic top label of two or more, then `/`.
fn bare_host_path(rest: &[u8]) -> bool {
    let host_len =
        rest.iter().position(|&c| !(c.is_ascii_alphanumeric() || c == b'.' || c == b'-')).unwrap_or(rest.len());
    if at(rest, host_len) != b'/' {
        return false;
    }
    let host = rest.get(..host_len).unwrap_or_default();
    let top = host.rsplit(|&c| c == b'.').next().unwrap_or_default();
    host.contains(&b'.') && top.len() >= 2 && top.iter().all(u8::is_ascii_alphabetic)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str) -> Vec<&str> {
        find(text).iter().map(|u| &text[u.start..u.end]).collect()
    }

    #[test]
    fn forms() {
        assert_eq!(urls("see https://x.com/a?b=1, ok"), vec!["https://x.com/a?b=1"]);
        assert_eq!(urls("(https://x.com/a)."), vec!["https://x.com/a"]);
        assert_eq!(urls("go to www.example.org/x"), vec!["www.example.org/x"]);
        assert_eq!(urls("track at ups.com/track/1Z999"), vec!["ups.com/track/1Z999"]);
        assert_eq!(urls("<postgres://u:p@db:5432/app>"), vec!["postgres://u:p@db:5432/app"]);
        assert!(urls("and/or 12/25 e.g./i.e. 10.0.0.0/8 a.b").is_empty());
        assert_eq!(urls("http://[2001:db8::1]:80/?a[b]=1"), vec!["http://[2001:db8::1]:80/?a[b]=1"]);
        assert_eq!(urls("https://x.com/a[EMAIL_1]"), vec!["https://x.com/a"]);
        assert_eq!(urls("[EMAIL_1][IP] [SECRET]https://x.com/a"), vec!["https://x.com/a"]);
    }

    #[test]
    fn authority() {
        let t = "https://admin:s3cret@db.example.com:8443/x?y#z";
        let u = find(t)[0];
        assert!(u.has_password(t.as_bytes()));
        assert_eq!(u.host(t.as_bytes()), b"db.example.com");
        assert_eq!(u.path(t.as_bytes()), b"/x?y#z");
        let t = "ftp://john@example.com/";
        let u = find(t)[0];
        assert!(!u.has_password(t.as_bytes()));
        assert_eq!(u.userinfo_at, Some(10));
        let t = "https://x.com/?email=a@b.com";
        assert_eq!(find(t)[0].userinfo_at, None);
    }
}
