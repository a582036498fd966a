//! Browser tests of the binding layer: run in Chromium and Firefox by
//! `wasm-pack test --headless --chrome --firefox` in `crates/chatseal-wasm`. They drive the
//! functions JS calls with JS values and check what JS sees: thrown values are `ChatsealError`s
//! with a code, wrong argument types are refused before anything happens, objects stay usable.
//! (The package-level tests, with the runtime guard and the helpers, are in `tests/js/`.)

use super::error::error_codes;
use super::is_chatseal_error;
use super::keyless::{audit, from_text, inspect, to_text};
use super::service::{Service, ServiceKeyring};
use super::session::Session;
use js_sys::{Array, Function, Object, Reflect, Uint8Array, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// `value[key]`, following dots (`"turn.metadata.role"`).
fn get(value: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(value.clone(), |v, key| Reflect::get(&v, &JsValue::from_str(key)).unwrap())
}

fn json(text: &str) -> JsValue {
    JSON::parse(text).unwrap()
}

fn bytes(v: &[u8]) -> JsValue {
    Uint8Array::from(v).into()
}

fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

/// The code of a failure, after checking it is a `ChatsealError` whose message leaks nothing.
fn code<T>(result: Result<T, super::error::JsError>) -> String {
    let Err(thrown) = result else { panic!("expected a failure") };
    let thrown = JsValue::from(thrown);
    assert!(is_chatseal_error(&thrown));
    assert_eq!(get(&thrown, "name").as_string().unwrap(), "ChatsealError");
    let message = get(&thrown, "message").as_string().unwrap();
    assert!(!message.contains("secret plaintext"), "{message}");
    get(&thrown, "code").as_string().unwrap()
}

/// A JS function from source (for getters, Proxies and stores).
fn js(source: &str) -> JsValue {
    Function::new_no_args(&format!("return ({source});")).call0(&JsValue::NULL).unwrap()
}

struct Pinned {
    keyring: ServiceKeyring,
    service: Service,
    visitor: Session,
    handle: String,
}

fn pinned() -> Pinned {
    let keyring = ServiceKeyring::new();
    let public = keyring.generate_key().ok().unwrap();
    let store = js("(() => { const m = new Map(); return {
        load: (h) => m.has(h) && m.get(h) ? m.get(h).r : null,
        create: (h, g, r) => { if (m.has(h)) return false; m.set(h, { g, r: r.slice() }); return true; },
        update: (h, e, g, r) => { const x = m.get(h); if (!x || x.g !== e) return false; m.set(h, { g, r: r.slice() }); return true; },
        remove: (h) => { const had = Boolean(m.get(h)); m.set(h, null); return had; } }; })()");
    let keyring_js = JsValue::from(keyring);
    let service = Service::new(&keyring_js, &bytes(&[7; 32]), &store, &JsValue::UNDEFINED).ok().unwrap();
    let keyring =
        <ServiceKeyring as wasm_bindgen::convert::TryFromJsValue>::try_from_js_value(keyring_js).ok().unwrap();
    let visitor = Session::initiate_pinned(&bytes(&public), &JsValue::UNDEFINED).ok().unwrap();
    let first = visitor.seal_text(&text("the secret plaintext"), &JsValue::UNDEFINED).ok().unwrap();
    let turn = service.accept(&bytes(&first)).ok().unwrap();
    assert_eq!(get(&turn, "turn.text").as_string().unwrap(), "the secret plaintext");
    let handle = get(&turn, "handle").as_string().unwrap();
    Pinned { keyring, service, visitor, handle }
}

#[wasm_bindgen_test]
fn codes_and_error_shape() {
    let codes: Vec<String> = error_codes().iter().map(|c| c.as_string().unwrap()).collect();
    assert_eq!(codes, chatseal::Error::CODES);
    assert_eq!(code(from_text(&text("not base64url!"))), "malformed");
    assert_eq!(code(inspect(&bytes(&[1, 2, 3]))), "malformed");
    assert!(!is_chatseal_error(&js("new Error('plain')")));
    assert!(!is_chatseal_error(&json(r#"{"name":"ChatsealError","code":"duplicate"}"#)));
    // A value whose properties throw when read is no chatseal error, and no exception escapes.
    assert!(!is_chatseal_error(&js("new Proxy(new Error('x'), { get() { throw 1; } })")));
}

#[wasm_bindgen_test]
fn wrong_types_are_refused_and_nothing_is_locked() {
    let p = pinned();
    let wrong = [
        JsValue::UNDEFINED,
        JsValue::NULL,
        JsValue::from(42),
        JsValue::from(f64::NAN),
        text("a string"),
        json(r#"{"length": -1}"#),
        json("[1, 2, 3]"),
        js("new Int8Array(32)"),
        js("new Proxy(new Uint8Array(32), {})"),
        js("new Proxy({}, { getPrototypeOf() { throw new Error('trap'); }, ownKeys() { throw new Error('trap'); } })"),
        js("Object.defineProperty({}, 'role', { get() { throw new Error('getter'); }, enumerable: true })"),
    ];
    for value in &wrong {
        assert_eq!(code(p.visitor.open(value)), "invalid_input");
        assert_eq!(code(p.visitor.export_state(value)), "invalid_input");
        assert_eq!(code(Session::initiate_pinned(value, &JsValue::UNDEFINED)), "invalid_input");
        assert_eq!(code(p.service.open(value)), "invalid_input");
        if !value.is_string() {
            assert_eq!(code(p.visitor.seal_text(value, &JsValue::UNDEFINED)), "invalid_input");
        }
        if !value.is_undefined() {
            assert_eq!(code(p.visitor.seal_text(&text("x"), value)), "invalid_input");
        }
        // After every refusal the session still seals, and the service still opens.
        let envelope = p.visitor.seal_text(&text("still here"), &JsValue::UNDEFINED).ok().unwrap();
        assert_eq!(
            get(&p.service.open(&bytes(&envelope)).ok().unwrap(), "turn.text").as_string().unwrap(),
            "still here"
        );
    }
    // Strings are not coerced to bytes: a KEK of 32 characters is refused, as is a shorter key.
    assert_eq!(code(p.visitor.export_state(&text(&"k".repeat(32)))), "invalid_input");
    assert_eq!(code(p.visitor.export_state(&bytes(&[1; 31]))), "invalid_input");
    assert_eq!(p.visitor.state_generation().ok().unwrap(), 0.0);
    // An unknown option field is refused, not ignored; so is a misspelt role.
    assert_eq!(code(p.visitor.seal_text(&text("x"), &json(r#"{"rol":"agent"}"#))), "invalid_input");
    assert_eq!(code(p.visitor.seal_text(&text("x"), &json(r#"{"role":"admin"}"#))), "invalid_input");
    // A lone surrogate would be silently replaced: refused.
    assert_eq!(code(p.visitor.seal_text(&js("'a\\uD800b'"), &JsValue::UNDEFINED)), "invalid_input");
    drop(p);
}

#[wasm_bindgen_test]
fn sizes_are_checked_before_copying() {
    let p = pinned();
    let before = super::wasm_memory_bytes();
    // 64 MiB of bytes: refused by its length alone; wasm memory does not grow to hold it.
    let huge = js("new Uint8Array(64 * 1024 * 1024)");
    assert_eq!(code(p.visitor.open(&huge)), "limit_exceeded");
    assert_eq!(code(inspect(&huge)), "limit_exceeded");
    assert_eq!(code(p.visitor.seal(&huge, &JsValue::UNDEFINED)), "limit_exceeded");
    assert!(super::wasm_memory_bytes() - before < 16.0 * 1024.0 * 1024.0);
    drop(p);
}

#[wasm_bindgen_test]
fn labels_keep_awkward_keys_in_canonical_order() {
    let p = pinned();
    let options = json(r#"{"labels": {"__proto__": "a", "constructor": "b", "10": "c", "2": "d"}}"#);
    let envelope = p.visitor.seal_text(&text("labelled"), &options).ok().unwrap();
    let labels = get(&inspect(&bytes(&envelope)).ok().unwrap(), "metadata.labels");
    assert_eq!(
        JSON::stringify(&labels).unwrap().as_string().unwrap(),
        r#"[["10","c"],["2","d"],["__proto__","a"],["constructor","b"]]"#
    );
    // The same labels as pairs seal the same metadata; a bidi override in a value is refused.
    let pairs = json(r#"{"labels": [["2","d"],["constructor","b"],["10","c"],["__proto__","a"]]}"#);
    let again = p.visitor.seal_text(&text("labelled"), &pairs).ok().unwrap();
    let labels_again = get(&inspect(&bytes(&again)).ok().unwrap(), "metadata.labels");
    assert_eq!(JSON::stringify(&labels_again).unwrap(), JSON::stringify(&labels).unwrap());
    let bidi = json(r#"{"labels": {"page": "abc\u202edef"}}"#);
    assert_eq!(code(p.visitor.seal_text(&text("x"), &bidi)), "invalid_input");
    drop(p);
}

#[wasm_bindgen_test]
fn replay_hijack_and_roles() {
    let p = pinned();
    let envelope = p.visitor.seal_text(&text("once"), &JsValue::UNDEFINED).ok().unwrap();
    p.service.open(&bytes(&envelope)).ok().unwrap();
    assert_eq!(code(p.service.open(&bytes(&envelope))), "duplicate");
    // The visitor may not write as the assistant; the service may not write as the visitor.
    assert_eq!(code(p.visitor.seal_text(&text("x"), &json(r#"{"role":"assistant"}"#))), "wrong_role");
    let handle = text(&p.handle);
    assert_eq!(code(p.service.seal_text(&handle, &text("x"), &json(r#"{"role":"visitor"}"#))), "wrong_role");
    let reply = p.service.seal_text(&handle, &text("reply"), &json(r#"{"role":"agent"}"#)).ok().unwrap();
    assert_eq!(get(&p.visitor.open(&bytes(&reply)).ok().unwrap(), "metadata.role").as_string().unwrap(), "agent");
    drop(p);
}

#[wasm_bindgen_test]
fn forgotten_and_freed_sessions_answer_freed() {
    let p = pinned();
    let record = p.visitor.forget().ok().unwrap();
    assert_eq!(get(&record, "handle").as_string().unwrap(), p.handle);
    assert_eq!(code(p.visitor.seal_text(&text("x"), &JsValue::UNDEFINED)), "freed");
    assert_eq!(code(p.visitor.status()), "freed");
    assert_eq!(code(p.visitor.forget()), "freed");
    // The service's end is forgotten separately; its record leaves a tombstone.
    let handle = text(&p.handle);
    p.service.status(&handle).ok().unwrap();
    p.service.forget(&handle).ok().unwrap();
    assert_eq!(code(p.service.status(&handle)), "unknown_session");
    assert_eq!(code(p.service.forget(&text("00"))), "invalid_input");
    assert!(p.keyring.key_ids().ok().unwrap().len() == 1);
    drop(p);
}

#[wasm_bindgen_test]
fn streams_from_the_service_open_in_order_or_not_at_all() {
    let p = pinned();
    let handle = text(&p.handle);
    let chunk = |t: &str, end: bool| {
        let options = json(&format!(r#"{{"end": {end}}}"#));
        p.service.seal_chunk(&handle, &text(t), &options).ok().unwrap()
    };
    let chunks = [chunk("Hel", false), chunk("lo", false), chunk("", true)];
    let reader = p.visitor.stream_reader().ok().unwrap();
    assert_eq!(get(&reader.open(&bytes(&chunks[0])).ok().unwrap(), "text").as_string().unwrap(), "Hel");
    // Skipping a chunk breaks the stream.
    assert_eq!(code(reader.open(&bytes(&chunks[2]))), "stream_broken");
    assert_eq!(code(reader.finish()), "stream_broken");
    drop(p);
}

#[wasm_bindgen_test]
fn a_throwing_record_store_is_a_store_error() {
    let keyring = JsValue::from(ServiceKeyring::new());
    let store = js("({ load() { throw new Error('disk on fire'); }, create() { return true; }, update() { return true; }, remove() { return true; } })");
    let service = Service::new(&keyring, &bytes(&[1; 32]), &store, &JsValue::UNDEFINED).ok().unwrap();
    let generate: Function = get(&keyring, "generateKey").unchecked_into();
    let public = generate.call0(&keyring).unwrap();
    let visitor = Session::initiate_pinned(&public, &JsValue::UNDEFINED).ok().unwrap();
    let first = visitor.seal_text(&text("hi"), &JsValue::UNDEFINED).ok().unwrap();
    assert_eq!(code(service.accept(&bytes(&first))), "store");
    assert_eq!(
        code(Service::new(&Object::new().into(), &bytes(&[1; 32]), &store, &JsValue::UNDEFINED)),
        "invalid_input"
    );
    assert_eq!(code(Service::new(&keyring, &bytes(&[1; 32]), &JsValue::NULL, &JsValue::UNDEFINED)), "invalid_input");
}

#[wasm_bindgen_test]
fn text_form_and_audit() {
    let p = pinned();
    let envelope = p.visitor.seal_text(&text("x"), &JsValue::UNDEFINED).ok().unwrap();
    let round = from_text(&text(&to_text(&bytes(&envelope)).ok().unwrap())).ok().unwrap();
    assert_eq!(round, envelope);
    let list: Array = [bytes(&envelope)].into_iter().collect();
    let audited = audit(&list).ok().unwrap();
    assert_eq!(get(&audited, "verdict").as_string().unwrap(), "incomplete");
    list.push(&JsValue::from(3));
    assert_eq!(code(audit(&list)), "invalid_input");
    drop(p);
}
