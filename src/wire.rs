//! The binary wire format, version 1. Every byte is specified in `SPEC.md` § Wire format; the
//! section numbers in comments refer to it. Parsing is strict: one encoding per value.

use crate::error::{Error, Result};
use crate::kdf::{sha256, LABEL_CHAIN};
use crate::metadata::Metadata;
use crate::padding::{bucket, MAX_PLAINTEXT};
use crate::primitives::{KEY_LEN, TAG_LEN, XNONCE_LEN};
use crate::reader::Reader;
use base64ct::{Base64UrlUnpadded, Encoding};

/// Magic bytes that open every chatseal structure ("CS").
pub const MAGIC: [u8; 2] = *b"CS";
/// Protocol version spoken by this build.
pub const VERSION: u8 = 1;
/// Suite 1: X25519, HKDF-SHA256, XChaCha20-Poly1305 with random 192-bit nonces.
pub const SUITE: u8 = 1;
/// Length of a session id.
pub const SESSION_ID_LEN: usize = 16;
/// Length of a service key id.
pub const KEY_ID_LEN: usize = 8;
/// Length of a chain link digest.
pub const LINK_LEN: usize = 32;
/// Largest encoded metadata.
pub const MAX_METADATA: usize = 1024;
/// Largest envelope: the largest padded plaintext plus every header field.
pub const MAX_ENVELOPE: usize = MAX_PLAINTEXT + MAX_PLAINTEXT / 8 + 4096;

/// A session id: 16 random bytes chosen by the initiator.
pub type SessionId = [u8; SESSION_ID_LEN];

const HEADER_LEN: usize = 2 + 1 + 1 + 1 + 1 + SESSION_ID_LEN + 4 + 8 + LINK_LEN;
const HELLO_LEN: usize = 1 + KEY_ID_LEN + KEY_LEN;

/// What a structure is (byte 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Turn = 1,
    TurnWithHello = 2,
    TurnWithRekeyOffer = 3,
    TurnWithRekeyAnswer = 4,
    Offer = 0x10,
    Answer = 0x11,
    State = 0x20,
}

/// How the session keys were agreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The initiator's ephemeral key against the service's pinned static key.
    Pinned,
    /// Both sides ephemeral, with a commitment and a safety code to compare.
    Mutual,
}

impl Mode {
    pub(crate) fn wire_id(self) -> u8 {
        match self {
            Mode::Pinned => 1,
            Mode::Mutual => 2,
        }
    }

    pub(crate) fn from_wire_id(id: u8) -> Result<Self> {
        match id {
            1 => Ok(Mode::Pinned),
            2 => Ok(Mode::Mutual),
            _ => Err(Error::Malformed("mode")),
        }
    }

    /// `"pinned"` or `"mutual"`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Pinned => "pinned",
            Mode::Mutual => "mutual",
        }
    }
}

/// Which way a turn travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Initiator (widget) to responder (service or agent).
    InitiatorToResponder,
    /// Responder to initiator.
    ResponderToInitiator,
}

impl Direction {
    pub(crate) fn wire_id(self) -> u8 {
        match self {
            Direction::InitiatorToResponder => 0,
            Direction::ResponderToInitiator => 1,
        }
    }

    fn from_wire_id(id: u8) -> Result<Self> {
        match id {
            0 => Ok(Direction::InitiatorToResponder),
            1 => Ok(Direction::ResponderToInitiator),
            _ => Err(Error::Malformed("direction")),
        }
    }

    /// `"i2r"` or `"r2i"`.
    pub fn name(self) -> &'static str {
        match self {
            Direction::InitiatorToResponder => "i2r",
            Direction::ResponderToInitiator => "r2i",
        }
    }
}

/// The fixed header of an envelope (`SPEC.md` § Envelope).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Session this turn belongs to.
    pub session_id: SessionId,
    /// Direction of travel.
    pub direction: Direction,
    /// Key epoch (0 until rekeying).
    pub epoch: u32,
    /// Sequence number in this direction, from 0.
    pub seq: u64,
    /// Link digest of the previous envelope in this direction (zeros for seq 0).
    pub prev: [u8; LINK_LEN],
}

/// What the initiator's first envelope carries so the responder can derive the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    /// Key agreement mode.
    pub mode: Mode,
    /// Service key id (pinned mode) or zeros (mutual mode).
    pub key_id: [u8; KEY_ID_LEN],
    /// The initiator's ephemeral X25519 public key.
    pub initiator_public: [u8; KEY_LEN],
}

/// A rekeying step riding on a turn (`SPEC.md` § Rekeying).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rekey {
    /// The sender proposes epoch `header.epoch + 1` with this new ephemeral public key.
    Offer([u8; KEY_LEN]),
    /// The sender accepted an offer; this turn is already in the new epoch, whose keys the offerer
    /// derives with this ephemeral public key.
    Answer([u8; KEY_LEN]),
}

/// A parsed envelope borrowing the input bytes.
pub(crate) struct Envelope<'a> {
    pub header: Header,
    pub hello: Option<Hello>,
    pub rekey: Option<Rekey>,
    pub metadata: Metadata,
    /// Bytes authenticated as associated data: header, hello and metadata.
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
        2 => Kind::TurnWithHello,
        3 => Kind::TurnWithRekeyOffer,
        4 => Kind::TurnWithRekeyAnswer,
        0x10 => Kind::Offer,
        0x11 => Kind::Answer,
        0x20 => Kind::State,
        _ => return Err(Error::Malformed("kind")),
    })
}

/// Writes the common prelude for `kind`.
pub(crate) fn write_prelude(out: &mut Vec<u8>, kind: Kind) {
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&[VERSION, SUITE, kind as u8]);
}

impl<'a> Envelope<'a> {
    /// Parses and validates the structure; does not decrypt.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self> {
        if bytes.len() > MAX_ENVELOPE {
            return Err(Error::LimitExceeded("envelope larger than the maximum"));
        }
        let mut r = Reader::new(bytes, "envelope");
        let kind = prelude(&mut r)?;
        let direction = Direction::from_wire_id(r.u8()?)?;
        let header = Header { session_id: r.array()?, direction, epoch: r.u32()?, seq: r.u64()?, prev: r.array()? };
        let (hello, rekey) = match kind {
            Kind::Turn => (None, None),
            Kind::TurnWithHello => (
                Some(Hello { mode: Mode::from_wire_id(r.u8()?)?, key_id: r.array()?, initiator_public: r.array()? }),
                None,
            ),
            Kind::TurnWithRekeyOffer => (None, Some(Rekey::Offer(r.array()?))),
            Kind::TurnWithRekeyAnswer => (None, Some(Rekey::Answer(r.array()?))),
            Kind::Offer | Kind::Answer | Kind::State => return Err(Error::Malformed("not an envelope")),
        };
        // An answer is always sealed in the epoch it created, so never in epoch 0.
        if matches!(rekey, Some(Rekey::Answer(_))) && header.epoch == 0 {
            return Err(Error::Malformed("rekey answer in epoch 0"));
        }
        // The hello rides on the initiator's first turn only (§ Envelope, rule H).
        let first_i2r = direction == Direction::InitiatorToResponder && header.seq == 0 && header.epoch == 0;
        if hello.is_some() != first_i2r {
            return Err(Error::Malformed("hello placement"));
        }
        if let Some(h) = &hello {
            if (h.mode == Mode::Mutual) != (h.key_id == [0; KEY_ID_LEN]) {
                return Err(Error::Malformed("key id"));
            }
        }
        if header.seq == 0 && header.prev != [0; LINK_LEN] {
            return Err(Error::Malformed("prev link of first turn"));
        }
        let meta_len = usize::from(r.u16()?);
        if meta_len > MAX_METADATA {
            return Err(Error::LimitExceeded("metadata larger than 1024 bytes"));
        }
        let metadata = Metadata::decode(r.take(meta_len)?)?;
        let aad_len = bytes.len() - r.remaining();
        let aad = bytes.get(..aad_len).ok_or(Error::Malformed("envelope"))?;
        let nonce = r.array()?;
        let ciphertext = r.rest();
        // The padded plaintext is always exactly one bucket long (§ Padding).
        let padded = ciphertext.len().checked_sub(TAG_LEN).ok_or(Error::Malformed("ciphertext length"))?;
        if padded == 0 || bucket(padded) != padded {
            return Err(Error::Malformed("ciphertext length"));
        }
        Ok(Envelope { header, hello, rekey, metadata, aad, nonce, ciphertext })
    }

    /// The link digest later envelopes commit to: SHA-256(label ‖ aad ‖ nonce ‖ tag) (§ Chain).
    pub(crate) fn link(&self) -> [u8; LINK_LEN] {
        let split = self.ciphertext.len().saturating_sub(TAG_LEN);
        link_digest(self.aad, &self.nonce, self.ciphertext.get(split..).unwrap_or_default())
    }
}

/// SHA-256(label ‖ aad ‖ nonce ‖ tag): the digest the next envelope in a direction commits to.
/// The tag stands for the ciphertext: no one without the key can find another ciphertext for it.
pub(crate) fn link_digest(aad: &[u8], nonce: &[u8; XNONCE_LEN], tag: &[u8]) -> [u8; LINK_LEN] {
    sha256(&[LABEL_CHAIN, aad, nonce, tag])
}

/// Writes header, optional hello or rekey step, and metadata: the associated data of a new
/// envelope. At most one of `hello` and `rekey` is given.
pub(crate) fn encode_aad(
    header: &Header,
    hello: Option<&Hello>,
    rekey: Option<&Rekey>,
    metadata: &Metadata,
    capacity: usize,
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(HEADER_LEN + HELLO_LEN + 64 + capacity);
    let kind = match (hello, rekey) {
        (None, None) => Kind::Turn,
        (Some(_), None) => Kind::TurnWithHello,
        (None, Some(Rekey::Offer(_))) => Kind::TurnWithRekeyOffer,
        (None, Some(Rekey::Answer(_))) => Kind::TurnWithRekeyAnswer,
        (Some(_), Some(_)) => return Err(Error::State("hello and rekey on one turn")),
    };
    write_prelude(&mut out, kind);
    out.push(header.direction.wire_id());
    out.extend_from_slice(&header.session_id);
    out.extend_from_slice(&header.epoch.to_be_bytes());
    out.extend_from_slice(&header.seq.to_be_bytes());
    out.extend_from_slice(&header.prev);
    if let Some(h) = hello {
        out.push(h.mode.wire_id());
        out.extend_from_slice(&h.key_id);
        out.extend_from_slice(&h.initiator_public);
    }
    if let Some(Rekey::Offer(public) | Rekey::Answer(public)) = rekey {
        out.extend_from_slice(public);
    }
    let len_at = out.len();
    out.extend_from_slice(&[0, 0]);
    metadata.encode(&mut out)?;
    let meta_len = out.len() - len_at - 2;
    if meta_len > MAX_METADATA {
        return Err(Error::LimitExceeded("metadata larger than 1024 bytes"));
    }
    let len_bytes = (meta_len as u16).to_be_bytes();
    out.get_mut(len_at..len_at + 2).ok_or(Error::Malformed("envelope"))?.copy_from_slice(&len_bytes);
    Ok(out)
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
    /// This envelope's link digest; the next envelope in the same direction carries it as `prev`,
    /// so a backend can check its stored history is complete and in order without keys.
    pub link: [u8; LINK_LEN],
}

/// The header and metadata of an envelope, structure checked, without computing its link: what
/// the JS binding checks before an open (numbers a JS number cannot hold).
#[cfg(target_arch = "wasm32")]
pub(crate) fn header_and_metadata(envelope: &[u8]) -> Result<(Header, Metadata)> {
    let env = Envelope::parse(envelope)?;
    Ok((env.header, env.metadata))
}

/// Validates an envelope's structure and returns its header and metadata, without keys.
/// Authenticity is not checked here: only a key holder can do that.
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

/// Mutual mode, message 1: session id and a commitment to the initiator's ephemeral key.
pub(crate) fn encode_offer(session_id: &SessionId, commitment: &[u8; 32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + SESSION_ID_LEN + 32);
    write_prelude(&mut out, Kind::Offer);
    out.extend_from_slice(session_id);
    out.extend_from_slice(commitment);
    out
}

pub(crate) fn parse_offer(bytes: &[u8]) -> Result<(SessionId, [u8; 32])> {
    let mut r = Reader::new(bytes, "offer");
    if prelude(&mut r)? != Kind::Offer {
        return Err(Error::Malformed("not an offer"));
    }
    let out = (r.array()?, r.array()?);
    r.finish()?;
    Ok(out)
}

/// Mutual mode, message 2: the responder's ephemeral public key.
pub(crate) fn encode_answer(session_id: &SessionId, responder_public: &[u8; KEY_LEN]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + SESSION_ID_LEN + KEY_LEN);
    write_prelude(&mut out, Kind::Answer);
    out.extend_from_slice(session_id);
    out.extend_from_slice(responder_public);
    out
}

pub(crate) fn parse_answer(bytes: &[u8]) -> Result<(SessionId, [u8; KEY_LEN])> {
    let mut r = Reader::new(bytes, "answer");
    if prelude(&mut r)? != Kind::Answer {
        return Err(Error::Malformed("not an answer"));
    }
    let out = (r.array()?, r.array()?);
    r.finish()?;
    Ok(out)
}

/// The text form: unpadded base64url (RFC 4648 §5) of the binary form.
pub fn base64url_encode(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes the text form; rejects padding, whitespace and non-canonical trailing bits.
pub fn base64url_decode(text: &str) -> Result<Vec<u8>> {
    if text.len() > MAX_ENVELOPE / 3 * 4 + 4 {
        return Err(Error::LimitExceeded("text form larger than the maximum"));
    }
    Base64UrlUnpadded::decode_vec(text).map_err(|_| Error::Malformed("base64url"))
}
