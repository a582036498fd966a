//! Protocol behaviour through the public Rust API: both handshake modes, sealing and opening,
//! replay window, chain, tampering, failed opens leaving state unchanged, secret hygiene.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chatseal::*;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const NOW: u64 = 1_790_000_123;

fn meta(s: &Session, role: Role) -> Metadata {
    s.metadata(role, NOW).unwrap()
}

fn pinned() -> (ServiceKeyring, Session, Session) {
    let mut ring = ServiceKeyring::new();
    let pair = ServiceKeyPair::generate().unwrap();
    let public = pair.public_key().clone();
    ring.insert(pair);
    let mut visitor = Session::initiate_pinned(&public, SessionOptions::default()).unwrap();
    let first = visitor.seal(b"hello", &meta(&visitor, Role::Visitor)).unwrap();
    let (service, opened) = ring.accept(&first, SessionOptions::default()).unwrap();
    assert_eq!(&opened.plaintext[..], b"hello");
    assert_eq!(opened.order, Order::InOrder);
    assert_eq!(opened.chain, Chain::Linked);
    (ring, visitor, service)
}

fn mutual() -> (Session, Session) {
    let (mut init, offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (mut resp, answer) = MutualResponder::answer(&offer, SessionOptions::default()).unwrap();
    let mut visitor = init.complete(&answer).unwrap();
    let first = visitor.seal(b"hi agent", &meta(&visitor, Role::Visitor)).unwrap();
    let (agent, opened) = resp.accept(&first).unwrap();
    assert_eq!(&opened.plaintext[..], b"hi agent");
    (visitor, agent)
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn pinned_roundtrip_both_directions() {
    let (_ring, mut visitor, mut service) = pinned();
    assert_eq!(visitor.safety_code(), service.safety_code());
    assert_eq!(visitor.session_id(), service.session_id());
    for i in 0..20u32 {
        let body = format!("visitor turn {i}");
        let env = visitor.seal(body.as_bytes(), &meta(&visitor, Role::Visitor)).unwrap();
        let got = service.open(&env).unwrap();
        assert_eq!(&got.plaintext[..], body.as_bytes());
        assert_eq!(got.header.seq, u64::from(i) + 1);
        assert_eq!(got.chain, Chain::Linked);
        let reply = format!("assistant turn {i}");
        let env = service.seal(reply.as_bytes(), &meta(&service, Role::Assistant)).unwrap();
        let got = visitor.open(&env).unwrap();
        assert_eq!(&got.plaintext[..], reply.as_bytes());
        assert_eq!(got.metadata.role, Role::Assistant);
        assert_eq!(got.metadata.time, NOW - NOW % 60);
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn mutual_roundtrip_and_safety_code() {
    let (mut visitor, mut agent) = mutual();
    let code = visitor.safety_code();
    assert_eq!(code, agent.safety_code());
    assert_eq!(code.len(), 14);
    assert!(code.split(' ').all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_digit())));
    let env = agent.seal(b"how can I help", &meta(&agent, Role::Agent)).unwrap();
    assert_eq!(&visitor.open(&env).unwrap().plaintext[..], b"how can I help");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn mutual_man_in_the_middle_gets_different_codes() {
    // Mallory answers the visitor herself and offers to the agent herself.
    let (mut visitor_init, offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (mut mallory_resp, mallory_answer) = MutualResponder::answer(&offer, SessionOptions::default()).unwrap();
    let mut visitor = visitor_init.complete(&mallory_answer).unwrap();
    let first = visitor.seal(b"secret", &meta(&visitor, Role::Visitor)).unwrap();
    let (mallory_side_a, _) = mallory_resp.accept(&first).unwrap();
    let (mut mallory_init, offer2) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (mut agent_resp, answer2) = MutualResponder::answer(&offer2, SessionOptions::default()).unwrap();
    let mut mallory_side_b = mallory_init.complete(&answer2).unwrap();
    let relay = mallory_side_b.seal(b"secret", &meta(&mallory_side_b, Role::Visitor)).unwrap();
    let (agent, _) = agent_resp.accept(&relay).unwrap();
    assert_eq!(visitor.safety_code(), mallory_side_a.safety_code());
    assert_ne!(visitor.safety_code(), agent.safety_code());
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn mutual_reveal_must_match_commitment() {
    let (mut _init, offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (mut resp, answer) = MutualResponder::answer(&offer, SessionOptions::default()).unwrap();
    // Another initiator that saw the answer but is not the one that committed.
    let (mut other, _) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    assert_eq!(other.complete(&answer).unwrap_err(), Error::WrongSession);
    let (mut other, offer_other) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (_r, answer_other) = MutualResponder::answer(&offer_other, SessionOptions::default()).unwrap();
    let mut s = other.complete(&answer_other).unwrap();
    let env = s.seal(b"x", &meta(&s, Role::Visitor)).unwrap();
    assert_eq!(resp.accept(&env).unwrap_err(), Error::WrongSession);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn mutual_responder_survives_tampered_first_envelope() {
    let (mut init, offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (mut resp, answer) = MutualResponder::answer(&offer, SessionOptions::default()).unwrap();
    let mut visitor = init.complete(&answer).unwrap();
    let first = visitor.seal(b"first", &meta(&visitor, Role::Visitor)).unwrap();
    let mut bad = first.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert_eq!(resp.accept(&bad).unwrap_err(), Error::DecryptFailed);
    let (agent, opened) = resp.accept(&first).unwrap();
    assert_eq!(&opened.plaintext[..], b"first");
    assert_eq!(agent.safety_code(), visitor.safety_code());
    assert_eq!(resp.accept(&first).unwrap_err().code(), "bad_state");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn stateless_service_rederives_from_first_envelope() {
    let mut ring = ServiceKeyring::new();
    let pair = ServiceKeyPair::generate().unwrap();
    let public = pair.public_key().clone();
    ring.insert(pair);
    let mut visitor = Session::initiate_pinned(&public, SessionOptions::default()).unwrap();
    let first = visitor.seal(b"one", &meta(&visitor, Role::Visitor)).unwrap();
    let second = visitor.seal(b"two", &meta(&visitor, Role::Visitor)).unwrap();
    // Request 1: the service derives, replies, forgets everything.
    let reply1 = {
        let (mut s, _) = ring.accept(&first, SessionOptions::default()).unwrap();
        s.seal(b"r1", &meta(&s, Role::Assistant)).unwrap()
    };
    // Request 2: re-derived from the stored first envelope and its own last reply.
    let reply2 = {
        let (mut s, _) = ring.accept(&first, SessionOptions::default()).unwrap();
        s.resume_after(&reply1).unwrap();
        assert_eq!(&s.open(&second).unwrap().plaintext[..], b"two");
        s.seal(b"r2", &meta(&s, Role::Assistant)).unwrap()
    };
    assert_eq!(&visitor.open(&reply1).unwrap().plaintext[..], b"r1");
    let o = visitor.open(&reply2).unwrap();
    assert_eq!((&o.plaintext[..], o.header.seq, o.chain), (&b"r2"[..], 1, Chain::Linked));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn key_rotation_and_retirement() {
    let mut ring = ServiceKeyring::new();
    let old = ServiceKeyPair::generate().unwrap();
    let old_pub = old.public_key().clone();
    ring.insert(old);
    let mut v_old = Session::initiate_pinned(&old_pub, SessionOptions::default()).unwrap();
    let first_old = v_old.seal(b"old", &meta(&v_old, Role::Visitor)).unwrap();
    let new = ServiceKeyPair::generate().unwrap();
    let new_pub = new.public_key().clone();
    ring.insert(new);
    let mut v_new = Session::initiate_pinned(&new_pub, SessionOptions::default()).unwrap();
    let first_new = v_new.seal(b"new", &meta(&v_new, Role::Visitor)).unwrap();
    assert!(ring.accept(&first_old, SessionOptions::default()).is_ok());
    assert!(ring.accept(&first_new, SessionOptions::default()).is_ok());
    assert!(ring.retire(old_pub.key_id()));
    assert_eq!(ring.accept(&first_old, SessionOptions::default()).unwrap_err(), Error::UnknownKey);
    assert!(ring.accept(&first_new, SessionOptions::default()).is_ok());
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn replay_gap_reorder_and_window() {
    let (_ring, mut visitor, mut service) = pinned();
    let envs: Vec<_> = (0..100).map(|i| visitor.seal(&[i as u8], &meta(&visitor, Role::Visitor)).unwrap()).collect();
    // seq of envs[i] is i + 1 (seq 0 was the hello turn).
    assert_eq!(service.open(&envs[0]).unwrap().order, Order::InOrder);
    assert_eq!(service.open(&envs[0]).unwrap_err(), Error::Duplicate);
    let o = service.open(&envs[3]).unwrap();
    assert_eq!((o.order, o.chain), (Order::Gap { missing: 2 }, Chain::Unverified));
    // Its successor (seq 4) points back to it, but its own predecessor (seq 2) is still missing.
    let o = service.open(&envs[2]).unwrap();
    assert_eq!((o.order, o.chain), (Order::Late, Chain::Unverified));
    let o = service.open(&envs[1]).unwrap();
    assert_eq!((o.order, o.chain), (Order::Late, Chain::Linked));
    assert_eq!(service.open(&envs[99]).unwrap().order, Order::Gap { missing: 95 });
    // Highest is 100: the window holds 37..=100 (64 numbers); envs[i] has seq i + 1.
    assert!(service.open(&envs[36]).is_ok());
    assert_eq!(service.open(&envs[35]).unwrap_err(), Error::TooOld);
    assert_eq!(service.open(&envs[36]).unwrap_err(), Error::Duplicate);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn wrong_session_direction_and_reflection() {
    let (_r1, mut v1, mut s1) = pinned();
    let (_r2, _v2, mut s2) = pinned();
    let env = v1.seal(b"x", &meta(&v1, Role::Visitor)).unwrap();
    assert_eq!(s2.open(&env).unwrap_err(), Error::WrongSession);
    assert_eq!(v1.open(&env).unwrap_err(), Error::WrongDirection);
    assert_eq!(&s1.open(&env).unwrap().plaintext[..], b"x");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_modified_byte_is_rejected_and_state_is_kept() {
    let (_ring, mut visitor, mut service) = pinned();
    let env = visitor.seal(b"the genuine turn", &meta(&visitor, Role::Visitor)).unwrap();
    let before = format!("{service:?}");
    for i in 0..env.len() {
        let mut bad = env.clone();
        bad[i] ^= 0x01;
        let err = service.open(&bad).unwrap_err();
        assert_ne!(err, Error::Duplicate, "byte {i}");
        assert_eq!(format!("{service:?}"), before, "state changed after failed open at byte {i}");
    }
    // Truncations and extensions.
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
    let (_ring, mut visitor, _service) = pinned();
    let mut m = meta(&visitor, Role::Visitor);
    m.labels.push(Label::new("user", &hashed_id(b"app salt", "user-42").unwrap()).unwrap());
    m.labels.push(Label::new("topic", "billing").unwrap());
    m.pii.set(PiiCategory::Email, 2);
    let a = visitor.seal(&[b'x'; 100], &m).unwrap();
    let b = visitor.seal(b"short", &m).unwrap();
    let ia = inspect(&a).unwrap();
    let ib = inspect(&b).unwrap();
    assert_eq!(ia.metadata, m);
    assert_eq!(ia.padded_len, 128);
    assert_eq!(ib.padded_len, 32);
    assert_eq!(ib.header.prev, ia.link, "backend can verify the chain without keys");
    assert_eq!(ia.header.direction, Direction::InitiatorToResponder);
    assert!(ia.hello.is_none());
    let text = base64url_encode(&a);
    assert!(text.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    assert_eq!(base64url_decode(&text).unwrap(), a);
    assert_eq!(base64url_decode(&format!("{text}=")).unwrap_err().code(), "malformed");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn metadata_limits_are_enforced() {
    let (_ring, mut visitor, _service) = pinned();
    let mut m = meta(&visitor, Role::Visitor);
    for i in 0..=MAX_LABELS {
        m.labels.push(Label { key: format!("k{i}"), value: "v".into() });
    }
    assert_eq!(visitor.seal(b"x", &m).unwrap_err().code(), "limit_exceeded");
    assert!(Label::new("Bad Key", "v").is_err());
    assert!(Label::new("", "v").is_err());
    assert!(Label::new("k", &"v".repeat(65)).is_err());
    assert!(Label::new("k", "line\nbreak").is_err());
    assert!(Metadata::new(Role::Visitor, NOW, MAX_GRANULARITY_SECS + 1).is_err());
    let mut dup = meta(&visitor, Role::Visitor);
    dup.labels = vec![Label::new("a", "1").unwrap(), Label::new("a", "2").unwrap()];
    assert_eq!(visitor.seal(b"x", &dup).unwrap_err().code(), "invalid_input");
    assert_eq!(visitor.next_send_seq(), 1, "failed seals do not advance the counter");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn counter_refuses_to_wrap() {
    let (_ring, mut visitor, _service) = pinned();
    visitor.set_send_seq_for_tests(u64::MAX - 1);
    assert!(visitor.seal(b"last", &meta(&visitor, Role::Visitor)).is_ok());
    assert_eq!(visitor.seal(b"one too many", &meta(&visitor, Role::Visitor)).unwrap_err(), Error::CounterExhausted);
    assert_eq!(visitor.next_send_seq(), u64::MAX);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn small_order_service_keys_are_refused() {
    // The identity and a point of order 8 (RFC 7748 / Wycheproof low-order points).
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
fn debug_output_of_secret_holders_has_no_key_bytes() {
    let secret = [0x5au8; 32];
    let pair = ServiceKeyPair::from_secret_bytes(&secret).unwrap();
    let public = pair.public_key().clone();
    let mut ring = ServiceKeyring::new();
    ring.insert(ServiceKeyPair::from_secret_bytes(&secret).unwrap());
    let mut visitor = Session::initiate_pinned(&public, SessionOptions::default()).unwrap();
    let first = visitor.seal(b"plaintext-marker", &meta(&visitor, Role::Visitor)).unwrap();
    let (service, opened) = ring.accept(&first, SessionOptions::default()).unwrap();
    let (mi, _offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (mr, _answer) = MutualResponder::answer(&_offer, SessionOptions::default()).unwrap();
    let dumps = [
        format!("{pair:?}"),
        format!("{ring:?}"),
        format!("{visitor:?}"),
        format!("{service:?}"),
        format!("{opened:?}"),
        format!("{mi:?}"),
        format!("{mr:?}"),
        format!("{:?}", Entropy::os()),
    ];
    let needles = [hex::encode(secret), format!("{:?}", secret), "90, 90, 90".to_string(), "plaintext-marker".into()];
    for d in &dumps {
        for n in &needles {
            assert!(!d.contains(n.as_str()), "{d}");
        }
        assert!(!d.contains("i2r:") && !d.contains("r2i:"), "{d}");
    }
    for code in Error::CODES {
        assert!(!code.is_empty());
    }
}
