//! The relay's HTTP error: a status, a stable code (chatseal's codes plus the relay's own) and a
//! static message. Bodies are `{"error": {"code": "...", "message": "..."}}`; neither part ever
//! holds an envelope byte, a metadata value or a key.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Codes the relay adds to chatseal's own ([`chatseal::Error::CODES`]).
pub const RELAY_CODES: &[&str] = &[
    "unauthorized",
    "forbidden",
    "not_found",
    "gap",
    "broken_chain",
    "ack_mismatch",
    "deleted",
    "rate_limited",
    "too_large",
    "overloaded",
    "bad_request",
    "internal",
];

/// An error answered to an HTTP client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Human-readable, static text (what failed, never a value).
    pub message: &'static str,
    /// Seconds after which a retry may succeed (429, 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with this status, code and message.
    pub const fn new(status: StatusCode, code: &'static str, message: &'static str) -> Self {
        ApiError { status, code, message, retry_after: None }
    }

    /// 401: no key, or a key the relay does not know.
    pub const fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "missing or unknown API key")
    }

    /// 403: the key's scope does not allow this call.
    pub const fn forbidden(message: &'static str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404: nothing of this tenant by that name.
    pub const fn not_found(message: &'static str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 400 for a query or body the relay cannot use.
    pub const fn bad_request(message: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 409 with a conflict code (`duplicate`, `gap`, `closed`, ...).
    pub const fn conflict(code: &'static str, message: &'static str) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 413: a body above the configured limit.
    pub const fn too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "request body above the relay's limit")
    }

    /// 500 without detail (the cause is logged by kind, never by value).
    pub const fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
    }

    /// 429 with a retry hint.
    pub fn rate_limited(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "rate limit exceeded")
        }
    }

    /// 503: a connection or concurrency limit is reached.
    pub fn overloaded() -> Self {
        ApiError {
            retry_after: Some(1),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", "connection limit reached")
        }
    }
}

impl From<chatseal::Error> for ApiError {
    fn from(e: chatseal::Error) -> Self {
        use chatseal::Error as E;
        let status = match e {
            E::LimitExceeded(_) => StatusCode::PAYLOAD_TOO_LARGE,
            E::Duplicate | E::SessionExists | E::Closed | E::Conflict => StatusCode::CONFLICT,
            E::UnknownSession => StatusCode::NOT_FOUND,
            E::Store(_) | E::Entropy => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, e.code(), e.detail().unwrap_or("envelope refused"))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        // The kind only: sqlx errors can quote bound values.
        tracing::error!(kind = db_error_kind(&e), "database error");
        ApiError::internal()
    }
}

/// A short name for the kind of a database error, safe to log.
pub fn db_error_kind(e: &sqlx::Error) -> &'static str {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => "unique_violation",
        sqlx::Error::Database(_) => "database",
        sqlx::Error::PoolTimedOut => "pool_timed_out",
        sqlx::Error::PoolClosed => "pool_closed",
        sqlx::Error::Io(_) => "io",
        sqlx::Error::RowNotFound => "row_not_found",
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => "decode",
        sqlx::Error::Migrate(_) => "migrate",
        _ => "other",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({ "error": { "code": self.code, "message": self.message } }));
        let mut response = (self.status, body).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
