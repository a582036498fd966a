//! Core values as JavaScript objects: the shapes declared in the TypeScript section below.
//! Envelopes and plaintext bytes are `Uint8Array`; ids and digests are lower-case hex.

use super::error::JsResult;
use crate::{Chain, DeletionRecord, Error, Header, Hello, Inspection, Label, Metadata, Mode, Opened, Order};
use crate::{PiiCategory, PiiCounts, Rekey, Result, Role};
use serde::{Serialize, Serializer};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

#[wasm_bindgen(typescript_custom_section)]
const TS_VIEWS: &str = r#"
/** Which end of a session: the widget initiates, the service or agent responds. */
export type Side = "initiator" | "responder";
/** How the session keys were agreed. */
export type Mode = "pinned" | "mutual";
/** The personal-data categories counted in metadata. */
export type PiiCategory = "card" | "email" | "phone" | "ssn" | "iban" | "ip" | "secret";

/** The clear (but authenticated) header of an envelope. */
export interface Header {
  /** 32 hex digits. */
  sessionId: string;
  /** "i2r": initiator (widget) to responder; "r2i": the reverse. */
  direction: "i2r" | "r2i";
  epoch: number;
  /** Sequence number in this direction, from 0. */
  seq: number;
  /** Link digest (64 hex digits) of the previous envelope in this direction; zeros for seq 0. */
  prev: string;
}

/** Carried by the initiator's first envelope only. */
export interface Hello {
  mode: Mode;
  /** The pinned service key's id (16 hex digits); null in mutual mode. */
  keyId: string | null;
  /** The initiator's ephemeral public key (64 hex digits). */
  initiatorPublic: string;
}

/** A key-rotation step riding on a turn. */
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
  /** Findings per category before masking (all 0 when masking was off). */
  pii: Record<PiiCategory, number>;
  labels: Record<string, string>;
}

/** What `inspect()` tells a backend about an envelope. Nothing here is authenticated. */
export interface Inspection {
  header: Header;
  hello: Hello | null;
  rekey: RekeyStep | null;
  metadata: Metadata;
  /** Padded plaintext length: only this bucket of the length is visible. */
  paddedLen: number;
  /** This envelope's link digest; the next envelope in its direction carries it as `prev`. */
  link: string;
}

/** A turn after a successful `open`. */
export interface OpenedTurn {
  /** The plaintext as UTF-8 text (invalid sequences, only possible in binary turns, become U+FFFD). */
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
}

/** What `Session.forget()` destroyed, with no secret in it: for an audit log. */
export interface DeletionRecord {
  /** 32 hex digits. */
  sessionId: string;
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
  /** SHA-256 of the core's canonical rendering of the record (64 hex digits), for an append-only log. */
  digest: string;
}

/** The responder's new session and the first turn it opened. */
export interface AcceptedSession {
  session: Session;
  turn: OpenedTurn;
}
"#;

/// Largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Refuses header and metadata numbers JS cannot hold exactly. Call before any state changes.
fn check_exact(header: &Header, metadata: &Metadata) -> Result<()> {
    exact(header.seq, "sequence number above 2^53 - 1")?;
    exact(metadata.time, "time above 2^53 - 1")?;
    Ok(())
}

/// [`check_exact`] for the envelope about to be opened, before the open can change any state.
pub(crate) fn check_envelope(envelope: &[u8]) -> Result<()> {
    let (header, metadata) = crate::wire::header_and_metadata(envelope)?;
    check_exact(&header, &metadata)
}

/// `n` if a JS number holds it exactly, else `LimitExceeded(what)`.
pub(crate) fn exact(n: u64, what: &'static str) -> Result<u64> {
    if n <= MAX_SAFE_INTEGER {
        Ok(n)
    } else {
        Err(Error::LimitExceeded(what))
    }
}

/// Lower-case hex (arithmetic per nibble: no `format!` machinery per byte).
pub(crate) fn hex(bytes: &[u8]) -> String {
    let digit = |n: u8| char::from(if n < 10 { b'0' + n } else { b'a' - 10 + n });
    let mut out = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        out.push(digit(b >> 4));
        out.push(digit(b & 15));
    }
    out
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HeaderView {
    session_id: String,
    direction: &'static str,
    epoch: u32,
    seq: u64,
    prev: String,
}

impl From<&Header> for HeaderView {
    fn from(h: &Header) -> Self {
        HeaderView {
            session_id: hex(&h.session_id),
            direction: h.direction.name(),
            epoch: h.epoch,
            seq: h.seq,
            prev: hex(&h.prev),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HelloView {
    mode: &'static str,
    key_id: Option<String>,
    initiator_public: String,
}

impl From<&Hello> for HelloView {
    fn from(h: &Hello) -> Self {
        HelloView {
            mode: h.mode.name(),
            key_id: (h.mode == Mode::Pinned).then(|| hex(&h.key_id)),
            initiator_public: hex(&h.initiator_public),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RekeyView {
    step: &'static str,
    public_key: String,
}

impl From<&Rekey> for RekeyView {
    fn from(r: &Rekey) -> Self {
        let (step, public) = match r {
            Rekey::Offer(public) => ("offer", public),
            Rekey::Answer(public) => ("answer", public),
        };
        RekeyView { step, public_key: hex(public) }
    }
}

/// All seven categories, in wire order, as an object.
struct PiiView<'a>(&'a PiiCounts);

impl Serialize for PiiView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.collect_map(PiiCategory::ALL.iter().map(|&c| (c.name(), self.0.get(c))))
    }
}

/// Labels as an object, in wire order.
struct LabelsView<'a>(&'a [Label]);

impl Serialize for LabelsView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|l| (&l.key, &l.value)))
    }
}

/// Bytes as a `Uint8Array`.
struct BytesView<'a>(&'a [u8]);

impl Serialize for BytesView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetadataView<'a> {
    role: Role,
    time: u64,
    time_granularity: u32,
    pii: PiiView<'a>,
    labels: LabelsView<'a>,
}

impl<'a> From<&'a Metadata> for MetadataView<'a> {
    fn from(m: &'a Metadata) -> Self {
        MetadataView {
            role: m.role,
            time: m.time,
            time_granularity: m.time_granularity,
            pii: PiiView(&m.pii),
            labels: LabelsView(&m.labels),
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

#[derive(Serialize)]
struct OpenedView<'a> {
    text: &'a str,
    bytes: BytesView<'a>,
    metadata: MetadataView<'a>,
    header: HeaderView,
    order: &'static str,
    missing: u64,
    chain: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeletionRecordView<'a> {
    session_id: String,
    side: &'static str,
    mode: &'static str,
    key_id: Option<String>,
    epochs_deleted: &'a [u32],
    keys_deleted: usize,
    deleted_at: u64,
    residual: &'a [&'static str],
    digest: String,
}

/// Serializes with maps as plain objects and `None` as `null` (see `bridge`).
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue> {
    super::bridge::to_js(value).map_err(|_| Error::State("value not representable in JavaScript"))
}

/// An `Inspection` object.
pub(crate) fn inspection(i: &Inspection) -> Result<JsValue> {
    check_exact(&i.header, &i.metadata)?;
    to_js(&InspectionView {
        header: HeaderView::from(&i.header),
        hello: i.hello.as_ref().map(HelloView::from),
        rekey: i.rekey.as_ref().map(RekeyView::from),
        metadata: MetadataView::from(&i.metadata),
        padded_len: i.padded_len,
        link: hex(&i.link),
    })
}

/// An `OpenedTurn` object. Its numbers must have passed [`check_exact`] before the open.
pub(crate) fn opened(o: &Opened) -> Result<JsValue> {
    let text = Zeroizing::new(String::from_utf8_lossy(&o.plaintext).into_owned());
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
        text: &text,
        bytes: BytesView(&o.plaintext),
        metadata: MetadataView::from(&o.metadata),
        header: HeaderView::from(&o.header),
        order,
        missing,
        chain,
    })
}

/// A `DeletionRecord` object, ids in hex like everywhere else in the JS API.
pub(crate) fn deletion_record(r: &DeletionRecord) -> Result<JsValue> {
    let pinned = r.mode == Mode::Pinned;
    to_js(&DeletionRecordView {
        session_id: hex(&r.session_id),
        side: r.side.name(),
        mode: r.mode.name(),
        key_id: if pinned { Some(hex(&r.key_id)) } else { None },
        epochs_deleted: &r.epochs_deleted,
        keys_deleted: r.keys_deleted,
        deleted_at: exact(r.deleted_at, "time above 2^53 - 1")?,
        residual: &r.residual,
        digest: hex(&r.digest()),
    })
}

/// An `AcceptedSession` object: `{ session, turn }`.
pub(crate) fn accepted(session: JsValue, turn: &Opened) -> JsResult<JsValue> {
    let object = js_sys::Object::new();
    js_sys::Reflect::set(&object, &JsValue::from_str("session"), &session)?;
    js_sys::Reflect::set(&object, &JsValue::from_str("turn"), &opened(turn)?)?;
    Ok(object.into())
}
