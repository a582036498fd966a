//! JavaScript arguments to core values: option objects, key ids, secrets and the clock.

use crate::{Error, ImportOptions, Label, Metadata, Result, Role, SessionOptions, Side, KEY_ID_LEN};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

#[wasm_bindgen(typescript_custom_section)]
const TS_OPTIONS: &str = r#"
/** Who wrote a turn; it travels in the clear (authenticated) metadata. */
export type Role = "visitor" | "assistant" | "agent" | "system";

/** Settings fixed when a session is created (every field optional). */
export interface SessionOptions {
  /**
   * Rounding step, in seconds, of the client time put in each turn's metadata:
   * 0 (omit the time) to 86400. Default 60.
   */
  timeGranularity?: number;
  /** Offer a new key epoch after this many turns sealed in the current one (0, the default: only on `rekeyNow()`). */
  rekeyEveryTurns?: number;
  /**
   * Keep earlier epochs' keys so history can be re-opened (default true). false deletes them once
   * both ends use the new epoch: their turns can then never be opened again, by anyone.
   */
  keepOldEpochs?: boolean;
  /** How `sealText(..., { mask: true })` and `maskText` mask each category (pii builds). Kept in the state blob. */
  maskPolicy?: MaskPolicy;
}

/** Options for `Session.importState`. */
export interface ImportOptions {
  /** Refuse blobs exported before this generation (`stale_state`): the last `stateGeneration` seen exported. */
  minGeneration?: number;
}

/** Per-turn settings for `seal` and `sealText` (every field optional). */
export interface SealOptions {
  /** Default: "visitor" on the initiator (widget) side, "assistant" on the responder side. */
  role?: Role;
  /**
   * Up to 8 application labels readable by the backend without keys: keys are 1–32 bytes of
   * `[a-z0-9_.-]`, values at most 64 bytes without control characters. Never put PII here;
   * use `hashedId()` for user ids. Labels are sealed sorted by key.
   */
  labels?: Record<string, string>;
  /**
   * Mask personal data locally before sealing (pii builds): `true` uses the session's policy
   * (`maskPolicy` in `SessionOptions`, default: numbered placeholders for every category), an
   * object overrides it for this turn. The envelope's metadata then carries the counts per
   * category; the originals behind numbered placeholders stay in the session (`restore`).
   */
  mask?: boolean | MaskPolicy;
}

/** How each category is masked; categories left out are numbered. "partial" is for cards only. */
export type MaskPolicy = Partial<Record<PiiCategory, "numbered" | "type" | "partial" | "keep">>;
"#;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SessionOptionsArg {
    time_granularity: Option<u32>,
    rekey_every_turns: Option<u32>,
    keep_old_epochs: Option<bool>,
    mask_policy: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ImportOptionsArg {
    min_generation: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SealOptionsArg {
    role: Option<Role>,
    labels: Option<BTreeMap<String, String>>,
    mask: Option<MaskArg>,
}

/// `mask: true | false | { category: mode }`.
#[derive(Deserialize)]
#[serde(untagged)]
enum MaskArg {
    Flag(bool),
    Policy(#[cfg_attr(not(feature = "pii"), allow(dead_code))] BTreeMap<String, String>),
}

/// A mask policy from `{ category: mode }` names.
#[cfg(feature = "pii")]
pub(crate) fn mask_policy(names: &BTreeMap<String, String>) -> Result<crate::pii::MaskPolicy> {
    let pairs: Vec<(&str, &str)> = names.iter().map(|(c, m)| (c.as_str(), m.as_str())).collect();
    crate::pii::MaskPolicy::from_names(&pairs)
}

/// An optional options object with only the `fields` named; anything else (a misspelt field, a
/// wrong type) is refused as `InvalidInput(what)`.
fn options<T: DeserializeOwned + Default>(
    value: Option<js_sys::Object>,
    fields: &[&str],
    what: &'static str,
) -> Result<T> {
    let Some(object) = value else { return Ok(T::default()) };
    let known = |key: JsValue| key.as_string().is_some_and(|k| fields.contains(&k.as_str()));
    if !js_sys::Object::keys(&object).iter().all(known) {
        return Err(Error::InvalidInput(what));
    }
    super::bridge::from_js(object.into()).map_err(|_| Error::InvalidInput(what))
}

/// `SessionOptions` from JS; the granularity is checked now rather than at the first seal.
pub(crate) fn session_options(value: Option<js_sys::Object>) -> Result<SessionOptions> {
    let fields = ["timeGranularity", "rekeyEveryTurns", "keepOldEpochs", "maskPolicy"];
    let arg: SessionOptionsArg = options(value, &fields, "session options")?;
    let mut out = SessionOptions::default();
    if let Some(names) = &arg.mask_policy {
        #[cfg(feature = "pii")]
        {
            out.mask_policy = mask_policy(names)?;
        }
        #[cfg(not(feature = "pii"))]
        if !names.is_empty() {
            return Err(Error::InvalidInput("maskPolicy needs a build with the pii feature"));
        }
    }
    if let Some(granularity) = arg.time_granularity {
        Metadata::new(Role::System, 0, granularity)?;
        out.time_granularity = granularity;
    }
    out.rekey.every_turns = arg.rekey_every_turns.unwrap_or(out.rekey.every_turns);
    out.rekey.keep_old_epochs = arg.keep_old_epochs.unwrap_or(out.rekey.keep_old_epochs);
    Ok(out)
}

/// `ImportOptions` from JS.
pub(crate) fn import_options(value: Option<js_sys::Object>) -> Result<ImportOptions> {
    let arg: ImportOptionsArg = options(value, &["minGeneration"], "import options")?;
    Ok(ImportOptions { min_generation: arg.min_generation.unwrap_or(0), ..ImportOptions::default() })
}

/// How a turn is masked.
pub(crate) enum Masking {
    /// Not at all.
    Off,
    /// With the session's policy.
    #[cfg(feature = "pii")]
    SessionPolicy,
    /// With a policy for this turn.
    #[cfg(feature = "pii")]
    Policy(crate::pii::MaskPolicy),
}

/// The metadata and masking choice of a turn sealed now by `session`, from JS `SealOptions`.
pub(crate) fn seal_options(session: &crate::Session, value: Option<js_sys::Object>) -> Result<(Metadata, Masking)> {
    let arg: SealOptionsArg = options(value, &["role", "labels", "mask"], "seal options")?;
    let masking = match &arg.mask {
        None | Some(MaskArg::Flag(false)) => Masking::Off,
        #[cfg(feature = "pii")]
        Some(MaskArg::Flag(true)) => Masking::SessionPolicy,
        #[cfg(feature = "pii")]
        Some(MaskArg::Policy(names)) => Masking::Policy(mask_policy(names)?),
        #[cfg(not(feature = "pii"))]
        Some(_) => return Err(Error::InvalidInput("mask needs a build with the pii feature")),
    };
    let default_role = match session.side() {
        Side::Initiator => Role::Visitor,
        Side::Responder => Role::Assistant,
    };
    let mut metadata = session.metadata(arg.role.unwrap_or(default_role), now_unix())?;
    for (key, value) in arg.labels.unwrap_or_default() {
        metadata.labels.push(Label::new(&key, &value)?);
    }
    Ok((metadata, masking))
}

/// The browser's or Node's clock in whole Unix seconds (0 before 1970).
pub(crate) fn now_unix() -> u64 {
    // Float-to-int `as` saturates: negative or NaN become 0.
    (js_sys::Date::now() / 1000.0) as u64
}

/// A key id from its 16 hex digits (either case).
pub(crate) fn key_id(hex: &str) -> Result<[u8; KEY_ID_LEN]> {
    let bad = Error::InvalidInput("key id must be 16 hex digits");
    let digits: Vec<u32> = hex.chars().map(|c| c.to_digit(16)).collect::<Option<_>>().ok_or(bad)?;
    if digits.len() != 2 * KEY_ID_LEN {
        return Err(bad);
    }
    let mut out = [0u8; KEY_ID_LEN];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        if let [high, low] = pair {
            *byte = (high << 4 | low) as u8;
        }
    }
    Ok(out)
}

/// Copies secret bytes from JS straight into zeroized wasm memory (no unzeroized copy remains).
pub(crate) fn secret_bytes(value: &js_sys::Uint8Array) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![0u8; value.length() as usize]);
    value.copy_to(&mut out);
    out
}

/// A 32-byte key-encryption key from JS, copied straight into zeroized wasm memory.
pub(crate) fn kek(value: &js_sys::Uint8Array) -> Result<Zeroizing<[u8; 32]>> {
    let mut out = Zeroizing::new([0u8; 32]);
    if value.length() as usize != out.len() {
        return Err(Error::InvalidInput("key-encryption key must be 32 bytes"));
    }
    value.copy_to(&mut *out);
    Ok(out)
}

/// A JS string as UTF-8 bytes in zeroized wasm memory.
pub(crate) fn secret_text(value: &js_sys::JsString) -> Zeroizing<String> {
    Zeroizing::new(String::from(value))
}
