//! Arbitrary bytes through `inspect`, the text-form decoder, a session's `open` and `reopen`, and
//! the mutual-mode offer/answer parsers: errors only, never a panic.
#![no_main]

use chatseal::{base64url_decode, inspect, MutualInitiator, MutualResponder, ServiceKeyPair, Session, SessionOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = inspect(data);
    let _ = base64url_decode(&String::from_utf8_lossy(data));
    let _ = MutualResponder::answer(data, SessionOptions::default());
    if let Ok((mut init, _)) = MutualInitiator::offer(SessionOptions::default()) {
        let _ = init.complete(data);
    }
    let service = ServiceKeyPair::from_secret_bytes(&[7; 32]).expect("fixed key");
    if let Ok(mut s) = Session::initiate_pinned(service.public_key(), SessionOptions::default()) {
        let _ = s.reopen(data);
        assert!(s.open(data).is_err());
    }
});
