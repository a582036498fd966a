//! Receive-side replay window and chain bookkeeping (`SPEC.md` § 10, § 7.1).
//!
//! A sequence number is accepted when it is new and greater than `highest − 64`. For each accepted
//! number the window keeps 8-byte fingerprints of its own link and of the `prev` it claimed, so a
//! late arrival can still be checked against both neighbours. 1 KiB per session.
//!
//! Slot `s mod 64` belongs to `s` whenever `s` is inside the window and marked seen: any other
//! number with the same residue is at least 64 away, so it cannot have been accepted while `s`
//! was in the window. The slot therefore needs no copy of its sequence number.

use crate::encoding::Reader;
use crate::error::{Error, Result};
use crate::ids::{LINK_LEN, MAX_COUNTER};
use crate::kdf::truncate;

/// Width of the replay window: how far behind the highest sequence number a turn may arrive.
pub const WINDOW: u64 = 64;

/// How a turn's sequence number relates to what was opened before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// The next number after the highest opened so far.
    InOrder,
    /// Ahead of the next expected number: `missing` turns have not (yet) arrived.
    Gap {
        /// How many numbers were skipped.
        missing: u64,
    },
    /// Below the highest opened so far (filled a gap inside the window).
    Late,
}

/// What the chained transcript says about this turn's neighbours in its direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chain {
    /// Its `prev` matches the previous turn (or it is the first turn), and any later turn already
    /// opened points back to it.
    Linked,
    /// The previous turn has not been opened, so the link cannot be checked yet.
    Unverified,
    /// A neighbour disagrees: the sender forked its history (e.g. sealed from a stale state).
    Broken,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    link: [u8; 8],
    prev: [u8; 8],
}

pub(crate) struct ReplayWindow {
    highest: Option<u64>,
    /// Bit i set: `highest − i` was opened.
    seen: u64,
    slots: [Slot; WINDOW as usize],
}

impl ReplayWindow {
    pub(crate) fn new() -> Self {
        ReplayWindow { highest: None, seen: 0, slots: [Slot::default(); WINDOW as usize] }
    }

    fn was_seen(&self, seq: u64) -> bool {
        match self.highest {
            Some(h) if seq <= h && h - seq < WINDOW => self.seen >> (h - seq) & 1 == 1,
            _ => false,
        }
    }

    fn slot(&self, seq: u64) -> Option<&Slot> {
        self.slots.get((seq % WINDOW) as usize).filter(|_| self.was_seen(seq))
    }

    /// Refuses replays and turns too old to tell apart from replays. Changes nothing.
    pub(crate) fn check(&self, seq: u64) -> Result<()> {
        match self.highest {
            Some(h) if seq <= h && h - seq >= WINDOW => Err(Error::TooOld),
            _ if self.was_seen(seq) => Err(Error::Duplicate),
            _ => Ok(()),
        }
    }

    /// Order and chain verdicts for an authenticated turn about to be accepted. Changes nothing.
    pub(crate) fn judge(&self, seq: u64, prev: &[u8; LINK_LEN], link: &[u8; LINK_LEN]) -> (Order, Chain) {
        let expected = self.highest.map_or(0, |h| h.saturating_add(1));
        let order = match seq {
            s if s == expected => Order::InOrder,
            s if s > expected => Order::Gap { missing: s - expected },
            _ => Order::Late,
        };
        let prev8: [u8; 8] = truncate(*prev);
        let link8: [u8; 8] = truncate(*link);
        let back = match seq.checked_sub(1) {
            None => Some(true), // seq 0: the parser already required an all-zero prev
            Some(p) => self.slot(p).map(|s| s.link == prev8),
        };
        let forward = seq.checked_add(1).and_then(|n| self.slot(n)).map(|s| s.prev == link8);
        let chain = match (back, forward) {
            (Some(false), _) | (_, Some(false)) => Chain::Broken,
            (Some(true), _) => Chain::Linked,
            (None, _) => Chain::Unverified,
        };
        (order, chain)
    }

    /// Records an accepted turn. Call only after `check` passed and the turn authenticated.
    pub(crate) fn accept(&mut self, seq: u64, prev: &[u8; LINK_LEN], link: &[u8; LINK_LEN]) {
        match self.highest {
            Some(h) if seq <= h => self.seen |= 1 << (h - seq),
            Some(h) => {
                let shift = seq - h;
                self.seen = if shift >= WINDOW { 1 } else { self.seen << shift | 1 };
                self.highest = Some(seq);
            }
            None => {
                self.seen = 1;
                self.highest = Some(seq);
            }
        }
        if let Some(slot) = self.slots.get_mut((seq % WINDOW) as usize) {
            *slot = Slot { link: truncate(*link), prev: truncate(*prev) };
        }
    }

    /// Appends the window to a state blob (`SPEC.md` § 13.1). A slot whose number is not marked
    /// seen is written as zeros, so equal windows always export equal bytes.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(self.highest.is_some()));
        out.extend_from_slice(&self.highest.unwrap_or(0).to_be_bytes());
        out.extend_from_slice(&self.seen.to_be_bytes());
        for (i, slot) in self.slots.iter().enumerate() {
            let slot = if self.live(i) { *slot } else { Slot::default() };
            out.extend_from_slice(&slot.link);
            out.extend_from_slice(&slot.prev);
        }
    }

    /// Whether slot `i` belongs to an opened number inside the window.
    fn live(&self, i: usize) -> bool {
        self.highest.is_some_and(|h| {
            // The number in the window with residue i: h − ((h − i) mod 64).
            let back = (h % WINDOW + WINDOW - i as u64) % WINDOW;
            h >= back && self.seen >> back & 1 == 1
        })
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let has = r.u8()?;
        let highest = r.u64()?;
        let mut w = ReplayWindow::new();
        w.highest = match has {
            0 if highest == 0 => None,
            // A sequence number, so at most 2^53 − 1 (`missing` counts up to `highest + 1`).
            1 if highest <= MAX_COUNTER => Some(highest),
            _ => return Err(Error::Malformed("state")),
        };
        w.seen = r.u64()?;
        // Bit 0 (the highest itself) is set whenever there is a highest, and no bit stands for
        // a number below 0: every other bitmap is a state no session reaches.
        let valid = match w.highest {
            None => w.seen == 0,
            Some(h) => w.seen & 1 == 1 && (h >= WINDOW - 1 || w.seen >> (h + 1) == 0),
        };
        if !valid {
            return Err(Error::Malformed("state"));
        }
        for slot in &mut w.slots {
            *slot = Slot { link: r.array()?, prev: r.array()? };
        }
        // One encoding per window: `encode` writes the slots of numbers not opened as zeros.
        let stale = w.slots.iter().enumerate().any(|(i, s)| !w.live(i) && (s.link, s.prev) != ([0; 8], [0; 8]));
        if stale {
            return Err(Error::Malformed("state"));
        }
        Ok(w)
    }

    /// The highest sequence number opened, if any.
    pub(crate) fn highest(&self) -> Option<u64> {
        self.highest
    }

    /// How many numbers below the highest, inside the window, have not been opened (turns the
    /// peer sent that are missing so far).
    pub(crate) fn missing(&self) -> u64 {
        match self.highest {
            None => 0,
            Some(h) => {
                let span = (h + 1).min(WINDOW);
                let mask = if span == 64 { u64::MAX } else { (1u64 << span) - 1 };
                u64::from((!self.seen & mask).count_ones())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_rules() {
        let mut w = ReplayWindow::new();
        let z = [0u8; 32];
        assert!(w.check(5).is_ok());
        w.accept(5, &z, &z);
        assert_eq!(w.check(5), Err(Error::Duplicate));
        assert!(w.check(4).is_ok());
        w.accept(100, &z, &z);
        assert_eq!(w.check(36), Err(Error::TooOld));
        assert!(w.check(37).is_ok());
        assert_eq!(w.check(100), Err(Error::Duplicate));
        w.accept(37, &z, &z);
        assert_eq!(w.check(37), Err(Error::Duplicate));
        w.accept(1000, &z, &z);
        assert_eq!(w.check(100), Err(Error::TooOld));
        assert_eq!(w.highest(), Some(1000));
    }

    #[test]
    fn export_zeroes_stale_slots_and_counts_missing() {
        let mut w = ReplayWindow::new();
        let l = [7u8; 32];
        w.accept(3, &l, &l);
        w.accept(70, &l, &l); // 3 leaves the window; its slot (3) is stale
        let mut a = Vec::new();
        w.encode(&mut a);
        let slot = |buf: &[u8], i: usize| buf[17 + 16 * i..17 + 16 * (i + 1)].to_vec();
        assert_eq!(slot(&a, 3), vec![0; 16]);
        assert_eq!(slot(&a, 70 % 64), vec![7; 16]);
        assert_eq!(w.missing(), 63);
        let mut r = Reader::new(&a, "state");
        let back = ReplayWindow::decode(&mut r).unwrap();
        let mut b = Vec::new();
        back.encode(&mut b);
        assert_eq!(a, b);
        // Found with the import_state fuzz harness (fuzz/regressions/import_state): a non-zero slot of a number not
        // opened is a second encoding of the same window, refused like every other.
        let mut stale = a.clone();
        stale[17 + 16 * 3] = 1;
        assert_eq!(ReplayWindow::decode(&mut Reader::new(&stale, "state")).err(), Some(Error::Malformed("state")));
        let mut live = a.clone();
        live[17 + 16 * (70 % 64)] = 1;
        assert!(ReplayWindow::decode(&mut Reader::new(&live, "state")).is_ok());
        // Bitmaps no session reaches: the highest not marked, a number below 0 marked.
        let bitmap = |w: &ReplayWindow, seen: u64| {
            let mut b = Vec::new();
            w.encode(&mut b);
            b[9..17].copy_from_slice(&seen.to_be_bytes());
            ReplayWindow::decode(&mut Reader::new(&b, "state")).err()
        };
        let mut small = ReplayWindow::new();
        small.accept(2, &l, &l);
        assert_eq!(bitmap(&small, 0b001), None);
        assert_eq!(bitmap(&small, 0b101), None, "numbers 2 and 0");
        assert_eq!(bitmap(&small, 0b110), Some(Error::Malformed("state")), "the highest not marked");
        assert_eq!(bitmap(&small, 0b1001), Some(Error::Malformed("state")), "number -1 marked");
        // Also found by fuzzing: a highest number above 2^53 − 1 (u64::MAX overflowed `missing`).
        for (highest, ok) in [(MAX_COUNTER, true), (MAX_COUNTER + 1, false), (u64::MAX, false)] {
            let mut big = a.clone();
            big[1..9].copy_from_slice(&highest.to_be_bytes());
            big[17..].fill(0);
            let decoded = ReplayWindow::decode(&mut Reader::new(&big, "state"));
            assert_eq!(decoded.is_ok(), ok, "{highest}");
            if let Ok(w) = decoded {
                assert_eq!(w.missing(), 63, "only the highest is marked opened");
            }
        }
        let mut w = ReplayWindow::new();
        w.accept(0, &l, &l);
        w.accept(2, &l, &l);
        assert_eq!(w.missing(), 1);
    }

    #[test]
    fn chain_verdicts() {
        let mut w = ReplayWindow::new();
        let l0 = [1u8; 32];
        let l1 = [2u8; 32];
        let l2 = [3u8; 32];
        assert_eq!(w.judge(0, &[0; 32], &l0), (Order::InOrder, Chain::Linked));
        w.accept(0, &[0; 32], &l0);
        // 2 arrives before 1.
        assert_eq!(w.judge(2, &l1, &l2), (Order::Gap { missing: 1 }, Chain::Unverified));
        w.accept(2, &l1, &l2);
        assert_eq!(w.judge(1, &l0, &l1), (Order::Late, Chain::Linked));
        // A forked 1 whose link 2 does not point to.
        assert_eq!(w.judge(1, &l0, &[9; 32]), (Order::Late, Chain::Broken));
        assert_eq!(w.judge(1, &[9; 32], &l1), (Order::Late, Chain::Broken));
    }
}
