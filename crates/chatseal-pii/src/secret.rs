//! Credentials in well-known formats, each fixed by its issuer's prefix and alphabet:
//!
//! | format | rule |
//! |---|---|
//! | AWS access key id | `AKIA`/`ASIA`/`ABIA`/`ACCA` + 16 of `A-Z0-9` |
//! | GitHub token | `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 36-251 alphanumerics; `github_pat_` + 50-244 of `A-Za-z0-9_` |
//! | GitLab token | `glpat-` + 20-50 of `A-Za-z0-9_-` |
//! | npm token | `npm_` + 36 alphanumerics |
//! | Stripe secret / restricted / webhook key | `sk_live_`/`sk_test_`/`rk_live_`/`rk_test_` + 16-247, `whsec_` + 24-247 alphanumerics (publishable `pk_` keys are public and not matched) |
//! | Slack token | `xoxb-`/`xoxp-`/`xoxa-`/`xoxr-`/`xoxs-`/`xoxe-`/`xapp-` + 10-250 of `A-Za-z0-9-` |
//! | Google API key | `AIza` + 35 of `A-Za-z0-9_-` |
//! | OpenAI-style key | `sk-` + 20-250 of `A-Za-z0-9_-` with a digit and a letter (`sk-proj-`, `sk-ant-` included) |
//! | JWT | `eyJ` header `.` payload starting `ey` `.` signature (base64url), 30 bytes or more |
//! | PEM private key | `-----BEGIN … PRIVATE KEY[ BLOCK]-----` through the matching `-----END …-----` line (64 KiB at most; without an END line, the base64 body that follows) |
//! | URL with credentials | `scheme://user:password@host…`, the whole URL; also Slack and Discord webhook URLs |
//!
//! A token must not be glued to a longer token on either side.
//! Linear: every try reads a bounded number of bytes, except the search for a PEM END line,
//! whose result is cached and reused for every later BEGIN line.

use super::boundary::{at, next_start};
use super::url::Url;
use super::Finding;
use crate::PiiCategory;

/// Longest PEM block reported as one span.
const MAX_PEM: usize = 64 * 1024;

fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

fn is_token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn is_aws_char(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

fn is_pat_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn is_slack_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

/// A prefix, the alphabet and length range of what follows it.
struct Format {
    prefix: &'static [u8],
    body: fn(u8) -> bool,
    min: usize,
    max: usize,
}

const fn format(prefix: &'static [u8], body: fn(u8) -> bool, min: usize, max: usize) -> Format {
    Format { prefix, body, min, max }
}

const FORMATS: &[Format] = &[
    format(b"AKIA", is_aws_char, 16, 16),
    format(b"ASIA", is_aws_char, 16, 16),
    format(b"ABIA", is_aws_char, 16, 16),
    format(b"ACCA", is_aws_char, 16, 16),
    format(b"AIza", is_token_char, 35, 35),
    format(b"ghp_", is_alnum, 36, 251),
    format(b"gho_", is_alnum, 36, 251),
    format(b"ghu_", is_alnum, 36, 251),
    format(b"ghs_", is_alnum, 36, 251),
    format(b"ghr_", is_alnum, 36, 251),
    format(b"github_pat_", is_pat_char, 50, 244),
    format(b"glpat-", is_token_char, 20, 50),
    format(b"npm_", is_alnum, 36, 36),
    format(b"sk_live_", is_alnum, 16, 247),
    format(b"sk_test_", is_alnum, 16, 247),
    format(b"rk_live_", is_alnum, 16, 247),
    format(b"rk_test_", is_alnum, 16, 247),
    format(b"whsec_", is_alnum, 24, 247),
    format(b"xoxb-", is_slack_char, 10, 250),
    format(b"xoxp-", is_slack_char, 10, 250),
    format(b"xoxa-", is_slack_char, 10, 250),
    format(b"xoxr-", is_slack_char, 10, 250),
    format(b"xoxs-", is_slack_char, 10, 250),
    format(b"xoxe-", is_slack_char, 10, 250),
    format(b"xapp-", is_slack_char, 10, 250),
];

/// Appends every secret in `text`; `urls` are the URLs found in it.
pub(super) fn find(text: &str, urls: &[Url], out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    for u in urls {
        if u.has_password(b) || is_webhook(u, b) {
            out.push(Finding { category: PiiCategory::Secret, start: u.start, end: u.end });
        }
    }
    let mut pem_end = None;
    let mut i = 0;
    let first = |c: u8| matches!(c, b'A' | b'g' | b'n' | b's' | b'r' | b'w' | b'x' | b'e' | b'-');
    while let Some(start) = next_start(b, i, first, |p| p == b'_' || p == b'-') {
        i = start;
        let c = at(b, i);
        let end = match c {
            b'e' => jwt_at(b, i),
            b'-' => pem_at(b, i, &mut pem_end),
            b's' if at(b, i + 1) == b'k' && at(b, i + 2) == b'-' => sk_dash_at(b, i),
            _ => {
                let second = at(b, i + 1);
                FORMATS
                    .iter()
                    .filter(|f| f.prefix.first() == Some(&c) && f.prefix.get(1) == Some(&second))
                    .find_map(|f| format_at(b, i, f))
            }
        };
        if let Some(end) = end {
            out.push(Finding { category: PiiCategory::Secret, start: i, end });
            i = end;
            continue;
        }
        i += 1;
    }
}

/// Chat webhook URLs carry their own credential in the path.
fn is_webhook(u: &Url, b: &[u8]) -> bool {
    let host = u.host(b);
    let path = u.path(b);
    let slack = host.eq_ignore_ascii_case(b"hooks.slack.com") && path.starts_with(b"/services/");
    let discord = (host.eq_ignore_ascii_case(b"discord.com") || host.eq_ignore_ascii_case(b"discordapp.com"))
        && path.starts_with(b"/api/webhooks/");
    (slack || discord) && path.len() > 20
}

/// Length of the run of `class` bytes at `from`, reading at most `max + 1`.
fn run(b: &[u8], from: usize, class: fn(u8) -> bool, max: usize) -> usize {
    let mut e = from;
    while e - from <= max && class(at(b, e)) {
        e += 1;
    }
    e - from
}

fn format_at(b: &[u8], i: usize, f: &Format) -> Option<usize> {
    if !b.get(i..)?.starts_with(f.prefix) {
        return None;
    }
    let body = i + f.prefix.len();
    let len = run(b, body, f.body, f.max);
    let end = body + len;
    ((f.min..=f.max).contains(&len) && !is_token_char(at(b, end))).then_some(end)
}

/// `sk-...`: OpenAI-style keys (also `sk-proj-`, `sk-ant-`). Prose like `sk-learn` has no digit
/// or is too short.
fn sk_dash_at(b: &[u8], i: usize) -> Option<usize> {
    let body = i + 3;
    let len = run(b, body, is_token_char, 250);
    let text = b.get(body..body + len)?;
    let mixed = text.iter().any(u8::is_ascii_digit) && text.iter().any(u8::is_ascii_alphabetic);
    ((20..=250).contains(&len) && mixed && !is_token_char(at(b, body + len))).then_some(body + len)
}

/// `header.payload.signature`, base64url, header and payload JSON objects (`eyJ`, `ey`).
fn jwt_at(b: &[u8], i: usize) -> Option<usize> {
    if !b.get(i..)?.starts_with(b"eyJ") {
        return None;
    }
    let header = run(b, i, is_token_char, 2048);
    let p = i + header;
    if at(b, p) != b'.' || at(b, p + 1) != b'e' || at(b, p + 2) != b'y' || header > 2048 {
        return None;
    }
    let payload = run(b, p + 1, is_token_char, 8192);
    let s = p + 1 + payload;
    if at(b, s) != b'.' || payload > 8192 {
        return None;
    }
    let signature = run(b, s + 1, is_token_char, 1024);
    let end = s + 1 + signature;
    let glued = is_token_char(at(b, end)) || (at(b, end) == b'.' && is_token_char(at(b, end + 1)));
    (end - i >= 30 && header >= 10 && payload >= 4 && !glued).then_some(end)
}

/// `-----BEGIN ... PRIVATE KEY-----` through its END line. `next_end` caches where the next
/// `-----END ` line is (or that there is none), so the search never rereads text.
fn pem_at(b: &[u8], i: usize, next_end: &mut Option<Option<usize>>) -> Option<usize> {
    let label_start = i + b"-----BEGIN ".len();
    if !b.get(i..)?.starts_with(b"-----BEGIN ") {
        return None;
    }
    let label_len = run(b, label_start, |c| c.is_ascii_uppercase() || c == b' ', 40);
    let label = b.get(label_start..label_start + label_len)?;
    let private = label.ends_with(b"PRIVATE KEY") || label.ends_with(b"PRIVATE KEY BLOCK");
    let header_end = label_start + label_len + 5;
    if !private || b.get(label_start + label_len..header_end)? != b"-----" {
        return None;
    }
    let cached = match *next_end {
        Some(Some(p)) if p >= header_end => Some(p),
        Some(None) => None,
        _ => {
            let found = b.get(header_end..)?.windows(9).position(|w| w == b"-----END ").map(|k| header_end + k);
            *next_end = Some(found);
            found
        }
    };
    if let Some(e) = cached.filter(|&e| e - i <= MAX_PEM) {
        let tail = e + b"-----END ".len();
        let tail_len = run(b, tail, |c| c.is_ascii_uppercase() || c == b' ', 40);
        let close = tail + tail_len;
        if b.get(close..close + 5) == Some(b"-----") {
            return Some(close + 5);
        }
    }
    // No END line (pasted in part): the key body that follows is still secret; a BEGIN line
    // alone holds no key material.
    Some(pem_body_end(b, header_end)).filter(|&end| end > header_end)
}

/// End of the base64 lines (and `Name: value` header lines, then one blank line) after a
/// BEGIN line; prose or any other line ends it.
fn pem_body_end(b: &[u8], from: usize) -> usize {
    let is_b64 = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=');
    let mut end = from;
    let mut pos = from;
    let mut headers = false;
    while pos - from < MAX_PEM {
        if at(b, pos) == b'\r' {
            pos += 1;
        }
        if at(b, pos) != b'\n' {
            break;
        }
        pos += 1;
        let len = run(b, pos, |c| !matches!(c, b'\n' | b'\r' | 0), MAX_PEM);
        let line = b.get(pos..pos + len).unwrap_or_default();
        // RFC 1421 headers: "Proc-Type: 4,ENCRYPTED".
        let colon = line.windows(2).position(|w| w == b": ");
        let name = colon.and_then(|k| line.get(..k));
        let header = name.is_some_and(|n| !n.is_empty() && n.iter().all(|&c| c.is_ascii_alphabetic() || c == b'-'));
        let base64 = !line.is_empty() && line.iter().all(|&c| is_b64(c));
        if !(base64 || header || (line.is_empty() && headers)) {
            break;
        }
        headers |= header;
        pos += len;
        if !line.is_empty() {
            end = pos;
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url;

    fn secrets(text: &str) -> Vec<&str> {
        let mut v = Vec::new();
        find(text, &url::find(text), &mut v);
        v.iter().map(|f| &text[f.start..f.end]).collect()
    }

    const PEM: &str = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\nKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END RSA PRIVATE KEY-----";

    #[test]
    fn token_formats() {
        for tok in [
            "AKIAIOSFODNN7EXAMPLE",
            "ASIAY34FZKBOKMUTVV7A",
            "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",
            "github_pat_11ABCDEFG0123456789abcd_0123456789abcdefghijABCDEFGHIJ0123456789abcdefghijABCDEFGHIJ",
            "glpat-xxxxxxxxxxxxxxxxxxxx",
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "rk_test_51H8abcdEFGHijklMNOPqrst",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "xoxb-2634182384-1294038291-QwErTyUiOpAsDfGh",
            "xoxp-1234567890-0987654321-1122334455-abcdef1234567890",
            "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
            "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
            "sk-ant-api03-abcDEF123ghiJKL456mnoPQR789",
            "sk-3vQ8kLmN0pRsT2uVwX4yZ6aB8cD0eF2gH4iJ6kL8mN0pQ2rS",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            PEM,
            "https://admin:hunter2@db.example.com/x",
            "postgres://app:s3cr3t@10.0.0.5:5432/prod",
            "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        ] {
            assert_eq!(secrets(&format!("here: {tok} ok")), vec![tok], "{tok}");
        }
    }

    #[test]
    fn lookalikes() {
        for bad in [
            "AKIA1234",
            "AKIAIOSFODNN7EXAMPLE1",
            "xAKIAIOSFODNN7EXAMPLE",
            "pk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "sk-learn",
            "sk-this-is-not-a-real-key",
            "task-0123456789abcdefghijklmn",
            "ghp_short",
            "eyJhbGciOiJIUzI1NiJ9",
            "-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n-----END PUBLIC KEY-----",
            "-----BEGIN CERTIFICATE-----",
            "-----BEGIN EC PRIVATE KEY-----",
            "-----BEGIN EC PRIVATE KEY-----\ncall:4111",
            "https://user@example.com/",
            "https://example.com/?password=",
            "[SECRET_1]",
        ] {
            assert!(secrets(bad).is_empty(), "{bad}: {:?}", secrets(bad));
        }
    }

    #[test]
    fn pem_without_end_and_many_begins() {
        let cut = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n\nthanks";
        assert_eq!(
            secrets(cut),
            vec!["-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"]
        );
        let many = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n".repeat(3000);
        let found = secrets(&many);
        assert!(!found.is_empty());
        let enc = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F17F5316E2BAC89\n\nMIIBOgIBAAJBAKj34GkxFhD9\nthanks, bye";
        assert_eq!(secrets(enc), vec![&enc[..enc.len() - 12]]);
        let two = format!("{PEM}\n\n{PEM}");
        assert_eq!(secrets(&two), vec![PEM, PEM]);
    }
}
