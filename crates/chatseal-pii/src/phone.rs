//! Telephone numbers, international and national.
//!
//! A candidate is a run of digit groups (single spaces, dashes, dots, one slash, parentheses;
//! see `groups.rs`). Its shape decides how much evidence it needs:
//!
//! * **Strong** shapes are phones on their own: `+` / `00` / `(+cc)` with a valid country code
//!   and a length that country uses (`intl.rs`); NANP groupings `(415) 555-2671`,
//!   `415-555-2671`, `1-800-555-0199`; trunk-0 national numbers in groups (`020 7946 0958`,
//!   `(0161) 496 0066`, `030/1234567`, `06 12 34 56 78`), 9 to 12 digits; an area code in
//!   parentheses (`(11) 91234-5678`); Russia's trunk 8 (`8 (912) 345-67-89`); Brazil, India and
//!   Australia's national forms.
//! * **Cued** shapes are phones only with a phone cue: other groupings of 7 to 12 digits
//!   (`555-0199`, `609 141 777`, `91 41 77 76`) and single digit runs of 7 to 9 digits, or of
//!   10 to 12 digits that have a national structure (NANP, trunk 0, a mobile prefix, or a
//!   country code without `+`). A cue is a phone word shortly before ("call", "tel", "mobile",
//!   "whatsapp", "reach me at", in several languages), a line label after ("(mobile)", "home"),
//!   or an extension. A cue never makes a phone of a longer or shapeless digit run.
//! * An id word before a national number ("order", "ticket", "MRN", "invoice", "account")
//!   vetoes it, whatever its shape; dates and ISBNs are never phones.
//!
//! Span: the number with its `+`/`00` prefix, a "(0)" trunk and an extension (`x4587`,
//! `ext. 12`, `#204`, see `extension.rs`); a label glued after it ("-office", "home") is not
//! part of it and does not break its boundary.

use super::boundary::{before_code_word, number_ends_clean};
use super::context::{nearest_cue, Cue, Words, ID_WORDS};
use super::extension::{extension, glued_label_after, label_after};
use super::groups::{for_each_run, Digits, Group, Style, MAX_GROUPS};
use super::intl::{country_fits, international, nanp, without_call_prefix};
use super::lookalike::{date_like, isbn_like};
use super::Finding;
use crate::PiiCategory;

/// 15 digits of E.164 plus a `00` prefix and a "(0)" trunk.
const MAX_DIGITS: usize = 18;
/// The shortest phone read: a local number of seven digits.
const MIN_DIGITS: usize = 7;

/// Cue words that announce a phone number.
const PHONE_WORDS: &Words = &Words::new(&[
    "call",
    "phone",
    "phones",
    "tel",
    "tele",
    "telephone",
    "mobile",
    "cell",
    "cellphone",
    "fax",
    "whatsapp",
    "sms",
    "text",
    "txt",
    "ring",
    "dial",
    "reach",
    "contact",
    "number",
    "handy",
    "telefon",
    "telefono",
    "celular",
    "mob",
    "landline",
    "hotline",
    "helpline",
    "signal",
    "telegram",
    "viber",
    "ph",
    "phone#",
    "tlf",
    "telf",
    "fone",
    "mobil",
    "mobilnummer",
    "telefonnummer",
    "rufnummer",
    "portable",
    "cellulare",
    "cellular",
    "direct",
    "office",
    "home",
    "work",
    "callback",
    "kontakt",
    "contacto",
    "contatto",
    "contato",
    "numer",
    "puhelin",
    "numero",
    "téléphone",
    "teléfono",
    "número",
    "numéro",
    "móvil",
    "telefone",
    "telefonu",
    "телефон",
    "Телефон",
    "тел",
    "電話",
    "电话",
    "手机",
    "携帯",
    "전화",
    "anrufen",
    "ruf",
    "appelez",
    "appeler",
    "llame",
    "llamar",
    "ligue",
    "chiamami",
    "chiamare",
    "bel",
    "bellen",
]);

/// How much evidence a candidate's shape needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// Not a phone.
    No,
    /// A phone when a cue says so.
    Cued,
    /// A phone unless an id word vetoes it.
    Strong,
    /// International: a phone, no veto.
    Dialled,
}

/// Appends every phone number in `text`.
pub(super) fn find(text: &str, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    for_each_run(text, Style::Phone, MAX_DIGITS, |run| {
        if run.digits() < MIN_DIGITS && !run.overflow {
            return false;
        }
        // The cue word before is read only for candidates that need it, once per run.
        let mut before = None;
        let mut cue_at = || *before.get_or_insert_with(|| nearest_cue(b, run.start, PHONE_WORDS, ID_WORDS));
        let judged = run.longest_by(|groups, end| {
            let shape = shape(b, run.plus, groups);
            if shape == Shape::No {
                return None;
            }
            let (span_end, labelled) = tail(text, end)?;
            let accepted = shape == Shape::Dialled
                || match cue_at() {
                    Some(Cue::Against) => false,
                    Some(Cue::For) => true,
                    None => shape == Shape::Strong || labelled,
                };
            accepted.then_some(span_end)
        });
        let Some((_, end)) = judged else {
            return false;
        };
        out.push(Finding { category: PiiCategory::Phone, start: run.start, end });
        true
    });
}

/// Where a phone whose digits end at `end` ends, extension included, and whether an
/// extension or line label vouches for it; `None` when the number is glued to something else.
fn tail(text: &str, end: usize) -> Option<(usize, bool)> {
    let b = text.as_bytes();
    if let Some(ext_end) = extension(b, end) {
        if number_ends_clean(text, ext_end) || glued_label_after(b, ext_end) {
            return Some((ext_end, true));
        }
    }
    if glued_label_after(b, end) {
        return Some((end, true));
    }
    (number_ends_clean(text, end) && !before_code_word(b, end)).then(|| (end, label_after(b, end)))
}

fn shape(b: &[u8], plus: bool, groups: &[Group]) -> Shape {
    if groups.len() > MAX_GROUPS || !separators_ok(groups, plus) {
        return Shape::No;
    }
    if plus {
        return if international(b, groups) { Shape::Dialled } else { Shape::No };
    }
    let digits = Digits::of(b, groups);
    let d = digits.as_slice();
    if d.starts_with(&[0, 0]) {
        let rest = without_call_prefix(groups);
        return if groups.first().is_some_and(|g| g.len() >= 2) && international(b, rest.as_slice()) {
            Shape::Dialled
        } else {
            Shape::No
        };
    }
    if date_like(b, groups) || isbn_like(groups, d) {
        return Shape::No;
    }
    national(groups, d)
}

/// Dots only with dots (after a `+` country code a space may come first), at most one slash.
fn separators_ok(groups: &[Group], plus: bool) -> bool {
    let inner = groups.iter().skip(if plus { 2 } else { 1 });
    let seps = || inner.clone().map(|g| g.sep).filter(|&s| s != 0);
    let dots = seps().filter(|&s| s == b'.').count();
    let slashes = seps().filter(|&s| s == b'/').count();
    (dots == 0 || dots == seps().count()) && slashes <= 1 && !(slashes == 1 && dots > 0)
}

/// Group lengths, for matching.
fn lengths(groups: &[Group]) -> ([usize; MAX_GROUPS], usize) {
    let mut lens = [0usize; MAX_GROUPS];
    for (slot, g) in lens.iter_mut().zip(groups) {
        *slot = g.len();
    }
    (lens, groups.len().min(MAX_GROUPS))
}

fn national(groups: &[Group], d: &[u8]) -> Shape {
    let (lens, count) = lengths(groups);
    let lens = lens.get(..count).unwrap_or_default();
    let n = d.len();
    let paren_first = groups.first().is_some_and(|g| g.paren);
    // An area code in parentheses comes first, or after a one-digit trunk ("1 (800)", "8 (912)").
    let area_at = usize::from(lens.first() == Some(&1));
    let paren_later = groups.iter().enumerate().any(|(i, g)| g.paren && i != area_at && i > 0);
    if strong(lens, d, paren_first) && !paren_later {
        return Shape::Strong;
    }
    let cued = match lens {
        [_] => (7..=9).contains(&n) || ((10..=12).contains(&n) && structured(d)),
        _ => (7..=12).contains(&n) && lens.iter().skip(1).all(|&l| l >= 2),
    };
    if cued {
        Shape::Cued
    } else {
        Shape::No
    }
}

/// Shapes that are phones without a cue.
fn strong(lens: &[usize], d: &[u8], paren_first: bool) -> bool {
    let n = d.len();
    let grouped = lens.len() > 1;
    let rest_ok = lens.iter().skip(1).all(|l| (2..=8).contains(l));
    let nanp_shape = matches!((n, lens), (10, [3, 3, 4]) | (11, [1, 3, 3, 4])) && (n == 10 || d.first() == Some(&1))
        || (n == 10 && lens == [3, 7] && nanp(d));
    let trunk0 = matches!(d, [0, 1..=9, ..])
        && (9..=12).contains(&n)
        && grouped
        && lens.first().is_some_and(|l| (2..=6).contains(l))
        && rest_ok;
    let area_in_parens = paren_first && lens.first().is_some_and(|l| (2..=5).contains(l)) && (8..=12).contains(&n);
    let trunk8 = d.first() == Some(&8) && n == 11 && lens.first() == Some(&1) && grouped && rest_ok;
    let brazil = (10..=11).contains(&n) && lens == [2, 5, 4] && d.get(2) == Some(&9) && d.first() != Some(&0);
    let india = n == 10 && matches!(d.first(), Some(6..=9)) && lens == [5, 5];
    let australia = lens == [4, 3, 3] && (d.starts_with(&[1, 3, 0, 0]) || d.starts_with(&[1, 8, 0, 0]));
    let china = n == 11 && lens == [3, 4, 4] && matches!(d, [1, 3..=9, ..]);
    nanp_shape || trunk0 || area_in_parens || trunk8 || brazil || india || australia || china
}

/// A bare run of 10 to 12 digits with a national structure: NANP, trunk 0, a mobile prefix
/// (China 1[3-9], India 6-9), or a country code and length without the `+`.
fn structured(d: &[u8]) -> bool {
    match d.len() {
        10 => nanp(d) || matches!(d, [0, 1..=9, ..] | [6..=9, ..] | [3, ..]),
        11 => matches!(d, [0, 1..=9, ..] | [1, 3..=9, ..] | [8, ..]) || nanp(d.get(1..).unwrap_or_default()),
        _ => matches!(d, [0, 1..=9, ..]) || country_fits(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phones(text: &str) -> Vec<&str> {
        let mut v = Vec::new();
        find(text, &mut v);
        v.iter().map(|f| &text[f.start..f.end]).collect()
    }

    fn uncued(good: &str) {
        assert_eq!(phones(&format!("it is {good}, thanks")), vec![good], "{good}");
    }

    #[test]
    fn us_ca() {
        for p in [
            "(415) 555-2671",
            "415-555-2671",
            "415.555.2671",
            "415 555 2671",
            "+1 415 555 2671",
            "+1-415-555-2671",
            "+1 (415) 555-2671",
            "1-800-555-0199",
            "1 (800) 555-0199",
            "+14155552671",
            "(604)555-0123",
            "123-456-7890",
            "(555) 011-2671",
        ] {
            uncued(p);
        }
    }

    #[test]
    fn uk_de_fr() {
        for p in [
            "+44 20 7946 0958",
            "+44 (0)20 7946 0958",
            "+44(0)2074960074",
            "020 7946 0958",
            "07700 900123",
            "+44 7700 900123",
            "0161 496 0000",
            "(0161) 496 0066",
            "0044 20 7946 0958",
            "00 44 20 7946 0958",
            "+49 30 12345678",
            "+49 (0)151 2345 6789",
            "030 12345678",
            "0151 23456789",
            "030/1234567",
            "089-1234567",
            "+33 1 23 45 67 89",
            "+33 6 12 34 56 78",
            "+33.6.12.34.56.78",
            "01 23 45 67 89",
            "06.12.34.56.78",
            "06-12-34-56-78",
        ] {
            uncued(p);
        }
    }

    #[test]
    fn other_countries() {
        for p in [
            "+91 98765 43210",
            "+91-9876543210",
            "98765 43210",
            "098765 43210",
            "022 2345 6789",
            "+55 11 91234-5678",
            "(11) 91234-5678",
            "(21) 3456-7890",
            "11 91234-5678",
            "+55 (11) 91234-5678",
            "+61 2 9876 5432",
            "(02) 9876 5432",
            "0412 345 678",
            "+61 412 345 678",
            "1300 123 456",
            "(+358) 401234567",
            "+358 (0)40 123 4567",
            "+90(532)123-4567",
            "+7 (912) 345-67-89",
            "8 (912) 345-67-89",
            "080-9141-7776",
            "138 0013 8000",
            "08-391 50 00",
        ] {
            uncued(p);
        }
    }

    #[test]
    fn extensions_are_inside_the_span() {
        for p in ["(415) 555-2671 x4587", "212-555-0147 ext. 12", "+1 312 555 0100 #204", "800.555.0199x22"] {
            uncued(p);
        }
        assert_eq!(phones("555-0199 x12"), vec!["555-0199 x12"]);
    }

    #[test]
    fn glued_labels_are_outside() {
        assert_eq!(phones("call 555-123-4567-office or 555-765-4321home"), vec!["555-123-4567", "555-765-4321"]);
        assert_eq!(phones("+1 415 555 2671(mobile)"), vec!["+1 415 555 2671"]);
        assert_eq!(phones("Tel+49 151 23456789 and mobile555-867-5309"), vec!["+49 151 23456789", "555-867-5309"]);
        assert_eq!(phones("555 0199 (mobile)"), vec!["555 0199"]);
    }

    #[test]
    fn short_numbers_need_a_cue() {
        for (text, want) in [
            ("call me at 555-0199", "555-0199"),
            ("my cell is 867 5309", "867 5309"),
            ("Tel. 91 41 77 76", "91 41 77 76"),
            ("Mobil 609 141 777", "609 141 777"),
            ("fax 8914177", "8914177"),
            ("téléphone 45 67 89 01", "45 67 89 01"),
            ("电话 8765 4321", "8765 4321"),
            ("телефон 495 123 45 67", "495 123 45 67"),
            ("call me at 4155552671", "4155552671"),
            ("mobile: 07700900123", "07700900123"),
        ] {
            assert_eq!(phones(text), vec![want], "{text}");
        }
        for bad in ["555-0199", "it is 609 141 777", "4155552671", "call 1234567890123", "call 12 345"] {
            assert!(phones(bad).is_empty(), "{bad}: {:?}", phones(bad));
        }
    }

    #[test]
    fn id_words_veto() {
        for bad in [
            "order number 4155552671",
            "order 415-555-2671",
            "MRN 555-123-4567",
            "Medical record number: 415-555-2671",
            "ticket no. 867-5309",
            "invoice 0161 496 0000",
            "confirmation code 617-555-0110",
        ] {
            assert!(phones(bad).is_empty(), "{bad}: {:?}", phones(bad));
        }
        assert_eq!(phones("call me about it +14155552671"), vec!["+14155552671"]);
        assert_eq!(phones("order desk phone: 415-555-2671"), vec!["415-555-2671"]);
    }

    #[test]
    fn traps() {
        for bad in [
            "2024-01-15",
            "15.01.2024",
            "01/15/2024",
            "12/25/2024 0930",
            "03-15-2024 0900",
            "10:30:45",
            "version 10.0.19041.1",
            "1.2.3",
            "192.168.100.200",
            "$1,234,567.89",
            "1 234 567,89 €",
            "550e8400-e29b-41d4-a716-446655440000",
            "12345678-1234-1234-1234-123456789012",
            "ISBN 978-3-16-148410-0",
            "978-1-266-78698-3",
            "0-306-40615-2",
            "#415-555-2671",
            "415-555-2671x",
            "1712345678",
            "9400 1000 0000 0000 0000 00",
            "+1 415",
            "+0 123 456 7890",
            "0 0412 345 678",
            "0 0",
            "911",
            "2024 1234 5678",
            "revenue 12 345 678",
        ] {
            assert!(phones(bad).is_empty(), "{bad}: {:?}", phones(bad));
        }
    }
}
