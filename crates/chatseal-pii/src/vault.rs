//! The session's placeholder vault: which original value stands behind `[EMAIL_1]`. It lives
//! only on the client (wasm memory, and the sealed session state), so replies can be shown
//! with the real values filled back in while the service never sees them.

use core::fmt;
use core::hash::{BuildHasher, Hash, Hasher};
use std::collections::hash_map::RandomState;
use std::collections::HashMap;

use zeroize::Zeroizing;

use super::mask::{assemble, Masked};
use super::restore::{self, Restored};
use super::{placeholder, slot, MaskMode, MaskPolicy};
use crate::{Error, PiiCategory, Result};

/// Most values one vault holds (all categories together).
pub const MAX_VAULT_ENTRIES: usize = 4096;
/// Most bytes of values one vault holds (all values together).
pub const MAX_VAULT_BYTES: usize = 1024 * 1024;

/// Version byte of [`Vault::to_bytes`].
const FORMAT_VERSION: u8 = 1;

struct Entry {
    category: PiiCategory,
    /// The `n` of `[TAG_n]`.
    number: usize,
    value: Zeroizing<String>,
}

/// Placeholder ↔ original value map of one session.
///
/// Numbers are per category and stable: the same (category, exact value) always gets the same
/// `[TAG_n]`, a new value the next number. Values are zeroized when the vault is dropped (and
/// when a failed [`Vault::mask`] rolls back). No `Clone`; `Debug` shows entry counts only.
///
/// Limits: [`MAX_VAULT_ENTRIES`] values and [`MAX_VAULT_BYTES`] bytes of values; a mask call
/// that would pass either fails with [`Error::LimitExceeded`] and leaves the vault unchanged.
pub struct Vault {
    entries: Vec<Entry>,
    /// Entry indices per category; the number of an entry is its position here plus one.
    numbered: [Vec<u32>; 7],
    /// Hash of (category, value) to entry indices. Holds no value, only fingerprints.
    index: HashMap<u64, Vec<u32>>,
    hasher: RandomState,
    bytes: usize,
}

impl Default for Vault {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Vault");
        for category in PiiCategory::ALL {
            s.field(category.name(), &self.numbered.get(slot(category)).map_or(0, Vec::len));
        }
        s.finish()
    }
}

impl Vault {
    /// An empty vault.
    pub fn new() -> Self {
        Vault {
            entries: Vec::new(),
            numbered: Default::default(),
            index: HashMap::new(),
            hasher: RandomState::new(),
            bytes: 0,
        }
    }

    /// Number of values held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Holds no value.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Scans `text` and masks each finding as `policy` says, numbering new values.
    ///
    /// Errors: [`Error::LimitExceeded`] for text over [`MAX_SCAN_BYTES`](super::MAX_SCAN_BYTES) or
    /// a vault that would pass its limits (the vault is then left as it was).
    pub fn mask(&mut self, text: &str, policy: &MaskPolicy) -> Result<Masked> {
        let findings = super::scan_with(text, policy)?;
        let mark = self.entries.len();
        let result = assemble(text, findings, |f, value| {
            Ok(match policy.mode(f.category) {
                MaskMode::Keep => None,
                MaskMode::TypeOnly => Some(placeholder::type_only(f.category)),
                MaskMode::Partial if f.category == PiiCategory::Card => Some(placeholder::partial_card(value)),
                MaskMode::Partial => Some(placeholder::type_only(f.category)),
                MaskMode::Numbered => Some(placeholder::numbered(f.category, self.number_for(f.category, value)?)),
            })
        });
        if result.is_err() {
            self.truncate(mark);
        }
        result
    }

    /// Fills every `[TAG_n]` placeholder this vault knows with its value, except where the
    /// reply would carry it off when rendered: inside a URL, a Markdown link or image target, an
    /// HTML tag or attribute value, or an autolink. Those stay masked and are listed in
    /// [`Restored::withheld`] (see `restore.rs`). Unknown placeholders and all other text stay
    /// as they are. Linear in `text`. A user who typed a literal `[EMAIL_1]` gets it replaced
    /// too: placeholders are recognised by their text.
    pub fn restore(&self, text: &str) -> Restored {
        restore::restore(text, |category, n| self.value(category, n))
    }

    /// The value behind `[TAG_n]`, if this vault numbered it.
    pub fn value(&self, category: PiiCategory, n: usize) -> Option<&str> {
        let idx = *self.numbered.get(slot(category))?.get(n.checked_sub(1)?)?;
        self.entries.get(idx as usize).map(|e| e.value.as_str())
    }

    /// Serializes the vault for the sealed session state (zeroized when dropped).
    ///
    /// Format, version 1: `0x01`, entry count (u32, big-endian like every chatseal integer), then per entry in numbering order the
    /// category wire id (u8), value length (u32) and UTF-8 value. Numbers are implied by order.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let size = 5 + self.entries.iter().map(|e| 5 + e.value.len()).sum::<usize>();
        // Exact capacity: a reallocation would leave an unzeroized copy behind.
        let mut out = Zeroizing::new(Vec::with_capacity(size));
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&u32::try_from(self.entries.len()).unwrap_or(u32::MAX).to_be_bytes());
        for e in &self.entries {
            out.push(e.category.wire_id());
            out.extend_from_slice(&u32::try_from(e.value.len()).unwrap_or(u32::MAX).to_be_bytes());
            out.extend_from_slice(e.value.as_bytes());
        }
        out
    }

    /// Reads [`Vault::to_bytes`] output. Strict: unknown version → [`Error::UnsupportedVersion`];
    /// bad category, length, UTF-8, empty or duplicate value, trailing bytes → [`Error::Malformed`];
    /// more than the vault limits → [`Error::LimitExceeded`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Vault> {
        let (&version, rest) = bytes.split_first().ok_or(Error::Malformed("pii vault: empty"))?;
        if version != FORMAT_VERSION {
            return Err(Error::UnsupportedVersion);
        }
        let (count, mut rest) = read_u32(rest)?;
        if count > MAX_VAULT_ENTRIES {
            return Err(Error::LimitExceeded("pii vault entries"));
        }
        let mut vault = Vault::new();
        for _ in 0..count {
            let (&id, after) = rest.split_first().ok_or(Error::Malformed("pii vault: truncated"))?;
            let category = PiiCategory::from_wire_id(id).ok_or(Error::Malformed("pii vault: category"))?;
            let (len, after) = read_u32(after)?;
            let (value, after) = after.split_at_checked(len).ok_or(Error::Malformed("pii vault: truncated"))?;
            let value = core::str::from_utf8(value).map_err(|_| Error::Malformed("pii vault: value encoding"))?;
            if value.is_empty() || vault.find(category, value).is_some() {
                return Err(Error::Malformed("pii vault: empty or duplicate value"));
            }
            vault.insert(category, value)?;
            rest = after;
        }
        if !rest.is_empty() {
            return Err(Error::Malformed("pii vault: trailing bytes"));
        }
        Ok(vault)
    }

    fn fingerprint(&self, category: PiiCategory, value: &str) -> u64 {
        let mut h = self.hasher.build_hasher();
        category.hash(&mut h);
        value.hash(&mut h);
        h.finish()
    }

    /// Entry index of (category, value), if held.
    fn find(&self, category: PiiCategory, value: &str) -> Option<u32> {
        let candidates = self.index.get(&self.fingerprint(category, value))?;
        candidates.iter().copied().find(|&i| {
            self.entries.get(i as usize).is_some_and(|e| e.category == category && e.value.as_str() == value)
        })
    }

    /// The number of (category, value), numbering it if new.
    fn number_for(&mut self, category: PiiCategory, value: &str) -> Result<usize> {
        let idx = match self.find(category, value) {
            Some(i) => i,
            None => self.insert(category, value)?,
        };
        self.entries.get(idx as usize).map(|e| e.number).ok_or(Error::InvalidInput("pii vault entry"))
    }

    fn insert(&mut self, category: PiiCategory, value: &str) -> Result<u32> {
        if self.entries.len() >= MAX_VAULT_ENTRIES {
            return Err(Error::LimitExceeded("pii vault entries"));
        }
        if self.bytes + value.len() > MAX_VAULT_BYTES {
            return Err(Error::LimitExceeded("pii vault bytes"));
        }
        let idx = u32::try_from(self.entries.len()).map_err(|_| Error::LimitExceeded("pii vault entries"))?;
        let key = self.fingerprint(category, value);
        let list = self.numbered.get_mut(slot(category)).ok_or(Error::InvalidInput("pii category"))?;
        list.push(idx);
        let number = list.len();
        self.entries.push(Entry { category, number, value: Zeroizing::new(value.to_owned()) });
        self.index.entry(key).or_default().push(idx);
        self.bytes += value.len();
        Ok(idx)
    }

    /// Drops (and zeroizes) every entry from index `len` on.
    pub(crate) fn truncate(&mut self, len: usize) {
        while self.entries.len() > len {
            let Some(e) = self.entries.pop() else { break };
            let idx = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
            let key = self.fingerprint(e.category, &e.value);
            if let Some(list) = self.index.get_mut(&key) {
                list.retain(|&i| i != idx);
                if list.is_empty() {
                    self.index.remove(&key);
                }
            }
            // Entries are appended, so the ones rolled back are the last of their category.
            if let Some(list) = self.numbered.get_mut(slot(e.category)) {
                list.pop();
            }
            self.bytes -= e.value.len();
        }
    }
}

fn read_u32(b: &[u8]) -> Result<(usize, &[u8])> {
    let (head, rest) = b.split_at_checked(4).ok_or(Error::Malformed("pii vault: truncated"))?;
    let mut word = [0u8; 4];
    word.copy_from_slice(head);
    let n = usize::try_from(u32::from_be_bytes(word)).map_err(|_| Error::Malformed("pii vault: length"))?;
    Ok((n, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_stable_per_value() {
        let mut v = Vault::new();
        let p = MaskPolicy::new();
        let a = v.mask("mail a@x.com and b@x.com", &p).unwrap();
        assert_eq!(a.text, "mail [EMAIL_1] and [EMAIL_2]");
        let b = v.mask("again b@x.com, a@x.com, c@x.com, a@x.com", &p).unwrap();
        assert_eq!(b.text, "again [EMAIL_2], [EMAIL_1], [EMAIL_3], [EMAIL_1]");
        assert_eq!(v.len(), 3);
        assert_eq!(
            *v.restore("hi [EMAIL_3] [EMAIL_9] [PHONE_1] [EMAIL_1").text,
            "hi c@x.com [EMAIL_9] [PHONE_1] [EMAIL_1"
        );
        assert_eq!(format!("{v:?}"), "Vault { card: 0, email: 3, phone: 0, ssn: 0, iban: 0, ip: 0, secret: 0 }");
    }

    #[test]
    fn modes() {
        let mut v = Vault::new();
        let p = MaskPolicy::from_names(&[("card", "partial"), ("email", "type"), ("ip", "keep")]).unwrap();
        let m = v.mask("4111 1111 1111 1111 / a@x.com / 10.0.0.1 / +1 415 555 2671", &p).unwrap();
        assert_eq!(m.text, "[CARD ****1111] / [EMAIL] / 10.0.0.1 / [PHONE_1]");
        let counts: Vec<u16> = PiiCategory::ALL.iter().map(|&c| m.counts.get(c)).collect();
        assert_eq!(counts, [1, 1, 1, 0, 0, 1, 0]);
        assert_eq!(v.len(), 1);
        for (f, &(s, e)) in m.findings.iter().zip(&m.masked_spans) {
            assert!(e > s, "{f:?}");
        }
        assert_eq!(&m.text[m.masked_spans[3].0..m.masked_spans[3].1], "[PHONE_1]");
        assert!(!format!("{m:?}").contains("10.0.0.1"));
    }

    #[test]
    fn bytes_round_trip_and_strictness() {
        let mut v = Vault::new();
        v.mask("a@x.com 4111111111111111 b@x.com", &MaskPolicy::new()).unwrap();
        let bytes = v.to_bytes();
        let w = Vault::from_bytes(&bytes).unwrap();
        assert_eq!(w.len(), 3);
        assert_eq!(*w.restore("[EMAIL_2] [CARD_1]").text, "b@x.com 4111111111111111");
        assert_eq!(&*w.to_bytes(), &*bytes);

        assert_eq!(Vault::from_bytes(&[]).unwrap_err(), Error::Malformed("pii vault: empty"));
        assert_eq!(Vault::from_bytes(&[2, 0, 0, 0, 0]).unwrap_err(), Error::UnsupportedVersion);
        let mut extra = bytes.to_vec();
        extra.push(0);
        assert!(matches!(Vault::from_bytes(&extra), Err(Error::Malformed(_))));
        assert!(matches!(Vault::from_bytes(&bytes[..bytes.len() - 1]), Err(Error::Malformed(_))));
        let mut bad_cat = bytes.to_vec();
        bad_cat[5] = 9;
        assert!(matches!(Vault::from_bytes(&bad_cat), Err(Error::Malformed(_))));
        let dup = [1, 0, 0, 0, 2, 2, 0, 0, 0, 1, b'a', 2, 0, 0, 0, 1, b'a'];
        assert!(matches!(Vault::from_bytes(&dup), Err(Error::Malformed(_))));
        let utf = [1, 0, 0, 0, 1, 2, 0, 0, 0, 1, 0xff];
        assert!(matches!(Vault::from_bytes(&utf), Err(Error::Malformed(_))));
        assert_eq!(Vault::from_bytes(&[1, 0, 0, 0xff, 0xff]).unwrap_err(), Error::LimitExceeded("pii vault entries"));
        assert_eq!(Vault::from_bytes(&[1, 0, 0, 0, 0]).unwrap().len(), 0);
    }

    #[test]
    fn full_vault_rolls_back() {
        let mut v = Vault::new();
        let p = MaskPolicy::new();
        let text: String = (0..MAX_VAULT_ENTRIES - 1).map(|i| format!("u{i}@x.com ")).collect();
        v.mask(&text, &p).unwrap();
        assert_eq!(v.len(), MAX_VAULT_ENTRIES - 1);
        let err = v.mask("new1@x.com new2@x.com u1@x.com", &p).unwrap_err();
        assert_eq!(err, Error::LimitExceeded("pii vault entries"));
        assert_eq!(v.len(), MAX_VAULT_ENTRIES - 1);
        assert_eq!(v.mask("u1@x.com", &p).unwrap().text, "[EMAIL_2]");
        assert_eq!(v.mask("last@x.com", &p).unwrap().text, format!("[EMAIL_{MAX_VAULT_ENTRIES}]"));
        // Type-only masking needs no room.
        let t = MaskPolicy::uniform(MaskMode::TypeOnly).unwrap();
        assert_eq!(v.mask("more@x.com", &t).unwrap().text, "[EMAIL]");
    }
}
