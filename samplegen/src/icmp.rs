//! ICMP and ICMPv6 messages, including neighbor discovery bodies.

use std::net::{IpAddr, Ipv6Addr};

use crate::checksum::{internet_checksum, Checksum};
use crate::ipv4::protocol;
use crate::link::MacAddr;

/// The first eight bytes of an ICMP or ICMPv6 message; the checksum is
/// computed on write. The message body is passed separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Icmp {
    /// Type.
    pub icmp_type: u8,
    /// Code.
    pub code: u8,
    /// The four bytes after the checksum (identifier and sequence for echo,
    /// unused or next-hop MTU for errors, reserved/flags for ND).
    pub rest: [u8; 4],
}

fn id_seq(id: u16, seq: u16) -> [u8; 4] {
    let [a, b] = id.to_be_bytes();
    let [c, d] = seq.to_be_bytes();
    [a, b, c, d]
}

impl Icmp {
    /// ICMPv4 echo request (type 8).
    #[must_use]
    pub fn echo_request(id: u16, seq: u16) -> Self {
        Self {
            icmp_type: 8,
            code: 0,
            rest: id_seq(id, seq),
        }
    }

    /// ICMPv4 echo reply (type 0).
    #[must_use]
    pub fn echo_reply(id: u16, seq: u16) -> Self {
        Self {
            icmp_type: 0,
            code: 0,
            rest: id_seq(id, seq),
        }
    }

    /// ICMPv4 destination unreachable (type 3) with `code` (3 = port unreachable).
    /// The body should be the offending IP header plus at least 8 bytes.
    #[must_use]
    pub fn dest_unreachable(code: u8) -> Self {
        Self {
            icmp_type: 3,
            code,
            rest: [0; 4],
        }
    }

    /// ICMPv4 time exceeded in transit (type 11, code 0).
    #[must_use]
    pub fn time_exceeded() -> Self {
        Self {
            icmp_type: 11,
            code: 0,
            rest: [0; 4],
        }
    }

    /// ICMPv6 echo request (type 128).
    #[must_use]
    pub fn v6_echo_request(id: u16, seq: u16) -> Self {
        Self {
            icmp_type: 128,
            code: 0,
            rest: id_seq(id, seq),
        }
    }

    /// ICMPv6 echo reply (type 129).
    #[must_use]
    pub fn v6_echo_reply(id: u16, seq: u16) -> Self {
        Self {
            icmp_type: 129,
            code: 0,
            rest: id_seq(id, seq),
        }
    }

    /// ICMPv6 neighbor solicitation (type 135); body from [`nd_body`].
    #[must_use]
    pub fn neighbor_solicitation() -> Self {
        Self {
            icmp_type: 135,
            code: 0,
            rest: [0; 4],
        }
    }

    /// ICMPv6 neighbor advertisement (type 136) with the Solicited and
    /// Override flags; body from [`nd_body`].
    #[must_use]
    pub fn neighbor_advertisement() -> Self {
        Self {
            icmp_type: 136,
            code: 0,
            rest: [0x60, 0, 0, 0],
        }
    }

    /// Appends an ICMPv4 message (checksum over the message only) to `out`.
    pub fn write_v4(&self, body: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        self.write_header(body, out);
        let sum = internet_checksum(&out[start..]);
        out[start + 2..start + 4].copy_from_slice(&sum.to_be_bytes());
    }

    /// Appends an ICMPv6 message (checksum includes the pseudo-header with
    /// `src` and `dst`) to `out`.
    pub fn write_v6(&self, src: IpAddr, dst: IpAddr, body: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        self.write_header(body, out);
        let mut c = Checksum::pseudo_header(src, dst, protocol::ICMPV6, (out.len() - start) as u32);
        c.add(&out[start..]);
        let sum = c.finish();
        out[start + 2..start + 4].copy_from_slice(&sum.to_be_bytes());
    }

    fn write_header(&self, body: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(&[self.icmp_type, self.code, 0, 0]);
        out.extend_from_slice(&self.rest);
        out.extend_from_slice(body);
    }
}

/// The body of a neighbor solicitation or advertisement: the target address
/// and one link-layer address option (`option_type` 1 = source, 2 = target).
#[must_use]
pub fn nd_body(target: Ipv6Addr, option_type: u8, mac: MacAddr) -> Vec<u8> {
    let mut b = Vec::with_capacity(24);
    b.extend_from_slice(&target.octets());
    b.extend_from_slice(&[option_type, 1]);
    b.extend_from_slice(&mac);
    b
}

/// The solicited-node multicast address of `addr` (`ff02::1:ffXX:XXXX`).
#[must_use]
pub fn solicited_node(addr: Ipv6Addr) -> Ipv6Addr {
    let o = addr.octets();
    Ipv6Addr::new(
        0xff02,
        0,
        0,
        0,
        0,
        1,
        0xff00 | u16::from(o[13]),
        u16::from_be_bytes([o[14], o[15]]),
    )
}

/// The Ethernet multicast MAC of an IPv6 multicast address (`33:33:` + low 32 bits).
#[must_use]
pub fn ipv6_multicast_mac(addr: Ipv6Addr) -> MacAddr {
    let o = addr.octets();
    [0x33, 0x33, o[12], o[13], o[14], o[15]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_request_bytes() {
        let mut out = Vec::new();
        Icmp::echo_request(0x1234, 1).write_v4(b"ab", &mut out);
        // 08 00 cksum 12 34 00 01 61 62; words 0800+1234+0001+6162 sum to 7b97, so cksum = !7b97 = 8468
        assert_eq!(out, [8, 0, 0x84, 0x68, 0x12, 0x34, 0, 1, b'a', b'b']);
    }

    #[test]
    fn solicited_node_address() {
        let a: Ipv6Addr = "2001:db8::abcd:1234".parse().unwrap();
        assert_eq!(
            solicited_node(a),
            "ff02::1:ffcd:1234".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(
            ipv6_multicast_mac(solicited_node(a)),
            [0x33, 0x33, 0xff, 0xcd, 0x12, 0x34]
        );
    }
}
