//! A text with some findings replaced by `[TAG]` placeholders, and the way back from offsets
//! in it to offsets in the original (see [`scan`](super::scan)).

use super::Finding;

/// The masked view of a text.
pub(super) struct View {
    text: String,
    /// Unmasked stretches: (start in the view, start in the original, length), in order.
    gaps: Vec<(usize, usize, usize)>,
}

impl View {
    /// `findings` sorted and disjoint, as [`scan`](super::scan) keeps them.
    pub fn new(original: &str, findings: &[Finding]) -> Self {
        let mut text = String::with_capacity(original.len());
        let mut gaps = Vec::with_capacity(findings.len() + 1);
        let mut last = 0;
        for f in findings {
            let Some(gap) = original.get(last..f.start) else {
                continue;
            };
            gaps.push((text.len(), last, gap.len()));
            text.push_str(gap);
            // `[TAG]`, as placeholder::type_only writes it, without an allocation per finding.
            text.push('[');
            text.push_str(f.category.placeholder_tag());
            text.push(']');
            last = f.end;
        }
        gaps.push((text.len(), last, original.len().saturating_sub(last)));
        text.push_str(original.get(last..).unwrap_or_default());
        View { text, gaps }
    }

    /// The view's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The finding in original offsets, if it lies inside one unmasked stretch (a finding that
    /// would swallow a placeholder is dropped: its parts are already reported).
    pub fn to_original(&self, f: Finding) -> Option<Finding> {
        let k = self.gaps.partition_point(|&(view_start, _, _)| view_start <= f.start).checked_sub(1)?;
        let &(view_start, original_start, len) = self.gaps.get(k)?;
        (f.end <= view_start + len).then(|| Finding {
            category: f.category,
            start: original_start + (f.start - view_start),
            end: original_start + (f.end - view_start),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PiiCategory;

    #[test]
    fn maps_back() {
        let original = "ab 4111111111111111 cd x@y.com ef";
        let f = |category, start, end| Finding { category, start, end };
        let v = View::new(original, &[f(PiiCategory::Card, 3, 19), f(PiiCategory::Email, 23, 30)]);
        assert_eq!(v.text(), "ab [CARD] cd [EMAIL] ef");
        assert_eq!(v.to_original(f(PiiCategory::Phone, 10, 12)), Some(f(PiiCategory::Phone, 20, 22)));
        assert_eq!(v.to_original(f(PiiCategory::Phone, 21, 23)), Some(f(PiiCategory::Phone, 31, 33)));
        assert_eq!(v.to_original(f(PiiCategory::Phone, 8, 12)), None);
    }
}
