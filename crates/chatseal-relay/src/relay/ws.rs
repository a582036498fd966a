//! WebSockets: a conversation's live stream (widgets, staff) and the tenant's service stream.
//! Both send JSON text messages; both start from the database (a cursor, or the unanswered
//! backlog) and then follow the hub, going back to the database whenever they may have missed
//! something, so nothing stored is skipped and nothing is sent twice on one socket.

use super::api::{find, parse_cursor, SinceQuery};
use super::hub::Event;
use super::{AppState, Caller};
use crate::db::{Cursor, Scope, StoredEnvelope};
use crate::error::{ApiError, ApiResult};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chatseal::{Direction, SessionHandle};
use futures_util::stream::{SplitSink, StreamExt};
use futures_util::SinkExt;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Read buffer of a socket. tungstenite zero-fills its read buffer (128 KiB by default) before
/// every read, also the reads that find nothing: a loop that polls its socket after each event
/// it sends spent more time clearing that buffer than sending. Clients send little (a close, a
/// pong); a larger frame still arrives whole, read in pieces of this size.
const READ_BUFFER: usize = 4096;

type Sink = SplitSink<WebSocket, Message>;

/// Why a socket loop ended early (the peer left or a read failed).
struct Gone;

impl From<axum::Error> for Gone {
    fn from(_: axum::Error) -> Self {
        Gone
    }
}

impl From<ApiError> for Gone {
    fn from(_: ApiError) -> Self {
        Gone
    }
}

impl From<sqlx::Error> for Gone {
    fn from(e: sqlx::Error) -> Self {
        tracing::warn!(kind = crate::error::db_error_kind(&e), "live socket: database read failed");
        Gone
    }
}

async fn send(tx: &mut Sink, value: Value) -> Result<(), Gone> {
    Ok(tx.send(Message::Text(value.to_string().into())).await?)
}

fn envelope_message(handle: &SessionHandle, row: &StoredEnvelope, cursor: &Cursor) -> Value {
    let mut v = row.to_json(handle);
    if let Some(o) = v.as_object_mut() {
        o.insert("type".into(), json!("envelope"));
        o.insert("cursor".into(), json!(cursor.to_string()));
    }
    v
}

/// `GET /v1/conversations/{handle}/live?since=<cursor>` (WebSocket).
pub(super) async fn conversation_live(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
    Query(q): Query<SinceQuery>,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    caller.require(&[Scope::Widget, Scope::Service, Scope::Moderator], "this key may not read conversations")?;
    let conv = find(&state, &caller, &handle).await?;
    let cursor = parse_cursor(q.since.as_deref())?;
    let slot = state.sockets.open(caller.tenant())?;
    state
        .db
        .audit(caller.tenant(), caller.key_id(), "subscribe", &conv.handle.to_hex(), &format!("since={cursor}"))
        .await?;
    let tenant = caller.tenant();
    Ok(ws.read_buffer_size(READ_BUFFER).on_upgrade(move |socket| async move {
        let gauge = state.metrics.sockets.get_or_create(&super::metrics::label("kind", "conversation")).clone();
        gauge.inc();
        let mut rx = state.hub.conversation(tenant, conv.handle);
        let _ = live_loop(&state, conv.id, conv.handle, cursor, socket, &mut rx).await;
        drop(rx);
        state.hub.release(tenant, conv.handle);
        gauge.dec();
        drop(slot);
    }))
}

/// Sends everything stored after `cursor`; whether the conversation is deleted.
async fn catch_up(
    state: &AppState,
    conversation_id: i64,
    handle: &SessionHandle,
    cursor: &mut Cursor,
    tx: &mut Sink,
) -> Result<(), Gone> {
    loop {
        let rows = state.db.envelopes_since(conversation_id, *cursor, 500).await?;
        for row in &rows {
            cursor.advance(row.direction, row.seq);
            send(tx, envelope_message(handle, row, cursor)).await?;
        }
        if rows.len() < 500 {
            return Ok(());
        }
    }
}

async fn live_loop(
    state: &AppState,
    conversation_id: i64,
    handle: SessionHandle,
    mut cursor: Cursor,
    socket: WebSocket,
    rx: &mut tokio::sync::broadcast::Receiver<std::sync::Arc<Event>>,
) -> Result<(), Gone> {
    let (mut tx, mut incoming) = socket.split();
    catch_up(state, conversation_id, &handle, &mut cursor, &mut tx).await?;
    let mut ping = tokio::time::interval(Duration::from_secs(20));
    loop {
        tokio::select! {
            event = rx.recv() => match event {
                Ok(event) => match &*event {
                    Event::Envelope { row, .. } => {
                        let next = cursor.next(row.direction);
                        if row.seq == next {
                            cursor.advance(row.direction, row.seq);
                            send(&mut tx, envelope_message(&handle, row, &cursor)).await?;
                        } else if row.seq > next {
                            catch_up(state, conversation_id, &handle, &mut cursor, &mut tx).await?;
                        }
                    }
                    Event::Deleted { tombstone, .. } => {
                        send(&mut tx, json!({ "type": "deleted", "tombstone": tombstone })).await?;
                        let _ = tx.send(Message::Close(None)).await;
                        return Ok(());
                    }
                    Event::Resync => catch_up(state, conversation_id, &handle, &mut cursor, &mut tx).await?,
                },
                Err(RecvError::Lagged(_)) => catch_up(state, conversation_id, &handle, &mut cursor, &mut tx).await?,
                Err(RecvError::Closed) => return Ok(()),
            },
            msg = incoming.next() => match msg {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(()),
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => tx.send(Message::Ping(Default::default())).await?,
        }
    }
}

/// `GET /v1/service/stream` (WebSocket, service keys): every visitor turn no reply has
/// acknowledged yet, then new visitor turns and deletion requests as they come.
pub(super) async fn service_stream(
    State(state): State<AppState>,
    caller: Caller,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    caller.require(&[Scope::Service], "service keys only")?;
    let slot = state.sockets.open(caller.tenant())?;
    state.db.audit(caller.tenant(), caller.key_id(), "subscribe", "service-stream", "").await?;
    let tenant = caller.tenant();
    Ok(ws.read_buffer_size(READ_BUFFER).on_upgrade(move |socket| async move {
        let gauge = state.metrics.sockets.get_or_create(&super::metrics::label("kind", "service")).clone();
        gauge.inc();
        let _ = service_loop(&state, tenant, socket).await;
        gauge.dec();
        drop(slot);
    }))
}

/// Per conversation: the next visitor-turn sequence number to send, or `None` for a mutual-mode
/// conversation, whose visitor talks to a person (an agent console), not to the service end.
type Sent = HashMap<SessionHandle, Option<u64>>;

/// Whether the conversation of `row` started in pinned mode (read from its stored hello).
async fn pinned(state: &AppState, row: &StoredEnvelope) -> Result<bool, Gone> {
    let hello_row = if row.direction == Direction::InitiatorToResponder && row.seq == 0 {
        None
    } else {
        state.db.envelope_at(row.conversation_id, Direction::InitiatorToResponder, 0).await?
    };
    let body = hello_row.as_ref().map_or(&row.body, |h| &h.body);
    Ok(chatseal::inspect(body).ok().and_then(|i| i.hello).is_some_and(|h| h.mode == chatseal::Mode::Pinned))
}

async fn backlog(state: &AppState, tenant: i64, sent: &mut Sent, tx: &mut Sink) -> Result<(), Gone> {
    for tombstone in state.db.tombstones(tenant, true, 10_000).await? {
        send(tx, json!({ "type": "delete", "tombstone": tombstone })).await?;
    }
    for (handle, row) in state.db.unanswered(tenant, 50_000).await? {
        forward(state, tx, sent, &handle, &row).await?;
    }
    send(tx, json!({ "type": "synced" })).await
}

async fn forward(
    state: &AppState,
    tx: &mut Sink,
    sent: &mut Sent,
    handle: &SessionHandle,
    row: &StoredEnvelope,
) -> Result<(), Gone> {
    if row.direction != Direction::InitiatorToResponder {
        return Ok(());
    }
    let next = match sent.get(handle) {
        Some(next) => *next,
        None if pinned(state, row).await? => Some(0),
        None => None,
    };
    match next {
        Some(next) if row.seq >= next => {}
        None => {
            sent.insert(*handle, None);
            return Ok(());
        }
        Some(_) => return Ok(()),
    }
    sent.insert(*handle, Some(row.seq + 1));
    let mut cursor = Cursor::default();
    cursor.advance(row.direction, row.seq);
    send(tx, envelope_message(handle, row, &cursor)).await
}

async fn service_loop(state: &AppState, tenant: i64, socket: WebSocket) -> Result<(), Gone> {
    let mut rx = state.hub.tenant(tenant);
    let (mut tx, mut incoming) = socket.split();
    let mut sent = Sent::new();
    backlog(state, tenant, &mut sent, &mut tx).await?;
    let mut ping = tokio::time::interval(Duration::from_secs(20));
    loop {
        tokio::select! {
            event = rx.recv() => match event {
                Ok(event) => match &*event {
                    Event::Envelope { handle, row, .. } => forward(state, &mut tx, &mut sent, handle, row).await?,
                    Event::Deleted { handle, tombstone, .. } => {
                        sent.remove(handle);
                        send(&mut tx, json!({ "type": "delete", "tombstone": tombstone })).await?;
                    }
                    Event::Resync => backlog(state, tenant, &mut sent, &mut tx).await?,
                },
                Err(RecvError::Lagged(_)) => backlog(state, tenant, &mut sent, &mut tx).await?,
                Err(RecvError::Closed) => return Ok(()),
            },
            msg = incoming.next() => match msg {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(()),
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => tx.send(Message::Ping(Default::default())).await?,
        }
    }
}
