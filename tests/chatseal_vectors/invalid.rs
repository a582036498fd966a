//! The invalid cases of the v2 vectors: one or more for every error code the wire or a state blob
//! can produce (`SPEC.md` § 14), each with the operation that meets it. The library runs each
//! case to record the code; `spec.rs` runs them again from the spec alone.

use super::build::{h, opts, pattern, unh};
use chatseal::*;
use serde_json::{json, Value};

/// A receiver: a side of one of the vector conversations after opening the listed turns in order
/// (indexes into that conversation's turn list; the responder accepts the first one).
pub fn receiver(conversation: &str, side: &str, after: &[usize]) -> Value {
    json!({ "conversation": conversation, "side": side, "after": after })
}

fn case(description: &str, operation: &str, extra: Value) -> Value {
    let mut v = json!({ "description": description, "operation": operation });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

fn with(bytes: &[u8], edits: &[(usize, u8)]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for &(at, v) in edits {
        b[at] = v;
    }
    b
}

/// Offset of the metadata length field (SPEC.md § 6).
fn metadata_at(env: &[u8]) -> usize {
    let flags = env[6];
    107 + if flags & 1 != 0 { 41 } else { 0 } + if flags & 6 != 0 { 32 } else { 0 } + if flags & 8 != 0 { 8 } else { 0 }
}

pub fn cases(pinned: &Value, p: &[Vec<u8>], mutual: &[Vec<u8>], window: &[Vec<u8>]) -> Vec<Value> {
    let r1 = receiver("pinned", "responder", &[0]);
    let t2 = &p[2];
    let meta = metadata_at(t2);
    let mut cases = vec![
        case("bad magic", "open", json!({ "receiver": r1, "input": h(&with(t2, &[(0, b'X')])) })),
        case("version 3", "open", json!({ "receiver": r1, "input": h(&with(t2, &[(2, 3)])) })),
        case("unknown suite", "open", json!({ "receiver": r1, "input": h(&with(t2, &[(3, 2)])) })),
        case(
            "an offer where an envelope is expected",
            "open",
            json!({ "receiver": r1, "input": h(&with(t2, &[(4, 0x10)])) }),
        ),
        case("truncated inside the header", "open", json!({ "receiver": r1, "input": h(&t2[..60]) })),
        case("unknown flag bit", "open", json!({ "receiver": r1, "input": h(&with(t2, &[(6, 0x40)])) })),
        case("hello flag on a later turn", "open", json!({ "receiver": r1, "input": h(&with(t2, &[(6, 0x01)])) })),
        case("ack link without an ack", "open", json!({ "receiver": r1, "input": h(&with(t2, &[(74, 0)])) })),
        case("ciphertext not a bucket length", "open", json!({ "receiver": r1, "input": h(&t2[..t2.len() - 1]) })),
        case("metadata: role byte 9", "open", json!({ "receiver": r1, "input": h(&with(t2, &[(meta + 2, 9)])) })),
        case(
            "metadata length above 1024",
            "open",
            json!({ "receiver": r1, "input": h(&with(t2, &[(meta, 0x04), (meta + 1, 0x01)])) }),
        ),
        case(
            "assistant role on the visitor's direction",
            "open",
            json!({ "receiver": r1, "input": h(&with(t2, &[(meta + 2, 1)])) }),
        ),
        case(
            "tag bit flipped",
            "open",
            json!({ "receiver": r1, "input": h(&with(t2, &[(t2.len() - 1, t2[t2.len() - 1] ^ 0x80)])) }),
        ),
        case("another session's turn", "open", json!({ "receiver": r1, "input": h(&mutual[2]) })),
        case("the responder's own turn reflected", "open", json!({ "receiver": r1, "input": h(&p[1]) })),
        case("epoch 7", "open", json!({ "receiver": r1, "input": h(&with(t2, &[(26, 7)])) })),
        case("replay of the first turn", "open", json!({ "receiver": r1, "input": h(&p[0]) })),
        case(
            "a visitor turn numbered after the visitor's close",
            "open",
            json!({ "receiver": receiver("pinned", "responder", &[0, 2, 6]), "input": h(&with(&p[6], &[(34, 3)])) }),
        ),
        case(
            "seq 1 after seq 100 was opened",
            "open",
            json!({ "receiver": receiver("window", "responder", &[0, 2]), "input": h(&window[1]) }),
        ),
        case(
            "an envelope one byte above the maximum",
            "open",
            json!({ "receiver": r1, "input_len": MAX_ENVELOPE + 1, "input_fill": 0 }),
        ),
    ];
    cases.extend(accept_cases(pinned, p, mutual));
    cases.extend(state_cases(pinned));
    cases.extend(handshake_cases());
    cases.push(case(
        "a streamed reply missing its middle chunk",
        "open_stream",
        json!({ "receiver": receiver("pinned", "initiator", &[0, 1]), "inputs": [h(&p[3]), h(&p[5])] }),
    ));
    cases.push(case(
        "a streamed reply cut off before its last chunk",
        "open_stream",
        json!({ "receiver": receiver("pinned", "initiator", &[0, 1]), "inputs": [h(&p[3]), h(&p[4])] }),
    ));
    cases
}

fn accept_cases(pinned: &Value, p: &[Vec<u8>], mutual: &[Vec<u8>]) -> Vec<Value> {
    let key = pinned["service_secret"].clone();
    // A hello whose E_i is the all-zero (small-order) point, with the handle it fixes.
    let mut zero = p[0].clone();
    let hello_at = 107;
    zero[hello_at + 9..hello_at + 41].fill(0);
    let hello = inspect_hello(&zero);
    zero[7..23].copy_from_slice(hello.as_bytes());
    vec![
        case("a turn without a hello", "accept", json!({ "service_secret": key, "accepted": [], "input": h(&p[2]) })),
        case(
            "a hello under another service key",
            "accept",
            json!({ "service_secret": h(&pattern(0xe0, 32)), "accepted": [], "input": h(&p[0]) }),
        ),
        case(
            "the first envelope again",
            "accept",
            json!({ "service_secret": key, "accepted": [h(&p[0])], "input": h(&p[0]) }),
        ),
        case("a mutual-mode hello", "accept", json!({ "service_secret": key, "accepted": [], "input": h(&mutual[0]) })),
        case(
            "a hello with a small-order key",
            "accept",
            json!({ "service_secret": key, "accepted": [], "input": h(&zero) }),
        ),
        case(
            "a turn of a session never accepted",
            "service_open",
            json!({ "service_secret": key, "accepted": [], "input": h(&p[2]) }),
        ),
    ]
}

/// The handle a (possibly forged) hello fixes, computed by the library's `Hello::handle`.
fn inspect_hello(env: &[u8]) -> SessionHandle {
    let hello = Hello {
        mode: Mode::Pinned,
        key_id: env[108..116].try_into().unwrap(),
        initiator_public: env[116..148].try_into().unwrap(),
    };
    hello.handle()
}

fn state_cases(pinned: &Value) -> Vec<Value> {
    let blob = unh(&pinned["initiator_state_blob"]);
    let kek = pinned["kek"].clone();
    let handle = pinned["handle"].clone();
    let import = |what: &str, bytes: &[u8], kek: Value, handle: Value, min: u64| {
        case(what, "import", json!({ "input": h(bytes), "kek": kek, "handle": handle, "min_generation": min }))
    };
    let mut relabelled = blob.clone();
    relabelled[21] = 1; // claims to be the responder's
    let mut too_big = blob.clone();
    too_big.resize(MAX_STATE_BLOB + 1, 0);
    let with_ext_blob = at_the_counter_limit(pinned);
    vec![
        import("state blob under another KEK", &blob, json!(h(&pattern(0xc1, 32))), handle.clone(), 0),
        import("state blob of another session", &blob, kek.clone(), json!(h(&[0x11; 16])), 0),
        import("state blob relabelled as the responder's", &relabelled, kek.clone(), handle.clone(), 0),
        import("state blob older than the last export", &blob, kek.clone(), handle.clone(), 2),
        import("state blob truncated", &blob[..40], kek.clone(), handle.clone(), 0),
        import("state blob with version 1", &with(&blob, &[(2, 1)]), kek.clone(), handle.clone(), 0),
        case(
            "state blob above 4 MiB",
            "import",
            json!({ "input_len": MAX_STATE_BLOB + 1, "input_fill": 0, "kek": kek, "handle": handle, "min_generation": 0 }),
        ),
        case(
            "a restored state whose next sequence number is 2^53: sealing",
            "import_and_seal",
            json!({ "input": h(&with_ext_blob.0), "kek": kek, "handle": with_ext_blob.1 }),
        ),
    ]
}

/// An initiator state at the sequence-number limit (made with a test hook; the bytes are all a
/// third party needs).
fn at_the_counter_limit(pinned: &Value) -> (Vec<u8>, String) {
    let ss = unh(&pinned["service_secret"]);
    let public = ServiceKeyPair::from_secret_bytes(&ss).unwrap().public_key().clone();
    let mut s = Session::initiate_pinned(&public, opts(pattern(0x50, 32 + 24 + 16 + 24))).unwrap();
    let m = s.metadata(Role::Visitor, 0).unwrap();
    s.seal(b"x", &m).unwrap();
    s.set_send_seq_for_tests(MAX_COUNTER + 1);
    let kek: [u8; 32] = unh(&pinned["kek"]).try_into().unwrap();
    (s.export_state(&kek).unwrap(), s.handle().to_hex())
}

fn handshake_cases() -> Vec<Value> {
    let ie = pattern(0x30, 32);
    let (_pending, offer) = MutualInitiator::offer(opts(ie.clone())).unwrap();
    let mut answer = offer.clone();
    answer[4] = 0x11;
    answer[21..53].fill(0); // the all-zero point as E_r
    vec![
        case(
            "offer whose handle is not its commitment's",
            "answer",
            json!({ "input": h(&with(&offer, &[(5, offer[5] ^ 1)])) }),
        ),
        case("offer with version 3", "answer", json!({ "input": h(&with(&offer, &[(2, 3)])) })),
        case("offer of 52 bytes", "answer", json!({ "input": h(&offer[..52]) })),
        case("answer with a small-order key", "complete", json!({ "initiator_entropy": h(&ie), "input": h(&answer) })),
        case(
            "answer to another offer",
            "complete",
            json!({ "initiator_entropy": h(&ie), "input": h(&with(&answer, &[(5, answer[5] ^ 1)])) }),
        ),
    ]
}

/// Replays a receiver (`receiver(...)`) with the library: the turns it sent are sealed again
/// (same randomness, so the same bytes), the others opened; a responder accepts its first turn.
fn replay(v: &Value, r: &Value) -> Session {
    let conv = r["conversation"].as_str().unwrap();
    let responder = r["side"] == "responder";
    let after: Vec<usize> = r["after"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect();
    let section = &v[conv];
    let envs: Vec<Vec<u8>> = match conv {
        "window" => section["envelopes"].as_array().unwrap().iter().map(unh).collect(),
        _ => section["turns"].as_array().unwrap().iter().map(|t| unh(&t["envelope"])).collect(),
    };
    let specs = if conv == "pinned" { super::build::pinned_turns() } else { vec![] };
    let p = &v["pinned"];
    let mut session = if responder {
        let mut ring = ServiceKeyring::new();
        ring.insert(ServiceKeyPair::from_secret_bytes(&unh(&p["service_secret"])).unwrap());
        ring.accept_unrecorded(&envs[after[0]], opts(unh(&section["responder_entropy"]))).unwrap().0
    } else {
        let public = ServicePublicKey::from_bytes(&unh(&p["service_public"])).unwrap();
        Session::initiate_pinned(&public, opts(unh(&section["initiator_entropy"]))).unwrap()
    };
    for &i in &after[usize::from(responder)..] {
        let own = specs.get(i).is_some_and(|t| t.from_initiator != responder);
        if own {
            assert_eq!(super::build::seal_step(&mut session, &specs[i]), envs[i]);
        } else {
            session.open(&envs[i]).unwrap();
        }
    }
    session
}

fn input(c: &Value) -> Vec<u8> {
    match c.get("input_len") {
        Some(n) => vec![c["input_fill"].as_u64().unwrap() as u8; n.as_u64().unwrap() as usize],
        None => unh(&c["input"]),
    }
}

/// Runs one case with the library; returns the error code.
pub fn run(v: &Value, c: &Value) -> String {
    let err = match c["operation"].as_str().unwrap() {
        "open" => replay(v, &c["receiver"]).open(&input(c)).map(|_| ()),
        "open_stream" => {
            let mut s = replay(v, &c["receiver"]);
            let mut asm = StreamAssembler::new();
            c["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .try_for_each(|e| s.open(&unh(e)).and_then(|o| asm.push(&o).map(|_| ())))
                .and_then(|()| asm.finish())
        }
        "accept" | "service_open" => {
            let mut ring = ServiceKeyring::new();
            ring.insert(ServiceKeyPair::from_secret_bytes(&unh(&c["service_secret"])).unwrap());
            let service = Service::new(ring, &[1; 32], MemoryRecordStore::new(), ServiceOptions::default());
            for e in c["accepted"].as_array().unwrap() {
                service.accept(&unh(e)).unwrap();
            }
            if c["operation"] == "accept" {
                service.accept(&input(c)).map(|_| ())
            } else {
                service.open(&input(c)).map(|_| ())
            }
        }
        "import" | "import_and_seal" => {
            let kek: [u8; 32] = unh(&c["kek"]).try_into().unwrap();
            let handle = SessionHandle::from_hex(c["handle"].as_str().unwrap()).unwrap();
            let options =
                ImportOptions { min_generation: c["min_generation"].as_u64().unwrap_or(0), ..ImportOptions::default() };
            Session::import_state(&input(c), &kek, &handle, options).and_then(|mut s| {
                if c["operation"] == "import" {
                    return Ok(());
                }
                let m = s.metadata(Role::Visitor, 0)?;
                s.seal(b"one more", &m).map(|_| ())
            })
        }
        "answer" => MutualResponder::answer(&input(c), SessionOptions::default()).map(|_| ()),
        "complete" => {
            let (mut pending, _) = MutualInitiator::offer(opts(unh(&c["initiator_entropy"]))).unwrap();
            pending.complete(&input(c)).map(|_| ())
        }
        other => panic!("unknown operation {other}"),
    };
    err.unwrap_err().code().to_owned()
}
