//! Frozen chatseal v1 vectors (`tests/vectors/chatseal_v1.json`), checked byte for byte natively
//! and in the browser.
//!
//! Two checks: (1) the library, fed the recorded randomness, reproduces every byte of the file;
//! (2) a second, minimal implementation written from SPEC.md alone (below, using only the raw
//! primitives) derives the same keys and opens every frozen envelope. Regenerate (only when the
//! wire format changes on purpose, with a version bump) with
//! `CHATSEAL_WRITE_VECTORS=1 cargo test --test vectors_chatseal`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chatseal::primitives::{hkdf_expand, hkdf_extract, x25519, x25519_public, xchacha_open};
use chatseal::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const FROZEN: &str = include_str!("vectors/chatseal_v1.json");

/// Deterministic filler so the file documents where every random byte came from.
fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| seed.wrapping_add((i as u8).wrapping_mul(7))).collect()
}

struct TurnSpec {
    from_initiator: bool,
    role: Role,
    now: u64,
    labels: Vec<(&'static str, String)>,
    pii: Vec<(PiiCategory, u16)>,
    body: Vec<u8>,
}

fn turns() -> Vec<TurnSpec> {
    let user = hashed_id(b"demo-salt", "user-42").unwrap();
    let t = |from_initiator, role, now, body: &[u8]| TurnSpec {
        from_initiator,
        role,
        now,
        labels: vec![],
        pii: vec![],
        body: body.to_vec(),
    };
    let mut v = vec![
        t(true, Role::Visitor, 1_790_000_123, b"Hello! I need help with my order."),
        t(false, Role::Assistant, 1_790_000_150, b"Of course. What is the order number?"),
        t(true, Role::Visitor, 1_790_000_201, b"It's 4711-0815, and my email is [EMAIL_1]."),
        t(false, Role::Assistant, 1_790_000_230, "Thanks! 🙂 Ça marche, العربية too.".as_bytes()),
        t(true, Role::System, 1_790_000_299, &pattern(3, 4096)),
    ];
    v[0].labels = vec![("user", user), ("lang", "en".into())];
    v[2].pii = vec![(PiiCategory::Email, 1)];
    v
}

fn h(b: &[u8]) -> String {
    hex::encode(b)
}

fn unh(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn metadata_for(s: &Session, t: &TurnSpec) -> Metadata {
    let mut m = s.metadata(t.role, t.now).unwrap();
    for (k, v) in &t.labels {
        m.labels.push(Label::new(k, v).unwrap());
    }
    for &(c, n) in &t.pii {
        m.pii.set(c, n);
    }
    m
}

/// Runs the conversation with scripted randomness; returns the JSON records of the turns.
fn converse(initiator: &mut Session, mut accept: impl FnMut(&[u8]) -> Session) -> Vec<Value> {
    let mut responder: Option<Session> = None;
    let mut out = vec![];
    for t in turns() {
        let (sender, receiver) =
            if t.from_initiator { (&mut *initiator, None) } else { (responder.as_mut().unwrap(), Some(())) };
        let env = sender.seal(&t.body, &metadata_for(sender, &t)).unwrap();
        match (receiver, responder.as_mut()) {
            (None, None) => responder = Some(accept(&env)),
            (None, Some(r)) => assert_eq!(&r.open(&env).unwrap().plaintext[..], &t.body[..]),
            (Some(()), _) => assert_eq!(&initiator.open(&env).unwrap().plaintext[..], &t.body[..]),
        }
        out.push(json!({
            "sender": if t.from_initiator { "initiator" } else { "responder" },
            "role": format!("{:?}", t.role).to_lowercase(),
            "now": t.now,
            "labels": t.labels.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
            "pii": t.pii.iter().map(|(c, n)| json!([c.name(), n])).collect::<Vec<_>>(),
            "plaintext": h(&t.body),
            "envelope": h(&env),
            "link": h(&inspect(&env).unwrap().link),
        }));
    }
    out
}

fn initiator_entropy(seed: u8) -> Vec<u8> {
    // ephemeral secret (32) ‖ session id (16) ‖ one 24-byte nonce per initiator turn
    pattern(seed, 32 + 16 + 24 * 3)
}

fn responder_entropy(seed: u8, with_ephemeral: bool) -> Vec<u8> {
    pattern(seed, if with_ephemeral { 32 } else { 0 } + 24 * 2)
}

fn opts(entropy: Vec<u8>) -> SessionOptions {
    SessionOptions { time_granularity: 60, entropy: Entropy::scripted(entropy), ..SessionOptions::default() }
}

fn build_pinned() -> Value {
    let service_secret = pattern(0xa0, 32);
    let pair = ServiceKeyPair::from_secret_bytes(&service_secret).unwrap();
    let public = pair.public_key().clone();
    let mut ring = ServiceKeyring::new();
    ring.insert(pair);
    let (ie, re) = (initiator_entropy(0x10), responder_entropy(0x60, false));
    let mut initiator = Session::initiate_pinned(&public, opts(ie.clone())).unwrap();
    let code = initiator.safety_code();
    let turns = converse(&mut initiator, |env| ring.accept(env, opts(re.clone())).unwrap().0);
    json!({
        "service_secret": h(&service_secret),
        "service_public": h(public.as_bytes()),
        "key_id": h(public.key_id()),
        "initiator_entropy": h(&ie),
        "responder_entropy": h(&re),
        "time_granularity": 60,
        "safety_code": code,
        "turns": turns,
    })
}

fn build_mutual() -> Value {
    let (ie, re) = (initiator_entropy(0x20), responder_entropy(0x70, true));
    let (mut pending, offer) = MutualInitiator::offer(opts(ie.clone())).unwrap();
    let (mut responder, answer) = MutualResponder::answer(&offer, opts(re.clone())).unwrap();
    let mut initiator = pending.complete(&answer).unwrap();
    let code = initiator.safety_code();
    let turns = converse(&mut initiator, |env| {
        let (s, _) = responder.accept(env).unwrap();
        assert_eq!(s.safety_code(), code);
        s
    });
    json!({
        "initiator_entropy": h(&ie),
        "responder_entropy": h(&re),
        "time_granularity": 60,
        "offer": h(&offer),
        "answer": h(&answer),
        "safety_code": code,
        "turns": turns,
    })
}

/// Invalid envelopes derived from the pinned conversation, each opened by a responder that has
/// accepted turn 0 only; the expected error code is frozen.
fn build_invalid(pinned: &Value) -> Value {
    let first = unh(&pinned["turns"][0]["envelope"]);
    let third = unh(&pinned["turns"][2]["envelope"]);
    let mut cases: Vec<(&str, Vec<u8>)> = vec![];
    let mut m = third.clone();
    *m.last_mut().unwrap() ^= 0x80;
    cases.push(("tag bit flipped", m));
    let mut m = third.clone();
    m[100] ^= 0x01;
    cases.push(("metadata byte flipped", m));
    let mut m = third.clone();
    m[2] = 2;
    cases.push(("version 2", m));
    let mut m = third.clone();
    m[3] = 9;
    cases.push(("unknown suite", m));
    let mut m = third.clone();
    m[0] = b'X';
    cases.push(("bad magic", m));
    cases.push(("truncated inside header", third[..40].to_vec()));
    let mut m = third.clone();
    m.truncate(m.len() - 1);
    cases.push(("ciphertext not a bucket length", m));
    let mut m = third.clone();
    m[5] = 1;
    cases.push(("direction flipped", m));
    let mut m = third.clone();
    m[6] ^= 0xff;
    cases.push(("other session id", m));
    cases.push(("replay of the first turn", first.clone()));
    let mut m = third.clone();
    m[4] = 2;
    cases.push(("hello flag on a later turn", m));
    let mut m = third.clone();
    m[25] = 1;
    cases.push(("unknown epoch", m));
    let service_secret = unh(&pinned["service_secret"]);
    let mut ring = ServiceKeyring::new();
    ring.insert(ServiceKeyPair::from_secret_bytes(&service_secret).unwrap());
    let re = unh(&pinned["responder_entropy"]);
    Value::Array(
        cases
            .into_iter()
            .map(|(what, bytes)| {
                let (mut s, _) = ring.accept(&first, opts(re.clone())).unwrap();
                let err = s.open(&bytes).unwrap_err();
                json!({ "description": what, "envelope": h(&bytes), "error": err.code() })
            })
            .collect(),
    )
}

/// A pinned session that rekeys once and exports its state (SPEC.md § 13.1, § 13.2).
fn build_lifecycle() -> Value {
    let service_secret = pattern(0xb0, 32);
    let pair = ServiceKeyPair::from_secret_bytes(&service_secret).unwrap();
    let public = pair.public_key().clone();
    let mut ring = ServiceKeyring::new();
    ring.insert(pair);
    // initiator: ephemeral 32, session id 16, nonce 24, rekey secret 32, nonce 24, nonce 24, blob nonce 24
    let ie = pattern(0x30, 32 + 16 + 24 + 32 + 24 + 24 + 24);
    // responder: answer's ephemeral secret 32, nonce 24
    let re = pattern(0x80, 32 + 24);
    let kek = pattern(0xc0, 32);
    let mut i = Session::initiate_pinned(&public, opts(ie.clone())).unwrap();
    let mut record = vec![];
    let mut turn = |sender: &mut Session, body: &[u8]| {
        let env = sender.seal(body, &sender.metadata(Role::System, 1_790_001_000).unwrap()).unwrap();
        record.push(json!({ "plaintext": h(body), "envelope": h(&env) }));
        env
    };
    let t0 = turn(&mut i, b"before rekeying");
    let (mut r, _) = ring.accept(&t0, opts(re.clone())).unwrap();
    i.rekey_now().unwrap();
    let t1 = turn(&mut i, b"offer rides on this turn");
    r.open(&t1).unwrap();
    let t2 = turn(&mut r, b"answer rides on this turn, in epoch 1");
    i.open(&t2).unwrap();
    let t3 = turn(&mut i, b"epoch 1 from the initiator");
    r.open(&t3).unwrap();
    let blob = i.export_state(&kek.clone().try_into().unwrap()).unwrap();
    json!({
        "service_secret": h(&service_secret),
        "initiator_entropy": h(&ie),
        "responder_entropy": h(&re),
        "time": 1_790_001_000,
        "role": "system",
        "turns": record,
        "kek": h(&kek),
        "initiator_state_blob": h(&blob),
    })
}

fn build_all() -> Value {
    let pinned = build_pinned();
    let invalid = build_invalid(&pinned);
    json!({
        "lifecycle": build_lifecycle(),
        "about": "chatseal v1 frozen vectors: see SPEC.md § Test vectors for how to use them.",
        "version": 1,
        "suite": 1,
        "pinned": pinned,
        "mutual": build_mutual(),
        "invalid": invalid,
    })
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn library_reproduces_frozen_vectors_byte_for_byte() {
    let built = build_all();
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var_os("CHATSEAL_WRITE_VECTORS").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/chatseal_v1.json");
        std::fs::write(path, serde_json::to_string_pretty(&built).unwrap() + "\n").unwrap();
        return;
    }
    let frozen: Value = serde_json::from_str(FROZEN).unwrap();
    assert_eq!(built, frozen, "the library's output differs from the frozen vectors");
    let n = frozen["pinned"]["turns"].as_array().unwrap().len()
        + frozen["mutual"]["turns"].as_array().unwrap().len()
        + frozen["invalid"].as_array().unwrap().len()
        + frozen["lifecycle"]["turns"].as_array().unwrap().len()
        + 1; // the lifecycle state blob
    println!("chatseal vectors: {n} cases reproduced byte for byte");
}

// ---- A second implementation, from SPEC.md only -------------------------------------------

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut d = Sha256::new();
    for p in parts {
        d.update(p);
    }
    d.finalize().into()
}

struct SpecKeys {
    i2r: [u8; 32],
    r2i: [u8; 32],
    safety_code: String,
}

/// SPEC.md § 5.3 and § 13.2: epoch n's keys and next root from a pseudorandom key.
fn spec_expand_epoch(prk: &[u8; 32], n: u32) -> ([u8; 32], [u8; 32], [u8; 32]) {
    let e = n.to_be_bytes();
    let mut out = [[0u8; 32]; 3];
    for (label, o) in [&b"chatseal v1 key i2r"[..], b"chatseal v1 key r2i", b"chatseal v1 root"].iter().zip(&mut out) {
        hkdf_expand(prk, &[label, &e[..]].concat(), o).unwrap();
    }
    (out[0], out[1], out[2])
}

/// SPEC.md § Key schedule.
fn spec_keys(mode: u8, sid: &[u8], key_id: &[u8], ipub: &[u8], rpub: &[u8], shared: &[u8]) -> SpecKeys {
    let th = sha256(&[b"chatseal v1 transcript", &[1, 1, mode], sid, key_id, ipub, rpub]);
    let prk = hkdf_extract(&th, shared);
    let mut i2r = [0u8; 32];
    let mut r2i = [0u8; 32];
    let mut safety = [0u8; 8];
    hkdf_expand(&*prk, b"chatseal v1 key i2r\0\0\0\0", &mut i2r).unwrap();
    hkdf_expand(&*prk, b"chatseal v1 key r2i\0\0\0\0", &mut r2i).unwrap();
    hkdf_expand(&*prk, b"chatseal v1 safety code", &mut safety).unwrap();
    let n = format!("{:012}", u64::from_be_bytes(safety) % 1_000_000_000_000);
    SpecKeys { i2r, r2i, safety_code: format!("{} {} {}", &n[..4], &n[4..8], &n[8..]) }
}

/// SPEC.md § Envelope and § Padding: split, decrypt, unpad; returns (plaintext, link, prev).
fn spec_open(keys: &SpecKeys, env: &[u8]) -> (Vec<u8>, [u8; 32], [u8; 32]) {
    assert_eq!(&env[..4], &[b'C', b'S', 1, 1]);
    let kind = env[4];
    let dir = env[5];
    let mut at = 66
        + match kind {
            2 => 41,
            3 | 4 => 32,
            _ => 0,
        };
    let meta_len = u16::from_be_bytes([env[at], env[at + 1]]) as usize;
    at += 2 + meta_len;
    let (aad, rest) = env.split_at(at);
    let nonce: [u8; 24] = rest[..24].try_into().unwrap();
    let ct = &rest[24..];
    let key = if dir == 0 { &keys.i2r } else { &keys.r2i };
    let padded = xchacha_open(key, &nonce, aad, ct).unwrap();
    let marker = padded.iter().rposition(|&b| b != 0).unwrap();
    assert_eq!(padded[marker], 0x80);
    let link = sha256(&[b"chatseal v1 chain", aad, &nonce, &ct[ct.len() - 16..]]);
    (padded[..marker].to_vec(), link, env[34..66].try_into().unwrap())
}

fn spec_check_turns(keys: &SpecKeys, turns: &Value) {
    let mut last_link = [[0u8; 32]; 2];
    for t in turns.as_array().unwrap() {
        let env = unh(&t["envelope"]);
        let (pt, link, prev) = spec_open(keys, &env);
        assert_eq!(pt, unh(&t["plaintext"]));
        assert_eq!(link.to_vec(), unh(&t["link"]));
        let d = usize::from(env[5]);
        assert_eq!(prev, last_link[d], "chain");
        last_link[d] = link;
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn spec_implementation_opens_frozen_vectors() {
    let v: Value = serde_json::from_str(FROZEN).unwrap();

    let p = &v["pinned"];
    let ss: [u8; 32] = unh(&p["service_secret"]).try_into().unwrap();
    let spub = x25519_public(&ss);
    assert_eq!(spub.to_vec(), unh(&p["service_public"]));
    let key_id = &sha256(&[b"chatseal v1 key id", &spub])[..8];
    assert_eq!(key_id.to_vec(), unh(&p["key_id"]));
    let ie = unh(&p["initiator_entropy"]);
    let esec: [u8; 32] = ie[..32].try_into().unwrap();
    let sid = &ie[32..48];
    let ipub = x25519_public(&esec);
    let shared = x25519(&esec, &spub).unwrap();
    let keys = spec_keys(1, sid, key_id, &ipub, &spub, &*shared);
    assert_eq!(keys.safety_code, p["safety_code"].as_str().unwrap());
    // The hello of the first envelope carries mode 1, the key id and the ephemeral public key.
    let first = unh(&p["turns"][0]["envelope"]);
    assert_eq!(&first[66..107], &[&[1u8][..], key_id, &ipub].concat()[..]);
    spec_check_turns(&keys, &p["turns"]);

    let m = &v["mutual"];
    let ie = unh(&m["initiator_entropy"]);
    let re = unh(&m["responder_entropy"]);
    let isec: [u8; 32] = ie[..32].try_into().unwrap();
    let rsec: [u8; 32] = re[..32].try_into().unwrap();
    let sid = &ie[32..48];
    let (ipub, rpub) = (x25519_public(&isec), x25519_public(&rsec));
    let offer = unh(&m["offer"]);
    assert_eq!(offer, [&b"CS"[..], &[1, 1, 0x10], sid, &sha256(&[b"chatseal v1 commit", sid, &ipub])].concat());
    assert_eq!(unh(&m["answer"]), [&b"CS"[..], &[1, 1, 0x11], sid, &rpub].concat());
    let shared = x25519(&isec, &rpub).unwrap();
    let keys = spec_keys(2, sid, &[0; 8], &ipub, &rpub, &*shared);
    assert_eq!(keys.safety_code, m["safety_code"].as_str().unwrap());
    spec_check_turns(&keys, &m["turns"]);

    spec_check_lifecycle(&v["lifecycle"]);

    for case in v["invalid"].as_array().unwrap() {
        assert!(Error::CODES.contains(&case["error"].as_str().unwrap()));
    }
}

/// SPEC.md § 13: rekeying to epoch 1 and the sealed state blob, from the spec alone.
fn spec_check_lifecycle(l: &Value) {
    let ss: [u8; 32] = unh(&l["service_secret"]).try_into().unwrap();
    let spub = x25519_public(&ss);
    let key_id = &sha256(&[b"chatseal v1 key id", &spub])[..8];
    let ie = unh(&l["initiator_entropy"]);
    let re = unh(&l["responder_entropy"]);
    let esec: [u8; 32] = ie[..32].try_into().unwrap();
    let sid = &ie[32..48];
    let ipub = x25519_public(&esec);
    let shared = x25519(&esec, &spub).unwrap();
    let th = sha256(&[b"chatseal v1 transcript", &[1, 1, 1], sid, key_id, &ipub, &spub]);
    let prk0 = hkdf_extract(&th, &*shared);
    let (i2r0, r2i0, root0) = spec_expand_epoch(&prk0, 0);
    let envs: Vec<Vec<u8>> = l["turns"].as_array().unwrap().iter().map(|t| unh(&t["envelope"])).collect();
    // Turn 1 carries the offer (kind 3): A = X25519(a, 9), a drawn after the first nonce.
    let a: [u8; 32] = ie[72..104].try_into().unwrap();
    assert_eq!(envs[1][4], 3);
    assert_eq!(&envs[1][66..98], &x25519_public(&a));
    // Turn 2 carries the answer (kind 4) and is sealed in epoch 1.
    assert_eq!((envs[2][4], &envs[2][22..26]), (4, &[0, 0, 0, 1][..]));
    let b: [u8; 32] = re[..32].try_into().unwrap();
    assert_eq!(&envs[2][66..98], &x25519_public(&b));
    let big_b: [u8; 32] = envs[2][66..98].try_into().unwrap();
    let prk1 = hkdf_extract(&root0, &*x25519(&a, &big_b).unwrap());
    let (i2r1, r2i1, root1) = spec_expand_epoch(&prk1, 1);
    let k0 = SpecKeys { i2r: i2r0, r2i: r2i0, safety_code: String::new() };
    let k1 = SpecKeys { i2r: i2r1, r2i: r2i1, safety_code: String::new() };
    for (env, t, keys) in [(0, 0, &k0), (1, 1, &k0), (2, 2, &k1), (3, 3, &k1)] {
        let (pt, _, _) = spec_open(keys, &envs[env]);
        assert_eq!(pt, unh(&l["turns"][t]["plaintext"]));
    }
    // The state blob: prelude kind 0x20, nonce, XChaCha20-Poly1305 under the KEK with the
    // prelude as associated data.
    let blob = unh(&l["initiator_state_blob"]);
    let kek: [u8; 32] = unh(&l["kek"]).try_into().unwrap();
    assert_eq!(&blob[..5], &[b'C', b'S', 1, 1, 0x20]);
    assert_eq!(&blob[5..29], &ie[152..176]);
    let state = xchacha_open(&kek, &blob[5..29].try_into().unwrap(), &blob[..5], &blob[29..]).unwrap();
    assert_eq!(&state[..3], &[1, 0, 1]); // format, initiator, pinned
    assert_eq!(&state[3..19], sid);
    assert_eq!(&state[19..27], key_id);
    assert_eq!(u64::from_be_bytes(state[35..43].try_into().unwrap()), 1); // generation
                                                                          // hello none (1 byte) after granularity, policy; rekey idle; then the root of epoch 1.
    let at = 43 + 4 + 4 + 1;
    assert_eq!(&state[at..at + 2], &[0, 0]);
    assert_eq!(&state[at + 2..at + 34], &root1);
    let at = at + 34;
    assert_eq!(&state[at..at + 4], &[0, 0, 0, 1]); // send epoch
    assert_eq!(u64::from_be_bytes(state[at + 12..at + 20].try_into().unwrap()), 3); // next send seq
                                                                                    // The epochs held: 0 and 1 with the keys derived above.
    let window_len = 1 + 8 + 8 + 64 * 16;
    let at = at + 4 + 8 + 8 + 32 + window_len;
    assert_eq!(&state[at..at + 4], &[0, 0, 0, 2]);
    assert_eq!(&state[at + 8..at + 40], &i2r0);
    assert_eq!(&state[at + 40..at + 72], &r2i0);
    assert_eq!(&state[at + 72..at + 76], &[0, 0, 0, 1]);
    assert_eq!(&state[at + 76..at + 108], &i2r1);
    assert_eq!(&state[at + 108..at + 140], &r2i1);
}
