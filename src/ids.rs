//! Protocol constants and the small identifier types every layer shares (`SPEC.md` § 3, § 4).
//! Nothing here depends on another module of the crate but the error and encoding ones.

use crate::encoding::{hex_decode, hex_encode};
use crate::error::{Error, Result};
use core::fmt;

/// Magic bytes that open every chatseal structure ("CS").
pub const MAGIC: [u8; 2] = *b"CS";
/// Protocol version spoken by this build.
pub const VERSION: u8 = 2;
/// Suite 1: X25519, HKDF-SHA256, XChaCha20-Poly1305 with random 192-bit nonces.
pub const SUITE: u8 = 1;
/// Length of a session handle.
pub const HANDLE_LEN: usize = 16;
/// Length of a service key id.
pub const KEY_ID_LEN: usize = 8;
/// Length of a chain link digest.
pub const LINK_LEN: usize = 32;
/// Length of an X25519 key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Largest sequence number, epoch start time or generation: every counter stays exact in a
/// JavaScript number (2^53 − 1).
pub const MAX_COUNTER: u64 = (1 << 53) - 1;

/// What a structure is (byte 4 of the prelude).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Turn = 1,
    Offer = 0x10,
    Answer = 0x11,
    State = 0x20,
}

/// The session handle: 16 bytes derived from the initiator's hello (`SPEC.md` § 4), so anyone who
/// sees the hello (or the mutual-mode offer) can compute it and no one can choose it. Services
/// and backends index sessions by it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionHandle([u8; HANDLE_LEN]);

impl SessionHandle {
    /// The handle with these bytes (as read from a header; authenticity is the AEAD's business).
    pub const fn from_bytes(bytes: [u8; HANDLE_LEN]) -> Self {
        SessionHandle(bytes)
    }

    /// The 16 bytes.
    pub const fn as_bytes(&self) -> &[u8; HANDLE_LEN] {
        &self.0
    }

    /// 32 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        hex_encode(&self.0)
    }

    /// Parses 32 hex digits (`invalid_input` otherwise).
    pub fn from_hex(text: &str) -> Result<Self> {
        Ok(SessionHandle(hex_decode(text, "session handle must be 32 hex digits")?))
    }
}

impl fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionHandle({})", self.to_hex())
    }
}

impl fmt::Display for SessionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// How the session keys were agreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// The initiator's ephemeral key against the service's pinned static key, then an
    /// ephemeral-ephemeral step on the service's first reply.
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

/// Which end of the session this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// Started the session (the widget).
    Initiator,
    /// Answered it (the service or agent).
    Responder,
}

impl Side {
    /// `"initiator"` or `"responder"`.
    pub fn name(self) -> &'static str {
        match self {
            Side::Initiator => "initiator",
            Side::Responder => "responder",
        }
    }

    /// The direction this side's turns travel in.
    pub fn sends(self) -> Direction {
        match self {
            Side::Initiator => Direction::InitiatorToResponder,
            Side::Responder => Direction::ResponderToInitiator,
        }
    }

    pub(crate) fn wire_id(self) -> u8 {
        match self {
            Side::Initiator => 0,
            Side::Responder => 1,
        }
    }

    pub(crate) fn from_wire_id(id: u8) -> Result<Self> {
        match id {
            0 => Ok(Side::Initiator),
            1 => Ok(Side::Responder),
            _ => Err(Error::Malformed("side")),
        }
    }
}

/// Which way a turn travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

    pub(crate) fn from_wire_id(id: u8) -> Result<Self> {
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

    /// The side that seals turns of this direction.
    pub fn sender(self) -> Side {
        match self {
            Direction::InitiatorToResponder => Side::Initiator,
            Direction::ResponderToInitiator => Side::Responder,
        }
    }

    /// The other direction.
    pub fn reverse(self) -> Direction {
        match self {
            Direction::InitiatorToResponder => Direction::ResponderToInitiator,
            Direction::ResponderToInitiator => Direction::InitiatorToResponder,
        }
    }
}
