//! The one error type of chatseal.
//!
//! Every failure has a stable string [`Error::code`] that JavaScript sees as `err.code`. Messages
//! never contain key, plaintext or PII bytes: variants carry only static text and small numbers.

use core::fmt;

/// Everything that can go wrong in chatseal. See `SPEC.md` § Errors for when each is raised.
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
    /// A sequence number older than the replay window (see `SPEC.md` § Replay window).
    TooOld,
    /// The envelope belongs to another session.
    WrongSession,
    /// The envelope was sealed by this side (reflected back) or names an unknown direction.
    WrongDirection,
    /// The envelope names a service key id this keyring does not hold (rotated out or never known).
    UnknownKey,
    /// The envelope's key epoch is not held (dropped after rekeying, or not yet reached).
    UnknownEpoch,
    /// The X25519 result is all zeros: the peer's public key has small order.
    NonContributory,
    /// A size limit from `SPEC.md` § Limits was exceeded.
    LimitExceeded(&'static str),
    /// The send counter or epoch counter reached its maximum; a new session is needed.
    CounterExhausted,
    /// The operating system or browser refused to supply randomness.
    Entropy,
    /// A restored state blob is older than the caller's last export (a stale copy).
    StaleState,
    /// The session is not in a state that allows this call (e.g. forgotten, or handshake pending).
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
            Error::UnknownKey => "unknown_key",
            Error::UnknownEpoch => "unknown_epoch",
            Error::NonContributory => "non_contributory",
            Error::LimitExceeded(_) => "limit_exceeded",
            Error::CounterExhausted => "counter_exhausted",
            Error::Entropy => "entropy",
            Error::StaleState => "stale_state",
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
        "unknown_key",
        "unknown_epoch",
        "non_contributory",
        "limit_exceeded",
        "counter_exhausted",
        "entropy",
        "stale_state",
        "bad_state",
    ];
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput(what) => write!(f, "invalid input: {what}"),
            Error::Malformed(what) => write!(f, "malformed: {what}"),
            Error::UnsupportedVersion => f.write_str("unsupported protocol version"),
            Error::UnsupportedSuite => f.write_str("unsupported cipher suite"),
            Error::DecryptFailed => f.write_str("decryption failed"),
            Error::Duplicate => f.write_str("duplicate sequence number (replay)"),
            Error::TooOld => f.write_str("sequence number older than the replay window"),
            Error::WrongSession => f.write_str("envelope belongs to another session"),
            Error::WrongDirection => f.write_str("envelope has the wrong direction"),
            Error::UnknownKey => f.write_str("unknown service key id"),
            Error::UnknownEpoch => f.write_str("key epoch not held"),
            Error::NonContributory => f.write_str("non-contributory key agreement (low-order public key)"),
            Error::LimitExceeded(what) => write!(f, "limit exceeded: {what}"),
            Error::CounterExhausted => f.write_str("counter exhausted; start a new session"),
            Error::Entropy => f.write_str("randomness source failed"),
            Error::StaleState => f.write_str("state blob is older than the last export"),
            Error::State(what) => write!(f, "bad session state: {what}"),
        }
    }
}

impl std::error::Error for Error {}

/// Shorthand used throughout the crate.
pub type Result<T> = core::result::Result<T, Error>;
