//! Builds the chatseal v2 vectors with the library and scripted randomness (`SPEC.md` § 12).
//! Every random byte a session draws comes from a documented pattern, in the order § 6.2 gives.

use chatseal::*;
use serde_json::{json, Value};

/// Deterministic filler so the file documents where every random byte came from.
pub fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| seed.wrapping_add((i as u8).wrapping_mul(7))).collect()
}

pub fn h(b: &[u8]) -> String {
    hex::encode(b)
}

pub fn unh(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

/// No automatic rekeying, old epochs deleted, no clock: every byte is reproducible.
pub const POLICY: RekeyPolicy = RekeyPolicy { every_turns: 0, every_secs: 0, keep_old_epochs: false };

pub fn opts(entropy: Vec<u8>) -> SessionOptions {
    SessionOptions { time_granularity: 60, rekey: POLICY, entropy: Entropy::scripted(entropy), clock: Clock::none() }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Turn,
    Close,
    Chunk(bool),
    /// `rekey_now` on the sender, then a turn.
    RekeyThenTurn,
}

pub struct TurnSpec {
    pub from_initiator: bool,
    pub role: Role,
    pub now: u64,
    pub subject: Option<[u8; 16]>,
    pub labels: Vec<(&'static str, &'static str)>,
    pub pii: Vec<(PiiCategory, u16)>,
    pub body: Vec<u8>,
    pub step: Step,
}

fn t(from_initiator: bool, role: Role, now: u64, body: &str, step: Step) -> TurnSpec {
    TurnSpec {
        from_initiator,
        role,
        now,
        subject: None,
        labels: vec![],
        pii: vec![],
        body: body.as_bytes().to_vec(),
        step,
    }
}

pub fn pinned_turns() -> Vec<TurnSpec> {
    let mut v = vec![
        t(true, Role::Visitor, 1_790_000_123, "Hello! I need help with my order.", Step::Turn),
        t(false, Role::Assistant, 1_790_000_150, "Of course. What is the order number?", Step::Turn),
        t(true, Role::Visitor, 1_790_000_201, "It's 4711-0815, and my email is [EMAIL_1].", Step::Turn),
        t(false, Role::Assistant, 1_790_000_230, "Thanks! 🙂 ", Step::Chunk(false)),
        t(false, Role::Assistant, 1_790_000_231, "Ça marche, ", Step::Chunk(false)),
        t(false, Role::Assistant, 1_790_000_232, "العربية too.", Step::Chunk(true)),
        t(true, Role::Visitor, 1_790_000_299, "Bye!", Step::Close),
        t(false, Role::System, 1_790_000_300, "", Step::Close),
    ];
    v[0].labels = vec![("page", "checkout/step-2"), ("lang", "en")];
    v[0].subject = Some(pattern(0xd0, 16).try_into().unwrap());
    v[2].subject = v[0].subject;
    v[2].pii = vec![(PiiCategory::Email, 1)];
    v
}

pub fn mutual_turns() -> Vec<TurnSpec> {
    vec![
        t(true, Role::Visitor, 1_790_000_400, "Hi, is someone there?", Step::Turn),
        t(false, Role::Agent, 1_790_000_410, "Yes, I'm Sam. Please compare the safety code.", Step::Turn),
        t(true, Role::Visitor, 1_790_000_420, "It matches. Let's move to fresh keys.", Step::RekeyThenTurn),
        t(false, Role::Agent, 1_790_000_430, "Done: this is epoch 1.", Step::Turn),
        t(true, Role::Visitor, 1_790_000_440, "Thanks!", Step::Turn),
    ]
}

pub fn metadata_for(s: &Session, t: &TurnSpec) -> Metadata {
    let mut m = s.metadata(t.role, t.now).unwrap();
    m.subject = t.subject.map(Pseudonym::from_bytes);
    for (k, v) in &t.labels {
        m.insert_label(Label::new(k, v).unwrap()).unwrap();
    }
    for &(c, n) in &t.pii {
        m.pii.set(c, n);
    }
    m
}

pub fn seal_step(s: &mut Session, t: &TurnSpec) -> Vec<u8> {
    let m = metadata_for(s, t);
    match t.step {
        Step::Turn => s.seal(&t.body, &m),
        Step::RekeyThenTurn => {
            s.rekey_now().unwrap();
            s.seal(&t.body, &m)
        }
        Step::Close => s.close(&t.body, &m),
        Step::Chunk(end) => s.seal_chunk(&t.body, &m, end),
    }
    .unwrap()
}

fn turn_record(t: &TurnSpec, env: &[u8]) -> Value {
    let i = inspect(env).unwrap();
    json!({
        "sender": if t.from_initiator { "initiator" } else { "responder" },
        "role": t.role.name(),
        "now": t.now,
        "subject": t.subject.map(|s| h(&s)),
        "labels": t.labels.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        "pii": t.pii.iter().map(|(c, n)| json!([c.name(), n])).collect::<Vec<_>>(),
        "close": i.header.close,
        "stream": i.header.stream.map(|s| json!({ "start": s.start, "end": s.end })),
        "epoch": i.header.epoch,
        "plaintext": h(&t.body),
        "envelope": h(env),
        "link": h(&i.link),
    })
}

/// Runs a conversation; the first turn goes to `accept`. Returns both ends and the records.
pub fn converse(
    mut initiator: Session,
    turns: &[TurnSpec],
    accept: impl FnOnce(&[u8]) -> Session,
) -> (Session, Session, Vec<Value>, Vec<Vec<u8>>) {
    let mut accept = Some(accept);
    let mut responder: Option<Session> = None;
    let mut records = vec![];
    let mut envs = vec![];
    for t in turns {
        let env = if t.from_initiator {
            let env = seal_step(&mut initiator, t);
            match (&mut responder, accept.take()) {
                (None, Some(accept)) => responder = Some(accept(&env)),
                (Some(r), _) => assert_eq!(&r.open(&env).unwrap().plaintext[..], &t.body[..]),
                (None, None) => unreachable!(),
            }
            env
        } else {
            let env = seal_step(responder.as_mut().unwrap(), t);
            assert_eq!(&initiator.open(&env).unwrap().plaintext[..], &t.body[..]);
            env
        };
        records.push(turn_record(t, &env));
        envs.push(env);
    }
    (initiator, responder.unwrap(), records, envs)
}

pub fn kek() -> [u8; 32] {
    pattern(0xc0, 32).try_into().unwrap()
}

/// The PII extension of `SPEC.md` § 13.5: numbered placeholders for everything, one e-mail value.
pub fn pii_extension() -> Vec<u8> {
    let value = b"ana@example.com";
    let mut out = vec![1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 2];
    out.extend_from_slice(&(value.len() as u32).to_be_bytes());
    out.extend_from_slice(value);
    out
}

pub fn build_pinned() -> (Value, Vec<Vec<u8>>) {
    let service_secret = pattern(0xa0, 32);
    let pair = ServiceKeyPair::from_secret_bytes(&service_secret).unwrap();
    let public = pair.public_key().clone();
    let mut ring = ServiceKeyring::new();
    ring.insert(pair);
    // initiator: e_i 32, a nonce per turn it seals (3), export id 16 + blob nonce 24
    let ie = pattern(0x10, 32 + 3 * 24 + 16 + 24);
    // responder: the forward-secrecy answer e_r 32, a nonce per turn it seals (5), export 16 + 24
    let re = pattern(0x60, 32 + 5 * 24 + 16 + 24);
    let initiator = Session::initiate_pinned(&public, opts(ie.clone())).unwrap();
    let handle = *initiator.handle();
    let code = initiator.safety_code();
    let (mut i, mut r, turns, envs) =
        converse(initiator, &pinned_turns(), |env| ring.accept_unrecorded(env, opts(re.clone())).unwrap().0);
    assert!(i.status().finished() && r.status().finished());
    let kek = kek();
    let value = json!({
        "service_secret": h(&service_secret),
        "service_public": h(public.as_bytes()),
        "key_id": h(public.key_id()),
        "handle": handle.to_hex(),
        "initiator_entropy": h(&ie),
        "responder_entropy": h(&re),
        "time_granularity": 60,
        "rekey_policy": { "every_turns": 0, "every_secs": 0, "keep_old_epochs": false },
        "safety_code": code,
        "turns": turns,
        "kek": h(&kek),
        "initiator_state_blob": h(&i.export_state(&kek).unwrap()),
        "responder_state_blob": h(&r.export_state(&kek).unwrap()),
    });
    (value, envs)
}

pub fn build_mutual() -> (Value, Vec<Vec<u8>>) {
    // initiator: e_i 32, nonce (t0), rekey secret 32 (rekey_now before t2), nonce (t2), nonce
    // (t4), export 16 + 24; responder: e_r 32, nonce (t1), answer secret 32 (opening t2), nonce (t3)
    let ie = pattern(0x20, 32 + 24 + 32 + 24 + 24 + 16 + 24);
    let re = pattern(0x70, 32 + 24 + 32 + 24);
    let (mut pending, offer) = MutualInitiator::offer(opts(ie.clone())).unwrap();
    let (mut responder, answer) = MutualResponder::answer(&offer, opts(re.clone())).unwrap();
    let initiator = pending.complete(&answer).unwrap();
    let code = initiator.safety_code();
    let handle = *initiator.handle();
    let (mut i, r, turns, envs) = converse(initiator, &mutual_turns(), |env| {
        let (s, _) = responder.accept(env).unwrap();
        assert_eq!(s.safety_code(), code);
        s
    });
    assert_eq!((i.epoch(), r.epoch(), i.epochs_held()), (1, 1, vec![1]));
    let kek = kek();
    let blob = i.export_state_with(&kek, &pii_extension()).unwrap();
    let value = json!({
        "initiator_entropy": h(&ie),
        "responder_entropy": h(&re),
        "time_granularity": 60,
        "offer": h(&offer),
        "answer": h(&answer),
        "handle": handle.to_hex(),
        "safety_code": code,
        "turns": turns,
        "kek": h(&kek),
        "initiator_extension": h(&pii_extension()),
        "initiator_state_blob": h(&blob),
    });
    (value, envs)
}

/// A pinned session whose initiator jumps from seq 1 to seq 100 (for `too_old`).
pub fn build_window() -> (Value, Vec<Vec<u8>>) {
    let service_secret = pattern(0xa0, 32);
    let pair = ServiceKeyPair::from_secret_bytes(&service_secret).unwrap();
    let public = pair.public_key().clone();
    let ie = pattern(0x40, 32 + 3 * 24);
    let mut i = Session::initiate_pinned(&public, opts(ie.clone())).unwrap();
    let m = i.metadata(Role::Visitor, 1_790_000_500).unwrap();
    let mut envs = vec![i.seal(b"seq 0", &m).unwrap(), i.seal(b"seq 1", &m).unwrap()];
    i.set_send_seq_for_tests(100);
    envs.push(i.seal(b"seq 100", &m).unwrap());
    let value = json!({
        "about": "initiator turns 0, 1 and 100 of a pinned session under the pinned section's service key",
        "initiator_entropy": h(&ie),
        "responder_entropy": h(&pattern(0x90, 32)),
        "envelopes": envs.iter().map(|e| h(e)).collect::<Vec<_>>(),
    });
    (value, envs)
}
