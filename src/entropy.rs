//! Where randomness comes from: the OS (or `crypto.getRandomValues` in the browser), or, only with
//! the `test-vectors` feature, a fixed script of bytes so that frozen vectors are reproducible.

use crate::error::{Error, Result};

/// A randomness source owned by a session or handshake.
pub struct Entropy(Source);

enum Source {
    Os,
    #[cfg(feature = "test-vectors")]
    Scripted {
        bytes: zeroize::Zeroizing<Vec<u8>>,
        pos: usize,
    },
}

impl Entropy {
    /// The operating system's CSPRNG (`getrandom`; `crypto.getRandomValues` on wasm32).
    pub fn os() -> Self {
        Entropy(Source::Os)
    }

    /// Hands out `bytes` in order, then fails with [`Error::Entropy`]. For frozen test vectors only.
    #[cfg(feature = "test-vectors")]
    pub fn scripted(bytes: Vec<u8>) -> Self {
        Entropy(Source::Scripted { bytes: zeroize::Zeroizing::new(bytes), pos: 0 })
    }

    /// Fills `out` with random bytes.
    pub(crate) fn fill(&mut self, out: &mut [u8]) -> Result<()> {
        match &mut self.0 {
            Source::Os => getrandom::fill(out).map_err(|_| Error::Entropy),
            #[cfg(feature = "test-vectors")]
            Source::Scripted { bytes, pos } => {
                let end = pos.checked_add(out.len()).ok_or(Error::Entropy)?;
                let src = bytes.get_mut(*pos..end).ok_or(Error::Entropy)?;
                out.copy_from_slice(src);
                // Used bytes are gone from the script, as drawn randomness would be: tests that
                // look for a secret in memory must not find the script's copy of it.
                zeroize::Zeroize::zeroize(src);
                *pos = end;
                Ok(())
            }
        }
    }

    /// An array of random bytes.
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        self.fill(&mut out)?;
        Ok(out)
    }
}

impl Default for Entropy {
    fn default() -> Self {
        Self::os()
    }
}

impl core::fmt::Debug for Entropy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Entropy(..)")
    }
}
