//! The key schedule and every hash of the protocol (`SPEC.md` § 4, § 5.3, § 7, § 13.2): labels,
//! handle and key id derivation, the transcript, epoch keys, chain links, pseudonyms. Every label
//! carries the protocol version, so a later version can never derive the same values.

use crate::error::Result;
use crate::ids::{Mode, SessionHandle, HANDLE_LEN, KEY_ID_LEN, PUBLIC_KEY_LEN, SUITE, VERSION};
use crate::primitives::{hkdf_expand, hkdf_extract, KEY_LEN};
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

pub(crate) const LABEL_TRANSCRIPT: &[u8] = b"chatseal v2 transcript";
pub(crate) const LABEL_KEY_I2R: &[u8] = b"chatseal v2 key i2r";
pub(crate) const LABEL_KEY_R2I: &[u8] = b"chatseal v2 key r2i";
pub(crate) const LABEL_SAFETY: &[u8] = b"chatseal v2 safety code";
pub(crate) const LABEL_ROOT: &[u8] = b"chatseal v2 root";
pub(crate) const LABEL_KEY_ID: &[u8] = b"chatseal v2 key id";
pub(crate) const LABEL_COMMIT: &[u8] = b"chatseal v2 commit";
pub(crate) const LABEL_HANDLE: &[u8] = b"chatseal v2 handle";
pub(crate) const LABEL_CHAIN: &[u8] = b"chatseal v2 chain";
pub(crate) const LABEL_PSEUDONYM: &[u8] = b"chatseal v2 pseudonym";
pub(crate) const LABEL_DELETION: &[u8] = b"chatseal v2 deletion record";

/// SHA-256 over the concatenation of `parts`. Every caller feeds a label and then fixed-length
/// fields (or one variable field last), so the concatenation is unambiguous.
pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The first `N` bytes of a hash (`N` ≤ 32).
pub(crate) fn truncate<const N: usize>(hash: [u8; 32]) -> [u8; N] {
    let mut out = [0u8; N];
    out.iter_mut().zip(hash).for_each(|(o, h)| *o = h);
    out
}

/// `C = H("chatseal v2 commit" ‖ E_i)`: the initiator's commitment to its ephemeral key.
pub(crate) fn commitment(initiator_public: &[u8; PUBLIC_KEY_LEN]) -> [u8; 32] {
    sha256(&[LABEL_COMMIT, initiator_public])
}

/// `handle = H("chatseal v2 handle" ‖ mode ‖ key_id ‖ C)[0..16]`: fixed by the initiator's
/// ephemeral key, so no one can choose a handle, and a hello can be checked against its handle.
pub(crate) fn session_handle(mode: Mode, key_id: &[u8; KEY_ID_LEN], commitment: &[u8; 32]) -> SessionHandle {
    SessionHandle::from_bytes(truncate::<HANDLE_LEN>(sha256(&[LABEL_HANDLE, &[mode.wire_id()], key_id, commitment])))
}

/// The 8-byte id of a service public key: a truncated hash, so a widget configured with the wrong
/// id for a key cannot exist.
pub(crate) fn key_id(public: &[u8; PUBLIC_KEY_LEN]) -> [u8; KEY_ID_LEN] {
    truncate(sha256(&[LABEL_KEY_ID, public]))
}

/// `link = H("chatseal v2 chain" ‖ associated data ‖ nonce ‖ tag)`: what the next envelope in a
/// direction commits to. The tag stands for the ciphertext (no one without the key can find
/// another ciphertext for it), so the cost is independent of the turn's length.
pub(crate) fn link(aad: &[u8], nonce: &[u8], tag: &[u8]) -> [u8; 32] {
    sha256(&[LABEL_CHAIN, aad, nonce, tag])
}

/// Everything both sides must agree on, hashed into the HKDF salt.
pub(crate) struct Transcript<'a> {
    pub mode: Mode,
    pub handle: &'a SessionHandle,
    pub key_id: &'a [u8; KEY_ID_LEN],
    pub initiator_public: &'a [u8; PUBLIC_KEY_LEN],
    pub responder_public: &'a [u8; PUBLIC_KEY_LEN],
}

impl Transcript<'_> {
    pub(crate) fn hash(&self) -> [u8; 32] {
        sha256(&[
            LABEL_TRANSCRIPT,
            &[VERSION, SUITE, self.mode.wire_id()],
            self.handle.as_bytes(),
            self.key_id,
            self.initiator_public,
            self.responder_public,
        ])
    }
}

/// The per-direction traffic keys of one epoch. Zeroized on drop, never cloned.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct EpochKeys {
    #[zeroize(skip)]
    pub number: u32,
    pub i2r: [u8; KEY_LEN],
    pub r2i: [u8; KEY_LEN],
}

/// What the handshake yields: epoch 0's keys, the root that later epochs grow from, and the
/// 64-bit value the safety code is formed from.
pub(crate) struct Agreed {
    pub keys: EpochKeys,
    pub root: Zeroizing<[u8; KEY_LEN]>,
    pub safety: [u8; 8],
}

fn info(label: &[u8], epoch: u32) -> [u8; 24] {
    let mut out = [0u8; 24];
    let (text, number) = out.split_at_mut(label.len().min(20));
    text.copy_from_slice(label.get(..text.len()).unwrap_or_default());
    number.get_mut(..4).unwrap_or_default().copy_from_slice(&epoch.to_be_bytes());
    out
}

/// Epoch `number`'s keys and root from a pseudorandom key. Every key label is 19 or 16 bytes
/// long; `info` writes label ‖ epoch without allocating.
fn expand_epoch(prk: &[u8; KEY_LEN], number: u32) -> Result<(EpochKeys, Zeroizing<[u8; KEY_LEN]>)> {
    let mut keys = EpochKeys { number, i2r: [0; KEY_LEN], r2i: [0; KEY_LEN] };
    let mut root = Zeroizing::new([0u8; KEY_LEN]);
    for (label, out) in [(LABEL_KEY_I2R, &mut keys.i2r), (LABEL_KEY_R2I, &mut keys.r2i), (LABEL_ROOT, &mut *root)] {
        let info = info(label, number);
        hkdf_expand(prk, info.get(..label.len() + 4).unwrap_or_default(), out)?;
    }
    Ok((keys, root))
}

/// HKDF-Extract(salt = transcript hash, IKM = X25519 output), then epoch 0 and the safety value.
pub(crate) fn derive_epoch0(shared: &[u8; KEY_LEN], transcript: &Transcript<'_>) -> Result<Agreed> {
    let prk = hkdf_extract(&transcript.hash(), shared);
    let (keys, root) = expand_epoch(&prk, 0)?;
    let mut safety = [0u8; 8];
    hkdf_expand(&*prk, LABEL_SAFETY, &mut safety)?;
    Ok(Agreed { keys, root, safety })
}

/// Epoch n + 1 from epoch n's root and a fresh X25519 output between new ephemeral keys of both
/// ends (`SPEC.md` § 13.2; also the pinned-mode forward-secrecy step, § 5.1).
pub(crate) fn derive_next_epoch(
    root: &[u8; KEY_LEN],
    shared: &[u8; KEY_LEN],
    number: u32,
) -> Result<(EpochKeys, Zeroizing<[u8; KEY_LEN]>)> {
    expand_epoch(&hkdf_extract(root, shared), number)
}

/// Formats the 64-bit safety value as 12 decimal digits in three groups (`"0123 4567 8901"`).
pub(crate) fn safety_code(value: &[u8; 8]) -> String {
    let mut n = u64::from_be_bytes(*value) % 1_000_000_000_000;
    let mut digits = [b'0'; 12];
    for d in digits.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let mut out = String::with_capacity(14);
    for (i, d) in digits.iter().enumerate() {
        if i == 4 || i == 8 {
            out.push(' ');
        }
        out.push(char::from(*d));
    }
    out
}

/// `HMAC-SHA256(key, "chatseal v2 pseudonym" ‖ id)[0..16]`.
pub(crate) fn pseudonym(key: &[u8; KEY_LEN], id: &[u8]) -> [u8; 16] {
    // A 32-byte key is always a valid HMAC key; the fallback never runs.
    let Ok(mut mac) = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key) else { return [0; 16] };
    mac.update(LABEL_PSEUDONYM);
    mac.update(id);
    truncate(mac.finalize().into_bytes().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safety_code_format() {
        assert_eq!(safety_code(&[0; 8]), "0000 0000 0000");
        assert_eq!(safety_code(&1_000_000_000_123u64.to_be_bytes()), "0000 0000 0123");
        assert_eq!(safety_code(&u64::MAX.to_be_bytes()), "0737 0955 1615");
    }

    #[test]
    fn info_is_label_then_epoch() {
        let i = info(LABEL_KEY_I2R, 0x01020304);
        assert_eq!(&i[..LABEL_KEY_I2R.len()], LABEL_KEY_I2R);
        assert_eq!(&i[LABEL_KEY_I2R.len()..LABEL_KEY_I2R.len() + 4], &[1, 2, 3, 4]);
        assert!(LABEL_KEY_I2R.len() <= 20 && LABEL_KEY_R2I.len() <= 20 && LABEL_ROOT.len() <= 20);
    }
}
