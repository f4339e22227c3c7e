//! Linux "cooked" capture headers: SLL v1 (`LINKTYPE_LINUX_SLL`, 16 bytes) and SLL v2
//! (`LINKTYPE_LINUX_SLL2`, 20 bytes), written by `tcpdump -i any`.
//!
//! The protocol field is an EtherType for most devices. For netlink devices (ARPHRD 824) it is a
//! netlink family, kept as [`Net::Other`](crate::Net::Other) without further decoding; Linux's
//! own small protocol numbers (below 0x0600, such as 0x0004 for 802.2 LLC) end up there too.

use crate::bytes::{be16, be32, byte, sub, tail};
use crate::decoder::{Next, Proto};
use crate::error::{DecodeError, Layer};
use crate::packet::Link;
use crate::types::EtherType;

/// `ARPHRD_NETLINK`: the protocol field is a netlink family, not an EtherType.
const ARPHRD_NETLINK: u16 = 824;

/// Room for the link-layer address in both header versions.
const ADDR_MAX: usize = 8;

/// Byte offsets of the SLL v1 header fields.
mod v1 {
    /// Packet type (to us, broadcast, multicast, to someone else, sent by us).
    pub(super) const PACKET_TYPE: usize = 0;
    /// ARPHRD_ device type.
    pub(super) const ARPHRD: usize = 2;
    /// Link-layer address length.
    pub(super) const ADDR_LEN: usize = 4;
    /// Link-layer address, 8 bytes of room.
    pub(super) const ADDR: usize = 6;
    /// Protocol.
    pub(super) const PROTOCOL: usize = 14;
    /// Header length.
    pub(super) const HEADER_LEN: usize = 16;
}

/// Byte offsets of the SLL v2 header fields.
mod v2 {
    /// Protocol.
    pub(super) const PROTOCOL: usize = 0;
    /// Interface index.
    pub(super) const IFINDEX: usize = 4;
    /// ARPHRD_ device type.
    pub(super) const ARPHRD: usize = 8;
    /// Packet type.
    pub(super) const PACKET_TYPE: usize = 10;
    /// Link-layer address length.
    pub(super) const ADDR_LEN: usize = 11;
    /// Link-layer address, 8 bytes of room.
    pub(super) const ADDR: usize = 12;
    /// Header length.
    pub(super) const HEADER_LEN: usize = 20;
}

/// Decodes an SLL v1 header.
pub(crate) fn decode_v1(data: &[u8]) -> Result<(Link<'_>, Next<'_>), DecodeError> {
    let (Some(packet_type), Some(arphrd), Some(addr_len), Some(protocol)) = (
        be16(data, v1::PACKET_TYPE),
        be16(data, v1::ARPHRD),
        be16(data, v1::ADDR_LEN),
        be16(data, v1::PROTOCOL),
    ) else {
        return Err(truncated(v1::HEADER_LEN, data));
    };
    let protocol = EtherType(protocol);
    let addr = sub(data, v1::ADDR, usize::from(addr_len).min(ADDR_MAX));
    let link = Link::LinuxSll {
        packet_type,
        arphrd,
        addr,
        protocol,
    };
    Ok((link, next(arphrd, protocol, tail(data, v1::HEADER_LEN))))
}

/// Decodes an SLL v2 header.
pub(crate) fn decode_v2(data: &[u8]) -> Result<(Link<'_>, Next<'_>), DecodeError> {
    if data.len() < v2::HEADER_LEN {
        return Err(truncated(v2::HEADER_LEN, data));
    }
    let (Some(protocol), Some(ifindex), Some(arphrd), Some(packet_type), Some(addr_len)) = (
        be16(data, v2::PROTOCOL),
        be32(data, v2::IFINDEX),
        be16(data, v2::ARPHRD),
        byte(data, v2::PACKET_TYPE),
        byte(data, v2::ADDR_LEN),
    ) else {
        return Err(truncated(v2::HEADER_LEN, data));
    };
    let protocol = EtherType(protocol);
    let addr = sub(data, v2::ADDR, usize::from(addr_len).min(ADDR_MAX));
    let link = Link::LinuxSll2 {
        protocol,
        ifindex,
        arphrd,
        packet_type,
        addr,
    };
    Ok((link, next(arphrd, protocol, tail(data, v2::HEADER_LEN))))
}

/// What follows the header, by device type and protocol.
fn next(arphrd: u16, protocol: EtherType, rest: &[u8]) -> Next<'_> {
    if arphrd == ARPHRD_NETLINK {
        Next::rest(Proto::Other(protocol), rest)
    } else {
        Next::rest(Proto::EtherType(protocol), rest)
    }
}

fn truncated(needed: usize, data: &[u8]) -> DecodeError {
    DecodeError::Truncated {
        layer: Layer::Link,
        needed,
        available: data.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::Net;
    use crate::{decode, IpProtocol, LinkType, Transport};

    /// SLL v1, sent by us (4) on an Ethernet device, IPv4 ICMP echo request 10.1.1.1 -> 10.1.1.2.
    static SLL_BYTES: [u8; 48] = [
        0x00, 0x04, // packet type: outgoing
        0x00, 0x01, // ARPHRD_ETHER
        0x00, 0x06, // address length 6
        0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x00, 0x00, // address + 2 bytes of room
        0x08, 0x00, // IPv4
        0x45, 0x00, 0x00, 0x20, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01, 0x12,
        0xa5, // len 32, DF, ICMP
        10, 1, 1, 1, 10, 1, 1, 2, //
        0x08, 0x00, 0x5a, 0x37, 0x00, 0x2a, 0x00, 0x01, // echo request id 42 seq 1
        0xde, 0xad, 0xbe, 0xef,
    ];

    #[test]
    fn sll_v1() {
        let pkt = decode(LinkType::LinuxSll, &SLL_BYTES);
        assert_eq!(
            pkt.link,
            Link::LinuxSll {
                packet_type: 4,
                arphrd: 1,
                addr: &[0x52, 0x54, 0x00, 0x12, 0x34, 0x56],
                protocol: EtherType::IPV4,
            }
        );
        let Some(Net::Ipv4(ip)) = &pkt.net else {
            panic!("not IPv4")
        };
        assert_eq!(ip.protocol, IpProtocol::ICMP);
        assert!(ip.checksum_ok);
        let Some(Transport::Icmpv4(icmp)) = pkt.transport else {
            panic!("not ICMP")
        };
        assert_eq!((icmp.icmp_type, icmp.code), (8, 0));
        assert_eq!(icmp.echo_id_seq(), (42, 1));
        assert_eq!(pkt.payload, &[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn sll_v1_address_longer_than_its_room_is_clamped() {
        let mut frame = SLL_BYTES;
        frame[5] = 20;
        let pkt = decode(LinkType::LinuxSll, &frame);
        let Link::LinuxSll { addr, .. } = pkt.link else {
            panic!("not SLL")
        };
        assert_eq!(addr, &frame[6..14]);
    }

    /// SLL v2 on ifindex 3, incoming unicast (0), IPv6 + UDP 5353 -> 5353, two payload bytes.
    static SLL2_BYTES: [u8; 70] = [
        0x86, 0xdd, // IPv6
        0x00, 0x00, // reserved
        0x00, 0x00, 0x00, 0x03, // ifindex 3
        0x00, 0x01, // ARPHRD_ETHER
        0x00, // packet type: to us
        0x06, // address length 6
        0x02, 0x42, 0xac, 0x11, 0x00, 0x02, 0x00, 0x00, // address + room
        0x60, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x11,
        0xff, // payload length 10, UDP, hop limit 255
        0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, // fe80::1
        0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb, // ff02::fb
        0x14, 0xe9, 0x14, 0xe9, 0x00, 0x0a, 0x00, 0x00, // UDP length 10
        0x12, 0x34,
    ];

    #[test]
    fn sll_v2() {
        let pkt = decode(LinkType::LinuxSll2, &SLL2_BYTES);
        assert_eq!(
            pkt.link,
            Link::LinuxSll2 {
                protocol: EtherType::IPV6,
                ifindex: 3,
                arphrd: 1,
                packet_type: 0,
                addr: &[0x02, 0x42, 0xac, 0x11, 0x00, 0x02],
            }
        );
        let Some(Net::Ipv6(ip)) = &pkt.net else {
            panic!("not IPv6")
        };
        assert_eq!(ip.hop_limit, 255);
        let Some(Transport::Udp(udp)) = pkt.transport else {
            panic!("not UDP")
        };
        assert_eq!((udp.src_port, udp.dst_port), (5353, 5353));
        assert_eq!(pkt.payload, &[0x12, 0x34]);
        assert_eq!(pkt.payload_wire_len, 2);
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn netlink_protocol_is_not_an_ethertype() {
        // SLL v2 on a netlink device (ARPHRD 824), protocol NETLINK_ROUTE (0): an RTM message.
        let mut frame = [0u8; 20 + 16];
        frame[8..10].copy_from_slice(&824u16.to_be_bytes());
        frame[20..24].copy_from_slice(&16u32.to_le_bytes());
        let pkt = decode(LinkType::LinuxSll2, &frame);
        assert_eq!(
            pkt.net,
            Some(Net::Other {
                ethertype: EtherType(0)
            })
        );
        assert_eq!(pkt.payload, &frame[20..]);
        assert_eq!(pkt.stop, None);
        // Even when the netlink family happens to equal an EtherType we decode.
        frame[0..2].copy_from_slice(&[0x08, 0x00]);
        let pkt = decode(LinkType::LinuxSll2, &frame);
        assert_eq!(
            pkt.net,
            Some(Net::Other {
                ethertype: EtherType::IPV4
            })
        );
    }

    #[test]
    fn short_headers_are_truncated() {
        let pkt = decode(LinkType::LinuxSll, &SLL_BYTES[..15]);
        assert_eq!(
            pkt.link,
            Link::Truncated {
                linktype: LinkType::LinuxSll
            }
        );
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Truncated {
                layer: Layer::Link,
                needed: 16,
                available: 15
            })
        );
        let pkt = decode(LinkType::LinuxSll2, &SLL2_BYTES[..19]);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Truncated {
                layer: Layer::Link,
                needed: 20,
                available: 19
            })
        );
    }
}
