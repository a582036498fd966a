//! The wire encoding of an envelope's associated data, written from `SPEC.md` § 6 and § 8
//! independently of the core's encoder: an inspected envelope must re-encode to its own bytes
//! (strict parsing means one encoding per value).

use chatseal::{Direction, Inspection, Metadata, Mode, Rekey, Role};

/// Everything before the nonce: prelude, header, optional fields, metadata length and metadata.
pub fn aad(i: &Inspection) -> Vec<u8> {
    let h = &i.header;
    let mut out = vec![b'C', b'S', 2, 1, 1];
    out.push(match h.direction {
        Direction::InitiatorToResponder => 0,
        Direction::ResponderToInitiator => 1,
    });
    let mut flags = 0u8;
    if i.hello.is_some() {
        flags |= 0x01;
    }
    match i.rekey {
        Some(Rekey::Offer(_)) => flags |= 0x02,
        Some(Rekey::Answer(_)) => flags |= 0x04,
        None => {}
    }
    if let Some(s) = h.stream {
        flags |= 0x08;
        if s.end {
            flags |= 0x10;
        }
    }
    if h.close {
        flags |= 0x20;
    }
    out.push(flags);
    out.extend_from_slice(h.handle.as_bytes());
    out.extend_from_slice(&h.epoch.to_be_bytes());
    out.extend_from_slice(&h.seq.to_be_bytes());
    out.extend_from_slice(&h.prev);
    match h.ack {
        Some(a) => {
            out.extend_from_slice(&(a.seq + 1).to_be_bytes());
            out.extend_from_slice(&a.link);
        }
        None => out.extend_from_slice(&[0; 40]),
    }
    if let Some(hello) = &i.hello {
        out.push(match hello.mode {
            Mode::Pinned => 1,
            Mode::Mutual => 2,
        });
        out.extend_from_slice(&hello.key_id);
        out.extend_from_slice(&hello.initiator_public);
    }
    if let Some(Rekey::Offer(k) | Rekey::Answer(k)) = &i.rekey {
        out.extend_from_slice(k);
    }
    if let Some(s) = h.stream {
        out.extend_from_slice(&s.start.to_be_bytes());
    }
    let meta = metadata(&i.metadata);
    out.extend_from_slice(&(meta.len() as u16).to_be_bytes());
    out.extend_from_slice(&meta);
    out
}

/// The metadata section (`SPEC.md` § 8).
pub fn metadata(m: &Metadata) -> Vec<u8> {
    let role = Role::ALL.iter().position(|r| *r == m.role).unwrap_or(usize::MAX);
    let mut out = vec![role as u8];
    out.extend_from_slice(&m.time_granularity.to_be_bytes());
    out.extend_from_slice(&m.time.to_be_bytes());
    match &m.subject {
        Some(p) => {
            out.push(1);
            out.extend_from_slice(p.as_bytes());
        }
        None => out.push(0),
    }
    let counts: Vec<_> = m.pii.iter().collect();
    out.push(counts.len() as u8);
    for (category, n) in counts {
        out.push(category.wire_id());
        out.extend_from_slice(&n.to_be_bytes());
    }
    out.push(m.labels().len() as u8);
    for l in m.labels() {
        out.push(l.key().len() as u8);
        out.extend_from_slice(l.key().as_bytes());
        out.push(l.value().len() as u8);
        out.extend_from_slice(l.value().as_bytes());
    }
    out
}
