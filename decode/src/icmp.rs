//! ICMP (RFC 792) and ICMPv6 (RFC 4443): the 8-byte header both share.
//!
//! Read by hand rather than with etherparse's `Icmpv4Slice`, which rejects timestamp messages
//! whose length is not exactly 20 bytes; here any message of 8 bytes or more decodes, and the
//! type-specific body is the payload.

use crate::bytes::{array, be16, byte, tail};
use crate::error::{DecodeError, Layer};
use crate::ip::{Segment, Version};
use crate::packet::{IcmpInfo, Transport};

/// Length of the ICMP header: type, code, checksum and four type-specific bytes.
const HEADER_LEN: usize = 8;

/// Decodes an ICMP (over IPv4) or ICMPv6 (over IPv6) header at the start of an IP payload
/// (`wire_len` announced by the IP header).
pub(crate) fn decode(
    version: Version,
    bytes: &[u8],
    wire_len: usize,
) -> Result<Segment<'_>, DecodeError> {
    let layer = match version {
        Version::V4 => Layer::Icmpv4,
        Version::V6 => Layer::Icmpv6,
    };
    let (Some(icmp_type), Some(code), Some(checksum), Some(rest)) = (
        byte(bytes, 0),
        byte(bytes, 1),
        be16(bytes, 2),
        array::<4>(bytes, 4),
    ) else {
        return Err(DecodeError::Truncated {
            layer,
            needed: HEADER_LEN,
            available: bytes.len(),
        });
    };
    let info = IcmpInfo {
        icmp_type,
        code,
        checksum,
        rest,
    };
    let transport = match version {
        Version::V4 => Transport::Icmpv4(info),
        Version::V6 => Transport::Icmpv6(info),
    };
    Ok(Segment {
        transport,
        payload: tail(bytes, HEADER_LEN),
        wire_len: wire_len.saturating_sub(HEADER_LEN),
        stop: None,
    })
}

#[cfg(test)]
mod tests {
    use core::net::Ipv6Addr;

    use super::*;
    use crate::packet::Net;
    use crate::{decode, IpProtocol, LinkType};

    /// Raw IPv4 ICMP echo reply 8.8.8.8 -> 10.0.0.5, id 0x1234 seq 7, payload "abcd".
    static ECHO_REPLY_BYTES: [u8; 32] = [
        0x45, 0x00, 0x00, 0x20, 0x00, 0x2a, 0x00, 0x00, 0x40, 0x01, 0x60,
        0x9f, // len 32, ICMP
        8, 8, 8, 8, 10, 0, 0, 5, //
        0x00, 0x00, 0x28, 0xfe, 0x12, 0x34, 0x00, 0x07, // echo reply
        b'a', b'b', b'c', b'd',
    ];

    #[test]
    fn icmp_echo_reply() {
        let pkt = decode(LinkType::Raw, &ECHO_REPLY_BYTES);
        let Some(Net::Ipv4(ip)) = &pkt.net else {
            panic!("not IPv4")
        };
        assert!(ip.checksum_ok);
        let Some(Transport::Icmpv4(icmp)) = pkt.transport else {
            panic!("not ICMP")
        };
        assert_eq!((icmp.icmp_type, icmp.code, icmp.checksum), (0, 0, 0x28fe));
        assert_eq!(icmp.rest, [0x12, 0x34, 0x00, 0x07]);
        assert_eq!(icmp.echo_id_seq(), (0x1234, 7));
        assert_eq!(pkt.payload, b"abcd");
        assert_eq!(pkt.payload_wire_len, 4);
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn icmp_header_cut() {
        let mut packet = ECHO_REPLY_BYTES;
        packet[3] = 25; // the IP packet itself ends inside the ICMP header
        let pkt = decode(LinkType::Raw, &packet);
        assert_eq!(pkt.transport, None);
        assert_eq!(pkt.payload, &packet[20..25]);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Truncated {
                layer: Layer::Icmpv4,
                needed: 8,
                available: 5
            })
        );
    }

    /// Ethernet + IPv6 ICMPv6 echo request fe80::1 -> fe80::2, id 7 seq 1, payload "ping".
    static ECHO6_BYTES: [u8; 66] = [
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x86, 0xdd, //
        0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x3a, 0x40, // payload length 12, ICMPv6, 64
        0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, //
        0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, //
        0x80, 0x00, 0x1f, 0x2e, 0x00, 0x07, 0x00, 0x01, // echo request
        b'p', b'i', b'n', b'g',
    ];

    #[test]
    fn icmpv6_echo_request() {
        let pkt = decode(LinkType::Ethernet, &ECHO6_BYTES);
        let Some(Net::Ipv6(ip)) = &pkt.net else {
            panic!("not IPv6")
        };
        assert_eq!(ip.protocol, IpProtocol::ICMPV6);
        let Some(Transport::Icmpv6(icmp)) = pkt.transport else {
            panic!("not ICMPv6")
        };
        assert_eq!((icmp.icmp_type, icmp.code, icmp.checksum), (128, 0, 0x1f2e));
        assert_eq!(icmp.echo_id_seq(), (7, 1));
        assert_eq!(pkt.payload, b"ping");
        assert_eq!(pkt.payload_wire_len, 4);
        assert_eq!(pkt.stop, None);
    }

    /// Ethernet + IPv6 neighbor solicitation fe80::1 -> ff02::1:ff00:2 for target fe80::2, with
    /// a source link-layer address option 02:00:00:00:00:01.
    static NS_BYTES: [u8; 86] = [
        0x33, 0x33, 0xff, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x86, 0xdd, //
        0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, // payload length 32, ICMPv6, 255
        0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, //
        0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0x00, 0x00, 0x02, //
        0x87, 0x00, 0x5b, 0x6c, 0x00, 0x00, 0x00, 0x00, // neighbor solicitation, reserved
        0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, // target
        0x01, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // source link-layer address option
    ];

    #[test]
    fn icmpv6_neighbor_solicitation() {
        let pkt = decode(LinkType::Ethernet, &NS_BYTES);
        let Some(Net::Ipv6(ip)) = &pkt.net else {
            panic!("not IPv6")
        };
        assert_eq!(ip.hop_limit, 255);
        assert_eq!(ip.dst, Ipv6Addr::new(0xff02, 0, 0, 0, 0, 1, 0xff00, 2));
        let Some(Transport::Icmpv6(icmp)) = pkt.transport else {
            panic!("not ICMPv6")
        };
        assert_eq!((icmp.icmp_type, icmp.code, icmp.checksum), (135, 0, 0x5b6c));
        assert_eq!(icmp.rest, [0; 4]);
        assert_eq!(pkt.payload, &NS_BYTES[62..]);
        assert_eq!(pkt.payload_wire_len, 24);
        let target = <[u8; 16]>::try_from(&pkt.payload[..16]).unwrap();
        assert_eq!(
            Ipv6Addr::from(target),
            Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2)
        );
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn icmp_numbers_belong_to_their_ip_version() {
        // Protocol 58 over IPv4 and 1 over IPv6 are not decoded as ICMP.
        let mut packet = ECHO_REPLY_BYTES;
        packet[9] = 58;
        assert_eq!(decode(LinkType::Raw, &packet).transport, None);
        let mut frame = ECHO6_BYTES;
        frame[20] = 1;
        assert_eq!(decode(LinkType::Ethernet, &frame).transport, None);
    }
}
