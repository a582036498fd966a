//! The state plaintext, byte for byte as `SPEC.md` § 13.1 lays it out. Decoding is strict: one
//! encoding per state, every cross-field rule checked, trailing bytes refused.

use super::StateInfo;
use crate::clock::Clock;
use crate::encoding::Reader;
use crate::entropy::Entropy;
use crate::error::{Error, Result};
use crate::ids::{Mode, SessionHandle, Side, LINK_LEN, MAX_COUNTER};
use crate::kdf::EpochKeys;
use crate::keys::RekeySecret;
use crate::secret_vec::SecretVec;
use crate::session::{Epochs, Receiver, RekeyPolicy, RekeyState, ReplayWindow, Sender, Session};
use crate::wire::Hello;
use zeroize::Zeroizing;

const STATE_FORMAT: u8 = 2;
/// Every field but the epoch list and the extension, at its largest.
const FIXED_MAX: usize = 56 + 52 + 65 + 4 + 92 + 1091 + 4;
const EPOCH_LEN: usize = 4 + 32 + 32;

/// A presence byte, then the value if present.
fn put_opt(o: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        None => o.push(0),
        Some(v) => {
            o.push(1);
            o.extend_from_slice(v);
        }
    }
}

fn get_opt<'a, T>(r: &mut Reader<'a>, read: impl FnOnce(&mut Reader<'a>) -> Result<T>) -> Result<Option<T>> {
    if r.flag()? {
        Ok(Some(read(r)?))
    } else {
        Ok(None)
    }
}

pub(super) fn encode(s: &Session, generation: u64, extension: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let ext_len = u32::try_from(extension.len()).map_err(|_| Error::LimitExceeded("state extension"))?;
    let e = &s.epochs;
    let mut o = Zeroizing::new(Vec::with_capacity(FIXED_MAX + EPOCH_LEN * e.keys.len() + extension.len()));
    o.extend_from_slice(&[STATE_FORMAT, s.side.wire_id(), s.mode.wire_id()]);
    o.extend_from_slice(s.handle.as_bytes());
    o.extend_from_slice(&s.key_id);
    o.extend_from_slice(&s.safety);
    o.extend_from_slice(&generation.to_be_bytes());
    o.extend_from_slice(&s.time_granularity.to_be_bytes());
    o.extend_from_slice(&e.policy.every_turns.to_be_bytes());
    o.extend_from_slice(&e.policy.every_secs.to_be_bytes());
    o.push(u8::from(e.policy.keep_old_epochs));
    encode_epochs(e, &mut o);
    encode_sender(&s.sender, &mut o);
    encode_receiver(&s.receiver, &mut o);
    o.extend_from_slice(&ext_len.to_be_bytes());
    o.extend_from_slice(extension);
    Ok(o)
}

fn encode_epochs(e: &Epochs, o: &mut Vec<u8>) {
    o.extend_from_slice(&*e.root);
    o.extend_from_slice(&e.send.to_be_bytes());
    o.extend_from_slice(&e.sent_in_epoch.to_be_bytes());
    o.extend_from_slice(&e.started_at.to_be_bytes());
    match &e.state {
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
    o.extend_from_slice(&(e.keys.len() as u32).to_be_bytes());
    for k in e.keys.iter() {
        o.extend_from_slice(&k.number.to_be_bytes());
        o.extend_from_slice(&k.i2r);
        o.extend_from_slice(&k.r2i);
    }
}

fn encode_sender(s: &Sender, o: &mut Vec<u8>) {
    o.extend_from_slice(&s.next_seq.to_be_bytes());
    o.extend_from_slice(&s.prev);
    match &s.hello {
        None => o.push(0),
        Some(h) => {
            o.extend_from_slice(&[1, h.mode.wire_id()]);
            o.extend_from_slice(&h.key_id);
            o.extend_from_slice(&h.initiator_public);
        }
    }
    put_opt(o, s.stream.map(u64::to_be_bytes).as_ref().map(|b| &b[..]));
    o.push(u8::from(s.closed));
}

fn encode_receiver(r: &Receiver, o: &mut Vec<u8>) {
    r.window.encode(o);
    o.extend_from_slice(&r.head_link);
    put_opt(o, r.peer_closed.map(u64::to_be_bytes).as_ref().map(|b| &b[..]));
    put_opt(o, r.peer_acked.map(u64::to_be_bytes).as_ref().map(|b| &b[..]));
}

/// Fails with `malformed` unless `ok`.
fn rule(ok: bool) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::Malformed("state"))
    }
}

pub(super) fn decode(
    bytes: &[u8],
    info: &StateInfo,
    entropy: Entropy,
    clock: Clock,
) -> Result<(Session, Zeroizing<Vec<u8>>)> {
    let mut r = Reader::new(bytes, "state");
    if r.u8()? != STATE_FORMAT {
        return Err(Error::UnsupportedVersion);
    }
    let side = Side::from_wire_id(r.u8()?)?;
    let mode = Mode::from_wire_id(r.u8()?)?;
    let handle = SessionHandle::from_bytes(r.array()?);
    let (key_id, safety, generation) = (r.array()?, r.array()?, r.u64()?);
    let time_granularity = r.u32()?;
    let policy = RekeyPolicy { every_turns: r.u32()?, every_secs: r.u32()?, keep_old_epochs: r.flag()? };
    rule(side == info.side && handle == info.handle && generation == info.generation)?;
    rule(time_granularity <= crate::metadata::MAX_GRANULARITY_SECS && (mode == Mode::Mutual) == (key_id == [0; 8]))?;
    let epochs = decode_epochs(&mut r, policy)?;
    let sender = decode_sender(&mut r)?;
    let receiver = decode_receiver(&mut r)?;
    let ext_len = r.u32()? as usize;
    let extension = Zeroizing::new(r.take(ext_len)?.to_vec());
    r.finish()?;
    rule(sender.hello.as_ref().is_none_or(|h| side == Side::Initiator && h.mode == mode && h.handle() == handle))?;
    let session = Session {
        side,
        mode,
        handle,
        key_id,
        safety,
        time_granularity,
        generation,
        epochs,
        sender,
        receiver,
        entropy,
        clock,
    };
    Ok((session, extension))
}

fn decode_epochs(r: &mut Reader<'_>, policy: RekeyPolicy) -> Result<Epochs> {
    let root = Zeroizing::new(r.array()?);
    let (send, sent_in_epoch, started_at) = (r.u32()?, r.u64()?, r.u64()?);
    let state = match r.u8()? {
        0 => RekeyState::Idle,
        1 => RekeyState::Offered(RekeySecret::from_bytes(Zeroizing::new(r.array()?))),
        2 => RekeyState::Answered { offer: r.array()?, answer: r.array()? },
        _ => return Err(Error::Malformed("state")),
    };
    let n = r.u32()? as usize;
    rule(n >= 1 && n.saturating_mul(EPOCH_LEN) <= r.remaining())?;
    let mut keys: SecretVec<EpochKeys> = SecretVec::with_capacity(n + 1);
    for _ in 0..n {
        let e = EpochKeys { number: r.u32()?, i2r: r.array()?, r2i: r.array()? };
        rule(keys.last().is_none_or(|last| last.number < e.number))?;
        keys.push(e);
    }
    rule(keys.iter().any(|k| k.number == send))?;
    Ok(Epochs { keys, root, send, state, policy, sent_in_epoch, started_at })
}

fn decode_sender(r: &mut Reader<'_>) -> Result<Sender> {
    let next_seq = r.u64()?;
    let prev: [u8; LINK_LEN] = r.array()?;
    let hello = get_opt(r, |r| {
        Ok(Hello { mode: Mode::from_wire_id(r.u8()?)?, key_id: r.array()?, initiator_public: r.array()? })
    })?;
    let stream = get_opt(r, Reader::u64)?;
    let closed = r.flag()?;
    rule(next_seq <= MAX_COUNTER + 1 && (next_seq == 0) == (prev == [0; LINK_LEN]))?;
    rule(hello.is_none() || next_seq == 0)?;
    rule(stream.is_none_or(|start| start < next_seq) && !(closed && stream.is_some()))?;
    Ok(Sender { next_seq, prev, hello, stream, closed })
}

fn decode_receiver(r: &mut Reader<'_>) -> Result<Receiver> {
    let window = ReplayWindow::decode(r)?;
    let head_link: [u8; LINK_LEN] = r.array()?;
    let peer_closed = get_opt(r, Reader::u64)?;
    let peer_acked = get_opt(r, Reader::u64)?;
    rule(window.highest().is_some() || head_link == [0; LINK_LEN])?;
    rule(peer_closed.is_none_or(|c| window.highest().is_some_and(|h| c <= h)))?;
    rule(peer_acked.is_none_or(|a| a <= MAX_COUNTER))?;
    Ok(Receiver { window, head_link, peer_closed, peer_acked })
}
