//! UDP (RFC 768), through etherparse's `UdpHeaderSlice` for the header.
//!
//! The payload is clamped to the UDP length field and to the IP payload. A length below 8, or
//! above what the IP header announces in a packet that is not a first fragment, is reported as
//! malformed; the header is still decoded and the payload is then what the IP layer holds after
//! the 8-byte header. In a first fragment the UDP length counts the whole datagram, so the
//! payload is this fragment's share: what the IP layer holds after the header.

use etherparse::UdpHeaderSlice;

use crate::bytes::{head, tail};
use crate::error::{DecodeError, Layer};
use crate::ip::{Datagram, Segment};
use crate::packet::{Transport, UdpInfo};

/// Length of the UDP header.
const HEADER_LEN: usize = 8;

/// Decodes a UDP header at the start of an IP payload (`wire_len` announced by the IP header).
pub(crate) fn decode(
    datagram: Datagram,
    bytes: &[u8],
    wire_len: usize,
) -> Result<Segment<'_>, DecodeError> {
    let header = UdpHeaderSlice::from_slice(bytes).map_err(|err| DecodeError::Truncated {
        layer: Layer::Udp,
        needed: err.required_len,
        available: bytes.len(),
    })?;
    let info = UdpInfo {
        src_port: header.source_port(),
        dst_port: header.destination_port(),
        length: header.length(),
        checksum: header.checksum(),
    };
    let after = tail(bytes, HEADER_LEN);
    let ip_wire_len = wire_len.saturating_sub(HEADER_LEN);
    let length = usize::from(info.length);
    let malformed = |what| DecodeError::Malformed {
        layer: Layer::Udp,
        what,
    };
    let (payload, wire_len, stop) = if length < HEADER_LEN {
        (after, ip_wire_len, Some(malformed("length below 8")))
    } else if length > wire_len {
        let stop = match datagram {
            Datagram::Whole => Some(malformed("length exceeds the IP payload")),
            Datagram::FirstFragment => None,
        };
        (after, ip_wire_len, stop)
    } else {
        let udp_wire_len = length - HEADER_LEN;
        (head(after, udp_wire_len), udp_wire_len, None)
    };
    Ok(Segment {
        transport: Transport::Udp(info),
        payload,
        wire_len,
        stop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::Net;
    use crate::{decode, LinkType};

    /// Raw IPv4 (total length 32) + UDP 1111 -> 2222 with length 10: two payload bytes, then two
    /// bytes inside the IP packet that are not part of the datagram.
    static UDP_BYTES: [u8; 32] = [
        0x45, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, // len 32, UDP
        10, 0, 0, 1, 10, 0, 0, 2, //
        0x04, 0x57, 0x08, 0xae, 0x00, 0x0a, 0xbe, 0xef, // 1111 -> 2222, length 10, checksum
        0x11, 0x22, 0x33, 0x44,
    ];

    #[test]
    fn udp_length_clamps_the_payload() {
        let pkt = decode(LinkType::Raw, &UDP_BYTES);
        assert!(matches!(pkt.net, Some(Net::Ipv4(_))));
        let Some(Transport::Udp(udp)) = pkt.transport else {
            panic!("not UDP")
        };
        assert_eq!(
            udp,
            UdpInfo {
                src_port: 1111,
                dst_port: 2222,
                length: 10,
                checksum: 0xbeef
            }
        );
        assert_eq!(pkt.payload, &[0x11, 0x22]);
        assert_eq!(pkt.payload_wire_len, 2);
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn udp_length_below_eight() {
        let mut packet = UDP_BYTES;
        packet[25] = 4;
        let pkt = decode(LinkType::Raw, &packet);
        assert!(matches!(
            pkt.transport,
            Some(Transport::Udp(UdpInfo { length: 4, .. }))
        ));
        assert_eq!(pkt.payload, &packet[28..]);
        assert_eq!(pkt.payload_wire_len, 4);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Malformed {
                layer: Layer::Udp,
                what: "length below 8"
            })
        );
    }

    #[test]
    fn udp_length_beyond_the_ip_payload() {
        let mut packet = UDP_BYTES;
        packet[25] = 13;
        let pkt = decode(LinkType::Raw, &packet);
        assert!(matches!(
            pkt.transport,
            Some(Transport::Udp(UdpInfo { length: 13, .. }))
        ));
        assert_eq!(pkt.payload, &packet[28..]);
        assert_eq!(pkt.payload_wire_len, 4);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Malformed {
                layer: Layer::Udp,
                what: "length exceeds the IP payload"
            })
        );
    }

    #[test]
    fn udp_header_cut() {
        let pkt = decode(LinkType::Raw, &UDP_BYTES[..24]);
        assert!(matches!(pkt.net, Some(Net::Ipv4(_))));
        assert_eq!(pkt.transport, None);
        assert_eq!(pkt.payload, &UDP_BYTES[20..24]);
        assert_eq!(pkt.payload_wire_len, 12);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Truncated {
                layer: Layer::Udp,
                needed: 8,
                available: 4
            })
        );
    }
}
