//! What IPv4 and IPv6 share: telling them apart on a raw-IP link, and handing the IP payload
//! to the transport decoders.

use crate::bytes::byte;
use crate::error::{DecodeError, Layer};
use crate::packet::{DecodedPacket, Transport};
use crate::types::IpProtocol;
use crate::{icmp, ipv4, ipv6, tcp, udp};

/// Decodes an IP packet of either version (`LINKTYPE_RAW`), by its version nibble.
pub(crate) fn decode<'a>(pkt: &mut DecodedPacket<'a>, bytes: &'a [u8]) {
    match byte(bytes, 0).map(|b| b >> 4) {
        Some(4) => ipv4::decode(pkt, bytes),
        Some(6) => ipv6::decode(pkt, bytes),
        Some(_) => {
            pkt.stop = Some(DecodeError::Malformed {
                layer: Layer::Ip,
                what: "IP version is neither 4 nor 6",
            });
        }
        None => {
            pkt.stop = Some(DecodeError::Truncated {
                layer: Layer::Ip,
                needed: 1,
                available: 0,
            });
        }
    }
}

/// The IP version a payload came from: ICMP is protocol 1 over IPv4 and 58 over IPv6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

/// Whether an IP payload is a whole datagram or the first fragment of one.
///
/// In a first fragment the transport header is whole but its length field (UDP) counts the
/// whole datagram, so it may exceed this packet's payload without being malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Datagram {
    /// Not fragmented.
    Whole,
    /// Offset 0 with more fragments to come.
    FirstFragment,
}

/// A decoded transport header and what follows it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segment<'a> {
    /// The transport header.
    pub(crate) transport: Transport<'a>,
    /// The transport payload, clamped to the lengths announced and to the captured bytes.
    pub(crate) payload: &'a [u8],
    /// The transport payload length the headers announce.
    pub(crate) wire_len: usize,
    /// A field that is wrong although the header decoded (e.g. a UDP length below 8).
    pub(crate) stop: Option<DecodeError>,
}

/// Decodes the transport header of an IP payload, if this crate knows `protocol`.
///
/// `bytes` is the IP payload as captured (already clamped to the IP length fields) and
/// `wire_len` is the payload length the IP header announces. Callers do not call this for
/// fragments with a non-zero offset: they carry no transport header. Unknown protocols leave the packet
/// as it is: no transport, the IP payload as payload.
pub(crate) fn transport<'a>(
    pkt: &mut DecodedPacket<'a>,
    version: Version,
    protocol: IpProtocol,
    datagram: Datagram,
    bytes: &'a [u8],
    wire_len: usize,
) {
    let segment = match (version, protocol) {
        (_, IpProtocol::TCP) => tcp::decode(bytes, wire_len),
        (_, IpProtocol::UDP) => udp::decode(datagram, bytes, wire_len),
        (Version::V4, IpProtocol::ICMP) => icmp::decode(version, bytes, wire_len),
        (Version::V6, IpProtocol::ICMPV6) => icmp::decode(version, bytes, wire_len),
        _ => return,
    };
    match segment {
        Ok(segment) => {
            pkt.transport = Some(segment.transport);
            pkt.payload = segment.payload;
            pkt.payload_wire_len = segment.wire_len;
            pkt.stop = segment.stop;
        }
        Err(err) => pkt.stop = Some(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{Link, Net};
    use crate::{decode, LinkType};

    /// Raw IPv4 carrying GRE (47), which this crate does not decode: 8 bytes of GRE header.
    static RAW_GRE_BYTES: [u8; 28] = [
        0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x2f, 0x00, 0x00, // len 28, GRE
        10, 0, 0, 1, 10, 0, 0, 2, //
        0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, // GRE, protocol IPv4
    ];

    #[test]
    fn raw_ipv4_unknown_protocol() {
        let pkt = decode(LinkType::Raw, &RAW_GRE_BYTES);
        assert_eq!(pkt.link, Link::Raw);
        let Some(Net::Ipv4(ip)) = &pkt.net else {
            panic!("not IPv4")
        };
        assert_eq!(ip.protocol, IpProtocol::GRE);
        assert_eq!(pkt.transport, None);
        assert_eq!(pkt.payload, &RAW_GRE_BYTES[20..]);
        assert_eq!(pkt.payload_wire_len, 8);
        assert_eq!(pkt.stop, None);
    }

    /// Raw IPv6 carrying SCTP (132): a 12-byte common header, no chunks.
    static RAW_SCTP6_BYTES: [u8; 52] = [
        0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x84,
        0x40, // payload length 12, SCTP, hop limit 64
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, // 2001:db8::1
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, // 2001:db8::2
        0x0b, 0x59, 0x0b, 0x59, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, // 2905 -> 2905
    ];

    #[test]
    fn raw_ipv6_unknown_protocol() {
        for link in [LinkType::Raw, LinkType::Ipv6] {
            let pkt = decode(link, &RAW_SCTP6_BYTES);
            assert_eq!(pkt.link, Link::Raw);
            let Some(Net::Ipv6(ip)) = &pkt.net else {
                panic!("not IPv6")
            };
            assert_eq!(
                ip.src,
                "2001:db8::1".parse::<core::net::Ipv6Addr>().unwrap()
            );
            assert_eq!(
                ip.dst,
                "2001:db8::2".parse::<core::net::Ipv6Addr>().unwrap()
            );
            assert_eq!(ip.next_header, IpProtocol::SCTP);
            assert_eq!(ip.protocol, IpProtocol::SCTP);
            assert!(ip.extensions.is_empty());
            assert_eq!(pkt.transport, None);
            assert_eq!(pkt.payload, &RAW_SCTP6_BYTES[40..]);
            assert_eq!(pkt.payload_wire_len, 12);
            assert_eq!(pkt.stop, None);
        }
    }

    #[test]
    fn raw_needs_a_known_version() {
        let pkt = decode(LinkType::Raw, &[]);
        assert_eq!(pkt.link, Link::Raw);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Truncated {
                layer: Layer::Ip,
                needed: 1,
                available: 0
            })
        );
        let pkt = decode(LinkType::Raw, &[0x55, 0, 0, 0]);
        assert_eq!(pkt.net, None);
        assert_eq!(pkt.stop.map(|e| e.layer()), Some(Layer::Ip));
        assert_eq!(pkt.payload, &[0x55, 0, 0, 0]);
    }

    #[test]
    fn version_mismatch_with_the_link_type() {
        // LINKTYPE_IPV4 with an IPv6 packet inside.
        let pkt = decode(LinkType::Ipv4, &RAW_SCTP6_BYTES);
        assert_eq!(pkt.net, None);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Malformed {
                layer: Layer::Ipv4,
                what: "IP version is not 4"
            })
        );
        // LINKTYPE_IPV6 with an IPv4 packet inside (longer than 40 bytes, so the version is read).
        let mut v4 = [0u8; 40];
        v4[..28].copy_from_slice(&RAW_GRE_BYTES);
        let pkt = decode(LinkType::Ipv6, &v4);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Malformed {
                layer: Layer::Ipv6,
                what: "IP version is not 6"
            })
        );
    }
}
