//! Local PII detection and masking from JavaScript (`chatseal-pii`): where personal data sits in
//! a text (offsets in UTF-16 code units, so they index JS strings directly), masking previews,
//! and filling a session's placeholders back in.

use crate::args;
use crate::error::JsResult;
use crate::session::Session;
use crate::{scrub, view};
use chatseal::MAX_PLAINTEXT;
use chatseal_pii::{Finding, MaskPolicy, Masked, PiiCategory};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use zeroize::Zeroize;

#[wasm_bindgen(typescript_custom_section)]
const TS_PII: &str = r#"
/** One piece of personal data in a text: its category and place, never its value. */
export interface PiiFinding {
  category: PiiCategory;
  /** Offsets in UTF-16 code units: `text.slice(start, end)` is the finding. */
  start: number;
  end: number;
}

/** `Session.restore` result: the text with this session's placeholders filled in, and the placeholders left masked. */
export interface Restored {
  text: string;
  /** Placeholders inside URLs or link targets, left masked: offsets (UTF-16 code units) into `text`. */
  withheld: PiiFinding[];
}

/** `Session.maskText` result: the masked text and what was found (offsets into the original). */
export interface MaskedText {
  text: string;
  findings: PiiFinding[];
}
"#;

#[derive(Serialize)]
struct FindingView {
    category: view::Name,
    start: usize,
    end: usize,
}

#[derive(Serialize)]
struct RestoredView<'a> {
    text: &'a str,
    withheld: Vec<FindingView>,
}

#[derive(Serialize)]
struct MaskedView<'a> {
    text: &'a str,
    findings: Vec<FindingView>,
}

fn finding_views(text: &str, findings: &[Finding]) -> Vec<FindingView> {
    let offsets = chatseal_pii::utf16_offsets(text, findings);
    findings
        .iter()
        .zip(offsets)
        .map(|(f, (start, end))| FindingView { category: view::Name(f.category.name()), start, end })
        .collect()
}

/// A `MaskedText` object for `original` masked as `masked`; the masked text is wiped after.
fn masked_view(original: &str, mut masked: Masked) -> JsResult<JsValue> {
    let out = view::to_js(&MaskedView { text: &masked.text, findings: finding_views(original, &masked.findings) });
    masked.text.zeroize();
    out
}

/// `{ category: mode }` of a policy, every category present.
fn policy_view(policy: &MaskPolicy) -> JsResult<JsValue> {
    let modes: Vec<(&str, &str)> = PiiCategory::ALL.iter().map(|&c| (c.name(), policy.mode(c).name())).collect();
    let object = js_sys::Object::new();
    for (category, mode) in modes {
        js_sys::Reflect::set(&object, &category.into(), &mode.into()).map_err(|_| chatseal::Error::State("policy"))?;
    }
    Ok(object.into())
}

/// Finds personal data in `text` locally (nothing leaves the page): findings sorted by start,
/// never overlapping. Texts above 4 MiB fail with `limit_exceeded`.
#[wasm_bindgen(js_name = scanPii, unchecked_return_type = "PiiFinding[]")]
pub fn scan_pii(#[wasm_bindgen(unchecked_param_type = "string")] text: &JsValue) -> JsResult<JsValue> {
    scrub::after(|| {
        let text = args::text(text, "text", chatseal_pii::MAX_SCAN_BYTES)?;
        view::to_js(&finding_views(&text, &chatseal_pii::scan(&text)?))
    })
}

#[wasm_bindgen]
impl Session {
    /// Masks `text` with the session's policy without sealing (to show what will be sent).
    /// Numbered placeholders are registered as a masked seal would.
    #[wasm_bindgen(js_name = maskText, unchecked_return_type = "MaskedText")]
    pub fn mask_text(&self, #[wasm_bindgen(unchecked_param_type = "string")] text: &JsValue) -> JsResult<JsValue> {
        scrub::after(|| {
            let text = args::text(text, "text", MAX_PLAINTEXT)?;
            let masked = self.with(|inner| Ok(inner.mask(&text)?))?;
            masked_view(&text, masked)
        })
    }

    /// Fills this session's numbered placeholders (`[EMAIL_1]`) in `text` back in with the
    /// originals, locally, in plain text only: a placeholder inside a URL or a link target stays
    /// masked (filling it in would send the value wherever the link points) and is listed in
    /// `withheld`. Unknown placeholders stay as they are.
    #[wasm_bindgen(unchecked_return_type = "Restored")]
    pub fn restore(&self, #[wasm_bindgen(unchecked_param_type = "string")] text: &JsValue) -> JsResult<JsValue> {
        scrub::after(|| {
            let text = args::text(text, "text", MAX_PLAINTEXT)?;
            let restored = self.with(|inner| Ok(inner.restore(&text)))?;
            let withheld: Vec<FindingView> = restored
                .withheld
                .iter()
                .zip(restored.withheld_utf16())
                .map(|(w, (start, end))| FindingView { category: view::Name(w.category.name()), start, end })
                .collect();
            view::to_js(&RestoredView { text: &restored.text, withheld })
        })
    }

    /// Replaces the masking policy (kept in the state blob).
    #[wasm_bindgen(js_name = setMaskPolicy)]
    pub fn set_mask_policy(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MaskPolicy")] policy: &JsValue,
    ) -> JsResult<()> {
        let pairs = args::string_pairs(policy, "policy", "an object of category: mode", false)?;
        let names: Vec<(&str, &str)> = pairs.iter().map(|(c, m)| (c.as_str(), m.as_str())).collect();
        let policy = MaskPolicy::from_names(&names)?;
        self.with(|inner| {
            inner.set_policy(policy);
            Ok(())
        })
    }

    /// The masking policy, every category present.
    #[wasm_bindgen(getter, js_name = maskPolicy, unchecked_return_type = "Required<MaskPolicy>")]
    pub fn mask_policy(&self) -> JsResult<JsValue> {
        let policy = self.with(|inner| Ok(*inner.policy()))?;
        policy_view(&policy)
    }

    /// How many original values the session's vault holds (zeroized by `forget()`).
    #[wasm_bindgen(getter, js_name = vaultSize)]
    pub fn vault_size(&self) -> JsResult<u32> {
        self.with(|inner| Ok(inner.vault_len() as u32))
    }
}
