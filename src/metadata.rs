//! Moderation-safe metadata (`SPEC.md` § 8): what a backend may read without keys. It travels in
//! clear but is authenticated as associated data, so it cannot be altered unseen. This module
//! knows the metadata schema only, nothing of envelopes.

use crate::category::PiiCategory;
use crate::encoding::Reader;
use crate::error::{Error, Result};
use crate::ids::{Direction, MAX_COUNTER};
use crate::pseudonym::Pseudonym;

/// Most labels per envelope.
pub const MAX_LABELS: usize = 8;
/// Longest label key, in bytes.
pub const MAX_LABEL_KEY: usize = 32;
/// Longest label value, in bytes.
pub const MAX_LABEL_VALUE: usize = 64;
/// Coarsest allowed time granularity: one day.
pub const MAX_GRANULARITY_SECS: u32 = 86_400;
/// Largest metadata encoding accepted (the largest valid one is 837 bytes).
pub const MAX_METADATA: usize = 1024;

/// Who wrote the turn. Each direction has its own roles (`SPEC.md` § 8.1): the initiator (widget)
/// writes as the visitor; the responder as assistant, agent or system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The person using the widget.
    Visitor,
    /// An automated assistant behind the service.
    Assistant,
    /// A human agent.
    Agent,
    /// System notices from the service (joins, transfers).
    System,
}

impl Role {
    /// Every role, in wire order.
    pub const ALL: [Role; 4] = [Role::Visitor, Role::Assistant, Role::Agent, Role::System];

    pub(crate) fn wire_id(self) -> u8 {
        match self {
            Role::Visitor => 0,
            Role::Assistant => 1,
            Role::Agent => 2,
            Role::System => 3,
        }
    }

    pub(crate) fn from_wire_id(id: u8) -> Result<Self> {
        Role::ALL.get(usize::from(id)).copied().ok_or(Error::Malformed("metadata role"))
    }

    /// `"visitor"`, `"assistant"`, `"agent"` or `"system"`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Visitor => "visitor",
            Role::Assistant => "assistant",
            Role::Agent => "agent",
            Role::System => "system",
        }
    }

    /// Parses a role name.
    pub fn from_name(name: &str) -> Result<Self> {
        Role::ALL.into_iter().find(|r| r.name() == name).ok_or(Error::InvalidInput("role"))
    }

    /// Whether turns travelling in `direction` may carry this role.
    pub fn allowed_for(self, direction: Direction) -> bool {
        match direction {
            Direction::InitiatorToResponder => self == Role::Visitor,
            Direction::ResponderToInitiator => self != Role::Visitor,
        }
    }
}

/// How many findings of each PII category the turn held before masking.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PiiCounts([u16; 7]);

impl PiiCounts {
    /// The count for one category.
    pub fn get(&self, category: PiiCategory) -> u16 {
        self.0.get(Self::index(category)).copied().unwrap_or(0)
    }

    /// Sets the count for one category.
    pub fn set(&mut self, category: PiiCategory, count: u16) {
        if let Some(slot) = self.0.get_mut(Self::index(category)) {
            *slot = count;
        }
    }

    /// Adds one finding, saturating at `u16::MAX`.
    pub fn add(&mut self, category: PiiCategory) {
        self.set(category, self.get(category).saturating_add(1));
    }

    /// Total over all categories.
    pub fn total(&self) -> u32 {
        self.0.iter().map(|&c| u32::from(c)).sum()
    }

    /// Non-zero counts in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (PiiCategory, u16)> + '_ {
        PiiCategory::ALL.into_iter().map(|c| (c, self.get(c))).filter(|&(_, n)| n > 0)
    }

    fn index(category: PiiCategory) -> usize {
        usize::from(category.wire_id()).saturating_sub(1)
    }
}

/// An application label: a short key and a short value from a closed character set (`SPEC.md`
/// § 8.3), for tags such as the page, the plan or the language. Never personal data: with
/// `chatseal-pii`, a label value in which the scanner finds personal data is refused.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Label {
    key: String,
    value: String,
}

/// A label key byte: `[a-z0-9_.-]`.
fn key_byte(b: u8) -> bool {
    matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-')
}

/// A label value byte: ASCII letters, digits, space and `-_.:/+=,#`. No control, format or bidi
/// character can occur, and no `@`, so no e-mail address fits.
fn value_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b' ' | b'-' | b'_' | b'.' | b':' | b'/' | b'+' | b'=' | b',' | b'#')
}

impl Label {
    /// A validated label (`invalid_input` naming the key or the value).
    pub fn new(key: &str, value: &str) -> Result<Self> {
        if !(1..=MAX_LABEL_KEY).contains(&key.len()) || !key.bytes().all(key_byte) {
            return Err(Error::InvalidInput("label key must be 1-32 bytes of [a-z0-9_.-]"));
        }
        if value.len() > MAX_LABEL_VALUE || !value.bytes().all(value_byte) {
            return Err(Error::InvalidInput("label value must be 0-64 bytes of [A-Za-z0-9 -_.:/+=,#]"));
        }
        Ok(Label { key: key.to_owned(), value: value.to_owned() })
    }

    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The value.
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// The metadata of one turn, as sealed and as [`crate::inspect`] returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// Who wrote the turn.
    pub role: Role,
    /// Client time in Unix seconds, rounded down to a multiple of `time_granularity`
    /// (0 when the granularity is 0, meaning "no time").
    pub time: u64,
    /// Rounding step of `time` in seconds (0 = time omitted, else 1..=86,400).
    pub time_granularity: u32,
    /// The visitor's pseudonym, if the application sets one.
    pub subject: Option<Pseudonym>,
    /// PII counts per category (all zero when masking was off).
    pub pii: PiiCounts,
    labels: Vec<Label>,
}

impl Metadata {
    /// Metadata for `role` with the time coarsened from `now_unix` (seconds) to `granularity`.
    pub fn new(role: Role, now_unix: u64, granularity: u32) -> Result<Self> {
        check_granularity(granularity)?;
        if now_unix > MAX_COUNTER {
            return Err(Error::InvalidInput("time above 2^53 - 1"));
        }
        let time = match u64::from(granularity) {
            0 => 0,
            g => now_unix - now_unix % g,
        };
        Ok(Metadata {
            role,
            time,
            time_granularity: granularity,
            subject: None,
            pii: PiiCounts::default(),
            labels: Vec::new(),
        })
    }

    /// The labels, sorted by key (the one canonical order).
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// Adds a label in its sorted place; a key already present or a ninth label is refused.
    pub fn insert_label(&mut self, label: Label) -> Result<()> {
        if self.labels.len() >= MAX_LABELS {
            return Err(Error::LimitExceeded("more than 8 labels"));
        }
        match self.labels.binary_search_by(|l| l.key.cmp(&label.key)) {
            Ok(_) => Err(Error::InvalidInput("duplicate label key")),
            Err(at) => {
                self.labels.insert(at, label);
                Ok(())
            }
        }
    }

    /// Checks every rule of `SPEC.md` § 8 a caller could break through the public fields.
    pub(crate) fn validate(&self) -> Result<()> {
        check_granularity(self.time_granularity)?;
        let g = u64::from(self.time_granularity);
        if self.time > MAX_COUNTER || (g == 0 && self.time != 0) || (g != 0 && self.time % g != 0) {
            return Err(Error::InvalidInput("time not coarsened to its granularity"));
        }
        Ok(())
    }

    /// The length of the wire encoding.
    pub(crate) fn encoded_len(&self) -> usize {
        let subject = if self.subject.is_some() { 17 } else { 1 };
        let labels: usize = self.labels.iter().map(|l| 2 + l.key.len() + l.value.len()).sum();
        1 + 4 + 8 + subject + 1 + 3 * self.pii.iter().count() + 1 + labels
    }

    /// Appends the wire encoding (`SPEC.md` § 8) after validating.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        self.validate()?;
        out.push(self.role.wire_id());
        out.extend_from_slice(&self.time_granularity.to_be_bytes());
        out.extend_from_slice(&self.time.to_be_bytes());
        match &self.subject {
            None => out.push(0),
            Some(p) => {
                out.push(1);
                out.extend_from_slice(p.as_bytes());
            }
        }
        let at = out.len();
        out.push(0);
        for (category, count) in self.pii.iter() {
            out.extend_from_slice(&[category.wire_id()]);
            out.extend_from_slice(&count.to_be_bytes());
        }
        if let Some(n) = out.get_mut(at) {
            *n = self.pii.iter().count() as u8; // at most 7
        }
        out.push(self.labels.len() as u8); // at most MAX_LABELS, kept by insert_label
        for label in &self.labels {
            out.push(label.key.len() as u8); // ≤ 32, checked by Label::new
            out.extend_from_slice(label.key.as_bytes());
            out.push(label.value.len() as u8); // ≤ 64, checked by Label::new
            out.extend_from_slice(label.value.as_bytes());
        }
        Ok(())
    }

    /// Strict decoding: exactly one encoding is accepted for each metadata value.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        let bad = Error::Malformed("metadata");
        let mut r = Reader::new(bytes, "metadata");
        let role = Role::from_wire_id(r.u8()?)?;
        let time_granularity = r.u32()?;
        let time = r.u64()?;
        let subject = if r.flag()? { Some(Pseudonym::from_bytes(r.array()?)) } else { None };
        let mut pii = PiiCounts::default();
        let mut last = 0u8;
        for _ in 0..r.u8()? {
            let id = r.u8()?;
            let category = PiiCategory::from_wire_id(id).ok_or(bad)?;
            let count = r.u16()?;
            if id <= last || count == 0 {
                return Err(bad);
            }
            last = id;
            pii.set(category, count);
        }
        let n_labels = usize::from(r.u8()?);
        if n_labels > MAX_LABELS {
            return Err(bad);
        }
        let mut labels: Vec<Label> = Vec::with_capacity(n_labels);
        for _ in 0..n_labels {
            let key_len = usize::from(r.u8()?);
            let key = core::str::from_utf8(r.take(key_len)?).map_err(|_| bad)?;
            let value_len = usize::from(r.u8()?);
            let value = core::str::from_utf8(r.take(value_len)?).map_err(|_| bad)?;
            let label = Label::new(key, value).map_err(|_| bad)?;
            if labels.last().is_some_and(|l| l.key >= label.key) {
                return Err(bad); // keys strictly increasing: one encoding per label set
            }
            labels.push(label);
        }
        r.finish()?;
        let meta = Metadata { role, time, time_granularity, subject, pii, labels };
        meta.validate().map_err(|_| bad)?;
        Ok(meta)
    }
}

fn check_granularity(granularity: u32) -> Result<()> {
    if granularity > MAX_GRANULARITY_SECS {
        return Err(Error::InvalidInput("time granularity above 86400 seconds"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(m: &Metadata) -> Metadata {
        let mut out = Vec::new();
        m.encode(&mut out).unwrap();
        assert_eq!(out.len(), m.encoded_len());
        Metadata::decode(&out).unwrap()
    }

    #[test]
    fn labels_are_canonical_whatever_the_insertion_order() {
        let mut a = Metadata::new(Role::Visitor, 125, 60).unwrap();
        let mut b = a.clone();
        for k in ["zeta", "10", "2", "alpha", "__proto__"] {
            a.insert_label(Label::new(k, "v").unwrap()).unwrap();
        }
        for k in ["__proto__", "2", "alpha", "10", "zeta"] {
            b.insert_label(Label::new(k, "v").unwrap()).unwrap();
        }
        let (mut ea, mut eb) = (Vec::new(), Vec::new());
        a.encode(&mut ea).unwrap();
        b.encode(&mut eb).unwrap();
        assert_eq!(ea, eb);
        let keys: Vec<_> = roundtrip(&a).labels().iter().map(|l| l.key().to_owned()).collect();
        assert_eq!(keys, ["10", "2", "__proto__", "alpha", "zeta"]);
        assert_eq!(a.insert_label(Label::new("zeta", "x").unwrap()), Err(Error::InvalidInput("duplicate label key")));
    }

    #[test]
    fn label_character_sets() {
        for bad in ["a\u{202e}b", "tab\there", "ana@example.com", "é", "\u{200b}", "x\n"] {
            assert!(Label::new("k", bad).is_err(), "{bad:?}");
        }
        for bad in ["", "K", "a b", "ключ", &"k".repeat(33)] {
            assert!(Label::new(bad, "v").is_err(), "{bad:?}");
        }
        assert!(Label::new("page", "checkout/step-2 #3, plan=pro").is_ok());
        assert!(Label::new("k", &"v".repeat(65)).is_err());
    }

    #[test]
    fn decode_refuses_unsorted_or_duplicate_labels() {
        let mut m = Metadata::new(Role::Assistant, 0, 0).unwrap();
        m.insert_label(Label::new("a", "1").unwrap()).unwrap();
        m.insert_label(Label::new("b", "2").unwrap()).unwrap();
        let mut out = Vec::new();
        m.encode(&mut out).unwrap();
        let n = out.len();
        // Swap the two label keys in place: "a" <-> "b".
        let (ia, ib) = (n - 7, n - 3);
        out.swap(ia, ib);
        assert_eq!(Metadata::decode(&out), Err(Error::Malformed("metadata")));
        out[ia] = b'b';
        assert_eq!(Metadata::decode(&out), Err(Error::Malformed("metadata")));
    }

    #[test]
    fn subject_time_and_counts_roundtrip() {
        let mut m = Metadata::new(Role::Visitor, 1_800_000_059, 60).unwrap();
        assert_eq!(m.time, 1_800_000_000);
        m.subject = Some(Pseudonym::from_bytes([7; 16]));
        m.pii.set(PiiCategory::Email, 2);
        m.pii.set(PiiCategory::Secret, 1);
        assert_eq!(roundtrip(&m), m);
        assert!(Metadata::new(Role::Visitor, MAX_COUNTER + 1, 60).is_err());
        assert!(Metadata::new(Role::Visitor, 0, MAX_GRANULARITY_SECS + 1).is_err());
        m.time = 1;
        assert!(m.encode(&mut Vec::new()).is_err());
    }

    #[test]
    fn roles_per_direction() {
        use Direction::*;
        assert!(Role::Visitor.allowed_for(InitiatorToResponder));
        for r in [Role::Assistant, Role::Agent, Role::System] {
            assert!(!r.allowed_for(InitiatorToResponder));
            assert!(r.allowed_for(ResponderToInitiator));
        }
        assert!(!Role::Visitor.allowed_for(ResponderToInitiator));
    }
}
