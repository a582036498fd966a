//! The service end: holds the static keys and the record key, keeps its per-session records in
//! its own store, follows the relay's service stream, opens visitor turns, asks a responder,
//! and seals and streams the answer back through the relay. It never logs plaintext: log lines
//! carry handles, sequence numbers and error codes.

mod classifier;
mod keys;
mod responder;
mod runner;
mod store;

pub use classifier::{Classifier, KeywordClassifier};
pub use keys::{key_path, ServiceKeys, KEYS_ENV};
pub use responder::{
    builtin_answer, parse_sse, split_chunks, Builtin, Chunks, Message, OpenAiHook, Responder, ResponderError,
};
pub use runner::{ServiceEnd, ServiceEndOptions, Stats};
pub use store::{ServiceStore, HISTORY_MESSAGES};
