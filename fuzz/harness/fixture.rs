//! One deterministic conversation, built once per process: a pinned session pair (scripted
//! randomness, a fixed service key), the state blobs of both ends at several points, and pools of
//! genuine envelopes each end can open next. Every target starts from these, so a corpus input
//! means the same thing on every run and every machine.

use chatseal::{
    Clock, Entropy, ImportOptions, Metadata, MutualInitiator, MutualResponder, RekeyPolicy, Role, ServiceKeyPair,
    ServiceKeyring, ServicePublicKey, Session, SessionHandle, SessionOptions,
};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Key-encryption key of every state blob in the fixture.
pub const KEK: [u8; 32] = [0x4b; 32];
/// A second KEK (rewrapping).
pub const KEK2: [u8; 32] = [0x2b; 32];
/// The service's static secret key.
pub const SERVICE_SECRET: [u8; 32] = [7; 32];
/// The key service records are sealed under.
pub const RECORD_KEY: [u8; 32] = [0x52; 32];
/// Client time of every turn.
pub const NOW: u64 = 1_790_000_123;
/// Visitor turns sealed after the pair settled (seq 3 onwards; the last one closes).
const I2R_TURNS: u64 = 70;
/// Index in the visitor pool after which every turn carries a rekeying offer.
const I2R_REKEY_AT: usize = 62;

/// A genuine envelope and what it carries.
pub struct Turn {
    /// The envelope.
    pub bytes: Vec<u8>,
    /// Its sequence number.
    pub seq: u64,
    /// Its plaintext.
    pub plaintext: Vec<u8>,
}

/// A state blob of the fixture and what it holds.
pub struct Blob {
    /// The sealed state under [`KEK`].
    pub bytes: Vec<u8>,
    /// The extension sealed with it.
    pub extension: Vec<u8>,
}

/// Which stored end an envelope is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum End {
    /// The visitor after the pair settled (epoch 1, service reply opened).
    Visitor,
    /// The service end after the pair settled.
    Service,
    /// The visitor after sealing its first two turns, before any reply.
    VisitorEarly,
    /// The service end right after accepting the hello.
    ServiceEarly,
}

/// The mutual-mode handshake of the fixture.
pub struct Mutual {
    /// The initiator's offer (from [`Fixture::mutual_initiator`]).
    pub offer: Vec<u8>,
    /// The responder's answer (from [`Fixture::mutual_responder`]).
    pub answer: Vec<u8>,
    /// The initiator's first envelope after completing with `answer`.
    pub first: Vec<u8>,
    /// The safety code both ends show.
    pub safety_code: String,
}

/// The whole fixture.
pub struct Fixture {
    /// The pinned service's public key.
    pub public: ServicePublicKey,
    /// The pinned session's handle.
    pub handle: SessionHandle,
    /// The visitor's first envelope (the hello), plaintext `hello`.
    pub hello: Vec<u8>,
    /// The visitor's epoch-0 second turn, for [`End::ServiceEarly`].
    pub early_i2r: Turn,
    /// The service's first reply (it answers the hello's key: epoch 1), for [`End::VisitorEarly`].
    pub early_r2i: Turn,
    /// The visitor's first turn in epoch 1 (opened in both settled blobs).
    pub thanks: Turn,
    /// Visitor turns for [`End::Service`], in sealing order (seq 3..=72; every turn from
    /// index 62 carries a rekeying offer; the last one closes).
    pub i2r: Vec<Turn>,
    /// Service turns for [`End::Visitor`], in sealing order: plain turns, two streams (see
    /// `streams`), more plain turns, a close.
    pub r2i: Vec<Turn>,
    /// Index ranges of `r2i` holding each stream's chunks, first to last.
    pub streams: Vec<core::ops::Range<usize>>,
    /// State blobs by [`End`], plus a visitor blob with an extension and a service blob whose
    /// replay window has gaps.
    pub visitor: Blob,
    /// See `visitor`.
    pub service: Blob,
    /// See `visitor`.
    pub visitor_early: Blob,
    /// See `visitor`.
    pub service_early: Blob,
    /// The visitor's state with a 100-byte extension.
    pub with_extension: Blob,
    /// The service's state after opening some pool turns out of order.
    pub service_gaps: Blob,
    /// The mutual-mode handshake.
    pub mutual: Mutual,
    /// Every envelope above, for "only a genuine envelope opens" checks.
    pub genuine: HashSet<Vec<u8>>,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

/// The fixture, built on first use.
pub fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(build)
}

/// `len` deterministic bytes for `Entropy::scripted` (xorshift64*, seeded).
pub fn script(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Session options with scripted randomness, no clock and manual rekeying.
pub fn options(seed: u64) -> SessionOptions {
    SessionOptions {
        time_granularity: 60,
        rekey: RekeyPolicy::MANUAL,
        entropy: Entropy::scripted(script(seed, 8192)),
        clock: Clock::none(),
    }
}

/// Import options with scripted randomness and no clock.
pub fn import_options(min_generation: u64) -> ImportOptions {
    ImportOptions { min_generation, entropy: Entropy::scripted(script(99, 4096)), clock: Clock::none() }
}

/// The keyring holding the service key.
pub fn keyring() -> ServiceKeyring {
    let mut ring = ServiceKeyring::new();
    ring.insert(ServiceKeyPair::from_secret_bytes(&SERVICE_SECRET).expect("fixed service key"));
    ring
}

/// Metadata for a turn of `s` as its default role.
pub fn meta(s: &Session) -> Metadata {
    let role = if s.side() == chatseal::Side::Initiator { Role::Visitor } else { Role::Assistant };
    s.metadata(role, NOW).expect("fixed time")
}

fn seal(s: &mut Session, body: &[u8]) -> Turn {
    let seq = s.next_send_seq();
    let bytes = s.seal(body, &meta(s)).expect("fixture seal");
    Turn { bytes, seq, plaintext: body.to_vec() }
}

fn blob(s: &mut Session) -> Blob {
    Blob { bytes: s.export_state(&KEK).expect("fixture export"), extension: Vec::new() }
}

impl Fixture {
    /// A fresh session restored from the stored state of `end`.
    pub fn session(&self, end: End) -> Session {
        let blob = match end {
            End::Visitor => &self.visitor,
            End::Service => &self.service,
            End::VisitorEarly => &self.visitor_early,
            End::ServiceEarly => &self.service_early,
        };
        Session::import_state(&blob.bytes, &KEK, &self.handle, import_options(0)).expect("fixture import")
    }

    /// Every stored blob.
    pub fn blobs(&self) -> [&Blob; 6] {
        [
            &self.visitor,
            &self.service,
            &self.visitor_early,
            &self.service_early,
            &self.with_extension,
            &self.service_gaps,
        ]
    }

    /// A mutual-mode initiator that makes the fixture's offer again.
    pub fn mutual_initiator(&self) -> MutualInitiator {
        MutualInitiator::offer(options(3)).expect("fixture offer").0
    }

    /// A mutual-mode responder that gives the fixture's answer to its offer.
    pub fn mutual_responder(&self) -> MutualResponder {
        MutualResponder::answer(&self.mutual.offer, options(4)).expect("fixture answer").0
    }

    /// Every case an `open` harness can start from: the end that opens it and the envelope.
    pub fn cases(&self) -> Vec<(End, &Turn)> {
        let mut out = vec![(End::ServiceEarly, &self.early_i2r), (End::VisitorEarly, &self.early_r2i)];
        out.extend(self.i2r.iter().map(|t| (End::Service, t)));
        out.extend(self.r2i.iter().map(|t| (End::Visitor, t)));
        out
    }

    /// Every envelope, hello first, for donors and audits.
    pub fn envelopes(&self) -> Vec<&[u8]> {
        let mut out: Vec<&[u8]> = vec![&self.hello, &self.early_i2r.bytes, &self.early_r2i.bytes, &self.thanks.bytes];
        out.extend(self.i2r.iter().map(|t| t.bytes.as_slice()));
        out.extend(self.r2i.iter().map(|t| t.bytes.as_slice()));
        out
    }
}

fn build() -> Fixture {
    let ring = keyring();
    let public = ring.public_keys().next().expect("one key").clone();
    let mut v = Session::initiate_pinned(&public, options(1)).expect("initiate");
    let handle = *v.handle();
    let hello = seal(&mut v, b"hello").bytes;
    let (mut s, _) = ring.accept_unrecorded(&hello, options(2)).expect("accept");
    let early_i2r = seal(&mut v, b"second, before any reply");
    let visitor_early = blob(&mut v);
    let service_early = blob(&mut s);
    let early_r2i = seal(&mut s, b"welcome");
    v.open(&early_r2i.bytes).expect("reply");
    s.open(&early_i2r.bytes).expect("second");
    let thanks = seal(&mut v, b"thanks");
    s.open(&thanks.bytes).expect("thanks");
    assert!(!v.rekey_pending() && !s.rekey_pending(), "settled");
    let visitor = blob(&mut v);
    let service = blob(&mut s);

    // The service's pool: plain turns, a stream of five chunks, plain turns, a stream of three,
    // a close.
    let mut r2i = Vec::new();
    let mut streams = Vec::new();
    fn plain(s: &mut Session, r2i: &mut Vec<Turn>, n: usize) {
        for _ in 0..n {
            let body = format!("reply {}", s.next_send_seq());
            r2i.push(seal(s, body.as_bytes()));
        }
    }
    plain(&mut s, &mut r2i, 4);
    for chunks in [5usize, 3] {
        let start = r2i.len();
        for k in 0..chunks {
            let seq = s.next_send_seq();
            let body = format!("chunk {k} of {chunks} ");
            let bytes = s.seal_chunk(body.as_bytes(), &meta(&s), k + 1 == chunks).expect("chunk");
            r2i.push(Turn { bytes, seq, plaintext: body.into_bytes() });
        }
        streams.push(start..r2i.len());
        plain(&mut s, &mut r2i, 2);
    }
    let seq = s.next_send_seq();
    let bytes = s.close(b"goodbye", &meta(&s)).expect("close");
    r2i.push(Turn { bytes, seq, plaintext: b"goodbye".to_vec() });

    // The visitor's pool, sealed without opening the service's: acks stay at the service's seq 0.
    let mut i2r = Vec::new();
    for k in 0..I2R_TURNS {
        if k as usize == I2R_REKEY_AT {
            v.rekey_now().expect("rekey");
        }
        let body = format!("visitor turn {}", v.next_send_seq());
        if k + 1 == I2R_TURNS {
            let seq = v.next_send_seq();
            let bytes = v.close(body.as_bytes(), &meta(&v)).expect("close");
            i2r.push(Turn { bytes, seq, plaintext: body.into_bytes() });
        } else {
            i2r.push(seal(&mut v, body.as_bytes()));
        }
    }
    let with_extension = Blob {
        bytes: v.export_state_with(&KEK, &[0xe5; 100]).expect("export with extension"),
        extension: vec![0xe5; 100],
    };
    let mut gaps = Session::import_state(&service.bytes, &KEK, &handle, import_options(0)).expect("import");
    for k in [0usize, 5, 3, 9] {
        gaps.open(&i2r.get(k).expect("pool").bytes).expect("pool open");
    }
    let service_gaps = blob(&mut gaps);

    let (mut init, offer) = MutualInitiator::offer(options(3)).expect("offer");
    let (mut resp, answer) = MutualResponder::answer(&offer, options(4)).expect("answer");
    let mut mv = init.complete(&answer).expect("complete");
    let first = seal(&mut mv, b"hi, mutual").bytes;
    let (ma, _) = resp.accept(&first).expect("mutual accept");
    assert_eq!(ma.safety_code(), mv.safety_code());
    let mutual = Mutual { offer, answer, first, safety_code: mv.safety_code() };

    let mut f = Fixture {
        public,
        handle,
        hello,
        early_i2r,
        early_r2i,
        thanks,
        i2r,
        r2i,
        streams,
        visitor,
        service,
        visitor_early,
        service_early,
        with_extension,
        service_gaps,
        mutual,
        genuine: HashSet::new(),
    };
    let inspections: Vec<_> = f.envelopes().into_iter().map(|e| chatseal::inspect(e).expect("inspect")).collect();
    assert_eq!(chatseal::audit(&inspections).verdict, chatseal::Verdict::Complete, "the whole fixture audits complete");
    let mut genuine: HashSet<Vec<u8>> = f.envelopes().into_iter().map(<[u8]>::to_vec).collect();
    genuine.insert(f.mutual.first.clone());
    f.genuine = genuine;
    f
}
