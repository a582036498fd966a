//! The key schedule (`SPEC.md` § Key schedule). Every label carries the protocol version so that a
//! future version can never derive the same keys from the same inputs.

use crate::error::Result;
use crate::primitives::{hkdf_expand, hkdf_extract, KEY_LEN};
use crate::wire::{Mode, SessionId, KEY_ID_LEN, SUITE, VERSION};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

pub(crate) const LABEL_TRANSCRIPT: &[u8] = b"chatseal v1 transcript";
pub(crate) const LABEL_KEY_I2R: &[u8] = b"chatseal v1 key i2r";
pub(crate) const LABEL_KEY_R2I: &[u8] = b"chatseal v1 key r2i";
pub(crate) const LABEL_SAFETY: &[u8] = b"chatseal v1 safety code";
pub(crate) const LABEL_ROOT: &[u8] = b"chatseal v1 root";
pub(crate) const LABEL_KEY_ID: &[u8] = b"chatseal v1 key id";
pub(crate) const LABEL_COMMIT: &[u8] = b"chatseal v1 commit";
pub(crate) const LABEL_CHAIN: &[u8] = b"chatseal v1 chain";
pub(crate) const LABEL_HASHED_ID: &[u8] = b"chatseal v1 hashed id";

/// SHA-256 over length-free concatenation; every caller feeds fixed-length fields after a label,
/// so the encoding is unambiguous.
pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Everything both sides must agree on, hashed into the HKDF salt.
pub(crate) struct Transcript<'a> {
    pub mode: Mode,
    pub session_id: &'a SessionId,
    pub key_id: &'a [u8; KEY_ID_LEN],
    pub initiator_public: &'a [u8; KEY_LEN],
    pub responder_public: &'a [u8; KEY_LEN],
}

impl Transcript<'_> {
    pub(crate) fn hash(&self) -> [u8; 32] {
        sha256(&[
            LABEL_TRANSCRIPT,
            &[VERSION, SUITE, self.mode.wire_id()],
            self.session_id,
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

/// Epoch `number`'s keys and the next root from a pseudorandom key.
fn expand_epoch(prk: &[u8; KEY_LEN], number: u32) -> Result<(EpochKeys, Zeroizing<[u8; KEY_LEN]>)> {
    let mut keys = EpochKeys { number, i2r: [0; KEY_LEN], r2i: [0; KEY_LEN] };
    let epoch = number.to_be_bytes();
    hkdf_expand(prk, &[LABEL_KEY_I2R, &epoch].concat(), &mut keys.i2r)?;
    hkdf_expand(prk, &[LABEL_KEY_R2I, &epoch].concat(), &mut keys.r2i)?;
    let mut root = Zeroizing::new([0u8; KEY_LEN]);
    hkdf_expand(prk, &[LABEL_ROOT, &epoch].concat(), &mut *root)?;
    Ok((keys, root))
}

/// HKDF-Extract(salt = transcript hash, IKM = X25519 output), then one Expand per direction.
pub(crate) fn derive_epoch0(shared: &[u8; KEY_LEN], transcript: &Transcript<'_>) -> Result<Agreed> {
    let prk = hkdf_extract(&transcript.hash(), shared);
    let (keys, root) = expand_epoch(&prk, 0)?;
    let mut safety = [0u8; 8];
    hkdf_expand(&*prk, LABEL_SAFETY, &mut safety)?;
    Ok(Agreed { keys, root, safety })
}

/// Rekeying (`SPEC.md` § Rekeying): epoch n + 1 from epoch n's root and a fresh X25519 output
/// between new ephemeral keys of both ends.
pub(crate) fn derive_next_epoch(
    root: &[u8; KEY_LEN],
    shared: &[u8; KEY_LEN],
    number: u32,
) -> Result<(EpochKeys, Zeroizing<[u8; KEY_LEN]>)> {
    expand_epoch(&hkdf_extract(root, shared), number)
}

/// Formats the 64-bit safety value as 12 decimal digits in three groups (`"0123 4567 8901"`).
pub(crate) fn safety_code(value: &[u8; 8]) -> String {
    let n = u64::from_be_bytes(*value) % 1_000_000_000_000;
    let digits = Zeroizing::new(format!("{n:012}"));
    let (a, rest) = digits.split_at(4);
    let (b, c) = rest.split_at(4);
    format!("{a} {b} {c}")
}

/// The 8-byte id of a service public key: a truncated hash, so a widget configured with the wrong
/// id for a key cannot exist.
pub(crate) fn key_id(public: &[u8; KEY_LEN]) -> [u8; KEY_ID_LEN] {
    truncate(sha256(&[LABEL_KEY_ID, public]))
}

/// The first `N` bytes of a hash (`N` ≤ 32).
pub(crate) fn truncate<const N: usize>(hash: [u8; 32]) -> [u8; N] {
    let mut out = [0u8; N];
    out.iter_mut().zip(hash).for_each(|(o, h)| *o = h);
    out
}

/// Commitment to the initiator's ephemeral public key in the mutual mode offer.
pub(crate) fn commitment(session_id: &SessionId, initiator_public: &[u8; KEY_LEN]) -> [u8; 32] {
    sha256(&[LABEL_COMMIT, session_id, initiator_public])
}
