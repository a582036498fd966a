//! The chain check of a post and the rows it writes, without I/O, shared by both write paths
//! (SQLite's group commit and the sqlx path of Postgres): given the conversation row and what
//! the check needs read beside it, whether the envelope creates the conversation, is appended,
//! is a resend, or is refused; and the parameters of the statements that store it.

use super::rows::{pii_column, StoredEnvelope};
use super::summary::{dir_id, i64_of, other, ConversationSummary, Insert};
use crate::error::{ApiError, ApiResult};
use axum::http::StatusCode;
use chatseal::{Direction, PiiCategory};

/// What the chain check decided.
pub(super) enum Decision {
    /// A hello for a new conversation.
    Create,
    /// The next turn of its direction.
    Append(ConversationSummary),
    /// A byte-identical resend of this stored row.
    Repeat(StoredEnvelope),
}

/// What the check needs read beside the conversation row: the stored envelope at the post's
/// own number (a resend or a duplicate), the stored turn its acknowledgement names (when it is
/// not the head of the other direction).
#[derive(Default)]
pub(super) struct Needs {
    /// Sequence number in the post's direction.
    pub same: Option<u64>,
    /// Sequence number in the other direction.
    pub acked: Option<u64>,
}

pub(super) fn needs(conv: Option<&ConversationSummary>, insert: &Insert<'_>) -> Needs {
    let Some(conv) = conv.filter(|c| c.deleted_at.is_none()) else { return Needs::default() };
    let h = &insert.inspection.header;
    if h.seq < conv.next(h.direction) {
        return Needs { same: Some(h.seq), acked: None };
    }
    let acked = h.ack.map(|a| a.seq).filter(|&s| {
        let next = conv.next(other(h.direction));
        s.saturating_add(1) != next && s < next
    });
    Needs { same: None, acked }
}

/// Decides with the conversation row (`None`: no such conversation in the tenant), the stored
/// envelope at the post's own number and the link of the acknowledged turn, as [`needs`] asked.
pub(super) fn decide(
    conv: Option<ConversationSummary>,
    insert: &Insert<'_>,
    same: Option<StoredEnvelope>,
    acked_link: Option<Vec<u8>>,
) -> ApiResult<Decision> {
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
        return match same {
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
        let known =
            if ack.seq.saturating_add(1) == conv.next(d) { conv.link(d).map(<[u8]>::to_vec) } else { acked_link };
        if known.as_deref() != Some(&ack.link[..]) {
            return Err(ApiError::conflict("ack_mismatch", "acknowledges a turn the relay does not hold"));
        }
    }
    Ok(Decision::Append(conv))
}

/// The row an envelope is stored as (id 0 until inserted).
pub(super) fn new_row(insert: &Insert<'_>, conversation_id: i64, at: i64) -> StoredEnvelope {
    let i = insert.inspection;
    let h = &i.header;
    StoredEnvelope {
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
    }
}

/// A statement parameter, in the order of the statement's `$n`.
pub(super) enum Param<'a> {
    /// An integer.
    Int(i64),
    /// A nullable integer.
    OptInt(Option<i64>),
    /// Text.
    Text(String),
    /// A blob.
    Blob(&'a [u8]),
    /// A nullable blob.
    OptBlob(Option<&'a [u8]>),
}

/// Columns of `envelopes` in the order of [`envelope_params`].
fn envelope_columns() -> String {
    let pii_cols: Vec<&str> = PiiCategory::ALL.into_iter().map(pii_column).collect();
    format!(
        "conversation_id, direction, seq, epoch, role, time, time_granularity, length_bucket, subject, {}, flags, \
         labels, link, ack_seq, is_close, stream_start, stream_end, stored_at, body",
        pii_cols.join(", ")
    )
}

/// `$from, $from + 1, ...`: `n` placeholders.
fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Parameters of [`envelope_params`].
const ENVELOPE_PARAMS: usize = 25;

/// `INSERT INTO envelopes ... RETURNING id` with [`envelope_params`].
pub(super) fn insert_envelope_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "INSERT INTO envelopes ({}) VALUES ({}) RETURNING id",
            envelope_columns(),
            placeholders(1, ENVELOPE_PARAMS)
        )
    })
}

/// Postgres: a post's writes as one statement (data-modifying CTEs, atomic without a
/// transaction of its own, one round trip instead of five): `head` moves the chain head (or
/// creates the conversation) with its `head_params` parameters and returns the conversation id;
/// the envelope row, with [`envelope_params`] but the first, is inserted only if it did; then
/// the insert is announced (channel and payload prefix as the last two parameters). No row back
/// means the head moved meanwhile (or another writer created the conversation).
pub(super) fn postgres_post_sql(head: &str, head_params: usize) -> String {
    let columns = envelope_columns();
    let values = placeholders(head_params + 1, ENVELOPE_PARAMS - 1);
    let channel = head_params + ENVELOPE_PARAMS;
    format!(
        "WITH head AS ({head} RETURNING id), \
         stored AS (INSERT INTO envelopes ({columns}) SELECT head.id, {values} FROM head RETURNING id, conversation_id) \
         SELECT stored.id, stored.conversation_id, pg_notify(${channel}, ${} || stored.id::text)::text AS notified FROM stored",
        channel + 1
    )
}

/// The parameters of [`insert_envelope_sql`] for a row.
pub(super) fn envelope_params(row: &StoredEnvelope) -> Vec<Param<'_>> {
    let flags = if row.flags.is_empty() { String::new() } else { format!(",{},", row.flags.join(",")) };
    let labels: Vec<String> = row.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut p = vec![
        Param::Int(row.conversation_id),
        Param::Int(dir_id(row.direction)),
        Param::Int(i64_of(row.seq)),
        Param::Int(i64_of(row.epoch)),
        Param::Text(row.role.clone()),
        Param::Int(i64_of(row.time)),
        Param::Int(i64_of(row.time_granularity)),
        Param::Int(i64_of(row.length_bucket)),
        Param::OptBlob(row.subject.as_deref()),
    ];
    p.extend(row.pii.iter().map(|&n| Param::Int(i64_of(n))));
    p.extend([
        Param::Text(flags),
        Param::Text(labels.join("\n")),
        Param::Blob(&row.link),
        Param::OptInt(row.ack_seq.map(i64_of)),
        Param::Int(i64::from(row.close)),
        Param::OptInt(row.stream_start.map(i64_of)),
        Param::Int(i64::from(row.stream_end)),
        Param::Int(row.stored_at),
        Param::Blob(&row.body),
    ]);
    p
}

/// `INSERT INTO conversations ... RETURNING id` for a hello, with [`create_params`].
pub(super) const CREATE_SQL: &str = "INSERT INTO conversations (tenant_id, handle, created_at, last_at, i2r_next, \
    i2r_link, i2r_closed) VALUES ($1, $2, $3, $4, 1, $5, $6) RETURNING id";

/// [`CREATE_SQL`] as a [`postgres_post_sql`] head: nothing when another writer created it.
pub(super) const POSTGRES_CREATE_HEAD: &str = "INSERT INTO conversations (tenant_id, handle, created_at, last_at, \
    i2r_next, i2r_link, i2r_closed) VALUES ($1, $2, $3, $4, 1, $5, $6) ON CONFLICT (tenant_id, handle) DO NOTHING";

pub(super) fn create_params<'a>(insert: &'a Insert<'_>, at: i64) -> Vec<Param<'a>> {
    vec![
        Param::Int(insert.tenant_id),
        Param::Blob(insert.inspection.header.handle.as_bytes()),
        Param::Int(at),
        Param::Int(at),
        Param::Blob(&insert.inspection.link),
        Param::Int(i64::from(insert.inspection.header.close)),
    ]
}

/// The compare-and-swap that advances a direction's head (one row changed, or none when the
/// head moved), with [`append_params`]. Only replies move `r2i_ack`: a visitor turn must not
/// write back a value it read before a concurrent reply advanced it.
pub(super) fn append_sql(d: Direction) -> &'static str {
    match d {
        Direction::InitiatorToResponder => {
            "UPDATE conversations SET i2r_next = $1, i2r_link = $2, i2r_closed = $3, last_at = $4 \
             WHERE id = $5 AND i2r_next = $6 AND deleted_at IS NULL"
        }
        Direction::ResponderToInitiator => {
            "UPDATE conversations SET r2i_next = $1, r2i_link = $2, r2i_closed = $3, last_at = $4, r2i_ack = $5 \
             WHERE id = $6 AND r2i_next = $7 AND deleted_at IS NULL"
        }
    }
}

pub(super) fn append_params<'a>(conv: &ConversationSummary, insert: &'a Insert<'_>, at: i64) -> Vec<Param<'a>> {
    let h = &insert.inspection.header;
    let mut p = vec![
        Param::Int(i64_of(h.seq.saturating_add(1))),
        Param::Blob(&insert.inspection.link),
        Param::Int(i64::from(h.close)),
        Param::Int(at),
    ];
    if h.direction == Direction::ResponderToInitiator {
        let acked = h.ack.map_or(conv.r2i_ack, |a| conv.r2i_ack.max(i64_of(a.seq)));
        p.push(Param::Int(acked));
    }
    p.extend([Param::Int(conv.id), Param::Int(i64_of(h.seq))]);
    p
}
