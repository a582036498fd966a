//! Reading a sealed stream in order (`SPEC.md` § 7.3): a reply sent as chunks, each sealed and
//! chained, the last one marked. A dropped, reordered or cut-off stream is an error here, not a
//! silently shorter reply.

use crate::error::{Error, Result};
use crate::session::{Chain, Opened, Order};

/// Checks the chunks of one stream as they are opened, in order.
#[derive(Debug, Default)]
pub struct StreamAssembler {
    /// (first chunk's sequence number, next expected one), once the first chunk arrived.
    position: Option<(u64, u64)>,
    ended: bool,
}

impl StreamAssembler {
    /// Waiting for the first chunk.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts the next opened chunk; returns whether it ended the stream. Anything but the next
    /// chunk of this stream, in order and linked, is `stream_broken`.
    pub fn push(&mut self, chunk: &Opened) -> Result<bool> {
        let part = chunk.header.stream.ok_or(Error::StreamBroken("not a stream chunk"))?;
        if self.ended {
            return Err(Error::StreamBroken("chunk after the end of the stream"));
        }
        let seq = chunk.header.seq;
        match self.position {
            None if part.start != seq => return Err(Error::StreamBroken("stream does not begin at its first chunk")),
            Some((start, _)) if part.start != start => return Err(Error::StreamBroken("chunk of another stream")),
            Some((_, next)) if seq != next => return Err(Error::StreamBroken("chunk missing or out of order")),
            _ => {}
        }
        if chunk.order != Order::InOrder || chunk.chain == Chain::Broken {
            return Err(Error::StreamBroken("chunk missing or out of order"));
        }
        self.position = Some((part.start, seq.saturating_add(1)));
        self.ended = part.end;
        Ok(part.end)
    }

    /// Call when no more chunks will come: `stream_broken` unless the last one ended the stream.
    pub fn finish(&self) -> Result<()> {
        if self.ended {
            Ok(())
        } else {
            Err(Error::StreamBroken("stream cut off before its last chunk"))
        }
    }

    /// How many chunks were accepted.
    pub fn chunks(&self) -> u64 {
        self.position.map_or(0, |(start, next)| next - start)
    }
}
