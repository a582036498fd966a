//! The chain heads this process last wrote, per conversation, so the sqlx write path (Postgres)
//! decides a post without reading the conversation row first: one statement per post instead of
//! two. A cached head is a state that was committed, possibly an older one (another relay
//! process, or a concurrent post of the other direction, moved on since), and that is safe:
//! a post decided on it is written only by the compare-and-swap on the direction's head, and
//! every other outcome (a refusal, a resend) is decided again on a fresh read.

use super::ConversationSummary;
use chatseal::SessionHandle;
use std::collections::HashMap;
use std::sync::Mutex;

/// Entries kept at most (then it starts over: a miss only costs the read it saves).
const CAPACITY: usize = 100_000;

/// The cache.
#[derive(Default)]
pub(super) struct Heads {
    map: Mutex<HashMap<(i64, SessionHandle), ConversationSummary>>,
}

impl Heads {
    pub(super) fn get(&self, tenant_id: i64, handle: &SessionHandle) -> Option<ConversationSummary> {
        self.map.lock().ok()?.get(&(tenant_id, *handle)).cloned()
    }

    pub(super) fn put(&self, tenant_id: i64, summary: ConversationSummary) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= CAPACITY {
                map.clear();
            }
            map.insert((tenant_id, summary.handle), summary);
        }
    }

    pub(super) fn forget(&self, tenant_id: i64, handle: &SessionHandle) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(&(tenant_id, *handle));
        }
    }
}
