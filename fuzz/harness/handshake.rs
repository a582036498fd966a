//! The handshake entry points: a pinned `Service` accepting first envelopes, and the mutual-mode
//! offer, answer and first envelope.

use super::check_error;
use super::fixture::{fixture, keyring, options, Fixture, RECORD_KEY};
use super::input::{mutate, Input};
use chatseal::{
    Clock, Error, MemoryRecordStore, MutualInitiator, MutualResponder, RekeyPolicy, Service, ServiceOptions,
    HANDSHAKE_MESSAGE_LEN,
};
use std::sync::Mutex;

// Objects whose construction costs a key derivation, kept between runs while they are provably
// as new: a service whose store is empty, an initiator that did not complete, a responder that
// only saw unparsable input. Each run takes its object out and puts it back only then, so every
// run starts from the same state (and a crash input replays alone).
static SERVICE: Mutex<Option<Service<MemoryRecordStore>>> = Mutex::new(None);
static INITIATOR: Mutex<Option<MutualInitiator>> = Mutex::new(None);
static RESPONDER: Mutex<Option<MutualResponder>> = Mutex::new(None);

fn take<T>(slot: &Mutex<Option<T>>, new: impl FnOnce() -> T) -> T {
    slot.lock().ok().and_then(|mut s| s.take()).unwrap_or_else(new)
}

fn put_back<T>(slot: &Mutex<Option<T>>, value: T) {
    if let Ok(mut s) = slot.lock() {
        *s = Some(value);
    }
}

/// Fuzz target `accept`: arbitrary first envelopes and mutated genuine ones (a pinned hello, a
/// mutual hello, later turns) through `Service::accept`. Only the genuine hello is accepted, it
/// leaves exactly one record, and a replay of it is `session_exists`; a refusal stores nothing.
pub fn accept(data: &[u8]) {
    let f = fixture();
    let mut input = Input::new(data);
    let bytes = if input.flag() {
        let pool: [&[u8]; 5] = [&f.hello, &f.hello, &f.mutual.first, &f.early_i2r.bytes, &f.early_r2i.bytes];
        let genuine = pool.get(input.below(pool.len())).copied().unwrap_or_default();
        mutate(genuine, &mut input, &f.envelopes())
    } else {
        input.rest().to_vec()
    };
    let service = take(&SERVICE, || {
        let options = ServiceOptions { time_granularity: 60, rekey: RekeyPolicy::MANUAL, clock: Clock::none() };
        Service::new(keyring(), &RECORD_KEY, MemoryRecordStore::new(), options)
    });
    match service.accept(&bytes) {
        Ok((handle, opened)) => {
            assert_eq!(bytes, f.hello, "a modified first envelope was accepted");
            assert_eq!(handle, f.handle);
            assert_eq!(&opened.plaintext[..], b"hello");
            assert_eq!(service.store().len(), 1);
            assert_eq!(service.accept(&bytes).map(|_| ()), Err(Error::SessionExists), "a replayed hello");
            assert_eq!(service.open(&bytes).map(|_| ()), Err(Error::Duplicate), "the hello opened twice");
            assert_eq!(service.store().len(), 1);
        }
        Err(e) => {
            check_error(&e);
            assert_ne!(bytes, f.hello, "the genuine hello was refused: {e:?}");
            assert!(service.store().is_empty(), "a refused first envelope left a record");
            put_back(&SERVICE, service);
        }
    }
}

/// Fuzz target `handshake`: `MutualResponder::answer` on arbitrary and mutated offers,
/// `MutualInitiator::complete` on arbitrary and mutated answers, `MutualResponder::accept` on
/// mutated first envelopes. Failures leave both ends able to finish with the genuine message.
pub fn handshake(data: &[u8]) {
    let f = fixture();
    let mut input = Input::new(data);
    let mode = input.u8() % 3;
    let (arbitrary, retry) = (input.flag(), input.flag());
    let donors: [&[u8]; 4] = [&f.mutual.offer, &f.mutual.answer, &f.mutual.first, &f.hello];
    let genuine: &[u8] = match mode {
        0 => &f.mutual.offer,
        1 => &f.mutual.answer,
        _ => &f.mutual.first,
    };
    let bytes = if arbitrary { input.rest().to_vec() } else { mutate(genuine, &mut input, &donors) };
    match mode {
        0 => answer(f, &bytes),
        1 => complete(f, &bytes, retry),
        _ => accept_mutual(f, &bytes),
    }
}

fn answer(f: &Fixture, offer: &[u8]) {
    match MutualResponder::answer(offer, options(4)) {
        Ok((resp, answer)) => {
            assert_eq!(offer.len(), HANDSHAKE_MESSAGE_LEN);
            assert_eq!(answer.len(), HANDSHAKE_MESSAGE_LEN);
            assert_eq!(offer.get(5..21), Some(&resp.handle().as_bytes()[..]));
            assert_eq!(answer.get(..21).map(|p| p.get(5..)), Some(offer.get(5..21)), "the answer names another handle");
            if offer == f.mutual.offer {
                assert_eq!(answer, f.mutual.answer);
            }
        }
        Err(e) => {
            check_error(&e);
            assert_ne!(offer, f.mutual.offer, "the genuine offer was refused: {e:?}");
        }
    }
}

fn complete(f: &Fixture, answer: &[u8], retry: bool) {
    let mut init = take(&INITIATOR, || f.mutual_initiator());
    match init.complete(answer) {
        Ok(session) => {
            assert_eq!(answer.len(), HANDSHAKE_MESSAGE_LEN);
            assert_eq!(answer.get(5..21), Some(&session.handle().as_bytes()[..]));
            assert_eq!(init.complete(&f.mutual.answer).map(|_| ()).map_err(|e| e.code()), Err("bad_state"));
            // Another responder key means another transcript: the codes differ, so comparing
            // them reveals a party in the middle.
            assert_eq!(session.safety_code() == f.mutual.safety_code, answer == f.mutual.answer);
        }
        Err(e) => {
            check_error(&e);
            assert_ne!(answer, f.mutual.answer, "the genuine answer was refused: {e:?}");
            assert!(format!("{init:?}").contains("completed: false"), "a refused answer completed the initiator");
            if retry {
                let session = init.complete(&f.mutual.answer).expect("the genuine answer completes after a bad one");
                assert_eq!(session.safety_code(), f.mutual.safety_code);
            } else {
                put_back(&INITIATOR, init);
            }
        }
    }
}

fn accept_mutual(f: &Fixture, first: &[u8]) {
    let mut resp = take(&RESPONDER, || f.mutual_responder());
    match resp.accept(first) {
        Ok((session, opened)) => {
            assert_eq!(first, f.mutual.first, "a modified first envelope was accepted");
            assert_eq!(&opened.plaintext[..], b"hi, mutual");
            assert_eq!(session.safety_code(), f.mutual.safety_code);
            assert!(resp.accept(first).is_err(), "a completed responder accepted again");
        }
        Err(e) => {
            check_error(&e);
            assert_ne!(first, f.mutual.first, "the genuine first envelope was refused: {e:?}");
            // Past the structure checks the responder may have done its key agreement; it must
            // still accept the genuine envelope.
            if chatseal::inspect(first).is_ok() {
                let (session, _) = resp.accept(&f.mutual.first).expect("genuine first envelope after a bad one");
                assert_eq!(session.safety_code(), f.mutual.safety_code);
            } else {
                put_back(&RESPONDER, resp);
            }
        }
    }
}
