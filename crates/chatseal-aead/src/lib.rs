#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::XChaCha20Poly1305;

/// Length of a key.
pub const KEY_LEN: usize = 32;
/// Length of a nonce.
pub const NONCE_LEN: usize = 24;
/// Length of a tag.
pub const TAG_LEN: usize = 16;

/// The one failure: the message is too long (seal), or it is not authentic (open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error;

/// Encrypts `buf` in place and returns the tag over `aad` and the ciphertext.
pub fn seal(key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN], aad: &[u8], buf: &mut [u8]) -> Result<[u8; TAG_LEN], Error> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let tag = cipher.encrypt_inout_detached(nonce.into(), aad, buf.into()).map_err(|_| Error)?;
    Ok(tag.into())
}

/// Verifies `tag` over `aad` and the ciphertext in `buf`, then decrypts `buf` in place. On
/// failure `buf` is left as it was.
pub fn open(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> Result<(), Error> {
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher.decrypt_inout_detached(nonce.into(), aad, buf.into(), tag.into()).map_err(|_| Error)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// draft-irtf-cfrg-xchacha-03, appendix A.3.1.
    #[test]
    fn xchacha_draft_vector() {
        let hex = |s: &str| {
            (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect::<Vec<u8>>()
        };
        let key: [u8; 32] = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f").try_into().unwrap();
        let nonce: [u8; 24] = hex("404142434445464748494a4b4c4d4e4f5051525354555657").try_into().unwrap();
        let aad = hex("50515253c0c1c2c3c4c5c6c7");
        let plaintext = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
        let mut buf = plaintext.to_vec();
        let tag = seal(&key, &nonce, &aad, &mut buf).unwrap();
        assert_eq!(buf[..16], hex("bd6d179d3e83d43b9576579493c0e939")[..]);
        assert_eq!(tag[..], hex("c0875924c1c7987947deafd8780acf49")[..]);
        let mut flipped = buf.clone();
        flipped[0] ^= 1;
        assert_eq!(open(&key, &nonce, &aad, &mut flipped, &tag), Err(Error));
        assert_eq!(flipped[0], buf[0] ^ 1, "a refused open leaves the buffer as it was");
        open(&key, &nonce, &aad, &mut buf, &tag).unwrap();
        assert_eq!(buf, plaintext);
    }
}
