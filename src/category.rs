//! PII categories: shared by the masking engine and the envelope metadata counts.

/// A category of personal data the masking engine detects and the metadata counts.
///
/// The numeric [`PiiCategory::wire_id`] is part of the wire format (`SPEC.md` § Metadata) and never changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PiiCategory {
    /// Payment card number (Luhn-valid, known issuer prefix).
    Card,
    /// E-mail address.
    Email,
    /// Telephone number.
    Phone,
    /// US Social Security number.
    Ssn,
    /// International Bank Account Number (mod-97 valid).
    Iban,
    /// IPv4 or IPv6 address.
    Ip,
    /// Credential: API token, private key block, URL with embedded password.
    Secret,
}

impl PiiCategory {
    /// All categories in wire-id order.
    pub const ALL: [PiiCategory; 7] = [
        PiiCategory::Card,
        PiiCategory::Email,
        PiiCategory::Phone,
        PiiCategory::Ssn,
        PiiCategory::Iban,
        PiiCategory::Ip,
        PiiCategory::Secret,
    ];

    /// The byte that stands for this category on the wire.
    pub fn wire_id(self) -> u8 {
        match self {
            PiiCategory::Card => 1,
            PiiCategory::Email => 2,
            PiiCategory::Phone => 3,
            PiiCategory::Ssn => 4,
            PiiCategory::Iban => 5,
            PiiCategory::Ip => 6,
            PiiCategory::Secret => 7,
        }
    }

    /// The category for a wire byte, if any.
    pub fn from_wire_id(id: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.wire_id() == id)
    }

    /// Lower-case name used in JSON/JS objects (`"card"`, `"email"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            PiiCategory::Card => "card",
            PiiCategory::Email => "email",
            PiiCategory::Phone => "phone",
            PiiCategory::Ssn => "ssn",
            PiiCategory::Iban => "iban",
            PiiCategory::Ip => "ip",
            PiiCategory::Secret => "secret",
        }
    }

    /// The category for a name as returned by [`PiiCategory::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Upper-case tag used in placeholders (`[EMAIL_1]`, `[CARD]`).
    pub fn placeholder_tag(self) -> &'static str {
        match self {
            PiiCategory::Card => "CARD",
            PiiCategory::Email => "EMAIL",
            PiiCategory::Phone => "PHONE",
            PiiCategory::Ssn => "SSN",
            PiiCategory::Iban => "IBAN",
            PiiCategory::Ip => "IP",
            PiiCategory::Secret => "SECRET",
        }
    }
}
