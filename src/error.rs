//! The one error type of chatseal.
//!
//! Every failure has a stable string [`Error::code`] that JavaScript sees as `err.code` and the
//! reference backend puts in its HTTP error bodies. Messages never contain key, plaintext or PII
//! bytes: variants carry only static text.

use core::fmt;

/// Everything that can go wrong in chatseal. `SPEC.md` § 14 says when each is raised, and § 6.3
/// which one wins when several apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A caller-supplied argument is out of range or of the wrong shape (what is named, never the value).
    InvalidInput(&'static str),
    /// Bytes that should be an envelope, offer, answer or state blob do not parse.
    Malformed(&'static str),
    /// The version byte names a protocol version this build does not speak.
    UnsupportedVersion,
    /// The suite byte names a cipher suite this build does not speak.
    UnsupportedSuite,
    /// Authentication failed. Deliberately opaque: wrong key, tampered bytes and wrong session
    /// all look the same to the caller and to an attacker.
    DecryptFailed,
    /// A sequence number already opened in this direction (a replay).
    Duplicate,
    /// A sequence number older than the replay window (see `SPEC.md` § 10).
    TooOld,
    /// The envelope, answer or state blob belongs to another session.
    WrongSession,
    /// The envelope was sealed by this side (reflected back).
    WrongDirection,
    /// The metadata role is not one the sending side may use (`SPEC.md` § 8.1).
    WrongRole,
    /// The envelope names a service key id this keyring does not hold (rotated out or never known).
    UnknownKey,
    /// The envelope's key epoch is not held (deleted after rekeying, or not yet reached).
    UnknownEpoch,
    /// The service holds no record for this session handle (never accepted, or forgotten).
    UnknownSession,
    /// A session with this handle already exists: a second hello for it is refused.
    SessionExists,
    /// The call needs a session's first envelope (with the hello) and got another one.
    NotHello,
    /// The session was closed: nothing is sealed after a close, and nothing the closing side
    /// numbered after its close is opened.
    Closed,
    /// The X25519 result is all zeros: the peer's public key has small order.
    NonContributory,
    /// A size limit from `SPEC.md` § 15 was exceeded.
    LimitExceeded(&'static str),
    /// A sequence, epoch or generation counter reached its maximum; a new session is needed.
    CounterExhausted,
    /// The operating system or browser refused to supply randomness.
    Entropy,
    /// A restored state blob is older than the caller's last export (a stale copy).
    StaleState,
    /// A stored session record changed between load and store (another worker won); retry.
    Conflict,
    /// The session record store failed (I/O); what failed is named, never a value.
    Store(&'static str),
    /// A sealed stream was cut off, reordered or interleaved (`SPEC.md` § 7.3).
    StreamBroken(&'static str),
    /// The object was freed or forgotten (JavaScript bindings); nothing can be done with it.
    Freed,
    /// The object is not in a state that allows this call (e.g. a stream is open, the handshake
    /// already completed).
    State(&'static str),
}

impl Error {
    /// The stable machine-readable code (also `err.code` in JavaScript).
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput(_) => "invalid_input",
            Error::Malformed(_) => "malformed",
            Error::UnsupportedVersion => "unsupported_version",
            Error::UnsupportedSuite => "unsupported_suite",
            Error::DecryptFailed => "decrypt_failed",
            Error::Duplicate => "duplicate",
            Error::TooOld => "too_old",
            Error::WrongSession => "wrong_session",
            Error::WrongDirection => "wrong_direction",
            Error::WrongRole => "wrong_role",
            Error::UnknownKey => "unknown_key",
            Error::UnknownEpoch => "unknown_epoch",
            Error::UnknownSession => "unknown_session",
            Error::SessionExists => "session_exists",
            Error::NotHello => "not_hello",
            Error::Closed => "closed",
            Error::NonContributory => "non_contributory",
            Error::LimitExceeded(_) => "limit_exceeded",
            Error::CounterExhausted => "counter_exhausted",
            Error::Entropy => "entropy",
            Error::StaleState => "stale_state",
            Error::Conflict => "conflict",
            Error::Store(_) => "store",
            Error::StreamBroken(_) => "stream_broken",
            Error::Freed => "freed",
            Error::State(_) => "bad_state",
        }
    }

    /// Every code, for documentation and exhaustiveness tests.
    pub const CODES: &'static [&'static str] = &[
        "invalid_input",
        "malformed",
        "unsupported_version",
        "unsupported_suite",
        "decrypt_failed",
        "duplicate",
        "too_old",
        "wrong_session",
        "wrong_direction",
        "wrong_role",
        "unknown_key",
        "unknown_epoch",
        "unknown_session",
        "session_exists",
        "not_hello",
        "closed",
        "non_contributory",
        "limit_exceeded",
        "counter_exhausted",
        "entropy",
        "stale_state",
        "conflict",
        "store",
        "stream_broken",
        "freed",
        "bad_state",
    ];

    /// The static detail of variants that carry one (what failed, never a value).
    pub fn detail(&self) -> Option<&'static str> {
        match self {
            Error::InvalidInput(w)
            | Error::Malformed(w)
            | Error::LimitExceeded(w)
            | Error::Store(w)
            | Error::StreamBroken(w)
            | Error::State(w) => Some(w),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Error::InvalidInput(_) => "invalid input",
            Error::Malformed(_) => "malformed",
            Error::UnsupportedVersion => "unsupported protocol version",
            Error::UnsupportedSuite => "unsupported cipher suite",
            Error::DecryptFailed => "decryption failed",
            Error::Duplicate => "duplicate sequence number (replay)",
            Error::TooOld => "sequence number older than the replay window",
            Error::WrongSession => "belongs to another session",
            Error::WrongDirection => "envelope has the wrong direction",
            Error::WrongRole => "role not allowed for this direction",
            Error::UnknownKey => "unknown service key id",
            Error::UnknownEpoch => "key epoch not held",
            Error::UnknownSession => "no record of this session",
            Error::SessionExists => "a session with this handle already exists",
            Error::NotHello => "not a first envelope (no hello)",
            Error::Closed => "session closed",
            Error::NonContributory => "non-contributory key agreement (low-order public key)",
            Error::LimitExceeded(_) => "limit exceeded",
            Error::CounterExhausted => "counter exhausted; start a new session",
            Error::Entropy => "randomness source failed",
            Error::StaleState => "state blob is older than the last export",
            Error::Conflict => "session record changed concurrently; retry",
            Error::Store(_) => "session record store failed",
            Error::StreamBroken(_) => "stream broken",
            Error::Freed => "object was freed or forgotten",
            Error::State(_) => "bad state",
        };
        match self.detail() {
            Some(detail) => write!(f, "{text}: {detail}"),
            None => f.write_str(text),
        }
    }
}

impl std::error::Error for Error {}

/// Shorthand used throughout the crate.
pub type Result<T> = core::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_listed() {
        let mut codes = Error::CODES.to_vec();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Error::CODES.len());
        assert!(Error::CODES.contains(&Error::State("x").code()));
        assert_eq!(Error::Malformed("metadata").to_string(), "malformed: metadata");
    }
}
