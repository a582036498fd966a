//! SQLite's write path for posts: group commit. One thread owns a connection to the database
//! file and takes the posts waiting for it together, one transaction per batch, each post in a
//! savepoint of its own (a refused or failed post leaves nothing), every post answered only
//! after its batch committed. Posts of one batch see each other's rows (a reply and the next
//! visitor turn of a conversation can be in one batch), and no other writer runs meanwhile: the
//! thread holds the lock the pool's write transactions take.
//!
//! Why: through sqlx every statement is a round trip to the connection's worker thread, and a
//! post takes six of them plus its own commit; here a post is one hand-over to this thread, its
//! statements are prepared once, and a commit (a WAL append) is shared by the whole batch.

use super::chain::{self, Decision, Param};
use super::conversations::{coarse_now, conversation_sql, envelope_at_sql};
use super::rows::{sqlite_error, StoredEnvelope};
use super::summary::{dir_id, i64_of, other, ConversationSummary};
use super::{Insert, PostOutcome};
use crate::error::{ApiError, ApiResult};
use chatseal::{Direction, Inspection, SessionHandle};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, ToSql, TransactionBehavior};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Posts written in one transaction at most.
const MAX_BATCH: usize = 256;
/// Posts waiting for the writer at most (then posters wait to hand theirs over).
const QUEUE: usize = 4096;

struct Job {
    tenant_id: i64,
    bytes: Vec<u8>,
    inspection: Inspection,
    reply: oneshot::Sender<ApiResult<PostOutcome>>,
}

/// The writer thread's queue; the thread ends when this is dropped.
pub(super) struct GroupCommit {
    jobs: mpsc::Sender<Job>,
    counts: Arc<Counts>,
}

/// Transactions written and the posts they held.
#[derive(Default)]
struct Counts {
    batches: AtomicU64,
    posts: AtomicU64,
}

fn db_error(e: &rusqlite::Error) -> ApiError {
    ApiError::from(sqlite_error(e))
}

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Param::Int(v) => ValueRef::Integer(*v),
            Param::OptInt(v) => v.map_or(ValueRef::Null, ValueRef::Integer),
            Param::Text(v) => ValueRef::Text(v.as_bytes()),
            Param::Blob(v) => ValueRef::Blob(v),
            Param::OptBlob(v) => v.map_or(ValueRef::Null, ValueRef::Blob),
        }))
    }
}

/// Opens the writer's connection with the pool's settings (see `Db::connect`), and a page cache
/// that stays valid: no other connection writes while it holds the lock.
fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    for (pragma, value) in [
        ("journal_mode", "WAL"),
        ("synchronous", "NORMAL"),
        ("busy_timeout", "10000"),
        ("foreign_keys", "ON"),
        ("secure_delete", "ON"),
        ("cache_size", "-16384"),
    ] {
        conn.pragma_update(None, pragma, value)?;
    }
    conn.set_prepared_statement_cache_capacity(16);
    Ok(conn)
}

impl GroupCommit {
    /// Starts the writer thread on the database file at `path`, serialised with the pool's
    /// writers by `lock`.
    pub(super) fn start(path: &Path, lock: Arc<Mutex<()>>) -> Result<Self, sqlx::Error> {
        let conn = open(path).map_err(|e| sqlite_error(&e))?;
        let (jobs, queue) = mpsc::channel(QUEUE);
        let counts = Arc::new(Counts::default());
        let c = Arc::clone(&counts);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, queue, &lock, &c))
            .map_err(sqlx::Error::Io)?;
        Ok(GroupCommit { jobs, counts })
    }

    /// Transactions written so far, and the posts they held.
    pub(super) fn counts(&self) -> (u64, u64) {
        (self.counts.batches.load(Ordering::Relaxed), self.counts.posts.load(Ordering::Relaxed))
    }

    /// Stores a post (see `Db::post_envelope`).
    pub(super) async fn post(&self, insert: &Insert<'_>) -> ApiResult<PostOutcome> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            tenant_id: insert.tenant_id,
            bytes: insert.bytes.to_vec(),
            inspection: insert.inspection.clone(),
            reply,
        };
        let gone = || {
            tracing::error!("sqlite writer thread is gone");
            ApiError::internal()
        };
        self.jobs.send(job).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

fn run(mut conn: Connection, mut queue: mpsc::Receiver<Job>, lock: &Mutex<()>, counts: &Counts) {
    while let Some(first) = queue.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let guard = lock.blocking_lock();
        let answers = write_batch(&mut conn, &batch);
        drop(guard);
        counts.batches.fetch_add(1, Ordering::Relaxed);
        counts.posts.fetch_add(batch.len() as u64, Ordering::Relaxed);
        for (job, answer) in batch.into_iter().zip(answers) {
            let _ = job.reply.send(answer); // a poster that left still had its post stored
        }
    }
}

/// One transaction for the batch; the answers in its order.
fn write_batch(conn: &mut Connection, batch: &[Job]) -> Vec<ApiResult<PostOutcome>> {
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return batch.iter().map(|_| Err(db_error(&e))).collect(),
    };
    let mut answers = Vec::with_capacity(batch.len());
    for job in batch {
        let insert = Insert { tenant_id: job.tenant_id, bytes: &job.bytes, inspection: &job.inspection, origin: "" };
        let answer = match tx.savepoint() {
            Ok(mut sp) => {
                let answer = post(&sp, &insert);
                let kept = if answer.is_ok() { sp.commit() } else { sp.rollback() };
                kept.map_err(|e| db_error(&e)).and(answer)
            }
            Err(e) => Err(db_error(&e)),
        };
        answers.push(answer);
    }
    match tx.commit() {
        Ok(()) => answers,
        Err(e) => {
            let failed = db_error(&e);
            answers
                .into_iter()
                .map(|a| if matches!(a, Ok(PostOutcome::Stored(_))) { Err(failed.clone()) } else { a })
                .collect()
        }
    }
}

/// The chain check and the writes of one post, inside the batch's transaction.
fn post(conn: &Connection, insert: &Insert<'_>) -> ApiResult<PostOutcome> {
    let sql_err = |e: rusqlite::Error| db_error(&e);
    let h = &insert.inspection.header;
    let conv = conversation(conn, insert.tenant_id, &h.handle)?;
    let needs = chain::needs(conv.as_ref(), insert);
    let id = conv.as_ref().map_or(0, |c| c.id);
    let same = match needs.same {
        Some(seq) => envelope_at(conn, id, h.direction, seq)?,
        None => None,
    };
    let acked_link = match needs.acked {
        Some(seq) => envelope_at(conn, id, other(h.direction), seq)?.map(|r| r.link),
        None => None,
    };
    let at = coarse_now();
    let conversation_id = match chain::decide(conv, insert, same, acked_link)? {
        Decision::Repeat(row) => return Ok(PostOutcome::Repeated(row)),
        Decision::Create => conn
            .prepare_cached(chain::CREATE_SQL)
            .and_then(|mut s| s.query_row(rusqlite::params_from_iter(chain::create_params(insert, at)), |r| r.get(0)))
            .map_err(sql_err)?,
        Decision::Append(conv) => {
            let moved = conn
                .prepare_cached(chain::append_sql(h.direction))
                .and_then(|mut s| s.execute(rusqlite::params_from_iter(chain::append_params(&conv, insert, at))))
                .map_err(sql_err)?;
            if moved != 1 {
                // Cannot happen while this thread is the only writer; refuse rather than fork.
                return Err(ApiError::conflict("conflict", "concurrent writes to this conversation; retry"));
            }
            conv.id
        }
    };
    let mut row = chain::new_row(insert, conversation_id, at);
    row.id = conn
        .prepare_cached(chain::insert_envelope_sql())
        .and_then(|mut s| s.query_row(rusqlite::params_from_iter(chain::envelope_params(&row)), |r| r.get(0)))
        .map_err(sql_err)?;
    Ok(PostOutcome::Stored(row))
}

fn conversation(conn: &Connection, tenant_id: i64, handle: &SessionHandle) -> ApiResult<Option<ConversationSummary>> {
    let mut stmt = conn.prepare_cached(conversation_sql()).map_err(|e| db_error(&e))?;
    let found = stmt
        .query_row(rusqlite::params![tenant_id, handle.as_bytes().as_slice()], |r| Ok(ConversationSummary::from_row(r)))
        .optional()
        .map_err(|e| db_error(&e))?;
    Ok(found.transpose()?)
}

fn envelope_at(conn: &Connection, conversation_id: i64, d: Direction, seq: u64) -> ApiResult<Option<StoredEnvelope>> {
    let mut stmt = conn.prepare_cached(envelope_at_sql()).map_err(|e| db_error(&e))?;
    let params = rusqlite::params![conversation_id, dir_id(d), i64_of(seq)];
    let found = stmt.query_row(params, |r| Ok(StoredEnvelope::from_row(r))).optional().map_err(|e| db_error(&e))?;
    Ok(found.transpose()?)
}
