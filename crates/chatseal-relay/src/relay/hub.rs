//! Live delivery inside one relay process (broadcast channels per conversation and per tenant),
//! and across processes on Postgres (LISTEN/NOTIFY: the row id travels, the row is read back).
//! A subscriber that falls behind or misses a notification re-reads from the database with its
//! cursor, so live delivery is a fast path and the database is the truth.

use crate::db::{Db, StoredEnvelope, Tombstone};
use chatseal::{Direction, SessionHandle};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Something subscribers hear about.
#[derive(Debug)]
pub enum Event {
    /// An envelope was stored.
    Envelope {
        /// Tenant.
        tenant_id: i64,
        /// Conversation.
        handle: SessionHandle,
        /// The stored row.
        row: StoredEnvelope,
    },
    /// A conversation was deleted.
    Deleted {
        /// Tenant.
        tenant_id: i64,
        /// Conversation.
        handle: SessionHandle,
        /// Its tombstone.
        tombstone: Tombstone,
    },
    /// Events may have been missed: re-read from the database.
    Resync,
}

type Channel = broadcast::Sender<Arc<Event>>;

/// The in-process fan-out.
#[derive(Default)]
pub struct Hub {
    conversations: Mutex<HashMap<(i64, SessionHandle), Channel>>,
    tenants: Mutex<HashMap<i64, Channel>>,
}

impl core::fmt::Debug for Hub {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

fn subscribe<K: std::hash::Hash + Eq>(
    map: &Mutex<HashMap<K, Channel>>,
    key: K,
    capacity: usize,
) -> broadcast::Receiver<Arc<Event>> {
    match map.lock() {
        Ok(mut m) => m.entry(key).or_insert_with(|| broadcast::channel(capacity).0).subscribe(),
        Err(_) => broadcast::channel(1).1, // poisoned: a closed receiver; the reader falls back to the database
    }
}

fn send<K: std::hash::Hash + Eq>(map: &Mutex<HashMap<K, Channel>>, key: &K, event: &Arc<Event>) {
    if let Ok(mut m) = map.lock() {
        if let Some(tx) = m.get(key) {
            if tx.send(Arc::clone(event)).is_err() {
                m.remove(key); // no one listens any more
            }
        }
    }
}

impl Hub {
    /// Follows one conversation.
    pub fn conversation(&self, tenant_id: i64, handle: SessionHandle) -> broadcast::Receiver<Arc<Event>> {
        subscribe(&self.conversations, (tenant_id, handle), 1024)
    }

    /// Follows a tenant's visitor turns and deletions (the service stream).
    pub fn tenant(&self, tenant_id: i64) -> broadcast::Receiver<Arc<Event>> {
        subscribe(&self.tenants, tenant_id, 16 * 1024)
    }

    /// Drops a conversation's channel if no one listens.
    pub fn release(&self, tenant_id: i64, handle: SessionHandle) {
        if let Ok(mut m) = self.conversations.lock() {
            if m.get(&(tenant_id, handle)).is_some_and(|tx| tx.receiver_count() == 0) {
                m.remove(&(tenant_id, handle));
            }
        }
    }

    /// Tells the subscribers of an event.
    pub fn publish(&self, event: Event) {
        let event = Arc::new(event);
        match &*event {
            Event::Envelope { tenant_id, handle, row } => {
                send(&self.conversations, &(*tenant_id, *handle), &event);
                if row.direction == Direction::InitiatorToResponder {
                    send(&self.tenants, tenant_id, &event);
                }
            }
            Event::Deleted { tenant_id, handle, .. } => {
                send(&self.conversations, &(*tenant_id, *handle), &event);
                send(&self.tenants, tenant_id, &event);
            }
            Event::Resync => {
                for map in [&self.conversations] {
                    if let Ok(m) = map.lock() {
                        m.values().for_each(|tx| drop(tx.send(Arc::clone(&event))));
                    }
                }
                if let Ok(m) = self.tenants.lock() {
                    m.values().for_each(|tx| drop(tx.send(Arc::clone(&event))));
                }
            }
        }
    }
}

/// Follows the other relay processes' notifications on Postgres until the process ends.
pub async fn listen_postgres(db: Arc<Db>, hub: Arc<Hub>, origin: String) {
    use crate::db::NOTIFY_CHANNEL;
    loop {
        let listener = async {
            let mut l = sqlx::postgres::PgListener::connect(db.url()).await?;
            l.listen(NOTIFY_CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        };
        let mut listener = match listener.await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(kind = crate::error::db_error_kind(&e), "postgres listener: connect failed; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        hub.publish(Event::Resync); // anything sent while we were not listening
        loop {
            let n = match listener.recv().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(kind = crate::error::db_error_kind(&e), "postgres listener: lost; reconnecting");
                    break;
                }
            };
            if let Err(e) = relay_notification(&db, &hub, &origin, n.payload()).await {
                tracing::warn!(
                    kind = crate::error::db_error_kind(&e),
                    "postgres listener: could not read a notified row"
                );
                hub.publish(Event::Resync);
            }
        }
    }
}

async fn relay_notification(db: &Db, hub: &Hub, origin: &str, payload: &str) -> Result<(), sqlx::Error> {
    let mut parts = payload.split(':');
    let (Some(from), Some(kind), Some(tenant), Some(id)) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ok(());
    };
    let (Ok(tenant_id), Ok(id)) = (tenant.parse::<i64>(), id.parse::<i64>()) else { return Ok(()) };
    if from == origin {
        return Ok(()); // published locally already
    }
    match kind {
        "e" => {
            if let Some((tenant_id, handle, row)) = db.envelope_by_id(id).await? {
                hub.publish(Event::Envelope { tenant_id, handle, row });
            }
        }
        "d" => {
            if let Some(tombstone) = db.tombstone(tenant_id, id).await? {
                if let Ok(handle) = SessionHandle::from_hex(&tombstone.handle) {
                    hub.publish(Event::Deleted { tenant_id, handle, tombstone });
                }
            }
        }
        _ => {}
    }
    Ok(())
}
