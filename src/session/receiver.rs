//! The receiving half of a session: the replay window and chain verdicts, the head this end
//! acknowledges, what the peer acknowledged of this end's turns, and the peer's close
//! (`SPEC.md` § 7, § 10).

use super::sender::Sender;
use super::window::{Chain, Order, ReplayWindow};
use crate::error::{Error, Result};
use crate::ids::LINK_LEN;
use crate::wire::{Ack, Header};

/// What a peer's turn says about this end's own turns (`SPEC.md` § 7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAck {
    /// The highest of this end's sequence numbers the peer had opened when it sealed the turn.
    pub highest: Option<u64>,
    /// How many turns this end had sealed after that one: sent, not (yet) confirmed.
    pub unacknowledged: u64,
    /// Whether the confirmed turn is the one this end sent: checked when the peer confirms this
    /// end's latest turn (`Some(true)`); `Some(false)` when it names another link or a number
    /// this end never sealed (this end's state was restored from a stale copy); `None` otherwise.
    pub matches: Option<bool>,
}

pub(crate) struct Receiver {
    pub(crate) window: ReplayWindow,
    /// Link of the highest turn opened (what this end acknowledges).
    pub(crate) head_link: [u8; LINK_LEN],
    /// Sequence number of the peer's close, once opened.
    pub(crate) peer_closed: Option<u64>,
    /// The highest of this end's turns any peer turn confirmed.
    pub(crate) peer_acked: Option<u64>,
}

impl Receiver {
    pub(crate) fn new() -> Self {
        Receiver { window: ReplayWindow::new(), head_link: [0; LINK_LEN], peer_closed: None, peer_acked: None }
    }

    /// The ack this end's next turn carries.
    pub(crate) fn ack(&self) -> Option<Ack> {
        self.window.highest().map(|seq| Ack { seq, link: self.head_link })
    }

    /// Refuses turns after the peer's close, replays and turns too old. Changes nothing.
    pub(crate) fn check(&self, seq: u64) -> Result<()> {
        if self.peer_closed.is_some_and(|c| seq > c) {
            return Err(Error::Closed);
        }
        self.window.check(seq)
    }

    /// Order and chain verdicts for an authenticated turn. Changes nothing.
    pub(crate) fn judge(&self, header: &Header, link: &[u8; LINK_LEN]) -> (Order, Chain) {
        self.window.judge(header.seq, &header.prev, link)
    }

    /// What `ack` (from a peer turn) says about `sender`'s turns.
    pub(crate) fn peer_ack(ack: Option<&Ack>, sender: &Sender) -> PeerAck {
        let sent = sender.next_seq;
        match ack {
            None => PeerAck { highest: None, unacknowledged: sent, matches: None },
            Some(a) => PeerAck {
                highest: Some(a.seq),
                unacknowledged: sent.saturating_sub(a.seq.saturating_add(1)),
                matches: if a.seq >= sent {
                    Some(false)
                } else if a.seq + 1 == sent {
                    Some(a.link == sender.prev)
                } else {
                    None
                },
            },
        }
    }

    /// Records an authenticated turn.
    pub(crate) fn accept(&mut self, header: &Header, link: &[u8; LINK_LEN]) {
        if self.window.highest().is_none_or(|h| header.seq > h) {
            self.head_link = *link;
        }
        self.window.accept(header.seq, &header.prev, link);
        if header.close {
            self.peer_closed = Some(header.seq);
        }
        if let Some(a) = &header.ack {
            self.peer_acked = Some(self.peer_acked.map_or(a.seq, |p| p.max(a.seq)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Direction, SessionHandle};

    fn header(seq: u64, close: bool, ack: Option<Ack>) -> Header {
        Header {
            handle: SessionHandle::from_bytes([0; 16]),
            direction: Direction::ResponderToInitiator,
            epoch: 0,
            seq,
            prev: [0; 32],
            ack,
            close,
            stream: None,
        }
    }

    #[test]
    fn head_close_and_acks() {
        let mut r = Receiver::new();
        assert_eq!(r.ack(), None);
        r.accept(&header(2, false, None), &[2; 32]);
        r.accept(&header(1, false, Some(Ack { seq: 4, link: [0; 32] })), &[1; 32]);
        assert_eq!(r.ack(), Some(Ack { seq: 2, link: [2; 32] }), "a late turn does not move the head");
        assert_eq!(r.peer_acked, Some(4));
        r.accept(&header(3, true, Some(Ack { seq: 3, link: [0; 32] })), &[3; 32]);
        assert_eq!(r.peer_acked, Some(4), "acks only grow");
        assert_eq!(r.check(4), Err(Error::Closed));
        assert_eq!(r.check(0), Ok(()));
    }

    #[test]
    fn peer_ack_verdicts() {
        let mut s = Sender::new(None);
        s.next_seq = 5;
        s.prev = [9; 32];
        let ack = |seq, link| Some(Ack { seq, link });
        assert_eq!(Receiver::peer_ack(None, &s), PeerAck { highest: None, unacknowledged: 5, matches: None });
        assert_eq!(Receiver::peer_ack(ack(4, [9; 32]).as_ref(), &s).matches, Some(true));
        assert_eq!(Receiver::peer_ack(ack(4, [8; 32]).as_ref(), &s).matches, Some(false));
        assert_eq!(Receiver::peer_ack(ack(5, [9; 32]).as_ref(), &s).matches, Some(false));
        let p = Receiver::peer_ack(ack(1, [0; 32]).as_ref(), &s);
        assert_eq!((p.unacknowledged, p.matches), (3, None));
    }
}
