//! Storage through sqlx: SQLite (one file, WAL) by default, PostgreSQL for deployments that
//! outgrow one machine. The URL picks the backend; both run the same queries (`$n` parameters,
//! portable SQL) over the same schema, created by versioned migrations.

mod audit_log;
mod chain;
mod conversations;
mod deletion;
mod group_commit;
mod heads;
mod keys;
mod moderation;
mod rows;
mod summary;

pub use audit_log::{AuditEntry, AuditVerification};
pub use conversations::PostOutcome;
pub(crate) use conversations::NOTIFY_CHANNEL;
pub use deletion::Tombstone;
pub(crate) use keys::key_hash;
pub use keys::{ApiKey, Scope, TenantKeys};
pub use moderation::{FlaggedConversation, PiiConversation, VolumeBucket};
pub use rows::{Cursor, StoredEnvelope};
pub(crate) use summary::i64_of;
pub use summary::{ConversationSummary, Insert};

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite://path` (or `sqlite::memory:`).
    Sqlite,
    /// `postgres://...`.
    Postgres,
}

impl Backend {
    /// The backend of a database URL.
    pub fn of(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// The relay's database.
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    url: String,
    /// SQLite has one writer: writes queue here instead of spinning on `SQLITE_BUSY` (the
    /// group-commit thread takes it too).
    writer: Arc<Mutex<()>>,
    /// SQLite files: the write path of posts (see [`group_commit`]).
    group: Option<group_commit::GroupCommit>,
    /// The other write path's view of the chain heads (see [`heads`]).
    heads: heads::Heads,
}

impl core::fmt::Debug for Db {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Db").field("backend", &self.backend).finish_non_exhaustive()
    }
}

/// A write transaction (holding the SQLite writer lock, if any).
pub struct WriteTx<'a> {
    tx: Transaction<'static, sqlx::Any>,
    _guard: Option<MutexGuard<'a, ()>>,
}

impl WriteTx<'_> {
    /// The transaction's connection.
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// Commits.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

/// Migrations, per backend.
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Connects, creating the SQLite file if needed, and runs pending migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of(url)
            .ok_or_else(|| sqlx::Error::Configuration("database URL must be sqlite: or postgres:".into()))?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_owned(),
        };
        let options = AnyPoolOptions::new().max_connections(max_connections).acquire_timeout(Duration::from_secs(10));
        let options = match backend {
            Backend::Sqlite => options.after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL with synchronous=NORMAL survives a killed process (not a power cut
                    // before a checkpoint); secure_delete overwrites deleted rows in the file.
                    for pragma in [
                        "PRAGMA journal_mode=WAL",
                        "PRAGMA synchronous=NORMAL",
                        "PRAGMA busy_timeout=10000",
                        "PRAGMA foreign_keys=ON",
                        "PRAGMA secure_delete=ON",
                    ] {
                        conn.execute(pragma).await?;
                    }
                    Ok(())
                })
            }),
            Backend::Postgres => options,
        };
        let pool = options.connect(&url).await?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        let writer = Arc::new(Mutex::new(()));
        let group = match sqlite_file(&url)? {
            Some(path) => Some(group_commit::GroupCommit::start(&path, Arc::clone(&writer))?),
            None => None,
        };
        Ok(Db { pool, backend, url, writer, group, heads: heads::Heads::default() })
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL it was opened with (for the Postgres listener).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Transactions and posts of the SQLite group-commit writer (`None` without one).
    pub fn group_commit_counts(&self) -> Option<(u64, u64)> {
        self.group.as_ref().map(group_commit::GroupCommit::counts)
    }

    /// The pool, for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction.
    pub async fn write(&self) -> Result<WriteTx<'_>, sqlx::Error> {
        let guard = match self.backend {
            Backend::Sqlite => Some(self.writer.lock().await),
            Backend::Postgres => None,
        };
        let tx = self.pool.begin().await?;
        Ok(WriteTx { tx, _guard: guard })
    }

    /// Closes the pool (checkpointing SQLite's WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The file of a SQLite URL (`None` for Postgres and in-memory databases, which only the pool's
/// connections can reach).
fn sqlite_file(url: &str) -> Result<Option<std::path::PathBuf>, sqlx::Error> {
    if Backend::of(url) != Some(Backend::Sqlite) || url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(None);
    }
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?;
    Ok(Some(options.get_filename().to_path_buf()))
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Reads a column, mapping a decode failure to a sqlx error (never a panic).
pub(crate) fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T, sqlx::Error>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    sqlx::Row::try_get(row, name)
}

/// Parses a value stored by this crate (`FromStr` of a known set).
pub(crate) fn parse_col<T: FromStr>(text: &str) -> Result<T, sqlx::Error> {
    text.parse().map_err(|_| sqlx::Error::Decode("unexpected stored value".into()))
}
