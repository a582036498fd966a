//! Wiping what `Zeroizing` cannot reach: the shadow stack.
//!
//! In wasm the Rust stack (locals whose address is taken, large arrays, spilled copies of keys
//! that the compiler moves around) lives in linear memory, which any script on the page can read
//! as `memory.buffer`. Values wrapped in `Zeroizing` wipe themselves, but a key copied into a
//! temporary by a dependency (x25519 scalars, HMAC pads, cipher states) leaves its bytes in the
//! stack region after the call returns, until something else happens to overwrite them. Every
//! binding that touches a secret runs its body through [`after`]: the body runs below the
//! binding's own frame, and the stack region it used is overwritten on the way out.

use zeroize::Zeroize;

/// Bytes of stack below the caller that are overwritten. The deepest call (a pinned handshake:
/// X25519, HKDF, the first seal, a state export) reaches about 20 KiB below the binding's frame
/// in release builds; the memory-scan test (`tests/js/lib/memory-scan.mjs`) fails if key bytes
/// survive below this depth.
const DEPTH: usize = 64 * 1024;

/// Runs `f` in a frame of its own below the caller's, then overwrites the stack `f` used. Every
/// binding that handles a key or plaintext runs its body this way, so its own frame (which no
/// wipe reaches) holds only JS handles, pointers and the result.
#[inline(always)]
pub(crate) fn after<T>(f: impl FnOnce() -> T) -> T {
    let out = below(f);
    stack();
    out
}

#[inline(never)]
fn below<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// Overwrites the `DEPTH` bytes of shadow stack below the caller's frame with zeros.
#[inline(never)]
pub(crate) fn stack() {
    let mut area = [0u64; DEPTH / 8];
    area.zeroize();
    core::hint::black_box(&area);
}
