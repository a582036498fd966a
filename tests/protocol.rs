//! Protocol behaviour through the public Rust API: both handshake modes, the forward-secrecy
//! step, sealing and opening, replay window, chain, tampering, failed opens leaving state
//! unchanged, limits, secret hygiene. Runs natively and in the browsers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatseal::*;
use common::*;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn pinned_roundtrip_both_directions_and_the_forward_secrecy_step() {
    let (_ring, mut visitor, mut service, first) = pinned();
    assert_eq!(visitor.safety_code(), service.safety_code());
    assert_eq!(visitor.handle(), service.handle());
    assert_eq!(inspect(&first).unwrap().hello.unwrap().handle(), *visitor.handle());
    // The service answered the hello's key at once: it seals in epoch 1, the visitor still in 0.
    assert_eq!((service.epoch(), visitor.epoch()), (1, 0));
    for i in 0..20u32 {
        let reply = format!("assistant turn {i}");
        let env = service.seal(reply.as_bytes(), &meta(&service)).unwrap();
        let got = visitor.open(&env).unwrap();
        assert_eq!(&got.plaintext[..], reply.as_bytes());
        assert_eq!((got.header.epoch, got.metadata.role, got.metadata.time), (1, Role::Assistant, NOW - NOW % 60));
        let body = format!("visitor turn {i}");
        let env = visitor.seal(body.as_bytes(), &meta(&visitor)).unwrap();
        let got = service.open(&env).unwrap();
        assert_eq!(&got.plaintext[..], body.as_bytes());
        assert_eq!((got.header.seq, got.header.epoch, got.chain), (u64::from(i) + 1, 1, Chain::Linked));
    }
    // This policy keeps old epochs for history; the default deletes them (tests/adversary.rs).
    assert_eq!((visitor.epochs_held(), service.epochs_held()), (vec![0, 1], vec![0, 1]));
    assert!(!visitor.rekey_pending() && !service.rekey_pending());
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn turns_sent_before_the_first_reply_stay_in_epoch_0_and_open() {
    let (_ring, mut v, mut s, _first) = pinned();
    let early = [seal(&mut v, b"two"), seal(&mut v, b"three")];
    for e in &early {
        assert_eq!(inspect(e).unwrap().header.epoch, 0);
        assert!(matches!(inspect(e).unwrap().rekey, Some(Rekey::Offer(_))), "the offer rides until answered");
    }
    let reply = seal(&mut s, b"welcome");
    for e in &early {
        s.open(e).unwrap();
    }
    v.open(&reply).unwrap();
    let later = seal(&mut v, b"four");
    assert_eq!(inspect(&later).unwrap().header.epoch, 1);
    assert!(inspect(&later).unwrap().rekey.is_none());
    s.open(&later).unwrap();
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn mutual_roundtrip_and_safety_code() {
    let (mut visitor, mut agent) = mutual_with(RekeyPolicy::MANUAL);
    let code = visitor.safety_code();
    assert_eq!(code, agent.safety_code());
    assert_eq!(code.len(), 14);
    assert!(code.split(' ').all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_digit())));
    let m = Metadata::new(Role::Agent, NOW, 60).unwrap();
    let env = agent.seal(b"how can I help", &m).unwrap();
    assert_eq!(&visitor.open(&env).unwrap().plaintext[..], b"how can I help");
    assert_eq!(visitor.epoch(), 0, "mutual mode is ephemeral from the start: no extra step");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn mutual_man_in_the_middle_gets_different_codes() {
    // Mallory answers the visitor herself and offers to the agent herself.
    let (mut visitor_init, offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (mut mallory_resp, mallory_answer) = MutualResponder::answer(&offer, SessionOptions::default()).unwrap();
    let mut visitor = visitor_init.complete(&mallory_answer).unwrap();
    let first = seal(&mut visitor, b"secret");
    let (mallory_side_a, _) = mallory_resp.accept(&first).unwrap();
    let (mut mallory_init, offer2) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (mut agent_resp, answer2) = MutualResponder::answer(&offer2, SessionOptions::default()).unwrap();
    let mut mallory_side_b = mallory_init.complete(&answer2).unwrap();
    let relay = seal(&mut mallory_side_b, b"secret");
    let (agent, _) = agent_resp.accept(&relay).unwrap();
    assert_eq!(visitor.safety_code(), mallory_side_a.safety_code());
    assert_ne!(visitor.safety_code(), agent.safety_code());
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn mutual_reveal_must_match_commitment_and_handle() {
    let (_init, offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (mut resp, answer) = MutualResponder::answer(&offer, SessionOptions::default()).unwrap();
    let (mut other, _) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    assert_eq!(other.complete(&answer).unwrap_err(), Error::WrongSession);
    let (mut other, offer_other) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (_r, answer_other) = MutualResponder::answer(&offer_other, SessionOptions::default()).unwrap();
    let mut s = other.complete(&answer_other).unwrap();
    let env = seal(&mut s, b"x");
    assert_eq!(resp.accept(&env).unwrap_err(), Error::WrongSession);
    // An offer whose handle was not derived from its commitment is malformed.
    let mut forged = offer.clone();
    forged[10] ^= 1;
    assert_eq!(MutualResponder::answer(&forged, SessionOptions::default()).unwrap_err().code(), "malformed");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn mutual_responder_survives_tampered_first_envelope() {
    let (mut init, offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (mut resp, answer) = MutualResponder::answer(&offer, SessionOptions::default()).unwrap();
    let mut visitor = init.complete(&answer).unwrap();
    let first = seal(&mut visitor, b"first");
    let mut bad = first.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert_eq!(resp.accept(&bad).unwrap_err(), Error::DecryptFailed);
    let second = seal(&mut visitor, b"second");
    assert_eq!(resp.accept(&second).unwrap_err(), Error::NotHello);
    let (agent, opened) = resp.accept(&first).unwrap();
    assert_eq!(&opened.plaintext[..], b"first");
    assert_eq!(agent.safety_code(), visitor.safety_code());
    assert_eq!(resp.accept(&first).unwrap_err().code(), "bad_state");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn service_end_accepts_answers_and_keeps_its_record() {
    let (service, public) = service();
    let mut visitor = Session::initiate_pinned(&public, SessionOptions::default()).unwrap();
    let first = seal(&mut visitor, b"one");
    let (handle, turn) = service.accept(&first).unwrap();
    assert_eq!((&turn.plaintext[..], &handle), (&b"one"[..], visitor.handle()));
    let reply = service.seal(&handle, b"r1", &assistant()).unwrap();
    assert_eq!(&visitor.open(&reply).unwrap().plaintext[..], b"r1");
    let second = seal(&mut visitor, b"two");
    let (_, turn) = service.open(&second).unwrap();
    assert_eq!((&turn.plaintext[..], turn.chain), (&b"two"[..], Chain::Linked));
    let reply2 = service.with_session(&handle, |s| s.seal(b"r2", &assistant())).unwrap();
    let o = visitor.open(&reply2).unwrap();
    assert_eq!((&o.plaintext[..], o.header.seq, o.chain), (&b"r2"[..], 1, Chain::Linked));
    // A failed call stores nothing: the record is exactly as before.
    let before = service.store().load(&handle).unwrap();
    assert_eq!(service.with_session(&handle, |_| Err::<(), _>(Error::State("no"))).unwrap_err().code(), "bad_state");
    assert_eq!(service.store().load(&handle).unwrap(), before);
    let record = service.forget(&handle, 5).unwrap();
    assert_eq!(record.side, Side::Responder);
    assert_eq!(service.open(&seal(&mut visitor, b"after")).unwrap_err(), Error::UnknownSession);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn key_rotation_and_retirement() {
    let (mut service, old_pub) = service();
    let mut v_old = Session::initiate_pinned(&old_pub, SessionOptions::default()).unwrap();
    let first_old = seal(&mut v_old, b"old");
    let new = ServiceKeyPair::generate().unwrap();
    let new_pub = new.public_key().clone();
    service.keyring_mut().insert(new);
    let mut v_new = Session::initiate_pinned(&new_pub, SessionOptions::default()).unwrap();
    let first_new = seal(&mut v_new, b"new");
    let mut v_late = Session::initiate_pinned(&old_pub, SessionOptions::default()).unwrap();
    let first_late = seal(&mut v_late, b"late");
    assert!(service.accept(&first_old).is_ok());
    assert!(service.keyring_mut().retire(old_pub.key_id()));
    assert_eq!(service.accept(&first_late).unwrap_err(), Error::UnknownKey);
    assert!(service.accept(&first_new).is_ok());
    // Sessions accepted before the retirement go on: their keys are in the record.
    let reply = service.seal(v_old.handle(), b"still here", &assistant()).unwrap();
    assert_eq!(&v_old.open(&reply).unwrap().plaintext[..], b"still here");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn replay_gap_reorder_and_window() {
    let (_ring, mut visitor, mut service, _) = pinned_settled();
    let envs: Vec<_> = (0..100).map(|i| seal(&mut visitor, &[i as u8])).collect();
    // seq of envs[i] is i + 2 (seq 0 was the hello, 1 the "thanks").
    assert_eq!(service.open(&envs[0]).unwrap().order, Order::InOrder);
    assert_eq!(service.open(&envs[0]).unwrap_err(), Error::Duplicate);
    let o = service.open(&envs[3]).unwrap();
    assert_eq!((o.order, o.chain), (Order::Gap { missing: 2 }, Chain::Unverified));
    assert_eq!(service.status().missing, 2);
    let o = service.open(&envs[2]).unwrap();
    assert_eq!((o.order, o.chain), (Order::Late, Chain::Unverified));
    let o = service.open(&envs[1]).unwrap();
    assert_eq!((o.order, o.chain), (Order::Late, Chain::Linked));
    assert_eq!(service.status().missing, 0);
    assert_eq!(service.open(&envs[99]).unwrap().order, Order::Gap { missing: 95 });
    // Highest is 101: the window holds 38..=101 (64 numbers); envs[i] has seq i + 2.
    assert!(service.open(&envs[36]).is_ok());
    assert_eq!(service.open(&envs[35]).unwrap_err(), Error::TooOld);
    assert_eq!(service.open(&envs[36]).unwrap_err(), Error::Duplicate);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn wrong_session_direction_and_reflection() {
    let (_r1, mut v1, mut s1, _) = pinned();
    let (_r2, _v2, mut s2, _) = pinned();
    let env = seal(&mut v1, b"x");
    assert_eq!(s2.open(&env).unwrap_err(), Error::WrongSession);
    assert_eq!(v1.open(&env).unwrap_err(), Error::WrongDirection);
    assert_eq!(&s1.open(&env).unwrap().plaintext[..], b"x");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_modified_byte_is_rejected_and_state_is_kept() {
    let (_ring, mut visitor, mut service, _) = pinned_settled();
    let m = {
        let mut m = meta(&visitor);
        m.subject = Some(Pseudonym::from_bytes([3; 16]));
        m.insert_label(Label::new("page", "checkout").unwrap()).unwrap();
        m
    };
    let env = visitor.seal(b"the genuine turn", &m).unwrap();
    let before = format!("{service:?}");
    for i in 0..env.len() {
        for flip in [0x01u8, 0x80] {
            let mut bad = env.clone();
            bad[i] ^= flip;
            let err = service.open(&bad).unwrap_err();
            assert_ne!(err, Error::Duplicate, "byte {i}");
            assert_eq!(format!("{service:?}"), before, "state changed after failed open at byte {i}");
        }
    }
    for cut in 0..env.len() {
        assert!(service.open(&env[..cut]).is_err());
    }
    let mut longer = env.clone();
    longer.push(0);
    assert!(service.open(&longer).is_err());
    assert_eq!(&service.open(&env).unwrap().plaintext[..], b"the genuine turn");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn inspect_without_keys_and_backend_chain_check() {
    let (_ring, mut visitor, mut service, _) = pinned_settled();
    let mut m = meta(&visitor);
    m.subject = Some(Pseudonym::random().unwrap());
    m.insert_label(Label::new("topic", "billing").unwrap()).unwrap();
    m.pii.set(PiiCategory::Email, 2);
    let a = visitor.seal(&[b'x'; 100], &m).unwrap();
    let b = visitor.seal(b"short", &m).unwrap();
    let ia = inspect(&a).unwrap();
    let ib = inspect(&b).unwrap();
    assert_eq!(ia.metadata, m);
    assert_eq!((ia.padded_len, ib.padded_len), (128, 32));
    assert_eq!(ib.header.prev, ia.link, "a backend can verify the chain without keys");
    assert_eq!(ia.header.direction, Direction::InitiatorToResponder);
    service.open(&a).unwrap();
    let reply = seal(&mut service, b"ok");
    let ir = inspect(&reply).unwrap();
    assert_eq!(ir.header.ack, Some(Ack { seq: ia.header.seq, link: ia.link }), "acks are keyless too");
    let text = base64url_encode(&a);
    assert!(text.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    assert_eq!(base64url_decode(&text).unwrap(), a);
    assert_eq!(base64url_decode(&format!("{text}=")).unwrap_err().code(), "malformed");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn metadata_limits_are_enforced() {
    let (_ring, mut visitor, _service, _) = pinned();
    let mut m = meta(&visitor);
    for i in 0..MAX_LABELS {
        m.insert_label(Label::new(&format!("k{i}"), "v").unwrap()).unwrap();
    }
    assert_eq!(m.insert_label(Label::new("k9", "v").unwrap()).unwrap_err().code(), "limit_exceeded");
    assert!(Metadata::new(Role::Visitor, NOW, MAX_GRANULARITY_SECS + 1).is_err());
    let mut g = meta(&visitor);
    g.time_granularity = 1;
    assert_eq!(visitor.seal(b"x", &g).unwrap_err().code(), "invalid_input");
    let mut t = meta(&visitor);
    t.time += 1;
    assert_eq!(visitor.seal(b"x", &t).unwrap_err().code(), "invalid_input");
    assert_eq!(visitor.seal(&vec![0; MAX_PLAINTEXT + 1], &meta(&visitor)).unwrap_err().code(), "limit_exceeded");
    assert_eq!(visitor.next_send_seq(), 1, "failed seals do not advance the counter");
    let big = visitor.seal(&vec![7; MAX_PLAINTEXT], &meta(&visitor)).unwrap();
    assert!(big.len() <= MAX_ENVELOPE);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn counters_refuse_to_pass_2_pow_53() {
    let (_ring, mut visitor, mut service, _) = pinned();
    visitor.set_send_seq_for_tests(MAX_COUNTER);
    let last = seal(&mut visitor, b"last");
    assert_eq!(inspect(&last).unwrap().header.seq, MAX_COUNTER);
    assert_eq!(visitor.seal(b"one too many", &meta(&visitor)).unwrap_err(), Error::CounterExhausted);
    assert_eq!(visitor.next_send_seq(), MAX_COUNTER + 1);
    assert_eq!(service.open(&last).unwrap().order, Order::Gap { missing: MAX_COUNTER - 1 });
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn small_order_service_keys_are_refused() {
    let mut zero = [0u8; 32];
    assert_eq!(ServicePublicKey::from_bytes(&zero).unwrap_err(), Error::NonContributory);
    zero[0] = 1;
    assert_eq!(ServicePublicKey::from_bytes(&zero).unwrap_err(), Error::NonContributory);
    let order8 = hex::decode("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800").unwrap();
    assert_eq!(ServicePublicKey::from_bytes(&order8).unwrap_err(), Error::NonContributory);
    assert_eq!(ServicePublicKey::from_bytes(&[9u8; 31]).unwrap_err().code(), "invalid_input");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn debug_and_display_of_everything_hold_no_secret() {
    let secret = [0x5au8; 32];
    let pair = ServiceKeyPair::from_secret_bytes(&secret).unwrap();
    let public = pair.public_key().clone();
    let mut ring = ServiceKeyring::new();
    ring.insert(ServiceKeyPair::from_secret_bytes(&secret).unwrap());
    let mut visitor = Session::initiate_pinned(&public, SessionOptions::default()).unwrap();
    let first = seal(&mut visitor, b"plaintext-marker");
    let (service, opened) = ring.accept_unrecorded(&first, SessionOptions::default()).unwrap();
    let (mi, offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (mr, _answer) = MutualResponder::answer(&offer, SessionOptions::default()).unwrap();
    let svc = Service::new(ring, &secret, MemoryRecordStore::new(), ServiceOptions::default());
    let dumps = [
        format!("{pair:?}"),
        format!("{svc:?}"),
        format!("{visitor:?}"),
        format!("{service:?}"),
        format!("{opened:?}"),
        format!("{mi:?}"),
        format!("{mr:?}"),
        format!("{:?}", Entropy::os()),
        format!("{:?}", PseudonymKey::from_bytes(&secret).unwrap()),
        format!("{:?}", svc.keyring().history(&first).unwrap()),
    ];
    let needles = [hex::encode(secret), format!("{:?}", secret), "90, 90".to_string(), "plaintext-marker".into()];
    for d in &dumps {
        for n in &needles {
            assert!(!d.contains(n.as_str()), "{d}");
        }
        assert!(!d.contains("i2r:") && !d.contains("r2i:"), "{d}");
    }
    for e in [Error::DecryptFailed, Error::Malformed("metadata"), Error::Store("x")] {
        assert!(!e.to_string().is_empty() && Error::CODES.contains(&e.code()));
    }
}
