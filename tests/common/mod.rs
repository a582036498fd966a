//! Helpers shared by the protocol-level integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chatseal::*;

/// A fixed "now" for metadata.
pub const NOW: u64 = 1_790_000_123;

/// The role a side writes by default.
pub fn role_of(s: &Session) -> Role {
    if s.side() == Side::Initiator {
        Role::Visitor
    } else {
        Role::Assistant
    }
}

/// Metadata for a turn of `s` at [`NOW`].
pub fn meta(s: &Session) -> Metadata {
    s.metadata(role_of(s), NOW).unwrap()
}

/// Seals `body` as `s`'s default role.
pub fn seal(s: &mut Session, body: &[u8]) -> Vec<u8> {
    let m = meta(s);
    s.seal(body, &m).unwrap()
}

/// A service key pair, its public key and a keyring holding it.
pub fn service_keys() -> (ServiceKeyring, ServicePublicKey) {
    let pair = ServiceKeyPair::generate().unwrap();
    let public = pair.public_key().clone();
    let mut ring = ServiceKeyring::new();
    ring.insert(pair);
    (ring, public)
}

/// Options with a rekey policy.
pub fn options(rekey: RekeyPolicy) -> SessionOptions {
    SessionOptions { rekey, ..SessionOptions::default() }
}

/// A pinned pair of live sessions (both ends as plain `Session`s, for protocol tests) with the
/// hello turn already opened; returns (keyring, visitor, service, first envelope).
pub fn pinned_with(policy: RekeyPolicy) -> (ServiceKeyring, Session, Session, Vec<u8>) {
    let (ring, public) = service_keys();
    let mut v = Session::initiate_pinned(&public, options(policy)).unwrap();
    let first = seal(&mut v, b"hello");
    let (s, opened) = ring.accept_unrecorded(&first, options(policy)).unwrap();
    assert_eq!(&opened.plaintext[..], b"hello");
    (ring, v, s, first)
}

/// [`pinned_with`] the manual policy (no automatic rekeying), so epochs are predictable.
pub fn pinned() -> (ServiceKeyring, Session, Session, Vec<u8>) {
    pinned_with(RekeyPolicy::MANUAL)
}

/// A pinned pair after the service's first reply: both ends in epoch 1 (forward secret).
pub fn pinned_settled() -> (ServiceKeyring, Session, Session, Vec<u8>) {
    let (ring, mut v, mut s, first) = pinned();
    v.open(&seal(&mut s, b"welcome")).unwrap();
    s.open(&seal(&mut v, b"thanks")).unwrap();
    (ring, v, s, first)
}

/// A mutual pair with the first turn opened.
pub fn mutual_with(policy: RekeyPolicy) -> (Session, Session) {
    let (mut init, offer) = MutualInitiator::offer(options(policy)).unwrap();
    let (mut resp, answer) = MutualResponder::answer(&offer, options(policy)).unwrap();
    let mut v = init.complete(&answer).unwrap();
    let first = seal(&mut v, b"hi agent");
    let (a, opened) = resp.accept(&first).unwrap();
    assert_eq!(&opened.plaintext[..], b"hi agent");
    (v, a)
}

/// A `Service` over an in-memory store, and the public key widgets pin.
pub fn service() -> (Service<MemoryRecordStore>, ServicePublicKey) {
    let (ring, public) = service_keys();
    let options = ServiceOptions { rekey: RekeyPolicy::MANUAL, ..ServiceOptions::default() };
    (Service::new(ring, &[0x42; 32], MemoryRecordStore::new(), options), public)
}

/// Metadata of an assistant turn.
pub fn assistant() -> Metadata {
    Metadata::new(Role::Assistant, NOW, 60).unwrap()
}

/// A deterministic shuffle within a bounded distance, so every turn arrives inside the window.
pub fn reorder<T>(items: Vec<T>, seed: u64, span: usize) -> Vec<T> {
    let mut items: Vec<Option<T>> = items.into_iter().map(Some).collect();
    let mut x = seed | 1;
    let n = items.len();
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let j = (i + (x as usize) % span).min(n - 1);
        items.swap(i, j);
    }
    items.into_iter().map(Option::unwrap).collect()
}

/// Byte offset of the metadata length field of an envelope (`SPEC.md` § 6).
pub fn metadata_at(env: &[u8]) -> usize {
    let i = inspect(env).unwrap();
    FIXED_HEADER_LEN
        + if i.hello.is_some() { 41 } else { 0 }
        + if i.rekey.is_some() { 32 } else { 0 }
        + if i.header.stream.is_some() { 8 } else { 0 }
}

/// The 24-byte nonce of an envelope.
pub fn nonce_of(env: &[u8]) -> Vec<u8> {
    let at = metadata_at(env);
    let meta_len = u16::from_be_bytes([env[at], env[at + 1]]) as usize;
    env[at + 2 + meta_len..at + 2 + meta_len + 24].to_vec()
}
