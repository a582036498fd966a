//! Test-only exports (feature `test-hooks`): a package flavour built with them is never published.
//! The memory-scan test (`tests/js/lib/memory-scan.mjs`) uses them to know which bytes are
//! secret: sessions drawing their randomness from a script, and a copy of the keys a session
//! holds. The copies go straight to JS; their wasm copies are wiped.

use crate::args;
use crate::error::{JsError, JsResult};
use crate::inner;
use crate::options::SessionArgs;
use crate::scrub;
use crate::service::Service;
use crate::session::Session;
use chatseal::{Entropy, ServicePublicKey};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// The secrets concatenated, copied out to JS.
fn secrets(list: &[Zeroizing<[u8; 32]>]) -> js_sys::Uint8Array {
    let mut all = Zeroizing::new(Vec::with_capacity(32 * list.len()));
    for s in list {
        all.extend_from_slice(&**s);
    }
    args::to_uint8_array(&all)
}

#[wasm_bindgen]
impl Session {
    /// `Session.initiatePinned` with every random byte taken from `script` (in order).
    #[wasm_bindgen(js_name = __testInitiatePinned, skip_typescript)]
    pub fn test_initiate_pinned(
        service_public_key: &JsValue,
        script: &JsValue,
        options: &JsValue,
    ) -> JsResult<Session> {
        scrub::after(|| {
            let key = args::array::<32>(service_public_key, "servicePublicKey")?;
            let script = args::bytes(script, "script", 1 << 20)?;
            let mut args = SessionArgs::read(options)?;
            let policy = args.policy();
            args.options.entropy = Entropy::scripted(script.to_vec());
            let session = chatseal::Session::initiate_pinned(&ServicePublicKey::from_bytes(&*key)?, args.options)?;
            Ok(Session::new(inner::wrap(session, policy)))
        })
    }

    /// Every 32-byte secret the session holds now (epoch keys, root, pending rekeying secret).
    #[wasm_bindgen(js_name = __testSecrets, skip_typescript)]
    pub fn test_secrets(&self) -> JsResult<js_sys::Uint8Array> {
        scrub::after(|| self.with(|inner| Ok(secrets(&inner::core(inner).secrets_for_tests()))))
    }
}

#[wasm_bindgen]
impl Service {
    /// Every 32-byte secret the service's end of `handle` holds now.
    #[wasm_bindgen(js_name = __testSecrets, skip_typescript)]
    pub fn test_secrets(&self, handle: &JsValue) -> JsResult<js_sys::Uint8Array> {
        scrub::after(|| {
            let handle = crate::session::handle(handle, "handle")?;
            let list = self.with_core_session(&handle, |s| Ok(s.secrets_for_tests()))?;
            if list.is_empty() {
                return Err(JsError::freed());
            }
            Ok(secrets(&list))
        })
    }
}
