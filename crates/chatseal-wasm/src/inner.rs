//! What a JS `Session` holds: a `chatseal_pii::MaskedSession` in PII builds, a plain
//! `chatseal::Session` in crypto-only builds, behind one set of functions so the bindings do not
//! care which.

use crate::options::{Masking, Policy, TurnArgs};
use chatseal::{ImportOptions, Metadata, Result, Session, SessionHandle};

#[cfg(feature = "pii")]
pub(crate) type Inner = chatseal_pii::MaskedSession;
#[cfg(not(feature = "pii"))]
pub(crate) type Inner = Session;

/// Wraps a core session.
pub(crate) fn wrap(session: Session, policy: Policy) -> Inner {
    #[cfg(feature = "pii")]
    return chatseal_pii::MaskedSession::new(session, policy);
    #[cfg(not(feature = "pii"))]
    {
        let Policy = policy;
        session
    }
}

/// The core session.
pub(crate) fn core(inner: &Inner) -> &Session {
    #[cfg(feature = "pii")]
    return inner.session();
    #[cfg(not(feature = "pii"))]
    inner
}

/// The core session, mutably.
pub(crate) fn core_mut(inner: &mut Inner) -> &mut Session {
    #[cfg(feature = "pii")]
    return inner.session_mut();
    #[cfg(not(feature = "pii"))]
    inner
}

/// What kind of seal.
#[derive(Clone, Copy)]
pub(crate) enum Step {
    Turn,
    Chunk { end: bool },
    Close,
}

fn seal_plain(session: &mut Session, body: &[u8], metadata: &Metadata, step: Step) -> Result<Vec<u8>> {
    match step {
        Step::Turn => session.seal(body, metadata),
        Step::Chunk { end } => session.seal_chunk(body, metadata, end),
        Step::Close => session.close(body, metadata),
    }
}

/// Seals `body` as `step` with the metadata `turn` describes, masking it first as `turn` says
/// (PII builds; the label values are checked for personal data either way).
pub(crate) fn seal(inner: &mut Inner, body: &[u8], turn: &TurnArgs, step: Step) -> Result<Vec<u8>> {
    let session = core(inner);
    let metadata = turn.metadata(session.side(), session.time_granularity())?;
    #[cfg(feature = "pii")]
    {
        let policy = match &turn.masking {
            Masking::Off => {
                chatseal_pii::MaskedSession::check_labels(&metadata)?;
                return seal_plain(inner.session_mut(), body, &metadata, step);
            }
            Masking::Session => *inner.policy(),
            Masking::Policy(policy) => *policy,
        };
        // The body of a masked seal is text: the caller passes it as UTF-8 from a JS string.
        let text = core::str::from_utf8(body).map_err(|_| chatseal::Error::InvalidInput("masked text"))?;
        let (envelope, mut masked) =
            inner.masked_step(text, &metadata, &policy, |s, body, meta| seal_plain(s, body, meta, step))?;
        zeroize::Zeroize::zeroize(&mut masked.text);
        Ok(envelope)
    }
    #[cfg(not(feature = "pii"))]
    {
        let Masking::Off = turn.masking;
        seal_plain(inner, body, &metadata, step)
    }
}

/// Exports the state (with the vault and policy in the extension in PII builds).
pub(crate) fn export_state(inner: &mut Inner, kek: &[u8; 32]) -> Result<Vec<u8>> {
    inner.export_state(kek)
}

/// Restores a session exported by [`export_state`].
pub(crate) fn import_state(
    blob: &[u8],
    kek: &[u8; 32],
    expected: &SessionHandle,
    options: ImportOptions,
) -> Result<Inner> {
    Inner::import_state(blob, kek, expected, options)
}

/// The deletion record of forgetting the session, and how many PII values its vault holds:
/// the caller then drops the session where it lies.
pub(crate) fn deletion(inner: &Inner, now: u64) -> (chatseal::DeletionRecord, usize) {
    #[cfg(feature = "pii")]
    return (inner.session().deletion_record(now), inner.vault_len());
    #[cfg(not(feature = "pii"))]
    (inner.deletion_record(now), 0)
}
