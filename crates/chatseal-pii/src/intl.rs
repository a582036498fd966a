//! International phone numbers: `+` (or `00`, or `(+cc)`), an ITU country code, then a national
//! significant number whose length fits that country: US/CA 10 digits, UK 9-10, DE 7-12, FR 9,
//! IN 10, BR 10-11, AU 9, RU/KZ 10, others 6-12; 15 digits at most in all. A "(0)" trunk group
//! is skipped, and a trunk 0 written after the code by mistake ("+44 020 ...") is dropped.

use super::groups::{Digits, Group, MAX_GROUPS};

/// Groups with the leading `00` of the international call prefix taken off.
pub(super) struct Rest {
    groups: [Group; MAX_GROUPS],
    len: usize,
}

impl Rest {
    pub fn as_slice(&self) -> &[Group] {
        self.groups.get(..self.len).unwrap_or_default()
    }
}

/// "0044 20 7946 0958", "00 44 20 ...": the groups after the `00` that stands for `+`.
pub(super) fn without_call_prefix(groups: &[Group]) -> Rest {
    let mut rest = Rest { groups: [Group::default(); MAX_GROUPS], len: 0 };
    for (i, g) in groups.iter().enumerate() {
        let g = if i == 0 { Group { start: g.start + 2, ..*g } } else { *g };
        if g.len() > 0 {
            if let Some(slot) = rest.groups.get_mut(rest.len) {
                *slot = g;
                rest.len += 1;
            }
        }
    }
    rest
}

/// Digits after the international prefix, in `groups`: a valid country code and length.
pub(super) fn international(b: &[u8], groups: &[Group]) -> bool {
    let digits = Digits::of(b, groups);
    let Some(cc_len) = country_code_len(digits.as_slice()) else {
        return false;
    };
    let Some(first) = groups.first() else {
        return false;
    };
    if first.paren || first.len() < cc_len || (first.len() <= 3 && first.len() != cc_len) {
        return false;
    }
    // The national significant number: the rest of the first group, then every group except
    // a "(0)" trunk; only its first group may be a single digit ("+33 6 12 34 56 78").
    let mut nsn = [0u8; 24];
    let mut n = 0;
    let head = Group { start: first.start + cc_len, ..*first };
    for (i, g) in core::iter::once(&head).chain(groups.iter().skip(1)).enumerate() {
        let ds = b.get(g.start..g.end).unwrap_or_default();
        if i > 0 && g.paren && ds == b"0" {
            continue;
        }
        if i > 0 && g.len() < 2 && n > 0 {
            return false;
        }
        for &c in ds {
            if let Some(slot) = nsn.get_mut(n) {
                *slot = c - b'0';
                n += 1;
            }
        }
    }
    let cc = digits.prefix(cc_len).unwrap_or(0);
    fits(cc, cc_len, nsn.get(..n).unwrap_or_default())
}

/// A bare digit run that is a country code and a national number without the `+`
/// ("447700900123"), for runs a phone cue vouches for.
pub(super) fn country_fits(d: &[u8]) -> bool {
    let Some(cc_len) = country_code_len(d) else {
        return false;
    };
    let cc = d.iter().take(cc_len).fold(0u32, |acc, &x| acc * 10 + u32::from(x));
    fits(cc, cc_len, d.get(cc_len..).unwrap_or_default())
}

/// The national significant number `nsn` fits country `cc`.
fn fits(cc: u32, cc_len: usize, nsn: &[u8]) -> bool {
    // "+44 020 ...": the trunk 0 written after the code by mistake. Italy keeps its 0.
    let nsn = match nsn {
        [0, rest @ ..] if cc != 39 => rest,
        _ => nsn,
    };
    let n = nsn.len();
    let lead = nsn.first().copied().unwrap_or(0);
    let ok = match cc {
        1 | 7 => n == 10,
        33 => n == 9 && lead != 0,
        44 => (9..=10).contains(&n) && lead != 0,
        49 => (7..=12).contains(&n) && lead != 0,
        55 => (10..=11).contains(&n) && lead != 0,
        61 => n == 9 && matches!(lead, 2 | 3 | 4 | 7 | 8),
        91 => n == 10 && lead != 0,
        _ => (6..=12).contains(&n),
    };
    ok && cc_len + n <= 15
}

/// Length of the ITU country code that `digits` starts with. The codes are prefix-free: 1 and
/// 7 alone, the listed two-digit zones, and three digits for the rest of zones 2-9.
fn country_code_len(digits: &[u8]) -> Option<usize> {
    const TWO: &[u8] = &[
        20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60, 61,
        62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
    ];
    match digits {
        [1 | 7, ..] => Some(1),
        [0, ..] | [] => None,
        [a, b, _, ..] if !TWO.contains(&(a * 10 + b)) => Some(3),
        [a, b, ..] if TWO.contains(&(a * 10 + b)) => Some(2),
        _ => None,
    }
}

/// The North American numbering plan: area and exchange codes start with 2-9 and are not
/// service codes (N11).
pub(super) fn nanp(d: &[u8]) -> bool {
    match d {
        [a, b, c, e, f, g, _, _, _, _] => *a >= 2 && !(*b == 1 && *c == 1) && *e >= 2 && !(*f == 1 && *g == 1),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_lengths() {
        assert_eq!(country_code_len(&[1, 4, 1, 5]), Some(1));
        assert_eq!(country_code_len(&[4, 4, 2, 0]), Some(2));
        assert_eq!(country_code_len(&[3, 5, 8, 4]), Some(3));
        assert_eq!(country_code_len(&[0, 4]), None);
        assert!(country_fits(&[4, 4, 7, 7, 0, 0, 9, 0, 0, 1, 2, 3]));
        assert!(!country_fits(&[4, 4, 7, 7, 0]));
        assert!(fits(39, 2, &[0, 6, 1, 2, 3, 4, 5, 6, 7, 8]));
        assert!(!fits(61, 2, &[5, 1, 2, 3, 4, 5, 6, 7, 8]));
        assert!(nanp(&[4, 1, 5, 5, 5, 5, 2, 6, 7, 1]));
        assert!(!nanp(&[4, 1, 1, 5, 5, 5, 2, 6, 7, 1]));
    }
}
