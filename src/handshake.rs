//! Key agreement (`SPEC.md` § Handshake): pinned service key (0-RTT) and mutual ephemeral with a
//! commitment, both ending in a [`Session`].

use crate::error::{Error, Result};
use crate::kdf::{commitment, derive_epoch0, Agreed, Transcript};
use crate::keys::{EphemeralSecret, ServiceKeyPair, ServicePublicKey};
use crate::metadata::MAX_GRANULARITY_SECS;
use crate::session::{Opened, Session, SessionOptions, Side};
use crate::wire::{
    encode_answer, encode_offer, parse_answer, parse_offer, Envelope, Hello, Mode, SessionId, KEY_ID_LEN,
};
use core::fmt;

impl Session {
    /// Pinned mode, initiator: a new session with the service whose public key the widget pins.
    /// The first sealed turn carries the hello, so no round trip is needed.
    pub fn initiate_pinned(service: &ServicePublicKey, mut options: SessionOptions) -> Result<Session> {
        check_granularity(options.time_granularity)?;
        let ephemeral = EphemeralSecret::generate(&mut options.entropy)?;
        let session_id: SessionId = options.entropy.array()?;
        let initiator_public = *ephemeral.public();
        let transcript = Transcript {
            mode: Mode::Pinned,
            session_id: &session_id,
            key_id: service.key_id(),
            initiator_public: &initiator_public,
            responder_public: service.as_bytes(),
        };
        let agreed = derive_epoch0(&*ephemeral.diffie_hellman(service.as_bytes())?, &transcript)?;
        let hello = Hello { mode: Mode::Pinned, key_id: *service.key_id(), initiator_public };
        Ok(Session::new(Side::Initiator, Mode::Pinned, session_id, *service.key_id(), agreed, Some(hello), options))
    }
}

/// The service's static keys by key id. Sessions started under a key keep working while it is
/// held; retiring it makes them unopenable, by design.
#[derive(Debug, Default)]
pub struct ServiceKeyring {
    keys: Vec<ServiceKeyPair>,
}

impl ServiceKeyring {
    /// An empty keyring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key pair (replacing one with the same key id).
    pub fn insert(&mut self, pair: ServiceKeyPair) {
        self.retire(pair.public_key().key_id());
        self.keys.push(pair);
    }

    /// Removes (and zeroizes) the key with this id; returns whether it was held.
    pub fn retire(&mut self, key_id: &[u8; KEY_ID_LEN]) -> bool {
        let before = self.keys.len();
        self.keys.retain(|k| k.public_key().key_id() != key_id);
        self.keys.len() != before
    }

    /// The key pair with this id.
    pub fn get(&self, key_id: &[u8; KEY_ID_LEN]) -> Option<&ServiceKeyPair> {
        self.keys.iter().find(|k| k.public_key().key_id() == key_id)
    }

    /// Derives the responder session from the initiator's first envelope and opens it. Needs no
    /// per-session state: calling it again with the stored first envelope gives the same keys.
    pub fn accept(&self, first_envelope: &[u8], options: SessionOptions) -> Result<(Session, Opened)> {
        check_granularity(options.time_granularity)?;
        let env = Envelope::parse(first_envelope)?;
        let hello = env.hello.as_ref().ok_or(Error::State("not a first envelope (no hello)"))?;
        if hello.mode != Mode::Pinned {
            return Err(Error::State("not a pinned-mode session"));
        }
        let pair = self.get(&hello.key_id).ok_or(Error::UnknownKey)?;
        let transcript = Transcript {
            mode: Mode::Pinned,
            session_id: &env.header.session_id,
            key_id: &hello.key_id,
            initiator_public: &hello.initiator_public,
            responder_public: pair.public_key().as_bytes(),
        };
        let agreed = derive_epoch0(&*pair.diffie_hellman(&hello.initiator_public)?, &transcript)?;
        let (session, opened) = accept_first(agreed, &env, options);
        Ok((session, opened?))
    }
}

/// The responder session for `agreed`, and whether the first envelope opened under it (the
/// session is returned either way, so a caller can keep its keys after a failed open).
fn accept_first(agreed: Agreed, env: &Envelope<'_>, options: SessionOptions) -> (Session, Result<Opened>) {
    let (mode, key_id) = env.hello.as_ref().map_or((Mode::Mutual, [0; KEY_ID_LEN]), |h| (h.mode, h.key_id));
    let mut session = Session::new(Side::Responder, mode, env.header.session_id, key_id, agreed, None, options);
    let opened = session.open_first(env);
    (session, opened)
}

/// Mutual mode, initiator side, between sending the offer and receiving the answer.
pub struct MutualInitiator {
    session_id: SessionId,
    /// Taken by the one successful `complete`.
    pending: Option<(EphemeralSecret, SessionOptions)>,
}

impl fmt::Debug for MutualInitiator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutualInitiator").field("completed", &self.pending.is_none()).finish_non_exhaustive()
    }
}

impl MutualInitiator {
    /// Starts a mutual session; returns the pending initiator and the offer to send.
    /// The offer commits to the initiator's key without revealing it, so a party in the middle
    /// cannot pick its own keys after seeing both sides' to make the safety codes collide.
    pub fn offer(mut options: SessionOptions) -> Result<(Self, Vec<u8>)> {
        check_granularity(options.time_granularity)?;
        let ephemeral = EphemeralSecret::generate(&mut options.entropy)?;
        let session_id: SessionId = options.entropy.array()?;
        let offer = encode_offer(&session_id, &commitment(&session_id, ephemeral.public()));
        Ok((MutualInitiator { session_id, pending: Some((ephemeral, options)) }, offer))
    }

    /// Completes with the responder's answer; the first turn sealed reveals the initiator's key.
    /// Every check runs before the ephemeral secret is used, so a bad or injected answer leaves
    /// this initiator able to complete with the genuine one.
    pub fn complete(&mut self, answer: &[u8]) -> Result<Session> {
        if self.pending.is_none() {
            return Err(Error::State("mutual handshake already completed"));
        }
        let (session_id, responder_public) = parse_answer(answer)?;
        if session_id != self.session_id {
            return Err(Error::WrongSession);
        }
        // A small-order key would make the DH fail after consuming the secret; refuse it first.
        ServicePublicKey::from_bytes(&responder_public)?;
        let (ephemeral, options) = self.pending.take().ok_or(Error::State("mutual handshake already completed"))?;
        let initiator_public = *ephemeral.public();
        let transcript = Transcript {
            mode: Mode::Mutual,
            session_id: &session_id,
            key_id: &[0; KEY_ID_LEN],
            initiator_public: &initiator_public,
            responder_public: &responder_public,
        };
        let agreed = derive_epoch0(&*ephemeral.diffie_hellman(&responder_public)?, &transcript)?;
        let hello = Hello { mode: Mode::Mutual, key_id: [0; KEY_ID_LEN], initiator_public };
        Ok(Session::new(Side::Initiator, Mode::Mutual, session_id, [0; KEY_ID_LEN], agreed, Some(hello), options))
    }
}

/// Refuses a time granularity the metadata could not carry, when the session is created.
fn check_granularity(granularity: u32) -> Result<()> {
    if granularity > MAX_GRANULARITY_SECS {
        return Err(Error::InvalidInput("time granularity"));
    }
    Ok(())
}

/// Mutual mode, responder side, between sending the answer and receiving the first turn.
pub struct MutualResponder {
    session_id: SessionId,
    commitment: [u8; 32],
    responder_public: [u8; 32],
    stage: Stage,
}

enum Stage {
    Waiting(EphemeralSecret, SessionOptions),
    /// The DH was done for a correctly revealed key but the turn did not open; kept so the genuine
    /// first envelope can still be accepted.
    Derived(Agreed, SessionOptions),
    Done,
}

impl fmt::Debug for MutualResponder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutualResponder").finish_non_exhaustive()
    }
}

impl MutualResponder {
    /// Answers an offer; returns the pending responder and the answer to send back.
    pub fn answer(offer: &[u8], mut options: SessionOptions) -> Result<(Self, Vec<u8>)> {
        check_granularity(options.time_granularity)?;
        let (session_id, commitment) = parse_offer(offer)?;
        let ephemeral = EphemeralSecret::generate(&mut options.entropy)?;
        let responder_public = *ephemeral.public();
        let answer = encode_answer(&session_id, &responder_public);
        Ok((
            MutualResponder { session_id, commitment, responder_public, stage: Stage::Waiting(ephemeral, options) },
            answer,
        ))
    }

    /// Checks the revealed key against the offer's commitment, derives the session and opens the
    /// first turn. A failed call leaves this responder able to accept the genuine envelope.
    pub fn accept(&mut self, first_envelope: &[u8]) -> Result<(Session, Opened)> {
        let env = Envelope::parse(first_envelope)?;
        if env.header.session_id != self.session_id {
            return Err(Error::WrongSession);
        }
        let hello = env.hello.as_ref().ok_or(Error::State("not a first envelope (no hello)"))?;
        if hello.mode != Mode::Mutual {
            return Err(Error::State("not a mutual-mode session"));
        }
        if commitment(&self.session_id, &hello.initiator_public) != self.commitment {
            return Err(Error::DecryptFailed);
        }
        let (agreed, options) = match core::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Waiting(ephemeral, options) => {
                let transcript = Transcript {
                    mode: Mode::Mutual,
                    session_id: &self.session_id,
                    key_id: &[0; KEY_ID_LEN],
                    initiator_public: &hello.initiator_public,
                    responder_public: &self.responder_public,
                };
                // On error the ephemeral is gone, rightly: the committed key is small-order, so
                // this handshake can never succeed.
                (derive_epoch0(&*ephemeral.diffie_hellman(&hello.initiator_public)?, &transcript)?, options)
            }
            Stage::Derived(agreed, options) => (agreed, options),
            Stage::Done => return Err(Error::State("mutual handshake already completed")),
        };
        match accept_first(agreed, &env, options) {
            (session, Ok(opened)) => Ok((session, opened)),
            (session, Err(e)) => {
                let (agreed, options) = session.into_agreed();
                self.stage = Stage::Derived(agreed, options);
                Err(e)
            }
        }
    }
}
