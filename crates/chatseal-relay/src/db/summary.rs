//! A conversation's state row (both chain heads, per-direction counters, close flags) and the
//! post that advances it: the data the chain check (`chain`) reads and both write paths store.

use super::rows::Columns;
use super::{Cursor, StoredEnvelope};
use chatseal::{Direction, Inspection, SessionHandle};

/// An envelope to store, already inspected.
#[derive(Debug)]
pub struct Insert<'a> {
    /// Tenant of the posting key.
    pub tenant_id: i64,
    /// The envelope bytes.
    pub bytes: &'a [u8],
    /// What `chatseal::inspect` found in them.
    pub inspection: &'a Inspection,
    /// Origin tag for cross-process notifications (Postgres).
    pub origin: &'a str,
}

/// A conversation's state row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationSummary {
    /// Row id.
    pub id: i64,
    /// Session handle.
    pub handle: SessionHandle,
    /// First stored (coarse).
    pub created_at: i64,
    /// Last stored (coarse).
    pub last_at: i64,
    /// Next visitor-turn sequence number (= visitor turns stored).
    pub i2r_next: u64,
    /// Next reply sequence number.
    pub r2i_next: u64,
    /// Whether the visitor closed.
    pub i2r_closed: bool,
    /// Whether the service closed.
    pub r2i_closed: bool,
    /// Highest visitor turn a reply acknowledged (-1: none).
    pub r2i_ack: i64,
    /// Link heads.
    links: [Option<Vec<u8>>; 2],
    /// When it was deleted, if it was.
    pub deleted_at: Option<i64>,
}

impl ConversationSummary {
    pub(super) fn from_row(r: &impl Columns) -> Result<Self, sqlx::Error> {
        let handle = r.blob("handle")?;
        let handle = SessionHandle::from_bytes(handle.try_into().map_err(|_| sqlx::Error::Decode("handle".into()))?);
        let count = |name| -> Result<u64, sqlx::Error> {
            u64::try_from(r.int(name)?).map_err(|_| sqlx::Error::Decode("counter".into()))
        };
        Ok(ConversationSummary {
            id: r.int("id")?,
            handle,
            created_at: r.int("created_at")?,
            last_at: r.int("last_at")?,
            i2r_next: count("i2r_next")?,
            r2i_next: count("r2i_next")?,
            i2r_closed: r.int("i2r_closed")? != 0,
            r2i_closed: r.int("r2i_closed")? != 0,
            r2i_ack: r.int("r2i_ack")?,
            links: [r.opt_blob("i2r_link")?, r.opt_blob("r2i_link")?],
            deleted_at: r.opt_int("deleted_at")?,
        })
    }

    /// The state after `row` (the post `insert`) was stored on `base` (`None`: it created the
    /// conversation).
    pub(super) fn after(
        base: Option<&ConversationSummary>,
        insert: &Insert<'_>,
        row: &StoredEnvelope,
    ) -> ConversationSummary {
        let h = &insert.inspection.header;
        let mut next = base.cloned().unwrap_or(ConversationSummary {
            id: row.conversation_id,
            handle: h.handle,
            created_at: row.stored_at,
            last_at: row.stored_at,
            i2r_next: 0,
            r2i_next: 0,
            i2r_closed: false,
            r2i_closed: false,
            r2i_ack: -1,
            links: [None, None],
            deleted_at: None,
        });
        next.last_at = row.stored_at;
        let link = Some(row.link.clone());
        match h.direction {
            Direction::InitiatorToResponder => {
                (next.i2r_next, next.i2r_closed, next.links[0]) = (h.seq + 1, next.i2r_closed || h.close, link);
            }
            Direction::ResponderToInitiator => {
                (next.r2i_next, next.r2i_closed, next.links[1]) = (h.seq + 1, next.r2i_closed || h.close, link);
                if let Some(ack) = h.ack {
                    next.r2i_ack = next.r2i_ack.max(i64_of(ack.seq));
                }
            }
        }
        next
    }

    /// The cursor just past everything stored.
    pub fn cursor(&self) -> Cursor {
        Cursor { i2r: self.i2r_next, r2i: self.r2i_next }
    }

    pub(super) fn next(&self, d: Direction) -> u64 {
        self.cursor().next(d)
    }

    pub(super) fn link(&self, d: Direction) -> Option<&[u8]> {
        self.links.get(dir_id(d) as usize).and_then(|l| l.as_deref())
    }

    pub(super) fn closed(&self, d: Direction) -> bool {
        match d {
            Direction::InitiatorToResponder => self.i2r_closed,
            Direction::ResponderToInitiator => self.r2i_closed,
        }
    }
}

pub(crate) fn dir_id(d: Direction) -> i64 {
    match d {
        Direction::InitiatorToResponder => 0,
        Direction::ResponderToInitiator => 1,
    }
}

pub(crate) fn other(d: Direction) -> Direction {
    match d {
        Direction::InitiatorToResponder => Direction::ResponderToInitiator,
        Direction::ResponderToInitiator => Direction::InitiatorToResponder,
    }
}

/// A counter as a database integer.
pub(crate) fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX) // counters are ≤ 2^53 − 1
}
