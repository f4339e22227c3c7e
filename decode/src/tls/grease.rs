//! GREASE values (RFC 8701).
//!
//! The reserved values are exactly the sixteen `0x0a0a, 0x1a1a, ..., 0xfafa`: both bytes equal
//! and the low nibble `0xa`. tls-parser's looser `v & 0x0f0f == 0x0a0a` also accepts values such
//! as `0x1a2a`, which are not GREASE; fingerprints must not drop those.

/// Whether `v` is one of the sixteen RFC 8701 GREASE values (cipher suites, extensions,
/// named groups, signature algorithms, versions).
#[inline]
#[must_use]
pub const fn is_grease(v: u16) -> bool {
    let [hi, lo] = v.to_be_bytes();
    hi == lo && lo & 0x0f == 0x0a
}

/// Whether an ALPN protocol name is a GREASE value (RFC 8701 section 3: the two-byte names
/// `{0x0A,0x0A}`, `{0x1A,0x1A}`, ... `{0xFA,0xFA}`).
#[inline]
#[must_use]
pub fn is_grease_alpn(name: &[u8]) -> bool {
    matches!(name, &[a, b] if is_grease(u16::from_be_bytes([a, b])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_sixteen() {
        let all: Vec<u16> = (0..=u16::MAX).filter(|&v| is_grease(v)).collect();
        let expected: Vec<u16> = (0..16u16)
            .map(|i| (i << 12) | 0x0a00 | (i << 4) | 0x0a)
            .collect();
        assert_eq!(all, expected);
        assert_eq!(all.first(), Some(&0x0a0a));
        assert_eq!(all.last(), Some(&0xfafa));
        // tls-parser's loose mask would accept these.
        assert!(!is_grease(0x1a2a));
        assert!(!is_grease(0x0a1a));
        assert!(is_grease_alpn(&[0x3a, 0x3a]));
        assert!(!is_grease_alpn(&[0x3a, 0x3a, 0x3a]));
        assert!(!is_grease_alpn(b"h2"));
    }
}
