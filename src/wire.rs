//! The binary wire format, version 2: envelopes, offers and answers. Every byte is specified in
//! `SPEC.md` § 3, § 5.2 and § 6; the checks run in the order of § 6.3, so the first failing one
//! decides the error. Parsing is strict: one encoding per value, no byte copied before the size
//! check.

use crate::encoding::{base64url_decode_max, Reader};
use crate::error::{Error, Result};
use crate::ids::{
    Direction, Kind, Mode, SessionHandle, HANDLE_LEN, KEY_ID_LEN, LINK_LEN, MAGIC, MAX_COUNTER, PUBLIC_KEY_LEN, SUITE,
    VERSION,
};
use crate::kdf::{commitment, link, session_handle};
use crate::metadata::{Metadata, MAX_METADATA};
use crate::padding::{bucket, MAX_PLAINTEXT};
use crate::primitives::{TAG_LEN, XNONCE_LEN};

/// Bytes before the optional fields: prelude, direction, flags, handle, epoch, seq, prev, ack.
pub const FIXED_HEADER_LEN: usize = 5 + 1 + 1 + HANDLE_LEN + 4 + 8 + LINK_LEN + 8 + LINK_LEN;
const HELLO_LEN: usize = 1 + KEY_ID_LEN + PUBLIC_KEY_LEN;
/// The shortest metadata encoding: role, granularity, time, no subject, no counts, no labels.
const MIN_METADATA: usize = 1 + 4 + 8 + 1 + 1 + 1;
/// Smallest well-formed envelope (`SPEC.md` § 6): no optional field, the shortest metadata, the
/// 32-byte bucket.
pub const MIN_ENVELOPE: usize = FIXED_HEADER_LEN + 2 + MIN_METADATA + XNONCE_LEN + 32 + TAG_LEN;
/// Largest well-formed envelope: a hello and a stream start, 1,024 bytes of metadata, the bucket
/// of the largest plaintext.
pub const MAX_ENVELOPE: usize =
    FIXED_HEADER_LEN + HELLO_LEN + 8 + 2 + MAX_METADATA + XNONCE_LEN + bucket(MAX_PLAINTEXT + 1) + TAG_LEN;
/// Offers and answers are exactly this long.
pub const HANDSHAKE_MESSAGE_LEN: usize = 5 + HANDLE_LEN + 32;

const FLAG_HELLO: u8 = 0x01;
const FLAG_OFFER: u8 = 0x02;
const FLAG_ANSWER: u8 = 0x04;
const FLAG_STREAM: u8 = 0x08;
const FLAG_STREAM_END: u8 = 0x10;
const FLAG_CLOSE: u8 = 0x20;
const KNOWN_FLAGS: u8 = 0x3f;

/// What the sender has received of the other direction when it sealed the turn (`SPEC.md` § 7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ack {
    /// The highest sequence number of the peer's turns that the sender had opened.
    pub seq: u64,
    /// That turn's link.
    pub link: [u8; LINK_LEN],
}

/// The place of a turn in a sealed stream (`SPEC.md` § 7.3): chunk `seq − start` of the stream
/// that began at `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamPart {
    /// Sequence number of the stream's first chunk.
    pub start: u64,
    /// Whether this chunk ends the stream.
    pub end: bool,
}

/// The clear, authenticated header of an envelope (`SPEC.md` § 6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The session this turn belongs to.
    pub handle: SessionHandle,
    /// Direction of travel.
    pub direction: Direction,
    /// Key epoch of the keys that sealed it.
    pub epoch: u32,
    /// Sequence number in this direction, from 0.
    pub seq: u64,
    /// Link of the previous envelope in this direction (zeros for seq 0).
    pub prev: [u8; LINK_LEN],
    /// What the sender had received of the other direction (`None`: nothing yet).
    pub ack: Option<Ack>,
    /// This turn closes the session: its sender seals nothing after it.
    pub close: bool,
    /// This turn is a chunk of a sealed stream.
    pub stream: Option<StreamPart>,
}

/// What the initiator's first envelope carries so the responder can derive the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    /// Key agreement mode.
    pub mode: Mode,
    /// Service key id (pinned mode) or zeros (mutual mode).
    pub key_id: [u8; KEY_ID_LEN],
    /// The initiator's ephemeral X25519 public key.
    pub initiator_public: [u8; PUBLIC_KEY_LEN],
}

impl Hello {
    /// The session handle this hello fixes (`SPEC.md` § 4).
    pub fn handle(&self) -> SessionHandle {
        session_handle(self.mode, &self.key_id, &commitment(&self.initiator_public))
    }
}

/// A rekeying step riding on a turn (`SPEC.md` § 13.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rekey {
    /// The sender proposes epoch `newest + 1` with this new ephemeral public key.
    Offer([u8; PUBLIC_KEY_LEN]),
    /// The sender accepted an offer; this turn is already in the new epoch, whose keys the offerer
    /// derives with this ephemeral public key.
    Answer([u8; PUBLIC_KEY_LEN]),
}

/// A parsed envelope borrowing the input bytes.
pub(crate) struct Envelope<'a> {
    pub header: Header,
    pub hello: Option<Hello>,
    pub rekey: Option<Rekey>,
    pub metadata: Metadata,
    /// Bytes authenticated as associated data: everything before the nonce.
    pub aad: &'a [u8],
    pub nonce: [u8; XNONCE_LEN],
    pub ciphertext: &'a [u8],
}

/// Reads and checks the common prelude (`SPEC.md` § 3): magic, version, suite, kind.
pub(crate) fn prelude(r: &mut Reader<'_>) -> Result<Kind> {
    if r.array::<2>()? != MAGIC {
        return Err(Error::Malformed("magic"));
    }
    if r.u8()? != VERSION {
        return Err(Error::UnsupportedVersion);
    }
    if r.u8()? != SUITE {
        return Err(Error::UnsupportedSuite);
    }
    Ok(match r.u8()? {
        1 => Kind::Turn,
        0x10 => Kind::Offer,
        0x11 => Kind::Answer,
        0x20 => Kind::State,
        _ => return Err(Error::Malformed("kind")),
    })
}

/// The 5 prelude bytes of `kind`.
pub(crate) fn prelude_bytes(kind: Kind) -> [u8; 5] {
    [MAGIC[0], MAGIC[1], VERSION, SUITE, kind as u8]
}

/// Checks the flag combinations and header rules of `SPEC.md` § 6.1 (all `malformed`).
fn check_header(h: &Header, hello: Option<&Hello>, rekey: Option<&Rekey>) -> Result<()> {
    let first_i2r = h.direction == Direction::InitiatorToResponder && h.seq == 0 && h.epoch == 0;
    let rules = [
        (hello.is_some() == first_i2r, "hello on the initiator's first turn only"),
        (h.seq <= MAX_COUNTER, "sequence number above 2^53 - 1"),
        (h.seq != 0 || h.prev == [0; LINK_LEN], "prev of seq 0 must be zeros"),
        (h.ack.is_none_or(|a| a.seq <= MAX_COUNTER), "ack above 2^53 - 1"),
        (hello.is_none() || h.ack.is_none(), "a hello acknowledges nothing"),
        (!matches!(rekey, Some(Rekey::Answer(_))) || h.epoch > 0, "rekey answer in epoch 0"),
        (h.stream.is_none_or(|s| s.start <= h.seq), "stream starts after this chunk"),
    ];
    for (ok, what) in rules {
        if !ok {
            return Err(Error::Malformed(what));
        }
    }
    if let Some(hello) = hello {
        if (hello.mode == Mode::Mutual) != (hello.key_id == [0; KEY_ID_LEN]) {
            return Err(Error::Malformed("key id does not fit the mode"));
        }
        if hello.handle() != h.handle {
            return Err(Error::Malformed("session handle not derived from the hello"));
        }
    }
    Ok(())
}

/// Reads direction, flags and the fixed header fields; returns the header and the flags byte.
fn read_fixed(r: &mut Reader<'_>) -> Result<(Header, u8)> {
    let direction = Direction::from_wire_id(r.u8()?)?;
    let flags = r.u8()?;
    if flags & !KNOWN_FLAGS != 0
        || (flags & FLAG_OFFER != 0 && flags & FLAG_ANSWER != 0)
        || (flags & FLAG_HELLO != 0 && flags & (FLAG_OFFER | FLAG_ANSWER) != 0)
        || (flags & FLAG_STREAM_END != 0 && flags & FLAG_STREAM == 0)
    {
        return Err(Error::Malformed("flags"));
    }
    let handle = SessionHandle::from_bytes(r.array()?);
    let (epoch, seq, prev) = (r.u32()?, r.u64()?, r.array()?);
    let (ack_plus_one, ack_link) = (r.u64()?, r.array()?);
    let ack = match ack_plus_one {
        0 if ack_link == [0; LINK_LEN] => None,
        0 => return Err(Error::Malformed("ack link without an ack")),
        n => Some(Ack { seq: n - 1, link: ack_link }),
    };
    let close = flags & FLAG_CLOSE != 0;
    Ok((Header { handle, direction, epoch, seq, prev, ack, close, stream: None }, flags))
}

impl<'a> Envelope<'a> {
    /// Parses and validates the structure (`SPEC.md` § 6.3 steps 1 to 5); does not decrypt.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self> {
        if bytes.len() > MAX_ENVELOPE {
            return Err(Error::LimitExceeded("envelope larger than the maximum"));
        }
        let mut r = Reader::new(bytes, "envelope");
        if prelude(&mut r)? != Kind::Turn {
            return Err(Error::Malformed("not an envelope"));
        }
        let (mut header, flags) = read_fixed(&mut r)?;
        let hello = if flags & FLAG_HELLO != 0 {
            Some(Hello { mode: Mode::from_wire_id(r.u8()?)?, key_id: r.array()?, initiator_public: r.array()? })
        } else {
            None
        };
        let rekey = match flags & (FLAG_OFFER | FLAG_ANSWER) {
            FLAG_OFFER => Some(Rekey::Offer(r.array()?)),
            FLAG_ANSWER => Some(Rekey::Answer(r.array()?)),
            _ => None,
        };
        if flags & FLAG_STREAM != 0 {
            header.stream = Some(StreamPart { start: r.u64()?, end: flags & FLAG_STREAM_END != 0 });
        }
        check_header(&header, hello.as_ref(), rekey.as_ref())?;
        let meta_len = usize::from(r.u16()?);
        if meta_len > MAX_METADATA {
            return Err(Error::LimitExceeded("metadata larger than 1024 bytes"));
        }
        let metadata = Metadata::decode(r.take(meta_len)?)?;
        if !metadata.role.allowed_for(header.direction) {
            return Err(Error::WrongRole);
        }
        let aad_len = bytes.len() - r.remaining();
        let aad = bytes.get(..aad_len).ok_or(Error::Malformed("envelope"))?;
        let nonce = r.array()?;
        let ciphertext = r.rest();
        // The padded plaintext is always exactly one bucket long (§ 9).
        let padded = ciphertext.len().checked_sub(TAG_LEN).ok_or(Error::Malformed("ciphertext length"))?;
        if padded < 32 || bucket(padded) != padded {
            return Err(Error::Malformed("ciphertext length"));
        }
        Ok(Envelope { header, hello, rekey, metadata, aad, nonce, ciphertext })
    }

    /// The link later envelopes commit to (§ 7.1).
    pub(crate) fn link(&self) -> [u8; LINK_LEN] {
        let split = self.ciphertext.len().saturating_sub(TAG_LEN);
        link(self.aad, &self.nonce, self.ciphertext.get(split..).unwrap_or_default())
    }
}

/// Everything before the nonce of a new envelope.
pub(crate) struct Outgoing<'a> {
    pub header: &'a Header,
    pub hello: Option<&'a Hello>,
    pub rekey: Option<&'a Rekey>,
    pub metadata: &'a Metadata,
}

impl Outgoing<'_> {
    /// Writes the associated data into `out` (which the caller sized for the whole envelope, so
    /// that no buffer holding plaintext is ever reallocated).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        let h = self.header;
        check_header(h, self.hello, self.rekey)?;
        if !self.metadata.role.allowed_for(h.direction) {
            return Err(Error::WrongRole);
        }
        let mut flags = 0;
        for (on, bit) in [
            (self.hello.is_some(), FLAG_HELLO),
            (matches!(self.rekey, Some(Rekey::Offer(_))), FLAG_OFFER),
            (matches!(self.rekey, Some(Rekey::Answer(_))), FLAG_ANSWER),
            (h.stream.is_some(), FLAG_STREAM),
            (h.stream.is_some_and(|s| s.end), FLAG_STREAM_END),
            (h.close, FLAG_CLOSE),
        ] {
            flags |= if on { bit } else { 0 };
        }
        out.extend_from_slice(&prelude_bytes(Kind::Turn));
        out.extend_from_slice(&[h.direction.wire_id(), flags]);
        out.extend_from_slice(h.handle.as_bytes());
        out.extend_from_slice(&h.epoch.to_be_bytes());
        out.extend_from_slice(&h.seq.to_be_bytes());
        out.extend_from_slice(&h.prev);
        let (ack, ack_link) = h.ack.map_or((0, [0; LINK_LEN]), |a| (a.seq + 1, a.link));
        out.extend_from_slice(&ack.to_be_bytes());
        out.extend_from_slice(&ack_link);
        if let Some(hello) = self.hello {
            out.push(hello.mode.wire_id());
            out.extend_from_slice(&hello.key_id);
            out.extend_from_slice(&hello.initiator_public);
        }
        if let Some(Rekey::Offer(public) | Rekey::Answer(public)) = self.rekey {
            out.extend_from_slice(public);
        }
        if let Some(s) = h.stream {
            out.extend_from_slice(&s.start.to_be_bytes());
        }
        let len_at = out.len();
        out.extend_from_slice(&[0, 0]);
        self.metadata.encode(out)?;
        let meta_len = out.len() - len_at - 2;
        let len_bytes = u16::try_from(meta_len).map_err(|_| Error::LimitExceeded("metadata"))?.to_be_bytes();
        out.get_mut(len_at..len_at + 2).ok_or(Error::Malformed("envelope"))?.copy_from_slice(&len_bytes);
        Ok(())
    }

    /// The encoded length, for sizing the envelope's buffer exactly.
    pub(crate) fn len(&self) -> usize {
        let hello = if self.hello.is_some() { HELLO_LEN } else { 0 };
        let rekey = if self.rekey.is_some() { PUBLIC_KEY_LEN } else { 0 };
        let stream = if self.header.stream.is_some() { 8 } else { 0 };
        FIXED_HEADER_LEN + hello + rekey + stream + 2 + self.metadata.encoded_len()
    }
}

/// What `inspect` tells a backend about an envelope without any key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspection {
    /// The header.
    pub header: Header,
    /// The hello, on the initiator's first turn.
    pub hello: Option<Hello>,
    /// A rekeying step, if the turn carries one.
    pub rekey: Option<Rekey>,
    /// The moderation-safe metadata.
    pub metadata: Metadata,
    /// Padded plaintext length: the length bucket.
    pub padded_len: usize,
    /// This envelope's link; the next envelope in the same direction carries it as `prev`, and
    /// the peer's later turns as their ack link, so a backend can check a stored history is
    /// complete and in order without keys (`SPEC.md` § 11).
    pub link: [u8; LINK_LEN],
}

/// Validates an envelope's structure (`SPEC.md` § 6.3 steps 1 to 5) and returns its header,
/// metadata and link, without keys. Authenticity is not checked here: only a key holder can.
pub fn inspect(envelope: &[u8]) -> Result<Inspection> {
    let env = Envelope::parse(envelope)?;
    Ok(Inspection {
        link: env.link(),
        padded_len: env.ciphertext.len() - TAG_LEN,
        header: env.header,
        hello: env.hello,
        rekey: env.rekey,
        metadata: env.metadata,
    })
}

/// Decodes the text form of an envelope, offer, answer or state blob (at most [`MAX_ENVELOPE`]
/// bytes; longer text is `limit_exceeded` before anything is decoded).
pub fn base64url_decode(text: &str) -> Result<Vec<u8>> {
    base64url_decode_max(text, MAX_ENVELOPE)
}

/// Mutual mode, message 1: the handle and the commitment to the initiator's ephemeral key.
pub(crate) fn encode_offer(handle: &SessionHandle, commitment: &[u8; 32]) -> Vec<u8> {
    [&prelude_bytes(Kind::Offer)[..], handle.as_bytes(), commitment].concat()
}

/// A mutual-mode offer: the handle must be the one its commitment fixes.
pub(crate) fn parse_offer(bytes: &[u8]) -> Result<(SessionHandle, [u8; 32])> {
    let (handle, commitment) = handshake_message(bytes, Kind::Offer, "offer")?;
    if session_handle(Mode::Mutual, &[0; KEY_ID_LEN], &commitment) != handle {
        return Err(Error::Malformed("session handle not derived from the commitment"));
    }
    Ok((handle, commitment))
}

/// Mutual mode, message 2: the responder's ephemeral public key.
pub(crate) fn encode_answer(handle: &SessionHandle, responder_public: &[u8; PUBLIC_KEY_LEN]) -> Vec<u8> {
    [&prelude_bytes(Kind::Answer)[..], handle.as_bytes(), responder_public].concat()
}

pub(crate) fn parse_answer(bytes: &[u8]) -> Result<(SessionHandle, [u8; PUBLIC_KEY_LEN])> {
    handshake_message(bytes, Kind::Answer, "answer")
}

fn handshake_message(bytes: &[u8], kind: Kind, what: &'static str) -> Result<(SessionHandle, [u8; 32])> {
    if bytes.len() > MAX_ENVELOPE {
        return Err(Error::LimitExceeded("larger than the maximum"));
    }
    let mut r = Reader::new(bytes, what);
    if prelude(&mut r)? != kind {
        return Err(Error::Malformed(what));
    }
    let out = (SessionHandle::from_bytes(r.array()?), r.array()?);
    r.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::Role;

    fn header(direction: Direction, seq: u64) -> Header {
        Header {
            handle: SessionHandle::from_bytes([9; 16]),
            direction,
            epoch: 0,
            seq,
            prev: [0; 32],
            ack: None,
            close: false,
            stream: None,
        }
    }

    fn envelope(h: &Header, rekey: Option<&Rekey>, role: Role) -> Result<Vec<u8>> {
        let metadata = Metadata::new(role, 0, 0)?;
        let mut out = Vec::new();
        let outgoing = Outgoing { header: h, hello: None, rekey, metadata: &metadata };
        outgoing.encode(&mut out)?;
        assert_eq!(out.len(), outgoing.len());
        out.extend_from_slice(&[0; XNONCE_LEN + 32 + TAG_LEN]);
        Ok(out)
    }

    #[test]
    fn bounds() {
        assert_eq!(FIXED_HEADER_LEN, 107);
        assert_eq!(MIN_ENVELOPE, 197);
        assert_eq!(MAX_ENVELOPE, 17_302_726);
        let env = envelope(&header(Direction::ResponderToInitiator, 3), None, Role::Assistant).unwrap();
        assert_eq!(env.len(), MIN_ENVELOPE);
        let i = inspect(&env).unwrap();
        assert_eq!(i.padded_len, 32);
        assert_eq!(i.header.seq, 3);
        assert_eq!(inspect(&env[..env.len() - 1]).unwrap_err().code(), "malformed");
        assert_eq!(inspect(&vec![0; MAX_ENVELOPE + 1]).unwrap_err().code(), "limit_exceeded");
    }

    #[test]
    fn flags_and_fields_roundtrip() {
        let mut h = header(Direction::ResponderToInitiator, 7);
        h.epoch = 2;
        h.prev = [1; 32];
        h.ack = Some(Ack { seq: 4, link: [2; 32] });
        h.close = true;
        h.stream = Some(StreamPart { start: 5, end: true });
        let env = envelope(&h, Some(&Rekey::Answer([3; 32])), Role::Agent).unwrap();
        let i = inspect(&env).unwrap();
        assert_eq!(i.header, h);
        assert_eq!(i.rekey, Some(Rekey::Answer([3; 32])));
    }

    #[test]
    fn structural_rules() {
        let r2i = |seq| header(Direction::ResponderToInitiator, seq);
        // A visitor role on the responder's direction, and the reverse.
        assert_eq!(envelope(&r2i(1), None, Role::Visitor).unwrap_err(), Error::WrongRole);
        assert_eq!(
            envelope(&header(Direction::InitiatorToResponder, 1), None, Role::System).unwrap_err(),
            Error::WrongRole
        );
        // i2r seq 0 epoch 0 needs a hello.
        assert_eq!(
            envelope(&header(Direction::InitiatorToResponder, 0), None, Role::Visitor).unwrap_err().code(),
            "malformed"
        );
        let mut h = r2i(0);
        h.prev = [1; 32];
        assert!(envelope(&h, None, Role::Assistant).is_err());
        let mut h = r2i(1);
        h.stream = Some(StreamPart { start: 2, end: false });
        assert!(envelope(&h, None, Role::Assistant).is_err());
        assert!(envelope(&r2i(1), Some(&Rekey::Answer([1; 32])), Role::Assistant).is_err(), "answer in epoch 0");
        assert!(envelope(&r2i(MAX_COUNTER + 1), None, Role::Assistant).is_err());
        // Unknown flag bits, offer + answer, stream end without stream.
        let env = envelope(&r2i(1), None, Role::Assistant).unwrap();
        for flags in [0x40u8, 0x80, FLAG_OFFER | FLAG_ANSWER, FLAG_STREAM_END] {
            let mut bad = env.clone();
            bad[6] = flags;
            assert_eq!(inspect(&bad).unwrap_err().code(), "malformed", "{flags:#x}");
        }
        // An ack link without an ack.
        let mut bad = env.clone();
        bad[80] = 1;
        assert_eq!(inspect(&bad).unwrap_err(), Error::Malformed("ack link without an ack"));
    }

    #[test]
    fn prelude_order() {
        let env = envelope(&header(Direction::ResponderToInitiator, 1), None, Role::Assistant).unwrap();
        let with = |at: usize, v: u8| {
            let mut e = env.clone();
            e[at] = v;
            inspect(&e).unwrap_err()
        };
        assert_eq!(with(0, b'X'), Error::Malformed("magic"));
        assert_eq!(with(2, 1), Error::UnsupportedVersion);
        assert_eq!(with(3, 2), Error::UnsupportedSuite);
        assert_eq!(with(4, 0x10), Error::Malformed("not an envelope"));
        assert_eq!(with(4, 0x7f), Error::Malformed("kind"));
    }

    #[test]
    fn offers_bind_their_handle() {
        let c = [5u8; 32];
        let handle = session_handle(Mode::Mutual, &[0; 8], &c);
        let offer = encode_offer(&handle, &c);
        assert_eq!(offer.len(), HANDSHAKE_MESSAGE_LEN);
        assert_eq!(parse_offer(&offer).unwrap(), (handle, c));
        let mut forged = offer.clone();
        forged[5] ^= 1;
        assert!(parse_offer(&forged).is_err());
        assert!(parse_answer(&offer).is_err());
        assert!(parse_offer(&offer[..52]).is_err());
    }
}
