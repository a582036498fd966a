//! API keys on requests: `Authorization: Bearer <key>`, `X-Api-Key: <key>`, or `?key=<key>`
//! (browsers cannot set headers on a WebSocket). Known keys are cached for 30 s (so a revoked
//! key stops working within 30 s), unknown ones for 5 s. Every authenticated request takes a
//! token from its tenant's rate limiter.

use super::AppState;
use crate::db::{ApiKey, Scope};
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A lookup result and when it was made, by the key's SHA-256.
type Entries = HashMap<Vec<u8>, (Option<ApiKey>, Instant)>;

/// Cached key lookups.
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<Entries>,
}

impl KeyCache {
    fn get(&self, hash: &[u8]) -> Option<Option<ApiKey>> {
        let entries = self.entries.lock().ok()?;
        let (key, at) = entries.get(hash)?;
        let ttl = if key.is_some() { Duration::from_secs(30) } else { Duration::from_secs(5) };
        (at.elapsed() < ttl).then(|| key.clone())
    }

    fn put(&self, hash: Vec<u8>, key: Option<ApiKey>) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() > 100_000 {
                entries.clear(); // bounded: a flood of random keys cannot grow it
            }
            entries.insert(hash, (key, Instant::now()));
        }
    }
}

fn presented_key(parts: &Parts) -> Option<String> {
    let headers = &parts.headers;
    if let Some(v) = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return v.strip_prefix("Bearer ").map(|k| k.trim().to_owned());
    }
    if let Some(v) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(v.trim().to_owned());
    }
    parts.uri.query()?.split('&').find_map(|kv| kv.strip_prefix("key=")).map(str::to_owned)
}

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Caller(pub ApiKey);

impl Caller {
    /// Refuses unless the key has one of `scopes`.
    pub fn require(&self, scopes: &[Scope], message: &'static str) -> Result<(), ApiError> {
        if scopes.contains(&self.0.scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(message))
        }
    }

    /// Tenant id.
    pub fn tenant(&self) -> i64 {
        self.0.tenant_id
    }

    /// Key id (for records).
    pub fn key_id(&self) -> &str {
        &self.0.key_id
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = presented_key(parts).ok_or_else(ApiError::unauthorized)?;
        if key.is_empty() || key.len() > 200 {
            return Err(ApiError::unauthorized());
        }
        let hash = crate::db::key_hash(&key);
        let found = match state.keys.get(&hash) {
            Some(found) => found,
            None => {
                let found = state.db.lookup_key(&key).await?;
                state.keys.put(hash, found.clone());
                found
            }
        };
        let caller = found.ok_or_else(ApiError::unauthorized)?;
        state.rates.check(caller.tenant_id)?;
        Ok(Caller(caller))
    }
}
