//! UDP datagrams.

use std::net::IpAddr;

use crate::checksum::Checksum;
use crate::ipv4::protocol;

/// A UDP header description. Length and checksum are computed on write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Udp {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
}

impl Udp {
    /// A header with the given ports.
    #[must_use]
    pub const fn new(src_port: u16, dst_port: u16) -> Self {
        Self { src_port, dst_port }
    }

    /// Appends the datagram (header and `payload`) to `out`. `src` and `dst`
    /// are the pseudo-header addresses. A computed checksum of zero is sent as
    /// `0xffff` (RFC 768).
    pub fn write(&self, src: IpAddr, dst: IpAddr, payload: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        let len = (8 + payload.len()) as u16;
        out.extend_from_slice(&self.src_port.to_be_bytes());
        out.extend_from_slice(&self.dst_port.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(payload);
        let mut c = Checksum::pseudo_header(src, dst, protocol::UDP, u32::from(len));
        c.add(&out[start..]);
        let sum = match c.finish() {
            0 => 0xffff,
            s => s,
        };
        out[start + 6..start + 8].copy_from_slice(&sum.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    #[test]
    fn matches_etherparse_v6() {
        let src: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let dst: Ipv6Addr = "2001:db8::53".parse().unwrap();
        let mut ours = Vec::new();
        Udp::new(5353, 53).write(src.into(), dst.into(), b"abc", &mut ours);
        let h = etherparse::UdpHeader::with_ipv6_checksum(
            5353,
            53,
            &etherparse::Ipv6Header {
                source: src.octets(),
                destination: dst.octets(),
                ..Default::default()
            },
            b"abc",
        )
        .unwrap();
        let mut expected = h.to_bytes().to_vec();
        expected.extend_from_slice(b"abc");
        assert_eq!(ours, expected);
    }
}
