//! Property tests: any turn round-trips; any single modified byte is rejected without changing
//! state; arbitrary bytes never panic any parser (envelope, offer, answer, state blob, text form).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatseal::*;
use common::*;
use proptest::prelude::*;

fn label_value() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 _.:/+=,#-]{0,64}"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn roundtrip(body in proptest::collection::vec(any::<u8>(), 0..5000), agent in any::<bool>(), now in any::<u32>(),
                 counts in proptest::collection::vec(0u16..5, 7), label in "[a-z0-9_.-]{1,32}", value in label_value(),
                 subject in proptest::option::of(any::<[u8; 16]>()), step in 0u8..3) {
        let (_ring, mut visitor, mut service, _) = pinned();
        let role = if agent { Role::Agent } else { Role::Assistant };
        let mut m = service.metadata(role, u64::from(now)).unwrap();
        for (c, n) in PiiCategory::ALL.into_iter().zip(counts) {
            m.pii.set(c, n);
        }
        m.subject = subject.map(Pseudonym::from_bytes);
        m.insert_label(Label::new(&label, &value).unwrap()).unwrap();
        let env = match step {
            0 => service.seal(&body, &m).unwrap(),
            1 => service.close(&body, &m).unwrap(),
            _ => service.seal_chunk(&body, &m, false).unwrap(),
        };
        let inspected = inspect(&env).unwrap();
        prop_assert_eq!(&inspected.metadata, &m);
        prop_assert_eq!(inspected.padded_len, padded_len(body.len() + 1));
        let opened = visitor.open(&env).unwrap();
        prop_assert_eq!(&opened.plaintext[..], &body[..]);
        prop_assert_eq!(opened.metadata, m);
        prop_assert_eq!(opened.header.close, step == 1);
    }

    #[test]
    fn any_modified_byte_is_rejected(body in proptest::collection::vec(any::<u8>(), 0..300), pos in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let (_ring, mut visitor, mut service, _) = pinned_settled();
        let env = seal(&mut visitor, &body);
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
        let (_ring, _visitor, mut service, _) = pinned();
        let _ = inspect(&bytes);
        prop_assert!(service.open(&bytes).is_err());
        let _ = base64url_decode(&String::from_utf8_lossy(&bytes));
        let _ = state_info(&bytes);
        prop_assert!(Session::import_state(&bytes, &[0; 32], service.handle(), ImportOptions::default()).is_err());
        prop_assert!(MutualResponder::answer(&bytes, SessionOptions::default()).is_err());
    }

    #[test]
    fn structured_garbage_after_a_valid_prefix_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..200), cut in 0usize..260) {
        let (_ring, mut visitor, mut service, first) = pinned();
        let env = seal(&mut visitor, b"x");
        let blob = visitor.export_state(&[1; 32]).unwrap();
        for source in [&env, &first, &blob] {
            let mut frankenstein = source[..cut.min(source.len())].to_vec();
            frankenstein.extend_from_slice(&tail);
            let _ = inspect(&frankenstein);
            let _ = service.open(&frankenstein);
            let _ = Session::import_state(&frankenstein, &[1; 32], visitor.handle(), ImportOptions::default());
        }
    }
}
