//! Core values as JavaScript objects, through serde-wasm-bindgen: the shapes declared in the
//! TypeScript section below. Bytes are `Uint8Array`; ids, links and digests lower-case hex;
//! every number an exact JS number (the core keeps counters at or below 2^53 − 1).

use crate::error::{JsError, JsResult};
use crate::scrub::Wiped;
use chatseal::{
    hex_encode, Audit, Chain, DeletionRecord, DirectionAudit, Header, Hello, Inspection, Metadata, Mode, Opened, Order,
    PeerAck, PiiCategory, PiiCounts, Rekey, RekeyPolicy, StateInfo, Status, Verdict,
};
use serde::{Serialize, Serializer};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_VIEWS: &str = r#"
/** Which end of a session: the widget initiates, the service or agent responds. */
export type Side = "initiator" | "responder";
/** How the session keys were agreed. */
export type Mode = "pinned" | "mutual";
/** The personal-data categories counted in metadata. */
export type PiiCategory = "card" | "email" | "phone" | "ssn" | "iban" | "ip" | "secret";
/** "i2r": initiator (widget) to responder; "r2i": the reverse. */
export type Direction = "i2r" | "r2i";

/** The clear (but authenticated) header of an envelope. */
export interface Header {
  /** The session handle, 32 hex digits (derived from the hello: no one chooses it). */
  handle: string;
  direction: Direction;
  /** Key epoch of the keys that sealed it. */
  epoch: number;
  /** Sequence number in this direction, from 0. */
  seq: number;
  /** Link (64 hex digits) of the previous envelope in this direction; zeros for seq 0. */
  prev: string;
  /** What the sender had opened of the other direction: the highest sequence number and its link. */
  ack: { seq: number; link: string } | null;
  /** This turn closes the session: its sender seals nothing after it. */
  close: boolean;
  /** This turn is a chunk of the stream that began at `start`; `end` marks its last chunk. */
  stream: { start: number; end: boolean } | null;
}

/** Carried by the initiator's first envelope only. */
export interface Hello {
  mode: Mode;
  /** The pinned service key's id (16 hex digits); null in mutual mode. */
  keyId: string | null;
  /** The initiator's ephemeral public key (64 hex digits). */
  initiatorPublic: string;
}

/** A rekeying step riding on a turn. */
export interface RekeyStep {
  /** "offer": the sender proposes the next epoch; "answer": it accepted and already uses it. */
  step: "offer" | "answer";
  /** The step's ephemeral public key (64 hex digits). */
  publicKey: string;
}

/** Moderation-safe metadata: readable by a backend without keys, authenticated by the peer. */
export interface Metadata {
  role: Role;
  /** Client time in Unix seconds rounded down to `timeGranularity` (0 when omitted). */
  time: number;
  timeGranularity: number;
  /** The visitor's pseudonym (22 base64url characters), if the application set one. */
  subject: string | null;
  /** Findings per category before masking (all 0 when masking was off). */
  pii: Record<PiiCategory, number>;
  /** `[key, value]` pairs in canonical order (sorted by key bytes). */
  labels: Array<[string, string]>;
}

/** What `inspect()` tells a backend about an envelope. Nothing here is authenticated. */
export interface Inspection {
  header: Header;
  hello: Hello | null;
  rekey: RekeyStep | null;
  metadata: Metadata;
  /** Padded plaintext length: only this bucket of the length is visible. */
  paddedLen: number;
  /** This envelope's link: the next envelope in its direction carries it as `prev`, the peer's later turns as their ack link. */
  link: string;
}

/** What a peer's turn says about this end's own turns. */
export interface PeerAck {
  /** The highest of this end's sequence numbers the peer had opened when it sealed the turn. */
  highest: number | null;
  /** How many turns this end had sealed after that one: sent, not (yet) confirmed. */
  unacknowledged: number;
  /** Whether the confirmed turn is the one this end sent (checked for its latest turn); false means this end's state was restored from a stale copy; null when not checked. */
  matches: boolean | null;
}

/** A turn after a successful `open`. */
export interface OpenedTurn {
  /** The plaintext as UTF-8 text (a binary turn's invalid sequences become U+FFFD; `bytes` is exact). */
  text: string;
  /** The plaintext bytes exactly as sealed. */
  bytes: Uint8Array;
  metadata: Metadata;
  header: Header;
  /** "gap": `missing` earlier turns have not arrived (yet); "late": it filled an earlier gap. */
  order: "inOrder" | "gap" | "late";
  missing: number;
  /** "broken": a neighbouring turn disagrees about the history (the sender forked it). */
  chain: "linked" | "unverified" | "broken";
  peerAck: PeerAck;
}

/** Where a session stands: closes, acknowledgements, missing turns. */
export interface Status {
  /** This end sealed a close. */
  closed: boolean;
  /** The peer's close was opened. */
  peerClosed: boolean;
  /** Turns this end sealed. */
  sent: number;
  /** Of those, how many no peer turn has acknowledged yet. */
  unacknowledged: number;
  /** The highest sequence number opened from the peer. */
  receivedHighest: number | null;
  /** Peer turns below that number (within the replay window) not opened: sent, not arrived. */
  missing: number;
  /** Someone closed, nothing is missing, and the peer acknowledged what this end sent: the conversation ended properly. Without a close it may have been cut off. */
  finished: boolean;
}

/** What `forget()` destroyed, with no secret in it: for an audit log. */
export interface DeletionRecord {
  /** 32 hex digits. */
  handle: string;
  side: Side;
  mode: Mode;
  /** The pinned service key's id (16 hex digits); null in mutual mode. */
  keyId: string | null;
  epochsDeleted: number[];
  /** How many 32-byte secrets were zeroized. */
  keysDeleted: number;
  /** Unix seconds. */
  deletedAt: number;
  /** What can still decrypt this session's envelopes, honestly stated. */
  residual: string[];
  /** SHA-256 of the record's canonical bytes (64 hex digits), for an append-only log. */
  digest: string;
  /** How many original values of masked personal data were zeroized with the session (0 without PII masking). */
  piiValuesDeleted: number;
}

/** One direction of an audited conversation. */
export interface DirectionAudit {
  turns: number;
  /** The highest sequence number that should exist: the highest stored or acknowledged. */
  expectedHighest: number | null;
  /** Missing sequence numbers, as inclusive `[first, last]` ranges. */
  missing: Array<[number, number]>;
  /** Sequence numbers whose `prev` does not match the stored turn before them. */
  brokenLinks: number[];
  /** Sequence numbers stored twice with different contents. */
  forks: number[];
  /** Sequence numbers whose acknowledgement names a different link than the stored turn. */
  ackMismatches: number[];
  /** The start of a stream whose last chunk is not stored. */
  openStream: number | null;
}

/** `audit()`'s conclusion about one stored conversation, without keys. */
export interface Audit {
  /** The session (of the first envelope). */
  handle: string | null;
  i2r: DirectionAudit;
  r2i: DirectionAudit;
  /** Who closed, at which sequence number. */
  closedBy: { direction: Direction; seq: number } | null;
  /** Turns numbered after their sender's close. */
  afterClose: number;
  /** Envelopes of other sessions in the input. */
  foreign: number;
  /** "complete": closed, nothing missing, consistent; "unfinished": consistent but not closed (its end may be cut off); "incomplete": turns missing; "broken": stored turns contradict each other. */
  verdict: "complete" | "unfinished" | "incomplete" | "broken";
}

/** What a state blob says of itself in clear (authenticated only when it is opened). */
export interface StateInfo {
  handle: string;
  side: Side;
  generation: number;
  /** 16 random bytes (32 hex digits) drawn at export: two exports with one generation differ here. */
  exportId: string;
}

/** When a session rekeys. */
export interface RekeyPolicy {
  everyTurns: number;
  everySeconds: number;
  keepOldEpochs: boolean;
}
"#;

/// Serializes with `None` as `null` and maps as plain objects.
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> JsResult<JsValue> {
    let serializer =
        serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true).serialize_maps_as_objects(true);
    value
        .serialize(&serializer)
        .map_err(|_| JsError::new("bad_state", "bad state: value not representable in JavaScript"))
}

/// A fixed name (an enum's wire name, a category) as a JS string. Serialized as a unit variant,
/// which serde-wasm-bindgen turns into a JS string once per name and then reuses, where a plain
/// `&str` is decoded anew on every call (about a third of an `open`'s result object was such
/// decoding: BENCHMARKS.md, per-phase breakdown).
#[derive(Clone, Copy)]
pub(crate) struct Name(pub(crate) &'static str);

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit_variant("", 0, self.0)
    }
}

/// Bytes as a `Uint8Array` (copied out of wasm memory).
pub(crate) struct Bytes<'a>(pub(crate) &'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

#[derive(Serialize)]
struct AckView {
    seq: u64,
    link: String,
}

#[derive(Serialize)]
struct StreamView {
    start: u64,
    end: bool,
}

#[derive(Serialize)]
pub(crate) struct HeaderView {
    handle: String,
    direction: Name,
    epoch: u32,
    seq: u64,
    prev: String,
    ack: Option<AckView>,
    close: bool,
    stream: Option<StreamView>,
}

impl From<&Header> for HeaderView {
    fn from(h: &Header) -> Self {
        HeaderView {
            handle: h.handle.to_hex(),
            direction: Name(h.direction.name()),
            epoch: h.epoch,
            seq: h.seq,
            prev: hex_encode(&h.prev),
            ack: h.ack.map(|a| AckView { seq: a.seq, link: hex_encode(&a.link) }),
            close: h.close,
            stream: h.stream.map(|s| StreamView { start: s.start, end: s.end }),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HelloView {
    mode: Name,
    key_id: Option<String>,
    initiator_public: String,
}

impl From<&Hello> for HelloView {
    fn from(h: &Hello) -> Self {
        HelloView {
            mode: Name(h.mode.name()),
            key_id: (h.mode == Mode::Pinned).then(|| hex_encode(&h.key_id)),
            initiator_public: hex_encode(&h.initiator_public),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RekeyView {
    step: Name,
    public_key: String,
}

impl From<&Rekey> for RekeyView {
    fn from(r: &Rekey) -> Self {
        let (step, public) = match r {
            Rekey::Offer(public) => ("offer", public),
            Rekey::Answer(public) => ("answer", public),
        };
        RekeyView { step: Name(step), public_key: hex_encode(public) }
    }
}

/// All seven categories, in wire order, as an object.
struct PiiView<'a>(&'a PiiCounts);

impl Serialize for PiiView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(PiiCategory::ALL.iter().map(|&c| (Name(c.name()), self.0.get(c))))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MetadataView<'a> {
    role: Name,
    time: u64,
    time_granularity: u32,
    subject: Option<String>,
    pii: PiiView<'a>,
    labels: Vec<(&'a str, &'a str)>,
}

impl<'a> From<&'a Metadata> for MetadataView<'a> {
    fn from(m: &'a Metadata) -> Self {
        MetadataView {
            role: Name(m.role.name()),
            time: m.time,
            time_granularity: m.time_granularity,
            subject: m.subject.map(|p| p.to_text()),
            pii: PiiView(&m.pii),
            labels: m.labels().iter().map(|l| (l.key(), l.value())).collect(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InspectionView<'a> {
    header: HeaderView,
    hello: Option<HelloView>,
    rekey: Option<RekeyView>,
    metadata: MetadataView<'a>,
    padded_len: usize,
    link: String,
}

/// An `Inspection` object.
pub(crate) fn inspection(i: &Inspection) -> JsResult<JsValue> {
    to_js(&InspectionView {
        header: HeaderView::from(&i.header),
        hello: i.hello.as_ref().map(HelloView::from),
        rekey: i.rekey.as_ref().map(RekeyView::from),
        metadata: MetadataView::from(&i.metadata),
        padded_len: i.padded_len,
        link: hex_encode(&i.link),
    })
}

#[derive(Serialize)]
struct PeerAckView {
    highest: Option<u64>,
    unacknowledged: u64,
    matches: Option<bool>,
}

impl From<&PeerAck> for PeerAckView {
    fn from(p: &PeerAck) -> Self {
        PeerAckView { highest: p.highest, unacknowledged: p.unacknowledged, matches: p.matches }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OpenedView<'a> {
    text: &'a str,
    bytes: Bytes<'a>,
    metadata: MetadataView<'a>,
    header: HeaderView,
    order: Name,
    missing: u64,
    chain: Name,
    peer_ack: PeerAckView,
}

/// An `OpenedTurn` object. The plaintext is copied out to JS (as text and as bytes); the text
/// decoding, if it had to replace invalid sequences, is wiped here like the plaintext itself. The
/// plaintext moves out of `o` into a [`Wiped`] buffer (one `memset` when dropped, where the
/// core's `Zeroizing` makes a volatile store per byte); `o` is left with an empty one.
pub(crate) fn opened(o: &mut Opened) -> JsResult<JsValue> {
    let plaintext = Wiped::new(core::mem::take(&mut *o.plaintext));
    let lossy;
    let text = match core::str::from_utf8(&plaintext) {
        Ok(text) => text,
        Err(_) => {
            lossy = Wiped::new(String::from_utf8_lossy(&plaintext).into_owned());
            lossy.as_str()
        }
    };
    let (order, missing) = match o.order {
        Order::InOrder => ("inOrder", 0),
        Order::Gap { missing } => ("gap", missing),
        Order::Late => ("late", 0),
    };
    let chain = match o.chain {
        Chain::Linked => "linked",
        Chain::Unverified => "unverified",
        Chain::Broken => "broken",
    };
    to_js(&OpenedView {
        text,
        bytes: Bytes(&plaintext),
        metadata: MetadataView::from(&o.metadata),
        header: HeaderView::from(&o.header),
        order: Name(order),
        missing,
        chain: Name(chain),
        peer_ack: PeerAckView::from(&o.peer_ack),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusView {
    closed: bool,
    peer_closed: bool,
    sent: u64,
    unacknowledged: u64,
    received_highest: Option<u64>,
    missing: u64,
    finished: bool,
}

/// A `Status` object.
pub(crate) fn status(s: &Status) -> JsResult<JsValue> {
    to_js(&StatusView {
        closed: s.closed,
        peer_closed: s.peer_closed,
        sent: s.sent,
        unacknowledged: s.unacknowledged,
        received_highest: s.received_highest,
        missing: s.missing,
        finished: s.finished(),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeletionView<'a> {
    handle: String,
    side: Name,
    mode: Name,
    key_id: Option<String>,
    epochs_deleted: &'a [u32],
    keys_deleted: usize,
    deleted_at: u64,
    residual: &'a [&'static str],
    digest: String,
    pii_values_deleted: usize,
}

/// A `DeletionRecord` object.
pub(crate) fn deletion(r: &DeletionRecord, pii_values_deleted: usize) -> JsResult<JsValue> {
    to_js(&DeletionView {
        handle: r.handle.to_hex(),
        side: Name(r.side.name()),
        mode: Name(r.mode.name()),
        key_id: (r.mode == Mode::Pinned).then(|| hex_encode(&r.key_id)),
        epochs_deleted: &r.epochs_deleted,
        keys_deleted: r.keys_deleted,
        deleted_at: r.deleted_at,
        residual: &r.residual,
        digest: hex_encode(&r.digest()),
        pii_values_deleted,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DirectionAuditView<'a> {
    turns: u64,
    expected_highest: Option<u64>,
    missing: &'a [(u64, u64)],
    broken_links: &'a [u64],
    forks: &'a [u64],
    ack_mismatches: &'a [u64],
    open_stream: Option<u64>,
}

impl<'a> From<&'a DirectionAudit> for DirectionAuditView<'a> {
    fn from(d: &'a DirectionAudit) -> Self {
        DirectionAuditView {
            turns: d.turns,
            expected_highest: d.expected_highest,
            missing: &d.missing,
            broken_links: &d.broken_links,
            forks: &d.forks,
            ack_mismatches: &d.ack_mismatches,
            open_stream: d.open_stream,
        }
    }
}

#[derive(Serialize)]
struct ClosedByView {
    direction: Name,
    seq: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuditView<'a> {
    handle: Option<String>,
    i2r: DirectionAuditView<'a>,
    r2i: DirectionAuditView<'a>,
    closed_by: Option<ClosedByView>,
    after_close: u64,
    foreign: u64,
    verdict: Name,
}

/// An `Audit` object.
pub(crate) fn audit(a: &Audit) -> JsResult<JsValue> {
    to_js(&AuditView {
        handle: a.handle.map(|h| h.to_hex()),
        i2r: DirectionAuditView::from(&a.i2r),
        r2i: DirectionAuditView::from(&a.r2i),
        closed_by: a.closed_by.map(|(d, seq)| ClosedByView { direction: Name(d.name()), seq }),
        after_close: a.after_close,
        foreign: a.foreign,
        verdict: Name(match a.verdict {
            Verdict::Complete => "complete",
            Verdict::Unfinished => "unfinished",
            Verdict::Incomplete => "incomplete",
            Verdict::Broken => "broken",
        }),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StateInfoView {
    handle: String,
    side: Name,
    generation: u64,
    export_id: String,
}

/// A `StateInfo` object.
pub(crate) fn state_info(i: &StateInfo) -> JsResult<JsValue> {
    to_js(&StateInfoView {
        handle: i.handle.to_hex(),
        side: Name(i.side.name()),
        generation: i.generation,
        export_id: hex_encode(&i.export_id),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RekeyPolicyView {
    every_turns: u32,
    every_seconds: u32,
    keep_old_epochs: bool,
}

/// A `RekeyPolicy` object.
pub(crate) fn rekey_policy(p: &RekeyPolicy) -> JsResult<JsValue> {
    to_js(&RekeyPolicyView {
        every_turns: p.every_turns,
        every_seconds: p.every_secs,
        keep_old_epochs: p.keep_old_epochs,
    })
}
