//! Known-answer tests for `chatseal::primitives::{hkdf_sha256, hkdf_extract, hkdf_expand}`:
//! every case of Wycheproof `hkdf_sha256_test.json`, and RFC 5869 Appendix A test cases 1–3.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common_primitives;

use chatseal::primitives::{hkdf_expand, hkdf_extract, hkdf_sha256};
use common_primitives::{unhex, Outcome, Suite, Tally};

const WYCHEPROOF_HKDF: &str = include_str!("vectors/wycheproof/hkdf_sha256_test.json");

/// Wycheproof HKDF-SHA-256: 86 cases. `valid` (83, including empty salts and the maximal
/// 255 × 32 = 8160-byte output): `hkdf_sha256` and `hkdf_expand(hkdf_extract(..))` both give
/// exactly `okm`. `invalid` (3, flag `SizeTooLarge`, 8161 bytes asked): both refuse with
/// `invalid_input` and leave no output.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn wycheproof_hkdf_sha256() {
    let suite = Suite::parse("hkdf_sha256_test.json", WYCHEPROOF_HKDF);
    let mut tally = Tally::default();
    for case in suite.cases() {
        let label = case.label();
        let ikm = case.hex("ikm");
        let salt = case.hex("salt");
        let info = case.hex("info");
        let size = case.usize("size");
        let okm = case.hex("okm");
        let outcome = case.result();
        let mut out = vec![0u8; size];
        let mut out2 = vec![0u8; size];
        let direct = hkdf_sha256(&salt, &ikm, &info, &mut out);
        let prk = hkdf_extract(&salt, &ikm);
        let two_step = hkdf_expand(prk.as_slice(), &info, &mut out2);
        match outcome {
            Outcome::Valid => {
                assert_eq!(okm.len(), size, "{label}");
                direct.unwrap_or_else(|e| panic!("{label}: hkdf_sha256 refused: {e:?}"));
                two_step.unwrap_or_else(|e| panic!("{label}: hkdf_expand refused: {e:?}"));
                assert_eq!(hex::encode(&out), hex::encode(&okm), "{label}: hkdf_sha256");
                assert_eq!(hex::encode(&out2), hex::encode(&okm), "{label}: extract+expand");
            }
            Outcome::Invalid => {
                assert!(size > 255 * 32, "{label}: unexpected invalid case");
                let err = direct.expect_err(&format!("{label}: hkdf_sha256 accepted"));
                assert_eq!(err.code(), "invalid_input", "{label}");
                let err = two_step.expect_err(&format!("{label}: hkdf_expand accepted"));
                assert_eq!(err.code(), "invalid_input", "{label}");
                assert!(out.iter().chain(&out2).all(|&b| b == 0), "{label}: wrote output");
            }
            Outcome::Acceptable => {
                panic!("{label}: acceptable HKDF case: no project policy is defined for it");
            }
        }
        tally.record(outcome);
    }
    tally.finish(&suite);
}

struct Rfc5869Case {
    name: &'static str,
    ikm: &'static str,
    salt: &'static str,
    info: &'static str,
    prk: &'static str,
    okm: &'static str,
}

/// RFC 5869 Appendix A, the SHA-256 test cases (A.4–A.7 are SHA-1 and not used by chatseal).
const RFC5869: [Rfc5869Case; 3] = [
    // A.1 Test Case 1: basic test case with SHA-256 (L = 42).
    Rfc5869Case {
        name: "A.1",
        ikm: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
        salt: "000102030405060708090a0b0c",
        info: "f0f1f2f3f4f5f6f7f8f9",
        prk: "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
        okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf
              34007208d5b887185865",
    },
    // A.2 Test Case 2: SHA-256 with longer inputs/outputs (80-byte IKM, salt, info; L = 82).
    Rfc5869Case {
        name: "A.2",
        ikm: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
              202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
              404142434445464748494a4b4c4d4e4f",
        salt: "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f
               808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f
               a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
        info: "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf
               d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef
               f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        prk: "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
        okm: "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c
              59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71
              cc30c58179ec3e87c14c01d5c1f3434f1d87",
    },
    // A.3 Test Case 3: SHA-256 with zero-length salt and info (L = 42).
    Rfc5869Case {
        name: "A.3",
        ikm: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
        salt: "",
        info: "",
        prk: "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
        okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d
              9d201395faa4b61a96c8",
    },
];

/// RFC 5869 Appendix A.1–A.3: PRK from `hkdf_extract`, OKM from `hkdf_expand(PRK)` and from the
/// one-shot `hkdf_sha256`.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rfc5869_appendix_a_sha256() {
    for case in &RFC5869 {
        let ikm = unhex(case.ikm);
        let salt = unhex(case.salt);
        let info = unhex(case.info);
        let prk = unhex(case.prk);
        let okm = unhex(case.okm);

        let got_prk = hkdf_extract(&salt, &ikm);
        assert_eq!(hex::encode(got_prk.as_slice()), hex::encode(&prk), "{}: PRK", case.name);

        let mut out = vec![0u8; okm.len()];
        hkdf_expand(&prk, &info, &mut out).unwrap();
        assert_eq!(hex::encode(&out), hex::encode(&okm), "{}: OKM via expand", case.name);

        let mut out = vec![0u8; okm.len()];
        hkdf_sha256(&salt, &ikm, &info, &mut out).unwrap();
        assert_eq!(hex::encode(&out), hex::encode(&okm), "{}: OKM via hkdf_sha256", case.name);
    }
}

/// Wrapper policy: `hkdf_expand` refuses a PRK shorter than the hash length (RFC 5869 §2.3
/// requires PRK of at least HashLen octets).
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn expand_refuses_short_prk() {
    let mut out = [0u8; 32];
    let err = hkdf_expand(&[0u8; 31], b"info", &mut out).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    hkdf_expand(&[0u8; 32], b"info", &mut out).unwrap();
}
