//! Numbers that have the shape of personal data but are something else, whatever the cue:
//! dates written with one separator (`2024-03-15`, `15.03.2024`, `03/15/2024`, `20240315` is
//! left to the length rules) and ISBNs (`978-3-16-148410-0`, `0-306-40615-2`, checksum-valid).

use super::boundary::at;
use super::groups::Group;

/// The first three groups form a date: day, month and year in some order, one separator.
pub(super) fn date_like(b: &[u8], groups: &[Group]) -> bool {
    let [a, m, c, ..] = groups else {
        return false;
    };
    let value = |g: &Group| {
        b.get(g.start..g.end).unwrap_or_default().iter().take(5).fold(0u32, |acc, &x| acc * 10 + u32::from(x - b'0'))
    };
    let same_sep = m.sep == c.sep && m.sep != b' ' && !a.paren && !m.paren && !c.paren;
    let (x, y, z) = (value(a), value(m), value(c));
    let small = |g: &Group, v: u32| (1..=2).contains(&g.len()) && (1..=31).contains(&v);
    let year = |g: &Group, v: u32| g.len() == 4 && (1900..=2099).contains(&v);
    let day_month = |p: u32, q: u32| (p <= 12 && q <= 31) || (p <= 31 && q <= 12);
    let dmy = small(a, x) && small(m, y) && year(c, z) && day_month(x, y);
    let ymd = year(a, x) && small(m, y) && small(c, z) && y <= 12;
    same_sep && (dmy || ymd) && at(b, a.end) == m.sep
}

/// An ISBN-13 (978/979, EAN check digit) of 13 digits, or an ISBN-10 written in four hyphenated
/// groups with its mod-11 check digit.
pub(super) fn isbn_like(groups: &[Group], d: &[u8]) -> bool {
    let isbn13 = d.len() == 13
        && (d.starts_with(&[9, 7, 8]) || d.starts_with(&[9, 7, 9]))
        && d.iter().enumerate().map(|(i, &x)| u32::from(x) * if i % 2 == 0 { 1 } else { 3 }).sum::<u32>() % 10 == 0;
    let isbn10 = d.len() == 10
        && groups.len() == 4
        && groups.iter().skip(1).all(|g| g.sep == b'-')
        && d.iter().enumerate().map(|(i, &x)| (10 - i as u32) * u32::from(x)).sum::<u32>() % 11 == 0;
    isbn13 || isbn10
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::groups::{for_each_run, Digits, Style};

    fn check(text: &str) -> (bool, bool) {
        let mut got = (false, false);
        for_each_run(text, Style::Phone, 18, |r| {
            let d = Digits::of(text.as_bytes(), r.groups());
            got = (date_like(text.as_bytes(), r.groups()), isbn_like(r.groups(), d.as_slice()));
            true
        });
        got
    }

    #[test]
    fn dates_and_isbns() {
        for date in ["2024-03-15", "15.03.2024", "03/15/2024", "12-25-2024 0900", "2024/03/15"] {
            assert_eq!(check(date), (true, false), "{date}");
        }
        for isbn in ["978-3-16-148410-0", "9781266786983", "0-306-40615-2", "1-75594-709-7"] {
            assert_eq!(check(isbn), (false, true), "{isbn}");
        }
        for other in ["415-555-2671", "06 12 34 56 78", "020 7946 0958", "0-306-40615-3", "32-13-2024"] {
            assert_eq!(check(other), (false, false), "{other}");
        }
    }
}
