//! State blobs: `import_state` / `import_state_with` / `state_info`, and `rewrap_state`.

use super::check_error;
use super::fixture::{fixture, import_options, Fixture, KEK, KEK2};
use super::input::{mutate, Input};
use chatseal::primitives::{xchacha_open, xchacha_seal_detached};
use chatseal::{rewrap_state, state_info, Error, Session, SessionHandle};
use std::sync::OnceLock;

/// A blob's clear header (the AEAD's associated data) and nonce lengths (`SPEC.md` § 13.1).
const CLEAR_LEN: usize = 46;
const NONCE_LEN: usize = 24;
/// Where the generation sits in the state plaintext: after format, side, mode, handle, key id
/// and safety value.
const GENERATION_AT: usize = 3 + 16 + 8 + 8;

/// The state plaintext inside a blob sealed under [`KEK`].
fn plaintext(blob: &[u8]) -> Option<Vec<u8>> {
    let nonce: [u8; NONCE_LEN] = blob.get(CLEAR_LEN..CLEAR_LEN + NONCE_LEN)?.try_into().ok()?;
    let state = xchacha_open(&KEK, &nonce, blob.get(..CLEAR_LEN)?, blob.get(CLEAR_LEN + NONCE_LEN..)?).ok()?;
    Some(state.to_vec())
}

/// `state` sealed under [`KEK`] behind the clear header `clear`: what a client holding the KEK
/// (or a buggy older version of it) could store.
fn reseal(clear: &[u8], state: &[u8]) -> Vec<u8> {
    let nonce = [9u8; NONCE_LEN];
    let mut body = state.to_vec();
    let tag = xchacha_seal_detached(&KEK, &nonce, clear, &mut body).expect("seal");
    [clear, &nonce, &body, &tag].concat()
}

/// The plaintexts of the fixture's blobs, decrypted once.
fn plaintexts() -> &'static Vec<Vec<u8>> {
    static PLAIN: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    PLAIN.get_or_init(|| fixture().blobs().iter().map(|b| plaintext(&b.bytes).expect("fixture blob opens")).collect())
}

/// A genuine blob whose state plaintext was edited by the input, sealed again under [`KEK`]:
/// this gets the fuzzer past the AEAD into the state decoder, which is strict (one encoding per
/// state). What it accepts must re-export to the same bytes (but the generation, one higher),
/// re-import to the same session, and work as a session.
fn import_resealed(f: &Fixture, input: &mut Input<'_>) {
    let plain = plaintexts();
    let k = input.below(plain.len());
    let (Some(genuine), Some(blob)) = (plain.get(k), f.blobs().get(k).copied()) else { return };
    let donors: Vec<&[u8]> = plain.iter().map(Vec::as_slice).collect();
    let state = mutate(genuine, input, &donors);
    let sealed = reseal(blob.bytes.get(..CLEAR_LEN).unwrap_or_default(), &state);
    let (mut s, extension) = match Session::import_state_with(&sealed, &KEK, &f.handle, import_options(0)) {
        Ok(ok) => ok,
        Err(e) => {
            check_error(&e);
            assert_ne!(state, *genuine, "a genuine state was refused: {e:?}");
            return;
        }
    };
    let generation = s.state_generation();
    let again = s.export_state_with(&KEK, &extension).expect("a restored session exports");
    let exported = plaintext(&again).expect("an exported blob opens");
    let range = GENERATION_AT..GENERATION_AT + 8;
    assert_eq!(exported.get(range.clone()), Some(&(generation + 1).to_be_bytes()[..]));
    let (mut a, mut b) = (exported, state);
    a.get_mut(range.clone()).into_iter().flatten().for_each(|x| *x = 0);
    b.get_mut(range).into_iter().flatten().for_each(|x| *x = 0);
    if a != b {
        let at: Vec<usize> = (0..a.len().max(b.len())).filter(|&i| a.get(i) != b.get(i)).take(8).collect();
        panic!(
            "the state decoder accepted a non-canonical encoding (length {} vs {}, first differences at {at:?})",
            b.len(),
            a.len()
        );
    }
    let (back, _) = Session::import_state_with(&again, &KEK, &f.handle, import_options(0)).expect("re-import");
    assert_eq!(format!("{back:?}"), format!("{s:?}"), "a state blob does not round-trip");
    let status = s.status();
    assert!(status.unacknowledged <= status.sent);
    let role = if s.side() == chatseal::Side::Initiator { chatseal::Role::Visitor } else { chatseal::Role::Assistant };
    if let Ok(m) = s.metadata(role, super::fixture::NOW) {
        if let Err(e) = s.seal(b"after restore", &m) {
            check_error(&e);
        }
    }
}

/// Arbitrary bytes, or a mutated genuine blob.
fn blob_input(f: &Fixture, input: &mut Input<'_>) -> Vec<u8> {
    let blobs = f.blobs();
    if input.flag() {
        return input.rest().to_vec();
    }
    let donors: Vec<&[u8]> = blobs.iter().map(|b| b.bytes.as_slice()).collect();
    let genuine = donors.get(input.below(donors.len())).copied().unwrap_or_default();
    mutate(genuine, input, &donors)
}

/// The fixture blob equal to `bytes`, if any.
fn genuine<'f>(f: &'f Fixture, bytes: &[u8]) -> Option<&'f super::fixture::Blob> {
    f.blobs().into_iter().find(|b| b.bytes == bytes)
}

/// Fuzz target `import_state`: only a genuine blob imports, to the session and extension it
/// holds, refused below `min_generation`; its clear header matches `state_info`; errors agree with
/// `state_info`'s; a restored session re-exports and re-imports to the same session. A third of
/// the inputs edit the state inside a blob re-sealed under the KEK ([`import_resealed`]).
pub fn import_state(data: &[u8]) {
    let f = fixture();
    let mut input = Input::new(data);
    if input.u8() % 3 == 0 {
        import_resealed(f, &mut input);
        return;
    }
    let min_generation = u64::from(input.u8() % 6);
    let other_handle = input.u8() % 8 == 0;
    let bytes = blob_input(f, &mut input);
    let expected = if other_handle { SessionHandle::from_bytes([0xaa; 16]) } else { f.handle };
    let info = state_info(&bytes);
    let result = Session::import_state_with(&bytes, &KEK, &expected, import_options(min_generation));
    let plain = Session::import_state(&bytes, &KEK, &expected, import_options(min_generation));
    if let Err(e) = &plain {
        check_error(e);
    }
    match (info, result) {
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code(), "state_info and import disagree"),
        (Err(e), Ok(_)) => panic!("state_info refused a blob import accepted: {e:?}"),
        (Ok(i), Err(e)) => {
            check_error(&e);
            if i.handle != expected {
                assert_eq!(e, Error::WrongSession);
            } else if let Some(g) = genuine(f, &bytes) {
                assert!(
                    i.generation < min_generation,
                    "a genuine blob was refused: {e:?} ({} extension bytes)",
                    g.extension.len()
                );
                assert_eq!(e, Error::StaleState);
            }
        }
        (Ok(i), Ok((s, extension))) => {
            let g = genuine(f, &bytes).expect("a modified state blob imported");
            assert_eq!(&extension[..], &g.extension[..]);
            assert!(i.generation >= min_generation && i.handle == expected);
            assert_eq!((s.handle(), s.side(), s.state_generation()), (&i.handle, i.side, i.generation));
            assert_eq!(
                plain.as_ref().map(|_| ()).map_err(|e| e.code()),
                if g.extension.is_empty() { Ok(()) } else { Err("bad_state") }
            );
            reexport(s, &extension, i.generation);
        }
    }
}

fn reexport(mut s: Session, extension: &[u8], generation: u64) {
    let f = fixture();
    let again = s.export_state_with(&KEK, extension).expect("re-export");
    assert_eq!(state_info(&again).map(|i| i.generation), Ok(generation + 1));
    assert_eq!(s.state_generation(), generation + 1);
    let (back, ext) =
        Session::import_state_with(&again, &KEK, &f.handle, import_options(generation + 1)).expect("re-import");
    assert_eq!(format!("{back:?}"), format!("{s:?}"), "a state blob does not round-trip");
    assert_eq!(&ext[..], extension);
}

/// Fuzz target `rewrap`: only a genuine blob rewraps; the new blob has the same clear header, the
/// new key opens it to the same session and extension, the old key no longer does.
pub fn rewrap(data: &[u8]) {
    let f = fixture();
    let mut input = Input::new(data);
    let wrong_key = input.u8() % 8 == 0;
    let bytes = blob_input(f, &mut input);
    let old = if wrong_key { &KEK2 } else { &KEK };
    match rewrap_state(&bytes, old, &KEK2) {
        Ok(new) => {
            let g = genuine(f, &bytes).expect("a modified state blob was rewrapped");
            assert!(!wrong_key, "rewrapped under the wrong key");
            assert_eq!(state_info(&new), state_info(&bytes), "rewrapping changed the clear header");
            assert_eq!(new.len(), bytes.len());
            assert_ne!(new, bytes, "rewrapping reused the nonce");
            let opts = || import_options(0);
            let (a, ea) = Session::import_state_with(&bytes, &KEK, &f.handle, opts()).expect("original imports");
            let (b, eb) = Session::import_state_with(&new, &KEK2, &f.handle, opts()).expect("rewrapped imports");
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
            assert_eq!((&ea[..], &eb[..]), (&g.extension[..], &g.extension[..]));
            let stale = Session::import_state_with(&new, &KEK, &f.handle, opts()).map(|_| ());
            assert_eq!(stale, Err(Error::DecryptFailed), "the old key opens the rewrapped blob");
        }
        Err(e) => {
            check_error(&e);
            if let Err(first) = state_info(&bytes) {
                assert_eq!(first.code(), e.code(), "state_info and rewrap disagree");
            }
            assert!(wrong_key || genuine(f, &bytes).is_none(), "a genuine blob was not rewrapped: {e:?}");
        }
    }
}
