//! Session-level PII masking through `MaskedSession`: the masked seal fills the metadata counts,
//! the service sees placeholders only, the widget restores locally (never into a link), label
//! values with personal data are refused, the vault rides in the state blob's extension
//! (`SPEC.md` § 13.5, checked against the frozen v2 vector) and dies with `forget`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chatseal::*;
use chatseal_pii::{MaskMode, MaskPolicy, MaskedSession};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// A mutual pair: the visitor masked, the agent plain.
fn pair() -> (MaskedSession, Session) {
    let (mut init, offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (mut resp, answer) = MutualResponder::answer(&offer, SessionOptions::default()).unwrap();
    let mut v = MaskedSession::new(init.complete(&answer).unwrap(), MaskPolicy::new());
    let meta = v.session().metadata(Role::Visitor, 0).unwrap();
    let (first, _) = v.seal_masked("hi", &meta).unwrap();
    let (agent, _) = resp.accept(&first).unwrap();
    (v, agent)
}

fn meta(v: &MaskedSession) -> Metadata {
    v.session().metadata(Role::Visitor, 1_800_000_000).unwrap()
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn masked_turns_carry_counts_and_restore_locally() {
    let (mut v, mut s) = pair();
    let text = "Mail me at jane.doe@example.com or call +44 20 7946 0958; card 4111 1111 1111 1111.";
    let (env, masked) = v.seal_masked(text, &meta(&v)).unwrap();
    assert_eq!(masked.findings.len(), 3);
    let seen = inspect(&env).unwrap().metadata.pii;
    assert_eq!((seen.get(PiiCategory::Email), seen.get(PiiCategory::Phone), seen.get(PiiCategory::Card)), (1, 1, 1));
    let at_agent = String::from_utf8(s.open(&env).unwrap().plaintext.to_vec()).unwrap();
    assert!(at_agent.contains("[EMAIL_1]") && at_agent.contains("[PHONE_1]"), "{at_agent}");
    assert!(!at_agent.contains("jane.doe") && !at_agent.contains("7946") && !at_agent.contains("4111"));
    // The same address keeps its number all session; a new one gets the next.
    let (env2, _) = v.seal_masked("again jane.doe@example.com, and bob@example.org", &meta(&v)).unwrap();
    assert_eq!(&s.open(&env2).unwrap().plaintext[..], b"again [EMAIL_1], and [EMAIL_2]");
    // The reply names placeholders; only the widget fills them back in, and never into a link.
    let body = b"I wrote to [EMAIL_1] and [EMAIL_2]; [EMAIL_9] is unknown. ![](https://x.example/?q=[EMAIL_1])";
    let reply = s.seal(body, &s.metadata(Role::Agent, 0).unwrap()).unwrap();
    let opened = v.session_mut().open(&reply).unwrap();
    let shown = v.restore(core::str::from_utf8(&opened.plaintext).unwrap());
    assert_eq!(
        *shown.text,
        "I wrote to jane.doe@example.com and bob@example.org; [EMAIL_9] is unknown. ![](https://x.example/?q=[EMAIL_1])"
    );
    assert_eq!(shown.withheld.len(), 1);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn label_values_with_personal_data_are_refused() {
    let (mut v, _s) = pair();
    let mut m = meta(&v);
    m.insert_label(Label::new("ref", "call +44 20 7946 0958").unwrap()).unwrap();
    let before = (v.session().next_send_seq(), v.vault_len());
    assert_eq!(v.seal_masked("fine", &m).unwrap_err().code(), "invalid_input");
    assert_eq!(v.seal(b"fine", &m).unwrap_err().code(), "invalid_input");
    assert_eq!((v.session().next_send_seq(), v.vault_len()), before, "a refused seal changes nothing");
    let mut ok = meta(&v);
    ok.insert_label(Label::new("page", "checkout/step-2").unwrap()).unwrap();
    v.seal_masked("fine", &ok).unwrap();
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn policy_modes_and_vault_survive_the_state_blob() {
    let (mut v, mut s) = pair();
    let mut policy = MaskPolicy::default();
    policy.set(PiiCategory::Card, MaskMode::Partial).unwrap();
    policy.set(PiiCategory::Email, MaskMode::TypeOnly).unwrap();
    policy.set(PiiCategory::Phone, MaskMode::Keep).unwrap();
    let (env, _) =
        v.seal_masked_with("card 4111-1111-1111-1111, a@b.example, +1 415 555 2671", &meta(&v), &policy).unwrap();
    let text = String::from_utf8(s.open(&env).unwrap().plaintext.to_vec()).unwrap();
    assert!(text.contains("1111") && !text.contains("4111") && text.contains("[EMAIL]"), "{text}");
    assert!(text.contains("+1 415 555 2671"), "kept as is: {text}");
    assert_eq!(inspect(&env).unwrap().metadata.pii.total(), 3, "counts report what was found, whatever the mode");
    // The session's own policy is persisted with its state.
    v.set_policy(policy);
    let handle = *v.session().handle();
    let blob = v.export_state(&[5; 32]).unwrap();
    let mut restored = MaskedSession::import_state(&blob, &[5; 32], &handle, ImportOptions::default()).unwrap();
    assert_eq!(restored.policy(), &policy);
    let (env, _) = restored.seal_masked("x@y.example", &meta(&restored)).unwrap();
    assert_eq!(&s.open(&env).unwrap().plaintext[..], b"[EMAIL]");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_vault_rides_in_the_extension_and_dies_with_forget() {
    let (mut v, _s) = pair();
    v.seal_masked("jane.doe@example.com and bob@example.org", &meta(&v)).unwrap();
    let kek = [3u8; 32];
    let handle = *v.session().handle();
    let blob = v.export_state(&kek).unwrap();
    let restored = MaskedSession::import_state(&blob, &kek, &handle, ImportOptions::default()).unwrap();
    assert_eq!(*restored.restore("[EMAIL_2]").text, "bob@example.org");
    assert_eq!(restored.vault_len(), 2);
    // The core alone refuses to drop the extension silently.
    assert_eq!(Session::import_state(&blob, &kek, &handle, ImportOptions::default()).unwrap_err().code(), "bad_state");
    let deletion = restored.forget(1);
    assert_eq!(deletion.pii_values_deleted, 2);
    assert!(!format!("{deletion:?}").contains("example"));
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_frozen_v2_vector_extension_is_this_crates_encoding() {
    let v: serde_json::Value = serde_json::from_str(include_str!("../../../tests/vectors/chatseal_v2.json")).unwrap();
    let m = &v["mutual"];
    let hex = |k: &str| hex::decode(m[k].as_str().unwrap()).unwrap();
    let kek: [u8; 32] = hex("kek").try_into().unwrap();
    let handle = SessionHandle::from_hex(m["handle"].as_str().unwrap()).unwrap();
    let s = MaskedSession::import_state(&hex("initiator_state_blob"), &kek, &handle, ImportOptions::default()).unwrap();
    assert_eq!(*s.restore("write to [EMAIL_1]").text, "write to ana@example.com");
    assert_eq!(s.policy(), &MaskPolicy::new());
}
