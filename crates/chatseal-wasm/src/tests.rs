//! Browser tests of the binding layer: run in Chromium and Firefox by
//! `wasm-pack test --headless --chrome --firefox` (they live here, not in `tests/`, because an
//! integration test can only reach public items and this module is private).
//!
//! They drive the same functions JS calls and look at the JS values they produce: thrown values
//! are real `Error` objects with `name` and `code`, results have the documented shapes.

use super::envelope::{from_text, inspect, to_text};
use super::error::{error_codes, is_chatseal_error};
use super::handshake::{key_id_of, MutualInitiator, MutualResponder, ServiceKeyring};
use super::session::{rewrap_state, Session};
use super::{hashed_id, version};
use js_sys::{JsString, Reflect, Uint8Array, JSON};
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// `value[key]`, following dots (`"turn.metadata.role"`).
fn get(value: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(value.clone(), |v, key| Reflect::get(&v, &JsValue::from_str(key)).unwrap())
}

fn string(value: &JsValue, path: &str) -> String {
    get(value, path).as_string().unwrap_or_else(|| panic!("{path} is not a string"))
}

fn number(value: &JsValue, path: &str) -> f64 {
    get(value, path).as_f64().unwrap_or_else(|| panic!("{path} is not a number"))
}

/// An options object from JSON.
fn options(json: &str) -> Option<js_sys::Object> {
    Some(JSON::parse(json).unwrap().unchecked_into())
}

/// The code of a thrown value, after checking it is a `ChatsealError`.
fn code<T>(result: Result<T, JsValue>) -> String {
    let Err(thrown) = result else { panic!("expected a failure") };
    let error = thrown.dyn_ref::<js_sys::Error>().expect("thrown value is an Error");
    assert_eq!(error.name(), "ChatsealError");
    assert!(is_chatseal_error(&thrown));
    string(&thrown, "code")
}

/// `{ session, turn }` from an accept, with the session unwrapped.
fn accepted(value: JsValue) -> (Session, JsValue) {
    let session = Session::try_from_js_value(get(&value, "session")).unwrap();
    (session, get(&value, "turn"))
}

struct Pinned {
    keyring: ServiceKeyring,
    public_key: Vec<u8>,
    visitor: Session,
    service: Session,
    first: Vec<u8>,
}

/// A pinned session where the visitor's first turn "hello service" was accepted.
fn pinned() -> Pinned {
    let mut keyring = ServiceKeyring::new();
    let public_key = keyring.generate_key().unwrap();
    let mut visitor = Session::initiate_pinned(&public_key, options(r#"{"timeGranularity":3600}"#)).unwrap();
    let first = visitor.seal_text(&JsString::from("hello service"), None).unwrap();
    let (service, turn) = accepted(keyring.accept(&first, None).unwrap());
    assert_eq!(string(&turn, "text"), "hello service");
    Pinned { keyring, public_key, visitor, service, first }
}

#[wasm_bindgen_test]
fn pinned_session_both_ways() {
    let Pinned { public_key, mut visitor, mut service, first, .. } = pinned();
    assert_eq!(visitor.side().unwrap(), "initiator");
    assert_eq!(service.side().unwrap(), "responder");
    assert_eq!(visitor.mode().unwrap(), "pinned");
    assert_eq!(visitor.session_id().unwrap(), service.session_id().unwrap());
    assert_eq!(visitor.session_id().unwrap().len(), 32);
    assert_eq!(visitor.safety_code().unwrap(), service.safety_code().unwrap());
    assert_eq!(visitor.next_send_seq().unwrap(), 1.0);
    assert_eq!(visitor.time_granularity().unwrap(), 3600);

    let info = inspect(&first).unwrap();
    assert_eq!(string(&info, "hello.keyId"), key_id_of(&public_key).unwrap());
    assert_eq!(string(&info, "hello.mode"), "pinned");
    assert_eq!(string(&info, "header.direction"), "i2r");
    assert_eq!(string(&info, "metadata.role"), "visitor");
    assert_eq!(number(&info, "metadata.time") % 3600.0, 0.0);

    let reply = service
        .seal_text(&JsString::from("hi visitor"), options(r#"{"labels":{"tenant":"acme","queue":"billing"}}"#))
        .unwrap();
    let turn = visitor.open(&reply).unwrap();
    assert_eq!(string(&turn, "text"), "hi visitor");
    assert_eq!(get(&turn, "bytes").unchecked_into::<Uint8Array>().to_vec(), b"hi visitor");
    assert_eq!(string(&turn, "metadata.role"), "assistant");
    assert_eq!(string(&turn, "metadata.labels.tenant"), "acme");
    assert_eq!(number(&turn, "metadata.pii.email"), 0.0);
    assert_eq!(string(&turn, "header.direction"), "r2i");
    assert_eq!(string(&turn, "header.sessionId"), visitor.session_id().unwrap());
    assert_eq!(number(&turn, "header.seq"), 0.0);
    assert_eq!(string(&turn, "order"), "inOrder");
    assert_eq!(number(&turn, "missing"), 0.0);
    assert_eq!(string(&turn, "chain"), "linked");

    // Roles and binary turns.
    let second =
        visitor.seal(&Uint8Array::from(&[0u8, 159, 146, 150, 255][..]), options(r#"{"role":"agent"}"#)).unwrap();
    let turn = service.open(&second).unwrap();
    assert_eq!(get(&turn, "bytes").unchecked_into::<Uint8Array>().to_vec(), [0, 159, 146, 150, 255]);
    assert_eq!(string(&turn, "text"), "\0\u{fffd}\u{fffd}\u{fffd}\u{fffd}");
    assert_eq!(string(&turn, "metadata.role"), "agent");
    assert!(get(&inspect(&second).unwrap(), "hello").is_null());
}

#[wasm_bindgen_test]
fn failed_open_changes_nothing() {
    let Pinned { mut visitor, mut service, .. } = pinned();
    let reply = service.seal_text(&JsString::from("the genuine reply"), None).unwrap();
    let last = reply.len() - 1;
    for position in [40, 60, last] {
        let mut forged = reply.clone();
        forged[position] ^= 0x01;
        let result = visitor.open(&forged);
        let thrown = result.clone().expect_err("forgery refused");
        let message = thrown.dyn_ref::<js_sys::Error>().unwrap().message();
        assert!(!String::from(message).contains("genuine"));
        assert!(["decrypt_failed", "malformed", "wrong_session"].contains(&code(result).as_str()));
    }
    let mut forged = reply.clone();
    forged[last] ^= 0x80;
    assert_eq!(code(visitor.open(&forged)), "decrypt_failed");
    // The genuine envelope still opens, exactly once.
    assert_eq!(string(&visitor.open(&reply).unwrap(), "text"), "the genuine reply");
    assert_eq!(code(visitor.open(&reply)), "duplicate");
    // A reflected envelope (this end's own) is refused.
    let own = visitor.seal_text(&JsString::from("mine"), None).unwrap();
    assert_eq!(code(visitor.open(&own)), "wrong_direction");
    assert_eq!(string(&service.open(&own).unwrap(), "text"), "mine");
}

#[wasm_bindgen_test]
fn out_of_order_and_gaps_are_reported() {
    let Pinned { mut visitor, mut service, .. } = pinned();
    let a = service.seal_text(&JsString::from("a"), None).unwrap();
    let b = service.seal_text(&JsString::from("b"), None).unwrap();
    let c = service.seal_text(&JsString::from("c"), None).unwrap();
    let turn = visitor.open(&c).unwrap();
    assert_eq!((string(&turn, "order"), number(&turn, "missing")), ("gap".into(), 2.0));
    assert_eq!(string(&turn, "chain"), "unverified");
    assert_eq!(string(&visitor.open(&a).unwrap(), "order"), "late");
    let turn = visitor.open(&b).unwrap();
    assert_eq!((string(&turn, "order"), string(&turn, "chain")), ("late".into(), "linked".into()));
}

#[wasm_bindgen_test]
fn mutual_handshake() {
    let mut initiator = MutualInitiator::offer(None).unwrap();
    let mut responder = MutualResponder::answer(&initiator.offer_bytes(), None).unwrap();
    let mut visitor = initiator.complete(&responder.answer_bytes()).unwrap();
    assert_eq!(code(initiator.complete(&responder.answer_bytes())), "bad_state");
    assert_eq!(visitor.mode().unwrap(), "mutual");

    let first = visitor.seal_text(&JsString::from("hello, mutually"), None).unwrap();
    let info = inspect(&first).unwrap();
    assert_eq!(string(&info, "hello.mode"), "mutual");
    assert!(get(&info, "hello.keyId").is_null());

    // A corrupted first turn is refused and the responder can still accept the genuine one.
    let mut forged = first.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert_eq!(code(responder.accept(&forged)), "decrypt_failed");
    let (mut service, turn) = accepted(responder.accept(&first).unwrap());
    assert_eq!(string(&turn, "text"), "hello, mutually");
    assert_eq!(service.safety_code().unwrap(), visitor.safety_code().unwrap());
    assert_eq!(service.safety_code().unwrap().chars().filter(char::is_ascii_digit).count(), 12);
    let reply = service.seal_text(&JsString::from("welcome"), None).unwrap();
    assert_eq!(string(&visitor.open(&reply).unwrap(), "text"), "welcome");
    assert_eq!(code(responder.accept(&first)), "bad_state");

    // An answer from another handshake does not complete this one.
    let mut other = MutualInitiator::offer(None).unwrap();
    assert_eq!(code(other.complete(&responder.answer_bytes())), "wrong_session");
    // ... and leaves it able to complete with its genuine answer.
    let genuine = MutualResponder::answer(&other.offer_bytes(), None).unwrap();
    assert!(other.complete(&genuine.answer_bytes()).is_ok());
}

#[wasm_bindgen_test]
fn imported_keys_serve_sessions() {
    let secret: Vec<u8> = (1..=32).collect();
    let mut keyring = ServiceKeyring::new();
    let public_key = keyring.import_key(&Uint8Array::from(&secret[..])).unwrap();
    let mut elsewhere = ServiceKeyring::new();
    assert_eq!(elsewhere.import_key(&Uint8Array::from(&secret[..])).unwrap(), public_key);
    assert!(elsewhere.has_key(&key_id_of(&public_key).unwrap()).unwrap());

    // A widget pinned to the public key is served by any keyring holding the secret, and by no other.
    let mut visitor = Session::initiate_pinned(&public_key, None).unwrap();
    let first = visitor.seal_text(&JsString::from("hello"), None).unwrap();
    let (mut service, turn) = accepted(elsewhere.accept(&first, None).unwrap());
    assert_eq!(string(&turn, "text"), "hello");
    let reply = service.seal_text(&JsString::from("hi"), None).unwrap();
    assert_eq!(string(&visitor.open(&reply).unwrap(), "text"), "hi");
    let mut stranger = ServiceKeyring::new();
    stranger.generate_key().unwrap();
    assert_eq!(code(stranger.accept(&first, None)), "unknown_key");
}

#[wasm_bindgen_test]
fn resume_after_on_a_rederived_session() {
    let Pinned { keyring, mut visitor, mut service, first, .. } = pinned();
    let reply = service.seal_text(&JsString::from("one"), None).unwrap();
    let (mut rederived, turn) = accepted(keyring.accept(&first, None).unwrap());
    assert_eq!(string(&turn, "text"), "hello service");
    assert_eq!(rederived.next_send_seq().unwrap(), 0.0);
    rederived.resume_after(&reply).unwrap();
    assert_eq!(rederived.next_send_seq().unwrap(), 1.0);
    let next = rederived.seal_text(&JsString::from("two"), None).unwrap();
    assert_eq!(string(&visitor.open(&reply).unwrap(), "text"), "one");
    let turn = visitor.open(&next).unwrap();
    assert_eq!((string(&turn, "text"), string(&turn, "chain")), ("two".into(), "linked".into()));
    assert_eq!(code(rederived.resume_after(&first)), "wrong_direction");
}

#[wasm_bindgen_test]
fn keyring_keys() {
    let mut keyring = ServiceKeyring::new();
    let public_key = keyring.generate_key().unwrap();
    assert_eq!(public_key.len(), 32);
    let id = key_id_of(&public_key).unwrap();
    assert_eq!(id.len(), 16);
    assert!(keyring.has_key(&id).unwrap());
    assert!(keyring.has_key(&id.to_uppercase()).unwrap());
    assert_eq!(code(keyring.has_key("not hex at all!!")), "invalid_input");
    assert_eq!(code(keyring.retire_key("+f00000000000000")), "invalid_input");
    assert_eq!(code(keyring.import_key(&Uint8Array::new_with_length(31))), "invalid_input");
    assert_eq!(code(key_id_of(&[0u8; 32])), "non_contributory");
    assert_eq!(code(key_id_of(&[9u8; 31])), "invalid_input");

    let mut visitor = Session::initiate_pinned(&public_key, None).unwrap();
    let first = visitor.seal_text(&JsString::from("hi"), None).unwrap();
    assert!(keyring.retire_key(&id).unwrap());
    assert!(!keyring.retire_key(&id).unwrap());
    assert_eq!(code(keyring.accept(&first, None)), "unknown_key");
}

#[wasm_bindgen_test]
fn options_are_checked() {
    let Pinned { public_key, mut visitor, .. } = pinned();
    let initiate = |json: &str| Session::initiate_pinned(&public_key, options(json)).map(|s| s.session_id().unwrap());
    assert_eq!(code(initiate(r#"{"timeGranularity":86401}"#)), "invalid_input");
    assert_eq!(code(initiate(r#"{"timeGranularity":-1}"#)), "invalid_input");
    assert_eq!(code(initiate(r#"{"timeGranularity":1.5}"#)), "invalid_input");
    assert_eq!(code(initiate(r#"{"granularity":60}"#)), "invalid_input");
    assert_eq!(code(initiate("5")), "invalid_input");
    assert!(initiate(r#"{"timeGranularity":0}"#).is_ok());
    assert!(initiate("{}").is_ok());

    let mut seal = |json: &str| visitor.seal_text(&JsString::from("x"), options(json));
    assert_eq!(code(seal(r#"{"rol":"agent"}"#)), "invalid_input");
    assert_eq!(code(seal(r#"{"role":"admin"}"#)), "invalid_input");
    assert_eq!(code(seal(r#"{"labels":{"Bad Key":"v"}}"#)), "invalid_input");
    assert_eq!(code(seal(r#"{"labels":{"k":7}}"#)), "invalid_input");
    let nine: Vec<String> = (0..9).map(|i| format!(r#""k{i}":"v""#)).collect();
    assert_eq!(code(seal(&format!(r#"{{"labels":{{{}}}}}"#, nine.join(",")))), "limit_exceeded");
    // Failed seals did not advance the counter.
    assert_eq!(visitor.next_send_seq().unwrap(), 1.0);
    assert_eq!(code(Session::initiate_pinned(&[1u8; 31], None)), "invalid_input");
}

#[wasm_bindgen_test]
fn numbers_beyond_2_pow_53_are_refused_without_a_change() {
    let Pinned { mut visitor, mut service, .. } = pinned();
    let reply = service.seal_text(&JsString::from("r"), None).unwrap();
    // Header: magic 2, version, suite, kind, direction, session id 16, epoch 4, then seq (u64 BE).
    let mut big = reply.clone();
    big[26..34].copy_from_slice(&(1u64 << 53).to_be_bytes());
    assert_eq!(code(inspect(&big)), "limit_exceeded");
    assert_eq!(code(visitor.open(&big)), "limit_exceeded");
    big[26..34].copy_from_slice(&((1u64 << 53) - 1).to_be_bytes());
    assert_eq!(number(&inspect(&big).unwrap(), "header.seq"), 9_007_199_254_740_991.0);
    assert_eq!(string(&visitor.open(&reply).unwrap(), "text"), "r");
}

#[wasm_bindgen_test]
fn text_form_and_inspect() {
    let Pinned { first, .. } = pinned();
    let text = to_text(&first);
    assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(from_text(&text).unwrap(), first);
    assert_eq!(code(from_text(&format!("{text}="))), "malformed");
    assert_eq!(code(from_text("a b")), "malformed");
    assert_eq!(code(inspect(b"not an envelope")), "malformed");
    assert_eq!(code(inspect(&first[..first.len() - 1])), "malformed");

    let info = inspect(&first).unwrap();
    assert_eq!(number(&info, "paddedLen"), 32.0);
    assert_eq!(string(&info, "link").len(), 64);
    assert_eq!(string(&info, "header.prev"), "0".repeat(64));
    let pii = get(&info, "metadata.pii");
    let keys: Vec<String> =
        js_sys::Object::keys(pii.unchecked_ref::<js_sys::Object>()).iter().filter_map(|k| k.as_string()).collect();
    assert_eq!(keys, ["card", "email", "phone", "ssn", "iban", "ip", "secret"]);
}

#[wasm_bindgen_test]
fn error_values() {
    let codes: Vec<String> = error_codes().iter().filter_map(|c| c.as_string()).collect();
    assert_eq!(codes, crate::Error::CODES);
    for error in [crate::Error::DecryptFailed, crate::Error::InvalidInput("x"), crate::Error::State("y")] {
        let thrown = JsValue::from(error);
        assert!(thrown.is_instance_of::<js_sys::Error>());
        assert_eq!(string(&thrown, "code"), error.code());
        assert_eq!(string(&thrown, "message"), error.to_string());
        assert!(is_chatseal_error(&thrown));
    }
    assert!(!is_chatseal_error(&js_sys::Error::new("plain").into()));
    assert!(!is_chatseal_error(&JsValue::from_str("decrypt_failed")));
    let lookalike = js_sys::Error::new("x");
    lookalike.set_name("ChatsealError");
    Reflect::set(&lookalike, &"code".into(), &"not_a_code".into()).unwrap();
    assert!(!is_chatseal_error(&lookalike));
    assert_eq!(version(), env!("CARGO_PKG_VERSION"));
    let id = hashed_id(b"salt", "user-42").unwrap();
    assert_eq!((id.len(), hashed_id(b"salt", "user-42").unwrap()), (22, id.clone()));
    assert_ne!(hashed_id(b"pepper", "user-42").unwrap(), id);
    assert_eq!(code(hashed_id(&[0; 256], "x")), "invalid_input");
}

#[wasm_bindgen_test]
fn state_blobs_restore_sessions() {
    let Pinned { mut visitor, mut service, .. } = pinned();
    let kek = Uint8Array::from(&[7u8; 32][..]);
    let blob = visitor.export_state(&kek).unwrap();
    assert_eq!(visitor.state_generation().unwrap(), 1.0);
    let newer = visitor.export_state(&kek).unwrap();
    assert_eq!(visitor.state_generation().unwrap(), 2.0);
    drop(visitor);

    assert_eq!(code(Session::import_state(&blob, &Uint8Array::from(&[8u8; 32][..]), None)), "decrypt_failed");
    assert_eq!(code(Session::import_state(&blob, &Uint8Array::new_with_length(16), None)), "invalid_input");
    assert_eq!(code(Session::import_state(&blob, &kek, options(r#"{"minGeneration":2}"#))), "stale_state");
    assert_eq!(code(Session::import_state(&blob, &kek, options(r#"{"minGen":2}"#))), "invalid_input");
    let mut restored = Session::import_state(&newer, &kek, options(r#"{"minGeneration":2}"#)).unwrap();
    assert_eq!(restored.side().unwrap(), "initiator");
    let reply = service.seal_text(&JsString::from("after reload"), None).unwrap();
    assert_eq!(string(&restored.open(&reply).unwrap(), "text"), "after reload");
    let next = restored.seal_text(&JsString::from("still linked"), None).unwrap();
    assert_eq!(string(&service.open(&next).unwrap(), "chain"), "linked");

    let other = Uint8Array::from(&[9u8; 32][..]);
    let rewrapped = rewrap_state(&newer, &kek, &other).unwrap();
    assert_eq!(code(Session::import_state(&rewrapped, &kek, None)), "decrypt_failed");
    assert!(Session::import_state(&rewrapped, &other, None).is_ok());
}

#[wasm_bindgen_test]
fn rekeying_and_history() {
    let Pinned { mut visitor, mut service, first, .. } = pinned();
    assert_eq!(visitor.epoch().unwrap(), 0);
    visitor.rekey_now().unwrap();
    assert!(visitor.rekey_pending().unwrap());
    let offer = visitor.seal_text(&JsString::from("offering"), None).unwrap();
    assert_eq!(string(&inspect(&offer).unwrap(), "rekey.step"), "offer");
    assert_eq!(string(&service.open(&offer).unwrap(), "text"), "offering");
    let answer = service.seal_text(&JsString::from("answering"), None).unwrap();
    let info = inspect(&answer).unwrap();
    assert_eq!((string(&info, "rekey.step"), number(&info, "header.epoch")), ("answer".into(), 1.0));
    assert_eq!(string(&visitor.open(&answer).unwrap(), "text"), "answering");
    assert_eq!(visitor.epoch().unwrap(), 1);
    let held: Vec<f64> = visitor.epochs_held().unwrap().iter().filter_map(|e| e.as_f64()).collect();
    assert_eq!(held, [0.0, 1.0]);
    // History of both directions re-opens without disturbing live turns.
    assert_eq!(string(&visitor.reopen(&first).unwrap(), "text"), "hello service");
    let turn = service.reopen(&answer).unwrap();
    assert_eq!((string(&turn, "text"), string(&turn, "chain")), ("answering".into(), "unverified".into()));
    assert_eq!(code(visitor.open(&answer)), "duplicate");
}

#[wasm_bindgen_test]
fn forget_destroys_the_session() {
    let Pinned { mut visitor, mut service, .. } = pinned();
    let reply = service.seal_text(&JsString::from("r"), None).unwrap();
    let record = visitor.forget().unwrap();
    assert!(visitor.forgotten());
    assert_eq!(string(&record, "sessionId"), service.session_id().unwrap());
    assert_eq!(string(&record, "side"), "initiator");
    assert_eq!(string(&record, "keyId").len(), 16);
    assert_eq!(string(&record, "digest").len(), 64);
    assert!(number(&record, "keysDeleted") >= 3.0);
    assert!(js_sys::Array::is_array(&get(&record, "residual")));
    assert_eq!(code(visitor.open(&reply)), "bad_state");
    assert_eq!(code(visitor.seal_text(&JsString::from("x"), None)), "bad_state");
    assert_eq!(code(visitor.session_id()), "bad_state");
    assert_eq!(code(visitor.forget()), "bad_state");
}

#[cfg(feature = "pii")]
#[wasm_bindgen_test]
fn pii_findings_index_js_strings() {
    let text = "😀 mail ann@example.org or call +44 20 7946 0958";
    let findings = super::pii::scan_pii(&JsString::from(text)).unwrap();
    let findings: js_sys::Array = findings.unchecked_into();
    assert_eq!(findings.length(), 2);
    let js = JsString::from(text);
    let first = findings.get(0);
    assert_eq!(string(&first, "category"), "email");
    let (start, end) = (number(&first, "start") as u32, number(&first, "end") as u32);
    assert_eq!(String::from(js.slice(start, end)), "ann@example.org");
    assert_eq!(string(&findings.get(1), "category"), "phone");
    assert_eq!(
        super::pii::scan_pii(&JsString::from("nothing here")).unwrap().unchecked_into::<js_sys::Array>().length(),
        0
    );
}

#[cfg(feature = "pii")]
#[wasm_bindgen_test]
fn masked_sealing_through_the_js_api() {
    let mut keyring = ServiceKeyring::new();
    let public_key = keyring.generate_key().unwrap();
    let session_options = options(r#"{"maskPolicy":{"card":"partial"}}"#);
    let mut visitor = Session::initiate_pinned(&public_key, session_options).unwrap();
    let text = "I'm ann@example.org, card 4111 1111 1111 1111 😀";
    let first = visitor.seal_text(&JsString::from(text), options(r#"{"mask":true}"#)).unwrap();
    let info = inspect(&first).unwrap();
    assert_eq!((number(&info, "metadata.pii.email"), number(&info, "metadata.pii.card")), (1.0, 1.0));
    let (mut service, turn) = accepted(keyring.accept(&first, None).unwrap());
    let seen = string(&turn, "text");
    assert!(seen.contains("[EMAIL_1]") && !seen.contains("ann@") && !seen.contains("4111"), "{seen}");
    assert!(seen.contains("1111"), "partial card keeps the last four: {seen}");

    // A per-turn policy overrides the session's; `maskText` previews with the same vault.
    let typed = visitor.seal_text(&JsString::from("ann@example.org"), options(r#"{"mask":{"email":"type"}}"#));
    assert_eq!(string(&service.open(&typed.unwrap()).unwrap(), "text"), "[EMAIL]");
    let preview = visitor.mask_text(&JsString::from("again ann@example.org")).unwrap();
    assert_eq!(string(&preview, "text"), "again [EMAIL_1]");
    assert_eq!(number(&get(&preview, "findings"), "0.start"), 6.0);

    let reply = service.seal_text(&JsString::from("Sent to [EMAIL_1]."), None).unwrap();
    let opened = visitor.open(&reply).unwrap();
    assert_eq!(visitor.restore(&JsString::from(string(&opened, "text"))).unwrap(), "Sent to ann@example.org.");
    assert_eq!(
        code(visitor.seal_text(&JsString::from("x"), options(r#"{"mask":{"email":"partial"}}"#))),
        "invalid_input"
    );
    assert_eq!(code(visitor.seal(&Uint8Array::from(&b"x"[..]), options(r#"{"mask":true}"#))), "invalid_input");
}
