//! Session lifecycle: sealed state export/import, rewrap, stale restores, rekeying (on demand,
//! by count, by time), history re-opening, crypto-shredding. Runs natively and in the browser.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatseal::*;
use common::*;
use std::collections::HashSet;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const KEK: [u8; 32] = [7; 32];

fn import(blob: &[u8], kek: &[u8; 32], handle: &SessionHandle) -> Result<Session> {
    Session::import_state(blob, kek, handle, ImportOptions::default())
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn export_import_continues_exactly_without_false_alarms() {
    let (_ring, mut v, mut s, _) = pinned();
    for i in 0..10u8 {
        let r = seal(&mut s, &[i]);
        v.open(&r).unwrap();
        let e = seal(&mut v, &[i]);
        s.open(&e).unwrap();
    }
    // Envelopes in flight while both ends reload.
    let in_flight_to_s = seal(&mut v, b"in flight");
    let in_flight_to_v = seal(&mut s, b"reply in flight");
    let blob_v = v.export_state(&KEK).unwrap();
    let blob_s = s.export_state(&KEK).unwrap();
    assert_eq!(v.state_generation(), 1);
    let mut v2 = import(&blob_v, &KEK, v.handle()).unwrap();
    let mut s2 = import(&blob_s, &KEK, s.handle()).unwrap();
    assert_eq!(format!("{v:?}"), format!("{v2:?}"));
    assert_eq!(v2.safety_code(), v.safety_code());
    let o = s2.open(&in_flight_to_s).unwrap();
    assert_eq!((o.order, o.chain), (Order::InOrder, Chain::Linked));
    let o = v2.open(&in_flight_to_v).unwrap();
    assert_eq!((o.order, o.chain), (Order::InOrder, Chain::Linked));
    for i in 0..5u8 {
        let o = s2.open(&seal(&mut v2, &[i])).unwrap();
        assert_eq!((o.order, o.chain), (Order::InOrder, Chain::Linked), "no replay alarm after restore");
        assert_eq!(v2.open(&seal(&mut s2, &[i])).unwrap().order, Order::InOrder);
    }
    // A replay of an envelope opened before the export is still refused after it.
    assert_eq!(s2.open(&in_flight_to_s).unwrap_err(), Error::Duplicate);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn tampered_truncated_and_wrong_kek_blobs_are_rejected() {
    let (_ring, mut v, _s, _) = pinned();
    let blob = v.export_state(&KEK).unwrap();
    let h = *v.handle();
    assert_eq!(import(&blob, &[8; 32], &h).unwrap_err(), Error::DecryptFailed);
    for i in 0..blob.len() {
        let mut bad = blob.clone();
        bad[i] ^= 0x10;
        let e = import(&bad, &KEK, &h).unwrap_err();
        let expected = match i {
            0..=1 | 4 | 21 => "malformed",
            2 => "unsupported_version",
            3 => "unsupported_suite",
            5..=20 => "wrong_session",
            _ => "decrypt_failed",
        };
        assert_eq!(e.code(), expected, "byte {i}: {e}");
    }
    for cut in [0, 1, 4, 5, 45, 46, 69, 70, blob.len() / 2, blob.len() - 1] {
        assert!(import(&blob[..cut], &KEK, &h).is_err(), "cut {cut}");
    }
    let env = seal(&mut v, b"not a blob");
    assert_eq!(import(&env, &KEK, &h).unwrap_err().code(), "malformed");
    assert_eq!(import(&vec![0; MAX_STATE_BLOB + 1], &KEK, &h).unwrap_err().code(), "limit_exceeded");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rewrap_changes_the_kek_only() {
    let (_ring, mut v, mut s, _) = pinned();
    let old_env = seal(&mut v, b"stored before rotation");
    let blob = v.export_state(&KEK).unwrap();
    let new_kek = [9u8; 32];
    let rewrapped = rewrap_state(&blob, &KEK, &new_kek).unwrap();
    assert_eq!(state_info(&rewrapped).unwrap(), state_info(&blob).unwrap(), "the clear header is kept");
    assert_eq!(import(&rewrapped, &KEK, v.handle()).unwrap_err(), Error::DecryptFailed);
    assert_eq!(rewrap_state(&blob, &new_kek, &KEK).unwrap_err(), Error::DecryptFailed);
    let v2 = import(&rewrapped, &new_kek, v.handle()).unwrap();
    assert_eq!(v2.state_generation(), 1);
    assert_eq!(&v2.reopen(&old_env).unwrap().plaintext[..], b"stored before rotation");
    assert_eq!(&s.open(&old_env).unwrap().plaintext[..], b"stored before rotation");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn stale_blob_restore_never_reuses_a_nonce_and_is_refused_when_checked() {
    let (_ring, mut v, mut s, first) = pinned();
    let stale = v.export_state(&KEK).unwrap();
    let mut sent = vec![first];
    for i in 0..5u8 {
        let e = seal(&mut v, &[i]);
        s.open(&e).unwrap();
        sent.push(e);
    }
    let current = v.export_state(&KEK).unwrap();
    // With the last generation known, the stale copy is refused before it can seal anything.
    let min2 = || ImportOptions { min_generation: 2, ..ImportOptions::default() };
    assert_eq!(Session::import_state(&stale, &KEK, v.handle(), min2()).unwrap_err(), Error::StaleState);
    assert!(Session::import_state(&current, &KEK, v.handle(), min2()).is_ok());
    // Without that knowledge it restores; sealing again re-uses sequence numbers 1..=5 but never
    // a (key, nonce) pair, and the peer refuses the forked turns.
    let mut forked = import(&stale, &KEK, v.handle()).unwrap();
    for i in 0..5u8 {
        let e = seal(&mut forked, &[i, i]);
        assert_eq!(inspect(&e).unwrap().header.seq, u64::from(i) + 1);
        assert_eq!(s.open(&e).unwrap_err(), Error::Duplicate);
        sent.push(e);
    }
    let nonces: HashSet<Vec<u8>> = sent.iter().map(|e| nonce_of(e)).collect();
    assert_eq!(nonces.len(), sent.len(), "a (key, nonce) pair repeated");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rekey_on_demand_both_modes() {
    let (_ring, mut v, mut s, _) = pinned_settled();
    v.rekey_now().unwrap();
    let offer = seal(&mut v, b"offer rides here");
    assert!(matches!(inspect(&offer).unwrap().rekey, Some(Rekey::Offer(_))));
    s.open(&offer).unwrap();
    assert_eq!(s.epoch(), 2);
    let answer = seal(&mut s, b"answer rides here");
    let i = inspect(&answer).unwrap();
    assert!(matches!(i.rekey, Some(Rekey::Answer(_))));
    assert_eq!(i.header.epoch, 2);
    assert_eq!(&v.open(&answer).unwrap().plaintext[..], b"answer rides here");
    assert_eq!((v.epoch(), v.rekey_pending()), (2, false));
    let e = seal(&mut v, b"in epoch 2");
    assert_eq!(inspect(&e).unwrap().header.epoch, 2);
    s.open(&e).unwrap();
    assert!(!s.rekey_pending());

    let (mut a, mut b) = mutual_with(RekeyPolicy::MANUAL);
    b.rekey_now().unwrap(); // the responder may start it too
    a.open(&seal(&mut b, b"offer")).unwrap();
    b.open(&seal(&mut a, b"answer")).unwrap();
    assert_eq!((a.epoch(), b.epoch()), (1, 1));
    assert_eq!(a.safety_code(), b.safety_code(), "the safety code names the handshake, not the epoch");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rekey_now_refuses_before_the_hello_and_at_the_last_epoch() {
    let (ring, public) = service_keys();
    let mut v = Session::initiate_pinned(&public, options(RekeyPolicy::MANUAL)).unwrap();
    assert_eq!(v.rekey_now().unwrap_err().code(), "bad_state");
    let first = seal(&mut v, b"hi");
    let (_s, _) = ring.accept_unrecorded(&first, options(RekeyPolicy::MANUAL)).unwrap();
    let (mut init, offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (_resp, answer) = MutualResponder::answer(&offer, SessionOptions::default()).unwrap();
    let mut m = init.complete(&answer).unwrap();
    assert_eq!(m.rekey_now().unwrap_err().code(), "bad_state", "the hello is still to be sent");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn tampered_answer_keeps_the_pending_rekey() {
    let (_ring, mut v, mut s, _) = pinned_settled();
    v.rekey_now().unwrap();
    s.open(&seal(&mut v, b"offer")).unwrap();
    let answer = seal(&mut s, b"answer");
    let mut bad = answer.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    let before = format!("{v:?}");
    assert_eq!(v.open(&bad).unwrap_err(), Error::DecryptFailed);
    // The answer's public key itself altered: a different DH, so authentication fails too.
    let mut bad_key = answer.clone();
    bad_key[FIXED_HEADER_LEN + 3] ^= 1;
    assert_eq!(v.open(&bad_key).unwrap_err(), Error::DecryptFailed);
    assert_eq!(format!("{v:?}"), before);
    assert!(v.rekey_pending());
    v.open(&answer).unwrap();
    assert_eq!(v.epoch(), 2);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn simultaneous_offers_resolve_to_the_initiators() {
    let (_ring, mut v, mut s, _) = pinned_settled();
    v.rekey_now().unwrap();
    s.rekey_now().unwrap();
    let from_v = seal(&mut v, b"v offers");
    let from_s = seal(&mut s, b"s offers");
    v.open(&from_s).unwrap(); // ignored: the initiator's own offer wins
    assert_eq!(v.epoch(), 1);
    s.open(&from_v).unwrap(); // the responder drops its offer and answers
    assert_eq!(s.epoch(), 2);
    v.open(&seal(&mut s, b"answer")).unwrap();
    assert_eq!(v.epoch(), 2);
    assert_eq!(&s.open(&seal(&mut v, b"epoch 2")).unwrap().plaintext[..], b"epoch 2");
}

fn rekey_marathon(keep_old_epochs: bool) {
    let policy = RekeyPolicy { every_turns: 25, every_secs: 0, keep_old_epochs };
    let (_ring, mut v, mut s, first) = pinned_with(policy);
    let mut history = vec![first];
    let mut opened = 1usize;
    // 1,000 turns each way in batches of 10, each batch delivered out of order.
    for batch in 0..100u64 {
        let to_v: Vec<_> = (0..10).map(|i| seal(&mut s, format!("s{batch}-{i}").as_bytes())).collect();
        let to_s: Vec<_> = (0..10).map(|i| seal(&mut v, format!("v{batch}-{i}").as_bytes())).collect();
        for e in reorder(to_s.clone(), batch + 1, 6) {
            s.open(&e).unwrap();
            opened += 1;
        }
        for e in reorder(to_v.clone(), batch + 99, 6) {
            v.open(&e).unwrap();
            opened += 1;
        }
        history.extend(to_s);
        history.extend(to_v);
    }
    assert_eq!(opened, 2001);
    assert!(v.epoch() >= 30, "rekeyed {} times", v.epoch());
    assert_eq!(v.epoch(), s.epoch());
    if keep_old_epochs {
        // The history page: every stored turn re-opens, in any order, on both ends, and live
        // replay protection is untouched.
        for e in reorder(history.clone(), 5, 2000) {
            assert!(v.reopen(&e).is_ok());
            assert!(s.reopen(&e).is_ok());
        }
        assert_eq!(v.epochs_held().len() as u32, v.epoch() + 1);
    } else {
        assert!(v.epochs_held().len() <= 2, "{:?}", v.epochs_held());
        assert_eq!(v.reopen(&history[0]).unwrap_err(), Error::UnknownEpoch);
        assert_eq!(s.reopen(&history[0]).unwrap_err(), Error::UnknownEpoch);
    }
    assert_eq!(s.open(history.last().unwrap()).unwrap_err(), Error::WrongDirection);
    assert_eq!(s.open(&history[history.len() - 11]).unwrap_err(), Error::Duplicate);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rekey_across_1000_turns_out_of_order_keeping_epochs() {
    rekey_marathon(true);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rekey_across_1000_turns_out_of_order_dropping_epochs() {
    rekey_marathon(false);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn time_based_rekeying_follows_the_clock_and_survives_export() {
    let clock = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(1_000));
    let policy = RekeyPolicy { every_turns: 0, every_secs: 60, keep_old_epochs: false };
    let (mut a, mut b) = {
        let o = || SessionOptions { rekey: policy, clock: Clock::manual(clock.clone()), ..SessionOptions::default() };
        let (mut init, offer) = MutualInitiator::offer(o()).unwrap();
        let (mut resp, answer) = MutualResponder::answer(&offer, o()).unwrap();
        let mut a = init.complete(&answer).unwrap();
        let (b, _) = resp.accept(&seal(&mut a, b"hi")).unwrap();
        (a, b)
    };
    let set = |t| clock.store(t, std::sync::atomic::Ordering::Relaxed);
    set(1_059);
    assert!(inspect(&seal(&mut a, b"not yet")).unwrap().rekey.is_none());
    set(1_060);
    let blob = a.export_state(&KEK).unwrap();
    let mut a = Session::import_state(
        &blob,
        &KEK,
        a.handle(),
        ImportOptions { clock: Clock::manual(clock.clone()), ..ImportOptions::default() },
    )
    .unwrap();
    let offer = seal(&mut a, b"a minute later");
    assert!(matches!(inspect(&offer).unwrap().rekey, Some(Rekey::Offer(_))));
    b.open(&offer).unwrap();
    a.open(&seal(&mut b, b"answer")).unwrap();
    b.open(&seal(&mut a, b"ack")).unwrap();
    assert_eq!((a.epochs_held(), b.epochs_held()), (vec![1], vec![1]));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn state_survives_a_pending_rekey_a_stream_and_a_close() {
    let (_ring, mut v, mut s, _) = pinned_settled();
    v.rekey_now().unwrap();
    s.open(&seal(&mut v, b"offer")).unwrap();
    let chunk = s.seal_chunk(b"streaming ...", &meta(&s), false).unwrap();
    let blob_v = v.export_state(&KEK).unwrap();
    let blob_s = s.export_state(&KEK).unwrap();
    let mut v = import(&blob_v, &KEK, v.handle()).unwrap();
    let mut s = import(&blob_s, &KEK, s.handle()).unwrap();
    assert!(v.rekey_pending() && s.rekey_pending() && s.stream_open());
    assert_eq!(s.seal(b"x", &meta(&s)).unwrap_err().code(), "bad_state");
    v.open(&chunk).unwrap();
    v.open(&s.seal_chunk(b" done", &meta(&s), true).unwrap()).unwrap();
    s.open(&seal(&mut v, b"ack after reload")).unwrap();
    assert_eq!((v.epoch(), s.epoch(), v.rekey_pending(), s.rekey_pending()), (2, 2, false, false));
    let close = v.close(b"bye", &meta(&v)).unwrap();
    let blob_v = v.export_state(&KEK).unwrap();
    let mut v = import(&blob_v, &KEK, v.handle()).unwrap();
    assert_eq!(v.seal(b"x", &meta(&v)).unwrap_err(), Error::Closed);
    s.open(&close).unwrap();
    let blob_s = s.export_state(&KEK).unwrap();
    let s = import(&blob_s, &KEK, s.handle()).unwrap();
    assert!(s.status().peer_closed);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn exports_are_canonical() {
    // Equal states export equal plaintexts: the same session exported twice differs only in the
    // generation, the export id and the nonce (checked through a second import and re-export).
    let (_ring, mut v, mut s, _) = pinned_settled();
    for i in 0..70u8 {
        s.open(&seal(&mut v, &[i])).unwrap();
    }
    let a = s.export_state(&KEK).unwrap();
    let mut s2 = import(&a, &KEK, s.handle()).unwrap();
    let b = s2.export_state(&KEK).unwrap();
    let c = s.export_state(&KEK).unwrap();
    assert_eq!(a.len(), b.len());
    assert_eq!((state_info(&b).unwrap().generation, state_info(&c).unwrap().generation), (2, 2));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn forget_shreds_mutual_sessions_completely() {
    let (mut init, offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (mut resp, answer) = MutualResponder::answer(&offer, SessionOptions::default()).unwrap();
    let mut a = init.complete(&answer).unwrap();
    let first = seal(&mut a, b"personal story");
    let (mut b, _) = resp.accept(&first).unwrap();
    let reply = seal(&mut b, b"reply");
    let handle = *a.handle();
    let ra = a.forget(1_800_000_100);
    let rb = b.forget(1_800_000_101);
    assert_eq!(ra.epochs_deleted, vec![0]);
    assert_eq!(ra.keys_deleted, 3);
    assert_eq!(ra.handle, handle);
    assert_eq!(ra.residual.len(), 2, "mutual mode: exported blobs and the other end only");
    assert_ne!(ra.digest(), rb.digest());
    // What remains: the stored envelopes and the spent responder. Nothing opens them.
    assert_eq!(resp.accept(&first).unwrap_err().code(), "bad_state");
    let (mut other, _) = mutual_with(RekeyPolicy::MANUAL);
    assert_eq!(other.open(&reply).unwrap_err(), Error::WrongSession);
    for d in [format!("{ra:?}"), format!("{rb:?}")] {
        assert!(!d.contains("personal story"));
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn forget_in_pinned_mode_states_the_service_key_residue_and_retirement_ends_it() {
    let (mut ring, mut v, mut s, first) = pinned();
    let reply = seal(&mut s, b"epoch 1 reply");
    v.open(&reply).unwrap();
    let epoch1 = seal(&mut v, b"said in epoch 1");
    s.open(&epoch1).unwrap();
    let key_id = *v.key_id();
    let record = v.forget(1);
    s.forget(2);
    assert_eq!(record.epochs_deleted, vec![0, 1]);
    assert_eq!(record.residual.len(), 3);
    // The service key still re-derives epoch 0 from the first envelope, never epoch 1.
    let history = ring.history(&first).unwrap();
    assert_eq!(history.reopen(&epoch1).unwrap_err(), Error::UnknownEpoch);
    assert_eq!(history.reopen(&reply).unwrap_err(), Error::UnknownEpoch);
    // Retiring the key ends epoch 0 too.
    assert!(ring.retire(&key_id));
    assert_eq!(ring.history(&first).unwrap_err(), Error::UnknownKey);
}
