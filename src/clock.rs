//! Where the time for time-based rekeying comes from (`SPEC.md` § 13.2). The core has no
//! dependency on a platform: natively the system clock, in a browser whatever function the
//! bindings pass in, in tests a clock the test moves.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A source of Unix time in whole seconds.
#[derive(Clone)]
pub struct Clock(Source);

#[derive(Clone)]
enum Source {
    /// No clock: time-based rekeying is off (only turn counts apply).
    None,
    /// A function, e.g. the browser's `Date.now() / 1000` passed in by the wasm bindings.
    Function(fn() -> u64),
    /// A value the test moves.
    Manual(Arc<AtomicU64>),
}

impl Clock {
    /// The platform clock: `SystemTime` natively; no clock on `wasm32-unknown-unknown`, where
    /// `SystemTime` does not exist (the JavaScript bindings pass the browser's clock instead).
    pub fn system() -> Self {
        #[cfg(not(target_arch = "wasm32"))]
        {
            Clock(Source::Function(system_now))
        }
        #[cfg(target_arch = "wasm32")]
        {
            Clock(Source::None)
        }
    }

    /// No clock: time-based rekeying never triggers.
    pub fn none() -> Self {
        Clock(Source::None)
    }

    /// Reads the time from `now` (Unix seconds).
    pub fn from_fn(now: fn() -> u64) -> Self {
        Clock(Source::Function(now))
    }

    /// A clock that reads `time`; move it with `time.store(..)`.
    pub fn manual(time: Arc<AtomicU64>) -> Self {
        Clock(Source::Manual(time))
    }

    /// Unix seconds now, if this clock has a source.
    pub fn now(&self) -> Option<u64> {
        match &self.0 {
            Source::None => None,
            Source::Function(f) => Some(f()),
            Source::Manual(t) => Some(t.load(Ordering::Relaxed)),
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn system_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl core::fmt::Debug for Clock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self.0 {
            Source::None => "Clock(none)",
            Source::Function(_) => "Clock(fn)",
            Source::Manual(_) => "Clock(manual)",
        })
    }
}
