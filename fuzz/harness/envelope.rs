//! `open` (both ends, arbitrary and mutated genuine envelopes, and schedules of genuine ones
//! checked against a model of the replay window), `inspect` with `audit`, and `stream`.

use super::fixture::{fixture, End, Fixture, Turn};
use super::input::{mutate, Input};
use super::{check_error, oracle};
use chatseal::{
    audit, padded_len, Audit, Chain, Direction, Error, Inspection, Label, Opened, Order, StreamAssembler, Verdict,
    MAX_COUNTER, MAX_ENVELOPE, MAX_LABELS, MIN_ENVELOPE, WINDOW,
};
use std::collections::BTreeSet;

const ENDS: [End; 4] = [End::Visitor, End::Service, End::VisitorEarly, End::ServiceEarly];

/// Fuzz target `open`.
pub fn open(data: &[u8]) {
    let f = fixture();
    let mut input = Input::new(data);
    match input.u8() % 3 {
        0 => open_arbitrary(f, &mut input),
        1 => open_mutated(f, &mut input),
        _ => open_schedule(f, &mut input),
    }
}

/// What a successful open returned agrees with the envelope's clear structure.
fn check_opened(bytes: &[u8], o: &Opened) {
    let i = chatseal::inspect(bytes).expect("an opened envelope inspects");
    assert_eq!(o.header, i.header);
    assert_eq!(o.metadata, i.metadata);
    assert_eq!(padded_len(o.plaintext.len() + 1), i.padded_len);
}

/// Arbitrary bytes opened (and re-opened) by one stored end: only a genuine envelope can open, and
/// a failed open changes nothing.
fn open_arbitrary(f: &Fixture, input: &mut Input<'_>) {
    let end = ENDS.get(input.below(ENDS.len())).copied().unwrap_or(End::Visitor);
    let bytes = input.rest();
    let mut s = f.session(end);
    let before = format!("{s:?}");
    match s.reopen(bytes) {
        Ok(o) => {
            assert!(f.genuine.contains(bytes), "reopen accepted a forged envelope");
            check_opened(bytes, &o);
        }
        Err(e) => check_error(&e),
    }
    match s.open(bytes) {
        Ok(o) => {
            assert!(f.genuine.contains(bytes), "open accepted a forged envelope");
            check_opened(bytes, &o);
        }
        Err(e) => {
            check_error(&e);
            assert_eq!(format!("{s:?}"), before, "a failed open changed the session");
        }
    }
}

/// A genuine envelope with input-chosen edits, opened by the end it was sealed for (and, if the
/// input says so, by the other end): it opens exactly when it is unchanged; a failed open
/// changes nothing, so the genuine envelope still opens afterwards.
fn open_mutated(f: &Fixture, input: &mut Input<'_>) {
    let cases = f.cases();
    let Some(&(end, turn)) = cases.get(input.below(cases.len())) else { return };
    let bytes = mutate(&turn.bytes, input, &f.envelopes());
    let (retry, reflect) = (input.flag(), input.flag());
    let mut s = f.session(end);
    let before = format!("{s:?}");
    match s.open(&bytes) {
        Ok(o) => {
            assert!(f.genuine.contains(&bytes), "a modified envelope opened");
            check_opened(&bytes, &o);
            if bytes == turn.bytes {
                assert_eq!(&o.plaintext[..], &turn.plaintext[..]);
                assert_eq!(o.header.seq, turn.seq);
            }
            let after = format!("{s:?}");
            assert_eq!(s.open(&bytes).map(|_| ()), Err(Error::Duplicate), "a replay opened");
            assert_eq!(format!("{s:?}"), after, "a refused replay changed the session");
        }
        Err(e) => {
            check_error(&e);
            assert_ne!(bytes, turn.bytes, "the genuine envelope did not open: {e:?}");
            assert_eq!(format!("{s:?}"), before, "a failed open changed the session");
            if retry {
                let o = s.open(&turn.bytes).expect("the genuine envelope opens after a failed open");
                assert_eq!(&o.plaintext[..], &turn.plaintext[..]);
            }
        }
    }
    if reflect {
        let other = match end {
            End::Visitor => End::Service,
            End::Service => End::Visitor,
            End::VisitorEarly => End::ServiceEarly,
            End::ServiceEarly => End::VisitorEarly,
        };
        let mut o = f.session(other);
        let before = format!("{o:?}");
        let r = o.open(&bytes);
        // Only another genuine envelope (one the edits happened to rebuild) may open there.
        assert!(r.is_err() || f.genuine.contains(&bytes) && bytes != turn.bytes, "an end opened its own turn");
        assert_eq!(format!("{o:?}"), before, "a failed open changed the session");
    }
}

/// The replay window and chain as the specification states them (`SPEC.md` § 7, § 10).
struct Window {
    highest: Option<u64>,
    seen: BTreeSet<u64>,
    closed: Option<u64>,
}

impl Window {
    fn was_seen(&self, seq: u64) -> bool {
        self.highest.is_some_and(|h| seq <= h && h - seq < WINDOW) && self.seen.contains(&seq)
    }

    fn predict(&self, seq: u64) -> Result<(Order, Chain), Error> {
        if self.closed.is_some_and(|c| seq > c) {
            return Err(Error::Closed);
        }
        if self.highest.is_some_and(|h| seq <= h && h - seq >= WINDOW) {
            return Err(Error::TooOld);
        }
        if self.was_seen(seq) {
            return Err(Error::Duplicate);
        }
        let expected = self.highest.map_or(0, |h| h + 1);
        let order = match seq {
            s if s == expected => Order::InOrder,
            s if s > expected => Order::Gap { missing: s - expected },
            _ => Order::Late,
        };
        let chain = if seq == 0 || self.was_seen(seq - 1) { Chain::Linked } else { Chain::Unverified };
        Ok((order, chain))
    }

    fn accept(&mut self, seq: u64, close: bool) {
        self.seen.insert(seq);
        self.highest = Some(self.highest.map_or(seq, |h| h.max(seq)));
        if close {
            self.closed = Some(seq);
        }
    }

    fn missing(&self) -> u64 {
        self.highest.map_or(0, |h| (h.saturating_sub(WINDOW - 1)..=h).filter(|s| !self.seen.contains(s)).count() as u64)
    }
}

/// Genuine envelopes of one direction opened in an input-chosen order (with repeats and a few
/// tampered copies): every verdict, error and status field must be the model's.
fn open_schedule(f: &Fixture, input: &mut Input<'_>) {
    let (end, pool, opened_before) =
        if input.flag() { (End::Service, &f.i2r, 2u64) } else { (End::Visitor, &f.r2i, 0u64) };
    let mut s = f.session(end);
    let mut model = Window { highest: Some(opened_before), seen: (0..=opened_before).collect(), closed: None };
    for _ in 0..24 {
        if input.is_empty() {
            break;
        }
        let Some(turn) = pool.get(input.below(pool.len())) else { return };
        let tamper = input.u8();
        if tamper % 16 == 0 {
            let mut bad = turn.bytes.clone();
            let at = input.below(bad.len());
            if let Some(b) = bad.get_mut(at) {
                *b ^= 1 << (tamper >> 5);
            }
            let before = format!("{s:?}");
            assert!(s.open(&bad).is_err(), "a tampered envelope opened");
            assert_eq!(format!("{s:?}"), before, "a failed open changed the session");
            continue;
        }
        schedule_step(&mut s, &mut model, turn);
        let st = s.status();
        assert_eq!(st.received_highest, model.highest);
        assert_eq!(st.missing, model.missing());
        assert_eq!(st.peer_closed, model.closed.is_some());
    }
}

fn schedule_step(s: &mut chatseal::Session, model: &mut Window, turn: &Turn) {
    let close = chatseal::inspect(&turn.bytes).map(|i| i.header.close).unwrap_or(false);
    let before = format!("{s:?}");
    match (s.open(&turn.bytes), model.predict(turn.seq)) {
        (Ok(o), Ok((order, chain))) => {
            assert_eq!((o.order, o.chain), (order, chain), "seq {}", turn.seq);
            assert_eq!(&o.plaintext[..], &turn.plaintext[..]);
            model.accept(turn.seq, close);
        }
        (Err(e), Err(want)) => {
            assert_eq!(e, want, "seq {}", turn.seq);
            assert_eq!(format!("{s:?}"), before, "a refused turn changed the session");
        }
        (got, want) => panic!("seq {}: open gave {:?}, the model {want:?}", turn.seq, got.map(|o| o.order)),
    }
}

/// Fuzz target `inspect`: arbitrary and mutated genuine envelopes through `inspect`, and
/// `audit` over a few of them.
pub fn inspect(data: &[u8]) {
    let f = fixture();
    let mut input = Input::new(data);
    match input.u8() % 3 {
        0 => {
            check_inspection(input.rest());
        }
        1 => {
            let mut all = f.envelopes();
            all.push(&f.mutual.first);
            let genuine = all.get(input.below(all.len())).copied().unwrap_or_default();
            check_inspection(&mutate(genuine, &mut input, &all));
        }
        _ => audit_some(f, &mut input),
    }
}

/// Inspects `bytes`; an accepted envelope must re-encode to its own header and metadata bytes
/// and obey every structural rule.
pub(super) fn check_inspection(bytes: &[u8]) -> Option<Inspection> {
    let i = match chatseal::inspect(bytes) {
        Ok(i) => i,
        Err(e) => {
            check_error(&e);
            return None;
        }
    };
    assert!((MIN_ENVELOPE..=MAX_ENVELOPE).contains(&bytes.len()));
    let aad = oracle::aad(&i);
    assert!(bytes.starts_with(&aad), "the inspection does not re-encode to the envelope");
    assert_eq!(bytes.len(), aad.len() + 24 + i.padded_len + 16);
    assert!(i.padded_len >= 32 && padded_len(i.padded_len) == i.padded_len);
    let h = &i.header;
    assert!(i.metadata.role.allowed_for(h.direction));
    assert_eq!(i.hello.is_some(), h.direction == Direction::InitiatorToResponder && h.seq == 0 && h.epoch == 0);
    if let Some(hello) = &i.hello {
        assert_eq!(hello.handle(), h.handle);
    }
    assert!(h.seq <= MAX_COUNTER && h.ack.is_none_or(|a| a.seq <= MAX_COUNTER));
    assert!(h.stream.is_none_or(|s| s.start <= h.seq));
    let labels = i.metadata.labels();
    assert!(labels.len() <= MAX_LABELS);
    assert!(labels.windows(2).all(|w| matches!(w, [a, b] if a.key() < b.key())), "labels not canonical");
    assert!(labels.iter().all(|l| Label::new(l.key(), l.value()).is_ok()));
    assert!(chatseal::inspect(bytes.get(..bytes.len() - 1).unwrap_or_default()).is_err());
    Some(i)
}

/// Audits a few inspected envelopes (genuine or mutated) and checks the audit against itself:
/// its verdict follows from its findings, it does not depend on order or duplicates, and a set of
/// unmodified genuine envelopes is never `Broken`.
fn audit_some(f: &Fixture, input: &mut Input<'_>) {
    let all = f.envelopes();
    let mut picked: Vec<Vec<u8>> = Vec::new();
    let mut all_genuine = true;
    let mut whole = false;
    for _ in 0..1 + input.below(12) {
        let k = input.below(all.len() + 1);
        match all.get(k) {
            // The whole conversation, at most once per input (it is the costly case).
            None if !whole => {
                whole = true;
                picked.extend(all.iter().map(|e| e.to_vec()));
            }
            None => {}
            Some(e) if input.u8() % 4 == 0 => {
                let m = mutate(e, input, &all);
                all_genuine &= m == *e;
                picked.push(m);
            }
            Some(e) => picked.push(e.to_vec()),
        }
    }
    let ins: Vec<Inspection> = picked.iter().filter_map(|b| check_inspection(b)).collect();
    let a = audit(&ins);
    check_audit(&ins, &a);
    if all_genuine {
        assert_ne!(a.verdict, Verdict::Broken, "genuine turns audited as broken: {a:?}");
    }
    if a.i2r.forks.is_empty() && a.r2i.forks.is_empty() && a.foreign == 0 {
        let reversed: Vec<Inspection> = ins.iter().rev().cloned().collect();
        assert_eq!(audit(&reversed), a, "the audit depends on the order");
        let twice: Vec<Inspection> = ins.iter().chain(ins.iter()).cloned().collect();
        assert_eq!(audit(&twice), a, "the audit depends on duplicates");
    }
}

fn check_audit(ins: &[Inspection], a: &Audit) {
    let handle = ins.first().map(|i| i.header.handle);
    assert_eq!(a.handle, handle);
    assert_eq!(a.foreign, ins.iter().filter(|i| Some(i.header.handle) != handle).count() as u64);
    for (dir, d) in [(Direction::InitiatorToResponder, &a.i2r), (Direction::ResponderToInitiator, &a.r2i)] {
        let seqs: BTreeSet<u64> = ins
            .iter()
            .filter(|i| Some(i.header.handle) == handle && i.header.direction == dir)
            .map(|i| i.header.seq)
            .collect();
        assert_eq!(d.turns, seqs.len() as u64);
        let mut last: Option<u64> = None;
        for &(lo, hi) in &d.missing {
            assert!(lo <= hi && last.is_none_or(|l| l < lo), "missing ranges overlap or are unsorted");
            assert!(seqs.range(lo..=hi).next().is_none(), "a stored turn is reported missing");
            assert!(d.expected_highest.is_some_and(|h| hi <= h));
            last = Some(hi);
        }
    }
    let broken = |d: &chatseal::DirectionAudit| {
        !d.broken_links.is_empty() || !d.forks.is_empty() || !d.ack_mismatches.is_empty()
    };
    let is_broken = broken(&a.i2r) || broken(&a.r2i) || a.after_close > 0 || a.foreign > 0;
    let missing = !a.i2r.missing.is_empty() || !a.r2i.missing.is_empty();
    let expected = if is_broken {
        Verdict::Broken
    } else if missing {
        Verdict::Incomplete
    } else if a.closed_by.is_none() || a.i2r.open_stream.is_some() || a.r2i.open_stream.is_some() {
        Verdict::Unfinished
    } else {
        Verdict::Complete
    };
    assert_eq!(a.verdict, expected);
}

/// Fuzz target `stream`: opened chunks of the fixture's streams pushed into a `StreamAssembler`
/// in an input-chosen order, or synthetic opened turns with input-chosen header fields. A stream
/// that finishes holds exactly its chunks, in order.
pub fn stream(data: &[u8]) {
    let f = fixture();
    let mut input = Input::new(data);
    let mut s = f.session(End::Visitor);
    let mut asm = StreamAssembler::new();
    let mut model = Assembly::default();
    if input.flag() {
        let Some(first) = f.r2i.first() else { return };
        let Ok(mut o) = s.open(&first.bytes) else { panic!("the first pool turn opens") };
        for _ in 0..24 {
            if input.is_empty() {
                break;
            }
            o.header.seq = input.counter() & MAX_COUNTER;
            o.header.stream = match input.u8() % 4 {
                0 => None,
                k => Some(chatseal::StreamPart {
                    start: if k == 1 {
                        input.counter() & MAX_COUNTER
                    } else {
                        o.header.seq.saturating_sub(u64::from(input.u8() % 4))
                    },
                    end: input.flag(),
                }),
            };
            o.order = match input.u8() % 3 {
                0 => Order::InOrder,
                1 => Order::Late,
                _ => Order::Gap { missing: 1 + u64::from(input.u8()) },
            };
            o.chain = match input.u8() % 3 {
                0 => Chain::Linked,
                1 => Chain::Unverified,
                _ => Chain::Broken,
            };
            push(&mut asm, &mut model, &o, None);
        }
    } else {
        for _ in 0..32 {
            if input.is_empty() {
                break;
            }
            let Some(turn) = f.r2i.get(input.below(f.r2i.len())) else { return };
            if let Ok(o) = s.open(&turn.bytes) {
                push(&mut asm, &mut model, &o, Some(turn));
            }
        }
    }
    assert_eq!(asm.chunks(), model.accepted.len() as u64);
    assert_eq!(asm.finish().is_ok(), model.ended);
    if model.ended && model.real {
        let whole = f.streams.iter().any(|r| {
            let chunks = f.r2i.get(r.clone()).unwrap_or_default();
            chunks.len() == model.accepted.len()
                && chunks.iter().zip(&model.accepted).all(|(t, (seq, text))| t.seq == *seq && t.plaintext == *text)
        });
        assert!(whole, "a finished stream is not exactly one stream's chunks in order");
    }
}

/// The assembler's rule from `SPEC.md` § 7.3, and what it accepted.
#[derive(Default)]
struct Assembly {
    position: Option<(u64, u64)>,
    ended: bool,
    real: bool,
    accepted: Vec<(u64, Vec<u8>)>,
}

fn push(asm: &mut StreamAssembler, model: &mut Assembly, o: &Opened, turn: Option<&Turn>) {
    let seq = o.header.seq;
    let fits = o.header.stream.filter(|part| {
        !model.ended
            && match model.position {
                None => part.start == seq,
                Some((start, next)) => part.start == start && seq == next,
            }
            && o.order == Order::InOrder
            && o.chain != Chain::Broken
    });
    let got = asm.push(o);
    match fits {
        Some(part) => {
            assert_eq!(got, Ok(part.end), "the assembler refused the next chunk");
            model.position = Some((part.start, seq + 1));
            model.ended = part.end;
            model.real = turn.is_some();
            model.accepted.push((seq, turn.map(|t| t.plaintext.clone()).unwrap_or_default()));
        }
        None => {
            let e = got.expect_err("the assembler accepted a chunk out of place");
            assert_eq!(e.code(), "stream_broken");
        }
    }
}
