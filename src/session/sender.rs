//! The sending half of a session: sequence numbers, the chain of this end's own turns, the hello
//! still to send, an open stream, and the close (`SPEC.md` § 6.2, § 7).

use crate::error::{Error, Result};
use crate::ids::{Direction, SessionHandle, LINK_LEN, MAX_COUNTER};
use crate::wire::{Ack, Header, Hello, StreamPart};

/// What kind of turn is being sealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// An ordinary turn.
    Turn,
    /// The last turn this end seals.
    Close,
    /// A chunk of a stream (the first one opens it); `end` closes the stream.
    Chunk { end: bool },
}

pub(crate) struct Sender {
    pub(crate) next_seq: u64,
    /// Link of the last turn sealed (zeros before the first).
    pub(crate) prev: [u8; LINK_LEN],
    /// The hello the initiator's first turn carries.
    pub(crate) hello: Option<Hello>,
    /// Sequence number of the open stream's first chunk.
    pub(crate) stream: Option<u64>,
    pub(crate) closed: bool,
}

impl Sender {
    pub(crate) fn new(hello: Option<Hello>) -> Self {
        Sender { next_seq: 0, prev: [0; LINK_LEN], hello, stream: None, closed: false }
    }

    /// Refuses a turn this end may not seal now. Changes nothing.
    pub(crate) fn check(&self, step: Step) -> Result<()> {
        if self.closed {
            return Err(Error::Closed);
        }
        if self.next_seq > MAX_COUNTER {
            return Err(Error::CounterExhausted);
        }
        if self.stream.is_some() && !matches!(step, Step::Chunk { .. }) {
            return Err(Error::State("a stream is open: end it before sealing another turn"));
        }
        Ok(())
    }

    /// The header of the next turn.
    pub(crate) fn header(
        &self,
        handle: SessionHandle,
        direction: Direction,
        epoch: u32,
        ack: Option<Ack>,
        step: Step,
    ) -> Header {
        let stream = match step {
            Step::Chunk { end } => Some(StreamPart { start: self.stream.unwrap_or(self.next_seq), end }),
            Step::Turn | Step::Close => None,
        };
        Header {
            handle,
            direction,
            epoch,
            seq: self.next_seq,
            prev: self.prev,
            ack,
            close: step == Step::Close,
            stream,
        }
    }

    /// Only after the envelope is complete: advance.
    pub(crate) fn sealed(&mut self, header: &Header, link: [u8; LINK_LEN]) {
        self.next_seq += 1;
        self.prev = link;
        self.hello = None;
        self.closed |= header.close;
        self.stream = match header.stream {
            Some(StreamPart { end: false, start }) => Some(start),
            _ => None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_and_close_rules() {
        let mut s = Sender::new(None);
        let handle = SessionHandle::from_bytes([0; 16]);
        let h = s.header(handle, Direction::ResponderToInitiator, 0, None, Step::Chunk { end: false });
        assert_eq!(h.stream, Some(StreamPart { start: 0, end: false }));
        s.sealed(&h, [1; 32]);
        assert!(s.check(Step::Turn).is_err());
        assert!(s.check(Step::Close).is_err());
        let h = s.header(handle, Direction::ResponderToInitiator, 0, None, Step::Chunk { end: true });
        assert_eq!((h.seq, h.prev, h.stream), (1, [1; 32], Some(StreamPart { start: 0, end: true })));
        s.sealed(&h, [2; 32]);
        assert!(s.check(Step::Turn).is_ok());
        let h = s.header(handle, Direction::ResponderToInitiator, 0, None, Step::Close);
        s.sealed(&h, [3; 32]);
        assert_eq!(s.check(Step::Turn), Err(Error::Closed));
        s.closed = false;
        s.next_seq = MAX_COUNTER + 1;
        assert_eq!(s.check(Step::Turn), Err(Error::CounterExhausted));
    }
}
