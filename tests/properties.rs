//! Property tests: any turn round-trips; any single modified byte is rejected without changing
//! state; arbitrary bytes never panic the parser.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chatseal::*;
use proptest::prelude::*;

fn pair() -> (Session, Session) {
    let mut ring = ServiceKeyring::new();
    let key = ServiceKeyPair::generate().unwrap();
    let public = key.public_key().clone();
    ring.insert(key);
    let mut visitor = Session::initiate_pinned(&public, SessionOptions::default()).unwrap();
    let m = visitor.metadata(Role::Visitor, 0).unwrap();
    let first = visitor.seal(b"", &m).unwrap();
    let (service, _) = ring.accept(&first, SessionOptions::default()).unwrap();
    (visitor, service)
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Visitor), Just(Role::Assistant), Just(Role::Agent), Just(Role::System)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn roundtrip(body in proptest::collection::vec(any::<u8>(), 0..5000), r in role(), now in any::<u32>(),
                 counts in proptest::collection::vec(0u16..5, 7), label in "[a-z]{1,8}", value in "\\PC{0,16}") {
        let (mut visitor, mut service) = pair();
        let mut m = visitor.metadata(r, u64::from(now)).unwrap();
        for (c, n) in PiiCategory::ALL.into_iter().zip(counts) {
            m.pii.set(c, n);
        }
        if value.len() <= MAX_LABEL_VALUE {
            m.labels.push(Label::new(&label, &value).unwrap());
        }
        let env = visitor.seal(&body, &m).unwrap();
        let inspected = inspect(&env).unwrap();
        prop_assert_eq!(&inspected.metadata, &m);
        prop_assert_eq!(inspected.padded_len, padded_len(body.len() + 1));
        let opened = service.open(&env).unwrap();
        prop_assert_eq!(&opened.plaintext[..], &body[..]);
        prop_assert_eq!(opened.metadata, m);
    }

    #[test]
    fn any_modified_byte_is_rejected(body in proptest::collection::vec(any::<u8>(), 0..300), pos in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let (mut visitor, mut service) = pair();
        let m = visitor.metadata(Role::Visitor, 1_000_000).unwrap();
        let env = visitor.seal(&body, &m).unwrap();
        let mut bad = env.clone();
        let i = pos.index(bad.len());
        bad[i] ^= flip;
        let before = format!("{service:?}");
        prop_assert!(service.open(&bad).is_err());
        prop_assert_eq!(format!("{service:?}"), before);
        prop_assert_eq!(&service.open(&env).unwrap().plaintext[..], &body[..]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let (_visitor, mut service) = pair();
        let _ = inspect(&bytes);
        prop_assert!(service.open(&bytes).is_err());
        let _ = base64url_decode(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn structured_garbage_after_a_valid_header_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..200), cut in 0usize..120) {
        let (mut visitor, _service) = pair();
        let m = visitor.metadata(Role::Visitor, 7).unwrap();
        let env = visitor.seal(b"x", &m).unwrap();
        let mut frankenstein = env[..cut.min(env.len())].to_vec();
        frankenstein.extend_from_slice(&tail);
        let _ = inspect(&frankenstein);
    }
}
