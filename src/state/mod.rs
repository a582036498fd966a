//! Sealed session state (`SPEC.md` § 13.1): the whole state of a session sealed with
//! XChaCha20-Poly1305 under a caller's 32-byte key-encryption key (KEK), bound to its session,
//! side and generation, with an opaque extension section for the caller's own data (the PII
//! vault of `chatseal-pii`). Where it is stored is the caller's choice.

mod codec;
mod deletion;

pub use deletion::DeletionRecord;

use crate::clock::Clock;
use crate::encoding::Reader;
use crate::entropy::Entropy;
use crate::error::{Error, Result};
use crate::ids::{Kind, SessionHandle, Side, MAX_COUNTER};
use crate::primitives::{xchacha_open, xchacha_seal_detached, KEY_LEN, XNONCE_LEN};
use crate::session::Session;
use crate::wire::{prelude, prelude_bytes};
use zeroize::Zeroizing;

/// Largest state blob accepted (many epochs and a full PII vault fit well below).
pub const MAX_STATE_BLOB: usize = 4 * 1024 * 1024;
/// Length of the clear header that is the blob's associated data: prelude, handle, side,
/// generation, export id.
const CLEAR_LEN: usize = 5 + 16 + 1 + 8 + 16;

/// Options for [`Session::import_state`].
#[derive(Debug, Default)]
pub struct ImportOptions {
    /// Refuse blobs whose generation is below this (`stale_state`): pass the last generation the
    /// application saw exported, kept somewhere the stale copy did not come from.
    pub min_generation: u64,
    /// Randomness for the restored session (default: the OS).
    pub entropy: Entropy,
    /// Clock for the restored session's time-based rekeying (default: the system clock).
    pub clock: Clock,
}

/// What a state blob says of itself in clear (authenticated when it is opened, not before).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateInfo {
    /// The session the blob belongs to.
    pub handle: SessionHandle,
    /// Which end's state it is.
    pub side: Side,
    /// Number of exports of that session, this one included.
    pub generation: u64,
    /// 16 random bytes drawn at export: two exports with the same generation (two tabs, a fork)
    /// differ here.
    pub export_id: [u8; 16],
}

impl StateInfo {
    fn to_bytes(self) -> [u8; CLEAR_LEN] {
        let mut out = [0u8; CLEAR_LEN];
        let parts: [&[u8]; 5] = [
            &prelude_bytes(Kind::State),
            self.handle.as_bytes(),
            &[self.side.wire_id()],
            &self.generation.to_be_bytes(),
            &self.export_id,
        ];
        let mut at = 0;
        for part in parts {
            if let Some(dst) = out.get_mut(at..at + part.len()) {
                dst.copy_from_slice(part);
            }
            at += part.len();
        }
        out
    }
}

/// Reads a state blob's clear header without opening it (size, prelude and fields checked).
pub fn state_info(blob: &[u8]) -> Result<StateInfo> {
    Ok(parse_blob(blob)?.0)
}

fn parse_blob(blob: &[u8]) -> Result<(StateInfo, [u8; XNONCE_LEN], &[u8])> {
    if blob.len() > MAX_STATE_BLOB {
        return Err(Error::LimitExceeded("state blob larger than 4 MiB"));
    }
    let mut r = Reader::new(blob, "state blob");
    if prelude(&mut r)? != Kind::State {
        return Err(Error::Malformed("not a state blob"));
    }
    let info = StateInfo {
        handle: SessionHandle::from_bytes(r.array()?),
        side: Side::from_wire_id(r.u8()?)?,
        generation: r.u64()?,
        export_id: r.array()?,
    };
    let nonce = r.array()?;
    Ok((info, nonce, r.rest()))
}

fn seal_blob(kek: &[u8; KEY_LEN], entropy: &mut Entropy, info: StateInfo, state: &[u8]) -> Result<Vec<u8>> {
    let aad = info.to_bytes();
    let nonce: [u8; XNONCE_LEN] = entropy.array()?;
    let mut out = Zeroizing::new(Vec::with_capacity(CLEAR_LEN + XNONCE_LEN + state.len() + 16));
    out.extend_from_slice(&aad);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(state);
    let body = out.get_mut(CLEAR_LEN + XNONCE_LEN..).ok_or(Error::Malformed("state blob"))?;
    let tag = xchacha_seal_detached(kek, &nonce, &aad, body)?;
    out.extend_from_slice(&tag);
    Ok(core::mem::take(&mut *out))
}

/// Opens a blob: size, prelude, the expected session (before decrypting), then the AEAD.
fn open_blob(
    kek: &[u8; KEY_LEN],
    blob: &[u8],
    expected: Option<&SessionHandle>,
) -> Result<(StateInfo, Zeroizing<Vec<u8>>)> {
    let (info, nonce, sealed) = parse_blob(blob)?;
    if expected.is_some_and(|h| *h != info.handle) {
        return Err(Error::WrongSession);
    }
    let state = xchacha_open(kek, &nonce, &info.to_bytes(), sealed)?;
    Ok((info, state))
}

/// Re-seals a state blob under a new key-encryption key (KEK rotation): same clear header, fresh
/// nonce. Stored envelopes are untouched; the old KEK no longer opens the new blob.
pub fn rewrap_state(blob: &[u8], old_kek: &[u8; KEY_LEN], new_kek: &[u8; KEY_LEN]) -> Result<Vec<u8>> {
    let (info, state) = open_blob(old_kek, blob, None)?;
    seal_blob(new_kek, &mut Entropy::os(), info, &state)
}

impl Session {
    /// Exports the complete state sealed under `kek`. Each export raises the generation
    /// ([`Session::state_generation`]) so a later restore can tell a stale copy.
    pub fn export_state(&mut self, kek: &[u8; KEY_LEN]) -> Result<Vec<u8>> {
        self.export_state_with(kek, &[])
    }

    /// [`Session::export_state`] with `extension`: the caller's own bytes, sealed with the
    /// state and returned by [`Session::import_state_with`] (the core never reads them).
    pub fn export_state_with(&mut self, kek: &[u8; KEY_LEN], extension: &[u8]) -> Result<Vec<u8>> {
        let generation = self.generation.checked_add(1).filter(|g| *g <= MAX_COUNTER).ok_or(Error::CounterExhausted)?;
        let export_id: [u8; 16] = self.entropy.array()?;
        let state = codec::encode(self, generation, extension)?;
        if state.len() + CLEAR_LEN + XNONCE_LEN + 16 > MAX_STATE_BLOB {
            return Err(Error::LimitExceeded("state blob larger than 4 MiB"));
        }
        let info = StateInfo { handle: self.handle, side: self.side, generation, export_id };
        let blob = seal_blob(kek, &mut self.entropy, info, &state)?;
        self.generation = generation;
        Ok(blob)
    }

    /// Restores a session exported by [`Session::export_state`], refusing a blob of another
    /// session (`wrong_session`, before decrypting) or older than `min_generation`
    /// (`stale_state`). The restored session continues counters, replay window and chain exactly;
    /// sealing from a stale copy still never repeats a (key, nonce) pair because nonces are random
    /// (`SPEC.md` § 6.4). A blob with a non-empty extension is refused here (`bad_state`): use
    /// [`Session::import_state_with`].
    pub fn import_state(
        blob: &[u8],
        kek: &[u8; KEY_LEN],
        expected: &SessionHandle,
        options: ImportOptions,
    ) -> Result<Session> {
        let (session, extension) = Self::import_state_with(blob, kek, expected, options)?;
        if !extension.is_empty() {
            return Err(Error::State("the state blob carries an extension: import it with import_state_with"));
        }
        Ok(session)
    }

    /// [`Session::import_state`] that also returns the extension bytes.
    pub fn import_state_with(
        blob: &[u8],
        kek: &[u8; KEY_LEN],
        expected: &SessionHandle,
        options: ImportOptions,
    ) -> Result<(Session, Zeroizing<Vec<u8>>)> {
        let (info, state) = open_blob(kek, blob, Some(expected))?;
        if info.generation < options.min_generation {
            return Err(Error::StaleState);
        }
        codec::decode(&state, &info, options.entropy, options.clock)
    }
}
