//! Fuzz harnesses for the protocol core, one public function per fuzz target. Each is written
//! once and used twice: by its cargo-fuzz target (`fuzz/fuzz_targets/*.rs`) and by the replay
//! test (`tests/fuzz_replay.rs`), which runs every committed corpus and regression input through
//! it in a normal `cargo test`. Each asserts what must hold, not only "no panic".

#[path = "envelope.rs"]
mod envelope;
#[path = "fixture.rs"]
pub mod fixture;
#[path = "handshake.rs"]
mod handshake;
#[path = "input.rs"]
pub mod input;
#[path = "oracle.rs"]
mod oracle;
#[path = "state.rs"]
mod state;
#[path = "text.rs"]
mod text;

pub use envelope::{inspect, open, stream};
pub use handshake::{accept, handshake};
pub use state::{import_state, rewrap};
pub use text::{labels, text_form};

use chatseal::Error;

/// Every error is one of the stable codes.
fn check_error(e: &Error) {
    assert!(Error::CODES.contains(&e.code()), "error outside Error::CODES: {e:?}");
}

/// A harness: runs one input, panics if an invariant breaks.
pub type Harness = fn(&[u8]);

/// Every core target by name, for the replay test.
pub const TARGETS: &[(&str, Harness)] = &[
    ("open", open),
    ("inspect", inspect),
    ("accept", accept),
    ("handshake", handshake),
    ("import_state", import_state),
    ("rewrap", rewrap),
    ("labels", labels),
    ("text_form", text_form),
    ("stream", stream),
];
