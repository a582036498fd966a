//! Text an attacker or an application feeds the core: label keys and values, metadata bytes in an
//! envelope, and the text forms (base64url, hex handles, pseudonyms).

use super::check_error;
use super::envelope::check_inspection;
use super::fixture::{fixture, meta, End, Fixture};
use super::input::{mutate, Input};
use super::oracle;
use chatseal::{
    base64url_decode, base64url_decode_max, base64url_encode, Label, PiiCategory, Pseudonym, SessionHandle,
    MAX_ENVELOPE, MAX_LABELS,
};
use std::collections::BTreeMap;

/// Fuzz target `labels`: arbitrary label keys and values through `Label::new` and
/// `Metadata::insert_label` (checked against the character sets and rules of `SPEC.md` § 8.3),
/// sealed and opened; and arbitrary metadata bytes spliced into genuine envelopes through
/// `inspect`, which must accept only the one canonical encoding.
pub fn labels(data: &[u8]) {
    let f = fixture();
    let mut input = Input::new(data);
    if input.flag() {
        labels_sealed(f, &mut input);
    } else {
        metadata_spliced(f, &mut input);
    }
}

fn key_ok(k: &str) -> bool {
    (1..=32).contains(&k.len()) && k.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-'))
}

fn value_ok(v: &str) -> bool {
    v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b" -_.:/+=,#".contains(&b))
}

fn labels_sealed(f: &Fixture, input: &mut Input<'_>) {
    let mut s = f.session(End::Visitor);
    let mut m = meta(&s);
    if input.flag() {
        let mut id = [0u8; 16];
        id.iter_mut().for_each(|b| *b = input.u8());
        m.subject = Some(Pseudonym::from_bytes(id));
    }
    for c in PiiCategory::ALL {
        if input.u8() % 4 == 0 {
            m.pii.set(c, input.u16());
        }
    }
    let mut model: BTreeMap<String, String> = BTreeMap::new();
    for _ in 0..input.below(11) {
        let key = String::from_utf8_lossy(input.bytes(40)).into_owned();
        let value = String::from_utf8_lossy(input.bytes(72)).into_owned();
        let label = match Label::new(&key, &value) {
            Ok(l) => l,
            Err(e) => {
                assert!(!(key_ok(&key) && value_ok(&value)), "a valid label was refused: {key:?} {value:?}");
                assert_eq!(e.code(), "invalid_input");
                continue;
            }
        };
        assert!(key_ok(&key) && value_ok(&value), "an invalid label was accepted: {key:?} {value:?}");
        let want = if model.len() >= MAX_LABELS {
            Err("limit_exceeded")
        } else if model.contains_key(&key) {
            Err("invalid_input")
        } else {
            Ok(())
        };
        assert_eq!(m.insert_label(label).map_err(|e| e.code()), want);
        if want.is_ok() {
            model.insert(key, value);
        }
    }
    let got: Vec<(&str, &str)> = m.labels().iter().map(|l| (l.key(), l.value())).collect();
    let want: Vec<(&str, &str)> = model.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(got, want, "labels are not in their one canonical order");
    let env = s.seal(b"labelled", &m).expect("valid metadata seals");
    let i = check_inspection(&env).expect("a sealed envelope inspects");
    assert_eq!(i.metadata, m);
    let mut service = f.session(End::Service);
    let opened = service.open(&env).expect("the service opens a labelled turn");
    assert_eq!(opened.metadata, m);
}

fn metadata_spliced(f: &Fixture, input: &mut Input<'_>) {
    let pool: [&[u8]; 4] = [
        &f.hello,
        &f.early_r2i.bytes,
        f.i2r.get(40).map_or(&[][..], |t| &t.bytes[..]),
        f.r2i.get(5).map_or(&[][..], |t| &t.bytes[..]),
    ];
    let genuine = pool.get(input.below(pool.len())).copied().unwrap_or_default();
    let gi = chatseal::inspect(genuine).expect("genuine envelope");
    let genuine_meta = oracle::metadata(&gi.metadata);
    let at = oracle::aad(&gi).len() - genuine_meta.len() - 2;
    let new_meta = if input.flag() { mutate(&genuine_meta, input, &[]) } else { input.bytes(1100).to_vec() };
    let exact = input.u8() % 8 != 0;
    let declared = if exact { new_meta.len() as u16 } else { input.u16() };
    let mut env = genuine.get(..at).unwrap_or_default().to_vec();
    env.extend_from_slice(&declared.to_be_bytes());
    env.extend_from_slice(&new_meta);
    env.extend_from_slice(genuine.get(at + 2 + genuine_meta.len()..).unwrap_or_default());
    match check_inspection(&env) {
        Some(i) if exact => {
            assert_eq!(oracle::metadata(&i.metadata), new_meta, "metadata accepted in a non-canonical encoding");
            assert_eq!(i.header, gi.header);
        }
        Some(_) => {}
        None => assert!(!(exact && new_meta == genuine_meta), "the genuine metadata was refused"),
    }
}

/// Fuzz target `text_form`: the base64url text form is strict (only the canonical encoding of
/// some bytes decodes) and round-trips; hex handles and pseudonym texts likewise.
pub fn text_form(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text_form_errors = |e: &chatseal::Error| {
        check_error(e);
        assert!(matches!(e.code(), "malformed" | "limit_exceeded"), "{e:?}");
    };
    match base64url_decode(&text) {
        Ok(bytes) => {
            assert_eq!(base64url_encode(&bytes), text, "a non-canonical text form decoded");
            assert!(bytes.len() <= MAX_ENVELOPE);
        }
        Err(e) => text_form_errors(&e),
    }
    let max = usize::from(data.first().copied().unwrap_or(0));
    match base64url_decode_max(&text, max) {
        Ok(bytes) => assert!(bytes.len() <= max && base64url_encode(&bytes) == text),
        Err(e) => text_form_errors(&e),
    }
    assert_eq!(base64url_decode(&base64url_encode(data)).as_deref(), Ok(data));
    match SessionHandle::from_hex(&text) {
        Ok(h) => assert!(h.to_hex().eq_ignore_ascii_case(&text)),
        Err(e) => assert_eq!(e.code(), "invalid_input"),
    }
    match Pseudonym::from_text(&text) {
        Ok(p) => assert_eq!(p.to_text(), text),
        Err(e) => assert_eq!(e.code(), "invalid_input"),
    }
}
