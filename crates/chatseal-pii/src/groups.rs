//! Digit-group runs such as "4111 1111 1111 1111" or "+44 (0)20 7946-0958". The card, SSN
//! and phone detectors read the same grammar here and then judge the groups by their own rules.
//!
//! A run is judged as a whole, from its first group: positions inside it are not tried as new
//! starts, so a number inside a longer number is never reported on its own. The one exception
//! is a change of separator style, which marks a new token (see [`Run::restart`]).

use super::boundary::{after_code_word, at, before_code_word, number_ends_clean, number_starts_clean};
use super::extension::glued_label_before;

/// Most groups a run may have before it counts as too long to be one number.
pub(super) const MAX_GROUPS: usize = 8;

/// Longest group in a printed card or SSN grouping (Amex and Diners use six; people type
/// uneven groups up to eight, "4111 11111111 1111").
const MAX_PLAIN_GROUP: usize = 8;

/// One group of digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Group {
    /// First digit.
    pub start: usize,
    /// One past the last digit.
    pub end: usize,
    /// Written in parentheses: "(415)", "(0)".
    pub paren: bool,
    /// The separator before this group (`0` for none or the first group).
    pub sep: u8,
}

impl Group {
    /// Number of digits.
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// One past the group, closing parenthesis included.
    pub fn outer_end(&self) -> usize {
        self.end + usize::from(self.paren)
    }
}

/// Which separators a run may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Style {
    /// One kind of separator throughout, a single space, dash or dot: cards and SSNs.
    Plain,
    /// Spaces, dashes, dots, slashes, parentheses and a leading `+`, mixed: phones.
    Phone,
}

/// A parsed run of digit groups.
#[derive(Clone, Debug)]
pub(super) struct Run {
    /// Where the run starts (`+` or `(` included).
    pub start: usize,
    /// Starts with `+`.
    pub plus: bool,
    /// More digits or groups followed than the caller allows: the run is not one number.
    pub overflow: bool,
    style: Style,
    /// Where parsing stopped; scanning resumes here.
    pub extent: usize,
    groups: [Group; MAX_GROUPS],
    len: usize,
}

impl Run {
    /// The groups read.
    pub fn groups(&self) -> &[Group] {
        self.groups.get(..self.len).unwrap_or_default()
    }

    /// Digits in all its groups: a quick bound before judging any prefix.
    pub fn digits(&self) -> usize {
        self.groups().iter().map(Group::len).sum()
    }

    /// Where to look for the next run after nobody took this one. A change of separator style
    /// separates tokens: a date or address written with dashes, dots or slashes and then a space
    /// ("2024-12-04 030/4443696"), or a space-grouped number then a dash-grouped one
    /// ("05727 206034 4370-0274-9017-6283"), so the part after the change gets its own try.
    pub fn restart(&self, b: &[u8], style: Style) -> usize {
        let groups = self.groups();
        let later = match style {
            Style::Phone => {
                let first_space = groups.iter().skip(1).position(|g| g.sep == b' ').map(|k| k + 1);
                first_space.filter(|&k| k >= 2).and_then(|k| groups.get(k))
            }
            Style::Plain => {
                let c = at(b, self.extent);
                let switched = (c == b' ' || c == b'-') && at(b, self.extent + 1).is_ascii_digit();
                groups.last().filter(|_| switched && groups.len() >= 2)
            }
        };
        later.map_or(self.extent, |g| g.start - usize::from(g.paren))
    }

    /// The longest leading part of the run, at least one group, that ends cleanly and that
    /// `accept` takes: `(groups used, end offset)`. For an overflowed run: nothing for cards and
    /// SSNs (a long digit sequence is not one of them), but a phone may still lead it when a
    /// space follows ("1-637-259-5960 3552 8542 9539 7521"), since phones are read out and
    /// followed by other numbers.
    pub fn longest_prefix(&self, text: &str, mut accept: impl FnMut(&[Group]) -> bool) -> Option<(usize, usize)> {
        self.longest_by(|part, end| {
            let clean = number_ends_clean(text, end) && !before_code_word(text.as_bytes(), end);
            (clean && accept(part)).then_some(end)
        })
    }

    /// The longest leading part, at least one group, for which `judge(groups, end of the last
    /// group)` gives a span end: `(groups used, span end)`. Boundaries are the judge's to check.
    pub fn longest_by(&self, mut judge: impl FnMut(&[Group], usize) -> Option<usize>) -> Option<(usize, usize)> {
        if self.overflow && self.style == Style::Plain {
            return None;
        }
        let groups = self.groups();
        (1..=groups.len()).rev().find_map(|k| {
            let part = groups.get(..k)?;
            judge(part, part.last()?.outer_end()).map(|end| (k, end))
        })
    }
}

/// The digits of some groups, as values 0-9.
#[derive(Clone, Copy, Debug)]
pub(super) struct Digits {
    buf: [u8; 24],
    len: usize,
}

impl Digits {
    /// Reads the digits of `groups` (at most 24; parsing never yields more).
    pub fn of(b: &[u8], groups: &[Group]) -> Self {
        let mut d = Digits { buf: [0; 24], len: 0 };
        for g in groups {
            for &c in b.get(g.start..g.end).unwrap_or_default() {
                if let Some(slot) = d.buf.get_mut(d.len) {
                    *slot = c - b'0';
                    d.len += 1;
                }
            }
        }
        d
    }

    /// The digit values.
    pub fn as_slice(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// The number formed by the first `n` digits (for prefix ranges), if there are that many.
    pub fn prefix(&self, n: usize) -> Option<u32> {
        let head = self.as_slice().get(..n)?;
        Some(head.iter().fold(0u32, |acc, &d| acc * 10 + u32::from(d)))
    }
}

/// Calls `f` for every run that starts cleanly, scanning left to right; `f` says whether it
/// took the run. Linear: a run's parse reads at most `max_digits + 1` digits per group and
/// `MAX_GROUPS` groups, and scanning resumes where the parse stopped or, for a run nobody took,
/// where its separator style changes (see [`Run::restart`]), which is always further on.
pub(super) fn for_each_run(text: &str, style: Style, max_digits: usize, mut f: impl FnMut(&Run) -> bool) {
    let b = text.as_bytes();
    let phone = style == Style::Phone;
    let opens = |c: &u8| c.is_ascii_digit() || (phone && (*c == b'+' || *c == b'('));
    let mut i = 0;
    // Jump from one byte that can open a run to the next.
    while let Some(k) = b.get(i..).and_then(|rest| rest.iter().position(opens)) {
        i += k;
        if !(number_starts_clean(text, i) || (phone && glued_label_before(b, i))) {
            // No digit after this one can start cleanly either: skip the run of them.
            i += 1 + b.get(i + 1..).map_or(0, |rest| rest.iter().take_while(|c| c.is_ascii_digit()).count());
            continue;
        }
        if !after_code_word(b, i) {
            let run = parse(b, i, style, max_digits);
            if !run.groups().is_empty() || run.overflow {
                let taken = f(&run);
                let next = if taken { run.extent } else { run.restart(b, style) };
                i = next.max(i + 1);
                continue;
            }
        }
        i += 1;
    }
}

/// End of the digit run at `i`, reading at most `cap` digits.
fn digit_end(b: &[u8], i: usize, cap: usize) -> usize {
    let mut e = i;
    while e - i < cap && at(b, e).is_ascii_digit() {
        e += 1;
    }
    e
}

fn parse(b: &[u8], start: usize, style: Style, max_digits: usize) -> Run {
    let phone = style == Style::Phone;
    let mut digits = 0;
    let mut sep = 0u8;
    let mut run = Run {
        start,
        plus: false,
        overflow: false,
        style,
        extent: start,
        groups: [Group::default(); MAX_GROUPS],
        len: 0,
    };
    let mut pos = start;
    if phone && at(b, pos) == b'+' {
        run.plus = true;
        pos += 1;
    } else if phone && at(b, pos) == b'(' && at(b, pos + 1) == b'+' {
        // "(+358) 40 123 4567": the country code in parentheses.
        let e = digit_end(b, pos + 2, 4);
        if at(b, e) == b')' && e > pos + 2 {
            run.plus = true;
            if let Some(first) = run.groups.first_mut() {
                *first = Group { start: pos + 2, end: e, paren: false, sep: 0 };
                run.len = 1;
            }
            digits = e - (pos + 2);
            pos = e + 1;
            if at(b, pos) == b' ' && at(b, pos + 1).is_ascii_digit() {
                sep = b' ';
                pos += 1;
            }
        }
    }
    let opens_group = |c: u8| c.is_ascii_digit() || (phone && c == b'(');
    let mut plain_sep = 0u8;
    loop {
        let cap = max_digits + 1 - digits.min(max_digits);
        let (group, next) = if phone && at(b, pos) == b'(' {
            let s = pos + 1;
            let e = digit_end(b, s, cap);
            if e == s || at(b, e) != b')' {
                break;
            }
            (Group { start: s, end: e, paren: true, sep }, e + 1)
        } else if at(b, pos).is_ascii_digit() {
            let e = digit_end(b, pos, cap);
            (Group { start: pos, end: e, paren: false, sep }, e)
        } else {
            break;
        };
        digits += group.len();
        let slot = run.groups.get_mut(run.len);
        match slot {
            // A group cut short by the digit cap is longer than any number the caller reads.
            Some(slot) if digits <= max_digits && !at(b, group.end).is_ascii_digit() => *slot = group,
            _ => {
                run.overflow = true;
                pos = next;
                break;
            }
        }
        run.len += 1;
        pos = next;
        let c = at(b, pos);
        let after = at(b, pos + 1);
        if style == Style::Plain {
            // Printed groups have at most six digits: a longer one on either side of a separator
            // is a number of its own ("4111111111111111 5555555555554444" is two cards).
            let next_long = digit_end(b, pos + 1, MAX_PLAIN_GROUP + 1) - (pos + 1) > MAX_PLAIN_GROUP;
            if group.len() > MAX_PLAIN_GROUP || next_long {
                break;
            }
            if matches!(c, b' ' | b'-' | b'.') && after.is_ascii_digit() && (plain_sep == 0 || plain_sep == c) {
                plain_sep = c;
                sep = c;
                pos += 1;
                continue;
            }
            break;
        }
        if matches!(c, b' ' | b'-' | b'.' | b'/') && opens_group(after) {
            sep = c;
            pos += 1;
        } else if (group.paren && opens_group(c)) || (c == b'(' && at(b, pos + 1).is_ascii_digit()) {
            // "(0)20 7946", "(415)555-2671", "+44(0)20": nothing between a parenthesis and the digits.
            sep = 0;
        } else if c == b' ' && after == b'-' && at(b, pos + 2) == b' ' && opens_group(at(b, pos + 3)) {
            sep = b'-';
            pos += 3;
        } else {
            break;
        }
    }
    run.extent = pos;
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(text: &str, style: Style, max: usize) -> Vec<(usize, Vec<usize>, bool)> {
        let mut v = Vec::new();
        for_each_run(text, style, max, |r| {
            v.push((r.start, r.groups().iter().map(Group::len).collect(), r.overflow));
            true
        });
        v
    }

    #[test]
    fn plain_runs_keep_one_separator() {
        assert_eq!(runs("4111 1111-1111", Style::Plain, 19), vec![(0, vec![4, 4], false)]);
        assert_eq!(runs("4111-1111-1111-1111", Style::Plain, 19), vec![(0, vec![4, 4, 4, 4], false)]);
        assert_eq!(
            runs("4111111111111111 5555555555554444 1234", Style::Plain, 19),
            vec![(0, vec![16], false), (17, vec![16], false), (34, vec![4], false)]
        );
    }

    #[test]
    fn phone_runs() {
        assert_eq!(runs("call +44 (0)20 7946 0958 now", Style::Phone, 17), vec![(5, vec![2, 1, 2, 4, 4], false)]);
        assert_eq!(runs("(415)555-2671", Style::Phone, 17), vec![(0, vec![3, 3, 4], false)]);
    }

    #[test]
    fn restart_where_the_separator_style_changes() {
        let mut starts = Vec::new();
        for_each_run("2024-12-04 030/4443696", Style::Phone, 18, |r| {
            starts.push(r.start);
            false
        });
        assert_eq!(starts, vec![0, 11]);
        starts.clear();
        for_each_run("05727 206034 4370-0274-9017", Style::Plain, 19, |r| {
            starts.push(r.start);
            false
        });
        assert_eq!(starts, vec![0, 13]);
        starts.clear();
        for_each_run("9400 1000 0000 0000", Style::Phone, 18, |r| {
            starts.push(r.start);
            false
        });
        assert_eq!(starts, vec![0]);
    }

    #[test]
    fn overflow_and_resume() {
        let long = "1".repeat(100);
        assert_eq!(runs(&long, Style::Plain, 19), vec![(0, vec![], true)]);
        assert_eq!(runs("1234 5678", Style::Plain, 6), vec![(0, vec![4], true)]);
    }

    #[test]
    fn prefixes_end_cleanly() {
        let text = "4111 1111 1111 1111 12/25";
        let mut got = None;
        for_each_run(text, Style::Plain, 24, |r| {
            got = r.longest_prefix(text, |_| true);
            true
        });
        assert_eq!(got, Some((4, 19)));
    }
}
