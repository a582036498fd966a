//! A native client of the relay's HTTP and WebSocket API, used by the service end, the soak
//! widgets and the tests. Errors carry the relay's code and static message, never a body.

use crate::db::Cursor;
use chatseal::{Direction, SessionHandle};
use futures_util::StreamExt;
use serde_json::Value;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// A failed call: the HTTP status (none for transport failures) and the relay's error code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientError {
    /// HTTP status, if the relay answered.
    pub status: Option<u16>,
    /// The relay's (or chatseal's) error code; `transport` when the relay could not be reached,
    /// `protocol` when its answer could not be read.
    pub code: String,
    /// The relay's message.
    pub message: String,
}

impl core::fmt::Display for ClientError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.status {
            Some(s) => write!(f, "relay answered {s} {}: {}", self.code, self.message),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

impl std::error::Error for ClientError {}

impl ClientError {
    fn transport(message: &str) -> Self {
        ClientError { status: None, code: "transport".into(), message: message.into() }
    }
    fn protocol(message: &str) -> Self {
        ClientError { status: None, code: "protocol".into(), message: message.into() }
    }

    /// Whether trying again later may succeed (transport failures, 429, 5xx).
    pub fn retryable(&self) -> bool {
        match self.status {
            None => self.code == "transport",
            Some(s) => s == 429 || s >= 500,
        }
    }
}

/// The answer to a post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posted {
    /// `false` when the same bytes were stored before (a resend).
    pub stored: bool,
    /// Sequence number in its direction.
    pub seq: u64,
}

/// A stored envelope as read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Conversation.
    pub handle: SessionHandle,
    /// Direction.
    pub direction: Direction,
    /// Sequence number.
    pub seq: u64,
    /// The envelope bytes.
    pub envelope: Vec<u8>,
    /// Every stored column, as the relay returned it.
    pub row: Value,
}

impl Received {
    fn from_json(v: Value) -> Result<Self, ClientError> {
        let bad = || ClientError::protocol("unexpected envelope row");
        let handle =
            v.get("handle").and_then(Value::as_str).and_then(|h| SessionHandle::from_hex(h).ok()).ok_or_else(bad)?;
        let direction = match v.get("direction").and_then(Value::as_str) {
            Some("i2r") => Direction::InitiatorToResponder,
            Some("r2i") => Direction::ResponderToInitiator,
            _ => return Err(bad()),
        };
        let seq = v.get("seq").and_then(Value::as_u64).ok_or_else(bad)?;
        let envelope = v
            .get("envelope")
            .and_then(Value::as_str)
            .and_then(|e| chatseal::base64url_decode(e).ok())
            .ok_or_else(bad)?;
        Ok(Received { handle, direction, seq, envelope, row: v })
    }
}

/// A page of a conversation.
#[derive(Clone, Debug)]
pub struct Page {
    /// Rows in arrival order.
    pub envelopes: Vec<Received>,
    /// Where to continue.
    pub cursor: Cursor,
}

/// Something a live socket delivered.
#[derive(Clone, Debug)]
pub enum LiveEvent {
    /// A stored envelope.
    Envelope(Received),
    /// The conversation was deleted (the tombstone; on the service stream: a request to drop
    /// the session record).
    Deleted(Value),
    /// The service stream finished sending its backlog.
    Synced,
}

/// An open live socket.
pub struct LiveStream {
    ws: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

impl core::fmt::Debug for LiveStream {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LiveStream").finish_non_exhaustive()
    }
}

impl LiveStream {
    /// The next event; `None` when the relay closed the socket.
    pub async fn next(&mut self) -> Option<Result<LiveEvent, ClientError>> {
        loop {
            let msg = match self.ws.next().await? {
                Ok(m) => m,
                Err(_) => return Some(Err(ClientError::transport("live socket failed"))),
            };
            let text = match msg {
                Message::Text(t) => t,
                Message::Close(_) => return None,
                _ => continue,
            };
            let Ok(v) = serde_json::from_str::<Value>(&text) else {
                return Some(Err(ClientError::protocol("live message is not JSON")));
            };
            return Some(match v.get("type").and_then(Value::as_str) {
                Some("envelope") => Received::from_json(v).map(LiveEvent::Envelope),
                Some("deleted" | "delete") => {
                    Ok(LiveEvent::Deleted(v.get("tombstone").cloned().unwrap_or(Value::Null)))
                }
                Some("synced") => Ok(LiveEvent::Synced),
                _ => continue,
            });
        }
    }

    /// Closes the socket.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// A client of one relay with one API key.
#[derive(Clone)]
pub struct RelayClient {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl core::fmt::Debug for RelayClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RelayClient").field("base", &self.base).finish_non_exhaustive()
    }
}

async fn error_of(response: reqwest::Response) -> ClientError {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let field = |k: &str| body.pointer(&format!("/error/{k}")).and_then(Value::as_str).unwrap_or("").to_owned();
    ClientError { status: Some(status), code: field("code"), message: field("message") }
}

impl RelayClient {
    /// A client of the relay at `base` (e.g. `http://127.0.0.1:8787`) with `key`.
    pub fn new(base: &str, key: &str) -> Self {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .timeout(Duration::from_secs(30))
            .tcp_nodelay(true)
            .build()
            .unwrap_or_default();
        RelayClient { http, base: base.trim_end_matches('/').to_owned(), key: key.to_owned() }
    }

    /// The relay's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, ClientError> {
        let response =
            request.bearer_auth(&self.key).send().await.map_err(|_| ClientError::transport("relay unreachable"))?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(error_of(response).await)
        }
    }

    async fn json(&self, request: reqwest::RequestBuilder) -> Result<Value, ClientError> {
        self.send(request).await?.json().await.map_err(|_| ClientError::protocol("answer is not JSON"))
    }

    /// Posts an envelope (binary body) once.
    pub async fn post(&self, envelope: &[u8]) -> Result<Posted, ClientError> {
        let request = self
            .http
            .post(self.url("/v1/envelopes"))
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(envelope.to_vec());
        let v = self.json(request).await?;
        let stored =
            v.get("stored").and_then(Value::as_bool).ok_or_else(|| ClientError::protocol("no stored field"))?;
        let seq = v.get("seq").and_then(Value::as_u64).ok_or_else(|| ClientError::protocol("no seq field"))?;
        Ok(Posted { stored, seq })
    }

    /// Posts an envelope, resending it while the failure is retryable (the relay answers a
    /// byte-identical resend with `stored: false`, so nothing is stored twice), for at most
    /// `patience`.
    pub async fn post_until(&self, envelope: &[u8], patience: Duration) -> Result<Posted, ClientError> {
        let deadline = tokio::time::Instant::now() + patience;
        let mut wait = Duration::from_millis(20);
        loop {
            match self.post(envelope).await {
                Err(e) if e.retryable() && tokio::time::Instant::now() + wait < deadline => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_millis(500));
                }
                other => return other,
            }
        }
    }

    /// Stored rows of a conversation after `since`.
    pub async fn fetch(&self, handle: &SessionHandle, since: Cursor) -> Result<Page, ClientError> {
        let url = self.url(&format!("/v1/conversations/{handle}/envelopes?since={since}&limit=5000"));
        let v = self.json(self.http.get(url)).await?;
        let cursor = v
            .get("cursor")
            .and_then(Value::as_str)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| ClientError::protocol("no cursor"))?;
        let rows = v.get("envelopes").and_then(Value::as_array).cloned().unwrap_or_default();
        let envelopes = rows.into_iter().map(Received::from_json).collect::<Result<_, _>>()?;
        Ok(Page { envelopes, cursor })
    }

    /// `GET` of any JSON endpoint (path and query).
    pub async fn get_json(&self, path_and_query: &str) -> Result<Value, ClientError> {
        self.json(self.http.get(self.url(path_and_query))).await
    }

    /// Deletes a conversation; the answer holds the tombstone.
    pub async fn delete(&self, handle: &SessionHandle) -> Result<Value, ClientError> {
        self.json(self.http.delete(self.url(&format!("/v1/conversations/{handle}")))).await
    }

    /// The relay's keyless audit of a conversation.
    pub async fn audit(&self, handle: &SessionHandle) -> Result<Value, ClientError> {
        self.get_json(&format!("/v1/conversations/{handle}/audit")).await
    }

    /// Confirms a deletion with the digest of the service's deletion record (`none` when it held
    /// no record).
    pub async fn ack_deletion(&self, tombstone_id: i64, digest: &str) -> Result<(), ClientError> {
        let url = self.url(&format!("/v1/service/deletions/{tombstone_id}/ack"));
        self.json(self.http.post(url).json(&serde_json::json!({ "digest": digest }))).await.map(drop)
    }

    async fn socket(&self, path: &str) -> Result<LiveStream, ClientError> {
        let url = format!("{}{path}", self.base.replacen("http", "ws", 1));
        let mut request = url.into_client_request().map_err(|_| ClientError::protocol("bad relay URL"))?;
        let auth = format!("Bearer {}", self.key).parse().map_err(|_| ClientError::protocol("bad key"))?;
        request.headers_mut().insert("authorization", auth);
        // tungstenite zero-fills its read buffer before every read: keep it small (a larger
        // message is read in several pieces).
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(16 * 1024);
        match tokio_tungstenite::connect_async_with_config(request, Some(config), true).await {
            Ok((ws, _)) => Ok(LiveStream { ws }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                let status = response.status().as_u16();
                let body: Value =
                    response.body().as_deref().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null);
                let code = body.pointer("/error/code").and_then(Value::as_str).unwrap_or("").to_owned();
                Err(ClientError { status: Some(status), code, message: "live socket refused".into() })
            }
            Err(_) => Err(ClientError::transport("live socket failed")),
        }
    }

    /// Follows a conversation from `since`.
    pub async fn live(&self, handle: &SessionHandle, since: Cursor) -> Result<LiveStream, ClientError> {
        self.socket(&format!("/v1/conversations/{handle}/live?since={since}")).await
    }

    /// The tenant's service stream (service keys).
    pub async fn service_stream(&self) -> Result<LiveStream, ClientError> {
        self.socket("/v1/service/stream").await
    }
}
