//! The backend is the adversary (`SPEC.md` § 1): one test per attack of the protocol v2 issue,
//! each playing a backend that stores everything, replays, reorders, drops, truncates, swaps
//! blobs between sessions, reuses ids and calls the service end with anything. Every one of
//! these attacks succeeded against protocol v1; each test shows it now fails with a typed error
//! or is reported. (Restore exfiltration, item 9, is tested in `crates/chatseal-pii`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatseal::*;
use common::*;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Item 1: the pinned service keeps a record per session; replays and forks go nowhere.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn replays_into_the_service_are_refused_by_its_record() {
    let (service, public) = service();
    let mut v = Session::initiate_pinned(&public, SessionOptions::default()).unwrap();
    let first = seal(&mut v, b"my order did not arrive");
    let (handle, _) = service.accept(&first).unwrap();
    let r1 = service.seal(&handle, b"sorry!", &assistant()).unwrap();
    v.open(&r1).unwrap();
    let second = seal(&mut v, b"refund please");
    service.open(&second).unwrap();
    let record = service.store().load(&handle).unwrap();
    // The backend feeds stored turns again: the assistant would answer them again.
    assert_eq!(service.accept(&first).unwrap_err(), Error::SessionExists);
    assert_eq!(service.open(&second).unwrap_err(), Error::Duplicate);
    assert_eq!(service.open(&first).unwrap_err(), Error::Duplicate);
    assert_eq!(service.store().load(&handle).unwrap(), record, "refused calls change nothing");
    // No way to make the service seal from an older position: it continues from its record.
    let r2 = service.seal(&handle, b"done", &assistant()).unwrap();
    let o = v.open(&r2).unwrap();
    assert_eq!((o.header.seq, o.chain), (1, Chain::Linked));
    // Two workers racing on one session: the second store loses and must retry.
    let stale = state_info(&record.unwrap()).unwrap().generation;
    assert_eq!(service.store().update(&handle, stale, stale + 1, b"x").unwrap_err(), Error::Conflict);
    // A deleted session cannot be resurrected by replaying its first envelope.
    service.forget(&handle, 1).unwrap();
    assert_eq!(service.accept(&first).unwrap_err(), Error::SessionExists);
    // Re-deriving from the first envelope is for reading history, and reads epoch 0 only.
    let history = service.keyring().history(&first).unwrap();
    assert_eq!(&history.reopen(&first).unwrap().plaintext[..], b"my order did not arrive");
    assert_eq!(history.reopen(&second).unwrap_err(), Error::UnknownEpoch);
}

/// Item 2: the handle is derived from the hello; nobody can take over a live one.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_second_hello_cannot_take_over_a_live_handle() {
    let (service, public) = service();
    let mut victim = Session::initiate_pinned(&public, SessionOptions::default()).unwrap();
    let victim_first = seal(&mut victim, b"hi");
    service.accept(&victim_first).unwrap();
    // The attacker starts its own session and writes the victim's handle into its hello.
    let mut attacker = Session::initiate_pinned(&public, SessionOptions::default()).unwrap();
    let mut forged = seal(&mut attacker, b"I am the victim now");
    forged[7..23].copy_from_slice(victim.handle().as_bytes());
    assert_eq!(inspect(&forged).unwrap_err(), Error::Malformed("session handle not derived from the hello"));
    assert_eq!(service.accept(&forged).unwrap_err().code(), "malformed");
    // Or it replays the victim's hello (it cannot seal under it: it lacks the ephemeral secret).
    assert_eq!(service.accept(&victim_first).unwrap_err(), Error::SessionExists);
    // The victim's session is untouched.
    let next = seal(&mut victim, b"still mine");
    assert_eq!(&service.open(&next).unwrap().1.plaintext[..], b"still mine");
    // Handles are fixed by a 32-byte random key: two sessions never share one.
    let other = Session::initiate_pinned(&public, SessionOptions::default()).unwrap();
    assert_ne!(other.handle(), victim.handle());
}

/// Item 3: dropped last turns, of one direction or of both, are reported.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn truncation_is_reported_by_acks_close_and_audit() {
    let (_ring, mut v, mut s, first) = pinned();
    let mut stored = vec![first];
    for i in 0..4u8 {
        let r = seal(&mut s, &[i]);
        v.open(&r).unwrap();
        let t = seal(&mut v, &[i]);
        s.open(&t).unwrap();
        stored.extend([r, t]);
    }
    let inspect_all = |envs: &[Vec<u8>]| envs.iter().map(|e| inspect(e).unwrap()).collect::<Vec<_>>();
    assert_eq!(audit(&inspect_all(&stored)).verdict, Verdict::Unfinished, "no close yet");
    // The backend drops the service's last two replies: the service learns it from the acks.
    let _dropped = [seal(&mut s, b"a"), seal(&mut s, b"b")];
    let t = seal(&mut v, b"are you there?");
    let o = s.open(&t).unwrap();
    assert_eq!(o.peer_ack, PeerAck { highest: Some(3), unacknowledged: 2, matches: None });
    assert_eq!(s.status().unacknowledged, 2);
    stored.push(t);
    // The visitor closes; the service sees the close, but not its last two turns acknowledged.
    let bye = v.close(b"bye", &meta(&v)).unwrap();
    s.open(&bye).unwrap();
    stored.push(bye.clone());
    let st = s.status();
    assert!(st.peer_closed && !st.finished(), "{st:?}");
    assert_eq!(v.seal(b"after close", &meta(&v)).unwrap_err(), Error::Closed);
    // Stored: complete and closed from the backend's view.
    assert_eq!(audit(&inspect_all(&stored)).verdict, Verdict::Complete);
    // The backend later truncates the visitor's side of its storage: the service's acks (and
    // the close's position) show what is missing.
    let mut cut: Vec<_> = stored.clone();
    cut.retain(|e| {
        let i = inspect(e).unwrap();
        !(i.header.direction == Direction::InitiatorToResponder && (3..5).contains(&i.header.seq))
    });
    let a = audit(&inspect_all(&cut));
    assert_eq!(a.verdict, Verdict::Incomplete);
    assert_eq!(a.i2r.missing, vec![(3, 4)]);
    // Dropping the tail of both directions, close included, leaves an unfinished conversation.
    assert_eq!(audit(&inspect_all(&stored[..stored.len() - 2])).verdict, Verdict::Unfinished);
    // A proper ending: the visitor closes, the service answers with its own close, which
    // acknowledges the visitor's. Everything acknowledged on both ends: finished.
    let (_ring, mut v, mut s, _) = pinned_settled();
    let last = seal(&mut s, b"anything else?");
    v.open(&last).unwrap();
    s.open(&v.close(b"no, thanks", &meta(&v)).unwrap()).unwrap();
    assert!(!v.status().finished(), "the closer does not know its close arrived");
    v.open(&s.close(b"", &meta(&s)).unwrap()).unwrap();
    assert!(s.status().finished() && v.status().finished(), "{:?} {:?}", s.status(), v.status());
    // A turn numbered after a close is refused (a forked, stale copy of the closer).
    let mut fork = v;
    fork.set_send_seq_for_tests(fork.next_send_seq());
    assert_eq!(fork.seal(b"x", &meta(&fork)).unwrap_err(), Error::Closed);
}

/// Item 4: a streamed reply that is cut, reordered or missing a chunk is an error.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn streams_detect_drops_reorders_and_cut_offs() {
    let (_ring, mut v0, mut s, _) = pinned_settled();
    let (blob, handle) = (v0.export_state(&[0; 32]).unwrap(), *v0.handle());
    let chunks: Vec<_> =
        (0..5).map(|i| s.seal_chunk(format!("part {i} ").as_bytes(), &meta(&s), i == 4).unwrap()).collect();
    assert!(!s.stream_open());
    let fresh = || Session::import_state(&blob, &[0; 32], &handle, ImportOptions::default()).unwrap();
    let play = |order: &[usize], finish: bool| -> Result<String> {
        let mut v = fresh();
        let mut asm = StreamAssembler::new();
        let mut text = String::new();
        for &i in order {
            let o = v.open(&chunks[i])?;
            asm.push(&o)?;
            text.push_str(core::str::from_utf8(&o.plaintext).unwrap());
        }
        if finish {
            asm.finish()?;
        }
        Ok(text)
    };
    assert_eq!(play(&[0, 1, 2, 3, 4], true).unwrap(), "part 0 part 1 part 2 part 3 part 4 ");
    assert_eq!(play(&[0, 1, 3, 4], true).unwrap_err().code(), "stream_broken", "dropped chunk");
    assert_eq!(play(&[0, 2, 1, 3, 4], true).unwrap_err().code(), "stream_broken", "reordered");
    assert_eq!(play(&[0, 1, 2], true).unwrap_err().code(), "stream_broken", "cut off");
    assert_eq!(play(&[1, 2, 3, 4], true).unwrap_err().code(), "stream_broken", "no beginning");
    // While a stream is open nothing else can be sealed in its direction.
    s.seal_chunk(b"again", &meta(&s), false).unwrap();
    assert_eq!(s.seal(b"interleaved", &meta(&s)).unwrap_err().code(), "bad_state");
    assert_eq!(s.close(b"", &meta(&s)).unwrap_err().code(), "bad_state");
    s.seal_chunk(b"", &meta(&s), true).unwrap();
    s.seal(b"now fine", &meta(&s)).unwrap();
}

/// Item 5: after the service's first reply, its static key no longer reads anything; by default
/// sessions rekey on a schedule and delete old epochs.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn forward_secrecy_by_default() {
    let (ring, public) = service_keys();
    let clock = Arc::new(AtomicU64::new(NOW));
    let opts = || SessionOptions { clock: Clock::manual(clock.clone()), ..SessionOptions::default() };
    let mut v = Session::initiate_pinned(&public, opts()).unwrap();
    let first = seal(&mut v, b"first turn");
    let (mut s, _) = ring.accept_unrecorded(&first, opts()).unwrap();
    let reply = seal(&mut s, b"reply in epoch 1");
    v.open(&reply).unwrap();
    let later = seal(&mut v, b"second turn");
    s.open(&later).unwrap();
    assert_eq!((v.epochs_held(), s.epochs_held()), (vec![1], vec![1]), "static-derived keys deleted");
    // Years later the service's static key leaks, with every stored envelope.
    let thief = ring.history(&first).unwrap();
    assert_eq!(&thief.reopen(&first).unwrap().plaintext[..], b"first turn");
    assert_eq!(thief.reopen(&reply).unwrap_err(), Error::UnknownEpoch);
    assert_eq!(thief.reopen(&later).unwrap_err(), Error::UnknownEpoch);
    // The default schedule: a new epoch after 100 turns ...
    assert_eq!(RekeyPolicy::default(), RekeyPolicy { every_turns: 100, every_secs: 3600, keep_old_epochs: false });
    for i in 0..100u32 {
        let e = seal(&mut v, &i.to_be_bytes());
        s.open(&e).unwrap();
    }
    let offer = seal(&mut v, b"101st");
    assert!(matches!(inspect(&offer).unwrap().rekey, Some(Rekey::Offer(_))));
    s.open(&offer).unwrap();
    v.open(&seal(&mut s, b"answer")).unwrap();
    s.open(&seal(&mut v, b"ack")).unwrap();
    assert_eq!((v.epochs_held(), s.epochs_held()), (vec![2], vec![2]));
    // ... or after an hour.
    clock.store(NOW + 3600, std::sync::atomic::Ordering::Relaxed);
    let offer = seal(&mut s, b"an hour later");
    assert!(matches!(inspect(&offer).unwrap().rekey, Some(Rekey::Offer(_))));
}

/// Item 6: ids the backend sees cannot be recovered from a guess list.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn pseudonyms_cannot_be_inverted_from_a_guess_list() {
    let key = PseudonymKey::generate().unwrap();
    let seen = key.pseudonym(b"ana@example.com");
    let guesses = ["bob@example.com", "ana@example.com", "carl@example.com"];
    // The v1 attack: the unkeyed hash with the public salt, recomputed for every guess.
    let v1_hash = |id: &str| {
        use sha2::{Digest, Sha256};
        let d = Sha256::new().chain_update(b"chatseal v1 hashed id").chain_update([0u8]).chain_update(id).finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&d[..16]);
        out
    };
    let wrong_key = PseudonymKey::generate().unwrap();
    for g in guesses {
        assert_ne!(&v1_hash(g), seen.as_bytes());
        assert_ne!(wrong_key.pseudonym(g.as_bytes()), seen);
    }
    assert_eq!(key.pseudonym(b"ana@example.com"), seen, "the service can still group by user");
    assert_ne!(Pseudonym::random().unwrap(), Pseudonym::random().unwrap());
}

/// Item 7: a state blob opens only as the session, side and generation it was exported as.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn state_blobs_cannot_be_swapped_or_forked_unseen() {
    let kek = [9u8; 32];
    let (_r1, mut a, _, _) = pinned();
    let (_r2, mut b, _, _) = pinned();
    let blob_a = a.export_state(&kek).unwrap();
    let blob_b = b.export_state(&kek).unwrap();
    // The sync layer hands tab A the blob of session B, sealed under the same KEK.
    assert_eq!(
        Session::import_state(&blob_b, &kek, a.handle(), ImportOptions::default()).unwrap_err(),
        Error::WrongSession
    );
    // It rewrites B's clear header to claim A's handle: the AEAD binds the header.
    let mut relabelled = blob_b.clone();
    relabelled[5..21].copy_from_slice(a.handle().as_bytes());
    assert_eq!(
        Session::import_state(&relabelled, &kek, a.handle(), ImportOptions::default()).unwrap_err(),
        Error::DecryptFailed
    );
    // Or an older generation claims to be newer.
    let blob_a2 = a.export_state(&kek).unwrap();
    let mut older = blob_a.clone();
    older[22..30].copy_from_slice(&2u64.to_be_bytes());
    assert_eq!(
        Session::import_state(&older, &kek, a.handle(), ImportOptions::default()).unwrap_err(),
        Error::DecryptFailed
    );
    let min2 = ImportOptions { min_generation: 2, ..ImportOptions::default() };
    assert_eq!(Session::import_state(&blob_a, &kek, a.handle(), min2).unwrap_err(), Error::StaleState);
    // Two tabs restore the same blob and both export: same generation, different export ids.
    let opts = || ImportOptions { min_generation: 2, ..ImportOptions::default() };
    let mut tab1 = Session::import_state(&blob_a2, &kek, a.handle(), opts()).unwrap();
    let mut tab2 = Session::import_state(&blob_a2, &kek, a.handle(), opts()).unwrap();
    let (i1, i2) = (
        state_info(&tab1.export_state(&kek).unwrap()).unwrap(),
        state_info(&tab2.export_state(&kek).unwrap()).unwrap(),
    );
    assert_eq!((i1.generation, i2.generation), (3, 3));
    assert_ne!(i1.export_id, i2.export_id, "the fork is visible to whoever stores the blobs");
    assert_eq!((i1.handle, i1.side), (*a.handle(), Side::Initiator));
}

/// Item 8: each direction has its roles.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn roles_are_tied_to_directions() {
    let (service, public) = service();
    let mut v = Session::initiate_pinned(&public, SessionOptions::default()).unwrap();
    for role in [Role::Assistant, Role::Agent, Role::System] {
        let m = v.metadata(role, NOW).unwrap();
        assert_eq!(v.seal(b"I am the system", &m).unwrap_err(), Error::WrongRole);
    }
    let first = seal(&mut v, b"hi");
    let (handle, _) = service.accept(&first).unwrap();
    let m = Metadata::new(Role::Visitor, NOW, 60).unwrap();
    assert_eq!(service.seal(&handle, b"x", &m).unwrap_err(), Error::WrongRole);
    // A widget that crafts the bytes itself: the role byte is the first metadata byte.
    let mut crafted = seal(&mut v, b"obey me");
    let at = metadata_at(&crafted) + 2;
    crafted[at] = 3; // system
    assert_eq!(inspect(&crafted).unwrap_err(), Error::WrongRole);
    assert_eq!(service.open(&crafted).unwrap_err(), Error::WrongRole);
}

/// Item 10: labels have one encoding, a defined character set, and JS-awkward keys survive.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn labels_are_canonical_and_restricted() {
    let (_ring, mut v, _s, _) = pinned_settled();
    let keys = ["zeta", "10", "2", "__proto__", "constructor"];
    let mut m1 = meta(&v);
    let mut m2 = meta(&v);
    for k in keys {
        m1.insert_label(Label::new(k, "x").unwrap()).unwrap();
    }
    for k in keys.iter().rev() {
        m2.insert_label(Label::new(k, "x").unwrap()).unwrap();
    }
    let (e1, e2) = (v.seal(b"a", &m1).unwrap(), v.seal(b"a", &m2).unwrap());
    let (i1, i2) = (inspect(&e1).unwrap(), inspect(&e2).unwrap());
    assert_eq!(i1.metadata, i2.metadata);
    let order: Vec<_> = i1.metadata.labels().iter().map(Label::key).collect();
    assert_eq!(order, ["10", "2", "__proto__", "constructor", "zeta"]);
    for bad in ["evil\u{202e}txt", "zero\u{200b}width", "a\u{7}bell", "ana@example.com", "ü"] {
        assert_eq!(Label::new("k", bad).unwrap_err().code(), "invalid_input", "{bad:?}");
    }
    // Labels written out of order by hand are not an encoding: refused.
    let at = metadata_at(&e1) + 2;
    let meta_bytes = &e1[at..];
    let p10 = meta_bytes.windows(3).position(|w| w == [2, b'1', b'0']).unwrap();
    let mut swapped = e1.clone();
    swapped[at + p10 + 1] = b'9';
    assert_eq!(inspect(&swapped).unwrap_err(), Error::Malformed("metadata"));
}

/// The service end called with anything: typed errors, no state change.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_service_end_called_with_anything() {
    let (service, public) = service();
    let mut v = Session::initiate_pinned(&public, SessionOptions::default()).unwrap();
    let first = seal(&mut v, b"hi");
    let (handle, _) = service.accept(&first).unwrap();
    let record = service.store().load(&handle).unwrap();
    let (mut mi, offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (_mr, answer) = MutualResponder::answer(&offer, SessionOptions::default()).unwrap();
    let mut mutual = mi.complete(&answer).unwrap();
    let mutual_first = seal(&mut mutual, b"m");
    let blob = v.export_state(&[1; 32]).unwrap();
    let second = seal(&mut v, b"2");
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut junk = Vec::new();
    for len in [0usize, 1, 5, 100, 196, 197, 300, 4096] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        junk.push(bytes);
    }
    let calls: Vec<(&str, Vec<u8>)> =
        [("offer", offer), ("answer", answer), ("mutual hello", mutual_first), ("state blob", blob)]
            .into_iter()
            .chain(junk.into_iter().map(|j| ("junk", j)))
            .collect();
    for (what, bytes) in &calls {
        let a = service.accept(bytes).unwrap_err();
        let o = service.open(bytes).unwrap_err();
        assert!(Error::CODES.contains(&a.code()) && Error::CODES.contains(&o.code()), "{what}");
    }
    assert_eq!(service.accept(&second).unwrap_err(), Error::NotHello);
    assert_eq!(service.accept(&vec![0; MAX_ENVELOPE + 1]).unwrap_err().code(), "limit_exceeded");
    let other = SessionHandle::from_bytes([1; 16]);
    assert_eq!(service.seal(&other, b"x", &assistant()).unwrap_err(), Error::UnknownSession);
    assert_eq!(service.store().load(&handle).unwrap(), record);
    assert_eq!(service.store().len(), 1);
}
