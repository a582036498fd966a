//! Crypto-shredding (`SPEC.md` § 13.4): `forget` zeroizes every key of a session and returns a
//! record of what was deleted and what can still decrypt, with no secret in it.

use crate::ids::{Mode, SessionHandle, Side, KEY_ID_LEN};
use crate::kdf::{sha256, LABEL_DELETION};
use crate::session::Session;

/// Proof-of-deletion record returned by [`Session::forget`]: what was deleted, when, and what
/// could still decrypt, with no secret in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletionRecord {
    /// The session.
    pub handle: SessionHandle,
    /// Which end forgot.
    pub side: Side,
    /// Handshake mode.
    pub mode: Mode,
    /// Service key id (pinned) or zeros (mutual).
    pub key_id: [u8; KEY_ID_LEN],
    /// Epochs whose keys were zeroized.
    pub epochs_deleted: Vec<u32>,
    /// Number of 32-byte secrets zeroized (two traffic keys per epoch, the root, a pending
    /// rekeying secret).
    pub keys_deleted: usize,
    /// Deletion time, Unix seconds, as given by the caller.
    pub deleted_at: u64,
    /// What can still decrypt this session's envelopes after this deletion, honestly stated.
    pub residual: Vec<&'static str>,
}

/// Said of every session.
pub const RESIDUAL_BLOBS: &str = "any state blob of this session exported earlier holds its keys until the blob or its key-encryption key is destroyed";
/// Said of every session: the other end.
pub const RESIDUAL_PEER: &str = "the other end holds its own copy of the keys until it forgets the session too";
/// Said of pinned sessions.
pub const RESIDUAL_PINNED: &str = "turns sealed in epoch 0 (the visitor's turns before the service's first reply, normally one) remain derivable by the holder of the service key named by key_id until that key is retired";

impl DeletionRecord {
    /// SHA-256 of the record's canonical bytes (`SPEC.md` § 13.4), for an append-only audit log.
    pub fn digest(&self) -> [u8; 32] {
        let mut bytes = Vec::with_capacity(64 + 4 * self.epochs_deleted.len());
        bytes.extend_from_slice(self.handle.as_bytes());
        bytes.extend_from_slice(&[self.side.wire_id(), self.mode.wire_id()]);
        bytes.extend_from_slice(&self.key_id);
        bytes.extend_from_slice(&(self.epochs_deleted.len() as u32).to_be_bytes());
        for e in &self.epochs_deleted {
            bytes.extend_from_slice(&e.to_be_bytes());
        }
        bytes.extend_from_slice(&(self.keys_deleted as u64).to_be_bytes());
        bytes.extend_from_slice(&self.deleted_at.to_be_bytes());
        sha256(&[LABEL_DELETION, &bytes])
    }
}

impl Session {
    /// Crypto-shredding: zeroizes every key of this session and returns an audit record that holds
    /// no secret. `now_unix` is the deletion time to record.
    pub fn forget(self, now_unix: u64) -> DeletionRecord {
        let record = self.deletion_record(now_unix);
        drop(self); // epoch keys, the root and any rekeying secret zeroize on drop
        record
    }

    /// The record [`Session::forget`] returns, deleting nothing: for a caller that holds the
    /// session in a heap cell and drops it there, where it lies (moving it out first would copy
    /// its keys and leave the copy in the cell unwiped).
    pub fn deletion_record(&self, now_unix: u64) -> DeletionRecord {
        let mut residual = vec![RESIDUAL_BLOBS, RESIDUAL_PEER];
        if self.mode == Mode::Pinned {
            residual.push(RESIDUAL_PINNED);
        }
        DeletionRecord {
            handle: self.handle,
            side: self.side,
            mode: self.mode,
            key_id: self.key_id,
            epochs_deleted: self.epochs.numbers(),
            keys_deleted: self.epochs.secret_count(),
            deleted_at: now_unix,
            residual,
        }
    }
}
