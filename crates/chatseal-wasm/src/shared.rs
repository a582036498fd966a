//! The state of a JS `Session`, which its stream readers share: how a binding borrows it, and
//! how it is rebuilt once an epoch's keys are dropped.

use crate::error::{JsError, JsResult};
use crate::inner::{self, Inner};
use crate::scrub;
use std::cell::RefCell;
use std::rc::Rc;

/// The state of a JS `Session`, shared with the stream readers it made; `None` once forgotten
/// or freed. Boxed, so that it stays where it is: taking it out moves a pointer, never the keys.
pub(crate) type Shared = Rc<RefCell<Option<Box<Inner>>>>;

/// Runs `f` on the live session in `shared` (the caller wipes the stack: see `scrub::after`).
/// If `f` dropped an epoch, the session is repacked (see [`repack`]).
pub(crate) fn with<T>(shared: &Shared, f: impl FnOnce(&mut Inner) -> JsResult<T>) -> JsResult<T> {
    let mut guard = shared.try_borrow_mut().map_err(|_| JsError::busy())?;
    let inner = guard.as_mut().ok_or_else(JsError::freed)?;
    let held = inner::core(inner).epochs_held();
    let out = f(inner);
    let now = inner::core(inner).epochs_held();
    if held.iter().any(|e| !now.contains(e)) {
        // The call's deeper frames held the dropped epoch's keys: wipe them first, so the
        // rebuilt session is assembled on a clean stack.
        scrub::stack();
        repack(&mut guard);
    }
    out
}

/// Rebuilds the session from its own sealed state (under a one-time key) into a fresh box and
/// drops the old box, which the allocator wipes. Why: the compiler assembles a session on the
/// stack and copies it into its box whole, padding and the storage of empty `Option`s included,
/// and those bytes can hold fragments of the keys derived in the same call. They stay in the box
/// for the session's lifetime; once their epoch is dropped they are the only trace of it. The
/// rebuilt session is assembled from the current state only. Its `stateGeneration` rises by one,
/// as for an export. If anything fails the session stays as it was.
fn repack(slot: &mut Option<Box<Inner>>) {
    let Some(inner) = slot.as_mut() else { return };
    let mut kek = zeroize::Zeroizing::new([0u8; 32]);
    if getrandom::fill(&mut *kek).is_err() {
        return;
    }
    let handle = *inner::core(inner).handle();
    let Ok(blob) = inner::export_state(inner, &kek) else { return };
    let options = chatseal::ImportOptions { clock: crate::options::clock(), ..chatseal::ImportOptions::default() };
    if let Ok(fresh) = inner::import_state(&blob, &kek, &handle, options) {
        *slot = Some(Box::new(fresh));
    }
}
