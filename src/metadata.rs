//! Moderation-safe metadata (`SPEC.md` § Metadata): what a backend may read without keys.
//! It travels in clear but is authenticated as associated data, so it cannot be altered unseen.

use crate::category::PiiCategory;
use crate::error::{Error, Result};
use crate::kdf::{sha256, truncate, LABEL_HASHED_ID};
use crate::reader::Reader;
use serde::{Deserialize, Serialize};

/// Most labels per envelope.
pub const MAX_LABELS: usize = 8;
/// Longest label key, in bytes.
pub const MAX_LABEL_KEY: usize = 32;
/// Longest label value, in bytes.
pub const MAX_LABEL_VALUE: usize = 64;
/// Coarsest allowed time granularity: one day.
pub const MAX_GRANULARITY_SECS: u32 = 86_400;

/// Who wrote the turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The person using the widget.
    Visitor,
    /// An automated assistant behind the service.
    Assistant,
    /// A human agent.
    Agent,
    /// System notices (joins, transfers).
    System,
}

impl Role {
    pub(crate) fn wire_id(self) -> u8 {
        match self {
            Role::Visitor => 0,
            Role::Assistant => 1,
            Role::Agent => 2,
            Role::System => 3,
        }
    }

    pub(crate) fn from_wire_id(id: u8) -> Result<Self> {
        Ok(match id {
            0 => Role::Visitor,
            1 => Role::Assistant,
            2 => Role::Agent,
            3 => Role::System,
            _ => return Err(Error::Malformed("metadata role")),
        })
    }

    /// Parses `"visitor"`, `"assistant"`, `"agent"` or `"system"`.
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "visitor" => Role::Visitor,
            "assistant" => Role::Assistant,
            "agent" => Role::Agent,
            "system" => Role::System,
            _ => return Err(Error::InvalidInput("role")),
        })
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

/// An application label: a short key and a short value (e.g. a hashed id from [`hashed_id`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// 1–32 bytes of `[a-z0-9_.-]`.
    pub key: String,
    /// 0–64 bytes of UTF-8 without control characters.
    pub value: String,
}

impl Label {
    /// A validated label.
    pub fn new(key: &str, value: &str) -> Result<Self> {
        let key_ok = (1..=MAX_LABEL_KEY).contains(&key.len())
            && key.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-'));
        if !key_ok {
            return Err(Error::InvalidInput("label key"));
        }
        if value.len() > MAX_LABEL_VALUE || value.chars().any(char::is_control) {
            return Err(Error::InvalidInput("label value"));
        }
        Ok(Label { key: key.to_owned(), value: value.to_owned() })
    }
}

/// A pseudonymous id for a label value: base64url of the first 16 bytes of
/// SHA-256("chatseal v1 hashed id" ‖ len(salt) ‖ salt ‖ id). With a salt the backend does not
/// know, the backend can group turns by id without learning it.
pub fn hashed_id(salt: &[u8], id: &str) -> Result<String> {
    let salt_len = u8::try_from(salt.len()).map_err(|_| Error::InvalidInput("salt longer than 255 bytes"))?;
    let digest: [u8; 16] = truncate(sha256(&[LABEL_HASHED_ID, &[salt_len], salt, id.as_bytes()]));
    Ok(crate::wire::base64url_encode(&digest))
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
    /// PII counts per category (all zero when masking was off).
    pub pii: PiiCounts,
    /// Application labels, at most [`MAX_LABELS`], keys unique.
    pub labels: Vec<Label>,
}

impl Metadata {
    /// Metadata for `role` with the time coarsened from `now_unix` (seconds) to `granularity`.
    pub fn new(role: Role, now_unix: u64, granularity: u32) -> Result<Self> {
        if granularity > MAX_GRANULARITY_SECS {
            return Err(Error::InvalidInput("time granularity"));
        }
        let time = match u64::from(granularity) {
            0 => 0,
            g => now_unix - now_unix % g,
        };
        Ok(Metadata { role, time, time_granularity: granularity, pii: PiiCounts::default(), labels: Vec::new() })
    }

    /// Checks every rule of `SPEC.md` § 8 that a caller could break.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.time_granularity > MAX_GRANULARITY_SECS {
            return Err(Error::InvalidInput("time granularity"));
        }
        let g = u64::from(self.time_granularity);
        if (g == 0 && self.time != 0) || (g != 0 && self.time % g != 0) {
            return Err(Error::InvalidInput("time not coarsened"));
        }
        if self.labels.len() > MAX_LABELS {
            return Err(Error::LimitExceeded("too many labels"));
        }
        for (i, label) in self.labels.iter().enumerate() {
            Label::new(&label.key, &label.value)?;
            if self.labels.iter().take(i).any(|l| l.key == label.key) {
                return Err(Error::InvalidInput("duplicate label key"));
            }
        }
        Ok(())
    }

    /// Appends the wire encoding (`SPEC.md` § Metadata) after validating.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        self.validate()?;
        out.push(self.role.wire_id());
        out.extend_from_slice(&self.time_granularity.to_be_bytes());
        out.extend_from_slice(&self.time.to_be_bytes());
        let pii: Vec<_> = self.pii.iter().collect();
        out.push(pii.len() as u8); // at most 7
        for (category, count) in pii {
            out.push(category.wire_id());
            out.extend_from_slice(&count.to_be_bytes());
        }
        out.push(self.labels.len() as u8); // at most MAX_LABELS, checked above
        for label in &self.labels {
            out.push(label.key.len() as u8); // ≤ 32, checked above
            out.extend_from_slice(label.key.as_bytes());
            out.push(label.value.len() as u8); // ≤ 64, checked above
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
        let n_labels = r.u8()?;
        let mut labels = Vec::with_capacity(usize::from(n_labels).min(MAX_LABELS));
        for _ in 0..n_labels {
            let key_len = usize::from(r.u8()?);
            let key = core::str::from_utf8(r.take(key_len)?).map_err(|_| bad)?;
            let value_len = usize::from(r.u8()?);
            let value = core::str::from_utf8(r.take(value_len)?).map_err(|_| bad)?;
            labels.push(Label::new(key, value).map_err(|_| bad)?);
        }
        r.finish()?;
        let meta = Metadata { role, time, time_granularity, pii, labels };
        meta.validate().map_err(|_| bad)?;
        Ok(meta)
    }
}
