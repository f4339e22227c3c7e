//! Bounds-checked reads and sub-slices: the only way the decoders touch raw bytes.
//!
//! Every function here returns `None` (or a shorter slice) instead of panicking, and every
//! slice it returns is a sub-slice of its input, so an empty result still points inside the
//! capture buffer.

/// The big-endian `u16` at `at`, if the two bytes are there.
#[inline]
pub(crate) fn be16(data: &[u8], at: usize) -> Option<u16> {
    data.get(at..)?
        .first_chunk::<2>()
        .map(|b| u16::from_be_bytes(*b))
}

/// The big-endian `u32` at `at`, if the four bytes are there.
#[inline]
pub(crate) fn be32(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..)?
        .first_chunk::<4>()
        .map(|b| u32::from_be_bytes(*b))
}

/// The byte at `at`, if it is there.
#[inline]
pub(crate) fn byte(data: &[u8], at: usize) -> Option<u8> {
    data.get(at).copied()
}

/// The `N` bytes at `at`, if they are all there.
#[inline]
pub(crate) fn array<const N: usize>(data: &[u8], at: usize) -> Option<[u8; N]> {
    data.get(at..)?.first_chunk::<N>().copied()
}

/// The first `len` bytes of `data`, or all of `data` if it is shorter.
#[inline]
pub(crate) fn head(data: &[u8], len: usize) -> &[u8] {
    data.get(..len).unwrap_or(data)
}

/// `data` without its first `len` bytes; an empty slice at the end of `data` if it is shorter.
#[inline]
pub(crate) fn tail(data: &[u8], len: usize) -> &[u8] {
    // `split_at_checked` cannot fail once `len` is clamped; the fallback only keeps this panic-free.
    data.split_at_checked(len.min(data.len()))
        .map_or(data, |(_, rest)| rest)
}

/// `len` bytes starting at `at`, clamped to what `data` holds.
#[inline]
pub(crate) fn sub(data: &[u8], at: usize, len: usize) -> &[u8] {
    head(tail(data, at), len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_end() {
        let d = [1, 2, 3, 4, 5];
        assert_eq!(be16(&d, 3), Some(0x0405));
        assert_eq!(be16(&d, 4), None);
        assert_eq!(be16(&d, usize::MAX), None);
        assert_eq!(be32(&d, 1), Some(0x0203_0405));
        assert_eq!(be32(&d, 2), None);
        assert_eq!(byte(&d, 5), None);
        assert_eq!(array::<2>(&d, 0), Some([1, 2]));
    }

    #[test]
    fn slices_stay_inside() {
        let d = [1, 2, 3, 4, 5];
        assert_eq!(head(&d, 2), &[1, 2]);
        assert_eq!(head(&d, 9), &d);
        assert_eq!(tail(&d, 2), &[3, 4, 5]);
        let end = tail(&d, 9);
        assert!(end.is_empty());
        assert_eq!(end.as_ptr(), d.as_ptr().wrapping_add(5));
        assert_eq!(sub(&d, 1, 2), &[2, 3]);
        assert_eq!(sub(&d, 4, 9), &[5]);
    }
}
