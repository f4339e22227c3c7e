//! The Internet checksum (RFC 1071) and the TCP/UDP/ICMPv6 pseudo-header.

use std::net::IpAddr;

/// A running one's-complement sum over 16-bit big-endian words.
///
/// Slices may have odd lengths: a trailing odd byte is carried over to the
/// next [`add`](Self::add), so the result equals the checksum of the
/// concatenation.
#[derive(Clone, Copy, Debug, Default)]
pub struct Checksum {
    sum: u64,
    pending: Option<u8>,
}

impl Checksum {
    /// An empty sum.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            sum: 0,
            pending: None,
        }
    }

    /// The pseudo-header sum used by TCP, UDP and ICMPv6: addresses, upper-layer
    /// protocol number and upper-layer length (RFC 793, RFC 768, RFC 8200 §8.1).
    #[must_use]
    pub fn pseudo_header(src: IpAddr, dst: IpAddr, protocol: u8, len: u32) -> Self {
        let mut c = Self::new();
        match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                c.add(&s.octets());
                c.add(&d.octets());
                c.add(&[0, protocol]);
                c.add(&(len as u16).to_be_bytes());
            }
            (s, d) => {
                c.add(&ip_octets16(s));
                c.add(&ip_octets16(d));
                c.add(&len.to_be_bytes());
                c.add(&[0, 0, 0, protocol]);
            }
        }
        c
    }

    /// Adds `data` to the sum.
    pub fn add(&mut self, mut data: &[u8]) {
        if let Some(hi) = self.pending.take() {
            if let Some((&lo, rest)) = data.split_first() {
                self.sum += u64::from(u16::from_be_bytes([hi, lo]));
                data = rest;
            } else {
                self.pending = Some(hi);
                return;
            }
        }
        let mut words = data.chunks_exact(2);
        for w in &mut words {
            self.sum += u64::from(u16::from_be_bytes([w[0], w[1]]));
        }
        if let [last] = words.remainder() {
            self.pending = Some(*last);
        }
    }

    /// The checksum: the one's complement of the folded sum.
    #[must_use]
    pub fn finish(self) -> u16 {
        let mut sum = self.sum;
        if let Some(hi) = self.pending {
            sum += u64::from(u16::from_be_bytes([hi, 0]));
        }
        while sum > 0xFFFF {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        !(sum as u16)
    }
}

/// The checksum of one buffer.
#[must_use]
pub fn internet_checksum(data: &[u8]) -> u16 {
    let mut c = Checksum::new();
    c.add(data);
    c.finish()
}

fn ip_octets16(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: words 0001 f203 f4f5 f6f7 sum to ddf2, checksum 220d.
        assert_eq!(
            internet_checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
    }

    #[test]
    fn odd_splits_equal_whole() {
        let data: Vec<u8> = (0..=200u8).collect();
        let mut c = Checksum::new();
        c.add(&data[..3]);
        c.add(&data[3..4]);
        c.add(&data[4..4]);
        c.add(&data[4..101]);
        c.add(&data[101..]);
        assert_eq!(c.finish(), internet_checksum(&data));
    }
}
