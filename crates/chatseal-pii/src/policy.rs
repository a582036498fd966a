//! Masking modes and the per-category masking policy.

use super::slot;
use crate::{Error, PiiCategory, Result};

/// How findings of one category are written in masked text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MaskMode {
    /// `[EMAIL_1]`: numbered per session, the same value keeps its number; restorable locally.
    #[default]
    Numbered,
    /// `[EMAIL]`: the category only; not restorable.
    TypeOnly,
    /// `[CARD ****1234]`: cards only, the last four digits kept, never the issuer digits.
    Partial,
    /// Left as written (still reported and counted).
    Keep,
}

impl MaskMode {
    /// All modes.
    pub const ALL: [MaskMode; 4] = [MaskMode::Numbered, MaskMode::TypeOnly, MaskMode::Partial, MaskMode::Keep];

    /// Name used by bindings: `"numbered"`, `"type"`, `"partial"`, `"keep"`.
    pub fn name(self) -> &'static str {
        match self {
            MaskMode::Numbered => "numbered",
            MaskMode::TypeOnly => "type",
            MaskMode::Partial => "partial",
            MaskMode::Keep => "keep",
        }
    }

    /// The mode for a name as returned by [`MaskMode::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// Which [`MaskMode`] applies to each [`PiiCategory`]. The default numbers every category.
///
/// [`MaskMode::Partial`] is only meaningful for cards: setting it for any other category is
/// rejected with [`Error::InvalidInput`], so a policy never holds it elsewhere.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MaskPolicy {
    modes: [MaskMode; 7],
}

impl MaskPolicy {
    /// Every category [`MaskMode::Numbered`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The same mode for every category (not [`MaskMode::Partial`]).
    pub fn uniform(mode: MaskMode) -> Result<Self> {
        let mut policy = Self::default();
        for category in PiiCategory::ALL {
            policy.set(category, mode)?;
        }
        Ok(policy)
    }

    /// Sets the mode of one category.
    pub fn set(&mut self, category: PiiCategory, mode: MaskMode) -> Result<()> {
        if mode == MaskMode::Partial && category != PiiCategory::Card {
            return Err(Error::InvalidInput("partial masking applies to cards only"));
        }
        if let Some(m) = self.modes.get_mut(slot(category)) {
            *m = mode;
        }
        Ok(())
    }

    /// Builder form of [`MaskPolicy::set`].
    pub fn with(mut self, category: PiiCategory, mode: MaskMode) -> Result<Self> {
        self.set(category, mode)?;
        Ok(self)
    }

    /// The mode of one category.
    pub fn mode(&self, category: PiiCategory) -> MaskMode {
        self.modes.get(slot(category)).copied().unwrap_or_default()
    }

    /// From `(category name, mode name)` pairs, e.g. `[("card", "partial"), ("ip", "keep")]`;
    /// unnamed categories stay numbered. Unknown names are [`Error::InvalidInput`].
    pub fn from_names(pairs: &[(&str, &str)]) -> Result<Self> {
        let mut policy = Self::default();
        for &(category, mode) in pairs {
            let category = PiiCategory::from_name(category).ok_or(Error::InvalidInput("unknown pii category name"))?;
            let mode = MaskMode::from_name(mode).ok_or(Error::InvalidInput("unknown mask mode name"))?;
            policy.set(category, mode)?;
        }
        Ok(policy)
    }

    /// True when some category is masked (not [`MaskMode::Keep`]).
    pub fn masks_anything(&self) -> bool {
        self.modes.iter().any(|&m| m != MaskMode::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in MaskMode::ALL {
            assert_eq!(MaskMode::from_name(m.name()), Some(m));
        }
        assert_eq!(MaskMode::from_name("Numbered"), None);
    }

    #[test]
    fn partial_only_for_cards() {
        let mut p = MaskPolicy::new();
        assert!(p.set(PiiCategory::Card, MaskMode::Partial).is_ok());
        assert_eq!(
            p.set(PiiCategory::Email, MaskMode::Partial),
            Err(Error::InvalidInput("partial masking applies to cards only"))
        );
        assert_eq!(p.mode(PiiCategory::Email), MaskMode::Numbered);
        assert!(MaskPolicy::uniform(MaskMode::Partial).is_err());
    }

    #[test]
    fn from_names() {
        let p = MaskPolicy::from_names(&[("card", "partial"), ("ip", "keep"), ("email", "type")]).unwrap();
        assert_eq!(p.mode(PiiCategory::Card), MaskMode::Partial);
        assert_eq!(p.mode(PiiCategory::Ip), MaskMode::Keep);
        assert_eq!(p.mode(PiiCategory::Email), MaskMode::TypeOnly);
        assert_eq!(p.mode(PiiCategory::Phone), MaskMode::Numbered);
        assert!(MaskPolicy::from_names(&[("cards", "keep")]).is_err());
        assert!(MaskPolicy::from_names(&[("card", "hide")]).is_err());
        assert!(MaskPolicy::from_names(&[("ssn", "partial")]).is_err());
        assert!(!MaskPolicy::uniform(MaskMode::Keep).unwrap().masks_anything());
    }
}
