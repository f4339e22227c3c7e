//! IPv6 (RFC 8200), through etherparse's `Ipv6HeaderSlice` for the fixed header.
//!
//! Lengths: the IP payload is clamped to the payload length field, which drops Ethernet padding,
//! and to the captured bytes. A payload length of 0 with bytes after the header is a jumbogram
//! or a segmentation-offload capture; as tcpdump does, the captured bytes are used instead.
//! Extension headers are walked by [`crate::ipv6_ext`].

use arrayvec::ArrayVec;
use etherparse::err::ipv6::{HeaderError, HeaderSliceError};
use etherparse::Ipv6HeaderSlice;

use crate::bytes::{head, tail};
use crate::error::{DecodeError, Layer};
use crate::ip::{self, Datagram, Version};
use crate::ipv6_ext::{self, WalkEnd};
use crate::packet::{DecodedPacket, Ipv6Info, Net};
use crate::types::IpProtocol;

/// Length of the fixed IPv6 header.
const HEADER_LEN: usize = 40;

/// Decodes an IPv6 header, its extension headers and what they carry.
pub(crate) fn decode<'a>(pkt: &mut DecodedPacket<'a>, bytes: &'a [u8]) {
    let header = match Ipv6HeaderSlice::from_slice(bytes) {
        Ok(header) => header,
        Err(err) => {
            pkt.stop = Some(header_error(&err, bytes.len()));
            return;
        }
    };
    let next_header = IpProtocol(header.next_header().0);
    let mut info = Ipv6Info {
        src: header.source_addr(),
        dst: header.destination_addr(),
        traffic_class: header.traffic_class(),
        flow_label: header.flow_label().value(),
        payload_len: header.payload_length(),
        hop_limit: header.hop_limit(),
        next_header,
        protocol: next_header,
        extensions: ArrayVec::new(),
        fragment: None,
    };

    let after = tail(bytes, HEADER_LEN);
    let (payload, wire_len) = match usize::from(info.payload_len) {
        0 => (after, after.len()),
        len => (head(after, len), len),
    };
    let truncated = (payload.len() < wire_len).then_some(DecodeError::Truncated {
        layer: Layer::Ipv6,
        needed: HEADER_LEN + wire_len,
        available: bytes.len(),
    });
    pkt.payload = payload;
    pkt.payload_wire_len = wire_len;

    let walk = ipv6_ext::walk(&mut info, payload, wire_len);
    let protocol = info.protocol;
    // The walk only reaches the upper layer through fragment headers with offset 0.
    let datagram = if info.fragment.is_some_and(|f| f.more_fragments) {
        Datagram::FirstFragment
    } else {
        Datagram::Whole
    };
    pkt.net = Some(Net::Ipv6(info));
    pkt.payload = walk.rest;
    pkt.payload_wire_len = walk.wire_len;
    match walk.end {
        WalkEnd::Upper => {
            ip::transport(
                pkt,
                Version::V6,
                protocol,
                datagram,
                walk.rest,
                walk.wire_len,
            );
        }
        WalkEnd::NonFirstFragment => {}
        WalkEnd::Stopped(err) => {
            pkt.stop = Some(err);
            return;
        }
    }
    // A transport header that was cut or malformed says more than the IP truncation.
    if pkt.stop.is_none() {
        pkt.stop = truncated;
    }
}

fn header_error(err: &HeaderSliceError, available: usize) -> DecodeError {
    match err {
        HeaderSliceError::Len(len) => DecodeError::Truncated {
            layer: Layer::Ipv6,
            needed: len.required_len,
            available,
        },
        HeaderSliceError::Content(HeaderError::UnexpectedVersion { .. }) => {
            DecodeError::Malformed {
                layer: Layer::Ipv6,
                what: "IP version is not 6",
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::Transport;
    use crate::{decode, LinkType};

    /// Ethernet + IPv6 + UDP 53 -> 53 with payload "hi", then a 4-byte trailer (an FCS some
    /// drivers leave in the capture).
    static UDP6_BYTES: [u8; 68] = [
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x86, 0xdd, //
        0x60, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x11, 0x40, // payload length 10, UDP, 64
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, //
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, //
        0x00, 0x35, 0x00, 0x35, 0x00, 0x0a, 0x00, 0x00, // UDP length 10
        b'h', b'i', //
        0xde, 0xad, 0xbe, 0xef, // trailer
    ];

    #[test]
    fn trailer_is_not_payload() {
        let pkt = decode(LinkType::Ethernet, &UDP6_BYTES);
        assert!(matches!(pkt.transport, Some(Transport::Udp(_))));
        assert_eq!(pkt.payload, b"hi");
        assert_eq!(pkt.payload_wire_len, 2);
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn payload_cut_by_snaplen_is_an_ipv6_truncation() {
        let pkt = decode(LinkType::Ethernet, &UDP6_BYTES[..63]);
        assert!(matches!(pkt.transport, Some(Transport::Udp(_))));
        assert_eq!(pkt.payload, b"h");
        assert_eq!(pkt.payload_wire_len, 2);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Truncated {
                layer: Layer::Ipv6,
                needed: 50,
                available: 49
            })
        );
    }

    #[test]
    fn header_cut_by_snaplen() {
        let pkt = decode(LinkType::Ethernet, &UDP6_BYTES[..50]);
        assert_eq!(pkt.net, None);
        assert_eq!(pkt.payload, &UDP6_BYTES[14..50]);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Truncated {
                layer: Layer::Ipv6,
                needed: 40,
                available: 36
            })
        );
    }

    #[test]
    fn payload_length_zero_uses_the_captured_length() {
        let mut frame = UDP6_BYTES;
        frame[19] = 0;
        let pkt = decode(LinkType::Ethernet, &frame[..64]);
        let Some(Net::Ipv6(ip)) = &pkt.net else {
            panic!("not IPv6")
        };
        assert_eq!(ip.payload_len, 0);
        assert_eq!(pkt.payload, b"hi");
        assert_eq!(pkt.stop, None);
    }
}
