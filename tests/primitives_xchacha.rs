//! Known-answer tests for `chatseal::primitives::{xchacha_seal_in_place, xchacha_open}`
//! (XChaCha20-Poly1305): every case of Wycheproof `xchacha20_poly1305_test.json`, and
//! draft-irtf-cfrg-xchacha-03 §A.3.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common_primitives;

use chatseal::primitives::{xchacha_open, xchacha_seal_in_place, XNONCE_LEN};
use common_primitives::{run_aead_suite, unhex, unhex_array, Aead, Suite};

const WYCHEPROOF_XCHACHA: &str = include_str!("vectors/wycheproof/xchacha20_poly1305_test.json");

const XCHACHA: Aead<XNONCE_LEN> = Aead {
    seal: |key, nonce, aad, pt| {
        let mut buf = pt.to_vec();
        xchacha_seal_in_place(key, nonce, aad, &mut buf)?;
        Ok(buf)
    },
    open: |key, nonce, aad, ct| xchacha_open(key, nonce, aad, ct).map(|pt| pt.to_vec()),
};

/// Wycheproof XChaCha20-Poly1305: 315 cases (246 valid, 69 invalid: 60 modified tags and 9 nonce
/// sizes other than 192 bits, which the `[u8; 24]` nonce type cannot hold). See
/// `common_primitives::run_aead_suite` for what is checked per outcome.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn wycheproof_xchacha20_poly1305() {
    let suite = Suite::parse("xchacha20_poly1305_test.json", WYCHEPROOF_XCHACHA);
    let tally = run_aead_suite(&suite, &XCHACHA);
    tally.finish(&suite);
}

/// draft-irtf-cfrg-xchacha-03 Appendix A.3.1, the AEAD_XCHACHA20_POLY1305 test vector.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn draft_xchacha_03_a_3_1() {
    let plaintext: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
    let aad = unhex("50515253c0c1c2c3c4c5c6c7");
    let key: [u8; 32] = unhex_array("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    let nonce: [u8; 24] = unhex_array("404142434445464748494a4b4c4d4e4f5051525354555657");
    let ciphertext = unhex(
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb
         731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452
         2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9
         21f9664c97637da9768812f615c68b13b52e",
    );
    let tag = unhex("c0875924c1c7987947deafd8780acf49");
    let mut expected = ciphertext;
    expected.extend_from_slice(&tag);

    let mut buf = plaintext.to_vec();
    xchacha_seal_in_place(&key, &nonce, &aad, &mut buf).unwrap();
    assert_eq!(hex::encode(&buf), hex::encode(&expected));
    let opened = xchacha_open(&key, &nonce, &aad, &buf).unwrap();
    assert_eq!(opened.as_slice(), plaintext);

    // Any change to key, nonce, AAD, ciphertext or tag is the one opaque error.
    let mut other_key = key;
    other_key[0] ^= 1;
    let mut other_nonce = nonce;
    other_nonce[23] ^= 1;
    let mut flipped_ct = buf.clone();
    flipped_ct[0] ^= 1;
    let mut flipped_tag = buf.clone();
    let last = flipped_tag.len() - 1;
    flipped_tag[last] ^= 1;
    for result in [
        xchacha_open(&other_key, &nonce, &aad, &buf),
        xchacha_open(&key, &other_nonce, &aad, &buf),
        xchacha_open(&key, &nonce, b"", &buf),
        xchacha_open(&key, &nonce, &aad, &flipped_ct),
        xchacha_open(&key, &nonce, &aad, &flipped_tag),
        xchacha_open(&key, &nonce, &aad, &buf[..15]),
    ] {
        assert_eq!(result.unwrap_err().code(), "decrypt_failed");
    }
}
