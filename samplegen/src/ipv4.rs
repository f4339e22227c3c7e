//! IPv4 headers and fragmentation.

use std::net::Ipv4Addr;

use crate::checksum::internet_checksum;

/// IP protocol numbers used by the generator.
pub mod protocol {
    /// IPv6 hop-by-hop options.
    pub const HOP_BY_HOP: u8 = 0;
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// IPv6 routing header.
    pub const ROUTING: u8 = 43;
    /// IPv6 fragment header.
    pub const FRAGMENT: u8 = 44;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
    /// IPv6 "no next header".
    pub const NO_NEXT_HEADER: u8 = 59;
    /// IPv6 destination options.
    pub const DESTINATION_OPTIONS: u8 = 60;
}

/// An IPv4 header description. Length and checksum are computed on write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ipv4 {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Time to live.
    pub ttl: u8,
    /// Identification.
    pub ident: u16,
    /// DSCP and ECN byte.
    pub tos: u8,
    /// The DF flag.
    pub dont_fragment: bool,
    /// The MF flag.
    pub more_fragments: bool,
    /// Fragment offset in bytes (a multiple of 8).
    pub fragment_offset: u16,
    /// Raw options, zero-padded to a multiple of 4 bytes on write (at most 40).
    pub options: Vec<u8>,
}

impl Ipv4 {
    /// A header from `src` to `dst` with TTL 64, DF set, ident 0, no options.
    #[must_use]
    pub fn new(src: Ipv4Addr, dst: Ipv4Addr) -> Self {
        Self {
            src,
            dst,
            ttl: 64,
            ident: 0,
            tos: 0,
            dont_fragment: true,
            more_fragments: false,
            fragment_offset: 0,
            options: Vec::new(),
        }
    }

    /// This header with TTL `ttl`.
    #[must_use]
    pub fn with_ttl(mut self, ttl: u8) -> Self {
        self.ttl = ttl;
        self
    }

    /// This header with identification `ident`.
    #[must_use]
    pub fn with_ident(mut self, ident: u16) -> Self {
        self.ident = ident;
        self
    }

    /// Header length in bytes (20 plus padded options).
    #[must_use]
    pub fn header_len(&self) -> usize {
        20 + self.options.len().min(40).div_ceil(4) * 4
    }

    /// Appends this header and `payload` (protocol `protocol`) to `out`.
    ///
    /// Lengths that do not fit the 16-bit total length field wrap; callers keep
    /// packets under 64 KiB.
    pub fn write(&self, protocol: u8, payload: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        let hlen = self.header_len();
        let total = (hlen + payload.len()) as u16;
        out.push(0x40 | (hlen / 4) as u8);
        out.push(self.tos);
        out.extend_from_slice(&total.to_be_bytes());
        out.extend_from_slice(&self.ident.to_be_bytes());
        let flags_frag = (u16::from(self.dont_fragment) << 14)
            | (u16::from(self.more_fragments) << 13)
            | ((self.fragment_offset / 8) & 0x1fff);
        out.extend_from_slice(&flags_frag.to_be_bytes());
        out.push(self.ttl);
        out.push(protocol);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.src.octets());
        out.extend_from_slice(&self.dst.octets());
        let opts = &self.options[..self.options.len().min(40)];
        out.extend_from_slice(opts);
        out.resize(start + hlen, 0);
        let sum = internet_checksum(&out[start..start + hlen]);
        out[start + 10..start + 12].copy_from_slice(&sum.to_be_bytes());
        out.extend_from_slice(payload);
    }

    /// Splits `payload` (already a complete upper-layer message, checksum
    /// included) into fragments carrying at most `max_fragment_payload` bytes
    /// each (rounded down to a multiple of 8, at least 8). Returns whole IPv4
    /// packets: the first has offset 0, all but the last have MF set, and DF is
    /// cleared on all of them.
    #[must_use]
    pub fn fragments(
        &self,
        protocol: u8,
        payload: &[u8],
        max_fragment_payload: usize,
    ) -> Vec<Vec<u8>> {
        let step = (max_fragment_payload / 8).max(1) * 8;
        let mut packets = Vec::new();
        let mut offset = 0;
        for chunk in payload.chunks(step) {
            let mut h = self.clone();
            h.dont_fragment = false;
            h.fragment_offset = (usize::from(self.fragment_offset) + offset) as u16;
            h.more_fragments = offset + chunk.len() < payload.len();
            let mut p = Vec::with_capacity(h.header_len() + chunk.len());
            h.write(protocol, chunk, &mut p);
            packets.push(p);
            offset += chunk.len();
        }
        packets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_bytes_hand_computed() {
        // A classic example header: 45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7
        let mut h = Ipv4::new(
            Ipv4Addr::new(192, 168, 0, 1),
            Ipv4Addr::new(192, 168, 0, 199),
        );
        h.ident = 0;
        let mut out = Vec::new();
        h.write(protocol::UDP, &[0; 0x73 - 20], &mut out);
        assert_eq!(
            &out[..20],
            [
                0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
                0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7
            ]
        );
    }

    #[test]
    fn fragments_offsets_and_flags() {
        let h = Ipv4::new(Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 0, 2, 2)).with_ident(7);
        let frags = h.fragments(protocol::UDP, &[0u8; 100], 40);
        assert_eq!(frags.len(), 3);
        let ff = |p: &Vec<u8>| u16::from_be_bytes([p[6], p[7]]);
        assert_eq!(ff(&frags[0]), 0x2000); // MF, offset 0
        assert_eq!(ff(&frags[1]), 0x2000 | 5); // MF, offset 40
        assert_eq!(ff(&frags[2]), 10); // last, offset 80
        assert_eq!(frags[2].len(), 20 + 20);
    }
}
