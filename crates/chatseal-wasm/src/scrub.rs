//! Wiping what `Zeroizing` cannot reach: the shadow stack.
//!
//! In wasm the Rust stack (locals whose address is taken, large arrays, spilled copies of keys
//! that the compiler moves around) lives in linear memory, which any script on the page can read
//! as `memory.buffer`. Values wrapped in `Zeroizing` wipe themselves, but a key copied into a
//! temporary by a dependency (x25519 scalars, HMAC pads, cipher states) leaves its bytes in the
//! stack region after the call returns, until something else happens to overwrite them. Every
//! binding that touches a secret runs its body through [`after`]: the body runs below the
//! binding's own frame, and the stack region it used is overwritten on the way out.

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
///
/// The zero-initialised array is one `memset` (a single `memory.fill` in wasm); handing it to
/// `black_box` makes its contents observable, so the fill cannot be elided. `Zeroize` on the
/// array did the same with one volatile store per word, which cost several microseconds per
/// call (BENCHMARKS.md, per-phase breakdown); the memory-scan test checks the result either way.
#[inline(never)]
pub(crate) fn stack() {
    let mut area = [0u64; DEPTH / 8];
    core::hint::black_box(&mut area);
}

/// A heap buffer holding an argument's bytes or text (plaintext, ids), wiped when dropped: its
/// bytes are overwritten by one `memset` (`fill`, then `black_box`, so the writes cannot be
/// elided), where `Zeroizing` makes one volatile store per byte (about 14 % of a
/// 1 MiB seal: BENCHMARKS.md, "What we tried"). The zeroizing global allocator wipes the block
/// again when it is freed.
pub(crate) struct Wiped<T: Wipe>(T);

/// A buffer [`Wiped`] can wipe in place.
pub(crate) trait Wipe: Default {
    /// Overwrites the buffer's bytes with zeros.
    fn wipe(&mut self);
}

impl Wipe for Vec<u8> {
    /// Wipes the bytes in use with one `memset` (`fill` on bytes; a `MaybeUninit` fill of the
    /// spare capacity would be a loop of single stores at opt-level "z"). The spare capacity of
    /// these buffers holds no secret: zeros they were allocated with (`text` truncates an encoded
    /// string), or an opened turn's padding (the 0x80 marker and zeros `unpad` cut off); nothing
    /// grows them. And the allocator wipes the whole block when it is freed, which is the moment
    /// the `Wiped` is dropped.
    fn wipe(&mut self) {
        self.fill(0);
        core::hint::black_box(self.as_mut_slice());
        self.clear();
    }
}

impl Wipe for String {
    fn wipe(&mut self) {
        core::mem::take(self).into_bytes().wipe();
    }
}

impl<T: Wipe> Wiped<T> {
    pub(crate) fn new(value: T) -> Self {
        Wiped(value)
    }
}

impl<T: Wipe> core::ops::Deref for Wiped<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Wipe> core::ops::DerefMut for Wiped<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Wipe> Drop for Wiped<T> {
    fn drop(&mut self) {
        self.0.wipe();
    }
}

#[cfg(test)]
mod tests {
    use super::{Wipe, Wiped};

    #[test]
    fn wiped_buffers_keep_their_value_until_dropped() {
        let mut v = Vec::with_capacity(64);
        v.extend_from_slice(b"secret");
        v.wipe();
        // (The zeros themselves are checked in wasm memory by the memory-scan test.)
        assert!(v.is_empty());
        assert_eq!(v.capacity(), 64);
        let mut s = Wiped::new(String::from("secret"));
        s.push_str(" more");
        assert_eq!(&**s, "secret more");
        let mut t = String::from("x");
        t.wipe();
        assert!(t.is_empty());
    }
}
