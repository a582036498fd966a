//! An agreed session: seal turns into envelopes and open the peer's (`SPEC.md` § Sealing, § Opening).

use crate::entropy::Entropy;
use crate::error::{Error, Result};
use crate::kdf::{safety_code, EpochKeys};
use crate::metadata::Metadata;
use crate::padding::{bucket, pad, unpad};
use crate::primitives::{xchacha_open, xchacha_seal_detached, KEY_LEN, TAG_LEN, XNONCE_LEN};
use crate::window::{Chain, Order, ReplayWindow};
use crate::wire::{encode_aad, link_digest, Direction, Envelope, Header, Hello, Mode, SessionId, LINK_LEN};
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

/// Settings chosen when a session is created.
#[derive(Debug)]
pub struct SessionOptions {
    /// Rounding step for the client time in metadata, in seconds (default 60; 0 = omit time).
    pub time_granularity: u32,
    /// Randomness for ephemeral keys, session ids and nonces (default: the OS).
    pub entropy: Entropy,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions { time_granularity: 60, entropy: Entropy::os() }
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
    /// Where it fell in the sequence.
    pub order: Order,
    /// What the chained transcript says about it.
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

/// One end of an agreed session.
pub struct Session {
    side: Side,
    mode: Mode,
    session_id: SessionId,
    keys: EpochKeys,
    /// The initiator's hello, until its first turn is sealed.
    hello: Option<Hello>,
    send_seq: u64,
    send_prev: [u8; LINK_LEN],
    window: ReplayWindow,
    time_granularity: u32,
    entropy: Entropy,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("side", &self.side)
            .field("mode", &self.mode)
            .field("send_seq", &self.send_seq)
            .field("recv_highest", &self.window.highest())
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(side: Side, mode: Mode, session_id: SessionId, keys: EpochKeys, hello: Option<Hello>, options: SessionOptions) -> Self {
        Session {
            side,
            mode,
            session_id,
            keys,
            hello,
            send_seq: 0,
            send_prev: [0; LINK_LEN],
            window: ReplayWindow::new(),
            time_granularity: options.time_granularity,
            entropy: options.entropy,
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

    /// The 16-byte session id.
    pub fn session_id(&self) -> &SessionId {
        &self.session_id
    }

    /// The time granularity this session puts in metadata.
    pub fn time_granularity(&self) -> u32 {
        self.time_granularity
    }

    /// The next sequence number this end will seal.
    pub fn next_send_seq(&self) -> u64 {
        self.send_seq
    }

    /// 12 digits both ends derive from the transcript; equal codes mean no one sits in the middle.
    pub fn safety_code(&self) -> String {
        safety_code(&self.keys.safety)
    }

    fn send_direction(&self) -> Direction {
        match self.side {
            Side::Initiator => Direction::InitiatorToResponder,
            Side::Responder => Direction::ResponderToInitiator,
        }
    }

    fn key(&self, direction: Direction) -> &[u8; KEY_LEN] {
        match direction {
            Direction::InitiatorToResponder => &self.keys.i2r,
            Direction::ResponderToInitiator => &self.keys.r2i,
        }
    }

    /// Metadata for a turn by `role` at `now_unix` (seconds), with this session's granularity.
    pub fn metadata(&self, role: crate::Role, now_unix: u64) -> Result<Metadata> {
        Metadata::new(role, now_unix, self.time_granularity)
    }

    /// Seals `body` with `metadata` into a binary envelope. On error nothing changes.
    pub fn seal(&mut self, body: &[u8], metadata: &Metadata) -> Result<Vec<u8>> {
        if self.send_seq == u64::MAX {
            return Err(Error::CounterExhausted);
        }
        if metadata.time_granularity != self.time_granularity {
            return Err(Error::InvalidInput("metadata time granularity differs from the session's"));
        }
        let header = Header {
            session_id: self.session_id,
            direction: self.send_direction(),
            epoch: 0,
            seq: self.send_seq,
            prev: self.send_prev,
        };
        let mut out = encode_aad(&header, self.hello.as_ref(), metadata, XNONCE_LEN + bucket(body.len().saturating_add(1)) + TAG_LEN)?;
        let aad_len = out.len();
        let nonce: [u8; XNONCE_LEN] = self.entropy.array()?;
        out.extend_from_slice(&nonce);
        let body_at = out.len();
        out.extend_from_slice(body);
        pad(&mut out, body_at)?;
        let (aad, rest) = out.split_at_mut(aad_len);
        let padded = rest.get_mut(XNONCE_LEN..).ok_or(Error::Malformed("envelope"))?;
        let tag = xchacha_seal_detached(self.key(header.direction), &nonce, aad, padded)?;
        out.extend_from_slice(&tag);
        let link = link_digest(out.get(..aad_len).unwrap_or_default(), &nonce, &tag);
        self.send_seq += 1;
        self.send_prev = link;
        self.hello = None;
        Ok(out)
    }

    /// Opens a peer envelope. On any error the session is exactly as before.
    pub fn open(&mut self, envelope: &[u8]) -> Result<Opened> {
        let env = Envelope::parse(envelope)?;
        let opened = self.open_parsed(&env)?;
        self.record_opened(&env);
        Ok(opened)
    }

    /// Commits an envelope that `open_parsed` accepted to the replay window.
    pub(crate) fn record_opened(&mut self, env: &Envelope<'_>) {
        self.window.accept(env.header.seq, &env.header.prev, &env.link());
    }

    /// The keys and options of a session that never opened anything (handshake retry).
    pub(crate) fn into_parts(self) -> (EpochKeys, SessionOptions) {
        let options = SessionOptions { time_granularity: self.time_granularity, entropy: self.entropy };
        (self.keys, options)
    }

    pub(crate) fn open_parsed(&self, env: &Envelope<'_>) -> Result<Opened> {
        let header = &env.header;
        if header.session_id != self.session_id {
            return Err(Error::WrongSession);
        }
        if header.direction == self.send_direction() {
            return Err(Error::WrongDirection);
        }
        if header.epoch != 0 {
            return Err(Error::UnknownEpoch);
        }
        self.window.check(header.seq)?;
        let mut plaintext = xchacha_open(self.key(header.direction), &env.nonce, env.aad, env.ciphertext)?;
        unpad(&mut plaintext)?;
        let (order, chain) = self.window.judge(header.seq, &header.prev, &env.link());
        Ok(Opened { plaintext, metadata: env.metadata.clone(), header: header.clone(), order, chain })
    }

    /// For a stateless service end: after re-deriving a session from its first envelope, continue
    /// sealing after `own_envelope`, the last envelope this end sealed (authenticated here).
    pub fn resume_after(&mut self, own_envelope: &[u8]) -> Result<()> {
        let env = Envelope::parse(own_envelope)?;
        if env.header.session_id != self.session_id {
            return Err(Error::WrongSession);
        }
        if env.header.direction != self.send_direction() {
            return Err(Error::WrongDirection);
        }
        xchacha_open(self.key(env.header.direction), &env.nonce, env.aad, env.ciphertext)?;
        let next = env.header.seq.checked_add(1).ok_or(Error::CounterExhausted)?;
        if next > self.send_seq {
            self.send_seq = next;
            self.send_prev = env.link();
            self.hello = None;
        }
        Ok(())
    }

    #[cfg(feature = "test-vectors")]
    #[doc(hidden)]
    /// Test hook: jump the send counter (to test exhaustion without 2^64 seals).
    pub fn set_send_seq_for_tests(&mut self, seq: u64) {
        self.send_seq = seq;
    }
}
