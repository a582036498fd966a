//! The service end's own store (SQLite through rusqlite, one file in the service's data
//! directory, never the relay's database): session records with compare-and-swap on the
//! generation, an outbox of sealed replies not yet acknowledged by the relay, the visitor turns
//! opened but not yet answered, an encrypted conversation history for responders that want it,
//! and the handles it forgot.
//!
//! Whatever a call to [`chatseal::Service`] produces beside the record (sealed replies, pending
//! turns, history) is *staged* for the handle first and written in the same transaction as the
//! record, so a `kill -9` at any point leaves either the old record and nothing staged, or the
//! new record with its outbox: a reply is never sealed and lost, and no sequence number is
//! sealed twice.

use crate::db::i64_of;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chatseal::{Error, RecordStore, SessionHandle};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use zeroize::Zeroizing;

/// Messages of the history kept per session for responders that want context.
pub const HISTORY_MESSAGES: usize = 16;

/// What a call stages beside the record.
#[derive(Default)]
struct Staged {
    outbox: Vec<Vec<u8>>,
    pending_add: Vec<(u64, Vec<u8>)>,
    pending_done: Vec<u64>,
    history: Vec<(String, Zeroizing<String>)>,
}

/// The service end's store.
pub struct ServiceStore {
    conn: Mutex<Connection>,
    staged: Mutex<HashMap<SessionHandle, Staged>>,
    history_key: Zeroizing<[u8; 32]>,
}

impl core::fmt::Debug for ServiceStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServiceStore").finish_non_exhaustive()
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS records (handle BLOB PRIMARY KEY, generation INTEGER NOT NULL, record BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, handle BLOB NOT NULL, envelope BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_handle ON outbox (handle, id);
CREATE TABLE IF NOT EXISTS pending (handle BLOB NOT NULL, seq INTEGER NOT NULL, envelope BLOB NOT NULL, PRIMARY KEY (handle, seq));
CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY, handle BLOB NOT NULL, role TEXT NOT NULL, sealed BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS history_handle ON history (handle, id);
CREATE TABLE IF NOT EXISTS forgotten (handle BLOB PRIMARY KEY, at INTEGER NOT NULL, digest TEXT);
";

fn store_err(_: rusqlite::Error) -> Error {
    Error::Store("service store")
}

impl ServiceStore {
    /// Opens (creating) the store at `path`.
    pub fn open(path: &Path, history_key: &[u8; 32]) -> Result<Self, Error> {
        let conn = Connection::open(path).map_err(store_err)?;
        Self::init(conn, history_key)
    }

    /// An in-memory store (tests).
    pub fn memory(history_key: &[u8; 32]) -> Result<Self, Error> {
        Self::init(Connection::open_in_memory().map_err(store_err)?, history_key)
    }

    fn init(conn: Connection, history_key: &[u8; 32]) -> Result<Self, Error> {
        // WAL + synchronous=NORMAL: a committed write survives the process being killed.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(store_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(store_err)?;
        conn.set_prepared_statement_cache_capacity(32); // every statement here, parsed once
        conn.pragma_update(None, "secure_delete", "ON").map_err(store_err)?;
        conn.execute_batch(SCHEMA).map_err(store_err)?;
        Ok(ServiceStore {
            conn: Mutex::new(conn),
            staged: Mutex::new(HashMap::new()),
            history_key: Zeroizing::new(*history_key),
        })
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>, Error> {
        self.conn.lock().map_err(|_| Error::Store("service store lock"))
    }

    fn stage(&self, handle: &SessionHandle, f: impl FnOnce(&mut Staged)) -> Result<(), Error> {
        let mut staged = self.staged.lock().map_err(|_| Error::Store("staging lock"))?;
        f(staged.entry(*handle).or_default());
        Ok(())
    }

    /// Drops whatever is staged for `handle` (before a new call, after a failed one).
    pub fn clear_staged(&self, handle: &SessionHandle) {
        if let Ok(mut s) = self.staged.lock() {
            s.remove(handle);
        }
    }

    /// Stages a sealed envelope for the outbox.
    pub fn stage_outbox(&self, handle: &SessionHandle, envelope: Vec<u8>) -> Result<(), Error> {
        self.stage(handle, |s| s.outbox.push(envelope))
    }

    /// Stages a visitor turn as opened and not yet answered.
    pub fn stage_pending(&self, handle: &SessionHandle, seq: u64, envelope: Vec<u8>) -> Result<(), Error> {
        self.stage(handle, |s| s.pending_add.push((seq, envelope)))
    }

    /// Stages a visitor turn as answered.
    pub fn stage_answered(&self, handle: &SessionHandle, seq: u64) -> Result<(), Error> {
        self.stage(handle, |s| s.pending_done.push(seq))
    }

    /// Stages a history message (stored encrypted).
    pub fn stage_history(&self, handle: &SessionHandle, role: &str, text: &str) -> Result<(), Error> {
        self.stage(handle, |s| s.history.push((role.to_owned(), Zeroizing::new(text.to_owned()))))
    }

    fn write_staged(&self, tx: &rusqlite::Transaction<'_>, handle: &SessionHandle) -> Result<(), Error> {
        let staged = self.staged.lock().map_err(|_| Error::Store("staging lock"))?.remove(handle).unwrap_or_default();
        let h = handle.as_bytes().as_slice();
        let run = |sql: &str, params: &[&dyn rusqlite::ToSql]| {
            tx.prepare_cached(sql).and_then(|mut s| s.execute(params)).map(drop).map_err(store_err)
        };
        for env in staged.outbox {
            run("INSERT INTO outbox (handle, envelope) VALUES (?1, ?2)", params![h, env])?;
        }
        for (seq, env) in staged.pending_add {
            run(
                "INSERT OR IGNORE INTO pending (handle, seq, envelope) VALUES (?1, ?2, ?3)",
                params![h, i64_of(seq), env],
            )?;
        }
        for seq in staged.pending_done {
            run("DELETE FROM pending WHERE handle = ?1 AND seq <= ?2", params![h, i64_of(seq)])?;
        }
        if staged.history.is_empty() {
            return Ok(());
        }
        for (role, text) in staged.history {
            let sealed = self.seal_history(handle, text.as_bytes())?;
            run("INSERT INTO history (handle, role, sealed) VALUES (?1, ?2, ?3)", params![h, role, sealed])?;
        }
        run(
            "DELETE FROM history WHERE handle = ?1 AND id NOT IN (SELECT id FROM history WHERE handle = ?1 ORDER BY id DESC LIMIT ?2)",
            params![h, HISTORY_MESSAGES as i64],
        )
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&(*self.history_key).into())
    }

    fn seal_history(&self, handle: &SessionHandle, text: &[u8]) -> Result<Vec<u8>, Error> {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).map_err(|_| Error::Entropy)?;
        let ct = self
            .cipher()
            .encrypt(&XNonce::from(nonce), Payload { msg: text, aad: handle.as_bytes() })
            .map_err(|_| Error::Store("history seal"))?;
        Ok([&nonce[..], &ct].concat())
    }

    /// The session's history, oldest first: (role, text).
    pub fn history(&self, handle: &SessionHandle) -> Result<Vec<(String, Zeroizing<String>)>, Error> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare_cached("SELECT role, sealed FROM history WHERE handle = ?1 ORDER BY id").map_err(store_err)?;
        let rows = stmt
            .query_map(params![handle.as_bytes().to_vec()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .map_err(store_err)?;
        let mut out = Vec::new();
        for row in rows {
            let (role, sealed) = row.map_err(store_err)?;
            let (nonce, ct) = sealed.split_at_checked(24).ok_or(Error::Store("history row"))?;
            let nonce: [u8; 24] = nonce.try_into().map_err(|_| Error::Store("history row"))?;
            let text = self
                .cipher()
                .decrypt(&XNonce::from(nonce), Payload { msg: ct, aad: handle.as_bytes() })
                .map_err(|_| Error::Store("history open"))?;
            let text = Zeroizing::new(String::from_utf8_lossy(&text).into_owned());
            out.push((role, text));
        }
        Ok(out)
    }

    /// Outbox rows of a handle (all handles with `None`), oldest first: (id, handle, envelope).
    pub fn outbox(&self, handle: Option<&SessionHandle>) -> Result<Vec<(i64, SessionHandle, Vec<u8>)>, Error> {
        let conn = self.conn()?;
        let (sql, arg) = match handle {
            Some(h) => ("SELECT id, handle, envelope FROM outbox WHERE handle = ?1 ORDER BY id", h.as_bytes().to_vec()),
            None => ("SELECT id, handle, envelope FROM outbox WHERE ?1 IS NOT NULL ORDER BY id", vec![0u8]),
        };
        let mut stmt = conn.prepare_cached(sql).map_err(store_err)?;
        let rows = stmt
            .query_map(params![arg], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, Vec<u8>>(2)?)))
            .map_err(store_err)?;
        rows.map(|row| {
            let (id, h, env) = row.map_err(store_err)?;
            let h: [u8; 16] = h.try_into().map_err(|_| Error::Store("outbox handle"))?;
            Ok((id, SessionHandle::from_bytes(h), env))
        })
        .collect()
    }

    /// Removes an outbox row the relay acknowledged.
    pub fn outbox_done(&self, id: i64) -> Result<(), Error> {
        let conn = self.conn()?;
        conn.prepare_cached("DELETE FROM outbox WHERE id = ?1")
            .and_then(|mut s| s.execute(params![id]))
            .map_err(store_err)?;
        Ok(())
    }

    /// Visitor turns opened and not answered: (handle, seq, envelope), oldest first.
    pub fn pending(&self) -> Result<Vec<(SessionHandle, u64, Vec<u8>)>, Error> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare_cached("SELECT handle, seq, envelope FROM pending ORDER BY handle, seq").map_err(store_err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?, r.get::<_, Vec<u8>>(2)?)))
            .map_err(store_err)?;
        rows.map(|row| {
            let (h, seq, env) = row.map_err(store_err)?;
            let h: [u8; 16] = h.try_into().map_err(|_| Error::Store("pending handle"))?;
            Ok((SessionHandle::from_bytes(h), u64::try_from(seq).unwrap_or(0), env))
        })
        .collect()
    }

    /// Whether the service forgot this handle (a replayed hello must not revive it).
    pub fn is_forgotten(&self, handle: &SessionHandle) -> Result<bool, Error> {
        let conn = self.conn()?;
        let found = conn
            .prepare_cached("SELECT 1 FROM forgotten WHERE handle = ?1")
            .and_then(|mut s| s.query_row(params![handle.as_bytes().as_slice()], |_| Ok(())).optional())
            .map_err(store_err)?;
        Ok(found.is_some())
    }

    /// Records that a handle was forgotten, with the deletion record's digest.
    pub fn mark_forgotten(&self, handle: &SessionHandle, at: u64, digest: Option<&str>) -> Result<(), Error> {
        self.conn()?
            .execute(
                "INSERT INTO forgotten (handle, at, digest) VALUES (?1, ?2, ?3) ON CONFLICT (handle) DO UPDATE SET digest = COALESCE(?3, digest)",
                params![handle.as_bytes().to_vec(), i64_of(at), digest],
            )
            .map_err(store_err)?;
        Ok(())
    }

    /// The digest recorded when a handle was forgotten.
    pub fn forgotten_digest(&self, handle: &SessionHandle) -> Result<Option<String>, Error> {
        let conn = self.conn()?;
        let found = conn
            .query_row("SELECT digest FROM forgotten WHERE handle = ?1", params![handle.as_bytes().to_vec()], |r| {
                r.get::<_, Option<String>>(0)
            })
            .optional()
            .map_err(store_err)?;
        Ok(found.flatten())
    }

    /// How many session records it holds.
    pub fn records(&self) -> Result<u64, Error> {
        let n: i64 = self.conn()?.query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0)).map_err(store_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

impl RecordStore for ServiceStore {
    fn load(&self, handle: &SessionHandle) -> chatseal::Result<Option<Vec<u8>>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached("SELECT record FROM records WHERE handle = ?1").map_err(store_err)?;
        stmt.query_row(params![handle.as_bytes().to_vec()], |r| r.get(0)).optional().map_err(store_err)
    }

    fn create(&self, handle: &SessionHandle, generation: u64, record: &[u8]) -> chatseal::Result<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(store_err)?;
        let inserted = tx
            .prepare_cached("INSERT OR IGNORE INTO records (handle, generation, record) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![handle.as_bytes().as_slice(), i64_of(generation), record]))
            .map_err(store_err)?;
        if inserted == 0 {
            self.clear_staged(handle);
            return Err(Error::SessionExists);
        }
        self.write_staged(&tx, handle)?;
        tx.commit().map_err(store_err)
    }

    fn update(&self, handle: &SessionHandle, expected: u64, generation: u64, record: &[u8]) -> chatseal::Result<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(store_err)?;
        let h = handle.as_bytes().to_vec();
        let updated = tx
            .prepare_cached("UPDATE records SET generation = ?1, record = ?2 WHERE handle = ?3 AND generation = ?4")
            .and_then(|mut s| s.execute(params![i64_of(generation), record, h, i64_of(expected)]))
            .map_err(store_err)?;
        if updated == 0 {
            self.clear_staged(handle);
            let exists = tx
                .query_row("SELECT 1 FROM records WHERE handle = ?1", params![h], |_| Ok(()))
                .optional()
                .map_err(store_err)?;
            return Err(if exists.is_some() { Error::Conflict } else { Error::UnknownSession });
        }
        self.write_staged(&tx, handle)?;
        tx.commit().map_err(store_err)
    }

    fn remove(&self, handle: &SessionHandle) -> chatseal::Result<bool> {
        self.clear_staged(handle);
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(store_err)?;
        let h = handle.as_bytes().to_vec();
        let removed = tx.execute("DELETE FROM records WHERE handle = ?1", params![h]).map_err(store_err)?;
        for table in ["outbox", "pending", "history"] {
            tx.execute(&format!("DELETE FROM {table} WHERE handle = ?1"), params![h]).map_err(store_err)?;
        }
        tx.execute("INSERT OR IGNORE INTO forgotten (handle, at) VALUES (?1, strftime('%s','now'))", params![h])
            .map_err(store_err)?;
        tx.commit().map_err(store_err)?;
        Ok(removed > 0)
    }
}
