//! Local PII detection from JavaScript (`crate::pii`): where personal data sits in a text, with
//! offsets in UTF-16 code units so they index JS strings directly.

use super::convert::secret_text;
use super::error::JsResult;
use super::view::to_js;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_PII: &str = r#"
/** One piece of personal data in a text: its category and place, never its value. */
export interface PiiFinding {
  category: PiiCategory;
  /** Offsets in UTF-16 code units: `text.slice(start, end)` is the finding. */
  start: number;
  end: number;
}

/** `Session.maskText` result: the masked text and what was found (offsets into the original). */
export interface MaskedText {
  text: string;
  findings: PiiFinding[];
}
"#;

#[derive(Serialize)]
struct FindingView {
    category: &'static str,
    start: usize,
    end: usize,
}

#[derive(Serialize)]
struct MaskedView<'a> {
    text: &'a str,
    findings: Vec<FindingView>,
}

fn finding_views(text: &str, findings: &[crate::pii::Finding]) -> Vec<FindingView> {
    let offsets = crate::pii::utf16_offsets(text, findings);
    findings
        .iter()
        .zip(offsets)
        .map(|(f, (start, end))| FindingView { category: f.category.name(), start, end })
        .collect()
}

/// A `MaskedText` object for `original` masked as `masked`.
pub(crate) fn masked_view(original: &str, masked: &crate::pii::Masked) -> crate::Result<JsValue> {
    to_js(&MaskedView { text: &masked.text, findings: finding_views(original, &masked.findings) })
}

/// Finds personal data in `text` locally (nothing leaves the page): findings sorted by start,
/// never overlapping. Texts above 4 MiB fail with `limit_exceeded`.
#[wasm_bindgen(js_name = scanPii, unchecked_return_type = "PiiFinding[]")]
pub fn scan_pii(text: &js_sys::JsString) -> JsResult<JsValue> {
    let text = secret_text(text);
    let findings = crate::pii::scan(&text)?;
    Ok(to_js(&finding_views(&text, &findings))?)
}
