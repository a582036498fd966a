//! The pinned-mode service end with its per-session record (`SPEC.md` § 5.4).
//!
//! A service must not accept live turns from sessions it re-derives from stored envelopes: the
//! backend holds those envelopes and could replay old turns or fork the session. So the service
//! keeps one record per session handle, outside the backend's control, and every accept, open
//! and seal goes through it. The record is the responder's whole session state sealed under the
//! service's record key: with forward secrecy the keys after the first reply exist nowhere else,
//! and the receive state (replay window, chain head, epoch) is in it.

use crate::clock::Clock;
use crate::entropy::Entropy;
use crate::error::{Error, Result};
use crate::handshake::ServiceKeyring;
use crate::ids::{Mode, SessionHandle};
use crate::metadata::Metadata;
use crate::primitives::KEY_LEN;
use crate::session::{Opened, RekeyPolicy, Session, SessionOptions};
use crate::state::{state_info, DeletionRecord, ImportOptions};
use crate::wire::Envelope;
use std::collections::HashMap;
use std::sync::Mutex;
use zeroize::Zeroizing;

/// Where a service keeps its session records: a key-value store with compare-and-swap on the
/// record's generation, so two workers cannot both advance one session. Records are sealed
/// state blobs; the store never sees a key.
pub trait RecordStore {
    /// The record of `handle`, if any.
    fn load(&self, handle: &SessionHandle) -> Result<Option<Vec<u8>>>;
    /// Stores the first record of `handle`; [`Error::SessionExists`] if one exists or existed
    /// (see `remove`).
    fn create(&self, handle: &SessionHandle, generation: u64, record: &[u8]) -> Result<()>;
    /// Replaces the record of `handle` if its generation is still `expected`; otherwise
    /// [`Error::Conflict`] ([`Error::UnknownSession`] if it is gone).
    fn update(&self, handle: &SessionHandle, expected: u64, generation: u64, record: &[u8]) -> Result<()>;
    /// Deletes the record of `handle` and leaves a tombstone, so that the handle can never be
    /// created again: a replayed first envelope must not bring a deleted session back. Returns
    /// whether there was a live record.
    fn remove(&self, handle: &SessionHandle) -> Result<bool>;
}

/// An in-memory [`RecordStore`] (records are lost with the process: for tests and demos).
#[derive(Debug, Default)]
pub struct MemoryRecordStore {
    records: Mutex<Records>,
}

/// Generation and record per handle; `None` is a tombstone.
type Records = HashMap<SessionHandle, Option<(u64, Vec<u8>)>>;

impl MemoryRecordStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Records>> {
        self.records.lock().map_err(|_| Error::Store("record store lock poisoned"))
    }

    /// How many live records it holds.
    pub fn len(&self) -> usize {
        self.lock().map_or(0, |r| r.values().filter(|v| v.is_some()).count())
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl RecordStore for MemoryRecordStore {
    fn load(&self, handle: &SessionHandle) -> Result<Option<Vec<u8>>> {
        Ok(self.lock()?.get(handle).and_then(|v| v.as_ref().map(|(_, r)| r.clone())))
    }

    fn create(&self, handle: &SessionHandle, generation: u64, record: &[u8]) -> Result<()> {
        let mut records = self.lock()?;
        if records.contains_key(handle) {
            return Err(Error::SessionExists);
        }
        records.insert(*handle, Some((generation, record.to_vec())));
        Ok(())
    }

    fn update(&self, handle: &SessionHandle, expected: u64, generation: u64, record: &[u8]) -> Result<()> {
        let mut records = self.lock()?;
        match records.get_mut(handle) {
            None | Some(None) => Err(Error::UnknownSession),
            Some(Some((current, _))) if *current != expected => Err(Error::Conflict),
            Some(slot) => {
                *slot = Some((generation, record.to_vec()));
                Ok(())
            }
        }
    }

    fn remove(&self, handle: &SessionHandle) -> Result<bool> {
        Ok(self.lock()?.insert(*handle, None).is_some_and(|old| old.is_some()))
    }
}

/// Settings of the sessions a [`Service`] accepts.
#[derive(Clone, Debug)]
pub struct ServiceOptions {
    /// Time granularity of the metadata the service seals (default 60 s).
    pub time_granularity: u32,
    /// Rekeying policy of the service's sessions (default: every 100 turns or hour).
    pub rekey: RekeyPolicy,
    /// Clock for time-based rekeying.
    pub clock: Clock,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        ServiceOptions { time_granularity: 60, rekey: RekeyPolicy::default(), clock: Clock::system() }
    }
}

/// A pinned-mode service end: its keyring, the key its records are sealed under, and the record
/// store. Every call loads the session's record, works on it, and stores it back only if the call
/// succeeded (compare-and-swap), so a failed call changes nothing and a replayed or forked turn
/// is refused as it would be by a live session.
pub struct Service<S: RecordStore> {
    keyring: ServiceKeyring,
    record_key: Zeroizing<[u8; KEY_LEN]>,
    store: S,
    options: ServiceOptions,
}

impl<S: RecordStore> core::fmt::Debug for Service<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Service").field("keyring", &self.keyring).finish_non_exhaustive()
    }
}

impl<S: RecordStore> Service<S> {
    /// A service over `store`, sealing its records under `record_key` (32 secret bytes the
    /// service keeps beside its static keys, never in the store).
    pub fn new(keyring: ServiceKeyring, record_key: &[u8; KEY_LEN], store: S, options: ServiceOptions) -> Self {
        Service { keyring, record_key: Zeroizing::new(*record_key), store, options }
    }

    /// The keyring (to rotate keys).
    pub fn keyring_mut(&mut self) -> &mut ServiceKeyring {
        &mut self.keyring
    }

    /// The keyring.
    pub fn keyring(&self) -> &ServiceKeyring {
        &self.keyring
    }

    /// The record store.
    pub fn store(&self) -> &S {
        &self.store
    }

    fn session_options(&self) -> SessionOptions {
        SessionOptions {
            time_granularity: self.options.time_granularity,
            rekey: self.options.rekey,
            entropy: Entropy::os(),
            clock: self.options.clock.clone(),
        }
    }

    /// Accepts a session from its first envelope and opens that turn. A hello whose handle has a
    /// record is refused with `session_exists` (a replay, or a second hello reusing the key);
    /// anything but a pinned first envelope with `not_hello` / `bad_state`.
    pub fn accept(&self, first_envelope: &[u8]) -> Result<(SessionHandle, Opened)> {
        let env = Envelope::parse(first_envelope)?;
        if env.hello.as_ref().is_none_or(|h| h.mode != Mode::Pinned) {
            return Err(if env.hello.is_none() { Error::NotHello } else { Error::State("not a pinned-mode session") });
        }
        let handle = env.header.handle;
        if self.store.load(&handle)?.is_some() {
            return Err(Error::SessionExists);
        }
        let (mut session, opened) = self.keyring.accept_parsed(&env, self.session_options())?;
        let record = session.export_state(&self.record_key)?;
        self.store.create(&handle, session.state_generation(), &record)?;
        Ok((handle, opened))
    }

    /// Loads the session of `handle`, runs `f` on it, and stores it back if `f` succeeded. The
    /// record is stored before the result is returned, so nothing a caller acts on is lost.
    pub fn with_session<T>(&self, handle: &SessionHandle, f: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        let record = self.store.load(handle)?.ok_or(Error::UnknownSession)?;
        let expected = state_info(&record)?.generation;
        let options =
            ImportOptions { min_generation: expected, entropy: Entropy::os(), clock: self.options.clock.clone() };
        let mut session = Session::import_state(&record, &self.record_key, handle, options)?;
        let out = f(&mut session)?;
        let record = session.export_state(&self.record_key)?;
        self.store.update(handle, expected, session.state_generation(), &record)?;
        Ok(out)
    }

    /// Opens a visitor turn of a session this service accepted.
    pub fn open(&self, envelope: &[u8]) -> Result<(SessionHandle, Opened)> {
        let handle = Envelope::parse(envelope)?.header.handle;
        let opened = self.with_session(&handle, |s| s.open(envelope))?;
        Ok((handle, opened))
    }

    /// Seals a turn of the service into session `handle`.
    pub fn seal(&self, handle: &SessionHandle, body: &[u8], metadata: &Metadata) -> Result<Vec<u8>> {
        self.with_session(handle, |s| s.seal(body, metadata))
    }

    /// Crypto-shredding of the service's end: deletes the record and returns the deletion record.
    pub fn forget(&self, handle: &SessionHandle, now_unix: u64) -> Result<DeletionRecord> {
        let record = self.store.load(handle)?.ok_or(Error::UnknownSession)?;
        let options = ImportOptions { entropy: Entropy::os(), clock: Clock::none(), ..Default::default() };
        let session = Session::import_state(&record, &self.record_key, handle, options)?;
        self.store.remove(handle)?;
        Ok(session.forget(now_unix))
    }
}
