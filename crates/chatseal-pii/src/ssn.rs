//! US Social Security numbers by the published rules: area 001-665 or 667-899, group 01-99,
//! serial 0001-9999, written `AAA-GG-SSSS`, `AAA GG SSSS` or `AAA.GG.SSSS` (the same
//! separator both times). A bare nine-digit number counts only when the nearest cue word before
//! it names an SSN ("ssn", "social security", "national id", "tax id"); a number whose nearest
//! cue names an order, ticket or other id never counts. Numbers SSA published as never valid (078-05-1120, 219-09-9999) are rejected.

use super::context::{nearest_cue, Cue, Words, ID_WORDS};
use super::groups::{Digits, Group, Run};
use super::Finding;
use crate::PiiCategory;

/// Cue words that announce an SSN.
/// "national id", "tax id", "social security number": the connector takes the sense of these.
const SSN_WORDS: &Words = &Words::new(&[
    "ssn",
    "ssns",
    "ssn#",
    "social",
    "security",
    "ss",
    "ssa",
    "national",
    "tax",
    "taxpayer",
    "tin",
    "itin",
    "sozialversicherungsnummer",
]);

/// The SSN that leads `run`, if any (runs come from the plain-number pass shared with cards).
pub(super) fn judge(text: &str, run: &Run) -> Option<Finding> {
    let b = text.as_bytes();
    let (used, end) = run.longest_prefix(text, |groups| is_ssn(b, groups))?;
    let accepted = match nearest_cue(b, run.start, SSN_WORDS, ID_WORDS) {
        Some(Cue::For) => true,
        Some(Cue::Against) => false,
        None => used > 1,
    };
    accepted.then_some(Finding { category: PiiCategory::Ssn, start: run.start, end })
}

fn is_ssn(b: &[u8], groups: &[Group]) -> bool {
    let shape_ok = match groups {
        [one] => one.len() == 9,
        [a, g, s] => a.len() == 3 && g.len() == 2 && s.len() == 4,
        _ => false,
    };
    let digits = Digits::of(b, groups);
    let (Some(area), Some(all)) = (digits.prefix(3), digits.prefix(9)) else {
        return false;
    };
    let group = (all / 10_000) % 100;
    let serial = all % 10_000;
    shape_ok
        && area != 0
        && area != 666
        && area < 900
        && group != 0
        && serial != 0
        && all != 78_051_120
        && all != 219_099_999
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::groups::{for_each_run, Style};

    fn ssns(text: &str) -> Vec<&str> {
        let mut v = Vec::new();
        for_each_run(text, Style::Plain, 19, |run| judge(text, run).map(|f| v.push(f)).is_some());
        v.iter().map(|f| &text[f.start..f.end]).collect()
    }

    #[test]
    fn separated_forms() {
        assert_eq!(ssns("it is 123-45-6789."), vec!["123-45-6789"]);
        assert_eq!(ssns("it is 536 22 1234"), vec!["536 22 1234"]);
        assert_eq!(ssns("it is 536.22.1234."), vec!["536.22.1234"]);
        assert_eq!(ssns("665-01-0001 and 667-99-9999"), vec!["665-01-0001", "667-99-9999"]);
    }

    #[test]
    fn published_rules() {
        for bad in [
            "000-12-3456",
            "666-12-3456",
            "900-12-3456",
            "999-12-3456",
            "123-00-4567",
            "123-45-0000",
            "078-05-1120",
            "219-09-9999",
            "123-45 6789",
            "123.45-6789",
            "123 45-6789",
            "12-345-6789",
            "123-456-789",
        ] {
            assert!(ssns(bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn bare_needs_cue() {
        assert_eq!(ssns("SSN: 123456789"), vec!["123456789"]);
        assert_eq!(ssns("my social security number is 536221234"), vec!["536221234"]);
        assert_eq!(ssns("national id: 536221234"), vec!["536221234"]);
        assert_eq!(ssns("Tax ID 536-22-1234"), vec!["536-22-1234"]);
        assert_eq!(ssns("social security no. 536.22.1234"), vec!["536.22.1234"]);
        assert!(ssns("patient id 536221234").is_empty());
        assert!(ssns("123456789").is_empty());
        assert!(ssns("order 536221234").is_empty());
        assert!(ssns("ticket 123-45-6789").is_empty());
    }

    #[test]
    fn not_inside_tokens() {
        for bad in ["1123-45-6789", "123-45-67890", "A123-45-6789", "123-45-6789-1", "123-45-6789x", "123-45-6789.5"] {
            assert!(ssns(bad).is_empty(), "{bad}");
        }
    }
}
