//! Masked text: the result of [`Vault::mask`](super::Vault::mask).

use core::fmt;

use super::{Finding, PiiCounts};
use crate::PiiCategory;
use crate::Result;

/// Text with its findings replaced according to a [`MaskPolicy`](super::MaskPolicy).
///
/// `Debug` shows lengths and findings only: with [`MaskMode::Keep`](super::MaskMode::Keep) the
/// text may still hold personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct Masked {
    /// The masked text.
    pub text: String,
    /// What was found, as byte offsets into the *original* text, sorted.
    pub findings: Vec<Finding>,
    /// Where each finding's replacement sits in [`Masked::text`] (byte offsets), in the same order.
    pub masked_spans: Vec<(usize, usize)>,
    /// Findings per category (all modes, `Keep` included), for the envelope metadata.
    pub counts: PiiCounts,
}

impl fmt::Debug for Masked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Masked")
            .field("text_len", &self.text.len())
            .field("findings", &self.findings)
            .field("counts", &self.counts)
            .finish()
    }
}

/// Builds masked text: every finding's span is replaced by what `replacement` returns for it
/// (`None` keeps the original). Stops at the first error.
pub(super) fn assemble(
    text: &str,
    findings: Vec<Finding>,
    mut replacement: impl FnMut(&Finding, &str) -> Result<Option<String>>,
) -> Result<Masked> {
    let mut out = String::with_capacity(text.len() + findings.len() * 8);
    let mut masked_spans = Vec::with_capacity(findings.len());
    let mut last = 0;
    for f in &findings {
        let (Some(before), Some(value)) = (text.get(last..f.start), text.get(f.start..f.end)) else {
            continue;
        };
        out.push_str(before);
        let start = out.len();
        match replacement(f, value)? {
            Some(r) => out.push_str(&r),
            None => out.push_str(value),
        }
        masked_spans.push((start, out.len()));
        last = f.end;
    }
    out.push_str(text.get(last..).unwrap_or_default());
    let counts = count(findings.iter().map(|f| f.category));
    Ok(Masked { text: out, findings, masked_spans, counts })
}

/// Counts per category.
pub(super) fn count(categories: impl Iterator<Item = PiiCategory>) -> PiiCounts {
    let mut counts = PiiCounts::default();
    for c in categories {
        counts.add(c);
    }
    counts
}
