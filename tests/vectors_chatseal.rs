//! Frozen chatseal v2 vectors (`tests/vectors/chatseal_v2.json`, `SPEC.md` § 12), checked natively
//! and in the browsers.
//!
//! Two checks: (1) the library, fed the recorded randomness, reproduces every byte of the file and
//! every invalid case's error code; (2) a second implementation written from SPEC.md alone
//! (`chatseal_vectors/spec.rs`, over the raw primitives) derives every key, opens every envelope,
//! checks chain and acknowledgements, decodes and re-encodes both state blobs, and reaches the same
//! error code for every invalid case it covers. Regenerate (only when the wire format changes on
//! purpose, with a version bump) with `CHATSEAL_WRITE_VECTORS=1 cargo test --test vectors_chatseal`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "chatseal_vectors/build.rs"]
mod build;
#[path = "chatseal_vectors/invalid.rs"]
mod invalid;
#[path = "chatseal_vectors/spec.rs"]
mod spec;

use build::{h, unh};
use serde_json::{json, Value};
use spec::{arr, End, Keys};
use std::collections::{BTreeMap, BTreeSet};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const FROZEN: &str = include_str!("vectors/chatseal_v2.json");

fn build_all() -> Value {
    let (pinned, p) = build::build_pinned();
    let (mutual, m) = build::build_mutual();
    let (window, w) = build::build_window();
    let mut v = json!({
        "about": "chatseal v2 frozen vectors: see SPEC.md § 12 for how to use them.",
        "version": 2,
        "suite": 1,
        "pinned": pinned,
        "mutual": mutual,
        "window": window,
    });
    let mut cases = invalid::cases(&v["pinned"], &p, &m, &w);
    cases.push(padding_case(&v["pinned"], &p));
    for c in &mut cases {
        let code = invalid::run(&v, c);
        c["error"] = json!(code);
    }
    v["invalid"] = Value::Array(cases);
    v
}

/// A visitor turn whose padding marker is missing, sealed with the epoch-1 key the spec derives
/// (the library cannot be made to seal one).
fn padding_case(p: &Value, envs: &[Vec<u8>]) -> Value {
    let keys = pinned_epochs(p).1;
    let t2 = &envs[2];
    let e = spec::parse(t2).unwrap();
    let (aad, rest) = t2.split_at(e.aad_len);
    let nonce: [u8; 24] = arr(&rest[..24]);
    let mut body = vec![b'x'; 64];
    let tag = chatseal::primitives::xchacha_seal_in_place(&keys.i2r, &nonce, aad, &mut body);
    tag.unwrap();
    let env = [aad, &nonce[..], &body].concat();
    json!({
        "description": "padding without its 0x80 marker",
        "operation": "open",
        "receiver": invalid::receiver("pinned", "responder", &[0]),
        "input": h(&env),
    })
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn library_reproduces_frozen_vectors_byte_for_byte() {
    let built = build_all();
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var_os("CHATSEAL_WRITE_VECTORS").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/chatseal_v2.json");
        std::fs::write(path, serde_json::to_string_pretty(&built).unwrap() + "\n").unwrap();
        return;
    }
    let frozen: Value = serde_json::from_str(FROZEN).unwrap();
    assert_eq!(built, frozen, "the library's output differs from the frozen vectors");
    let codes: BTreeSet<&str> =
        frozen["invalid"].as_array().unwrap().iter().map(|c| c["error"].as_str().unwrap()).collect();
    let n =
        frozen["pinned"]["turns"].as_array().unwrap().len() + frozen["mutual"]["turns"].as_array().unwrap().len() + 3;
    println!(
        "chatseal vectors: {n} turns and state blobs, {} invalid cases covering {} error codes, reproduced byte for byte",
        frozen["invalid"].as_array().unwrap().len(),
        codes.len()
    );
}

/// The pinned section's epoch 0 and 1 keys, from the spec (§ 5.1, § 5.3).
fn pinned_epochs(p: &Value) -> (Keys, Keys, [u8; 32], [u8; 32], String) {
    let ss = unh(&p["service_secret"]);
    let s_pub = spec::public(&ss);
    let key_id = &spec::sha256(&[b"chatseal v2 key id", &s_pub])[..8];
    let ie = unh(&p["initiator_entropy"]);
    let re = unh(&p["responder_entropy"]);
    let e_i = spec::public(&ie[..32]);
    let handle = spec::handle(1, key_id, &e_i);
    let (k0, root0, code) = spec::epoch0(1, &handle, key_id, &e_i, &s_pub, &spec::x(&ie[..32], &s_pub));
    let e_r = spec::public(&re[..32]);
    let (k1, root1) = spec::next_epoch(&root0, &spec::x(&re[..32], &e_i), 1);
    assert_eq!(spec::x(&ie[..32], &e_r), spec::x(&re[..32], &e_i));
    (k0, k1, root1, arr(&re[..32]), code)
}

/// Opens every turn of a conversation with `keys` per epoch; checks links, prev and acks.
fn spec_check_turns(turns: &Value, keys: &BTreeMap<u32, Keys>) -> Vec<Vec<u8>> {
    let mut last: [Option<(u64, [u8; 32])>; 2] = [None, None];
    let mut envs = vec![];
    for t in turns.as_array().unwrap() {
        let env = unh(&t["envelope"]);
        let e = spec::parse(&env).unwrap();
        let k = keys[&e.epoch];
        let (pt, link) = spec::open(if e.dir == 0 { &k.i2r } else { &k.r2i }, &env, &e).unwrap();
        assert_eq!(pt, unh(&t["plaintext"]));
        assert_eq!(link.to_vec(), unh(&t["link"]));
        let d = usize::from(e.dir);
        assert_eq!(e.prev, last[d].map_or([0; 32], |l| l.1), "prev is the link of the previous turn");
        assert_eq!(e.seq, last[d].map_or(0, |l| l.0 + 1));
        // The ack names the latest turn of the other direction, which precedes it here.
        let other = last[1 - d];
        assert_eq!((e.ack, e.ack_link), (other.map_or(0, |o| o.0 + 1), other.map_or([0; 32], |o| o.1)));
        assert_eq!(
            (e.flags & 0x20 != 0, e.epoch),
            (t["close"].as_bool().unwrap(), t["epoch"].as_u64().unwrap() as u32)
        );
        assert_eq!(e.stream_start, t["stream"].get("start").and_then(Value::as_u64));
        last[d] = Some((e.seq, link));
        envs.push(env);
    }
    envs
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn spec_implementation_checks_frozen_vectors() {
    let v: Value = serde_json::from_str(FROZEN).unwrap();
    let p = &v["pinned"];
    let (k0, k1, root1, _, code) = pinned_epochs(p);
    assert_eq!(code, p["safety_code"].as_str().unwrap());
    let s_pub = unh(&p["service_public"]);
    assert_eq!(spec::public(&unh(&p["service_secret"])).to_vec(), s_pub);
    let key_id = spec::sha256(&[b"chatseal v2 key id", &s_pub])[..8].to_vec();
    assert_eq!(key_id, unh(&p["key_id"]));
    let e_i = spec::public(&unh(&p["initiator_entropy"])[..32]);
    assert_eq!(spec::handle(1, &key_id, &e_i).to_vec(), unh(&p["handle"]));
    let envs = spec_check_turns(&p["turns"], &BTreeMap::from([(0, k0), (1, k1)]));
    assert_eq!(&envs[0][107..148], &[&[1u8][..], &key_id, &e_i].concat()[..], "hello: mode, key id, E_i");
    let kek = spec::hex32(&p["kek"]);
    for (side, blob) in [(0u8, &p["initiator_state_blob"]), (1, &p["responder_state_blob"])] {
        let blob = unh(blob);
        let s = spec::open_blob(&blob, &kek, &unh(&p["handle"]), 0).unwrap();
        assert_eq!(spec::encode_state(&s), spec::plaintext(&blob, &kek), "every byte of the state accounted for");
        assert_eq!((s.side, s.mode, s.generation, s.key_id.to_vec()), (side, 1, 1, key_id.clone()));
        assert_eq!((s.every_turns, s.every_secs, s.keep_old), (0, 0, 0));
        assert_eq!((s.root, s.send_epoch, s.epochs.clone()), (root1, 1, vec![(1, k1)]), "epoch 0 deleted (§ 5.1)");
        assert_eq!((s.closed, s.peer_closed[0], s.hello.clone(), s.rekey.clone()), (1, 1, vec![0], vec![0]));
        assert!(s.extension.is_empty());
    }
    spec_check_mutual(&v["mutual"]);
    let (covered, library_only) = spec_check_invalid(&v);
    println!("chatseal vectors: the spec-only implementation reached the frozen code in {covered} invalid cases ({library_only} API-level ones are library-only)");
}

fn spec_check_mutual(m: &Value) {
    let ie = unh(&m["initiator_entropy"]);
    let re = unh(&m["responder_entropy"]);
    let (e_i, e_r) = (spec::public(&ie[..32]), spec::public(&re[..32]));
    let handle = spec::handle(2, &[0; 8], &e_i);
    let c = spec::sha256(&[b"chatseal v2 commit", &e_i]);
    assert_eq!(unh(&m["offer"]), [&b"CS"[..], &[2, 1, 0x10], &handle, &c].concat());
    assert_eq!(unh(&m["answer"]), [&b"CS"[..], &[2, 1, 0x11], &handle, &e_r].concat());
    let (k0, root0, code) = spec::epoch0(2, &handle, &[0; 8], &e_i, &e_r, &spec::x(&ie[..32], &e_r));
    assert_eq!(code, m["safety_code"].as_str().unwrap());
    // The initiator's rekeying secret a follows its first nonce; the responder's answer secret b
    // follows its first nonce (§ 6.2).
    let a = &ie[56..88];
    let b = &re[56..88];
    let (k1, _) = spec::next_epoch(&root0, &spec::x(a, &spec::public(b)), 1);
    let envs = spec_check_turns(&m["turns"], &BTreeMap::from([(0, k0), (1, k1)]));
    assert_eq!(spec::parse(&envs[2]).unwrap().rekey_key, Some(spec::public(a)), "the offer");
    assert_eq!(spec::parse(&envs[3]).unwrap().rekey_key, Some(spec::public(b)), "the answer");
    let kek = spec::hex32(&m["kek"]);
    let blob = unh(&m["initiator_state_blob"]);
    let s = spec::open_blob(&blob, &kek, &handle, 0).unwrap();
    assert_eq!(spec::encode_state(&s), spec::plaintext(&blob, &kek));
    assert_eq!((s.mode, s.key_id, s.epochs.clone()), (2, [0; 8], vec![(1, k1)]));
    // § 13.5: the PII extension: format 1, numbered everywhere, one e-mail value.
    let ext = unh(&m["initiator_extension"]);
    assert_eq!(s.extension, ext);
    assert_eq!((&ext[..9], &ext[9..13], ext[13]), (&[1, 0, 0, 0, 0, 0, 0, 0, 1][..], &[0, 0, 0, 1][..], 2));
    assert_eq!(&ext[18..], b"ana@example.com");
}

/// A receiver, as the spec describes it, after the turns listed (`invalid::receiver`).
fn spec_receiver(v: &Value, r: &Value) -> End {
    let conv = r["conversation"].as_str().unwrap();
    let section = &v[conv];
    let p = &v["pinned"];
    let envs: Vec<Vec<u8>> = match conv {
        "window" => section["envelopes"].as_array().unwrap().iter().map(unh).collect(),
        _ => section["turns"].as_array().unwrap().iter().map(|t| unh(&t["envelope"])).collect(),
    };
    let ss = unh(&p["service_secret"]);
    let s_pub = spec::public(&ss);
    let key_id = &spec::sha256(&[b"chatseal v2 key id", &s_pub])[..8];
    let ie = unh(&section["initiator_entropy"]);
    let e_i = spec::public(&ie[..32]);
    let handle = spec::handle(1, key_id, &e_i);
    let (k0, root0, _) = spec::epoch0(1, &handle, key_id, &e_i, &s_pub, &spec::x(&ie[..32], &s_pub));
    let responder = r["side"] == "responder";
    let mut end = End {
        handle,
        initiator: !responder,
        epochs: BTreeMap::from([(0, k0)]),
        root: root0,
        offer_secret: (!responder).then(|| arr(&ie[..32])),
        answered: false,
        answer_secret: responder.then(|| arr(&unh(&section["responder_entropy"])[..32])),
        opened: BTreeSet::new(),
        peer_close: None,
        links: BTreeMap::new(),
    };
    for i in r["after"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize) {
        let own = spec::parse(&envs[i]).unwrap().dir == u8::from(responder);
        if !own {
            end.open(&envs[i]).unwrap();
        }
    }
    end
}

/// Every invalid case the spec-only implementation can judge; returns (covered, library-only).
fn spec_check_invalid(v: &Value) -> (usize, usize) {
    let (mut covered, mut library_only) = (0, 0);
    for c in v["invalid"].as_array().unwrap() {
        let input = || match c.get("input_len") {
            Some(n) => vec![0u8; n.as_u64().unwrap() as usize],
            None => unh(&c["input"]),
        };
        let got: Result<(), &str> = match c["operation"].as_str().unwrap() {
            "open" => spec_receiver(v, &c["receiver"]).open(&input()).map(|_| ()),
            "open_stream" => {
                let mut end = spec_receiver(v, &c["receiver"]);
                let mut next: Option<(u64, u64)> = None;
                let mut ended = false;
                let mut result = Ok(());
                for env in c["inputs"].as_array().unwrap().iter().map(unh) {
                    let e = spec::parse(&env).unwrap();
                    end.open(&env).unwrap();
                    let start = e.stream_start.unwrap();
                    let fits = next.map_or(start == e.seq, |(s, n)| s == start && n == e.seq);
                    if !fits || ended {
                        result = Err("stream_broken");
                        break;
                    }
                    next = Some((start, e.seq + 1));
                    ended = e.flags & 0x10 != 0;
                }
                result.and(if ended { Ok(()) } else { Err("stream_broken") })
            }
            "accept" => spec_accept(c, &input()),
            "import" => spec::open_blob(
                &input(),
                &spec::hex32(&c["kek"]),
                &unh(&c["handle"]),
                c["min_generation"].as_u64().unwrap(),
            )
            .map(|_| ()),
            "answer" => spec_offer(&input()),
            "complete" => spec_complete(c, &input()),
            _ => {
                library_only += 1;
                continue;
            }
        };
        assert_eq!(got.unwrap_err(), c["error"].as_str().unwrap(), "{}", c["description"]);
        covered += 1;
    }
    (covered, library_only)
}

/// § 5.1 and § 5.4, for a service holding one key and having accepted `accepted`.
fn spec_accept(c: &Value, env: &[u8]) -> Result<(), &'static str> {
    let e = spec::parse(env)?;
    let hello = e.hello.ok_or("not_hello")?;
    if hello[0] != 1 {
        return Err("bad_state");
    }
    let ss = unh(&c["service_secret"]);
    let s_pub = spec::public(&ss);
    if hello[1..9] != spec::sha256(&[b"chatseal v2 key id", &s_pub])[..8] {
        return Err("unknown_key");
    }
    let accepted: Vec<Vec<u8>> = c["accepted"].as_array().unwrap().iter().map(|a| unh(a)[7..23].to_vec()).collect();
    if accepted.contains(&e.handle.to_vec()) {
        return Err("session_exists");
    }
    chatseal::primitives::x25519(&arr(&ss), &arr(&hello[9..])).map_err(|_| "non_contributory")?;
    Ok(())
}

/// § 5.2: an offer.
fn spec_offer(b: &[u8]) -> Result<(), &'static str> {
    if b.len() < 5 || &b[..2] != b"CS" {
        return Err("malformed");
    }
    if b[2] != 2 {
        return Err("unsupported_version");
    }
    if b.len() != 53 || b[3] != 1 || b[4] != 0x10 {
        return Err("malformed");
    }
    let h: [u8; 16] = arr(&spec::sha256(&[b"chatseal v2 handle", &[2], &[0; 8], &b[21..53]])[..16]);
    if h != b[5..21] {
        return Err("malformed");
    }
    Ok(())
}

/// § 5.2 step 3: an answer for the initiator whose randomness the case gives.
fn spec_complete(c: &Value, b: &[u8]) -> Result<(), &'static str> {
    if b.len() != 53 || &b[..5] != b"CS\x02\x01\x11" {
        return Err("malformed");
    }
    let e_i = spec::public(&unh(&c["initiator_entropy"])[..32]);
    if b[5..21] != spec::handle(2, &[0; 8], &e_i) {
        return Err("wrong_session");
    }
    chatseal::primitives::x25519(&[1; 32], &arr(&b[21..53])).map_err(|_| "non_contributory")?;
    Ok(())
}
