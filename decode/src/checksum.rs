//! The Internet checksum (RFC 1071): computed and reported, never used to drop a packet.

/// The 16-bit one's complement sum of `data` (an odd last byte is padded with zero), folded.
pub(crate) fn ones_complement_sum(data: &[u8]) -> u16 {
    let mut chunks = data.chunks_exact(2);
    // At most 32 767 pairs per 64 KiB, so a u64 accumulator cannot overflow.
    let mut sum: u64 = chunks
        .by_ref()
        .map(|pair| match pair {
            [hi, lo] => u64::from(u16::from_be_bytes([*hi, *lo])),
            _ => 0,
        })
        .sum();
    if let [last] = chunks.remainder() {
        sum += u64::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    // The loop above leaves `sum <= 0xffff`.
    u16::try_from(sum).unwrap_or(u16::MAX)
}

/// Whether a header that carries its own checksum field verifies (sums to 0xffff).
pub(crate) fn verifies(header: &[u8]) -> bool {
    ones_complement_sum(header) == 0xffff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the sum of 0001 f203 f4f5 f6f7 is ddf2.
        assert_eq!(
            ones_complement_sum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0xddf2
        );
        // An odd length pads the last byte on the right.
        assert_eq!(ones_complement_sum(&[0x12]), 0x1200);
        assert_eq!(ones_complement_sum(&[]), 0);
    }
}
