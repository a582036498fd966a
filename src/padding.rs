//! Length hiding (`SPEC.md` § Padding). The plaintext gets a 0x80 marker and zeros up to a bucket
//! size, so the stored length reveals only the bucket: powers of two from 32 to 4,096 bytes for
//! chat-sized turns, then Padmé (at most ~12 % overhead, O(log log n) bits of leakage) for bulk.

use crate::error::{Error, Result};

/// Largest plaintext a turn may carry (16 MiB).
pub const MAX_PLAINTEXT: usize = 16 * 1024 * 1024;

const MIN_BUCKET: usize = 32;
const POW2_LIMIT: usize = 4096;

/// The padded size for `n` bytes (the plaintext plus its one marker byte).
pub fn bucket(n: usize) -> usize {
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
fn padme(n: usize) -> usize {
    let e = usize::BITS - 1 - n.leading_zeros(); // ⌊log₂ n⌋, n > 4096 so e ≥ 12
    let s = u32::BITS - e.leading_zeros(); // ⌊log₂ e⌋ + 1
    let mask = (1usize << (e - s)) - 1;
    (n + mask) & !mask
}

/// Pads the plaintext that occupies `buf[start..]` in place: marker, then zeros to its bucket.
pub fn pad(buf: &mut Vec<u8>, start: usize) -> Result<()> {
    let len = buf.len().saturating_sub(start);
    if len > MAX_PLAINTEXT {
        return Err(Error::LimitExceeded("plaintext larger than 16 MiB"));
    }
    let target = start + bucket(len + 1);
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
        assert_eq!(bucket(4096), 4096);
        assert_eq!(bucket(4097), 4352);
        assert_eq!(bucket(1024 * 1024 + 1), 1024 * 1024 + 32768); // e = 20, s = 5: multiples of 2^15
        for n in 1..200_000 {
            let b = bucket(n);
            assert!(b >= n && b <= n.max(32) * 2, "{n} -> {b}");
            if n > 4096 {
                assert!((b - n) * 100 <= n * 12, "padmé overhead {n} -> {b}");
            }
        }
    }

    #[test]
    fn roundtrip_and_strict() {
        for len in [0usize, 1, 30, 31, 32, 100, 4095, 4096, 5000] {
            let mut v = vec![7u8; len];
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
