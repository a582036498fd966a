//! Pseudonymous subject ids (`SPEC.md` § 8.2): what a backend sees instead of a user id. Either
//! random per visitor (the widget keeps it), or an HMAC under a key only the service end holds,
//! handed to the widget inside the encrypted channel. Neither can be inverted by guessing ids.

use crate::encoding::{base64url_decode_max, base64url_encode};
use crate::entropy::Entropy;
use crate::error::{Error, Result};
use crate::kdf;
use crate::primitives::KEY_LEN;
use core::fmt;
use zeroize::Zeroizing;

/// Length of a pseudonym.
pub const PSEUDONYM_LEN: usize = 16;

/// 16 bytes standing for a visitor in metadata; text form: 22 base64url characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pseudonym([u8; PSEUDONYM_LEN]);

impl Pseudonym {
    /// A fresh random pseudonym (for an anonymous visitor; keep it to use it again).
    pub fn random() -> Result<Self> {
        Self::random_with(&mut Entropy::os())
    }

    /// A fresh random pseudonym from `entropy`.
    pub fn random_with(entropy: &mut Entropy) -> Result<Self> {
        Ok(Pseudonym(entropy.array()?))
    }

    /// The pseudonym with these bytes.
    pub const fn from_bytes(bytes: [u8; PSEUDONYM_LEN]) -> Self {
        Pseudonym(bytes)
    }

    /// The 16 bytes.
    pub const fn as_bytes(&self) -> &[u8; PSEUDONYM_LEN] {
        &self.0
    }

    /// 22 base64url characters.
    pub fn to_text(&self) -> String {
        base64url_encode(&self.0)
    }

    /// Parses the 22-character text form (`invalid_input` otherwise).
    pub fn from_text(text: &str) -> Result<Self> {
        let bad = Error::InvalidInput("pseudonym must be 22 base64url characters");
        let bytes = base64url_decode_max(text, PSEUDONYM_LEN).map_err(|_| bad)?;
        Ok(Pseudonym(bytes.try_into().map_err(|_| bad)?))
    }
}

impl fmt::Debug for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pseudonym({})", self.to_text())
    }
}

/// The service end's pseudonym key: `HMAC-SHA256(key, "chatseal v2 pseudonym" ‖ id)[0..16]`.
/// Only its holder can map a user id to its pseudonym, so a backend holding the stored metadata
/// cannot test guesses. Keep it with the service's secrets, never in the widget.
pub struct PseudonymKey(Zeroizing<[u8; KEY_LEN]>);

impl PseudonymKey {
    /// A fresh key from the OS CSPRNG.
    pub fn generate() -> Result<Self> {
        Ok(PseudonymKey(Zeroizing::new(Entropy::os().array()?)))
    }

    /// Loads a stored 32-byte key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let key: [u8; KEY_LEN] = bytes.try_into().map_err(|_| Error::InvalidInput("pseudonym key must be 32 bytes"))?;
        Ok(PseudonymKey(Zeroizing::new(key)))
    }

    /// The key bytes, to store in the service's secret storage.
    pub fn expose_secret_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The pseudonym of `id` (an account id, an e-mail address, ...).
    pub fn pseudonym(&self, id: &[u8]) -> Pseudonym {
        Pseudonym(kdf::pseudonym(&self.0, id))
    }
}

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PseudonymKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_pseudonyms_are_stable_and_key_dependent() {
        let a = PseudonymKey::from_bytes(&[1; 32]).unwrap();
        let b = PseudonymKey::from_bytes(&[2; 32]).unwrap();
        assert_eq!(a.pseudonym(b"ana@example.com"), a.pseudonym(b"ana@example.com"));
        assert_ne!(a.pseudonym(b"ana@example.com"), b.pseudonym(b"ana@example.com"));
        assert_ne!(a.pseudonym(b"ana@example.com"), a.pseudonym(b"bob@example.com"));
        let p = a.pseudonym(b"x");
        assert_eq!(Pseudonym::from_text(&p.to_text()).unwrap(), p);
        assert_eq!(p.to_text().len(), 22);
        assert!(Pseudonym::from_text("short").is_err());
        assert!(PseudonymKey::from_bytes(&[0; 31]).is_err());
        assert_eq!(format!("{a:?}"), "PseudonymKey(..)");
    }
}
