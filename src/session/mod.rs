//! An agreed session: seal turns into envelopes, open the peer's, rekey, re-open history
//! (`SPEC.md` § 6, § 7, § 13). A `Session` is a small struct composed of a sender half, a
//! receiver half and the epoch keys, each in its own module; this one orchestrates them.

mod epochs;
mod receiver;
mod sender;
mod window;

pub use epochs::RekeyPolicy;
pub use receiver::PeerAck;
pub use window::{Chain, Order, WINDOW};

pub(crate) use epochs::{direction_key, Epochs, RekeyState};
pub(crate) use receiver::Receiver;
pub(crate) use sender::{Sender, Step};
pub(crate) use window::ReplayWindow;

use crate::clock::Clock;
use crate::entropy::Entropy;
use crate::error::{Error, Result};
use crate::ids::{Mode, SessionHandle, Side, KEY_ID_LEN, LINK_LEN};
use crate::kdf::{self, safety_code, Agreed};
use crate::metadata::{Metadata, Role, MAX_GRANULARITY_SECS};
use crate::padding::{bucket, pad, unpad, MAX_PLAINTEXT};
use crate::primitives::{xchacha_open, xchacha_seal_detached, TAG_LEN, XNONCE_LEN};
use crate::wire::{Envelope, Header, Hello, Outgoing, Rekey};
use core::fmt;
use zeroize::Zeroizing;

/// Settings chosen when a session is created.
#[derive(Debug)]
pub struct SessionOptions {
    /// Rounding step for the client time in metadata, in seconds (default 60; 0 = omit time).
    pub time_granularity: u32,
    /// Rekeying policy (default: every 100 turns or every hour, old epochs deleted).
    pub rekey: RekeyPolicy,
    /// Randomness for ephemeral keys and nonces (default: the OS).
    pub entropy: Entropy,
    /// Time for time-based rekeying (default: the system clock; none on wasm32, where the
    /// bindings pass the browser's).
    pub clock: Clock,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            time_granularity: 60,
            rekey: RekeyPolicy::default(),
            entropy: Entropy::os(),
            clock: Clock::system(),
        }
    }
}

impl SessionOptions {
    /// Refuses a time granularity the metadata could not carry, when the session is created.
    pub(crate) fn check(&self) -> Result<()> {
        if self.time_granularity > MAX_GRANULARITY_SECS {
            return Err(Error::InvalidInput("time granularity above 86400 seconds"));
        }
        Ok(())
    }
}

/// A turn after a successful open. `Debug` never shows the plaintext.
pub struct Opened {
    /// The turn's bytes (UTF-8 text for text turns), zeroized on drop.
    pub plaintext: Zeroizing<Vec<u8>>,
    /// The authenticated metadata.
    pub metadata: Metadata,
    /// The authenticated header (close, stream and ack fields included).
    pub header: Header,
    /// Where it fell in the sequence (`InOrder` for re-opened history).
    pub order: Order,
    /// What the chain says about it (`Unverified` for re-opened history).
    pub chain: Chain,
    /// What it says about this end's own turns: which ones the peer has not acknowledged.
    pub peer_ack: PeerAck,
}

impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened")
            .field("plaintext_len", &self.plaintext.len())
            .field("metadata", &self.metadata)
            .field("header", &self.header)
            .field("order", &self.order)
            .field("chain", &self.chain)
            .field("peer_ack", &self.peer_ack)
            .finish()
    }
}

/// Where a session stands (`SPEC.md` § 7.2): closes, acknowledgements, missing turns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// This end sealed a close.
    pub closed: bool,
    /// The peer's close was opened.
    pub peer_closed: bool,
    /// Turns this end sealed.
    pub sent: u64,
    /// Of those, how many no peer turn has acknowledged yet.
    pub unacknowledged: u64,
    /// The highest sequence number opened from the peer.
    pub received_highest: Option<u64>,
    /// Peer turns below that number (within the replay window) not opened: sent, not arrived.
    pub missing: u64,
}

impl Status {
    /// Whether the conversation ended properly: someone closed, nothing the peer sent is
    /// missing, and the peer acknowledged everything this end sent, except, when both ends
    /// closed, this end's own close (no turn can follow a close to acknowledge it). So a closing
    /// end is finished once the peer answers, normally with a close of its own. A conversation
    /// that ends without a close is *unfinished*: its end may have been cut off.
    pub fn finished(&self) -> bool {
        let acknowledged = self.unacknowledged == 0 || (self.closed && self.peer_closed && self.unacknowledged == 1);
        (self.closed || self.peer_closed) && self.missing == 0 && acknowledged
    }
}

/// One end of an agreed session. Secrets are zeroized on drop; `Debug` shows no key bytes.
pub struct Session {
    pub(crate) side: Side,
    pub(crate) mode: Mode,
    pub(crate) handle: SessionHandle,
    pub(crate) key_id: [u8; KEY_ID_LEN],
    pub(crate) safety: [u8; 8],
    pub(crate) time_granularity: u32,
    pub(crate) generation: u64,
    pub(crate) epochs: Epochs,
    pub(crate) sender: Sender,
    pub(crate) receiver: Receiver,
    pub(crate) entropy: Entropy,
    pub(crate) clock: Clock,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("side", &self.side)
            .field("mode", &self.mode)
            .field("handle", &self.handle)
            .field("send_epoch", &self.epochs.send)
            .field("epochs_held", &self.epochs.numbers())
            .field("next_send_seq", &self.sender.next_seq)
            .field("status", &self.status())
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// State changes an open will make once it has authenticated.
struct OpenPlan {
    opened: Opened,
    link: [u8; LINK_LEN],
    new_epoch: Option<epochs::NewEpoch>,
    acknowledged: bool,
}

impl Session {
    pub(crate) fn new(
        side: Side,
        mode: Mode,
        handle: SessionHandle,
        key_id: [u8; KEY_ID_LEN],
        agreed: Agreed,
        hello: Option<Hello>,
        options: SessionOptions,
    ) -> Self {
        let Agreed { keys, root, safety } = agreed;
        let now = options.clock.now().unwrap_or(0);
        Session {
            side,
            mode,
            handle,
            key_id,
            safety,
            time_granularity: options.time_granularity,
            generation: 0,
            epochs: Epochs::new(keys, root, options.rekey, now),
            sender: Sender::new(hello),
            receiver: Receiver::new(),
            entropy: options.entropy,
            clock: options.clock,
        }
    }

    /// This end.
    pub fn side(&self) -> Side {
        self.side
    }

    /// How the keys were agreed.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The session handle (every envelope's header carries it).
    pub fn handle(&self) -> &SessionHandle {
        &self.handle
    }

    /// The service key id (pinned mode) or zeros (mutual mode).
    pub fn key_id(&self) -> &[u8; KEY_ID_LEN] {
        &self.key_id
    }

    /// The time granularity this session puts in metadata.
    pub fn time_granularity(&self) -> u32 {
        self.time_granularity
    }

    /// The next sequence number this end will seal.
    pub fn next_send_seq(&self) -> u64 {
        self.sender.next_seq
    }

    /// The epoch this end seals in.
    pub fn epoch(&self) -> u32 {
        self.epochs.send
    }

    /// The epochs whose keys this end holds, oldest first.
    pub fn epochs_held(&self) -> Vec<u32> {
        self.epochs.numbers()
    }

    /// The rekeying policy.
    pub fn rekey_policy(&self) -> RekeyPolicy {
        self.epochs.policy
    }

    /// Whether a rekeying step is in flight (offered and not answered, or answered and not
    /// acknowledged; in pinned mode also the forward-secrecy step until the service's first
    /// reply arrives).
    pub fn rekey_pending(&self) -> bool {
        self.epochs.pending()
    }

    /// Whether a sealed stream is open (only chunks may be sealed until it ends).
    pub fn stream_open(&self) -> bool {
        self.sender.stream.is_some()
    }

    /// How many times this session's state was exported: a restored blob with a lower number
    /// than the last one exported is stale.
    pub fn state_generation(&self) -> u64 {
        self.generation
    }

    /// 12 digits both ends derive from the transcript; equal codes mean no one sits in the middle.
    pub fn safety_code(&self) -> String {
        safety_code(&self.safety)
    }

    /// Closes, acknowledgements and missing turns.
    pub fn status(&self) -> Status {
        let sent = self.sender.next_seq;
        Status {
            closed: self.sender.closed,
            peer_closed: self.receiver.peer_closed.is_some(),
            sent,
            unacknowledged: sent.saturating_sub(self.receiver.peer_acked.map_or(0, |a| a.saturating_add(1))),
            received_highest: self.receiver.window.highest(),
            missing: self.receiver.window.missing(),
        }
    }

    /// Metadata for a turn by `role` at `now_unix` (seconds), with this session's granularity.
    pub fn metadata(&self, role: Role, now_unix: u64) -> Result<Metadata> {
        Metadata::new(role, now_unix, self.time_granularity)
    }

    /// Asks for a new epoch: the next turn sealed carries a rekeying offer. No effect while a step
    /// is in flight; `bad_state` before the first turn is sealed; `counter_exhausted` at the last
    /// epoch (2^32 − 1), where the peer would not answer.
    pub fn rekey_now(&mut self) -> Result<()> {
        if self.sender.hello.is_some() {
            return Err(Error::State("the first turn must be sealed before rekeying"));
        }
        self.epochs.rekey_now(&mut self.entropy)
    }

    /// Seals `body` with `metadata` into a binary envelope. On error nothing changes.
    pub fn seal(&mut self, body: &[u8], metadata: &Metadata) -> Result<Vec<u8>> {
        self.seal_step(body, metadata, Step::Turn)
    }

    /// Seals the last turn of this end (`body` may be empty): the peer learns the conversation
    /// ended here and what this end received of it. Afterwards `seal` fails with `closed`.
    pub fn close(&mut self, body: &[u8], metadata: &Metadata) -> Result<Vec<u8>> {
        self.seal_step(body, metadata, Step::Close)
    }

    /// Seals one chunk of a stream (`SPEC.md` § 7.3): the first call opens the stream, `end`
    /// marks its last chunk. While a stream is open only chunks can be sealed.
    pub fn seal_chunk(&mut self, body: &[u8], metadata: &Metadata, end: bool) -> Result<Vec<u8>> {
        self.seal_step(body, metadata, Step::Chunk { end })
    }

    fn seal_step(&mut self, body: &[u8], metadata: &Metadata, step: Step) -> Result<Vec<u8>> {
        self.sender.check(step)?;
        if body.len() > MAX_PLAINTEXT {
            return Err(Error::LimitExceeded("plaintext larger than 16 MiB"));
        }
        if metadata.time_granularity != self.time_granularity {
            return Err(Error::InvalidInput("metadata time granularity differs from the session's"));
        }
        metadata.validate()?;
        let direction = self.side.sends();
        let (rekey, offer) = self.epochs.outgoing(self.sender.hello.is_none(), self.clock.now(), &mut self.entropy)?;
        let header = self.sender.header(self.handle, direction, self.epochs.send, self.receiver.ack(), step);
        let outgoing = Outgoing { header: &header, hello: self.sender.hello.as_ref(), rekey: rekey.as_ref(), metadata };
        let aad_len = outgoing.len();
        // Sized once: the buffer holds plaintext until it is encrypted in place, so it must never
        // reallocate, and it is wiped if anything fails half-way.
        let mut out = Zeroizing::new(Vec::with_capacity(aad_len + XNONCE_LEN + bucket(body.len() + 1) + TAG_LEN));
        outgoing.encode(&mut out)?;
        let nonce: [u8; XNONCE_LEN] = self.entropy.array()?;
        out.extend_from_slice(&nonce);
        let body_at = out.len();
        out.extend_from_slice(body);
        pad(&mut out, body_at)?;
        let keys = self.epochs.get(header.epoch).ok_or(Error::UnknownEpoch)?;
        let (aad, rest) = out.split_at_mut(aad_len);
        let padded = rest.get_mut(XNONCE_LEN..).ok_or(Error::Malformed("envelope"))?;
        let tag = xchacha_seal_detached(direction_key(keys, direction), &nonce, aad, padded)?;
        let link = kdf::link(aad, &nonce, &tag);
        out.extend_from_slice(&tag);
        self.sender.sealed(&header, link);
        self.epochs.sealed(offer);
        Ok(core::mem::take(&mut *out))
    }

    /// Opens a peer envelope. On any error the session is exactly as before.
    pub fn open(&mut self, envelope: &[u8]) -> Result<Opened> {
        let env = Envelope::parse(envelope)?;
        let plan = self.plan_open(&env)?;
        Ok(self.commit_open(&env, plan))
    }

    /// Every check of `SPEC.md` § 6.3 after the structure, the decryption, and the rekeying work
    /// an authentic turn calls for, without changing anything but the entropy source's position.
    fn plan_open(&mut self, env: &Envelope<'_>) -> Result<OpenPlan> {
        let header = &env.header;
        if header.handle != self.handle {
            return Err(Error::WrongSession);
        }
        if header.direction == self.side.sends() {
            return Err(Error::WrongDirection);
        }
        let (key, mut new_epoch) = self.epochs.opening_key(header.epoch, header.direction, env.rekey.as_ref())?;
        self.receiver.check(header.seq)?;
        let mut plaintext = xchacha_open(&key, &env.nonce, env.aad, env.ciphertext)?;
        unpad(&mut plaintext)?;
        // The peer offers a new epoch: explicitly, or (pinned mode) with the hello's key, which
        // this end answers at once so that only turns sealed before that answer depend on the
        // service's static key (§ 5.1).
        let offer = match (&env.rekey, &env.hello) {
            (Some(Rekey::Offer(offer)), _) => Some(*offer),
            (None, Some(hello)) if hello.mode == Mode::Pinned => Some(hello.initiator_public),
            _ => None,
        };
        if let (Some(offer), None) = (offer, &new_epoch) {
            new_epoch = self.epochs.answer_offer(self.side, header.epoch, &offer, &mut self.entropy)?;
        }
        let acknowledged = self.epochs.acknowledges(header.epoch);
        let link = env.link();
        let (order, chain) = self.receiver.judge(header, &link);
        let peer_ack = Receiver::peer_ack(header.ack.as_ref(), &self.sender);
        let opened =
            Opened { plaintext, metadata: env.metadata.clone(), header: header.clone(), order, chain, peer_ack };
        Ok(OpenPlan { opened, link, new_epoch, acknowledged })
    }

    fn commit_open(&mut self, env: &Envelope<'_>, plan: OpenPlan) -> Opened {
        self.receiver.accept(&env.header, &plan.link);
        let now = self.clock.now().unwrap_or(0);
        self.epochs.commit(plan.acknowledged, plan.new_epoch, now);
        plan.opened
    }

    /// Opens the first envelope of a responder session (handshake), committing it.
    pub(crate) fn open_parsed(&mut self, env: &Envelope<'_>) -> Result<Opened> {
        let plan = self.plan_open(env)?;
        Ok(self.commit_open(env, plan))
    }

    /// Re-opens any stored envelope of this session, sent or received, in any order, for a
    /// history view. Changes nothing: replay protection of live turns is unaffected. Turns of
    /// deleted epochs fail with `unknown_epoch`.
    pub fn reopen(&self, envelope: &[u8]) -> Result<Opened> {
        let env = Envelope::parse(envelope)?;
        if env.header.handle != self.handle {
            return Err(Error::WrongSession);
        }
        let keys = self.epochs.get(env.header.epoch).ok_or(Error::UnknownEpoch)?;
        let mut plaintext =
            xchacha_open(direction_key(keys, env.header.direction), &env.nonce, env.aad, env.ciphertext)?;
        unpad(&mut plaintext)?;
        let peer_ack = PeerAck { highest: None, unacknowledged: 0, matches: None };
        Ok(Opened {
            plaintext,
            metadata: env.metadata,
            header: env.header,
            order: Order::InOrder,
            chain: Chain::Unverified,
            peer_ack,
        })
    }

    #[cfg(feature = "test-vectors")]
    #[doc(hidden)]
    /// Test hook: jump the send counter (to test exhaustion without 2^53 seals).
    pub fn set_send_seq_for_tests(&mut self, seq: u64) {
        self.sender.next_seq = seq;
    }

    #[cfg(feature = "test-vectors")]
    #[doc(hidden)]
    /// Test hook: copies of every secret this end holds (each epoch's two traffic keys, the root,
    /// a pending rekeying secret), for tests that check no copy survives a deletion.
    pub fn secrets_for_tests(&self) -> Vec<Zeroizing<[u8; 32]>> {
        let mut out: Vec<Zeroizing<[u8; 32]>> = Vec::with_capacity(self.epochs.secret_count());
        for keys in self.epochs.keys.iter() {
            out.push(Zeroizing::new(keys.i2r));
            out.push(Zeroizing::new(keys.r2i));
        }
        out.push(Zeroizing::new(*self.epochs.root));
        if let epochs::RekeyState::Offered(secret) = &self.epochs.state {
            out.push(Zeroizing::new(*secret.secret_bytes()));
        }
        out
    }
}
