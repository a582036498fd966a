//! Option objects from JavaScript: session, import and service settings, and the per-turn
//! settings of a seal. They are read (and checked) before any object is borrowed, so a getter in
//! an options object runs while no state is in use.

use crate::args::Options;
use crate::error::{JsError, JsResult};
use chatseal::{
    Clock, ImportOptions, Label, Metadata, Pseudonym, RekeyPolicy, Role, ServiceOptions, SessionOptions, Side,
};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_OPTIONS: &str = r#"
/** Who wrote a turn. The initiator (widget) writes as "visitor"; the responder as "assistant", "agent" or "system". */
export type Role = "visitor" | "assistant" | "agent" | "system";

/** Application labels: a record, or `[key, value]` pairs (keys `[a-z0-9_.-]{1,32}`, values `[A-Za-z0-9 -_.:/+=,#]{0,64}`, at most 8). */
export type Labels = Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;

/** Settings fixed when a session is created (every field optional). */
export interface SessionOptions {
  /** Rounding step, in seconds, of the client time put in each turn's metadata: 0 (omit the time) to 86400. Default 60. */
  timeGranularity?: number;
  /** Offer a new key epoch after this many turns sealed in the current one (0: never by count). Default 100. */
  rekeyEveryTurns?: number;
  /** Offer a new key epoch once the current one is this many seconds old (0: never by time). Default 3600. */
  rekeyEverySeconds?: number;
  /** Keep earlier epochs' keys so history can be re-opened (default false: deleted once both ends moved on). */
  keepOldEpochs?: boolean;
  /** How `sealText(..., { mask: true })` and `maskText` mask each category (PII builds). Kept in the state blob. */
  maskPolicy?: MaskPolicy;
}

/** Options for `Session.importState`. */
export interface ImportOptions {
  /** Refuse blobs exported before this generation (`stale_state`): the last `stateGeneration` seen exported. */
  minGeneration?: number;
}

/** Settings of the sessions a `Service` accepts (every field optional). */
export interface ServiceOptions {
  /** Rounding step of the time in the service's metadata, in seconds (default 60). */
  timeGranularity?: number;
  /** As in `SessionOptions` (default 100). */
  rekeyEveryTurns?: number;
  /** As in `SessionOptions` (default 3600). */
  rekeyEverySeconds?: number;
  /** As in `SessionOptions` (default false). */
  keepOldEpochs?: boolean;
}

/** Per-turn settings of `seal`, `sealText` and `close` (every field optional). */
export interface SealOptions {
  /** Default: "visitor" on the initiator (widget) side, "assistant" on the responder side. */
  role?: Role;
  /** Up to 8 application labels readable by the backend without keys, sealed in canonical (sorted) order. Never personal data: PII builds refuse a value holding some. */
  labels?: Labels;
  /** The visitor's pseudonym (22 base64url characters, from `randomPseudonym()` or a `PseudonymKey`). */
  subject?: string;
  /**
   * Mask personal data locally before sealing (text turns, PII builds): `true` uses the session's
   * policy, an object overrides it for this turn. The metadata then carries the counts per category.
   */
  mask?: boolean | MaskPolicy;
}

/** `sealChunk` settings: `end` marks the stream's last chunk. */
export interface ChunkOptions extends SealOptions {
  end: boolean;
}

/** How each category is masked; categories left out are numbered. "partial" is for cards only. */
export type MaskPolicy = Partial<Record<PiiCategory, "numbered" | "type" | "partial" | "keep">>;
"#;

/// The browser's or Node's clock in whole Unix seconds (0 before 1970).
pub(crate) fn now_unix() -> u64 {
    // Float-to-int `as` saturates: negative or NaN become 0.
    (js_sys::Date::now() / 1000.0) as u64
}

/// The clock sessions use for time-based rekeying.
pub(crate) fn clock() -> Clock {
    Clock::from_fn(now_unix)
}

#[cfg(feature = "pii")]
const POLICY_EXPECTED: &str = "an object of category: \"numbered\" | \"type\" | \"partial\" | \"keep\"";

/// A mask policy from `{ category: mode }`.
#[cfg(feature = "pii")]
fn mask_policy(value: &JsValue, what: &str) -> JsResult<chatseal_pii::MaskPolicy> {
    let pairs = crate::args::string_pairs(value, what, POLICY_EXPECTED, false)?;
    let names: Vec<(&str, &str)> = pairs.iter().map(|(c, m)| (c.as_str(), m.as_str())).collect();
    Ok(chatseal_pii::MaskPolicy::from_names(&names)?)
}

/// The rekeying fields shared by session and service options.
fn rekey_policy(o: &Options) -> JsResult<RekeyPolicy> {
    let mut policy = RekeyPolicy::default();
    let count = "an integer from 0 to 4294967295";
    policy.every_turns = o.get("rekeyEveryTurns", count)?.unwrap_or(policy.every_turns);
    policy.every_secs = o.get("rekeyEverySeconds", count)?.unwrap_or(policy.every_secs);
    policy.keep_old_epochs = o.get("keepOldEpochs", "a boolean")?.unwrap_or(policy.keep_old_epochs);
    Ok(policy)
}

fn granularity(o: &Options) -> JsResult<Option<u32>> {
    let g: Option<u32> = o.get("timeGranularity", "an integer from 0 to 86400")?;
    if g.is_some_and(|g| g > chatseal::MAX_GRANULARITY_SECS) {
        return Err(JsError::invalid(&o.name("timeGranularity"), "an integer from 0 to 86400"));
    }
    Ok(g)
}

/// The masking policy a new session starts with.
#[cfg(feature = "pii")]
pub(crate) type Policy = chatseal_pii::MaskPolicy;
/// No masking in crypto-only builds.
#[cfg(not(feature = "pii"))]
#[derive(Clone, Copy, Default)]
pub(crate) struct Policy;

/// Session settings, and the masking policy for PII builds.
pub(crate) struct SessionArgs {
    pub(crate) options: SessionOptions,
    #[cfg(feature = "pii")]
    pub(crate) policy: chatseal_pii::MaskPolicy,
}

impl SessionArgs {
    /// The masking policy a session made with these options starts with.
    pub(crate) fn policy(&self) -> Policy {
        #[cfg(feature = "pii")]
        return self.policy;
        #[cfg(not(feature = "pii"))]
        Policy
    }

    pub(crate) fn read(value: &JsValue) -> JsResult<Self> {
        let fields = ["timeGranularity", "rekeyEveryTurns", "rekeyEverySeconds", "keepOldEpochs", "maskPolicy"];
        let o = Options::read(value, "options", &fields)?;
        let mut options = SessionOptions { clock: clock(), ..SessionOptions::default() };
        options.time_granularity = granularity(&o)?.unwrap_or(options.time_granularity);
        options.rekey = rekey_policy(&o)?;
        #[cfg(feature = "pii")]
        let policy = match o.raw("maskPolicy") {
            Some(v) => mask_policy(v, &o.name("maskPolicy"))?,
            None => chatseal_pii::MaskPolicy::default(),
        };
        #[cfg(not(feature = "pii"))]
        if o.has("maskPolicy") {
            return Err(JsError::invalid(&o.name("maskPolicy"), "absent: this build has no PII masking"));
        }
        Ok(SessionArgs {
            options,
            #[cfg(feature = "pii")]
            policy,
        })
    }
}

/// `ImportOptions` from JS.
pub(crate) fn import_options(value: &JsValue) -> JsResult<ImportOptions> {
    let o = Options::read(value, "options", &["minGeneration"])?;
    let min_generation = o.get("minGeneration", "an integer from 0 to 2^53 - 1")?.unwrap_or(0);
    Ok(ImportOptions { min_generation, clock: clock(), ..ImportOptions::default() })
}

/// `ServiceOptions` from JS.
pub(crate) fn service_options(value: &JsValue) -> JsResult<ServiceOptions> {
    let fields = ["timeGranularity", "rekeyEveryTurns", "rekeyEverySeconds", "keepOldEpochs"];
    let o = Options::read(value, "options", &fields)?;
    let mut options = ServiceOptions { clock: clock(), ..ServiceOptions::default() };
    options.time_granularity = granularity(&o)?.unwrap_or(options.time_granularity);
    options.rekey = rekey_policy(&o)?;
    Ok(options)
}

/// How a text turn is masked.
pub(crate) enum Masking {
    /// Not at all.
    Off,
    /// With the session's policy.
    #[cfg(feature = "pii")]
    Session,
    /// With a policy for this turn.
    #[cfg(feature = "pii")]
    Policy(chatseal_pii::MaskPolicy),
}

/// Which kind of seal the options are for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `seal` (bytes: no masking).
    Bytes,
    /// `sealText` and `close`.
    Text,
    /// `sealChunk` (`end` required).
    Chunk,
}

/// The per-turn settings of a seal, read before the session is borrowed.
pub(crate) struct TurnArgs {
    role: Option<Role>,
    labels: Vec<Label>,
    subject: Option<Pseudonym>,
    pub(crate) masking: Masking,
    pub(crate) end: bool,
}

impl TurnArgs {
    pub(crate) fn read(value: &JsValue, kind: Kind) -> JsResult<Self> {
        let fields: &[&str] = match kind {
            Kind::Bytes => &["role", "labels", "subject"],
            Kind::Text => &["role", "labels", "subject", "mask"],
            Kind::Chunk => &["role", "labels", "subject", "mask", "end"],
        };
        let o = Options::read(value, "options", fields)?;
        let role = match o.get::<String>("role", "\"visitor\", \"assistant\", \"agent\" or \"system\"")? {
            Some(name) => Some(Role::from_name(&name).map_err(|_| {
                JsError::invalid(&o.name("role"), "\"visitor\", \"assistant\", \"agent\" or \"system\"")
            })?),
            None => None,
        };
        let mut labels = Vec::new();
        if let Some(v) = o.raw("labels") {
            let what = o.name("labels");
            for (key, value) in crate::args::string_pairs(v, &what, "a record of strings or [key, value] pairs", true)?
            {
                labels.push(Label::new(&key, &value).map_err(|e| JsError::with_context(e, &what))?);
            }
        }
        let subject = match o.get::<String>("subject", "a pseudonym (22 base64url characters)")? {
            Some(text) => Some(Pseudonym::from_text(&text).map_err(|e| JsError::with_context(e, &o.name("subject")))?),
            None => None,
        };
        let end = match kind {
            Kind::Chunk => o.get("end", "a boolean")?.ok_or_else(|| JsError::invalid(&o.name("end"), "a boolean"))?,
            _ => false,
        };
        let masking = Self::masking(&o)?;
        Ok(TurnArgs { role, labels, subject, masking, end })
    }

    fn masking(o: &Options) -> JsResult<Masking> {
        let Some(value) = o.raw("mask") else { return Ok(Masking::Off) };
        let what = o.name("mask");
        if let Some(flag) = value.as_bool() {
            #[cfg(feature = "pii")]
            return Ok(if flag { Masking::Session } else { Masking::Off });
            #[cfg(not(feature = "pii"))]
            if !flag {
                return Ok(Masking::Off);
            }
        }
        #[cfg(feature = "pii")]
        return Ok(Masking::Policy(mask_policy(value, &what)?));
        #[cfg(not(feature = "pii"))]
        Err(JsError::invalid(&what, "false or absent: this build has no PII masking"))
    }

    /// The metadata of a turn sealed now by a session of `side` with `granularity`.
    pub(crate) fn metadata(&self, side: Side, granularity: u32) -> chatseal::Result<Metadata> {
        let default_role = match side {
            Side::Initiator => Role::Visitor,
            Side::Responder => Role::Assistant,
        };
        let mut metadata = Metadata::new(self.role.unwrap_or(default_role), now_unix(), granularity)?;
        metadata.subject = self.subject;
        for label in &self.labels {
            metadata.insert_label(label.clone())?;
        }
        Ok(metadata)
    }
}
