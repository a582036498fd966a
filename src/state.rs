//! Sealed session state (`SPEC.md` § 13.1) and crypto-shredding (§ 13.4).
//!
//! The blob is the whole state of a session (keys of every held epoch, counters, replay window,
//! chain, pending rekeying, PII vault) sealed with XChaCha20-Poly1305 under a caller's 32-byte
//! key-encryption key. Where it is stored is the caller's choice.

use crate::entropy::Entropy;
use crate::error::{Error, Result};
use crate::kdf::{sha256, EpochKeys};
use crate::keys::RekeySecret;
use crate::primitives::{xchacha_open, xchacha_seal_detached, KEY_LEN, XNONCE_LEN};
use crate::reader::Reader;
use crate::session::{Parts, RekeyPolicy, RekeyState, Session, Side};
use crate::window::ReplayWindow;
use crate::wire::{prelude, Hello, Kind, Mode, SessionId, KEY_ID_LEN, MAGIC, SUITE, VERSION};
use zeroize::Zeroizing;

const STATE_FORMAT: u8 = 1;
const PRELUDE: [u8; 5] = [MAGIC[0], MAGIC[1], VERSION, SUITE, Kind::State as u8];
/// Largest state blob accepted (many epochs and a full vault fit well below).
pub const MAX_STATE_BLOB: usize = 4 * 1024 * 1024;

/// Options for [`Session::import_state`].
#[derive(Debug, Default)]
pub struct ImportOptions {
    /// Refuse blobs whose generation is below this (`stale_state`): pass the last generation the
    /// application saw exported, kept somewhere the stale copy did not come from.
    pub min_generation: u64,
    /// Randomness for the restored session (default: the OS).
    pub entropy: Entropy,
}

fn seal_blob(kek: &[u8; KEY_LEN], entropy: &mut Entropy, state: &[u8]) -> Result<Vec<u8>> {
    let nonce: [u8; XNONCE_LEN] = entropy.array()?;
    let mut out = Vec::with_capacity(PRELUDE.len() + XNONCE_LEN + state.len() + 16);
    out.extend_from_slice(&PRELUDE);
    out.extend_from_slice(&nonce);
    let at = out.len();
    out.extend_from_slice(state);
    let (aad, body) = out.split_at_mut(at);
    let prelude = aad.get(..PRELUDE.len()).ok_or(Error::Malformed("state blob"))?;
    let tag = xchacha_seal_detached(kek, &nonce, prelude, body)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

fn open_blob(kek: &[u8; KEY_LEN], blob: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if blob.len() > MAX_STATE_BLOB {
        return Err(Error::LimitExceeded("state blob larger than 4 MiB"));
    }
    let mut r = Reader::new(blob, "state blob");
    if prelude(&mut r)? != Kind::State {
        return Err(Error::Malformed("not a state blob"));
    }
    let nonce = r.array()?;
    xchacha_open(kek, &nonce, &PRELUDE, r.rest())
}

/// Re-seals a state blob under a new key-encryption key (KEK rotation). Stored envelopes are
/// untouched; the old KEK no longer opens the new blob.
pub fn rewrap_state(blob: &[u8], old_kek: &[u8; KEY_LEN], new_kek: &[u8; KEY_LEN]) -> Result<Vec<u8>> {
    let state = open_blob(old_kek, blob)?;
    seal_blob(new_kek, &mut Entropy::os(), &state)
}

impl Session {
    /// Exports the complete state sealed under `kek`. Each export raises the generation
    /// ([`Session::state_generation`]) so a later restore can tell a stale copy.
    pub fn export_state(&mut self, kek: &[u8; KEY_LEN]) -> Result<Vec<u8>> {
        let before = self.state_generation();
        self.bump_generation()?;
        let state = encode(self.parts());
        let sealed = seal_blob(kek, self.entropy(), &state);
        if sealed.is_err() {
            self.set_generation(before);
        }
        sealed
    }

    /// Restores a session exported by [`Session::export_state`]. The restored session continues
    /// counters, replay window and chain exactly; sealing from a stale copy still never repeats a
    /// (key, nonce) pair because nonces are random (`SPEC.md` § 6.1).
    pub fn import_state(blob: &[u8], kek: &[u8; KEY_LEN], options: ImportOptions) -> Result<Session> {
        let state = open_blob(kek, blob)?;
        let parts = decode(&state)?;
        if parts.generation < options.min_generation {
            return Err(Error::StaleState);
        }
        Ok(Session::from_parts(parts, options.entropy))
    }

    /// Crypto-shredding: zeroizes every key of this session and returns an audit record that holds
    /// no secret. `now_unix` is the deletion time to record.
    pub fn forget(self, now_unix: u64) -> DeletionRecord {
        let p = self.parts();
        let epochs: Vec<u32> = p.epochs.iter().map(|e| e.number).collect();
        let mut residual = vec!["any exported state blob of this session holds these keys until the blob or its key-encryption key is destroyed"];
        if p.mode == Mode::Pinned && epochs.contains(&0) {
            residual.push(
                "epoch 0 remains derivable by the holder of the service key named by key_id until that key is retired",
            );
        }
        let record = DeletionRecord {
            session_id: p.session_id,
            side: p.side,
            mode: p.mode,
            key_id: p.key_id,
            epochs_deleted: epochs,
            keys_deleted: 2 * p.epochs.len() + 1 + usize::from(matches!(p.rekey, RekeyState::Offered(_))),
            pii_values_deleted: 0,
            deleted_at: now_unix,
            residual,
        };
        drop(self); // EpochKeys, the root, any rekey secret and the vault zeroize on drop.
        record
    }
}

/// Proof-of-deletion record returned by [`Session::forget`]: what was deleted, when, and what
/// could still decrypt, with no secret in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletionRecord {
    /// Session id.
    pub session_id: SessionId,
    /// Which end forgot.
    pub side: Side,
    /// Handshake mode.
    pub mode: Mode,
    /// Service key id (pinned) or zeros (mutual).
    pub key_id: [u8; KEY_ID_LEN],
    /// Epochs whose keys were zeroized.
    pub epochs_deleted: Vec<u32>,
    /// Number of 32-byte secrets zeroized (two traffic keys per epoch, the root, a pending rekey secret).
    pub keys_deleted: usize,
    /// Number of original PII values zeroized with the session's vault.
    pub pii_values_deleted: usize,
    /// Deletion time, Unix seconds, as given by the caller.
    pub deleted_at: u64,
    /// What can still decrypt this session's envelopes after this deletion, honestly stated.
    pub residual: Vec<&'static str>,
}

impl DeletionRecord {
    /// SHA-256 of a canonical rendering, for an append-only audit log.
    pub fn digest(&self) -> [u8; 32] {
        let text = format!("{self:?}");
        sha256(&[b"chatseal v1 deletion record", text.as_bytes()])
    }
}

fn side_id(side: Side) -> u8 {
    match side {
        Side::Initiator => 0,
        Side::Responder => 1,
    }
}

/// The state plaintext (`SPEC.md` § 13.1 table).
fn encode(p: &Parts) -> Zeroizing<Vec<u8>> {
    let mut o = Zeroizing::new(Vec::with_capacity(2048));
    o.push(STATE_FORMAT);
    o.push(side_id(p.side));
    o.push(p.mode.wire_id());
    o.extend_from_slice(&p.session_id);
    o.extend_from_slice(&p.key_id);
    o.extend_from_slice(&p.safety);
    o.extend_from_slice(&p.generation.to_be_bytes());
    o.extend_from_slice(&p.time_granularity.to_be_bytes());
    o.extend_from_slice(&p.policy.every_turns.to_be_bytes());
    o.push(u8::from(p.policy.keep_old_epochs));
    match &p.hello {
        None => o.push(0),
        Some(h) => {
            o.push(1);
            o.push(h.mode.wire_id());
            o.extend_from_slice(&h.key_id);
            o.extend_from_slice(&h.initiator_public);
        }
    }
    match &p.rekey {
        RekeyState::Idle => o.push(0),
        RekeyState::Offered(secret) => {
            o.push(1);
            o.extend_from_slice(secret.secret_bytes());
        }
        RekeyState::Answered { offer, answer } => {
            o.push(2);
            o.extend_from_slice(offer);
            o.extend_from_slice(answer);
        }
    }
    o.extend_from_slice(&*p.root);
    o.extend_from_slice(&p.send_epoch.to_be_bytes());
    o.extend_from_slice(&p.sent_in_epoch.to_be_bytes());
    o.extend_from_slice(&p.send_seq.to_be_bytes());
    o.extend_from_slice(&p.send_prev);
    p.window.encode(&mut o);
    o.extend_from_slice(&(p.epochs.len() as u32).to_be_bytes());
    for e in &p.epochs {
        o.extend_from_slice(&e.number.to_be_bytes());
        o.extend_from_slice(&e.i2r);
        o.extend_from_slice(&e.r2i);
    }
    o.extend_from_slice(&0u32.to_be_bytes());
    o
}

fn decode(bytes: &[u8]) -> Result<Parts> {
    let bad = Error::Malformed("state");
    let mut r = Reader::new(bytes, "state");
    if r.u8()? != STATE_FORMAT {
        return Err(Error::UnsupportedVersion);
    }
    let side = match r.u8()? {
        0 => Side::Initiator,
        1 => Side::Responder,
        _ => return Err(bad),
    };
    let mode = Mode::from_wire_id(r.u8()?)?;
    let session_id = r.array()?;
    let key_id: [u8; KEY_ID_LEN] = r.array()?;
    let safety = r.array()?;
    let generation = r.u64()?;
    let time_granularity = r.u32()?;
    let policy = RekeyPolicy {
        every_turns: r.u32()?,
        keep_old_epochs: match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(bad),
        },
    };
    let hello = match r.u8()? {
        0 => None,
        1 => Some(Hello { mode: Mode::from_wire_id(r.u8()?)?, key_id: r.array()?, initiator_public: r.array()? }),
        _ => return Err(bad),
    };
    let rekey = match r.u8()? {
        0 => RekeyState::Idle,
        1 => RekeyState::Offered(RekeySecret::from_bytes(Zeroizing::new(r.array()?))),
        2 => RekeyState::Answered { offer: r.array()?, answer: r.array()? },
        _ => return Err(bad),
    };
    let root = Zeroizing::new(r.array()?);
    let send_epoch = r.u32()?;
    let sent_in_epoch = r.u64()?;
    let send_seq = r.u64()?;
    let send_prev = r.array()?;
    let window = ReplayWindow::decode(&mut r)?;
    let n = r.u32()?;
    let mut epochs: Vec<EpochKeys> = Vec::new();
    for _ in 0..n {
        let e = EpochKeys { number: r.u32()?, i2r: r.array()?, r2i: r.array()? };
        if epochs.last().is_some_and(|last| last.number >= e.number) {
            return Err(bad);
        }
        epochs.push(e);
    }
    let pii_len = r.u32()? as usize;
    let pii_section = r.take(pii_len)?;
    if !pii_section.is_empty() {
        return Err(Error::State("the state holds a PII vault: this build lacks the pii feature"));
    }
    r.finish()?;
    if !epochs.iter().any(|e| e.number == send_epoch) || (hello.is_some() && side != Side::Initiator) {
        return Err(bad);
    }
    Ok(Parts {
        side,
        mode,
        session_id,
        key_id,
        safety,
        epochs,
        root,
        send_epoch,
        hello,
        rekey,
        policy,
        sent_in_epoch,
        send_seq,
        send_prev,
        window,
        time_granularity,
        generation,
    })
}
