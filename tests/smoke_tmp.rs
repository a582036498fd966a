//! smoke
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
use chatseal::*;

#[test]
fn smoke() {
    let pair = ServiceKeyPair::generate().unwrap();
    let public = pair.public_key().clone();
    let mut ring = ServiceKeyring::new();
    ring.insert(pair);
    let service = Service::new(ring, &[7; 32], MemoryRecordStore::new(), ServiceOptions::default());
    let mut w = Session::initiate_pinned(&public, SessionOptions::default()).unwrap();
    let first = w.seal(b"hello", &w.metadata(Role::Visitor, 100).unwrap()).unwrap();
    let (h, t) = service.accept(&first).unwrap();
    assert_eq!(&t.plaintext[..], b"hello");
    assert_eq!(&h, w.handle());
    assert_eq!(service.accept(&first).unwrap_err(), Error::SessionExists);
    let m = Metadata::new(Role::Assistant, 100, 60).unwrap();
    let r = service.seal(&h, b"hi there", &m).unwrap();
    assert_eq!(inspect(&r).unwrap().header.epoch, 1);
    let o = w.open(&r).unwrap();
    assert_eq!(&o.plaintext[..], b"hi there");
    assert_eq!(w.epoch(), 1);
    assert_eq!(w.epochs_held(), vec![1]);
    let second = w.seal(b"second", &w.metadata(Role::Visitor, 100).unwrap()).unwrap();
    let (_, o) = service.open(&second).unwrap();
    assert_eq!(&o.plaintext[..], b"second");
    assert_eq!(service.open(&second).unwrap_err(), Error::Duplicate);
    let ins: Vec<_> = [&first, &r, &second].iter().map(|e| inspect(e).unwrap()).collect();
    let a = audit(&ins);
    assert_eq!(a.verdict, Verdict::Unfinished, "{a:?}");
    let bye = w.close(b"", &w.metadata(Role::Visitor, 100).unwrap()).unwrap();
    service.open(&bye).unwrap();
    let mut ins = ins;
    ins.push(inspect(&bye).unwrap());
    assert_eq!(audit(&ins).verdict, Verdict::Complete);
    // mutual
    let (mut mi, offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let (mut mr, answer) = MutualResponder::answer(&offer, SessionOptions::default()).unwrap();
    let mut v = mi.complete(&answer).unwrap();
    let f = v.seal(b"x", &v.metadata(Role::Visitor, 0).unwrap()).unwrap();
    let (mut agent, _) = mr.accept(&f).unwrap();
    assert_eq!(agent.safety_code(), v.safety_code());
    let blob = agent.export_state(&[1; 32]).unwrap();
    let mut agent2 = Session::import_state(&blob, &[1; 32], agent.handle(), ImportOptions::default()).unwrap();
    let e = agent2.seal(b"y", &agent2.metadata(Role::Agent, 0).unwrap()).unwrap();
    assert_eq!(&v.open(&e).unwrap().plaintext[..], b"y");
}
