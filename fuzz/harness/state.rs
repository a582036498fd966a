//! State blobs: `import_state` / `import_state_with` / `state_info`, and `rewrap_state`.

use super::check_error;
use super::fixture::{fixture, import_options, Fixture, KEK, KEK2};
use super::input::{mutate, Input};
use chatseal::{rewrap_state, state_info, Error, Session, SessionHandle};

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
/// `state_info`'s; a restored session re-exports and re-imports to the same session.
pub fn import_state(data: &[u8]) {
    let f = fixture();
    let mut input = Input::new(data);
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
                assert!(i.generation < min_generation, "a genuine blob was refused: {e:?} ({} extension bytes)", g.extension.len());
                assert_eq!(e, Error::StaleState);
            }
        }
        (Ok(i), Ok((s, extension))) => {
            let g = genuine(f, &bytes).expect("a modified state blob imported");
            assert_eq!(&extension[..], &g.extension[..]);
            assert!(i.generation >= min_generation && i.handle == expected);
            assert_eq!((s.handle(), s.side(), s.state_generation()), (&i.handle, i.side, i.generation));
            assert_eq!(plain.as_ref().map(|_| ()).map_err(|e| e.code()), if g.extension.is_empty() { Ok(()) } else { Err("bad_state") });
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
