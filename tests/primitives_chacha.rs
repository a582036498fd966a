//! Known-answer tests for `chatseal::primitives::{chacha_seal, chacha_open}` (ChaCha20-Poly1305,
//! RFC 8439): every case of Wycheproof `chacha20_poly1305_test.json`, RFC 8439 §2.8.2 and
//! Appendix A.5.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common_primitives;

use chatseal::primitives::{chacha_open, chacha_seal, NONCE_LEN};
use common_primitives::{run_aead_suite, unhex, unhex_array, Aead, Suite};

const WYCHEPROOF_CHACHA: &str = include_str!("vectors/wycheproof/chacha20_poly1305_test.json");

const CHACHA: Aead<NONCE_LEN> =
    Aead { seal: chacha_seal, open: |key, nonce, aad, ct| chacha_open(key, nonce, aad, ct).map(|pt| pt.to_vec()) };

/// Wycheproof ChaCha20-Poly1305: 325 cases (256 valid, 69 invalid: 60 modified tags and 9 nonce
/// sizes other than 96 bits, which the `[u8; 12]` nonce type cannot hold). See
/// `common_primitives::run_aead_suite` for what is checked per outcome.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn wycheproof_chacha20_poly1305() {
    let suite = Suite::parse("chacha20_poly1305_test.json", WYCHEPROOF_CHACHA);
    let tally = run_aead_suite(&suite, &CHACHA);
    tally.finish(&suite);
}

/// RFC 8439 §2.8.2 "Example and Test Vector for AEAD_CHACHA20_POLY1305": the nonce is the
/// 32-bit constant 07000000 followed by the 64-bit IV 4041424344454647.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rfc8439_2_8_2_aead_example() {
    let plaintext: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
    let aad = unhex("50515253c0c1c2c3c4c5c6c7");
    let key: [u8; 32] = unhex_array("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    let nonce: [u8; 12] = unhex_array("07000000 4041424344454647");
    let ciphertext = unhex(
        "d31a8d34648e60db7b86afbc53ef7ec2 a4aded51296e08fea9e2b5a736ee62d6
         3dbea45e8ca9671282fafb69da92728b 1a71de0a9e060b2905d6a5b67ecd3b36
         92ddbd7f2d778b8c9803aee328091b58 fab324e4fad675945585808b4831d7bc
         3ff4def08e4b7a9de576d26586cec64b 6116",
    );
    let tag = unhex("1ae10b594f09e26a7e902ecbd0600691");
    let mut expected = ciphertext;
    expected.extend_from_slice(&tag);

    let sealed = chacha_seal(&key, &nonce, &aad, plaintext).unwrap();
    assert_eq!(hex::encode(&sealed), hex::encode(&expected));
    let opened = chacha_open(&key, &nonce, &aad, &sealed).unwrap();
    assert_eq!(opened.as_slice(), plaintext);
}

/// RFC 8439 Appendix A.5 "ChaCha20-Poly1305 AEAD Decryption": the receiver's view; decrypting
/// must authenticate and return the Internet-Draft boilerplate text. Also checks that sealing
/// the plaintext gives the same bytes, and that a wrong AAD is refused.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rfc8439_a_5_aead_decryption() {
    let key: [u8; 32] = unhex_array("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
    let nonce: [u8; 12] = unhex_array("000000000102030405060708");
    let aad = unhex("f33388860000000000004e91");
    let ciphertext = unhex(
        "64a0861575861af460f062c79be643bd 5e805cfd345cf389f108670ac76c8cb2
         4c6cfc18755d43eea09ee94e382d26b0 bdb7b73c321b0100d4f03b7f355894cf
         332f830e710b97ce98c8a84abd0b9481 14ad176e008d33bd60f982b1ff37c855
         9797a06ef4f0ef61c186324e2b350638 3606907b6a7c02b0f9f6157b53c867e4
         b9166c767b804d46a59b5216cde7a4e9 9040c5a40433225ee282a1b0a06c523e
         af4534d7f83fa1155b0047718cbc546a 0d072b04b3564eea1b422273f548271a
         0bb2316053fa76991955ebd63159434e cebb4e466dae5a1073a6727627097a10
         49e617d91d361094fa68f0ff77987130 305beaba2eda04df997b714d6c6f2c29
         a6ad5cb4022b02709b",
    );
    let tag = unhex("eead9d67890cbb22392336fea1851f38");
    // "Internet-Drafts are draft documents valid for a maximum of six months and may be updated,
    // replaced, or obsoleted by other documents at any time. It is inappropriate to use
    // Internet-Drafts as reference material or to cite them other than as /“work in progress./”"
    let plaintext = unhex(
        "496e7465726e65742d4472616674732061726520647261667420646f63756d656e74732076616c6964
         20666f722061206d6178696d756d206f6620736978206d6f6e74687320616e64206d61792062652075
         7064617465642c207265706c616365642c206f72206f62736f6c65746564206279206f7468657220
         646f63756d656e747320617420616e792074696d652e20497420697320696e617070726f7072696174
         6520746f2075736520496e7465726e65742d447261667473206173207265666572656e6365206d6174
         657269616c206f7220746f2063697465207468656d206f74686572207468616e206173202fe2809c77
         6f726b20696e2070726f67726573732e2fe2809d",
    );
    assert_eq!(ciphertext.len(), 265);
    assert_eq!(plaintext.len(), 265);
    assert!(std::str::from_utf8(&plaintext).unwrap().starts_with("Internet-Drafts are draft documents"));
    let mut ct_tag = ciphertext;
    ct_tag.extend_from_slice(&tag);

    let opened = chacha_open(&key, &nonce, &aad, &ct_tag).unwrap();
    assert_eq!(hex::encode(opened.as_slice()), hex::encode(&plaintext));
    let sealed = chacha_seal(&key, &nonce, &aad, &plaintext).unwrap();
    assert_eq!(hex::encode(&sealed), hex::encode(&ct_tag));

    let err = chacha_open(&key, &nonce, b"", &ct_tag).unwrap_err();
    assert_eq!(err.code(), "decrypt_failed");
}

/// Wrapper policy: input shorter than a tag is refused with the same opaque error.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn short_input_is_decrypt_failed() {
    let key = [7u8; 32];
    let nonce = [0u8; 12];
    for len in 0..16 {
        let err = chacha_open(&key, &nonce, b"", &vec![0u8; len]).unwrap_err();
        assert_eq!(err.code(), "decrypt_failed", "len {len}");
    }
}
