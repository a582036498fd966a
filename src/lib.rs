#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod category;
mod entropy;
mod error;
mod handshake;
mod kdf;
mod keys;
mod metadata;
mod padding;
#[cfg(feature = "test-vectors")]
#[doc(hidden)]
pub mod primitives;
#[cfg(not(feature = "test-vectors"))]
mod primitives;
mod reader;
mod session;
mod state;
mod window;
mod wire;

pub use category::PiiCategory;
pub use entropy::Entropy;
pub use error::{Error, Result};
pub use handshake::{MutualInitiator, MutualResponder, ServiceKeyring};
pub use keys::{ServiceKeyPair, ServicePublicKey};
pub use metadata::{
    hashed_id, Label, Metadata, PiiCounts, Role, MAX_GRANULARITY_SECS, MAX_LABELS, MAX_LABEL_KEY, MAX_LABEL_VALUE,
};
pub use padding::{bucket as padded_len, MAX_PLAINTEXT};
pub use session::{Opened, RekeyPolicy, Session, SessionOptions, Side};
pub use state::{rewrap_state, DeletionRecord, ImportOptions, MAX_STATE_BLOB};
pub use window::{Chain, Order, WINDOW};
pub use wire::{
    base64url_decode, base64url_encode, inspect, Direction, Header, Hello, Inspection, Mode, Rekey, SessionId,
    KEY_ID_LEN, LINK_LEN, MAX_ENVELOPE, MAX_METADATA, SESSION_ID_LEN, SUITE, VERSION,
};

