//! Byte encodings shared by every structure: a bounds-checked reader over untrusted bytes and the
//! unpadded base64url text form. Wire, metadata and state blob all build on this; it imports
//! nothing of them.

use crate::error::{Error, Result};
use base64ct::{Base64UrlUnpadded, Encoding};

/// A bounds-checked cursor over untrusted bytes: every read either succeeds or returns
/// [`Error::Malformed`] naming the structure, so parsers never index out of range.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// `what` names the structure in errors ("envelope", "offer", ...).
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Reader { rest: bytes, what }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let (head, tail) = self.rest.split_at_checked(n).ok_or(Error::Malformed(self.what))?;
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A `0`/`1` byte.
    pub(crate) fn flag(&mut self) -> Result<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Error::Malformed(self.what)),
        }
    }

    /// Everything not yet read.
    pub(crate) fn rest(self) -> &'a [u8] {
        self.rest
    }

    /// Fails unless every byte was read.
    pub(crate) fn finish(self) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::Malformed(self.what))
        }
    }

    /// How many bytes are left.
    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }
}

/// The text form: unpadded base64url (RFC 4648 § 5) of the binary form.
pub fn base64url_encode(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes the text form, refusing padding, whitespace and non-canonical trailing bits
/// (`malformed`), and text longer than `max_decoded` bytes would need (`limit_exceeded`, checked
/// before decoding anything).
pub fn base64url_decode_max(text: &str, max_decoded: usize) -> Result<Vec<u8>> {
    // Unpadded base64 of n bytes is ⌈4n / 3⌉ characters.
    if text.len() > max_decoded.saturating_mul(4).saturating_add(2) / 3 {
        return Err(Error::LimitExceeded("text form longer than the largest structure"));
    }
    Base64UrlUnpadded::decode_vec(text).map_err(|_| Error::Malformed("base64url"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_is_bounds_checked() {
        let mut r = Reader::new(&[1, 2, 3], "x");
        assert_eq!(r.u16().unwrap(), 0x0102);
        assert_eq!(r.u16(), Err(Error::Malformed("x")));
        assert_eq!(r.remaining(), 1);
        assert!(Reader::new(&[2], "x").flag().is_err());
        assert!(Reader::new(&[0], "x").finish().is_err());
    }

    #[test]
    fn base64url_is_strict() {
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url_decode_max("-_8", 2).unwrap(), vec![0xfb, 0xff]);
        for bad in ["-_8=", "-_ 8", "-_9", "+/8"] {
            assert_eq!(base64url_decode_max(bad, 9), Err(Error::Malformed("base64url")), "{bad}");
        }
        assert_eq!(base64url_decode_max("AAAAAAAA", 5).unwrap_err().code(), "limit_exceeded");
        assert_eq!(base64url_decode_max("AAAAAAAA", 6).unwrap(), vec![0; 6]);
    }
}

/// Lower-case hex (how ids and digests are written in JSON, URLs and JavaScript).
pub fn hex_encode(bytes: &[u8]) -> String {
    let digit = |n: u8| char::from(if n < 10 { b'0' + n } else { b'a' - 10 + n });
    let mut out = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        out.push(digit(b >> 4));
        out.push(digit(b & 15));
    }
    out
}

/// Exactly `N` bytes from `2N` hex digits (either case); anything else is `invalid_input` naming
/// `what`.
pub fn hex_decode<const N: usize>(text: &str, what: &'static str) -> Result<[u8; N]> {
    let bytes = text.as_bytes();
    if bytes.len() != 2 * N {
        return Err(Error::InvalidInput(what));
    }
    let nibble = |c: u8| char::from(c).to_digit(16).ok_or(Error::InvalidInput(what));
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        if let [high, low] = pair {
            *byte = (nibble(*high)? << 4 | nibble(*low)?) as u8;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod hex_tests {
    use super::*;

    #[test]
    fn hex_roundtrip_and_refusals() {
        assert_eq!(hex_encode(&[0, 0xab, 0x10]), "00ab10");
        assert_eq!(hex_decode::<3>("00AB10", "id").unwrap(), [0, 0xab, 0x10]);
        assert_eq!(hex_decode::<3>("00ab1", "id"), Err(Error::InvalidInput("id")));
        assert_eq!(hex_decode::<1>("0g", "id"), Err(Error::InvalidInput("id")));
        assert_eq!(hex_decode::<1>("é", "id"), Err(Error::InvalidInput("id")));
    }
}
