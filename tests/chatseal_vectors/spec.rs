//! A second implementation of chatseal v2, written from SPEC.md alone over the raw primitives
//! (X25519, HKDF, SHA-256, HMAC-free: the vectors use no pseudonym key, XChaCha20-Poly1305). It
//! shares no protocol code with the library: it derives every key, opens every envelope, checks
//! chain and acknowledgements, decodes the state blobs field by field and re-encodes them, and
//! answers the invalid cases of the kinds listed in `check_invalid`.

use super::build::unh;
use chatseal::primitives::{hkdf_expand, hkdf_extract, x25519, x25519_public, xchacha_open};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut d = Sha256::new();
    for p in parts {
        d.update(p);
    }
    d.finalize().into()
}

pub fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    b.try_into().unwrap()
}

/// § 4: the handle a hello or offer fixes.
pub fn handle(mode: u8, key_id: &[u8], e_i: &[u8]) -> [u8; 16] {
    let c = sha256(&[b"chatseal v2 commit", e_i]);
    arr(&sha256(&[b"chatseal v2 handle", &[mode], key_id, &c])[..16])
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Keys {
    pub i2r: [u8; 32],
    pub r2i: [u8; 32],
}

/// § 5.3 / § 13.2: epoch n's keys and root from a pseudorandom key.
fn expand(prk: &[u8; 32], n: u32) -> (Keys, [u8; 32]) {
    let e = n.to_be_bytes();
    let mut out = [[0u8; 32]; 3];
    for (label, o) in [&b"chatseal v2 key i2r"[..], b"chatseal v2 key r2i", b"chatseal v2 root"].iter().zip(&mut out) {
        hkdf_expand(prk, &[label, &e[..]].concat(), o).unwrap();
    }
    (Keys { i2r: out[0], r2i: out[1] }, out[2])
}

/// § 5.3: epoch 0, its root and the safety code.
pub fn epoch0(mode: u8, h: &[u8], key_id: &[u8], e_i: &[u8], e_resp: &[u8], dh: &[u8]) -> (Keys, [u8; 32], String) {
    let th = sha256(&[b"chatseal v2 transcript", &[2, 1, mode], h, key_id, e_i, e_resp]);
    let prk = hkdf_extract(&th, dh);
    let (keys, root) = expand(&prk, 0);
    let mut safety = [0u8; 8];
    hkdf_expand(&*prk, b"chatseal v2 safety code", &mut safety).unwrap();
    let n = format!("{:012}", u64::from_be_bytes(safety) % 1_000_000_000_000);
    (keys, root, format!("{} {} {}", &n[..4], &n[4..8], &n[8..]))
}

/// § 13.2: epoch n + 1.
pub fn next_epoch(root: &[u8; 32], dh: &[u8], n: u32) -> (Keys, [u8; 32]) {
    expand(&hkdf_extract(root, dh), n)
}

fn be(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |acc, &x| acc << 8 | u64::from(x))
}

fn bucket(n: usize) -> usize {
    if n <= 32 {
        32
    } else if n <= 256 {
        n.next_power_of_two()
    } else {
        let e = usize::BITS - 1 - n.leading_zeros();
        let s = u32::BITS - e.leading_zeros();
        let mask = (1usize << (e - s)) - 1;
        (n + mask) & !mask
    }
}

/// An envelope split per § 6 after the structural checks of § 3 and § 6.1.
#[derive(Debug)]
pub struct Env {
    pub dir: u8,
    pub flags: u8,
    pub handle: [u8; 16],
    pub epoch: u32,
    pub seq: u64,
    pub prev: [u8; 32],
    pub ack: u64,
    pub ack_link: [u8; 32],
    pub hello: Option<Vec<u8>>,
    pub rekey_key: Option<[u8; 32]>,
    pub stream_start: Option<u64>,
    pub role: u8,
    pub aad_len: usize,
}

/// § 3 and § 6.1, returning the error code of the first failed check.
pub fn parse(b: &[u8]) -> Result<Env, &'static str> {
    if b.len() > 17_302_726 {
        return Err("limit_exceeded");
    }
    let get = |r: std::ops::Range<usize>| b.get(r).ok_or("malformed");
    if get(0..2)? != b"CS" {
        return Err("malformed");
    }
    if get(2..3)?[0] != 2 {
        return Err("unsupported_version");
    }
    if get(3..4)?[0] != 1 {
        return Err("unsupported_suite");
    }
    if get(4..5)?[0] != 1 {
        return Err("malformed");
    }
    let head = get(5..107)?;
    let (dir, flags) = (head[0], head[1]);
    let bad_flags = flags & 0xc0 != 0 || flags & 6 == 6 || (flags & 1 != 0 && flags & 6 != 0) || (flags & 0x18 == 0x10);
    if dir > 1 || bad_flags {
        return Err("malformed");
    }
    let mut e = Env {
        dir,
        flags,
        handle: arr(&head[2..18]),
        epoch: be(&head[18..22]) as u32,
        seq: be(&head[22..30]),
        prev: arr(&head[30..62]),
        ack: be(&head[62..70]),
        ack_link: arr(&head[70..102]),
        hello: None,
        rekey_key: None,
        stream_start: None,
        role: 0,
        aad_len: 0,
    };
    let mut at = 107;
    if flags & 1 != 0 {
        e.hello = Some(get(at..at + 41)?.to_vec());
        at += 41;
    }
    if flags & 6 != 0 {
        e.rekey_key = Some(arr(get(at..at + 32)?));
        at += 32;
    }
    if flags & 8 != 0 {
        e.stream_start = Some(be(get(at..at + 8)?));
        at += 8;
    }
    let limit = 1u64 << 53;
    let first = dir == 0 && e.seq == 0 && e.epoch == 0;
    let rules = [
        e.hello.is_some() == first,
        e.seq < limit,
        e.ack <= limit,
        e.seq != 0 || e.prev == [0; 32],
        e.ack != 0 || e.ack_link == [0; 32],
        e.hello.is_none() || e.ack == 0,
        flags & 4 == 0 || e.epoch > 0,
        e.stream_start.is_none_or(|s| s <= e.seq),
    ];
    if rules.contains(&false) {
        return Err("malformed");
    }
    if let Some(hello) = &e.hello {
        let (mode, key_id) = (hello[0], &hello[1..9]);
        if mode == 0 || mode > 2 || (mode == 2) != (key_id == [0; 8]) || handle(mode, key_id, &hello[9..]) != e.handle {
            return Err("malformed");
        }
    }
    let m = be(get(at..at + 2)?) as usize;
    if m > 1024 {
        return Err("limit_exceeded");
    }
    let meta = get(at + 2..at + 2 + m)?;
    e.role = check_metadata(meta)?;
    if (dir == 0) != (e.role == 0) {
        return Err("wrong_role");
    }
    e.aad_len = at + 2 + m;
    let c = b.len().checked_sub(e.aad_len + 24 + 16).ok_or("malformed")?;
    if c < 32 || bucket(c) != c {
        return Err("malformed");
    }
    Ok(e)
}

/// § 8: strict metadata decoding; returns the role.
fn check_metadata(m: &[u8]) -> Result<u8, &'static str> {
    let mut at = 0;
    let mut take = |n: usize| -> Result<&[u8], &'static str> {
        let s = m.get(at..at + n).ok_or("malformed")?;
        at += n;
        Ok(s)
    };
    let role = take(1)?[0];
    let g = be(take(4)?);
    let time = be(take(8)?);
    let subject = take(1)?[0];
    if subject > 1 {
        return Err("malformed");
    }
    take(16 * usize::from(subject))?;
    let n = take(1)?[0];
    let mut last = 0;
    for _ in 0..n {
        let c = take(3)?;
        if c[0] <= last || c[0] > 7 || be(&c[1..]) == 0 {
            return Err("malformed");
        }
        last = c[0];
    }
    let k = take(1)?[0];
    let mut last_key: Vec<u8> = vec![];
    for i in 0..k {
        let kl = usize::from(take(1)?[0]);
        let key = take(kl)?.to_vec();
        let vl = usize::from(take(1)?[0]);
        let value = take(vl)?;
        let key_ok =
            (1..=32).contains(&kl) && key.iter().all(|c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-'));
        let value_ok = vl <= 64 && value.iter().all(|c| c.is_ascii_alphanumeric() || b" -_.:/+=,#".contains(c));
        if !key_ok || !value_ok || (i > 0 && key <= last_key) {
            return Err("malformed");
        }
        last_key = key;
    }
    let rest = m.len() - at;
    let time_ok = time < 1 << 53 && if g == 0 { time == 0 } else { time % g == 0 };
    if role > 3 || g > 86_400 || !time_ok || k > 8 || rest != 0 {
        return Err("malformed");
    }
    Ok(role)
}

/// Decrypts and unpads (§ 6, § 9); returns the plaintext and the link (§ 7.1).
pub fn open(key: &[u8; 32], b: &[u8], e: &Env) -> Result<(Vec<u8>, [u8; 32]), &'static str> {
    let (aad, rest) = b.split_at(e.aad_len);
    let nonce: [u8; 24] = arr(&rest[..24]);
    let padded = xchacha_open(key, &nonce, aad, &rest[24..]).map_err(|_| "decrypt_failed")?;
    let marker = padded.iter().rposition(|&x| x != 0).ok_or("malformed")?;
    if padded[marker] != 0x80 || bucket(marker + 1) != padded.len() {
        return Err("malformed");
    }
    let link = sha256(&[b"chatseal v2 chain", aad, &nonce, &rest[rest.len() - 16..]]);
    Ok((padded[..marker].to_vec(), link))
}

/// One end as the spec describes its receive side (§ 6.3, § 10, § 13.2 with old epochs deleted).
pub struct End {
    pub handle: [u8; 16],
    pub initiator: bool,
    pub epochs: BTreeMap<u32, Keys>,
    pub root: [u8; 32],
    /// Pending offer secret (the pinned initiator's e_i until the first reply).
    pub offer_secret: Option<[u8; 32]>,
    /// Answered offer, waiting for the peer's first turn in the new epoch.
    pub answered: bool,
    pub answer_secret: Option<[u8; 32]>,
    pub opened: BTreeSet<u64>,
    pub peer_close: Option<u64>,
    pub links: BTreeMap<u64, [u8; 32]>,
}

impl End {
    /// § 6.3 steps 2 to 9; `answer_secret` is what this end would draw to answer an offer.
    pub fn open(&mut self, b: &[u8]) -> Result<Vec<u8>, &'static str> {
        let e = parse(b)?;
        if e.handle != self.handle {
            return Err("wrong_session");
        }
        if (e.dir == 0) == self.initiator {
            return Err("wrong_direction");
        }
        let newest = *self.epochs.keys().next_back().unwrap();
        let (keys, adopted) = match self.epochs.get(&e.epoch) {
            Some(k) => (*k, None),
            None if e.epoch == newest + 1 && e.flags & 4 != 0 && self.offer_secret.is_some() => {
                let dh = x25519(&self.offer_secret.unwrap(), &e.rekey_key.unwrap()).map_err(|_| "non_contributory")?;
                let (k, root) = next_epoch(&self.root, &*dh, e.epoch);
                (k, Some((k, root)))
            }
            None => return Err("unknown_epoch"),
        };
        if self.peer_close.is_some_and(|c| e.seq > c) {
            return Err("closed");
        }
        let highest = self.opened.iter().next_back().copied();
        if highest.is_some_and(|h| e.seq + 64 <= h) {
            return Err("too_old");
        }
        if self.opened.contains(&e.seq) {
            return Err("duplicate");
        }
        let key = if e.dir == 0 { keys.i2r } else { keys.r2i };
        let (pt, link) = open(&key, b, &e)?;
        // Commit.
        let offer = e
            .rekey_key
            .filter(|_| e.flags & 2 != 0)
            .or_else(|| e.hello.as_ref().filter(|h| h[0] == 1).map(|h| arr(&h[9..])));
        if let Some((k, root)) = adopted {
            self.epochs = BTreeMap::from([(e.epoch, k)]);
            self.root = root;
            self.offer_secret = None;
        } else if let (Some(offer), false, Some(secret)) = (offer, self.answered, self.answer_secret) {
            if e.epoch == newest {
                let dh = x25519(&secret, &offer).map_err(|_| "non_contributory")?;
                let (k, root) = next_epoch(&self.root, &*dh, newest + 1);
                self.epochs.insert(newest + 1, k);
                self.root = root;
                self.answered = true;
                self.answer_secret = None;
            }
        } else if self.answered && e.epoch == newest {
            self.epochs.retain(|n, _| *n >= newest);
            self.answered = false;
        }
        self.opened.insert(e.seq);
        self.links.insert(e.seq, link);
        if e.flags & 0x20 != 0 {
            self.peer_close = Some(e.seq);
        }
        Ok(pt)
    }
}

/// The fields of a state plaintext (§ 13.1), in order, and the extension.
#[derive(Debug, PartialEq)]
pub struct State {
    pub side: u8,
    pub mode: u8,
    pub handle: [u8; 16],
    pub key_id: [u8; 8],
    pub safety: [u8; 8],
    pub generation: u64,
    pub granularity: u32,
    pub every_turns: u32,
    pub every_secs: u32,
    pub keep_old: u8,
    pub root: [u8; 32],
    pub send_epoch: u32,
    pub sent_in_epoch: u64,
    pub started_at: u64,
    pub rekey: Vec<u8>,
    pub epochs: Vec<(u32, Keys)>,
    pub next_seq: u64,
    pub prev: [u8; 32],
    pub hello: Vec<u8>,
    pub stream: Vec<u8>,
    pub closed: u8,
    pub window: Vec<u8>,
    pub head_link: [u8; 32],
    pub peer_closed: Vec<u8>,
    pub peer_acked: Vec<u8>,
    pub extension: Vec<u8>,
}

/// § 13.1: opens a blob (clear header checks in order) and decodes the plaintext.
pub fn open_blob(blob: &[u8], kek: &[u8; 32], expected: &[u8], min_generation: u64) -> Result<State, &'static str> {
    if blob.len() > 4 * 1024 * 1024 {
        return Err("limit_exceeded");
    }
    let get = |r: std::ops::Range<usize>| blob.get(r).ok_or("malformed");
    if get(0..2)? != b"CS" {
        return Err("malformed");
    }
    if get(2..3)?[0] != 2 {
        return Err("unsupported_version");
    }
    if get(3..4)?[0] != 1 {
        return Err("unsupported_suite");
    }
    if get(4..5)?[0] != 0x20 || get(21..22)?[0] > 1 {
        return Err("malformed");
    }
    let nonce: [u8; 24] = arr(get(46..70)?);
    if get(5..21)? != expected {
        return Err("wrong_session");
    }
    let pt = xchacha_open(kek, &nonce, &blob[..46], &blob[70..]).map_err(|_| "decrypt_failed")?;
    if be(&blob[22..30]) < min_generation {
        return Err("stale_state");
    }
    let s = decode_state(&pt).ok_or("malformed")?;
    if s.side != blob[21] || s.handle != blob[5..21] || s.generation != be(&blob[22..30]) {
        return Err("malformed");
    }
    Ok(s)
}

fn decode_state(b: &[u8]) -> Option<State> {
    let mut at = 0;
    let mut take = |n: usize| -> Option<Vec<u8>> {
        let s = b.get(at..at + n)?.to_vec();
        at += n;
        Some(s)
    };
    let head = take(3)?;
    if head[0] != 2 {
        return None;
    }
    let handle = arr(&take(16)?);
    let key_id = arr(&take(8)?);
    let safety = arr(&take(8)?);
    let generation = be(&take(8)?);
    let granularity = be(&take(4)?) as u32;
    let every_turns = be(&take(4)?) as u32;
    let every_secs = be(&take(4)?) as u32;
    let keep_old = take(1)?[0];
    let root = arr(&take(32)?);
    let send_epoch = be(&take(4)?) as u32;
    let sent_in_epoch = be(&take(8)?);
    let started_at = be(&take(8)?);
    let kind = take(1)?;
    let rekey = [kind.clone(), take([0, 32, 64][usize::from(kind[0]).min(2)])?].concat();
    let n = be(&take(4)?) as usize;
    let mut epochs = vec![];
    for _ in 0..n {
        let e = take(68)?;
        epochs.push((be(&e[..4]) as u32, Keys { i2r: arr(&e[4..36]), r2i: arr(&e[36..68]) }));
    }
    let next_seq = be(&take(8)?);
    let prev = arr(&take(32)?);
    let opt = |t: &mut dyn FnMut(usize) -> Option<Vec<u8>>, n: usize| -> Option<Vec<u8>> {
        let flag = t(1)?;
        Some([flag.clone(), t(n * usize::from(flag[0]))?].concat())
    };
    let hello = opt(&mut take, 41)?;
    let stream = opt(&mut take, 8)?;
    let closed = take(1)?[0];
    let window = take(1 + 8 + 8 + 64 * 16)?;
    let head_link = arr(&take(32)?);
    let peer_closed = opt(&mut take, 8)?;
    let peer_acked = opt(&mut take, 8)?;
    let l = be(&take(4)?) as usize;
    let extension = take(l)?;
    if at != b.len() {
        return None;
    }
    Some(State {
        side: head[1],
        mode: head[2],
        handle,
        key_id,
        safety,
        generation,
        granularity,
        every_turns,
        every_secs,
        keep_old,
        root,
        send_epoch,
        sent_in_epoch,
        started_at,
        rekey,
        epochs,
        next_seq,
        prev,
        hello,
        stream,
        closed,
        window,
        head_link,
        peer_closed,
        peer_acked,
        extension,
    })
}

/// Writes a decoded state back, byte for byte (§ 13.1).
pub fn encode_state(s: &State) -> Vec<u8> {
    let mut o = vec![2, s.side, s.mode];
    o.extend_from_slice(&s.handle);
    o.extend_from_slice(&s.key_id);
    o.extend_from_slice(&s.safety);
    o.extend_from_slice(&s.generation.to_be_bytes());
    for n in [s.granularity, s.every_turns, s.every_secs] {
        o.extend_from_slice(&n.to_be_bytes());
    }
    o.push(s.keep_old);
    o.extend_from_slice(&s.root);
    o.extend_from_slice(&s.send_epoch.to_be_bytes());
    o.extend_from_slice(&s.sent_in_epoch.to_be_bytes());
    o.extend_from_slice(&s.started_at.to_be_bytes());
    o.extend_from_slice(&s.rekey);
    o.extend_from_slice(&(s.epochs.len() as u32).to_be_bytes());
    for (n, k) in &s.epochs {
        o.extend_from_slice(&n.to_be_bytes());
        o.extend_from_slice(&k.i2r);
        o.extend_from_slice(&k.r2i);
    }
    o.extend_from_slice(&s.next_seq.to_be_bytes());
    o.extend_from_slice(&s.prev);
    for part in [&s.hello, &s.stream] {
        o.extend_from_slice(part);
    }
    o.push(s.closed);
    o.extend_from_slice(&s.window);
    o.extend_from_slice(&s.head_link);
    o.extend_from_slice(&s.peer_closed);
    o.extend_from_slice(&s.peer_acked);
    o.extend_from_slice(&(s.extension.len() as u32).to_be_bytes());
    o.extend_from_slice(&s.extension);
    o
}

/// § 13.1: the plaintext of a blob, to compare with `encode_state`.
pub fn plaintext(blob: &[u8], kek: &[u8; 32]) -> Vec<u8> {
    xchacha_open(kek, &arr(&blob[46..70]), &blob[..46], &blob[70..]).unwrap().to_vec()
}

pub fn x(secret: &[u8], public: &[u8]) -> [u8; 32] {
    *x25519(&arr(secret), &arr(public)).unwrap()
}

pub fn public(secret: &[u8]) -> [u8; 32] {
    x25519_public(&arr(secret))
}

pub fn hex32(v: &Value) -> [u8; 32] {
    arr(&unh(v))
}
