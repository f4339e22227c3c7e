//! Ethernet II and IEEE 802.3 framing (`LINKTYPE_ETHERNET`).
//!
//! The frame check sequence is not captured by libpcap on most systems and is not expected here:
//! trailing bytes after what the network layer announces are ignored as padding.

use crate::bytes::{array, be16, head, tail};
use crate::decoder::{Next, Proto};
use crate::error::{DecodeError, Layer};
use crate::packet::Link;
use crate::types::{EtherType, MacAddr};

/// Byte offsets of the Ethernet header fields.
mod field {
    /// Destination MAC address.
    pub(super) const DST: usize = 0;
    /// Source MAC address.
    pub(super) const SRC: usize = 6;
    /// EtherType, or the 802.3 length.
    pub(super) const ETHERTYPE: usize = 12;
}

/// Length of the Ethernet header (without VLAN tags).
pub(crate) const HEADER_LEN: usize = 14;

/// Type field values below this are 802.3 lengths, not EtherTypes.
const MIN_ETHERTYPE: u16 = 0x0600;

/// Decodes the Ethernet header.
pub(crate) fn decode(data: &[u8]) -> Result<(Link<'_>, Next<'_>), DecodeError> {
    let (Some(dst), Some(src), Some(ethertype)) = (
        array::<6>(data, field::DST),
        array::<6>(data, field::SRC),
        be16(data, field::ETHERTYPE),
    ) else {
        return Err(DecodeError::Truncated {
            layer: Layer::Link,
            needed: HEADER_LEN,
            available: data.len(),
        });
    };
    let ethertype = EtherType(ethertype);
    let link = Link::Ethernet {
        src: MacAddr(src),
        dst: MacAddr(dst),
        ethertype,
    };
    Ok((
        link,
        after_type_field(Layer::Link, HEADER_LEN, ethertype, tail(data, HEADER_LEN)),
    ))
}

/// What follows a type field (the Ethernet one, or the inner one of a VLAN tag): an EtherType to
/// dispatch on, or for values below 0x0600 an 802.3 length whose LLC payload is not decoded.
///
/// `header_len` is the length of the header that holds the field, for the `Truncated` error.
pub(crate) fn after_type_field(
    layer: Layer,
    header_len: usize,
    ethertype: EtherType,
    rest: &[u8],
) -> Next<'_> {
    if ethertype.0 >= MIN_ETHERTYPE {
        return Next::rest(Proto::EtherType(ethertype), rest);
    }
    let len = usize::from(ethertype.0);
    let short = (rest.len() < len).then_some(DecodeError::Truncated {
        layer,
        needed: header_len + len,
        available: header_len + rest.len(),
    });
    Next {
        proto: Proto::Opaque,
        bytes: head(rest, len),
        wire_len: len,
        short,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode, LinkType, Net};

    /// An 802.3 frame (STP BPDU to 01:80:c2:00:00:00), length 38, padded to 60 bytes.
    static STP_BYTES: [u8; 60] = [
        0x01, 0x80, 0xc2, 0x00, 0x00, 0x00, // dst
        0x00, 0x1c, 0x0e, 0x87, 0x85, 0x04, // src
        0x00, 0x26, // length 38
        0x42, 0x42, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x64, 0x00, 0x1c, 0x0e, 0x87, 0x78,
        0x00, 0x00, 0x00, 0x00, 0x04, 0x80, 0x64, 0x00, 0x1c, 0x0e, 0x87, 0x85, 0x00, 0x80, 0x04,
        0x01, 0x00, 0x14, 0x00, 0x02, 0x00, 0x0f, 0x00, // 38 bytes of LLC + BPDU end here
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // padding
    ];

    #[test]
    fn ieee_802_3_length_is_not_an_ethertype() {
        let pkt = decode(LinkType::Ethernet, &STP_BYTES);
        assert_eq!(
            pkt.link,
            Link::Ethernet {
                src: MacAddr([0x00, 0x1c, 0x0e, 0x87, 0x85, 0x04]),
                dst: MacAddr([0x01, 0x80, 0xc2, 0x00, 0x00, 0x00]),
                ethertype: EtherType(0x0026),
            }
        );
        assert_eq!(pkt.net, None);
        assert_eq!(pkt.payload, &STP_BYTES[14..52]);
        assert_eq!(pkt.payload_wire_len, 38);
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn ieee_802_3_cut_inside_the_announced_length() {
        let pkt = decode(LinkType::Ethernet, &STP_BYTES[..40]);
        assert_eq!(pkt.payload, &STP_BYTES[14..40]);
        assert_eq!(pkt.payload_wire_len, 38);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Truncated {
                layer: Layer::Link,
                needed: 52,
                available: 40
            })
        );
    }

    /// An LLDP frame: an EtherType (0x88cc) this crate does not decode.
    static LLDP_BYTES: [u8; 20] = [
        0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x88, 0xcc, 0x02,
        0x07, 0x04, 0x00, 0x11, 0x22,
    ];

    #[test]
    fn unknown_ethertype_is_kept() {
        let pkt = decode(LinkType::Ethernet, &LLDP_BYTES);
        assert_eq!(
            pkt.net,
            Some(Net::Other {
                ethertype: EtherType(0x88cc)
            })
        );
        assert_eq!(pkt.transport, None);
        assert_eq!(pkt.payload, &LLDP_BYTES[14..]);
        assert_eq!(pkt.payload_wire_len, 6);
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn short_header_is_truncated_link() {
        let pkt = decode(LinkType::Ethernet, &LLDP_BYTES[..13]);
        assert_eq!(
            pkt.link,
            Link::Truncated {
                linktype: LinkType::Ethernet
            }
        );
        assert_eq!(pkt.net, None);
        assert_eq!(pkt.payload, &LLDP_BYTES[..13]);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Truncated {
                layer: Layer::Link,
                needed: 14,
                available: 13
            })
        );
    }
}
