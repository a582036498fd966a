//! The mutual-mode mailbox: a widget leaves its offer under the session handle the offer fixes, a
//! human agent's console (service key) lists the waiting offers and leaves an answer, and the
//! widget picks the answer up. The relay learns nothing it could use: an offer commits to a key
//! the widget reveals only in its first turn, and a relay that swaps offers or answers makes the
//! two ends' safety codes differ. Kept in memory, bounded per tenant and in age: an offer nobody
//! answers within [`TTL`] is dropped, and a relay restart drops them all (the widget offers again).

use super::{AppState, Caller};
use crate::db::Scope;
use crate::error::{ApiError, ApiResult};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chatseal::SessionHandle;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an offer (and its answer) is kept.
pub const TTL: Duration = Duration::from_secs(600);
/// Offers kept per tenant at once.
pub const MAX_PER_TENANT: usize = 256;
/// Largest offer or answer accepted (both are well under 200 bytes).
pub const MAX_BYTES: usize = 1024;

struct Slot {
    offer: Vec<u8>,
    answer: Option<Vec<u8>>,
    at: Instant,
    listed_at: i64,
}

/// Offers and answers by tenant and handle.
#[derive(Default)]
pub struct Mailbox {
    slots: Mutex<HashMap<(i64, SessionHandle), Slot>>,
}

impl Mailbox {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<(i64, SessionHandle), Slot>) -> T) -> ApiResult<T> {
        let mut slots = self.slots.lock().map_err(|_| ApiError::internal())?;
        slots.retain(|_, s| s.at.elapsed() < TTL);
        Ok(f(&mut slots))
    }
}

fn body_bytes(body: &Bytes) -> ApiResult<Vec<u8>> {
    if body.is_empty() {
        return Err(ApiError::bad_request("empty body"));
    }
    if body.len() > MAX_BYTES {
        return Err(ApiError::too_large());
    }
    Ok(body.to_vec())
}

/// `POST /v1/mailbox/{handle}/offer` (widget): leaves an offer; a second, different offer for
/// the handle is `session_exists`, the same bytes again are accepted (a resend).
pub(super) async fn post_offer(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(&[Scope::Widget], "widget keys only")?;
    let handle = super::api::parse_handle(&handle)?;
    let offer = body_bytes(&body)?;
    let tenant = caller.tenant();
    state.mailbox.with(|slots| {
        if let Some(slot) = slots.get(&(tenant, handle)) {
            return if slot.offer == offer {
                Ok((StatusCode::OK, Json(json!({ "stored": false }))))
            } else {
                Err(ApiError::conflict("session_exists", "another offer waits under this handle"))
            };
        }
        if slots.keys().filter(|(t, _)| *t == tenant).count() >= MAX_PER_TENANT {
            return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", "too many offers waiting"));
        }
        let slot = Slot { offer, answer: None, at: Instant::now(), listed_at: crate::db::now() };
        slots.insert((tenant, handle), slot);
        Ok((StatusCode::CREATED, Json(json!({ "stored": true }))))
    })?
}

/// `GET /v1/mailbox/offers` (service): the offers waiting for an answer, oldest first.
pub(super) async fn list_offers(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require(&[Scope::Service], "service keys only")?;
    let tenant = caller.tenant();
    let mut offers = state.mailbox.with(|slots| {
        slots
            .iter()
            .filter(|((t, _), s)| *t == tenant && s.answer.is_none())
            .map(|((_, h), s)| (s.listed_at, h.to_hex(), chatseal::base64url_encode(&s.offer)))
            .collect::<Vec<_>>()
    })?;
    offers.sort();
    let offers: Vec<Value> =
        offers.into_iter().map(|(at, handle, offer)| json!({ "handle": handle, "offer": offer, "at": at })).collect();
    Ok(Json(json!({ "offers": offers })))
}

/// `POST /v1/mailbox/{handle}/answer` (service): answers a waiting offer, once.
pub(super) async fn post_answer(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(&[Scope::Service], "service keys only")?;
    let handle = super::api::parse_handle(&handle)?;
    let answer = body_bytes(&body)?;
    state.mailbox.with(|slots| match slots.get_mut(&(caller.tenant(), handle)) {
        None => Err(ApiError::not_found("no offer waits under this handle")),
        Some(slot) => match &slot.answer {
            Some(a) if *a == answer => Ok((StatusCode::OK, Json(json!({ "stored": false })))),
            Some(_) => Err(ApiError::conflict("duplicate", "this offer was answered already")),
            None => {
                slot.answer = Some(answer);
                Ok((StatusCode::CREATED, Json(json!({ "stored": true }))))
            }
        },
    })?
}

/// `GET /v1/mailbox/{handle}/answer` (widget): the answer, or 404 `not_found` while none came.
pub(super) async fn get_answer(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Scope::Widget], "widget keys only")?;
    let handle = super::api::parse_handle(&handle)?;
    let answer = state.mailbox.with(|slots| slots.get(&(caller.tenant(), handle)).and_then(|s| s.answer.clone()))?;
    let answer = answer.ok_or(ApiError::not_found("no answer yet"))?;
    Ok(Json(json!({ "answer": chatseal::base64url_encode(&answer) })))
}
