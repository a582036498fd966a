//! Shared helpers for the `primitives_*` known-answer tests: walking a Wycheproof JSON file,
//! decoding its hex fields, tallying results, and printing the per-file summary both natively
//! (`println!`) and in the browser (`console_log!`).
//!
//! Each `primitives_*.rs` test binary includes this module with `mod common_primitives;` and uses
//! only part of it, hence the `dead_code` allowance.
#![allow(dead_code)]

use serde_json::Value;

/// One Wycheproof test case together with the group it belongs to (groups carry sizes).
pub struct Case<'a> {
    pub group: &'a Value,
    pub test: &'a Value,
}

impl Case<'_> {
    /// The case id, for failure messages.
    pub fn id(&self) -> u64 {
        self.test["tcId"].as_u64().expect("tcId")
    }

    /// `valid`, `invalid` or `acceptable`.
    pub fn result(&self) -> Outcome {
        match self.test["result"].as_str().expect("result") {
            "valid" => Outcome::Valid,
            "invalid" => Outcome::Invalid,
            "acceptable" => Outcome::Acceptable,
            other => panic!("tcId {}: unknown result {other:?}", self.id()),
        }
    }

    /// A hex field of the case, decoded.
    pub fn hex(&self, field: &str) -> Vec<u8> {
        let s = self.test[field].as_str().unwrap_or_else(|| panic!("tcId {}: missing hex field {field:?}", self.id()));
        hex::decode(s).unwrap_or_else(|e| panic!("tcId {}: field {field:?}: {e}", self.id()))
    }

    /// A numeric field of the case.
    pub fn usize(&self, field: &str) -> usize {
        let n = self.test[field].as_u64().unwrap_or_else(|| panic!("tcId {}: missing number {field:?}", self.id()));
        usize::try_from(n).expect("fits usize")
    }

    /// The case's flags, for failure messages.
    pub fn flags(&self) -> String {
        self.test["flags"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","))
            .unwrap_or_default()
    }

    /// A short label for assertion messages.
    pub fn label(&self) -> String {
        format!("tcId {} [{}] {:?}", self.id(), self.flags(), self.test["comment"].as_str().unwrap_or(""))
    }
}

/// The expected outcome Wycheproof assigns to a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Valid,
    Invalid,
    Acceptable,
}

/// A parsed Wycheproof file.
pub struct Suite {
    pub file: &'static str,
    pub doc: Value,
}

impl Suite {
    /// Parses the text of `file` (loaded with `include_str!`, so it also works in the browser).
    pub fn parse(file: &'static str, json: &str) -> Self {
        let doc: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{file}: {e}"));
        Suite { file, doc }
    }

    /// The file's own declared `numberOfTests`.
    pub fn number_of_tests(&self) -> usize {
        usize::try_from(self.doc["numberOfTests"].as_u64().expect("numberOfTests")).expect("fits")
    }

    /// Every case of every group, in file order.
    pub fn cases(&self) -> Vec<Case<'_>> {
        let groups = self.doc["testGroups"].as_array().expect("testGroups");
        let mut out = Vec::new();
        for group in groups {
            for test in group["tests"].as_array().expect("tests") {
                out.push(Case { group, test });
            }
        }
        out
    }
}

/// Counts of cases run, by expected outcome.
#[derive(Default, Debug)]
pub struct Tally {
    pub valid: usize,
    pub invalid: usize,
    pub acceptable: usize,
}

impl Tally {
    /// Records one case that ran and had its expected outcome checked.
    pub fn record(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Valid => self.valid += 1,
            Outcome::Invalid => self.invalid += 1,
            Outcome::Acceptable => self.acceptable += 1,
        }
    }

    /// Total cases run.
    pub fn total(&self) -> usize {
        self.valid + self.invalid + self.acceptable
    }

    /// Asserts every case of the file ran (count equals `numberOfTests` and every tcId was seen
    /// once) and prints the summary line.
    pub fn finish(&self, suite: &Suite) {
        let cases = suite.cases();
        let mut ids: Vec<u64> = cases.iter().map(Case::id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), cases.len(), "{}: duplicate tcIds", suite.file);
        assert_eq!(
            self.total(),
            suite.number_of_tests(),
            "{}: ran {} cases but the file declares numberOfTests = {}",
            suite.file,
            self.total(),
            suite.number_of_tests()
        );
        report(&format!(
            "wycheproof {}: {} cases (valid {}, invalid {}, acceptable {}) passed",
            suite.file,
            self.total(),
            self.valid,
            self.invalid,
            self.acceptable
        ));
    }
}

/// Prints a line: stdout natively (visible with `--nocapture`), the browser console under
/// wasm-bindgen-test.
pub fn report(line: &str) {
    #[cfg(not(target_arch = "wasm32"))]
    println!("{line}");
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::console_log!("{}", line);
}

/// Decodes a hex constant from an RFC (whitespace allowed, as the RFCs print them in blocks).
pub fn unhex(s: &str) -> Vec<u8> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(compact).expect("valid hex constant")
}

/// Decodes a hex constant into a fixed-size array.
pub fn unhex_array<const N: usize>(s: &str) -> [u8; N] {
    let v = unhex(s);
    <[u8; N]>::try_from(v.as_slice()).expect("constant has the expected length")
}

/// An AEAD wrapper under test, with a nonce of `N` bytes: `seal` returns `ct || tag`, `open`
/// takes `ct || tag`.
pub struct Aead<const N: usize> {
    pub seal: AeadFn<N>,
    pub open: AeadFn<N>,
}

/// `(key, nonce, aad, input) -> output`: seal maps plaintext to `ct || tag`, open the reverse.
pub type AeadFn<const N: usize> = fn(&[u8; 32], &[u8; N], &[u8], &[u8]) -> chatseal::Result<Vec<u8>>;

/// Runs every case of a Wycheproof `AeadTest` file through `aead`.
///
/// * `valid`: sealing `msg` gives exactly `ct || tag`, opening `ct || tag` gives exactly `msg`,
///   and the same bytes with the last tag byte flipped are refused with `decrypt_failed`.
/// * `invalid` with a well-sized key and nonce (modified tags): opening `ct || tag` is refused
///   with `Error::DecryptFailed` (code `decrypt_failed`), and sealing `msg` does not produce those
///   bytes.
/// * `invalid` with a key or nonce size the wrapper's fixed-size array cannot hold (flag
///   `InvalidNonceSize`): the conversion to `[u8; 32]` / `[u8; N]` must fail, so such input cannot
///   reach the cipher at all. That is the check for these cases; they count as run.
/// * `acceptable`: none exist in the ChaCha20-Poly1305 / XChaCha20-Poly1305 files; one appearing
///   fails the test, so that a policy gets decided for it rather than silently passing.
pub fn run_aead_suite<const N: usize>(suite: &Suite, aead: &Aead<N>) -> Tally {
    let mut tally = Tally::default();
    for case in suite.cases() {
        let label = case.label();
        let outcome = case.result();
        let key_bytes = case.hex("key");
        let iv_bytes = case.hex("iv");
        let aad = case.hex("aad");
        let msg = case.hex("msg");
        let mut ct_tag = case.hex("ct");
        ct_tag.extend_from_slice(&case.hex("tag"));

        // The group's declared sizes must agree with the case's own bytes.
        assert_eq!(case.group["ivSize"].as_u64(), u64::try_from(iv_bytes.len() * 8).ok(), "{label}");
        assert_eq!(case.group["keySize"].as_u64(), u64::try_from(key_bytes.len() * 8).ok(), "{label}");

        let key = <[u8; 32]>::try_from(key_bytes.as_slice());
        let nonce = <[u8; N]>::try_from(iv_bytes.as_slice());
        let (key, nonce) = match (key, nonce) {
            (Ok(k), Ok(n)) => (k, n),
            (key, nonce) => {
                // Not representable in the wrapper's types: only an invalid case may be like this,
                // and the failed conversion above is the rejection.
                assert_eq!(
                    outcome,
                    Outcome::Invalid,
                    "{label}: key {} / nonce {} bytes cannot be passed to the wrapper",
                    key_bytes.len(),
                    iv_bytes.len()
                );
                assert!(key.is_err() || nonce.is_err(), "{label}");
                assert!(key_bytes.len() != 32 || iv_bytes.len() != N, "{label}");
                tally.record(outcome);
                continue;
            }
        };

        match outcome {
            Outcome::Valid => {
                let sealed =
                    (aead.seal)(&key, &nonce, &aad, &msg).unwrap_or_else(|e| panic!("{label}: seal failed: {e:?}"));
                assert_eq!(hex::encode(&sealed), hex::encode(&ct_tag), "{label}: seal");
                let opened = (aead.open)(&key, &nonce, &aad, &ct_tag)
                    .unwrap_or_else(|e| panic!("{label}: open refused a valid case: {e:?}"));
                assert_eq!(hex::encode(&opened), hex::encode(&msg), "{label}: open");
                let mut tampered = ct_tag.clone();
                if let Some(last) = tampered.last_mut() {
                    *last ^= 0x01;
                }
                let err = (aead.open)(&key, &nonce, &aad, &tampered).expect_err(&label);
                assert_eq!(err.code(), "decrypt_failed", "{label}: tampered");
            }
            Outcome::Invalid => {
                let err = (aead.open)(&key, &nonce, &aad, &ct_tag).expect_err(&format!("{label}: invalid case opened"));
                assert_eq!(err, chatseal::Error::DecryptFailed, "{label}");
                assert_eq!(err.code(), "decrypt_failed", "{label}");
                let sealed =
                    (aead.seal)(&key, &nonce, &aad, &msg).unwrap_or_else(|e| panic!("{label}: seal failed: {e:?}"));
                assert_ne!(sealed, ct_tag, "{label}: seal reproduced an invalid ciphertext");
            }
            Outcome::Acceptable => {
                panic!("{label}: acceptable AEAD case: no project policy is defined for it");
            }
        }
        tally.record(outcome);
    }
    tally
}
