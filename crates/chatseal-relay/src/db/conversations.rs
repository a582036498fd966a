//! Conversations and their envelopes: the strict per-direction chain, idempotent re-posts, and
//! reads by cursor. Each direction is appended only at its next sequence number with `prev` equal
//! to the stored link before it; the conversation row holds both chain heads and is advanced by
//! compare-and-swap, so concurrent writers (several relay processes on one Postgres) cannot fork
//! a chain, and a reader's per-direction cursor never skips a turn.

use super::rows::{pii_column, ENVELOPE_COLUMNS};
use super::{col, now, Backend, Cursor, Db, StoredEnvelope};
use crate::error::{ApiError, ApiResult};
use axum::http::StatusCode;
use chatseal::{Direction, Inspection, PiiCategory, SessionHandle};
use sqlx::any::AnyRow;
use sqlx::Row;

/// Postgres channel of the relay's live events.
pub(crate) const NOTIFY_CHANNEL: &str = "chatseal_relay";

/// An envelope to store, already inspected.
#[derive(Debug)]
pub struct Insert<'a> {
    /// Tenant of the posting key.
    pub tenant_id: i64,
    /// The envelope bytes.
    pub bytes: &'a [u8],
    /// What `chatseal::inspect` found in them.
    pub inspection: &'a Inspection,
    /// Origin tag for cross-process notifications (Postgres).
    pub origin: &'a str,
}

/// What a post did.
#[derive(Debug)]
pub enum PostOutcome {
    /// Newly stored.
    Stored(StoredEnvelope),
    /// The same bytes were stored before (a resend): nothing changed.
    Repeated(StoredEnvelope),
}

/// A conversation's state row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationSummary {
    /// Row id.
    pub id: i64,
    /// Session handle.
    pub handle: SessionHandle,
    /// First stored (coarse).
    pub created_at: i64,
    /// Last stored (coarse).
    pub last_at: i64,
    /// Next visitor-turn sequence number (= visitor turns stored).
    pub i2r_next: u64,
    /// Next reply sequence number.
    pub r2i_next: u64,
    /// Whether the visitor closed.
    pub i2r_closed: bool,
    /// Whether the service closed.
    pub r2i_closed: bool,
    /// Highest visitor turn a reply acknowledged (-1: none).
    pub r2i_ack: i64,
    /// Link heads.
    links: [Option<Vec<u8>>; 2],
    /// When it was deleted, if it was.
    pub deleted_at: Option<i64>,
}

impl ConversationSummary {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let handle: Vec<u8> = col(r, "handle")?;
        let handle = SessionHandle::from_bytes(handle.try_into().map_err(|_| sqlx::Error::Decode("handle".into()))?);
        let count = |name| -> Result<u64, sqlx::Error> {
            u64::try_from(col::<i64>(r, name)?).map_err(|_| sqlx::Error::Decode("counter".into()))
        };
        Ok(ConversationSummary {
            id: col(r, "id")?,
            handle,
            created_at: col(r, "created_at")?,
            last_at: col(r, "last_at")?,
            i2r_next: count("i2r_next")?,
            r2i_next: count("r2i_next")?,
            i2r_closed: col::<i64>(r, "i2r_closed")? != 0,
            r2i_closed: col::<i64>(r, "r2i_closed")? != 0,
            r2i_ack: col(r, "r2i_ack")?,
            links: [col(r, "i2r_link")?, col(r, "r2i_link")?],
            deleted_at: col(r, "deleted_at")?,
        })
    }

    /// The cursor just past everything stored.
    pub fn cursor(&self) -> Cursor {
        Cursor { i2r: self.i2r_next, r2i: self.r2i_next }
    }

    fn next(&self, d: Direction) -> u64 {
        self.cursor().next(d)
    }

    fn link(&self, d: Direction) -> Option<&[u8]> {
        self.links.get(dir_id(d) as usize).and_then(|l| l.as_deref())
    }

    fn closed(&self, d: Direction) -> bool {
        match d {
            Direction::InitiatorToResponder => self.i2r_closed,
            Direction::ResponderToInitiator => self.r2i_closed,
        }
    }
}

pub(crate) fn dir_id(d: Direction) -> i64 {
    match d {
        Direction::InitiatorToResponder => 0,
        Direction::ResponderToInitiator => 1,
    }
}

fn other(d: Direction) -> Direction {
    match d {
        Direction::InitiatorToResponder => Direction::ResponderToInitiator,
        Direction::ResponderToInitiator => Direction::InitiatorToResponder,
    }
}

fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX) // counters are ≤ 2^53 − 1
}

/// The server arrival time as stored: rounded down to the minute.
pub(crate) fn coarse_now() -> i64 {
    let t = now();
    t - t.rem_euclid(60)
}

/// What the chain check decided.
enum Decision {
    Create,
    Append(ConversationSummary),
    Repeat(StoredEnvelope),
}

const CONVERSATION_COLUMNS: &str = "id, handle, created_at, last_at, i2r_next, i2r_link, i2r_closed, r2i_next, \
    r2i_link, r2i_closed, r2i_ack, deleted_at";

impl Db {
    /// A conversation of a tenant by handle (deleted ones included).
    pub async fn conversation(
        &self,
        tenant_id: i64,
        handle: &SessionHandle,
    ) -> Result<Option<ConversationSummary>, sqlx::Error> {
        let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 AND handle = $2");
        let row = sqlx::query(&sql).bind(tenant_id).bind(handle.as_bytes().to_vec()).fetch_optional(&self.pool).await?;
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

    /// Stores an inspected envelope after the chain checks (see the module docs).
    pub async fn post_envelope(&self, insert: &Insert<'_>) -> ApiResult<PostOutcome> {
        let handle = insert.inspection.header.handle;
        for _ in 0..4 {
            let conv = self.conversation(insert.tenant_id, &handle).await?;
            let done = match self.decide(conv, insert).await? {
                Decision::Repeat(row) => return Ok(PostOutcome::Repeated(row)),
                Decision::Create => self.create(insert).await?,
                Decision::Append(conv) => self.append(&conv, insert).await?,
            };
            if let Some(row) = done {
                return Ok(PostOutcome::Stored(row));
            }
            // Another writer moved the chain between our read and our write: decide again.
        }
        Err(ApiError::conflict("conflict", "concurrent writes to this conversation; retry"))
    }

    async fn decide(&self, conv: Option<ConversationSummary>, insert: &Insert<'_>) -> ApiResult<Decision> {
        let h = &insert.inspection.header;
        let is_hello = insert.inspection.hello.is_some();
        let Some(conv) = conv else {
            return if is_hello {
                Ok(Decision::Create)
            } else {
                Err(ApiError::new(StatusCode::NOT_FOUND, "unknown_session", "no conversation with this handle"))
            };
        };
        if conv.deleted_at.is_some() {
            return Err(ApiError::new(StatusCode::GONE, "deleted", "this conversation was deleted"));
        }
        let next = conv.next(h.direction);
        if h.seq < next {
            let stored = self.envelope_at(conv.id, h.direction, h.seq).await?;
            return match stored {
                Some(row) if row.body == insert.bytes => Ok(Decision::Repeat(row)),
                _ if is_hello => Err(ApiError::conflict("session_exists", "a conversation with this handle exists")),
                _ => Err(ApiError::conflict("duplicate", "another envelope has this sequence number")),
            };
        }
        if h.seq > next {
            return Err(ApiError::conflict("gap", "turns before this one are missing"));
        }
        if conv.closed(h.direction) {
            return Err(ApiError::conflict("closed", "this direction was closed"));
        }
        if h.seq > 0 && conv.link(h.direction) != Some(&h.prev[..]) {
            return Err(ApiError::conflict("broken_chain", "prev does not match the stored turn before it"));
        }
        if let Some(ack) = h.ack {
            let d = other(h.direction);
            let known = if ack.seq.saturating_add(1) == conv.next(d) {
                conv.link(d).map(<[u8]>::to_vec)
            } else if ack.seq < conv.next(d) {
                self.envelope_at(conv.id, d, ack.seq).await?.map(|r| r.link)
            } else {
                None
            };
            if known.as_deref() != Some(&ack.link[..]) {
                return Err(ApiError::conflict("ack_mismatch", "acknowledges a turn the relay does not hold"));
            }
        }
        Ok(Decision::Append(conv))
    }

    /// The stored envelope at (direction, seq) of a conversation.
    pub async fn envelope_at(
        &self,
        conversation_id: i64,
        d: Direction,
        seq: u64,
    ) -> Result<Option<StoredEnvelope>, sqlx::Error> {
        let sql = format!(
            "SELECT {ENVELOPE_COLUMNS} FROM envelopes e WHERE e.conversation_id = $1 AND e.direction = $2 AND e.seq = $3"
        );
        let row = sqlx::query(&sql)
            .bind(conversation_id)
            .bind(dir_id(d))
            .bind(i64_of(seq))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(StoredEnvelope::from_row).transpose()
    }

    /// Creates the conversation of a hello and stores it; `None` if another writer created it.
    async fn create(&self, insert: &Insert<'_>) -> Result<Option<StoredEnvelope>, sqlx::Error> {
        let at = coarse_now();
        let mut tx = self.write().await?;
        let created = sqlx::query(
            "INSERT INTO conversations (tenant_id, handle, created_at, last_at, i2r_next, i2r_link, i2r_closed) \
             VALUES ($1, $2, $3, $3, 1, $4, $5) RETURNING id",
        )
        .bind(insert.tenant_id)
        .bind(insert.inspection.header.handle.as_bytes().to_vec())
        .bind(at)
        .bind(insert.inspection.link.to_vec())
        .bind(i64::from(insert.inspection.header.close))
        .fetch_one(tx.conn())
        .await;
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
        let h = &insert.inspection.header;
        let at = coarse_now();
        let r2i_ack = match (h.direction, h.ack) {
            (Direction::ResponderToInitiator, Some(ack)) => conv.r2i_ack.max(i64_of(ack.seq)),
            _ => conv.r2i_ack,
        };
        let d = h.direction.name();
        let sql = format!(
            "UPDATE conversations SET {d}_next = $1, {d}_link = $2, {d}_closed = $3, r2i_ack = $4, last_at = $5 \
             WHERE id = $6 AND {d}_next = $7 AND deleted_at IS NULL"
        );
        let mut tx = self.write().await?;
        let moved = sqlx::query(&sql)
            .bind(i64_of(h.seq + 1))
            .bind(insert.inspection.link.to_vec())
            .bind(i64::from(h.close))
            .bind(r2i_ack)
            .bind(at)
            .bind(conv.id)
            .bind(i64_of(h.seq))
            .execute(tx.conn())
            .await?
            .rows_affected();
        if moved == 0 {
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
        let i = insert.inspection;
        let h = &i.header;
        let mut row = StoredEnvelope {
            id: 0,
            conversation_id,
            direction: h.direction,
            seq: h.seq,
            epoch: u64::from(h.epoch),
            role: i.metadata.role.name().to_owned(),
            time: i.metadata.time,
            time_granularity: u64::from(i.metadata.time_granularity),
            length_bucket: i.padded_len as u64,
            subject: i.metadata.subject.as_ref().map(|s| s.as_bytes().to_vec()),
            pii: PiiCategory::ALL.map(|c| u64::from(i.metadata.pii.get(c))),
            flags: i
                .metadata
                .labels()
                .iter()
                .filter(|l| l.key() == "mod.flag")
                .flat_map(|l| l.value().split(','))
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect(),
            labels: i.metadata.labels().iter().map(|l| (l.key().to_owned(), l.value().to_owned())).collect(),
            link: i.link.to_vec(),
            ack_seq: h.ack.map(|a| a.seq),
            close: h.close,
            stream_start: h.stream.map(|s| s.start),
            stream_end: h.stream.is_some_and(|s| s.end),
            stored_at: at,
            body: insert.bytes.to_vec(),
        };
        let pii_cols: Vec<&str> = PiiCategory::ALL.into_iter().map(pii_column).collect();
        let sql = format!(
            "INSERT INTO envelopes (conversation_id, direction, seq, epoch, role, time, time_granularity, length_bucket, \
             subject, {}, flags, labels, link, ack_seq, is_close, stream_start, stream_end, stored_at, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
             $22, $23, $24, $25) RETURNING id",
            pii_cols.join(", ")
        );
        let flags = if row.flags.is_empty() { String::new() } else { format!(",{},", row.flags.join(",")) };
        let labels: Vec<String> = row.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut q = sqlx::query(&sql)
            .bind(conversation_id)
            .bind(dir_id(h.direction))
            .bind(i64_of(h.seq))
            .bind(i64::from(h.epoch))
            .bind(row.role.clone())
            .bind(i64_of(row.time))
            .bind(i64_of(row.time_granularity))
            .bind(i64_of(row.length_bucket))
            .bind(row.subject.clone());
        for n in row.pii {
            q = q.bind(i64_of(n));
        }
        let inserted = q
            .bind(flags)
            .bind(labels.join("\n"))
            .bind(row.link.clone())
            .bind(h.ack.map(|a| i64_of(a.seq)))
            .bind(i64::from(h.close))
            .bind(h.stream.map(|s| i64_of(s.start)))
            .bind(i64::from(row.stream_end))
            .bind(at)
            .bind(row.body.clone())
            .fetch_one(tx.conn())
            .await?;
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
