//! IPv4 (RFC 791), through etherparse's `Ipv4HeaderSlice` for the header checks.
//!
//! Lengths: the IP payload is clamped to the total length, which drops Ethernet padding, and to
//! the captured bytes. A total length of 0 is what Linux shows for TCP segmentation offload on
//! the sending host; as tcpdump does, the captured length is used instead. A total length
//! between 1 and the header length is malformed. Fragments with a non-zero offset carry no
//! transport header; a first fragment (offset 0, MF set) has its transport header decoded.
//! Authentication headers (protocol 51) are not walked over IPv4: the payload is the AH.

use etherparse::err::ipv4::{HeaderError, HeaderSliceError};
use etherparse::Ipv4HeaderSlice;

use crate::bytes::{byte, head, tail};
use crate::checksum;
use crate::error::{DecodeError, Layer};
use crate::ip::{self, Datagram, Version};
use crate::packet::{DecodedPacket, Ipv4Info, Net};
use crate::types::IpProtocol;

/// Decodes an IPv4 header and what it carries.
pub(crate) fn decode<'a>(pkt: &mut DecodedPacket<'a>, bytes: &'a [u8]) {
    let header = match Ipv4HeaderSlice::from_slice(bytes) {
        Ok(header) => header,
        Err(err) => {
            pkt.stop = Some(header_error(&err, bytes.len()));
            return;
        }
    };
    let raw = header.slice();
    let header_len = raw.len();
    let info = Ipv4Info {
        src: header.source_addr(),
        dst: header.destination_addr(),
        header_len: header.ihl() * 4,
        tos: byte(raw, 1).unwrap_or(0),
        total_len: header.total_len(),
        id: header.identification(),
        dont_fragment: header.dont_fragment(),
        more_fragments: header.more_fragments(),
        fragment_offset: header.fragments_offset().value(),
        ttl: header.ttl(),
        protocol: IpProtocol(header.protocol().0),
        checksum: header.header_checksum(),
        checksum_ok: checksum::verifies(raw),
        options: header.options(),
    };
    pkt.net = Some(Net::Ipv4(info));

    let announced = match usize::from(info.total_len) {
        0 => bytes.len(),
        total if total < header_len => {
            pkt.payload = tail(raw, header_len);
            pkt.payload_wire_len = 0;
            pkt.stop = Some(DecodeError::Malformed {
                layer: Layer::Ipv4,
                what: "total length smaller than header length",
            });
            return;
        }
        total => total,
    };
    let truncated = (bytes.len() < announced).then_some(DecodeError::Truncated {
        layer: Layer::Ipv4,
        needed: announced,
        available: bytes.len(),
    });
    let payload = tail(head(bytes, announced), header_len);
    let wire_len = announced.saturating_sub(header_len);
    pkt.payload = payload;
    pkt.payload_wire_len = wire_len;
    if info.fragment_offset == 0 {
        let datagram = if info.more_fragments {
            Datagram::FirstFragment
        } else {
            Datagram::Whole
        };
        ip::transport(pkt, Version::V4, info.protocol, datagram, payload, wire_len);
    }
    // A transport header that was cut or malformed says more than the IP truncation.
    if pkt.stop.is_none() {
        pkt.stop = truncated;
    }
}

fn header_error(err: &HeaderSliceError, available: usize) -> DecodeError {
    match err {
        HeaderSliceError::Len(len) => DecodeError::Truncated {
            layer: Layer::Ipv4,
            needed: len.required_len,
            available,
        },
        HeaderSliceError::Content(HeaderError::UnexpectedVersion { .. }) => {
            DecodeError::Malformed {
                layer: Layer::Ipv4,
                what: "IP version is not 4",
            }
        }
        HeaderSliceError::Content(HeaderError::HeaderLengthSmallerThanHeader { .. }) => {
            DecodeError::Malformed {
                layer: Layer::Ipv4,
                what: "header length (IHL) below 5",
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use core::net::Ipv4Addr;

    use super::*;
    use crate::packet::Transport;
    use crate::{decode, LinkType};

    /// Ethernet + IPv4 with a router-alert option (IHL 6, TOS 0xc0, TTL 1) carrying an IGMPv2
    /// report for 224.0.0.251, padded to the 60-byte Ethernet minimum.
    static IGMP_BYTES: [u8; 60] = [
        0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb, 0x3c, 0x22, 0xfb, 0x11, 0x22, 0x33, 0x08, 0x00, //
        0x46, 0xc0, 0x00, 0x20, 0x00, 0x00, 0x40, 0x00, 0x01, 0x02, 0x41,
        0x6a, // len 32, IGMP
        192, 168, 1, 10, 224, 0, 0, 251, //
        0x94, 0x04, 0x00, 0x00, // router alert
        0x16, 0x00, 0x09, 0x04, 224, 0, 0, 251, // IGMPv2 membership report
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // Ethernet padding
    ];

    #[test]
    fn options_and_padding() {
        let pkt = decode(LinkType::Ethernet, &IGMP_BYTES);
        let Some(Net::Ipv4(ip)) = &pkt.net else {
            panic!("not IPv4")
        };
        assert_eq!(ip.header_len, 24);
        assert_eq!(ip.tos, 0xc0);
        assert_eq!(ip.ttl, 1);
        assert_eq!(ip.src, Ipv4Addr::new(192, 168, 1, 10));
        assert_eq!(ip.dst, Ipv4Addr::new(224, 0, 0, 251));
        assert_eq!(ip.protocol, IpProtocol::IGMP);
        assert_eq!(ip.options, &[0x94, 0x04, 0x00, 0x00]);
        assert_eq!(ip.checksum, 0x416a);
        assert!(ip.checksum_ok);
        assert_eq!(pkt.transport, None);
        // IGMP is not decoded: the IP payload is the payload, without the 14 padding bytes.
        assert_eq!(pkt.payload, &IGMP_BYTES[38..46]);
        assert_eq!(pkt.payload_wire_len, 8);
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn bad_checksum_is_reported_not_dropped() {
        let mut frame = IGMP_BYTES;
        frame[25] = 0x6b;
        let pkt = decode(LinkType::Ethernet, &frame);
        let Some(Net::Ipv4(ip)) = &pkt.net else {
            panic!("not IPv4")
        };
        assert_eq!(ip.checksum, 0x416b);
        assert!(!ip.checksum_ok);
        assert_eq!(pkt.payload, &frame[38..46]);
        assert_eq!(pkt.stop, None);
    }

    /// Ethernet + IPv4 + TCP 10.0.0.1:1234 -> 10.0.0.2:80, PSH|ACK, "hello", one padding byte.
    static HELLO_BYTES: [u8; 60] = [
        0x00, 0x00, 0x5e, 0x00, 0x01, 0x01, 0x00, 0x00, 0x5e, 0x00, 0x01, 0x02, 0x08, 0x00, //
        0x45, 0x00, 0x00, 0x2d, 0x00, 0x10, 0x40, 0x00, 0x40, 0x06, 0x26, 0xb9, // len 45, TCP
        10, 0, 0, 1, 10, 0, 0, 2, //
        0x04, 0xd2, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x01, // ports, seq, ack
        0x50, 0x18, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, // doff 5, PSH|ACK, win 256
        b'h', b'e', b'l', b'l', b'o', //
        0x00, // Ethernet padding
    ];

    #[test]
    fn tcp_payload_without_padding() {
        let pkt = decode(LinkType::Ethernet, &HELLO_BYTES);
        assert!(matches!(pkt.transport, Some(Transport::Tcp(_))));
        assert_eq!(pkt.payload, b"hello");
        assert_eq!(pkt.payload_wire_len, 5);
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn payload_cut_by_snaplen_is_an_ipv4_truncation() {
        let pkt = decode(LinkType::Ethernet, &HELLO_BYTES[..56]);
        assert!(matches!(pkt.transport, Some(Transport::Tcp(_))));
        assert_eq!(pkt.payload, b"he");
        assert_eq!(pkt.payload_wire_len, 5);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Truncated {
                layer: Layer::Ipv4,
                needed: 45,
                available: 42
            })
        );
    }

    #[test]
    fn header_cut_by_snaplen() {
        let pkt = decode(LinkType::Ethernet, &HELLO_BYTES[..30]);
        assert!(matches!(pkt.link, crate::Link::Ethernet { .. }));
        assert_eq!(pkt.net, None);
        assert_eq!(pkt.payload, &HELLO_BYTES[14..30]);
        assert_eq!(pkt.payload_wire_len, 16);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Truncated {
                layer: Layer::Ipv4,
                needed: 20,
                available: 16
            })
        );
    }

    #[test]
    fn ihl_below_five_is_malformed() {
        let mut frame = HELLO_BYTES;
        frame[14] = 0x44;
        let pkt = decode(LinkType::Ethernet, &frame);
        assert_eq!(pkt.net, None);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Malformed {
                layer: Layer::Ipv4,
                what: "header length (IHL) below 5"
            })
        );
    }

    #[test]
    fn total_length_below_header_length_is_malformed() {
        let mut frame = HELLO_BYTES;
        frame[17] = 10;
        let pkt = decode(LinkType::Ethernet, &frame);
        assert!(matches!(
            pkt.net,
            Some(Net::Ipv4(Ipv4Info { total_len: 10, .. }))
        ));
        assert_eq!(pkt.transport, None);
        assert!(pkt.payload.is_empty());
        assert_eq!(pkt.payload_wire_len, 0);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Malformed {
                layer: Layer::Ipv4,
                what: "total length smaller than header length",
            })
        );
    }

    #[test]
    fn total_length_zero_uses_the_captured_length() {
        // What Linux captures for a TSO send: total length 0. The padding byte is then counted.
        let mut frame = HELLO_BYTES;
        frame[16] = 0;
        frame[17] = 0;
        let pkt = decode(LinkType::Ethernet, &frame[..59]);
        assert!(matches!(pkt.transport, Some(Transport::Tcp(_))));
        assert_eq!(pkt.payload, b"hello");
        assert_eq!(pkt.payload_wire_len, 5);
        assert_eq!(pkt.stop, None);
    }

    /// A UDP datagram of 36 bytes (1000 -> 2000) in two raw-IPv4 fragments, id 0xbeef: the
    /// first (MF, offset 0) holds the UDP header and 8 bytes, the second (offset 16) 20 bytes.
    static FRAG1_BYTES: [u8; 36] = [
        0x45, 0x00, 0x00, 0x24, 0xbe, 0xef, 0x20, 0x00, 0x40, 0x11, 0x87, 0xd7, // len 36, MF
        10, 0, 0, 1, 10, 0, 0, 2, //
        0x03, 0xe8, 0x07, 0xd0, 0x00, 0x24, 0x00, 0x00, // UDP length 36 (the whole datagram)
        1, 2, 3, 4, 5, 6, 7, 8,
    ];
    static FRAG2_BYTES: [u8; 40] = [
        0x45, 0x00, 0x00, 0x28, 0xbe, 0xef, 0x00, 0x02, 0x40, 0x11, 0xa7,
        0xd1, // len 40, offset 2
        10, 0, 0, 1, 10, 0, 0, 2, //
        9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
    ];

    #[test]
    fn first_fragment_decodes_the_transport_header() {
        let pkt = decode(LinkType::Raw, &FRAG1_BYTES);
        let Some(Net::Ipv4(ip)) = &pkt.net else {
            panic!("not IPv4")
        };
        assert!(ip.checksum_ok);
        assert!(ip.more_fragments && !ip.dont_fragment);
        assert_eq!((ip.id, ip.fragment_offset), (0xbeef, 0));
        assert!(ip.is_fragment());
        let Some(Transport::Udp(udp)) = pkt.transport else {
            panic!("not UDP")
        };
        assert_eq!((udp.src_port, udp.dst_port, udp.length), (1000, 2000, 36));
        // This fragment's share of the UDP payload; no error for the longer UDP length.
        assert_eq!(pkt.payload, &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(pkt.payload_wire_len, 8);
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn later_fragment_has_no_transport() {
        let pkt = decode(LinkType::Raw, &FRAG2_BYTES);
        let Some(Net::Ipv4(ip)) = &pkt.net else {
            panic!("not IPv4")
        };
        assert!(ip.checksum_ok);
        assert!(!ip.more_fragments);
        assert_eq!((ip.id, ip.fragment_offset), (0xbeef, 2));
        assert!(ip.is_fragment());
        assert_eq!(ip.protocol, IpProtocol::UDP);
        assert_eq!(pkt.transport, None);
        assert_eq!(pkt.payload, &FRAG2_BYTES[20..]);
        assert_eq!(pkt.payload_wire_len, 20);
        assert_eq!(pkt.stop, None);
    }
}
