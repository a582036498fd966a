//! Key types. Secrets are zeroized on drop, have no `Clone` and no derived `Debug`; an ephemeral
//! secret is consumed by the one Diffie-Hellman it exists for.

use crate::entropy::Entropy;
use crate::error::{Error, Result};
use crate::ids::KEY_ID_LEN;
use crate::kdf::key_id;
use crate::primitives::{x25519, x25519_public, KEY_LEN};
use core::fmt;
use zeroize::Zeroizing;

/// A service's static X25519 key pair (the responder in pinned mode).
pub struct ServiceKeyPair {
    secret: Zeroizing<[u8; KEY_LEN]>,
    public: ServicePublicKey,
}

impl ServiceKeyPair {
    /// A fresh key pair from the OS CSPRNG.
    pub fn generate() -> Result<Self> {
        Self::generate_with(&mut Entropy::os())
    }

    /// A fresh key pair from `entropy`.
    pub fn generate_with(entropy: &mut Entropy) -> Result<Self> {
        let secret = Zeroizing::new(entropy.array::<KEY_LEN>()?);
        Self::from_secret_bytes(&*secret)
    }

    /// Loads a stored secret (32 bytes). Fails for the few secrets whose public key is unusable.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self> {
        let mut secret = Zeroizing::new([0u8; KEY_LEN]);
        if bytes.len() != KEY_LEN {
            return Err(Error::InvalidInput("service secret key must be 32 bytes"));
        }
        secret.copy_from_slice(bytes);
        let public = ServicePublicKey::from_bytes(&x25519_public(&secret))?;
        Ok(ServiceKeyPair { secret, public })
    }

    /// The secret bytes, to store in the service's own secret storage. Handle with care.
    pub fn expose_secret_bytes(&self) -> &[u8; KEY_LEN] {
        &self.secret
    }

    /// The public half, to pin in widgets.
    pub fn public_key(&self) -> &ServicePublicKey {
        &self.public
    }

    pub(crate) fn diffie_hellman(&self, peer: &[u8; KEY_LEN]) -> Result<Zeroizing<[u8; KEY_LEN]>> {
        x25519(&self.secret, peer)
    }
}

impl fmt::Debug for ServiceKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceKeyPair").field("public", &self.public).finish_non_exhaustive()
    }
}

/// A service's public key with its 8-byte key id (derived from the key, see `SPEC.md` § 4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePublicKey {
    bytes: [u8; KEY_LEN],
    key_id: [u8; KEY_ID_LEN],
}

impl ServicePublicKey {
    /// Parses 32 bytes, refusing small-order points (they would make every session key public).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bytes: [u8; KEY_LEN] = bytes.try_into().map_err(|_| Error::InvalidInput("public key must be 32 bytes"))?;
        // Clamped scalars are multiples of 8, so the result is zero exactly for small-order points.
        x25519(&[1; KEY_LEN], &bytes)?;
        Ok(ServicePublicKey { bytes, key_id: key_id(&bytes) })
    }

    /// The 32 public key bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    /// The key id that envelopes carry.
    pub fn key_id(&self) -> &[u8; KEY_ID_LEN] {
        &self.key_id
    }
}

/// A one-use X25519 secret. `diffie_hellman` takes it by value, so it cannot be used twice.
pub(crate) struct EphemeralSecret {
    secret: Zeroizing<[u8; KEY_LEN]>,
    public: [u8; KEY_LEN],
}

impl EphemeralSecret {
    pub(crate) fn generate(entropy: &mut Entropy) -> Result<Self> {
        let secret = Zeroizing::new(entropy.array::<KEY_LEN>()?);
        let public = x25519_public(&secret);
        Ok(EphemeralSecret { secret, public })
    }

    pub(crate) fn public(&self) -> &[u8; KEY_LEN] {
        &self.public
    }

    pub(crate) fn diffie_hellman(self, peer: &[u8; KEY_LEN]) -> Result<Zeroizing<[u8; KEY_LEN]>> {
        x25519(&self.secret, peer)
    }
}

impl fmt::Debug for EphemeralSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EphemeralSecret").finish_non_exhaustive()
    }
}

/// The offerer's ephemeral secret of a rekeying step. Unlike [`EphemeralSecret`] it is used by
/// reference: it must survive a tampered answer (a failed open changes nothing), and it is dropped,
/// zeroized, as soon as an authentic answer completes the step.
pub(crate) struct RekeySecret {
    secret: Zeroizing<[u8; KEY_LEN]>,
    public: [u8; KEY_LEN],
}

impl RekeySecret {
    pub(crate) fn generate(entropy: &mut Entropy) -> Result<Self> {
        Ok(Self::from_bytes(Zeroizing::new(entropy.array::<KEY_LEN>()?)))
    }

    pub(crate) fn from_bytes(secret: Zeroizing<[u8; KEY_LEN]>) -> Self {
        let public = x25519_public(&secret);
        RekeySecret { secret, public }
    }

    pub(crate) fn public(&self) -> &[u8; KEY_LEN] {
        &self.public
    }

    pub(crate) fn secret_bytes(&self) -> &[u8; KEY_LEN] {
        &self.secret
    }

    /// A Diffie-Hellman that leaves the secret in place: the pinned initiator's es step, and
    /// trying an answer that may turn out forged.
    pub(crate) fn agree(&self, peer: &[u8; KEY_LEN]) -> Result<Zeroizing<[u8; KEY_LEN]>> {
        x25519(&self.secret, peer)
    }
}

impl fmt::Debug for RekeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RekeySecret").finish_non_exhaustive()
    }
}
