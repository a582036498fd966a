//! Key agreement (`SPEC.md` § 5): the pinned service key (0-RTT, then an ephemeral-ephemeral
//! step on the service's first reply) and mutual ephemeral with a commitment, both ending in a
//! [`Session`].

use crate::error::{Error, Result};
use crate::ids::{Mode, SessionHandle, Side, KEY_ID_LEN};
use crate::kdf::{commitment, derive_epoch0, session_handle, Agreed, Transcript};
use crate::keys::{EphemeralSecret, RekeySecret, ServiceKeyPair, ServicePublicKey};
use crate::session::{Opened, RekeyState, Session, SessionOptions};
use crate::wire::{encode_answer, encode_offer, parse_answer, parse_offer, Envelope, Hello};
use core::fmt;

impl Session {
    /// Pinned mode, initiator: a new session with the service whose public key the widget pins.
    /// The first sealed turn carries the hello, so no round trip is needed. The hello's key is
    /// also an offer: the service's first reply moves both ends to keys from an
    /// ephemeral-ephemeral exchange, and the keys derived from the static key are deleted.
    pub fn initiate_pinned(service: &ServicePublicKey, mut options: SessionOptions) -> Result<Session> {
        options.check()?;
        let ephemeral = RekeySecret::generate(&mut options.entropy)?;
        let initiator_public = *ephemeral.public();
        let key_id = *service.key_id();
        let handle = session_handle(Mode::Pinned, &key_id, &commitment(&initiator_public));
        let transcript = Transcript {
            mode: Mode::Pinned,
            handle: &handle,
            key_id: &key_id,
            initiator_public: &initiator_public,
            responder_public: service.as_bytes(),
        };
        let agreed = derive_epoch0(&*ephemeral.agree(service.as_bytes())?, &transcript)?;
        let hello = Hello { mode: Mode::Pinned, key_id, initiator_public };
        let mut session = Session::new(Side::Initiator, Mode::Pinned, handle, key_id, agreed, Some(hello), options);
        session.epochs.state = RekeyState::Offered(ephemeral);
        Ok(session)
    }
}

/// The service's static keys by key id. Sessions started under a key can be accepted while it is
/// held; retiring it makes their epoch 0 underivable, by design.
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

    /// The public keys held, in insertion order.
    pub fn public_keys(&self) -> impl Iterator<Item = &ServicePublicKey> {
        self.keys.iter().map(ServiceKeyPair::public_key)
    }

    /// The responder session of a pinned first envelope, before its turn is opened.
    fn derive(&self, env: &Envelope<'_>, options: SessionOptions) -> Result<Session> {
        options.check()?;
        let hello = env.hello.as_ref().ok_or(Error::NotHello)?;
        if hello.mode != Mode::Pinned {
            return Err(Error::State("not a pinned-mode session"));
        }
        let pair = self.get(&hello.key_id).ok_or(Error::UnknownKey)?;
        let transcript = Transcript {
            mode: Mode::Pinned,
            handle: &env.header.handle,
            key_id: &hello.key_id,
            initiator_public: &hello.initiator_public,
            responder_public: pair.public_key().as_bytes(),
        };
        let agreed = derive_epoch0(&*pair.diffie_hellman(&hello.initiator_public)?, &transcript)?;
        Ok(Session::new(Side::Responder, Mode::Pinned, env.header.handle, hello.key_id, agreed, None, options))
    }

    /// Derives the responder session from a pinned first envelope and opens it, recording
    /// nothing. A live service must not accept turns this way (a replayed first envelope would be
    /// accepted again): it uses [`crate::Service`], which keeps a record per session. Exposed
    /// for the frozen vectors only.
    #[cfg(feature = "test-vectors")]
    #[doc(hidden)]
    pub fn accept_unrecorded(&self, first_envelope: &[u8], options: SessionOptions) -> Result<(Session, Opened)> {
        self.accept_parsed(&Envelope::parse(first_envelope)?, options)
    }

    pub(crate) fn accept_parsed(&self, env: &Envelope<'_>, options: SessionOptions) -> Result<(Session, Opened)> {
        let mut session = self.derive(env, options)?;
        let opened = session.open_parsed(env)?;
        Ok((session, opened))
    }

    /// Re-derives epoch 0 of a pinned session from its stored first envelope, for reading history
    /// only: the visitor's turns sealed before the service's first reply. Nothing here can accept
    /// a live turn or seal one.
    pub fn history(&self, first_envelope: &[u8]) -> Result<History> {
        let env = Envelope::parse(first_envelope)?;
        Ok(History(self.derive(&env, SessionOptions::default())?))
    }
}

/// Epoch 0 of a pinned session re-derived by the service key, for reading history
/// ([`ServiceKeyring::history`]).
pub struct History(Session);

impl History {
    /// The session handle.
    pub fn handle(&self) -> &SessionHandle {
        self.0.handle()
    }

    /// Opens a stored epoch-0 envelope of the session (`unknown_epoch` for later epochs, whose
    /// keys the static key cannot derive).
    pub fn reopen(&self, envelope: &[u8]) -> Result<Opened> {
        self.0.reopen(envelope)
    }
}

impl fmt::Debug for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("History").field("handle", self.0.handle()).finish_non_exhaustive()
    }
}

/// Mutual mode, initiator side, between sending the offer and receiving the answer.
pub struct MutualInitiator {
    handle: SessionHandle,
    /// Taken by the one successful `complete`.
    pending: Option<(EphemeralSecret, SessionOptions)>,
}

impl fmt::Debug for MutualInitiator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutualInitiator")
            .field("handle", &self.handle)
            .field("completed", &self.pending.is_none())
            .finish_non_exhaustive()
    }
}

impl MutualInitiator {
    /// Starts a mutual session; returns the pending initiator and the offer to send.
    /// The offer commits to the initiator's key without revealing it, so a party in the middle
    /// cannot pick its own keys after seeing both sides' to make the safety codes collide.
    pub fn offer(mut options: SessionOptions) -> Result<(Self, Vec<u8>)> {
        options.check()?;
        let ephemeral = EphemeralSecret::generate(&mut options.entropy)?;
        let c = commitment(ephemeral.public());
        let handle = session_handle(Mode::Mutual, &[0; KEY_ID_LEN], &c);
        let offer = encode_offer(&handle, &c);
        Ok((MutualInitiator { handle, pending: Some((ephemeral, options)) }, offer))
    }

    /// The session handle (fixed by the offer).
    pub fn handle(&self) -> &SessionHandle {
        &self.handle
    }

    /// Completes with the responder's answer; the first turn sealed reveals the initiator's key.
    /// Every check runs before the ephemeral secret is used, so a bad or injected answer leaves
    /// this initiator able to complete with the genuine one.
    pub fn complete(&mut self, answer: &[u8]) -> Result<Session> {
        if self.pending.is_none() {
            return Err(Error::State("mutual handshake already completed"));
        }
        let (handle, responder_public) = parse_answer(answer)?;
        if handle != self.handle {
            return Err(Error::WrongSession);
        }
        // A small-order key would make the DH fail after consuming the secret; refuse it first.
        ServicePublicKey::from_bytes(&responder_public)?;
        let (ephemeral, options) = self.pending.take().ok_or(Error::State("mutual handshake already completed"))?;
        let initiator_public = *ephemeral.public();
        let transcript = Transcript {
            mode: Mode::Mutual,
            handle: &handle,
            key_id: &[0; KEY_ID_LEN],
            initiator_public: &initiator_public,
            responder_public: &responder_public,
        };
        let agreed = derive_epoch0(&*ephemeral.diffie_hellman(&responder_public)?, &transcript)?;
        let hello = Hello { mode: Mode::Mutual, key_id: [0; KEY_ID_LEN], initiator_public };
        Ok(Session::new(Side::Initiator, Mode::Mutual, handle, [0; KEY_ID_LEN], agreed, Some(hello), options))
    }
}

/// Mutual mode, responder side, between sending the answer and receiving the first turn.
pub struct MutualResponder {
    handle: SessionHandle,
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
        f.debug_struct("MutualResponder").field("handle", &self.handle).finish_non_exhaustive()
    }
}

impl MutualResponder {
    /// Answers an offer; returns the pending responder and the answer to send back.
    pub fn answer(offer: &[u8], mut options: SessionOptions) -> Result<(Self, Vec<u8>)> {
        options.check()?;
        let (handle, commitment) = parse_offer(offer)?;
        let ephemeral = EphemeralSecret::generate(&mut options.entropy)?;
        let responder_public = *ephemeral.public();
        let answer = encode_answer(&handle, &responder_public);
        Ok((
            MutualResponder { handle, commitment, responder_public, stage: Stage::Waiting(ephemeral, options) },
            answer,
        ))
    }

    /// The session handle (fixed by the offer).
    pub fn handle(&self) -> &SessionHandle {
        &self.handle
    }

    /// Checks the revealed key against the offer's commitment, derives the session and opens the
    /// first turn. A failed call leaves this responder able to accept the genuine envelope.
    pub fn accept(&mut self, first_envelope: &[u8]) -> Result<(Session, Opened)> {
        let env = Envelope::parse(first_envelope)?;
        if env.header.handle != self.handle {
            return Err(Error::WrongSession);
        }
        let hello = env.hello.as_ref().ok_or(Error::NotHello)?;
        if hello.mode != Mode::Mutual {
            return Err(Error::State("not a mutual-mode session"));
        }
        if commitment(&hello.initiator_public) != self.commitment {
            return Err(Error::DecryptFailed);
        }
        let (agreed, options) = match core::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Waiting(ephemeral, options) => {
                let transcript = Transcript {
                    mode: Mode::Mutual,
                    handle: &self.handle,
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
        let mut session =
            Session::new(Side::Responder, Mode::Mutual, self.handle, [0; KEY_ID_LEN], agreed, None, options);
        match session.open_parsed(&env) {
            Ok(opened) => Ok((session, opened)),
            Err(e) => {
                self.stage = match session.into_agreed() {
                    Some((agreed, options)) => Stage::Derived(agreed, options),
                    None => Stage::Done,
                };
                Err(e)
            }
        }
    }
}

impl Session {
    /// The keys and options of a responder session that never opened anything (handshake retry).
    fn into_agreed(self) -> Option<(Agreed, SessionOptions)> {
        let Session { mut epochs, time_granularity, entropy, clock, safety, .. } = self;
        let policy = epochs.policy;
        let keys = epochs.take_only()?;
        let root = core::mem::replace(&mut epochs.root, zeroize::Zeroizing::new([0; 32]));
        let options = SessionOptions { time_granularity, rekey: policy, entropy, clock };
        Some((Agreed { keys, root, safety }, options))
    }
}
