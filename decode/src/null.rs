//! BSD loopback headers: `LINKTYPE_NULL` and `LINKTYPE_LOOP`, a 4-byte address family.
//!
//! `NULL` stores the family in the byte order of the capturing machine, which the file does not
//! record. Families are small numbers, so if the first two bytes are zero the value is read as
//! big-endian, otherwise as little-endian (what tcpdump and Wireshark do). `LOOP` (OpenBSD) is
//! always big-endian.

use crate::bytes::{array, tail};
use crate::decoder::{Next, Proto};
use crate::error::{DecodeError, Layer};
use crate::packet::Link;

/// Header length: the address family.
const HEADER_LEN: usize = 4;

/// `AF_INET` on every BSD.
const AF_INET: u32 = 2;
/// `AF_INET6` on NetBSD/OpenBSD (24), FreeBSD/DragonFly (28) and macOS (30).
const AF_INET6: [u32; 3] = [24, 28, 30];

/// Decodes a `NULL` header (family in the capturing host's byte order).
pub(crate) fn decode_null(data: &[u8]) -> Result<(Link<'_>, Next<'_>), DecodeError> {
    let raw = family_bytes(data)?;
    let family = match raw {
        [0, 0, _, _] => u32::from_be_bytes(raw),
        _ => u32::from_le_bytes(raw),
    };
    Ok(decoded(family, data))
}

/// Decodes a `LOOP` header (family in network byte order).
pub(crate) fn decode_loop(data: &[u8]) -> Result<(Link<'_>, Next<'_>), DecodeError> {
    let family = u32::from_be_bytes(family_bytes(data)?);
    Ok(decoded(family, data))
}

fn family_bytes(data: &[u8]) -> Result<[u8; 4], DecodeError> {
    array::<HEADER_LEN>(data, 0).ok_or(DecodeError::Truncated {
        layer: Layer::Link,
        needed: HEADER_LEN,
        available: data.len(),
    })
}

fn decoded(family: u32, data: &[u8]) -> (Link<'_>, Next<'_>) {
    let proto = match family {
        AF_INET => Proto::Ipv4,
        f if AF_INET6.contains(&f) => Proto::Ipv6,
        _ => Proto::Opaque,
    };
    (
        Link::Null { family },
        Next::rest(proto, tail(data, HEADER_LEN)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::Net;
    use crate::{decode, LinkType, Transport};

    /// The IPv4 + UDP datagram 127.0.0.1:40000 -> 127.0.0.1:53 with payload "hi".
    const IPV4_UDP: [u8; 30] = [
        0x45, 0x00, 0x00, 0x1e, 0xab, 0xcd, 0x00, 0x00, 0x40, 0x11, 0xd0, 0xff, // len 30, UDP
        127, 0, 0, 1, 127, 0, 0, 1, //
        0x9c, 0x40, 0x00, 0x35, 0x00, 0x0a, 0x00, 0x00, // UDP length 10, no checksum
        b'h', b'i',
    ];

    fn with_header(header: [u8; 4]) -> [u8; 34] {
        let mut frame = [0u8; 34];
        frame[..4].copy_from_slice(&header);
        frame[4..].copy_from_slice(&IPV4_UDP);
        frame
    }

    #[test]
    fn null_little_endian() {
        let frame = with_header([2, 0, 0, 0]);
        let pkt = decode(LinkType::Null, &frame);
        assert_eq!(pkt.link, Link::Null { family: 2 });
        let Some(Net::Ipv4(ip)) = &pkt.net else {
            panic!("not IPv4")
        };
        assert!(ip.checksum_ok);
        let Some(Transport::Udp(udp)) = pkt.transport else {
            panic!("not UDP")
        };
        assert_eq!((udp.src_port, udp.dst_port), (40000, 53));
        assert_eq!(pkt.payload, b"hi");
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn null_big_endian() {
        let frame = with_header([0, 0, 0, 2]);
        let pkt = decode(LinkType::Null, &frame);
        assert_eq!(pkt.link, Link::Null { family: 2 });
        assert!(matches!(pkt.net, Some(Net::Ipv4(_))));
        assert_eq!(pkt.payload, b"hi");
    }

    #[test]
    fn null_ipv6_families() {
        for family in [24u32, 28, 30] {
            let mut frame = [0u8; 44];
            frame[..4].copy_from_slice(&family.to_le_bytes());
            frame[4] = 0x60;
            frame[10] = 59; // no next header
            let pkt = decode(LinkType::Null, &frame);
            assert_eq!(pkt.link, Link::Null { family });
            assert!(matches!(pkt.net, Some(Net::Ipv6(_))), "family {family}");
        }
    }

    #[test]
    fn loop_is_big_endian() {
        let frame = with_header([0, 0, 0, 2]);
        let pkt = decode(LinkType::Loop, &frame);
        assert_eq!(pkt.link, Link::Null { family: 2 });
        assert!(matches!(pkt.transport, Some(Transport::Udp(_))));
        // Little-endian 2 read as big-endian is 0x0200_0000, an unknown family.
        let frame = with_header([2, 0, 0, 0]);
        let pkt = decode(LinkType::Loop, &frame);
        assert_eq!(
            pkt.link,
            Link::Null {
                family: 0x0200_0000
            }
        );
        assert_eq!(pkt.net, None);
        assert_eq!(pkt.payload, &frame[4..]);
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn unknown_family_has_no_network_layer() {
        let frame = with_header([7, 0, 0, 0]); // AF_ISO
        let pkt = decode(LinkType::Null, &frame);
        assert_eq!(pkt.link, Link::Null { family: 7 });
        assert_eq!(pkt.net, None);
        assert_eq!(pkt.payload, &frame[4..]);
        assert_eq!(pkt.payload_wire_len, 30);
    }

    #[test]
    fn short_header() {
        let pkt = decode(LinkType::Null, &[2, 0, 0]);
        assert_eq!(
            pkt.link,
            Link::Truncated {
                linktype: LinkType::Null
            }
        );
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Truncated {
                layer: Layer::Link,
                needed: 4,
                available: 3
            })
        );
    }
}
