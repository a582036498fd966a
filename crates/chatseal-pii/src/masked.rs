//! A [`chatseal::Session`] with local PII masking: the masked seal fills the metadata counts,
//! label values are checked for personal data, and the vault of originals (with the masking
//! policy) travels in the state blob's extension section, so the core never sees either.

use crate::{scan, MaskMode, MaskPolicy, Masked, Restored, Vault};
use chatseal::{DeletionRecord, Error, ImportOptions, Metadata, PiiCategory, Result, Session, SessionHandle};
use core::fmt;

/// Version byte of the extension section this crate writes (`SPEC.md` § 13.5).
const EXTENSION_FORMAT: u8 = 1;

/// A session whose text turns can be masked before sealing, restored after opening.
pub struct MaskedSession {
    session: Session,
    vault: Vault,
    policy: MaskPolicy,
}

impl fmt::Debug for MaskedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MaskedSession")
            .field("session", &self.session)
            .field("vault", &self.vault)
            .field("policy", &self.policy)
            .finish()
    }
}

/// What [`MaskedSession::forget`] deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaskedDeletion {
    /// The session's keys.
    pub record: DeletionRecord,
    /// How many original values the vault held (zeroized).
    pub pii_values_deleted: usize,
}

impl MaskedSession {
    /// Masking around `session`, with an empty vault.
    pub fn new(session: Session, policy: MaskPolicy) -> Self {
        MaskedSession { session, vault: Vault::new(), policy }
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The session, to open, rekey or read its status. Sealing through it skips the label check;
    /// prefer [`MaskedSession::seal`].
    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }

    /// The masking policy.
    pub fn policy(&self) -> &MaskPolicy {
        &self.policy
    }

    /// Replaces the masking policy (kept in the state blob).
    pub fn set_policy(&mut self, policy: MaskPolicy) {
        self.policy = policy;
    }

    /// How many original values the vault holds.
    pub fn vault_len(&self) -> usize {
        self.vault.len()
    }

    /// Refuses metadata whose label values hold personal data: labels travel in clear. Every
    /// seal of this type runs it; callers sealing through [`MaskedSession::session_mut`] (a
    /// stream chunk, a close) run it first themselves.
    pub fn check_labels(metadata: &Metadata) -> Result<()> {
        for label in metadata.labels() {
            if !scan(label.value())?.is_empty() {
                return Err(Error::InvalidInput("a label value holds personal data"));
            }
        }
        Ok(())
    }

    /// Seals `body` unmasked (a binary turn, or text the caller already checked), after the
    /// label check.
    pub fn seal(&mut self, body: &[u8], metadata: &Metadata) -> Result<Vec<u8>> {
        Self::check_labels(metadata)?;
        self.session.seal(body, metadata)
    }

    /// Masks personal data in `text` per the session's policy, records the per-category counts
    /// in the metadata, and seals the masked text. Numbered placeholders (`[EMAIL_1]`) stay stable
    /// for the whole session; their originals stay in this session (and its state blob) only.
    /// Returns the envelope and the masking result (findings as byte offsets into `text`). On
    /// error the vault and the session are unchanged.
    pub fn seal_masked(&mut self, text: &str, metadata: &Metadata) -> Result<(Vec<u8>, Masked)> {
        let policy = self.policy;
        self.seal_masked_with(text, metadata, &policy)
    }

    /// [`MaskedSession::seal_masked`] with a policy for this turn only.
    pub fn seal_masked_with(
        &mut self,
        text: &str,
        metadata: &Metadata,
        policy: &MaskPolicy,
    ) -> Result<(Vec<u8>, Masked)> {
        self.masked_step(text, metadata, policy, |s, body, meta| s.seal(body, meta))
    }

    /// A masked chunk of a stream ([`Session::seal_chunk`]).
    pub fn seal_chunk_masked(&mut self, text: &str, metadata: &Metadata, end: bool) -> Result<(Vec<u8>, Masked)> {
        let policy = self.policy;
        self.masked_step(text, metadata, &policy, |s, body, meta| s.seal_chunk(body, meta, end))
    }

    /// Masks `text` with `policy`, records the counts in a copy of `metadata`, and seals the masked
    /// text with `seal` (a turn, a stream chunk or a close of the session), after the label
    /// check. If `seal` fails the vault is left as it was.
    pub fn masked_step(
        &mut self,
        text: &str,
        metadata: &Metadata,
        policy: &MaskPolicy,
        seal: impl FnOnce(&mut Session, &[u8], &Metadata) -> Result<Vec<u8>>,
    ) -> Result<(Vec<u8>, Masked)> {
        Self::check_labels(metadata)?;
        // A seal that fails after masking must not leave newly numbered values behind.
        let before = self.vault.len();
        let masked = self.vault.mask(text, policy)?;
        let mut metadata = metadata.clone();
        metadata.pii = masked.counts;
        match seal(&mut self.session, masked.text.as_bytes(), &metadata) {
            Ok(envelope) => Ok((envelope, masked)),
            Err(e) => {
                self.vault.truncate(before);
                Err(e)
            }
        }
    }

    /// Masks `text` with the session's policy and vault without sealing (e.g. to show the
    /// visitor what will be sent). Registers new numbered placeholders like a masked seal would.
    pub fn mask(&mut self, text: &str) -> Result<Masked> {
        let policy = self.policy;
        self.vault.mask(text, &policy)
    }

    /// Fills this session's numbered placeholders back in, in plain text only (see
    /// [`Vault::restore`]: placeholders inside URLs and link targets stay masked and are reported).
    pub fn restore(&self, text: &str) -> Restored {
        self.vault.restore(text)
    }

    /// Exports the session with the policy and the vault in the state blob's extension.
    pub fn export_state(&mut self, kek: &[u8; 32]) -> Result<Vec<u8>> {
        let extension = encode_extension(&self.policy, &self.vault);
        self.session.export_state_with(kek, &extension)
    }

    /// Restores a session exported by [`MaskedSession::export_state`] (or by a plain
    /// [`Session::export_state`]: empty vault, default policy).
    pub fn import_state(blob: &[u8], kek: &[u8; 32], expected: &SessionHandle, options: ImportOptions) -> Result<Self> {
        let (session, extension) = Session::import_state_with(blob, kek, expected, options)?;
        let (policy, vault) = decode_extension(&extension)?;
        Ok(MaskedSession { session, vault, policy })
    }

    /// Crypto-shredding: the session's keys and the vault's originals are zeroized.
    pub fn forget(self, now_unix: u64) -> MaskedDeletion {
        let pii_values_deleted = self.vault.len();
        let MaskedSession { session, vault, .. } = self;
        drop(vault);
        MaskedDeletion { record: session.forget(now_unix), pii_values_deleted }
    }
}

fn mode_id(mode: MaskMode) -> u8 {
    MaskMode::ALL.iter().position(|&m| m == mode).unwrap_or(0) as u8
}

/// Format byte, one mode byte per category in wire order, then the vault encoding.
fn encode_extension(policy: &MaskPolicy, vault: &Vault) -> zeroize::Zeroizing<Vec<u8>> {
    let vault = vault.to_bytes();
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(1 + PiiCategory::ALL.len() + vault.len()));
    out.push(EXTENSION_FORMAT);
    out.extend(PiiCategory::ALL.iter().map(|&c| mode_id(policy.mode(c))));
    out.extend_from_slice(&vault);
    out
}

/// The extension; empty means a session that never had one.
fn decode_extension(bytes: &[u8]) -> Result<(MaskPolicy, Vault)> {
    let Some((&format, rest)) = bytes.split_first() else { return Ok((MaskPolicy::default(), Vault::new())) };
    if format != EXTENSION_FORMAT {
        return Err(Error::UnsupportedVersion);
    }
    let (modes, vault) = rest.split_at_checked(PiiCategory::ALL.len()).ok_or(Error::Malformed("pii extension"))?;
    let mut policy = MaskPolicy::default();
    for (&category, &id) in PiiCategory::ALL.iter().zip(modes) {
        let mode = MaskMode::ALL.get(usize::from(id)).ok_or(Error::Malformed("pii extension"))?;
        policy.set(category, *mode).map_err(|_| Error::Malformed("pii extension"))?;
    }
    Ok((policy, Vault::from_bytes(vault)?))
}
