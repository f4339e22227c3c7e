//! The Internet checksum (RFC 1071): computed and reported, never used to drop a packet.

/// The 16-bit one's complement sum of `data` (an odd last byte is padded with zero), folded.
///
/// Eight bytes at a time: the one's complement sum of 16-bit words equals that of 32-bit
/// words folded (RFC 1071, section 2(B)), so each 64-bit word adds its two halves.
pub(crate) fn ones_complement_sum(data: &[u8]) -> u16 {
    let mut words = data.chunks_exact(8);
    // At most 8192 words per 64 KiB, each adding less than 2^33: no overflow.
    let mut sum: u64 = words
        .by_ref()
        .map(|w| {
            let w = u64::from_be_bytes(w.try_into().unwrap_or_default());
            (w >> 32) + (w & 0xffff_ffff)
        })
        .sum();
    let mut pairs = words.remainder().chunks_exact(2);
    sum += pairs
        .by_ref()
        .map(|pair| match pair {
            [hi, lo] => u64::from(u16::from_be_bytes([*hi, *lo])),
            _ => 0,
        })
        .sum::<u64>();
    if let [last] = pairs.remainder() {
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

    /// The byte-wise definition.
    fn reference(data: &[u8]) -> u16 {
        let mut sum: u64 = 0;
        for (i, b) in data.iter().enumerate() {
            sum += u64::from(*b) << if i % 2 == 0 { 8 } else { 0 };
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum as u16
    }

    proptest::proptest! {
        /// Against the byte-wise definition, on any bytes of any length up to 80.
        #[test]
        fn matches_the_16_bit_definition(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80)) {
            proptest::prop_assert_eq!(ones_complement_sum(&data), reference(&data));
        }
    }

    /// All-ones words, for the carries, on every length up to 80.
    #[test]
    fn carries() {
        for len in 0..80 {
            let data = alloc::vec![0xffu8; len];
            assert_eq!(ones_complement_sum(&data), reference(&data), "{len}");
        }
    }
}
