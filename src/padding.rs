//! Length hiding (`SPEC.md` § 9). The plaintext gets a 0x80 marker and zeros up to a bucket size,
//! so the stored length reveals only the bucket: powers of two from 32 to 256 bytes for short
//! turns (where a few bytes tell "yes" from "no"), then Padmé (at most 12 % overhead,
//! O(log log n) bits of leakage) above.

use crate::error::{Error, Result};

/// Largest plaintext a turn may carry (16 MiB).
pub const MAX_PLAINTEXT: usize = 16 * 1024 * 1024;

const MIN_BUCKET: usize = 32;
const POW2_LIMIT: usize = 256;

/// The padded size for `n` bytes (the plaintext plus its one marker byte).
pub const fn bucket(n: usize) -> usize {
    if n <= MIN_BUCKET {
        MIN_BUCKET
    } else if n <= POW2_LIMIT {
        n.next_power_of_two()
    } else {
        padme(n)
    }
}

/// Padmé (Nikitin et al., PETS 2019): keep the top ⌊log₂ e⌋ + 1 bits of the length's mantissa,
/// where e = ⌊log₂ n⌋, and round the rest up.
const fn padme(n: usize) -> usize {
    let e = usize::BITS - 1 - n.leading_zeros(); // ⌊log₂ n⌋, n > 256 so e ≥ 8
    let s = u32::BITS - e.leading_zeros(); // ⌊log₂ e⌋ + 1
    let mask = (1usize << (e - s)) - 1;
    (n + mask) & !mask
}

/// Pads the plaintext that occupies `buf[start..]` in place: marker, then zeros to its bucket.
/// The caller reserves the capacity first (a secret-holding buffer must never reallocate).
pub fn pad(buf: &mut Vec<u8>, start: usize) -> Result<()> {
    let len = buf.len().saturating_sub(start);
    if len > MAX_PLAINTEXT {
        return Err(Error::LimitExceeded("plaintext larger than 16 MiB"));
    }
    let target = start + bucket(len + 1);
    if buf.capacity() < target {
        return Err(Error::State("padding buffer not reserved"));
    }
    buf.push(0x80);
    buf.resize(target, 0);
    Ok(())
}

/// Strips the padding: the last non-zero byte must be the 0x80 marker and the padded length must
/// be exactly the bucket of what it carries.
pub fn unpad(buf: &mut Vec<u8>) -> Result<()> {
    let marker = buf.iter().rposition(|&b| b != 0).ok_or(Error::Malformed("padding"))?;
    if buf.get(marker) != Some(&0x80) || bucket(marker + 1) != buf.len() {
        return Err(Error::Malformed("padding"));
    }
    buf.truncate(marker);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets() {
        assert_eq!(bucket(1), 32);
        assert_eq!(bucket(32), 32);
        assert_eq!(bucket(33), 64);
        assert_eq!(bucket(256), 256);
        assert_eq!(bucket(257), 272); // e = 8, s = 4: multiples of 16
        assert_eq!(bucket(1025), 1088); // a 1 KiB turn: 6 % instead of v1's 100 %
        assert_eq!(bucket(4097), 4352);
        assert_eq!(bucket(1024 * 1024 + 1), 1024 * 1024 + 32768); // e = 20, s = 5: multiples of 2^15
        let mut last = 0;
        for n in 1..200_000 {
            let b = bucket(n);
            assert!(b >= n && b <= n.max(32) * 2, "{n} -> {b}");
            assert!(b >= last, "monotonic at {n}");
            assert_eq!(bucket(b), b, "a bucket is its own bucket ({n} -> {b})");
            last = b;
            if n > 256 {
                assert!((b - n) * 100 <= n * 12, "padmé overhead {n} -> {b}");
            }
        }
    }

    #[test]
    fn roundtrip_and_strict() {
        assert!(pad(&mut vec![1u8; 3], 0).is_err(), "an unreserved buffer is refused");
        for len in [0usize, 1, 30, 31, 32, 100, 255, 256, 1024, 4095, 4096, 5000] {
            let mut v = Vec::with_capacity(bucket(len + 1));
            v.resize(len, 7u8);
            pad(&mut v, 0).unwrap();
            assert_eq!(v.len(), bucket(len + 1));
            unpad(&mut v).unwrap();
            assert_eq!(v, vec![7u8; len]);
        }
        let mut v = vec![0u8; 32];
        assert!(unpad(&mut v).is_err());
        let mut v = vec![1u8; 32];
        assert!(unpad(&mut v).is_err());
        // Marker in a place that is not its bucket: rejected.
        let mut v = vec![0x80u8];
        v.resize(64, 0);
        assert!(unpad(&mut v).is_err());
    }
}
