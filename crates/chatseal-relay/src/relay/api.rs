//! HTTP handlers: posting envelopes, reading conversations, deletion, audits, health, metrics.

use super::{hub::Event, AppState, Caller};
use crate::db::{Cursor, Insert, PostOutcome, Scope, StoredEnvelope, Tombstone};
use crate::error::{ApiError, ApiResult};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chatseal::SessionHandle;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

/// Scopes that may read a conversation (the widget by holding its handle).
const READERS: &[Scope] = &[Scope::Widget, Scope::Service, Scope::Moderator];
/// Scopes that may list, export and see tombstones.
const STAFF: &[Scope] = &[Scope::Service, Scope::Moderator];

pub(super) fn parse_handle(text: &str) -> ApiResult<SessionHandle> {
    SessionHandle::from_hex(text).map_err(|_| ApiError::bad_request("session handle must be 32 hex digits"))
}

/// The envelope bytes of a post: a binary body, or JSON `{"envelope": "<base64url>"}`.
fn envelope_bytes(headers: &HeaderMap, body: Bytes, max: usize) -> ApiResult<Vec<u8>> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let bytes = if ct.starts_with("application/json") {
        #[derive(Deserialize)]
        struct Body {
            envelope: String,
        }
        let parsed: Body = serde_json::from_slice(&body)
            .map_err(|_| ApiError::bad_request("expected {\"envelope\": \"<base64url>\"}"))?;
        if parsed.envelope.len() > max / 3 * 4 + 4 {
            return Err(ApiError::too_large());
        }
        chatseal::base64url_decode(&parsed.envelope).map_err(|_| ApiError::bad_request("envelope is not base64url"))?
    } else if ct.is_empty() || ct.starts_with("application/octet-stream") {
        body.to_vec()
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "bad_request",
            "use application/octet-stream or application/json",
        ));
    };
    if bytes.len() > max {
        return Err(ApiError::too_large());
    }
    Ok(bytes)
}

/// `POST /v1/envelopes`.
pub(super) async fn post_envelope(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let refuse = |e: ApiError| {
        state.metrics.refused.get_or_create(&super::metrics::label("code", e.code)).inc();
        e
    };
    let body = body.map_err(|e| {
        refuse(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large()
        } else {
            ApiError::bad_request("unreadable body")
        })
    })?;
    let bytes = envelope_bytes(&headers, body, state.config.max_envelope).map_err(refuse)?;
    let inspection = chatseal::inspect(&bytes).map_err(|e| refuse(e.into()))?;
    let direction = inspection.header.direction;
    let allowed = match caller.0.scope {
        Scope::Widget => direction == chatseal::Direction::InitiatorToResponder,
        Scope::Service => direction == chatseal::Direction::ResponderToInitiator,
        Scope::Moderator => false,
    };
    if !allowed {
        return Err(refuse(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_direction",
            "this key may not post in this direction",
        )));
    }
    // Stored and announced in a task of its own: a client that goes away mid-request (a killed
    // service end, a closed tab) drops this handler, and a row committed but never announced
    // would reach live subscribers only when they reconnect.
    let tenant_id = caller.tenant();
    let task = {
        let state = state.clone();
        tokio::spawn(async move { store_and_announce(&state, tenant_id, &bytes, &inspection).await })
    };
    let (stored, body) = task.await.map_err(|_| ApiError::internal())?.map_err(refuse)?;
    let status = if stored { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(body)).into_response())
}

/// Stores an envelope and tells the live subscribers; whether it was new, and the answer body.
///
/// A byte-identical resend is announced again too: it comes from a client that did not see
/// the first answer, and subscribers skip what they have (by sequence number), so one that
/// missed the first announcement catches up.
async fn store_and_announce(
    state: &AppState,
    tenant_id: i64,
    bytes: &[u8],
    inspection: &chatseal::Inspection,
) -> ApiResult<(bool, Value)> {
    let insert = Insert { tenant_id, bytes, inspection, origin: &state.origin };
    let handle = inspection.header.handle;
    let direction = inspection.header.direction;
    let (stored, row) = match state.db.post_envelope(&insert).await? {
        PostOutcome::Stored(row) => {
            state.metrics.stored.get_or_create(&super::metrics::label("direction", direction.name())).inc();
            tracing::debug!(handle = %handle, direction = direction.name(), seq = row.seq, "stored");
            (true, row)
        }
        PostOutcome::Repeated(row) => {
            state.metrics.repeated.inc();
            (false, row)
        }
    };
    let body = posted(&handle, &row, stored);
    state.hub.publish(Event::Envelope { tenant_id, handle, row });
    Ok((stored, body))
}

fn posted(handle: &SessionHandle, row: &StoredEnvelope, stored: bool) -> Value {
    json!({
        "stored": stored,
        "handle": handle.to_hex(),
        "direction": row.direction.name(),
        "seq": row.seq,
        "link": chatseal::hex_encode(&row.link),
    })
}

/// Query of the conversation reads.
#[derive(Deserialize)]
pub(super) struct SinceQuery {
    pub(super) since: Option<String>,
    pub(super) limit: Option<i64>,
}

pub(super) fn parse_cursor(since: Option<&str>) -> ApiResult<Cursor> {
    since.map_or(Ok(Cursor::default()), |s| s.parse().map_err(|()| ApiError::bad_request("cursor must be <i2r>.<r2i>")))
}

/// The conversation of a tenant, or 404 (the same 404 whether it never existed or belongs to
/// another tenant).
pub(super) async fn find(state: &AppState, caller: &Caller, handle: &str) -> ApiResult<crate::db::ConversationSummary> {
    let handle = parse_handle(handle)?;
    state
        .db
        .conversation(caller.tenant(), &handle)
        .await?
        .ok_or(ApiError::not_found("no conversation with this handle"))
}

fn summary_json(c: &crate::db::ConversationSummary) -> Value {
    json!({
        "handle": c.handle.to_hex(),
        "created_at": c.created_at,
        "last_at": c.last_at,
        "turns": { "i2r": c.i2r_next, "r2i": c.r2i_next },
        "closed": { "i2r": c.i2r_closed, "r2i": c.r2i_closed },
        "cursor": c.cursor().to_string(),
        "deleted_at": c.deleted_at,
    })
}

/// `GET /v1/conversations/{handle}`.
pub(super) async fn conversation(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(READERS, "this key may not read conversations")?;
    Ok(Json(summary_json(&find(&state, &caller, &handle).await?)))
}

/// `GET /v1/conversations?limit=&offset=`.
pub(super) async fn list_conversations(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Value>> {
    caller.require(STAFF, "widget keys cannot list conversations")?;
    let list = state
        .db
        .conversations(caller.tenant(), q.limit.unwrap_or(100).clamp(1, 1000), q.offset.unwrap_or(0).max(0))
        .await?;
    state
        .db
        .audit(caller.tenant(), caller.key_id(), "read", "conversations", &format!("listed={}", list.len()))
        .await?;
    Ok(Json(json!({ "conversations": list.iter().map(summary_json).collect::<Vec<_>>() })))
}

/// Paging query.
#[derive(Deserialize)]
pub(super) struct PageQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `GET /v1/conversations/{handle}/envelopes?since=<cursor>&limit=`: the stored rows (envelope
/// bytes and metadata columns), what the demo shows as "what the server stored".
pub(super) async fn envelopes(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
    Query(q): Query<SinceQuery>,
) -> ApiResult<Json<Value>> {
    caller.require(READERS, "this key may not read conversations")?;
    let conv = find(&state, &caller, &handle).await?;
    let mut cursor = parse_cursor(q.since.as_deref())?;
    let rows = state.db.envelopes_since(conv.id, cursor, q.limit.unwrap_or(500).clamp(1, 5000)).await?;
    rows.iter().for_each(|r| cursor.advance(r.direction, r.seq));
    state
        .db
        .audit(caller.tenant(), caller.key_id(), "read", &conv.handle.to_hex(), &format!("rows={}", rows.len()))
        .await?;
    Ok(Json(json!({
        "conversation": summary_json(&conv),
        "envelopes": rows.iter().map(|r| r.to_json(&conv.handle)).collect::<Vec<_>>(),
        "cursor": cursor.to_string(),
    })))
}

/// `GET /v1/conversations/{handle}/export`: every stored row, for the tenant's own archive.
pub(super) async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(STAFF, "widget keys cannot export")?;
    let conv = find(&state, &caller, &handle).await?;
    let rows = all_rows(&state, conv.id).await?;
    state
        .db
        .audit(caller.tenant(), caller.key_id(), "export", &conv.handle.to_hex(), &format!("rows={}", rows.len()))
        .await?;
    Ok(Json(json!({
        "conversation": summary_json(&conv),
        "envelopes": rows.iter().map(|r| r.to_json(&conv.handle)).collect::<Vec<_>>(),
    })))
}

async fn all_rows(state: &AppState, conversation_id: i64) -> ApiResult<Vec<StoredEnvelope>> {
    let mut out = Vec::new();
    let mut cursor = Cursor::default();
    loop {
        let page = state.db.envelopes_since(conversation_id, cursor, 5000).await?;
        let done = page.len() < 5000;
        page.iter().for_each(|r| cursor.advance(r.direction, r.seq));
        out.extend(page);
        if done {
            return Ok(out);
        }
    }
}

/// `GET /v1/conversations/{handle}/audit`: `chatseal::audit` over the stored envelopes.
pub(super) async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(READERS, "this key may not audit conversations")?;
    let conv = find(&state, &caller, &handle).await?;
    let rows = all_rows(&state, conv.id).await?;
    let inspections: Vec<chatseal::Inspection> = rows.iter().filter_map(|r| chatseal::inspect(&r.body).ok()).collect();
    let report = chatseal::audit(&inspections);
    state
        .db
        .audit(caller.tenant(), caller.key_id(), "audit", &conv.handle.to_hex(), &format!("rows={}", rows.len()))
        .await?;
    let dir = |d: &chatseal::DirectionAudit| {
        json!({
            "turns": d.turns, "expected_highest": d.expected_highest, "missing": d.missing,
            "broken_links": d.broken_links, "forks": d.forks, "ack_mismatches": d.ack_mismatches,
            "open_stream": d.open_stream,
        })
    };
    let verdict = match report.verdict {
        chatseal::Verdict::Complete => "complete",
        chatseal::Verdict::Unfinished => "unfinished",
        chatseal::Verdict::Incomplete => "incomplete",
        chatseal::Verdict::Broken => "broken",
    };
    Ok(Json(json!({
        "handle": conv.handle.to_hex(),
        "verdict": verdict,
        "i2r": dir(&report.i2r),
        "r2i": dir(&report.r2i),
        "closed_by": report.closed_by.map(|(d, seq)| json!({ "direction": d.name(), "seq": seq })),
        "after_close": report.after_close,
        "foreign": report.foreign,
        "unreadable": rows.len() - inspections.len(),
    })))
}

/// What deleting leaves behind, said plainly in every deletion answer.
pub const RESIDUAL: &str = "The relay deleted this conversation's envelope rows (SQLite overwrites them with \
secure_delete; Postgres keeps dead tuples until VACUUM) and asked the service end to drop its session record. \
Copies remain where the relay cannot reach: database backups and replicas, the SQLite WAL until its next \
checkpoint, the browser of the visitor, and any export made before. Once the service end confirms, replies and \
later visitor turns cannot be decrypted by anyone; visitor turns sealed before the first reply stay decryptable \
by the service's static key from a copy of the first envelope until that key is rotated and retired.";

/// `DELETE /v1/conversations/{handle}`.
pub(super) async fn delete_conversation(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(READERS, "this key may not delete conversations")?;
    let handle = parse_handle(&handle)?;
    // In a task of its own, like a post: the deletion is announced even if the caller leaves.
    let task = tokio::spawn(async move {
        let tombstone = state
            .db
            .delete_conversation(caller.tenant(), &handle, caller.key_id(), "request", &state.origin)
            .await?
            .ok_or(ApiError::not_found("no live conversation with this handle"))?;
        after_delete(&state, caller.tenant(), handle, &tombstone);
        Ok::<_, ApiError>(tombstone)
    });
    let tombstone = task.await.map_err(|_| ApiError::internal())??;
    Ok(Json(json!({ "tombstone": tombstone, "residual": RESIDUAL })))
}

fn after_delete(state: &AppState, tenant_id: i64, handle: SessionHandle, tombstone: &Tombstone) {
    state.metrics.deletions.get_or_create(&super::metrics::label("reason", &tombstone.reason)).inc();
    tracing::info!(handle = %handle, tombstone = tombstone.id, reason = %tombstone.reason, "conversation deleted");
    state.hub.publish(Event::Deleted { tenant_id, handle, tombstone: tombstone.clone() });
}

/// Deletes conversations idle longer than `retention`; how many.
pub(super) async fn purge_expired(state: &AppState, retention: Duration) -> ApiResult<usize> {
    let cutoff = crate::db::now() - i64::try_from(retention.as_secs()).unwrap_or(i64::MAX);
    let mut n = 0;
    loop {
        let batch = state.db.expired(cutoff, 200).await?;
        if batch.is_empty() {
            return Ok(n);
        }
        for (tenant_id, handle) in batch {
            if let Some(t) =
                state.db.delete_conversation(tenant_id, &handle, "retention", "retention", &state.origin).await?
            {
                after_delete(state, tenant_id, handle, &t);
                n += 1;
            }
        }
    }
}

/// `GET /v1/service/deletions`: tombstones the service end has not confirmed.
pub(super) async fn pending_deletions(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require(&[Scope::Service], "service keys only")?;
    Ok(Json(json!({ "tombstones": state.db.tombstones(caller.tenant(), true, 1000).await? })))
}

/// Body of a deletion acknowledgement.
#[derive(Deserialize)]
pub(super) struct AckBody {
    digest: String,
}

/// `POST /v1/service/deletions/{id}/ack`: the service dropped its record.
pub(super) async fn ack_deletion(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<AckBody>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Scope::Service], "service keys only")?;
    let digest_ok =
        body.digest == "none" || (body.digest.len() == 64 && body.digest.bytes().all(|b| b.is_ascii_hexdigit()));
    if !digest_ok {
        return Err(ApiError::bad_request("digest must be 64 hex digits or \"none\""));
    }
    if state.db.tombstone(caller.tenant(), id).await?.is_none() {
        return Err(ApiError::not_found("no such tombstone"));
    }
    let acked = state.db.ack_deletion(caller.tenant(), id, &body.digest, caller.key_id()).await?;
    Ok(Json(json!({ "acknowledged": acked })))
}

/// `GET /v1/tombstones`.
pub(super) async fn tombstones(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Value>> {
    caller.require(STAFF, "widget keys cannot list tombstones")?;
    Ok(Json(
        json!({ "tombstones": state.db.tombstones(caller.tenant(), false, q.limit.unwrap_or(100).clamp(1, 1000)).await? }),
    ))
}

/// Query of the audit-log read.
#[derive(Deserialize)]
pub(super) struct AuditLogQuery {
    since: Option<i64>,
    limit: Option<i64>,
}

/// `GET /v1/audit-log?since=<seq>`: the tenant's audit entries (moderators).
pub(super) async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditLogQuery>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Scope::Moderator], "moderator keys only")?;
    let entries =
        state.db.audit_entries(caller.tenant(), q.since.unwrap_or(0), q.limit.unwrap_or(500).clamp(1, 5000)).await?;
    let check = state.db.verify_audit_log(caller.tenant()).await?;
    Ok(Json(json!({ "entries": entries, "verified": check.ok(), "length": check.entries })))
}

/// `GET /metrics`.
pub(super) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    if let Some(counts) = state.db.group_commit_counts() {
        state.metrics.sync_group_commit(counts);
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}

/// `GET /healthz`: 200 when the database answers.
pub(super) async fn health(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    sqlx::query("SELECT 1").execute(state.db.pool()).await?;
    Ok(Json(json!({ "ok": true, "backend": format!("{:?}", state.db.backend()).to_lowercase() })))
}

/// `GET /demo/config` (demo mode only).
pub(super) async fn demo_config(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    state.config.demo.clone().map(Json).ok_or(ApiError::not_found("not in demo mode"))
}
