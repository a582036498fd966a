//! IP addresses.
//!
//! * IPv4: four decimal octets 0-255 without leading zeros (`192.168.01.1` is not read, it is
//!   ambiguous), not part of a longer dotted run (`1.2.3.4.5` is an OID or version), not glued to
//!   a word. A port or prefix length may follow (`10.0.0.1:8080`, `10.0.0.0/8`) and is not part of
//!   the span. Decision on versions: four small numbers are an address unless the nearest cue word
//!   names a version ("version 1.2.3.4", "build 10.0.0.1", "firmware 2.1.0.4", a user agent's
//!   "rv:1.9.2.20") or it follows a product name and a slash ("Firefox/1.5.0.12"); `v1.2.3.4`
//!   is glued to a letter and never read.
//! * IPv6: one to eight groups of 1-4 hex digits with at most one `::`, exactly eight without it,
//!   an optional trailing IPv4 (`::ffff:192.0.2.1`) and zone (`fe80::1%eth0`, kept in the span).
//!   To stay clear of code (`a::b`) a compressed address needs three groups, a leading `::`, or a
//!   group of three or more digits; times (`12:30:45`) and MAC addresses
//!   (`00:1a:2b:3c:4d:5e`, and 8-group EUI-64 forms of two-digit groups) are not addresses.

use super::boundary::{at, char_after, char_before, is_word, next_start, number_starts_clean};
use super::context::{nearest_cue, Cue, Words};
use super::Finding;
use crate::PiiCategory;

/// Cue words that say four dotted numbers are a version, not an address.
const VERSION_WORDS: &Words = &Words::new(&[
    "version",
    "versions",
    "ver",
    "build",
    "release",
    "firmware",
    "revision",
    "rev",
    "patch",
    "update",
    "updated",
    "upgrade",
    "upgraded",
    "v",
    "oid",
    "sdk",
    "api",
    "kernel",
    "driver",
    "chrome",
    "firefox",
    "safari",
    "edge",
    "ios",
    "android",
    "macos",
    "windows",
    "rv",
    "python",
    "node",
    "nodejs",
    "java",
    "php",
    "ruby",
    "perl",
    "gcc",
    "clang",
    "rustc",
    "npm",
    "pip",
    "gradle",
    "docker",
    "app",
    "fw",
    "bios",
    "mozilla",
    "gecko",
    "applewebkit",
    "opera",
]);

/// Cue words that say they are an address (nearer than a version word, they win).
const ADDRESS_WORDS: &Words = &Words::new(&["ip", "ipv4", "address", "addr", "host", "server", "gateway", "dns"]);

/// Appends every IPv4 and IPv6 address in `text`.
pub(super) fn find(text: &str, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(start) = next_start(b, i, |c| c.is_ascii_hexdigit() || c == b':', |p| p == b'_' || p == b'.') {
        i = start;
        let c = at(b, i);
        let prev = char_before(text, i);
        let free = !prev.is_some_and(|p| is_word(p) || p == '.');
        if free && prev != Some(':') {
            if let Some(end) = v6_at(text, i) {
                out.push(Finding { category: PiiCategory::Ip, start: i, end });
                i = end;
                continue;
            }
        }
        // IPv4 starts like any number ("ip:10.0.0.1" yes, "2671-10.0.0.1" no), and after "=" (key=value).
        if c.is_ascii_digit() && (number_starts_clean(text, i) || prev == Some('=')) {
            if let Some(end) = v4_at(text, i) {
                out.push(Finding { category: PiiCategory::Ip, start: i, end });
                i = end;
                continue;
            }
        }
        i += 1;
    }
}

/// One octet: "0" or 1-255 without a leading zero. Returns its end.
fn octet(b: &[u8], i: usize) -> Option<usize> {
    let mut e = i;
    let mut value = 0u32;
    while e - i < 4 && at(b, e).is_ascii_digit() {
        value = value * 10 + u32::from(at(b, e) - b'0');
        e += 1;
    }
    let len = e - i;
    let ok = (1..=3).contains(&len) && value <= 255 && !(len > 1 && at(b, i) == b'0');
    ok.then_some(e)
}

/// A dotted quad starting at `i`, without boundary checks. Returns its end.
fn dotted_quad(b: &[u8], i: usize) -> Option<usize> {
    let mut e = octet(b, i)?;
    for _ in 0..3 {
        if at(b, e) != b'.' {
            return None;
        }
        e = octet(b, e + 1)?;
    }
    Some(e)
}

fn v4_at(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    let end = dotted_quad(b, i)?;
    let glued = match char_after(text, end) {
        Some('.') => at(b, end + 1).is_ascii_alphanumeric(),
        Some(c) => is_word(c),
        None => false,
    };
    // "Firefox/1.5.0.12", "Safari/605.1.15.10": a product's version.
    let product = at(b, i.wrapping_sub(1)) == b'/' && at(b, i.wrapping_sub(2)).is_ascii_alphabetic();
    let version = product || nearest_cue(b, i, ADDRESS_WORDS, VERSION_WORDS) == Some(Cue::Against);
    (!glued && !version).then_some(end)
}

fn v6_at(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut pos = i;
    let mut groups = 0usize;
    let mut widest = 0usize;
    let mut all_two = true;
    let mut compressed = false;
    let mut tail_v4 = false;
    let leading_double = at(b, pos) == b':';
    if leading_double {
        if at(b, pos + 1) != b':' {
            return None;
        }
        compressed = true;
        pos += 2;
    }
    loop {
        let s = pos;
        while pos - s < 5 && at(b, pos).is_ascii_hexdigit() {
            pos += 1;
        }
        let len = pos - s;
        if len == 0 {
            // Only a trailing "::" ("2001:db8::") leaves an empty group.
            break;
        }
        if len > 4 {
            return None;
        }
        if at(b, pos) == b'.' && at(b, pos + 1).is_ascii_digit() {
            pos = dotted_quad(b, s)?;
            groups += 2;
            tail_v4 = true;
            break;
        }
        groups += 1;
        widest = widest.max(len);
        all_two &= len == 2;
        if at(b, pos) != b':' {
            break;
        }
        if at(b, pos + 1) == b':' {
            if compressed {
                return None;
            }
            compressed = true;
            pos += 2;
        } else if at(b, pos + 1).is_ascii_hexdigit() {
            pos += 1;
        } else {
            break;
        }
    }
    let count_ok = if compressed { (1..=7).contains(&groups) } else { groups == 8 && !all_two };
    let plausible = !compressed || groups >= 3 || leading_double || widest >= 3 || tail_v4;
    if !count_ok || !plausible || (groups < 2 && !compressed) {
        return None;
    }
    // A zone id belongs to the address: "fe80::1%eth0".
    if at(b, pos) == b'%' && at(b, pos + 1).is_ascii_alphanumeric() {
        let z = pos + 1;
        let mut e = z;
        while e - z < 16 && (at(b, e).is_ascii_alphanumeric() || matches!(at(b, e), b'.' | b'_' | b'-')) {
            e += 1;
        }
        // A sentence's full stop is not part of the zone.
        while e > z + 1 && at(b, e - 1) == b'.' {
            e -= 1;
        }
        pos = e;
    }
    let glued = match char_after(text, pos) {
        Some('.') => at(b, pos + 1).is_ascii_alphanumeric(),
        Some(':') => at(b, pos + 1) == b':',
        Some(c) => is_word(c),
        None => false,
    };
    (!glued).then_some(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(text: &str) -> Vec<&str> {
        let mut v = Vec::new();
        find(text, &mut v);
        v.iter().map(|f| &text[f.start..f.end]).collect()
    }

    #[test]
    fn v4() {
        assert_eq!(ips("server at 192.168.1.10 now"), vec!["192.168.1.10"]);
        assert_eq!(ips("8.8.8.8, 255.255.255.255 and 0.0.0.0."), vec!["8.8.8.8", "255.255.255.255", "0.0.0.0"]);
        assert_eq!(ips("10.0.0.1:8080 10.0.0.0/8"), vec!["10.0.0.1", "10.0.0.0"]);
        assert_eq!(ips("[10.1.2.3]"), vec!["10.1.2.3"]);
        assert_eq!(ips("host=10.1.2.3 ip:10.1.2.4"), vec!["10.1.2.3", "10.1.2.4"]);
        assert!(ips("2671-10.1.2.3 $10.1.2.3").is_empty());
    }

    #[test]
    fn v4_invalid_and_versions() {
        for bad in [
            "1.2.3.256",
            "1.2.3",
            "1.2.3.4.5",
            "192.168.01.1",
            "v1.2.3.4",
            "version 1.2.3.4",
            "build 10.0.0.1",
            "Chrome/120.0.6099.109",
            "Firefox/1.5.0.12",
            "(X11; Linux x86_64; rv:1.9.2.20) Gecko",
            "python 3.11.7.1",
            "ab1.2.3.4",
            "1.2.3.4x",
            "3.14159",
            "12.03.2024",
        ] {
            assert!(ips(bad).is_empty(), "{bad}: {:?}", ips(bad));
        }
        assert_eq!(ips("version 2, server ip 1.2.3.4"), vec!["1.2.3.4"]);
    }

    #[test]
    fn v6() {
        for good in [
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "2001:db8:85a3::8a2e:370:7334",
            "::1",
            "::",
            "2001:db8::",
            "fe80::1",
            "fe80::1%eth0",
            "::ffff:192.0.2.1",
            "64:ff9b::192.0.2.33",
            "2001:DB8::1",
            "fdf0:7ff9:e6d2::8",
        ] {
            let text = format!("addr [{good}] ok, or {good}.");
            let got = ips(&text);
            if good == "::" {
                assert!(got.is_empty());
            } else {
                assert_eq!(got, vec![good, good], "{good}");
            }
        }
    }

    #[test]
    fn v6_invalid_and_lookalikes() {
        for bad in [
            ":::",
            "1::2::3",
            "2001:db8:85a3:0000:0000:8a2e:0370:7334:1",
            "2001:db8:85a3:0:0:8a2e:370",
            "12345::1",
            "12:30:45",
            "00:1a:2b:3c:4d:5e",
            "00:1a:2b:ff:fe:3c:4d:5e",
            "use a::b;",
            "std::io::Result",
            "fe80::1g",
            "gg::1",
        ] {
            assert!(ips(bad).is_empty(), "{bad}: {:?}", ips(bad));
        }
    }
}
