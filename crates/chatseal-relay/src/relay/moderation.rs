//! Moderation endpoints (moderator keys): metadata queries over the tenant's stored turns.
//! Each query is recorded in the audit log.

use super::{AppState, Caller};
use crate::db::Scope;
use crate::error::{ApiError, ApiResult};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// Time window and paging of a moderation query (Unix seconds, server arrival time).
#[derive(Deserialize)]
pub(super) struct Window {
    since: Option<i64>,
    until: Option<i64>,
    limit: Option<i64>,
    category: Option<String>,
    bucket: Option<i64>,
    flag: Option<String>,
}

impl Window {
    fn range(&self) -> (i64, i64) {
        (self.since.unwrap_or(0), self.until.unwrap_or(i64::MAX))
    }
    fn limit(&self) -> i64 {
        self.limit.unwrap_or(100).clamp(1, 10_000)
    }
}

fn moderator(caller: &Caller) -> ApiResult<()> {
    caller.require(&[Scope::Moderator], "moderator keys only")
}

/// `GET /v1/moderation/pii?category=<name>`: conversations with PII of a category.
pub(super) async fn pii(
    State(state): State<AppState>,
    caller: Caller,
    Query(w): Query<Window>,
) -> ApiResult<Json<Value>> {
    moderator(&caller)?;
    let name = w.category.as_deref().ok_or(ApiError::bad_request("category is required"))?;
    let category = chatseal::PiiCategory::from_name(name).ok_or(ApiError::bad_request("unknown PII category"))?;
    let (since, until) = w.range();
    let found = state.db.pii_conversations(caller.tenant(), category, since, until, w.limit()).await?;
    state
        .db
        .audit(
            caller.tenant(),
            caller.key_id(),
            "moderation",
            "pii",
            &format!("category={} results={}", category.name(), found.len()),
        )
        .await?;
    Ok(Json(json!({ "category": category.name(), "conversations": found })))
}

/// `GET /v1/moderation/volumes?bucket=<secs>`: turns by role and time bucket.
pub(super) async fn volumes(
    State(state): State<AppState>,
    caller: Caller,
    Query(w): Query<Window>,
) -> ApiResult<Json<Value>> {
    moderator(&caller)?;
    let bucket = w.bucket.unwrap_or(3600);
    if !(60..=31_536_000).contains(&bucket) {
        return Err(ApiError::bad_request("bucket must be 60 to 31536000 seconds"));
    }
    let (since, until) = w.range();
    let rows = state.db.volumes(caller.tenant(), bucket, since, until).await?;
    state
        .db
        .audit(
            caller.tenant(),
            caller.key_id(),
            "moderation",
            "volumes",
            &format!("bucket={bucket} results={}", rows.len()),
        )
        .await?;
    Ok(Json(json!({ "bucket": bucket, "volumes": rows })))
}

/// `GET /v1/moderation/flagged?flag=<name>`: conversations with moderation flags.
pub(super) async fn flagged(
    State(state): State<AppState>,
    caller: Caller,
    Query(w): Query<Window>,
) -> ApiResult<Json<Value>> {
    moderator(&caller)?;
    if let Some(f) = &w.flag {
        if f.is_empty()
            || f.len() > 64
            || !f.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        {
            return Err(ApiError::bad_request("flag must be 1-64 of [A-Za-z0-9_.-]"));
        }
    }
    let (since, until) = w.range();
    let rows = state.db.flagged(caller.tenant(), w.flag.as_deref(), since, until, w.limit()).await?;
    state
        .db
        .audit(caller.tenant(), caller.key_id(), "moderation", "flagged", &format!("results={}", rows.len()))
        .await?;
    Ok(Json(json!({ "conversations": rows })))
}

/// `GET /v1/moderation/subjects/{pseudonym}`: a pseudonymous visitor's conversations.
pub(super) async fn subject(
    State(state): State<AppState>,
    caller: Caller,
    Path(subject): Path<String>,
) -> ApiResult<Json<Value>> {
    moderator(&caller)?;
    let p = chatseal::Pseudonym::from_text(&subject)
        .map_err(|_| ApiError::bad_request("subject must be a 22-character pseudonym"))?;
    let handles = state.db.subject_conversations(caller.tenant(), p.as_bytes(), 1000).await?;
    state
        .db
        .audit(caller.tenant(), caller.key_id(), "moderation", "subject", &format!("results={}", handles.len()))
        .await?;
    Ok(Json(json!({ "conversations": handles })))
}
