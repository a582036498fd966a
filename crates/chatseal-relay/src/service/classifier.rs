//! Moderation verdicts the service end attaches to the metadata of its replies (label
//! `mod.flag`, a comma list), so the relay's flagged-sessions query works without content.

use chatseal::Metadata;

/// A pluggable classifier of visitor turns.
pub trait Classifier: Send + Sync {
    /// Flags for a visitor turn (each `[a-z0-9_.-]`, short); empty when nothing is wrong.
    fn classify(&self, text: &str, metadata: &Metadata) -> Vec<String>;
}

/// The built-in classifier: word lists per flag, `pii` when the widget reported masked PII,
/// `pii_unmasked` when the turn still holds personal data the widget did not mask.
#[derive(Clone, Debug)]
pub struct KeywordClassifier {
    rules: Vec<(String, Vec<String>)>,
    scan_pii: bool,
}

impl Default for KeywordClassifier {
    fn default() -> Self {
        let rule = |flag: &str, words: &[&str]| (flag.to_owned(), words.iter().map(|w| (*w).to_owned()).collect());
        KeywordClassifier {
            rules: vec![
                rule("abuse", &["idiot", "stupid", "moron", "shut up"]),
                rule("threat", &["kill you", "hurt you", "bomb"]),
                rule("self_harm", &["kill myself", "end my life", "suicide"]),
            ],
            scan_pii: true,
        }
    }
}

impl KeywordClassifier {
    /// Custom rules: (flag, lower-case phrases).
    pub fn new(rules: Vec<(String, Vec<String>)>, scan_pii: bool) -> Self {
        KeywordClassifier { rules, scan_pii }
    }
}

impl Classifier for KeywordClassifier {
    fn classify(&self, text: &str, metadata: &Metadata) -> Vec<String> {
        let lower = text.to_lowercase();
        let mut flags: Vec<String> = self
            .rules
            .iter()
            .filter(|(_, words)| words.iter().any(|w| lower.contains(w.as_str())))
            .map(|(f, _)| f.clone())
            .collect();
        if metadata.pii.total() > 0 {
            flags.push("pii".into());
        }
        if self.scan_pii && chatseal_pii::scan(text).is_ok_and(|found| !found.is_empty()) {
            flags.push("pii_unmasked".into());
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatseal::Role;

    #[test]
    fn flags_words_reported_pii_and_unmasked_pii() {
        let c = KeywordClassifier::default();
        let mut m = Metadata::new(Role::Visitor, 0, 0).unwrap();
        assert!(c.classify("hello there", &m).is_empty());
        assert_eq!(c.classify("you IDIOT", &m), ["abuse"]);
        m.pii.set(chatseal::PiiCategory::Email, 1);
        assert_eq!(c.classify("write to [EMAIL_1]", &m), ["pii"]);
        let flags = c.classify("mail me at ana.lopez@example.com", &Metadata::new(Role::Visitor, 0, 0).unwrap());
        assert_eq!(flags, ["pii_unmasked"]);
    }
}
