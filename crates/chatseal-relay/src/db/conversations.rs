//! Conversations and their envelopes: the strict per-direction chain, idempotent re-posts, and
//! reads by cursor. Each direction is appended only at its next sequence number with `prev` equal
//! to the stored link before it; the conversation row holds both chain heads and is advanced by
//! compare-and-swap, so concurrent writers (several relay processes on one Postgres) cannot fork
//! a chain, and a reader's per-direction cursor never skips a turn.

use super::chain::{self, Decision, Param};
use super::rows::ENVELOPE_COLUMNS;
use super::summary::{dir_id, i64_of, other, ConversationSummary, Insert};
use super::{col, now, Backend, Cursor, Db, StoredEnvelope};
use crate::error::{ApiError, ApiResult};
use chatseal::{Direction, SessionHandle};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};

/// Binds [`chain`]'s parameters in order.
fn bind<'q>(mut q: Query<'q, Any, AnyArguments<'q>>, params: Vec<Param<'q>>) -> Query<'q, Any, AnyArguments<'q>> {
    for p in params {
        q = match p {
            Param::Int(v) => q.bind(v),
            Param::OptInt(v) => q.bind(v),
            Param::Text(v) => q.bind(v),
            Param::Blob(v) => q.bind(v),
            Param::OptBlob(v) => q.bind(v),
        };
    }
    q
}

/// Postgres channel of the relay's live events.
pub(crate) const NOTIFY_CHANNEL: &str = "chatseal_relay";

/// What a post did.
#[derive(Debug)]
pub enum PostOutcome {
    /// Newly stored.
    Stored(StoredEnvelope),
    /// The same bytes were stored before (a resend): nothing changed.
    Repeated(StoredEnvelope),
}

/// The server arrival time as stored: rounded down to the minute.
pub(crate) fn coarse_now() -> i64 {
    let t = now();
    t - t.rem_euclid(60)
}

const CONVERSATION_COLUMNS: &str = "id, handle, created_at, last_at, i2r_next, i2r_link, i2r_closed, r2i_next, \
    r2i_link, r2i_closed, r2i_ack, deleted_at";

/// A tenant's conversation by handle (`$1` tenant, `$2` handle).
pub(super) fn conversation_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 AND handle = $2"))
}

/// The envelope at (`$1` conversation, `$2` direction, `$3` seq).
pub(super) fn envelope_at_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "SELECT {ENVELOPE_COLUMNS} FROM envelopes e WHERE e.conversation_id = $1 AND e.direction = $2 AND e.seq = $3"
        )
    })
}

impl Db {
    /// A conversation of a tenant by handle (deleted ones included).
    pub async fn conversation(
        &self,
        tenant_id: i64,
        handle: &SessionHandle,
    ) -> Result<Option<ConversationSummary>, sqlx::Error> {
        let row = sqlx::query(conversation_sql())
            .bind(tenant_id)
            .bind(handle.as_bytes().to_vec())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(ConversationSummary::from_row).transpose()
    }

    /// A tenant's conversations, newest activity first.
    pub async fn conversations(
        &self,
        tenant_id: i64,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ConversationSummary>, sqlx::Error> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 ORDER BY last_at DESC, id DESC LIMIT $2 OFFSET $3"
        );
        let rows = sqlx::query(&sql).bind(tenant_id).bind(limit).bind(offset).fetch_all(&self.pool).await?;
        rows.iter().map(ConversationSummary::from_row).collect()
    }

    /// Stores an inspected envelope after the chain checks (see the module docs): on a SQLite
    /// file through the group-commit writer, otherwise through the pool.
    pub async fn post_envelope(&self, insert: &Insert<'_>) -> ApiResult<PostOutcome> {
        if let Some(group) = &self.group {
            return group.post(insert).await;
        }
        let (tenant_id, handle) = (insert.tenant_id, insert.inspection.header.handle);
        let mut cached = self.heads.get(tenant_id, &handle);
        for _ in 0..4 {
            let from_cache = cached.is_some();
            let conv = match cached.take() {
                Some(conv) => Some(conv),
                None => self.conversation(tenant_id, &handle).await?,
            };
            let needs = chain::needs(conv.as_ref(), insert);
            let (id, d) = (conv.as_ref().map_or(0, |c| c.id), insert.inspection.header.direction);
            let same = match needs.same {
                Some(seq) => self.envelope_at(id, d, seq).await?,
                None => None,
            };
            let acked_link = match needs.acked {
                Some(seq) => self.envelope_at(id, other(d), seq).await?.map(|r| r.link),
                None => None,
            };
            let decision = match chain::decide(conv, insert, same, acked_link) {
                Ok(append @ Decision::Append(_)) => append,
                _ if from_cache => continue, // decided again on a fresh read
                other => other?,
            };
            let (done, base) = match decision {
                Decision::Repeat(row) => return Ok(PostOutcome::Repeated(row)),
                Decision::Create if self.backend == Backend::Postgres => {
                    let at = coarse_now();
                    let head = chain::create_params(insert, at);
                    (self.post_postgres(chain::POSTGRES_CREATE_HEAD, head, insert, at).await?, None)
                }
                Decision::Append(conv) if self.backend == Backend::Postgres => {
                    let at = coarse_now();
                    let head = chain::append_params(&conv, insert, at);
                    (self.post_postgres(chain::append_sql(d), head, insert, at).await?, Some(conv))
                }
                Decision::Create => (self.create(insert).await?, None),
                Decision::Append(conv) => (self.append(&conv, insert).await?, Some(conv)),
            };
            match done {
                Some(row) => {
                    self.heads.put(tenant_id, ConversationSummary::after(base.as_ref(), insert, &row));
                    return Ok(PostOutcome::Stored(row));
                }
                // Another writer moved the chain between our read and our write: decide again.
                None => self.heads.forget(tenant_id, &handle),
            }
        }
        Err(ApiError::conflict("conflict", "concurrent writes to this conversation; retry"))
    }

    /// The stored envelope at (direction, seq) of a conversation.
    pub async fn envelope_at(
        &self,
        conversation_id: i64,
        d: Direction,
        seq: u64,
    ) -> Result<Option<StoredEnvelope>, sqlx::Error> {
        let row = sqlx::query(envelope_at_sql())
            .bind(conversation_id)
            .bind(dir_id(d))
            .bind(i64_of(seq))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(StoredEnvelope::from_row).transpose()
    }

    /// Postgres: moves the head (or creates the conversation) and stores the envelope in one
    /// statement; `None` if another writer got there first.
    async fn post_postgres(
        &self,
        head: &str,
        head_params: Vec<Param<'_>>,
        insert: &Insert<'_>,
        at: i64,
    ) -> Result<Option<StoredEnvelope>, sqlx::Error> {
        let sql = chain::postgres_post_sql(head, head_params.len());
        let mut row = chain::new_row(insert, 0, at);
        let mut params = head_params;
        params.extend(chain::envelope_params(&row).into_iter().skip(1)); // the id comes from `head`
        params.push(Param::Text(NOTIFY_CHANNEL.to_owned()));
        params.push(Param::Text(format!("{}:e:{}:", insert.origin, insert.tenant_id)));
        let Some(stored) = bind(sqlx::query(&sql), params).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        row.id = stored.try_get("id")?;
        row.conversation_id = stored.try_get("conversation_id")?;
        Ok(Some(row))
    }

    /// Creates the conversation of a hello and stores it; `None` if another writer created it.
    async fn create(&self, insert: &Insert<'_>) -> Result<Option<StoredEnvelope>, sqlx::Error> {
        let at = coarse_now();
        let mut tx = self.write().await?;
        let created = bind(sqlx::query(chain::CREATE_SQL), chain::create_params(insert, at)).fetch_one(tx.conn()).await;
        let conversation_id: i64 = match created {
            Ok(row) => col(&row, "id")?,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(None),
            Err(e) => return Err(e),
        };
        let row = self.insert_envelope(&mut tx, conversation_id, insert, at).await?;
        tx.commit().await?;
        Ok(Some(row))
    }

    /// Appends at the head of a direction; `None` if the head moved.
    async fn append(
        &self,
        conv: &ConversationSummary,
        insert: &Insert<'_>,
    ) -> Result<Option<StoredEnvelope>, sqlx::Error> {
        let at = coarse_now();
        let mut tx = self.write().await?;
        let sql = chain::append_sql(insert.inspection.header.direction);
        let moved = bind(sqlx::query(sql), chain::append_params(conv, insert, at)).execute(tx.conn()).await?;
        if moved.rows_affected() == 0 {
            return Ok(None);
        }
        let row = self.insert_envelope(&mut tx, conv.id, insert, at).await?;
        tx.commit().await?;
        Ok(Some(row))
    }

    async fn insert_envelope(
        &self,
        tx: &mut super::WriteTx<'_>,
        conversation_id: i64,
        insert: &Insert<'_>,
        at: i64,
    ) -> Result<StoredEnvelope, sqlx::Error> {
        let mut row = chain::new_row(insert, conversation_id, at);
        let inserted =
            bind(sqlx::query(chain::insert_envelope_sql()), chain::envelope_params(&row)).fetch_one(tx.conn()).await?;
        row.id = inserted.try_get("id")?;
        if self.backend == Backend::Postgres {
            let payload = format!("{}:e:{}:{}", insert.origin, insert.tenant_id, row.id);
            sqlx::query("SELECT pg_notify($1, $2)").bind(NOTIFY_CHANNEL).bind(payload).execute(tx.conn()).await?;
        }
        Ok(row)
    }

    /// Envelopes of a conversation after `since`, in arrival order (each direction in sequence).
    pub async fn envelopes_since(
        &self,
        conversation_id: i64,
        since: Cursor,
        limit: i64,
    ) -> Result<Vec<StoredEnvelope>, sqlx::Error> {
        let sql = format!(
            "SELECT {ENVELOPE_COLUMNS} FROM envelopes e WHERE e.conversation_id = $1 \
             AND ((e.direction = 0 AND e.seq >= $2) OR (e.direction = 1 AND e.seq >= $3)) ORDER BY e.id LIMIT $4"
        );
        let rows = sqlx::query(&sql)
            .bind(conversation_id)
            .bind(i64_of(since.i2r))
            .bind(i64_of(since.r2i))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(StoredEnvelope::from_row).collect()
    }

    /// One envelope by row id with its tenant and handle (for cross-process notifications).
    pub async fn envelope_by_id(&self, id: i64) -> Result<Option<(i64, SessionHandle, StoredEnvelope)>, sqlx::Error> {
        let sql = format!(
            "SELECT c.tenant_id, c.handle, {ENVELOPE_COLUMNS} FROM envelopes e JOIN conversations c ON c.id = e.conversation_id \
             WHERE e.id = $1"
        );
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| Ok((col(&r, "tenant_id")?, handle_of(&r)?, StoredEnvelope::from_row(&r)?))).transpose()
    }

    /// Visitor turns no reply has acknowledged yet, in live conversations of a tenant: what the
    /// service end still has to answer (sent again to it on every connect).
    pub async fn unanswered(
        &self,
        tenant_id: i64,
        limit: i64,
    ) -> Result<Vec<(SessionHandle, StoredEnvelope)>, sqlx::Error> {
        let sql = format!(
            "SELECT c.handle, {ENVELOPE_COLUMNS} FROM conversations c JOIN envelopes e ON e.conversation_id = c.id \
             WHERE c.tenant_id = $1 AND c.deleted_at IS NULL AND c.i2r_next - 1 > c.r2i_ack AND c.r2i_closed = 0 \
             AND e.direction = 0 AND e.seq > c.r2i_ack ORDER BY e.id LIMIT $2"
        );
        let rows = sqlx::query(&sql).bind(tenant_id).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((handle_of(r)?, StoredEnvelope::from_row(r)?))).collect()
    }
}

pub(crate) fn handle_of(r: &AnyRow) -> Result<SessionHandle, sqlx::Error> {
    let bytes: Vec<u8> = col(r, "handle")?;
    Ok(SessionHandle::from_bytes(bytes.try_into().map_err(|_| sqlx::Error::Decode("handle".into()))?))
}
