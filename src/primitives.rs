//! Checked wrappers over the audited primitives: X25519 (x25519-dalek), HKDF-SHA256 (hkdf + sha2),
//! ChaCha20-Poly1305 and XChaCha20-Poly1305 (chacha20poly1305, the latter through `chatseal-aead`). Nothing here is hand-written crypto:
//! these functions pin the policy (non-contributory DH is an error, AEAD failure is one opaque error,
//! secrets come back in `Zeroizing`) so the protocol code cannot forget it.
//!
//! Public only with the `test-vectors` feature, for the Wycheproof and RFC tests.

use crate::error::{Error, Result};
#[cfg(feature = "test-vectors")]
use chacha20poly1305::aead::{AeadInOut, KeyInit};
#[cfg(feature = "test-vectors")]
use chacha20poly1305::ChaCha20Poly1305;
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

/// Length of an X25519 key or shared secret.
pub const KEY_LEN: usize = 32;
/// Length of a Poly1305 tag.
pub const TAG_LEN: usize = 16;
/// Length of an XChaCha20 nonce.
pub const XNONCE_LEN: usize = 24;
#[cfg(feature = "test-vectors")]
/// Length of a ChaCha20 (RFC 8439) nonce.
pub const NONCE_LEN: usize = 12;

/// X25519 public key of a secret scalar.
pub fn x25519_public(secret: &[u8; KEY_LEN]) -> [u8; KEY_LEN] {
    let s = x25519_dalek::StaticSecret::from(*secret);
    x25519_dalek::PublicKey::from(&s).to_bytes()
}

/// X25519(secret, public) per RFC 7748, refusing an all-zero (non-contributory) result.
pub fn x25519(secret: &[u8; KEY_LEN], public: &[u8; KEY_LEN]) -> Result<Zeroizing<[u8; KEY_LEN]>> {
    let s = x25519_dalek::StaticSecret::from(*secret);
    let shared = s.diffie_hellman(&x25519_dalek::PublicKey::from(*public));
    if !shared.was_contributory() {
        return Err(Error::NonContributory);
    }
    Ok(Zeroizing::new(shared.to_bytes()))
}

#[cfg(feature = "test-vectors")]
/// HKDF-SHA256 extract then expand (RFC 5869) into `out`. Fails only when `out` is longer than
/// 255 × 32 bytes.
pub fn hkdf_sha256(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) -> Result<()> {
    Hkdf::<Sha256>::new(Some(salt), ikm).expand(info, out).map_err(|_| Error::InvalidInput("hkdf output length"))
}

/// HKDF-SHA256 expand only, from a pseudorandom key of at least 32 bytes.
pub fn hkdf_expand(prk: &[u8], info: &[u8], out: &mut [u8]) -> Result<()> {
    Hkdf::<Sha256>::from_prk(prk)
        .map_err(|_| Error::InvalidInput("hkdf prk length"))?
        .expand(info, out)
        .map_err(|_| Error::InvalidInput("hkdf output length"))
}

/// HKDF-SHA256 extract only: the pseudorandom key.
pub fn hkdf_extract(salt: &[u8], ikm: &[u8]) -> Zeroizing<[u8; KEY_LEN]> {
    let (prk, _) = Hkdf::<Sha256>::extract(Some(salt), ikm);
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    out.copy_from_slice(&prk);
    out
}

#[cfg(feature = "test-vectors")]
/// Encrypts `buf` in place and appends the tag (XChaCha20-Poly1305).
pub fn xchacha_seal_in_place(
    key: &[u8; KEY_LEN],
    nonce: &[u8; XNONCE_LEN],
    aad: &[u8],
    buf: &mut Vec<u8>,
) -> Result<()> {
    let tag = xchacha_seal_detached(key, nonce, aad, buf)?;
    buf.extend_from_slice(&tag);
    Ok(())
}

/// Encrypts `buf` in place and returns the tag (XChaCha20-Poly1305). The cipher lives in the
/// `chatseal-aead` crate, which is built for speed while this crate is built for size.
pub fn xchacha_seal_detached(
    key: &[u8; KEY_LEN],
    nonce: &[u8; XNONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<[u8; TAG_LEN]> {
    chatseal_aead::seal(key, nonce, aad, buf).map_err(|_| Error::LimitExceeded("aead message length"))
}

/// Verifies and decrypts `ct || tag` (XChaCha20-Poly1305). Any failure is [`Error::DecryptFailed`].
pub fn xchacha_open(
    key: &[u8; KEY_LEN],
    nonce: &[u8; XNONCE_LEN],
    aad: &[u8],
    ct_and_tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let split = ct_and_tag.len().checked_sub(TAG_LEN).ok_or(Error::DecryptFailed)?;
    let (ct, tag) = ct_and_tag.split_at_checked(split).ok_or(Error::DecryptFailed)?;
    let tag: &[u8; TAG_LEN] = tag.try_into().map_err(|_| Error::DecryptFailed)?;
    let mut buf = Zeroizing::new(ct.to_vec());
    chatseal_aead::open(key, nonce, aad, &mut buf, tag).map_err(|_| Error::DecryptFailed)?;
    Ok(buf)
}

#[cfg(feature = "test-vectors")]
/// Encrypts `plaintext` and returns `ct || tag` (ChaCha20-Poly1305, RFC 8439).
pub fn chacha_seal(key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let cipher = ChaCha20Poly1305::new(key.into());
    let mut buf = plaintext.to_vec();
    let tag = cipher
        .encrypt_inout_detached(nonce.into(), aad, buf.as_mut_slice().into())
        .map_err(|_| Error::LimitExceeded("aead message length"))?;
    buf.extend_from_slice(&tag);
    Ok(buf)
}

#[cfg(feature = "test-vectors")]
/// Verifies and decrypts `ct || tag` (ChaCha20-Poly1305, RFC 8439).
pub fn chacha_open(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ct_and_tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let cipher = ChaCha20Poly1305::new(key.into());
    open_detached(&cipher, nonce.into(), aad, ct_and_tag)
}

#[cfg(feature = "test-vectors")]
fn open_detached<C: AeadInOut>(
    cipher: &C,
    nonce: &chacha20poly1305::aead::Nonce<C>,
    aad: &[u8],
    ct_and_tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let split = ct_and_tag.len().checked_sub(TAG_LEN).ok_or(Error::DecryptFailed)?;
    let (ct, tag) = ct_and_tag.split_at_checked(split).ok_or(Error::DecryptFailed)?;
    let tag = chacha20poly1305::aead::Tag::<C>::try_from(tag).map_err(|_| Error::DecryptFailed)?;
    let mut buf = Zeroizing::new(ct.to_vec());
    cipher.decrypt_inout_detached(nonce, aad, buf.as_mut_slice().into(), &tag).map_err(|_| Error::DecryptFailed)?;
    Ok(buf)
}
