//! Checking a stored conversation without keys (`SPEC.md` § 11.1): is every turn there, in one
//! chain per direction, acknowledged turns included, and did someone close it? A backend (or an
//! auditor holding a copy of its storage) runs this over the envelopes it stored; only truncation
//! that no one acknowledged can hide from it, and the session ends see that (`Status`).

use crate::ids::{Direction, SessionHandle, LINK_LEN};
use crate::wire::Inspection;
use std::collections::BTreeMap;

/// What an audit concludes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Closed, nothing missing, every link and acknowledgement consistent, no stream left open.
    Complete,
    /// Consistent and nothing missing so far, but no one closed it (it may go on, or its end may
    /// have been cut off).
    Unfinished,
    /// Turns are missing: a gap in a direction, or a turn the other side acknowledged is absent.
    Incomplete,
    /// Stored turns contradict each other: a link or acknowledgement does not match, two
    /// different turns share a number, a turn follows its sender's close, or turns of other
    /// sessions are mixed in.
    Broken,
}

/// One direction of an audited conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectionAudit {
    /// Distinct turns stored.
    pub turns: u64,
    /// The highest sequence number that should exist: the highest stored or acknowledged.
    pub expected_highest: Option<u64>,
    /// Missing sequence numbers, as inclusive ranges.
    pub missing: Vec<(u64, u64)>,
    /// Sequence numbers whose `prev` does not match the stored turn before them.
    pub broken_links: Vec<u64>,
    /// Sequence numbers stored twice with different contents (a forked sender).
    pub forks: Vec<u64>,
    /// Sequence numbers whose acknowledgement of the other direction names a different link
    /// than the stored turn.
    pub ack_mismatches: Vec<u64>,
    /// The start of a stream whose last chunk is not stored.
    pub open_stream: Option<u64>,
}

/// The audit of one stored conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audit {
    /// The session (of the first envelope given).
    pub handle: Option<SessionHandle>,
    /// Initiator to responder.
    pub i2r: DirectionAudit,
    /// Responder to initiator.
    pub r2i: DirectionAudit,
    /// Who closed, at which sequence number.
    pub closed_by: Option<(Direction, u64)>,
    /// Turns numbered after their sender's close.
    pub after_close: u64,
    /// Envelopes of other sessions in the input.
    pub foreign: u64,
    /// The conclusion.
    pub verdict: Verdict,
}

/// Audits the inspections of one conversation's stored envelopes (any order, duplicates allowed).
pub fn audit(envelopes: &[Inspection]) -> Audit {
    let handle = envelopes.first().map(|i| i.header.handle);
    let mut foreign = 0;
    let mut by_turn: [BTreeMap<u64, &Inspection>; 2] = [BTreeMap::new(), BTreeMap::new()];
    let mut dirs = [DirectionAudit::default(), DirectionAudit::default()];
    for i in envelopes {
        if Some(i.header.handle) != handle {
            foreign += 1;
            continue;
        }
        let d = usize::from(i.header.direction.wire_id());
        if let (Some(map), Some(dir)) = (by_turn.get_mut(d), dirs.get_mut(d)) {
            match map.get(&i.header.seq) {
                Some(seen) if seen.link != i.link => dir.forks.push(i.header.seq),
                Some(_) => {}
                None => {
                    map.insert(i.header.seq, i);
                }
            }
        }
    }
    let [i2r_map, r2i_map] = &by_turn;
    let [mut i2r, mut r2i] = dirs;
    check_direction(i2r_map, r2i_map, &mut i2r);
    check_direction(r2i_map, i2r_map, &mut r2i);
    let (closed_by, after_close) = closes(&by_turn);
    let verdict = verdict(&i2r, &r2i, closed_by.is_some(), after_close, foreign);
    Audit { handle, i2r, r2i, closed_by, after_close, foreign, verdict }
}

/// Chain, gaps, streams and acknowledgements of one direction (`own`), given the other.
fn check_direction(own: &BTreeMap<u64, &Inspection>, other: &BTreeMap<u64, &Inspection>, out: &mut DirectionAudit) {
    out.turns = own.len() as u64;
    let acked = other.values().filter_map(|i| i.header.ack.map(|a| a.seq)).max();
    out.expected_highest = own.keys().next_back().copied().max(acked);
    let mut expect = 0u64;
    let mut prev_link: Option<&[u8; LINK_LEN]> = None;
    for (&seq, i) in own {
        if seq > expect {
            out.missing.push((expect, seq - 1));
        }
        match prev_link {
            Some(link) if seq == expect && seq > 0 && &i.header.prev != link => out.broken_links.push(seq),
            _ => {}
        }
        if let Some(part) = i.header.stream {
            out.open_stream = if part.end { None } else { Some(part.start) };
        }
        if let Some(ack) = i.header.ack {
            if other.get(&ack.seq).is_some_and(|peer| peer.link != ack.link) {
                out.ack_mismatches.push(seq);
            }
        }
        prev_link = Some(&i.link);
        expect = seq.saturating_add(1);
    }
    if let Some(h) = out.expected_highest {
        if h >= expect {
            out.missing.push((expect, h));
        }
    }
}

/// The first close stored, and how many turns follow their sender's close.
fn closes(by_turn: &[BTreeMap<u64, &Inspection>; 2]) -> (Option<(Direction, u64)>, u64) {
    let mut closed_by: Option<(Direction, u64)> = None;
    let mut after = 0;
    for map in by_turn {
        if let Some(i) = map.values().find(|i| i.header.close) {
            let seq = i.header.seq;
            after += map.range(seq.saturating_add(1)..).count() as u64;
            if closed_by.is_none() {
                closed_by = Some((i.header.direction, seq));
            }
        }
    }
    (closed_by, after)
}

fn verdict(i2r: &DirectionAudit, r2i: &DirectionAudit, closed: bool, after_close: u64, foreign: u64) -> Verdict {
    let broken = |d: &DirectionAudit| !d.broken_links.is_empty() || !d.forks.is_empty() || !d.ack_mismatches.is_empty();
    if broken(i2r) || broken(r2i) || after_close > 0 || foreign > 0 {
        Verdict::Broken
    } else if !i2r.missing.is_empty() || !r2i.missing.is_empty() {
        Verdict::Incomplete
    } else if !closed || i2r.open_stream.is_some() || r2i.open_stream.is_some() {
        Verdict::Unfinished
    } else {
        Verdict::Complete
    }
}
