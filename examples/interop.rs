//! Native end of the interop tests (`tests/js/interop.test.mjs`, `tests/page/demo.test.mjs`):
//! the same crate, used from Rust, talks to the JS/wasm build through fixture files.
//!
//! ```text
//! cargo run --quiet --example interop -- serve <dir>
//!     native service end (`chatseal::Service` over an in-memory record store). Reads
//!     service_secret.hex and from_js.json (the widget's turns, first one with the hello), accepts
//!     and opens them all, checks their texts, seals one reply per turn ("native reply to:
//!     <text>") into from_native.json, writes native_safety.txt.
//! cargo run --quiet --example interop -- visit-start <dir>
//!     native widget. Reads service_public.hex and kek.hex, starts a pinned session, seals
//!     three turns into from_native.json, writes native_safety.txt and its state blob
//!     (native_state.txt, sealed under the KEK) so that visit-finish can continue it.
//! cargo run --quiet --example interop -- visit-finish <dir>
//!     restores the widget from native_state.txt and opens the replies in from_js.json.
//! ```
//!
//! `from_*.json` hold `{"turns": [{"envelope": <base64url>, "text": <expected plaintext>}]}`.
//! Prints one summary line; exits non-zero with the error code on any failure.

use chatseal::{
    base64url_decode, base64url_encode, inspect, state_info, Chain, ImportOptions, Label, MemoryRecordStore, Role,
    Service, ServiceKeyPair, ServiceKeyring, ServiceOptions, ServicePublicKey, Session, SessionOptions,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[derive(Serialize, Deserialize)]
struct Turn {
    envelope: String,
    text: String,
}

#[derive(Serialize, Deserialize)]
struct Turns {
    turns: Vec<Turn>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [mode, dir] if mode == "serve" => serve(Path::new(dir)),
        [mode, dir] if mode == "visit-start" => visit_start(Path::new(dir)),
        [mode, dir] if mode == "visit-finish" => visit_finish(Path::new(dir)),
        _ => Err("usage: interop serve|visit-start|visit-finish <fixture-dir>".into()),
    };
    match result {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let code = e.downcast_ref::<chatseal::Error>().map_or("", |e| e.code());
            eprintln!("interop: {e} {code}");
            ExitCode::FAILURE
        }
    }
}

fn file(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

fn read_hex<const N: usize>(dir: &Path, name: &str) -> Result<[u8; N]> {
    let bytes = hex::decode(std::fs::read_to_string(file(dir, name))?.trim())?;
    bytes.try_into().map_err(|_| format!("{name}: expected {N} bytes").into())
}

fn read_turns(dir: &Path, name: &str) -> Result<Vec<(Vec<u8>, String)>> {
    let turns: Turns = serde_json::from_str(&std::fs::read_to_string(file(dir, name))?)?;
    turns.turns.into_iter().map(|t| Ok((base64url_decode(&t.envelope)?, t.text))).collect()
}

fn write_turns(dir: &Path, name: &str, turns: Vec<(Vec<u8>, String)>) -> Result<()> {
    let turns =
        Turns { turns: turns.into_iter().map(|(e, text)| Turn { envelope: base64url_encode(&e), text }).collect() };
    Ok(std::fs::write(file(dir, name), serde_json::to_string_pretty(&turns)?)?)
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Fails unless `opened` carries `expected`, in order and linked.
fn check(index: usize, opened: &chatseal::Opened, expected: &str) -> Result<()> {
    if opened.plaintext.as_slice() != expected.as_bytes() {
        return Err(format!("turn {index}: plaintext differs from the fixture").into());
    }
    if opened.chain != Chain::Linked {
        return Err(format!("turn {index}: chain {:?}", opened.chain).into());
    }
    Ok(())
}

fn seal_in(session: &mut Session, role: Role, text: &str) -> chatseal::Result<Vec<u8>> {
    let mut metadata = session.metadata(role, now())?;
    metadata.insert_label(Label::new("side", "native")?)?;
    session.seal(text.as_bytes(), &metadata)
}

fn seal(session: &mut Session, role: Role, text: &str) -> Result<Vec<u8>> {
    Ok(seal_in(session, role, text)?)
}

fn serve(dir: &Path) -> Result<String> {
    let secret: [u8; 32] = read_hex(dir, "service_secret.hex")?;
    let pair = ServiceKeyPair::from_secret_bytes(&secret)?;
    let key_id = *pair.public_key().key_id();
    let mut keyring = ServiceKeyring::new();
    keyring.insert(pair);

    let turns = read_turns(dir, "from_js.json")?;
    let ((first, first_text), rest) = turns.split_first().ok_or("from_js.json has no turns")?;
    let hello = inspect(first)?.hello.ok_or("the first turn carries no hello")?;
    if hello.key_id != key_id {
        return Err("the first turn names another service key".into());
    }
    let service = Service::new(keyring, &[0x5e; 32], MemoryRecordStore::new(), ServiceOptions::default());
    let (handle, opened) = service.accept(first)?;
    check(0, &opened, first_text)?;
    if opened.metadata.role != Role::Visitor {
        return Err("the first turn is not a visitor turn".into());
    }
    for (i, (envelope, text)) in rest.iter().enumerate() {
        check(i + 1, &service.open(envelope)?.1, text)?;
    }
    let mut replies = Vec::new();
    for (_, text) in &turns {
        let reply = format!("native reply to: {text}");
        replies.push((service.with_session(&handle, |s| seal_in(s, Role::Assistant, &reply))?, reply));
    }
    let sealed = replies.len();
    write_turns(dir, "from_native.json", replies)?;
    std::fs::write(file(dir, "native_safety.txt"), service.with_session(&handle, |s| Ok(s.safety_code()))?)?;
    Ok(format!("serve: opened {} turns, sealed {sealed} replies", turns.len()))
}

fn visit_start(dir: &Path) -> Result<String> {
    let public: [u8; 32] = read_hex(dir, "service_public.hex")?;
    let kek: [u8; 32] = read_hex(dir, "kek.hex")?;
    let mut session = Session::initiate_pinned(&ServicePublicKey::from_bytes(&public)?, SessionOptions::default())?;
    let mut turns = Vec::new();
    for text in ["native visitor: hello", "native visitor: ünïcödé ✓", "native visitor: third"] {
        turns.push((seal(&mut session, Role::Visitor, text)?, text.to_owned()));
    }
    write_turns(dir, "from_native.json", turns)?;
    std::fs::write(file(dir, "native_safety.txt"), session.safety_code())?;
    std::fs::write(file(dir, "native_state.txt"), base64url_encode(&session.export_state(&kek)?))?;
    Ok("visit-start: sealed 3 turns, exported state".to_owned())
}

fn visit_finish(dir: &Path) -> Result<String> {
    let kek: [u8; 32] = read_hex(dir, "kek.hex")?;
    let blob = base64url_decode(std::fs::read_to_string(file(dir, "native_state.txt"))?.trim())?;
    let options = ImportOptions { min_generation: 1, ..ImportOptions::default() };
    // The handle a real widget would have kept beside the blob; here read from the blob itself.
    let handle = state_info(&blob)?.handle;
    let mut session = Session::import_state(&blob, &kek, &handle, options)?;
    let replies = read_turns(dir, "from_js.json")?;
    for (i, (envelope, text)) in replies.iter().enumerate() {
        check(i, &session.open(envelope)?, text)?;
    }
    Ok(format!("visit-finish: opened {} replies", replies.len()))
}
