//! Known-answer tests for `chatseal::primitives::{x25519, x25519_public}`: every case of Wycheproof
//! `x25519_test.json`, and the RFC 7748 §5.2 and §6.1 test vectors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common_primitives;

use chatseal::primitives::{x25519, x25519_public, KEY_LEN};
use chatseal::Error;
use common_primitives::{report, unhex_array, Outcome, Suite, Tally};

const WYCHEPROOF_X25519: &str = include_str!("vectors/wycheproof/x25519_test.json");

/// Wycheproof X25519 (`XdhComp`): 518 cases, `valid` and `acceptable` (the file has no `invalid`).
///
/// Policy for `acceptable` cases (low-order, twist, non-canonical and small public keys), which
/// RFC 7748 lets an implementation either compute or reject:
/// * expected shared secret all zeros (flag `ZeroSharedSecret`, i.e. a small-order public key):
///   chatseal refuses it with `Error::NonContributory` (RFC 7748 §6.1's optional check, made
///   mandatory by the project);
/// * any other acceptable case: chatseal computes it per RFC 7748 §5 (non-canonical u-coordinates
///   reduced, top bit masked, twist points multiplied) and must return exactly the expected value.
///
/// `valid` cases must return exactly the expected shared secret; `invalid` ones (none in this
/// file, handled for completeness) must be rejected.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn wycheproof_x25519() {
    let suite = Suite::parse("x25519_test.json", WYCHEPROOF_X25519);
    let mut tally = Tally::default();
    let mut non_contributory = 0usize;
    for case in suite.cases() {
        let label = case.label();
        assert_eq!(case.group["curve"].as_str(), Some("curve25519"), "{label}");
        // The fixed-size signature takes only 32-byte inputs; every case of this file has them.
        // A different length would have to be an invalid case, refused by the type itself.
        let private = <[u8; KEY_LEN]>::try_from(case.hex("private").as_slice());
        let public = <[u8; KEY_LEN]>::try_from(case.hex("public").as_slice());
        let shared = <[u8; KEY_LEN]>::try_from(case.hex("shared").as_slice());
        let outcome = case.result();
        let (private, public) = match (private, public) {
            (Ok(s), Ok(p)) => (s, p),
            _ => {
                assert_eq!(outcome, Outcome::Invalid, "{label}: wrong-size key in a non-invalid case");
                tally.record(outcome);
                continue;
            }
        };
        let got = x25519(&private, &public);
        match outcome {
            Outcome::Valid => {
                let shared = shared.expect("valid case has a 32-byte shared secret");
                assert_ne!(shared, [0u8; KEY_LEN], "{label}: valid case with zero secret");
                let got = got.unwrap_or_else(|e| panic!("{label}: valid case refused: {e:?}"));
                assert_eq!(hex::encode(*got), hex::encode(shared), "{label}");
            }
            Outcome::Acceptable => {
                let shared = shared.expect("acceptable case has a 32-byte shared secret");
                if shared == [0u8; KEY_LEN] {
                    let err = got.expect_err(&format!("{label}: all-zero secret was accepted"));
                    assert_eq!(err, Error::NonContributory, "{label}");
                    assert_eq!(err.code(), "non_contributory", "{label}");
                    non_contributory += 1;
                } else {
                    let got = got.unwrap_or_else(|e| panic!("{label}: acceptable case refused: {e:?}"));
                    assert_eq!(hex::encode(*got), hex::encode(shared), "{label}");
                }
            }
            Outcome::Invalid => {
                assert!(got.is_err(), "{label}: invalid case accepted");
            }
        }
        tally.record(outcome);
    }
    // 31 cases of this file have an all-zero expected secret (flag ZeroSharedSecret).
    assert_eq!(non_contributory, 31, "ZeroSharedSecret cases refused");
    report(&format!(
        "wycheproof x25519_test.json: {non_contributory} acceptable all-zero cases refused as non_contributory, {} other acceptable cases computed",
        tally.acceptable - non_contributory
    ));
    tally.finish(&suite);
}

/// RFC 7748 §5.2, first single-multiplication test vector.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rfc7748_5_2_vector_1() {
    let scalar: [u8; 32] = unhex_array("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
    let u: [u8; 32] = unhex_array("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
    let out: [u8; 32] = unhex_array("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
    assert_eq!(*x25519(&scalar, &u).unwrap(), out);
}

/// RFC 7748 §5.2, second single-multiplication test vector (its u-coordinate has the top bit
/// set, which X25519 must mask).
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rfc7748_5_2_vector_2() {
    let scalar: [u8; 32] = unhex_array("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d");
    let u: [u8; 32] = unhex_array("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493");
    let out: [u8; 32] = unhex_array("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
    assert_eq!(*x25519(&scalar, &u).unwrap(), out);
}

/// RFC 7748 §5.2 iterated test: k = u = 9; repeat `r = X25519(k, u); u = k; k = r`.
/// Checks the values the RFC gives after 1 and after 1,000 iterations. The RFC's third value
/// (after 1,000,000 iterations, 7c3911e0…) is left out on purpose: a million scalar
/// multiplications take minutes in a debug build and far longer in debug wasm in a browser.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rfc7748_5_2_iterated_1_and_1000() {
    let after_1: [u8; 32] = unhex_array("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
    let after_1000: [u8; 32] = unhex_array("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
    let mut k = [0u8; 32];
    k[0] = 9;
    let mut u = k;
    for i in 1..=1000 {
        let r = *x25519(&k, &u).unwrap_or_else(|e| panic!("iteration {i}: {e:?}"));
        u = k;
        k = r;
        if i == 1 {
            assert_eq!(k, after_1, "after 1 iteration");
        }
    }
    assert_eq!(k, after_1000, "after 1,000 iterations");
}

/// RFC 7748 §6.1 Diffie-Hellman: both public keys from the private keys, and the same shared
/// secret from both sides.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rfc7748_6_1_diffie_hellman() {
    let alice_private: [u8; 32] = unhex_array("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    let alice_public: [u8; 32] = unhex_array("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    let bob_private: [u8; 32] = unhex_array("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    let bob_public: [u8; 32] = unhex_array("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    let shared: [u8; 32] = unhex_array("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

    assert_eq!(x25519_public(&alice_private), alice_public);
    assert_eq!(x25519_public(&bob_private), bob_public);
    assert_eq!(*x25519(&alice_private, &bob_public).unwrap(), shared);
    assert_eq!(*x25519(&bob_private, &alice_public).unwrap(), shared);
}

/// Project policy outside the vectors: the all-zero u-coordinate (the identity, small order) is
/// refused for any secret, including the RFC 7748 §6.1 one.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn zero_public_key_is_non_contributory() {
    let alice_private: [u8; 32] = unhex_array("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    let err = x25519(&alice_private, &[0u8; 32]).unwrap_err();
    assert_eq!(err.code(), "non_contributory");
}
