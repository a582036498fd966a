//! Session-level PII masking (issue 3 items 3, 4 and 8): masked sealing fills the metadata
//! counts, the service sees placeholders only, the widget restores locally, and the vault
//! survives a state export and dies with `forget`.
#![cfg(feature = "pii")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chatseal::pii::{MaskMode, MaskPolicy};
use chatseal::*;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn pair() -> (Session, Session) {
    let mut ring = ServiceKeyring::new();
    let key = ServiceKeyPair::generate().unwrap();
    let public = key.public_key().clone();
    ring.insert(key);
    let mut v = Session::initiate_pinned(&public, SessionOptions::default()).unwrap();
    let first = v.seal(b"hi", &v.metadata(Role::Visitor, 0).unwrap()).unwrap();
    let (s, _) = ring.accept(&first, SessionOptions::default()).unwrap();
    (v, s)
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn masked_turns_carry_counts_and_restore_locally() {
    let (mut v, mut s) = pair();
    let text = "Mail me at jane.doe@example.com or call +44 20 7946 0958; card 4111 1111 1111 1111.";
    let meta = v.metadata(Role::Visitor, 1_800_000_000).unwrap();
    let (env, masked) = v.seal_masked(text, &meta).unwrap();
    assert_eq!(masked.findings.len(), 3);

    let seen = inspect(&env).unwrap().metadata.pii;
    assert_eq!((seen.get(PiiCategory::Email), seen.get(PiiCategory::Phone), seen.get(PiiCategory::Card)), (1, 1, 1));
    assert_eq!(seen.total(), 3);

    let at_service = s.open(&env).unwrap();
    let service_text = String::from_utf8(at_service.plaintext.to_vec()).unwrap();
    assert!(service_text.contains("[EMAIL_1]") && service_text.contains("[PHONE_1]"), "{service_text}");
    assert!(!service_text.contains("jane.doe") && !service_text.contains("7946") && !service_text.contains("4111"));

    // The same address keeps its number all session; a new one gets the next.
    let (env2, _) = v.seal_masked("again jane.doe@example.com, and bob@example.org", &meta).unwrap();
    let t2 = String::from_utf8(s.open(&env2).unwrap().plaintext.to_vec()).unwrap();
    assert_eq!(t2, "again [EMAIL_1], and [EMAIL_2]");

    // The reply names placeholders; only the widget can fill them back in.
    let reply = s
        .seal(b"I wrote to [EMAIL_1] and [EMAIL_2]; [EMAIL_9] is unknown.", &s.metadata(Role::Assistant, 0).unwrap())
        .unwrap();
    let opened = v.open(&reply).unwrap();
    let shown = v.restore(core::str::from_utf8(&opened.plaintext).unwrap());
    assert_eq!(shown, "I wrote to jane.doe@example.com and bob@example.org; [EMAIL_9] is unknown.");
    assert_eq!(s.restore("[EMAIL_1]"), "[EMAIL_1]", "the service end holds no originals");

    // The vault travels inside the sealed state, and is shredded with the session.
    let kek = [3u8; 32];
    let blob = v.export_state(&kek).unwrap();
    let restored = Session::import_state(&blob, &kek, ImportOptions::default()).unwrap();
    assert_eq!(restored.restore("[EMAIL_2]"), "bob@example.org");
    assert_eq!(restored.vault_len(), 4);
    let record = restored.forget(1);
    assert_eq!(record.pii_values_deleted, 4);
    assert!(!format!("{record:?}").contains("example"));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn policy_modes_per_category() {
    let (mut v, mut s) = pair();
    let mut policy = MaskPolicy::default();
    policy.set(PiiCategory::Card, MaskMode::Partial).unwrap();
    policy.set(PiiCategory::Email, MaskMode::TypeOnly).unwrap();
    policy.set(PiiCategory::Phone, MaskMode::Keep).unwrap();
    let meta = v.metadata(Role::Visitor, 0).unwrap();
    let (env, _) =
        v.seal_masked_with("card 4111-1111-1111-1111, a@b.example, +1 415 555 2671", &meta, &policy).unwrap();
    // The same policy as the session's own, persisted with its state.
    v.set_mask_policy(policy);
    let blob = v.export_state(&[5; 32]).unwrap();
    let restored = Session::import_state(&blob, &[5; 32], ImportOptions::default()).unwrap();
    assert_eq!(restored.mask_policy(), &policy);
    let text = String::from_utf8(s.open(&env).unwrap().plaintext.to_vec()).unwrap();
    assert!(text.contains("1111") && !text.contains("4111"), "{text}");
    assert!(text.contains("[EMAIL]"), "{text}");
    assert!(text.contains("+1 415 555 2671"), "kept as is: {text}");
    // Counts report what was found, whatever the mode.
    assert_eq!(inspect(&env).unwrap().metadata.pii.total(), 3);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn failed_masked_seal_changes_nothing() {
    let (mut v, _s) = pair();
    let mut meta = v.metadata(Role::Visitor, 0).unwrap();
    meta.labels = vec![Label::new("a", "1").unwrap(), Label::new("a", "2").unwrap()];
    let before = (v.next_send_seq(), v.vault_len());
    assert_eq!(v.seal_masked("x@y.example", &meta).unwrap_err().code(), "invalid_input");
    assert_eq!((v.next_send_seq(), v.vault_len()), before);
}
