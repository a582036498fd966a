//! An agreed session: seal turns into envelopes, open the peer's, rekey, re-open history, forget
//! (`SPEC.md` § 6, § 13).

use crate::entropy::Entropy;
use crate::error::{Error, Result};
use crate::kdf::{derive_next_epoch, safety_code, Agreed, EpochKeys};
use crate::keys::{EphemeralSecret, RekeySecret};
use crate::metadata::Metadata;
use crate::padding::{bucket, pad, unpad};
use crate::primitives::{xchacha_open, xchacha_seal_detached, KEY_LEN, TAG_LEN, XNONCE_LEN};
use crate::window::{Chain, Order, ReplayWindow};
use crate::wire::{
    encode_aad, link_digest, Direction, Envelope, Header, Hello, Mode, Rekey, SessionId, KEY_ID_LEN, LINK_LEN,
};
use core::fmt;
use zeroize::Zeroizing;

/// Which end of the session this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Started the session (the widget).
    Initiator,
    /// Answered it (the service or agent).
    Responder,
}

impl Side {
    /// `"initiator"` or `"responder"`.
    pub fn name(self) -> &'static str {
        match self {
            Side::Initiator => "initiator",
            Side::Responder => "responder",
        }
    }
}

/// When to rekey, and whether to keep the keys of earlier epochs (`SPEC.md` § 13.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RekeyPolicy {
    /// Offer a new epoch after this many turns sealed in the current one (0 = only on demand).
    pub every_turns: u32,
    /// Keep earlier epochs' keys so history can be re-opened. `false` deletes them once both ends
    /// have moved to a new epoch: turns of deleted epochs can then never be opened again.
    pub keep_old_epochs: bool,
}

impl Default for RekeyPolicy {
    fn default() -> Self {
        RekeyPolicy { every_turns: 0, keep_old_epochs: true }
    }
}

/// Settings chosen when a session is created.
#[derive(Debug)]
pub struct SessionOptions {
    /// Rounding step for the client time in metadata, in seconds (default 60; 0 = omit time).
    pub time_granularity: u32,
    /// Rekeying policy.
    pub rekey: RekeyPolicy,
    /// Randomness for ephemeral keys, session ids and nonces (default: the OS).
    pub entropy: Entropy,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            time_granularity: 60,
            rekey: RekeyPolicy::default(),
            entropy: Entropy::os(),
        }
    }
}

/// A turn after a successful open. `Debug` never shows the plaintext.
pub struct Opened {
    /// The turn's bytes (UTF-8 text for text turns), zeroized on drop.
    pub plaintext: Zeroizing<Vec<u8>>,
    /// The authenticated metadata.
    pub metadata: Metadata,
    /// The authenticated header.
    pub header: Header,
    /// Where it fell in the sequence (`InOrder` for re-opened history).
    pub order: Order,
    /// What the chained transcript says about it (`Unverified` for re-opened history).
    pub chain: Chain,
}

impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened")
            .field("plaintext_len", &self.plaintext.len())
            .field("metadata", &self.metadata)
            .field("header", &self.header)
            .field("order", &self.order)
            .field("chain", &self.chain)
            .finish()
    }
}

/// Where a rekeying step stands.
pub(crate) enum RekeyState {
    Idle,
    /// This end offered; every turn it seals carries the offer until an answer authenticates.
    Offered(RekeySecret),
    /// This end answered `offer` with `answer` and moved to the new epoch; every turn carries the
    /// answer until the peer's first turn in the new epoch shows it arrived.
    Answered {
        offer: [u8; KEY_LEN],
        answer: [u8; KEY_LEN],
    },
}

/// What the state blob and the deletion record need to see of a session.
pub(crate) struct Parts {
    pub side: Side,
    pub mode: Mode,
    pub session_id: SessionId,
    pub key_id: [u8; KEY_ID_LEN],
    pub safety: [u8; 8],
    pub epochs: Vec<EpochKeys>,
    pub root: Zeroizing<[u8; KEY_LEN]>,
    pub send_epoch: u32,
    pub hello: Option<Hello>,
    pub rekey: RekeyState,
    pub policy: RekeyPolicy,
    pub sent_in_epoch: u64,
    pub send_seq: u64,
    pub send_prev: [u8; LINK_LEN],
    pub window: ReplayWindow,
    pub time_granularity: u32,
    pub generation: u64,
}

/// One end of an agreed session. Secrets are zeroized on drop; `Debug` shows no key bytes.
pub struct Session {
    p: Parts,
    entropy: Entropy,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("side", &self.p.side)
            .field("mode", &self.p.mode)
            .field("send_epoch", &self.p.send_epoch)
            .field("epochs_held", &self.p.epochs.len())
            .field("send_seq", &self.p.send_seq)
            .field("recv_highest", &self.p.window.highest())
            .field("generation", &self.p.generation)
            .finish_non_exhaustive()
    }
}

/// State changes an open will make once it has authenticated.
struct OpenPlan {
    opened: Opened,
    link: [u8; LINK_LEN],
    new_epoch: Option<(EpochKeys, Zeroizing<[u8; KEY_LEN]>, RekeyState)>,
    acknowledged: bool,
}

impl Session {
    pub(crate) fn new(
        side: Side,
        mode: Mode,
        session_id: SessionId,
        key_id: [u8; KEY_ID_LEN],
        agreed: Agreed,
        hello: Option<Hello>,
        options: SessionOptions,
    ) -> Self {
        let Agreed { keys, root, safety } = agreed;
        let p = Parts {
            side,
            mode,
            session_id,
            key_id,
            safety,
            epochs: vec![keys],
            root,
            send_epoch: 0,
            hello,
            rekey: RekeyState::Idle,
            policy: options.rekey,
            sent_in_epoch: 0,
            send_seq: 0,
            send_prev: [0; LINK_LEN],
            window: ReplayWindow::new(),
            time_granularity: options.time_granularity,
            generation: 0,
        };
        Session { p, entropy: options.entropy }
    }

    pub(crate) fn from_parts(p: Parts, entropy: Entropy) -> Self {
        Session { p, entropy }
    }

    pub(crate) fn parts(&self) -> &Parts {
        &self.p
    }

    /// This end.
    pub fn side(&self) -> Side {
        self.p.side
    }

    /// How the keys were agreed.
    pub fn mode(&self) -> Mode {
        self.p.mode
    }

    /// The 16-byte session id.
    pub fn session_id(&self) -> &SessionId {
        &self.p.session_id
    }

    /// The service key id (pinned mode) or zeros (mutual mode).
    pub fn key_id(&self) -> &[u8; KEY_ID_LEN] {
        &self.p.key_id
    }

    /// The time granularity this session puts in metadata.
    pub fn time_granularity(&self) -> u32 {
        self.p.time_granularity
    }

    /// The next sequence number this end will seal.
    pub fn next_send_seq(&self) -> u64 {
        self.p.send_seq
    }

    /// The epoch this end seals in.
    pub fn epoch(&self) -> u32 {
        self.p.send_epoch
    }

    /// The epochs whose keys this end holds, oldest first.
    pub fn epochs_held(&self) -> Vec<u32> {
        self.p.epochs.iter().map(|e| e.number).collect()
    }

    /// Whether a rekeying step is in flight (offered and not answered, or answered and not
    /// acknowledged).
    pub fn rekey_pending(&self) -> bool {
        !matches!(self.p.rekey, RekeyState::Idle)
    }

    /// How many times this session's state was exported: a restored blob with a lower number
    /// than the last one exported is stale.
    pub fn state_generation(&self) -> u64 {
        self.p.generation
    }

    /// 12 digits both ends derive from the transcript; equal codes mean no one sits in the middle.
    pub fn safety_code(&self) -> String {
        safety_code(&self.p.safety)
    }

    fn send_direction(&self) -> Direction {
        match self.p.side {
            Side::Initiator => Direction::InitiatorToResponder,
            Side::Responder => Direction::ResponderToInitiator,
        }
    }

    fn epoch_keys(&self, number: u32) -> Option<&EpochKeys> {
        self.p.epochs.iter().find(|e| e.number == number)
    }

    /// Metadata for a turn by `role` at `now_unix` (seconds), with this session's granularity.
    pub fn metadata(&self, role: crate::Role, now_unix: u64) -> Result<Metadata> {
        Metadata::new(role, now_unix, self.p.time_granularity)
    }

    /// Asks for a new epoch: the next turn sealed carries a rekeying offer. No effect while a step
    /// is already in flight.
    pub fn rekey_now(&mut self) -> Result<()> {
        if self.p.hello.is_some() {
            return Err(Error::State("the first turn must be sealed before rekeying"));
        }
        if matches!(self.p.rekey, RekeyState::Idle) {
            self.p.rekey = RekeyState::Offered(RekeySecret::generate(&mut self.entropy)?);
        }
        Ok(())
    }

    /// Seals `body` with `metadata` into a binary envelope. On error nothing changes.
    pub fn seal(&mut self, body: &[u8], metadata: &Metadata) -> Result<Vec<u8>> {
        if self.p.send_seq == u64::MAX {
            return Err(Error::CounterExhausted);
        }
        if metadata.time_granularity != self.p.time_granularity {
            return Err(Error::InvalidInput("metadata time granularity differs from the session's"));
        }
        let due = self.p.policy.every_turns > 0 && self.p.sent_in_epoch >= u64::from(self.p.policy.every_turns);
        let new_offer = match self.p.rekey {
            RekeyState::Idle if due && self.p.hello.is_none() && self.p.send_epoch < u32::MAX => {
                Some(RekeySecret::generate(&mut self.entropy)?)
            }
            _ => None,
        };
        let step = match (&self.p.rekey, &new_offer) {
            (_, Some(offer)) | (RekeyState::Offered(offer), None) => Some(Rekey::Offer(*offer.public())),
            (RekeyState::Answered { answer, .. }, None) => Some(Rekey::Answer(*answer)),
            (RekeyState::Idle, None) => None,
        };
        let header = Header {
            session_id: self.p.session_id,
            direction: self.send_direction(),
            epoch: self.p.send_epoch,
            seq: self.p.send_seq,
            prev: self.p.send_prev,
        };
        let padded_len = bucket(body.len().saturating_add(1));
        let mut out =
            encode_aad(&header, self.p.hello.as_ref(), step.as_ref(), metadata, XNONCE_LEN + padded_len + TAG_LEN)?;
        let aad_len = out.len();
        let nonce: [u8; XNONCE_LEN] = self.entropy.array()?;
        let keys = self.epoch_keys(header.epoch).ok_or(Error::UnknownEpoch)?;
        let key = direction_key(keys, header.direction);
        out.extend_from_slice(&nonce);
        let body_at = out.len();
        out.extend_from_slice(body);
        pad(&mut out, body_at)?;
        let (aad, rest) = out.split_at_mut(aad_len);
        let padded = rest.get_mut(XNONCE_LEN..).ok_or(Error::Malformed("envelope"))?;
        let tag = xchacha_seal_detached(key, &nonce, aad, padded)?;
        let link = link_digest(aad, &nonce, &tag);
        out.extend_from_slice(&tag);
        self.p.send_seq += 1;
        self.p.send_prev = link;
        self.p.sent_in_epoch = self.p.sent_in_epoch.saturating_add(1);
        self.p.hello = None;
        if let Some(offer) = new_offer {
            self.p.rekey = RekeyState::Offered(offer);
        }
        Ok(out)
    }

    /// Opens a peer envelope. On any error the session is exactly as before.
    pub fn open(&mut self, envelope: &[u8]) -> Result<Opened> {
        let env = Envelope::parse(envelope)?;
        let plan = self.plan_open(&env)?;
        Ok(self.commit_open(&env, plan))
    }

    /// Every check and the decryption, plus the rekeying work an authentic turn calls for,
    /// without changing anything but the entropy source's position.
    fn plan_open(&mut self, env: &Envelope<'_>) -> Result<OpenPlan> {
        let header = &env.header;
        if header.session_id != self.p.session_id {
            return Err(Error::WrongSession);
        }
        if header.direction == self.send_direction() {
            return Err(Error::WrongDirection);
        }
        let newest = self.p.epochs.last().map_or(0, |e| e.number);
        // An answer to this end's offer opens the epoch it creates.
        let mut new_epoch = None;
        let key = match (self.epoch_keys(header.epoch), &self.p.rekey, env.rekey) {
            (Some(keys), _, _) => *direction_key(keys, header.direction),
            (None, RekeyState::Offered(secret), Some(Rekey::Answer(answer)))
                if Some(header.epoch) == newest.checked_add(1) =>
            {
                let (keys, root) = derive_next_epoch(&self.p.root, &*secret.agree(&answer)?, header.epoch)?;
                let key = *direction_key(&keys, header.direction);
                new_epoch = Some((keys, root, RekeyState::Idle));
                key
            }
            _ => return Err(Error::UnknownEpoch),
        };
        let key = Zeroizing::new(key);
        self.p.window.check(header.seq)?;
        let mut plaintext = xchacha_open(&key, &env.nonce, env.aad, env.ciphertext)?;
        unpad(&mut plaintext)?;
        // The peer offers a new epoch on top of the newest one. When both ends offered at once,
        // the initiator's offer wins.
        if let Some(Rekey::Offer(offer)) = env.rekey {
            let ours_wins = matches!(self.p.rekey, RekeyState::Offered(_)) && self.p.side == Side::Initiator;
            let fresh = header.epoch == newest && !matches!(self.p.rekey, RekeyState::Answered { .. });
            if fresh && !ours_wins && new_epoch.is_none() {
                let next = newest.checked_add(1).ok_or(Error::CounterExhausted)?;
                let ephemeral = EphemeralSecret::generate(&mut self.entropy)?;
                let answer = *ephemeral.public();
                let (keys, root) = derive_next_epoch(&self.p.root, &*ephemeral.diffie_hellman(&offer)?, next)?;
                new_epoch = Some((keys, root, RekeyState::Answered { offer, answer }));
            }
        }
        let acknowledged = matches!(self.p.rekey, RekeyState::Answered { .. }) && header.epoch == newest;
        let link = env.link();
        let (order, chain) = self.p.window.judge(header.seq, &header.prev, &link);
        let opened = Opened { plaintext, metadata: env.metadata.clone(), header: header.clone(), order, chain };
        Ok(OpenPlan { opened, link, new_epoch, acknowledged })
    }

    fn commit_open(&mut self, env: &Envelope<'_>, plan: OpenPlan) -> Opened {
        self.p.window.accept(env.header.seq, &env.header.prev, &plan.link);
        if plan.acknowledged {
            self.p.rekey = RekeyState::Idle;
            self.drop_old_epochs();
        }
        if let Some((keys, root, state)) = plan.new_epoch {
            self.p.send_epoch = keys.number;
            self.p.epochs.push(keys);
            self.p.root = root;
            self.p.sent_in_epoch = 0;
            self.p.rekey = state;
            if matches!(self.p.rekey, RekeyState::Idle) {
                self.drop_old_epochs();
            }
        }
        plan.opened
    }

    /// Under a policy that does not keep them, deletes (zeroizes) the keys of epochs before the
    /// current one, once both ends use it.
    fn drop_old_epochs(&mut self) {
        if !self.p.policy.keep_old_epochs {
            let current = self.p.send_epoch;
            self.p.epochs.retain(|e| e.number >= current);
        }
    }

    /// Opens the first envelope of a responder session (handshake), committing it.
    pub(crate) fn open_first(&mut self, env: &Envelope<'_>) -> Result<Opened> {
        let plan = self.plan_open(env)?;
        Ok(self.commit_open(env, plan))
    }

    /// Re-opens any stored envelope of this session, sent or received, in any order, for a
    /// history view. Changes nothing: replay protection of live turns is unaffected.
    pub fn reopen(&self, envelope: &[u8]) -> Result<Opened> {
        let env = Envelope::parse(envelope)?;
        if env.header.session_id != self.p.session_id {
            return Err(Error::WrongSession);
        }
        let keys = self.epoch_keys(env.header.epoch).ok_or(Error::UnknownEpoch)?;
        let mut plaintext =
            xchacha_open(direction_key(keys, env.header.direction), &env.nonce, env.aad, env.ciphertext)?;
        unpad(&mut plaintext)?;
        Ok(Opened {
            plaintext,
            metadata: env.metadata,
            header: env.header,
            order: Order::InOrder,
            chain: Chain::Unverified,
        })
    }

    /// For a stateless service end: after re-deriving a session from its first envelope, continue
    /// sealing after `own_envelope`, the last envelope this end sealed (authenticated here).
    pub fn resume_after(&mut self, own_envelope: &[u8]) -> Result<()> {
        let env = Envelope::parse(own_envelope)?;
        if env.header.session_id != self.p.session_id {
            return Err(Error::WrongSession);
        }
        if env.header.direction != self.send_direction() {
            return Err(Error::WrongDirection);
        }
        let keys = self.epoch_keys(env.header.epoch).ok_or(Error::UnknownEpoch)?;
        xchacha_open(direction_key(keys, env.header.direction), &env.nonce, env.aad, env.ciphertext)?;
        let next = env.header.seq.checked_add(1).ok_or(Error::CounterExhausted)?;
        if next > self.p.send_seq {
            self.p.send_seq = next;
            self.p.send_prev = env.link();
            self.p.hello = None;
        }
        Ok(())
    }

    /// The keys and options of a session that never opened anything (handshake retry).
    pub(crate) fn into_agreed(self) -> (Agreed, SessionOptions) {
        let Session { mut p, entropy } = self;
        let keys = p.epochs.pop().unwrap_or(EpochKeys { number: 0, i2r: [0; KEY_LEN], r2i: [0; KEY_LEN] });
        let options = SessionOptions {
            time_granularity: p.time_granularity,
            rekey: p.policy,
            entropy,
        };
        let root = core::mem::replace(&mut p.root, Zeroizing::new([0; KEY_LEN]));
        (Agreed { keys, root, safety: p.safety }, options)
    }

    pub(crate) fn bump_generation(&mut self) -> Result<u64> {
        self.p.generation = self.p.generation.checked_add(1).ok_or(Error::CounterExhausted)?;
        Ok(self.p.generation)
    }

    pub(crate) fn set_generation(&mut self, generation: u64) {
        self.p.generation = generation;
    }

    pub(crate) fn entropy(&mut self) -> &mut Entropy {
        &mut self.entropy
    }

    #[cfg(feature = "test-vectors")]
    #[doc(hidden)]
    /// Test hook: jump the send counter (to test exhaustion without 2^64 seals).
    pub fn set_send_seq_for_tests(&mut self, seq: u64) {
        self.p.send_seq = seq;
    }
}

fn direction_key(keys: &EpochKeys, direction: Direction) -> &[u8; KEY_LEN] {
    match direction {
        Direction::InitiatorToResponder => &keys.i2r,
        Direction::ResponderToInitiator => &keys.r2i,
    }
}
