#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

// Layers, bottom to top; each module imports only modules above it in this list:
// error, encoding, ids, primitives, entropy, clock, kdf, keys, pseudonym, category, padding,
// metadata, wire, secret_vec, session, handshake, state, service, stream, audit.
mod audit;
mod category;
mod clock;
mod encoding;
mod entropy;
mod error;
mod handshake;
mod ids;
mod kdf;
mod keys;
mod metadata;
mod padding;
#[cfg(feature = "test-vectors")]
#[doc(hidden)]
pub mod primitives;
#[cfg(not(feature = "test-vectors"))]
mod primitives;
mod pseudonym;
mod secret_vec;
mod service;
mod session;
mod state;
mod stream;
mod wire;

pub use audit::{audit, Audit, DirectionAudit, Verdict};
pub use category::PiiCategory;
pub use clock::Clock;
pub use encoding::{base64url_decode_max, base64url_encode, hex_decode, hex_encode};
pub use entropy::Entropy;
pub use error::{Error, Result};
pub use handshake::{History, MutualInitiator, MutualResponder, ServiceKeyring};
pub use ids::{Direction, Mode, SessionHandle, Side, HANDLE_LEN, KEY_ID_LEN, LINK_LEN, MAX_COUNTER, SUITE, VERSION};
pub use keys::{ServiceKeyPair, ServicePublicKey};
pub use metadata::{
    Label, Metadata, PiiCounts, Role, MAX_GRANULARITY_SECS, MAX_LABELS, MAX_LABEL_KEY, MAX_LABEL_VALUE, MAX_METADATA,
};
pub use padding::{bucket as padded_len, MAX_PLAINTEXT};
pub use pseudonym::{Pseudonym, PseudonymKey, PSEUDONYM_LEN};
pub use service::{MemoryRecordStore, RecordStore, Service, ServiceOptions};
pub use session::{Chain, Opened, Order, PeerAck, RekeyPolicy, Session, SessionOptions, Status, WINDOW};
pub use state::{rewrap_state, state_info, DeletionRecord, ImportOptions, StateInfo, MAX_STATE_BLOB};
pub use stream::StreamAssembler;
pub use wire::{
    base64url_decode, inspect, Ack, Header, Hello, Inspection, Rekey, StreamPart, FIXED_HEADER_LEN,
    HANDSHAKE_MESSAGE_LEN, MAX_ENVELOPE, MIN_ENVELOPE,
};
