//! A stored envelope row and the cursor clients resume from.

use super::col;
use chatseal::{Direction, PiiCategory, SessionHandle};
use serde_json::{json, Map, Value};
use sqlx::any::AnyRow;

/// Typed reads of a selected row by column name: the same decoding over a sqlx row (both
/// backends) and a rusqlite row (SQLite's write path).
pub(crate) trait Columns {
    /// An integer column.
    fn int(&self, name: &str) -> Result<i64, sqlx::Error>;
    /// A nullable integer column.
    fn opt_int(&self, name: &str) -> Result<Option<i64>, sqlx::Error>;
    /// A nullable blob column.
    fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, sqlx::Error>;
    /// A text column.
    fn text(&self, name: &str) -> Result<String, sqlx::Error>;

    /// A blob column.
    fn blob(&self, name: &str) -> Result<Vec<u8>, sqlx::Error> {
        self.opt_blob(name)?.ok_or_else(|| sqlx::Error::Decode("unexpected NULL".into()))
    }
}

impl Columns for AnyRow {
    fn int(&self, name: &str) -> Result<i64, sqlx::Error> {
        col(self, name)
    }
    fn opt_int(&self, name: &str) -> Result<Option<i64>, sqlx::Error> {
        col(self, name)
    }
    fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        col(self, name)
    }
    fn text(&self, name: &str) -> Result<String, sqlx::Error> {
        col(self, name)
    }
}

/// A rusqlite error as the crate's database error: its SQLite code only (messages can name
/// constraint columns; values never leave here).
pub(crate) fn sqlite_error(e: &rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Protocol(format!("sqlite: {:?}", e.sqlite_error_code()))
}

impl Columns for rusqlite::Row<'_> {
    fn int(&self, name: &str) -> Result<i64, sqlx::Error> {
        self.get(name).map_err(|e| sqlite_error(&e))
    }
    fn opt_int(&self, name: &str) -> Result<Option<i64>, sqlx::Error> {
        self.get(name).map_err(|e| sqlite_error(&e))
    }
    fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        self.get(name).map_err(|e| sqlite_error(&e))
    }
    fn text(&self, name: &str) -> Result<String, sqlx::Error> {
        self.get(name).map_err(|e| sqlite_error(&e))
    }
}

/// Columns of `envelopes` as the queries select them (`e.` prefixed).
pub(crate) const ENVELOPE_COLUMNS: &str = "e.id, e.conversation_id, e.direction, e.seq, e.epoch, e.role, e.time, \
    e.time_granularity, e.length_bucket, e.subject, e.pii_card, e.pii_email, e.pii_phone, e.pii_ssn, e.pii_iban, \
    e.pii_ip, e.pii_secret, e.flags, e.labels, e.link, e.ack_seq, e.is_close, e.stream_start, e.stream_end, \
    e.stored_at, e.body";

/// The PII count column of each category, in wire order.
pub(crate) fn pii_column(category: PiiCategory) -> &'static str {
    match category {
        PiiCategory::Card => "pii_card",
        PiiCategory::Email => "pii_email",
        PiiCategory::Phone => "pii_phone",
        PiiCategory::Ssn => "pii_ssn",
        PiiCategory::Iban => "pii_iban",
        PiiCategory::Ip => "pii_ip",
        PiiCategory::Secret => "pii_secret",
    }
}

/// One stored envelope: the bytes and the metadata columns, nothing else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEnvelope {
    /// Row id (arrival order).
    pub id: i64,
    /// Conversation row id.
    pub conversation_id: i64,
    /// Direction.
    pub direction: Direction,
    /// Sequence number in its direction.
    pub seq: u64,
    /// Key epoch.
    pub epoch: u64,
    /// Role name.
    pub role: String,
    /// Coarse client time.
    pub time: u64,
    /// Its granularity.
    pub time_granularity: u64,
    /// Padded plaintext length.
    pub length_bucket: u64,
    /// Pseudonymous visitor id.
    pub subject: Option<Vec<u8>>,
    /// PII counts in wire order of the categories.
    pub pii: [u64; 7],
    /// Moderation flags (the `mod.flag` label, split at commas).
    pub flags: Vec<String>,
    /// Labels, canonical order.
    pub labels: Vec<(String, String)>,
    /// The envelope's link.
    pub link: Vec<u8>,
    /// Sequence number of the other direction it acknowledges.
    pub ack_seq: Option<u64>,
    /// Whether it closes its direction.
    pub close: bool,
    /// Stream start, if a stream chunk.
    pub stream_start: Option<u64>,
    /// Whether it ends a stream.
    pub stream_end: bool,
    /// Server arrival time, coarse (minute).
    pub stored_at: i64,
    /// The envelope bytes.
    pub body: Vec<u8>,
}

fn u(v: i64) -> Result<u64, sqlx::Error> {
    u64::try_from(v).map_err(|_| sqlx::Error::Decode("negative stored counter".into()))
}

impl StoredEnvelope {
    /// Decodes a row selected with [`ENVELOPE_COLUMNS`] (without the `e.` prefixes).
    pub(crate) fn from_row(r: &impl Columns) -> Result<Self, sqlx::Error> {
        let mut pii = [0u64; 7];
        for (slot, category) in pii.iter_mut().zip(PiiCategory::ALL) {
            *slot = u(r.int(pii_column(category))?)?;
        }
        let direction = match r.int("direction")? {
            0 => Direction::InitiatorToResponder,
            _ => Direction::ResponderToInitiator,
        };
        let flags = r.text("flags")?;
        let labels = r.text("labels")?;
        Ok(StoredEnvelope {
            id: r.int("id")?,
            conversation_id: r.int("conversation_id")?,
            direction,
            seq: u(r.int("seq")?)?,
            epoch: u(r.int("epoch")?)?,
            role: r.text("role")?,
            time: u(r.int("time")?)?,
            time_granularity: u(r.int("time_granularity")?)?,
            length_bucket: u(r.int("length_bucket")?)?,
            subject: r.opt_blob("subject")?,
            pii,
            flags: flags.split(',').filter(|f| !f.is_empty()).map(str::to_owned).collect(),
            labels: labels
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            link: r.blob("link")?,
            ack_seq: r.opt_int("ack_seq")?.map(u).transpose()?,
            close: r.int("is_close")? != 0,
            stream_start: r.opt_int("stream_start")?.map(u).transpose()?,
            stream_end: r.int("stream_end")? != 0,
            stored_at: r.int("stored_at")?,
            body: r.blob("body")?,
        })
    }

    /// The JSON form the API returns: every stored column, the envelope as base64url.
    pub fn to_json(&self, handle: &SessionHandle) -> Value {
        let pii: Map<String, Value> = PiiCategory::ALL
            .into_iter()
            .zip(self.pii)
            .filter(|&(_, n)| n > 0)
            .map(|(c, n)| (c.name().to_owned(), json!(n)))
            .collect();
        let labels: Map<String, Value> = self.labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        json!({
            "handle": handle.to_hex(),
            "direction": self.direction.name(),
            "seq": self.seq,
            "epoch": self.epoch,
            "role": self.role,
            "time": self.time,
            "time_granularity": self.time_granularity,
            "length_bucket": self.length_bucket,
            "subject": self.subject.as_deref().map(chatseal::base64url_encode),
            "pii": pii,
            "flags": self.flags,
            "labels": labels,
            "link": chatseal::hex_encode(&self.link),
            "ack": self.ack_seq,
            "close": self.close,
            "stream": self.stream_start.map(|start| json!({ "start": start, "end": self.stream_end })),
            "stored_at": self.stored_at,
            "size": self.body.len(),
            "envelope": chatseal::base64url_encode(&self.body),
        })
    }
}

/// Where a reader stands in a conversation: the next sequence number it wants in each direction.
/// Text form `"<i2r>.<r2i>"` (`"0.0"` from the start). Each direction is stored strictly in
/// order, so a cursor never skips a turn, across relay processes too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Next visitor-turn sequence number.
    pub i2r: u64,
    /// Next reply sequence number.
    pub r2i: u64,
}

impl Cursor {
    /// The next sequence number wanted in `direction`.
    pub fn next(&self, direction: Direction) -> u64 {
        match direction {
            Direction::InitiatorToResponder => self.i2r,
            Direction::ResponderToInitiator => self.r2i,
        }
    }

    /// Moves past `seq` in `direction` (never backwards).
    pub fn advance(&mut self, direction: Direction, seq: u64) {
        let slot = match direction {
            Direction::InitiatorToResponder => &mut self.i2r,
            Direction::ResponderToInitiator => &mut self.r2i,
        };
        *slot = (*slot).max(seq.saturating_add(1));
    }
}

impl core::fmt::Display for Cursor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{}", self.i2r, self.r2i)
    }
}

impl core::str::FromStr for Cursor {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let (a, b) = s.split_once('.').ok_or(())?;
        let parse = |x: &str| x.parse::<u64>().ok().filter(|&n| n <= chatseal::MAX_COUNTER).ok_or(());
        Ok(Cursor { i2r: parse(a)?, r2i: parse(b)? })
    }
}
