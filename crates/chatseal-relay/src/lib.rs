#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

// Layers, bottom to top: error, db (storage, no key), relay (HTTP, no key); client (talks to a
// relay over HTTP); service (holds the keys, talks to the relay only through the client);
// demo (composes a relay and a service end in one process). The relay never imports the
// service or anything that holds a key.
pub mod client;
pub mod db;
pub mod demo;
pub mod error;
pub mod relay;
pub mod service;

/// A boxed error for binaries and setup paths.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
