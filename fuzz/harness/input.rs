//! Fuzzer bytes read as a sequence of choices, and byte-level mutations of genuine messages
//! driven by those choices (so the fuzzer starts from authentic envelopes and state blobs instead
//! of having to guess a structure the AEAD protects).

/// A cursor over the fuzzer's bytes. Reading past the end yields zeros: every input is valid.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Reads `data` from the start.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// Whether every byte was consumed.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte (0 once exhausted).
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next two bytes, big-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::from(self.u16()) % n
        }
    }

    /// Whether the next byte is odd.
    pub fn flag(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    /// Up to `max` bytes, the count chosen by the input.
    pub fn bytes(&mut self, max: usize) -> &'a [u8] {
        let n = self.below(max + 1).min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.data)
    }

    /// A counter value, biased to the edges the protocol cares about (2^53 − 1 and around).
    pub fn counter(&mut self) -> u64 {
        const EDGES: [u64; 8] = [0, 1, 2, 63, 64, (1 << 53) - 1, 1 << 53, u64::MAX];
        match self.u8() % 4 {
            0 => EDGES.get(usize::from(self.u8() % 8)).copied().unwrap_or(0),
            1 => u64::from(self.u8()),
            _ => u64::from_be_bytes([
                self.u8(),
                self.u8(),
                self.u8(),
                self.u8(),
                self.u8(),
                self.u8(),
                self.u8(),
                self.u8(),
            ]),
        }
    }
}

/// Applies up to four input-chosen edits to a copy of `genuine`: bit flips, byte writes,
/// truncation, insertion, deletion, a big-endian counter written over 8 bytes, and a splice of
/// bytes from one of `donors` (other genuine messages, so whole fields move between messages).
pub fn mutate(genuine: &[u8], input: &mut Input<'_>, donors: &[&[u8]]) -> Vec<u8> {
    let mut out = genuine.to_vec();
    for _ in 0..input.u8() % 5 {
        let at = input.below(out.len() + 1);
        match input.u8() % 7 {
            0 => {
                let bit = input.u8() % 8;
                if let Some(b) = out.get_mut(at) {
                    *b ^= 1 << bit;
                }
            }
            1 => {
                let v = input.u8();
                if let Some(b) = out.get_mut(at) {
                    *b = v;
                }
            }
            2 => out.truncate(at),
            3 => {
                let ins = input.bytes(32);
                out.splice(at..at, ins.iter().copied());
            }
            4 => {
                let n = input.below(64);
                out.drain(at..(at + n).min(out.len()));
            }
            5 => {
                let v = input.counter().to_be_bytes();
                for (k, b) in v.iter().enumerate() {
                    if let Some(slot) = out.get_mut(at + k) {
                        *slot = *b;
                    }
                }
            }
            _ => {
                let donor = donors.get(input.below(donors.len())).copied().unwrap_or_default();
                let from = input.below(donor.len() + 1);
                let n = input.below(128);
                let piece = donor.get(from..(from + n).min(donor.len())).unwrap_or_default();
                let end = (at + piece.len()).min(out.len());
                out.splice(at..end, piece.iter().copied());
            }
        }
    }
    out
}
