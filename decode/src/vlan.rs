//! IEEE 802.1Q / 802.1ad VLAN tags (TPID 0x8100, 0x88a8, and the pre-standard 0x9100).
//!
//! A tag is the 2-byte TPID (the type field before it), a 2-byte TCI (PCP 3 bits, DEI 1 bit,
//! VID 12 bits) and the 2-byte type field of what follows. Up to [`MAX_VLANS`] stacked tags are
//! decoded; a further tag stops decoding as malformed.

use crate::bytes::{be16, tail};
use crate::decoder::Next;
use crate::error::{DecodeError, Layer};
use crate::ethernet;
use crate::packet::{DecodedPacket, Vlan, MAX_VLANS};
use crate::types::EtherType;

/// Bytes of a tag after its TPID: TCI and the inner type field.
const TAG_LEN: usize = 4;

const TOO_MANY: DecodeError = DecodeError::Malformed {
    layer: Layer::Vlan,
    what: "too many VLAN tags",
};

/// Decodes the tags starting with the one introduced by `tpid`, pushing them onto `pkt.vlans`.
///
/// Returns what follows the innermost tag, or `None` once `pkt.stop` is set.
pub(crate) fn decode<'a>(
    pkt: &mut DecodedPacket<'a>,
    tpid: EtherType,
    bytes: &'a [u8],
) -> Option<Next<'a>> {
    let mut tpid = tpid;
    let mut rest = bytes;
    // Each pass pushes a tag or returns, so the loop ends by itself before its bound.
    for _ in 0..=MAX_VLANS {
        if pkt.vlans.is_full() {
            pkt.stop = Some(TOO_MANY);
            return None;
        }
        let (Some(tci), Some(inner)) = (be16(rest, 0), be16(rest, 2)) else {
            pkt.stop = Some(DecodeError::Truncated {
                layer: Layer::Vlan,
                needed: TAG_LEN,
                available: rest.len(),
            });
            return None;
        };
        let inner = EtherType(inner);
        let tag = Vlan {
            tpid,
            pcp: u8::try_from(tci >> 13).unwrap_or(0),
            dei: tci & 0x1000 != 0,
            vid: tci & 0x0fff,
            ethertype: inner,
        };
        if pkt.vlans.try_push(tag).is_err() {
            pkt.stop = Some(TOO_MANY);
            return None;
        }
        let tag_payload = tail(rest, TAG_LEN);
        pkt.payload = tag_payload;
        pkt.payload_wire_len = tag_payload.len();
        if !inner.is_vlan() {
            return Some(ethernet::after_type_field(
                Layer::Vlan,
                TAG_LEN,
                inner,
                tag_payload,
            ));
        }
        tpid = inner;
        rest = tag_payload;
    }
    pkt.stop = Some(TOO_MANY);
    None
}

#[cfg(test)]
mod tests {
    use crate::error::{DecodeError, Layer};
    use crate::packet::{Link, Net, Vlan};
    use crate::types::{EtherType, IpProtocol, MacAddr};
    use crate::{decode, LinkType, Transport};

    /// 802.1Q VLAN 100, priority 5, carrying ARP who-has 10.0.0.2 tell 10.0.0.1.
    static DOT1Q_BYTES: [u8; 46] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // dst
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // src
        0x81, 0x00, // TPID 802.1Q
        0xa0, 0x64, // PCP 5, DEI 0, VID 100
        0x08, 0x06, // ARP
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, // htype 1, ptype IPv4, 6/4, request
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 10, 0, 0, 1, // sender
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 10, 0, 0, 2, // target
    ];

    #[test]
    fn dot1q_tag() {
        let pkt = decode(LinkType::Ethernet, &DOT1Q_BYTES);
        assert_eq!(
            pkt.link,
            Link::Ethernet {
                src: MacAddr([2, 0, 0, 0, 0, 1]),
                dst: MacAddr([0xff; 6]),
                ethertype: EtherType::VLAN,
            }
        );
        assert_eq!(
            pkt.vlans.as_slice(),
            &[Vlan {
                tpid: EtherType::VLAN,
                pcp: 5,
                dei: false,
                vid: 100,
                ethertype: EtherType::ARP
            }]
        );
        let Some(Net::Arp(arp)) = &pkt.net else {
            panic!("not ARP: {:?}", pkt.net)
        };
        assert_eq!(arp.operation, 1);
        assert_eq!(pkt.stop, None);
    }

    /// QinQ: 802.1ad S-tag VID 10 (DEI set), 802.1Q C-tag VID 4095, IPv4 + UDP 1234 -> 5678.
    static QINQ_BYTES: [u8; 52] = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // dst
        0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, // src
        0x88, 0xa8, 0x10, 0x0a, // S-tag: PCP 0, DEI 1, VID 10
        0x81, 0x00, 0x2f, 0xff, // C-tag: PCP 1, DEI 0, VID 4095
        0x08, 0x00, // IPv4
        0x45, 0x00, 0x00, 0x1e, 0x00, 0x07, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, // len 30, UDP
        192, 168, 1, 1, 192, 168, 1, 2, //
        0x04, 0xd2, 0x16, 0x2e, 0x00, 0x0a, 0x00, 0x00, // UDP length 10
        0xca, 0xfe, // payload
    ];

    #[test]
    fn qinq_tags_outermost_first() {
        let pkt = decode(LinkType::Ethernet, &QINQ_BYTES);
        assert_eq!(
            pkt.vlans.as_slice(),
            &[
                Vlan {
                    tpid: EtherType::QINQ,
                    pcp: 0,
                    dei: true,
                    vid: 10,
                    ethertype: EtherType::VLAN
                },
                Vlan {
                    tpid: EtherType::VLAN,
                    pcp: 1,
                    dei: false,
                    vid: 4095,
                    ethertype: EtherType::IPV4
                },
            ]
        );
        let Some(Net::Ipv4(ip)) = &pkt.net else {
            panic!("not IPv4")
        };
        assert_eq!(ip.protocol, IpProtocol::UDP);
        let Some(Transport::Udp(udp)) = pkt.transport else {
            panic!("not UDP")
        };
        assert_eq!((udp.src_port, udp.dst_port, udp.length), (1234, 5678, 10));
        assert_eq!(pkt.payload, &[0xca, 0xfe]);
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn fourth_tag_is_malformed() {
        let mut frame = [0u8; 14 + 4 * 4 + 4];
        frame[12..14].copy_from_slice(&[0x91, 0x00]);
        for (i, tpid) in [[0x88, 0xa8], [0x81, 0x00], [0x81, 0x00], [0x08, 0x00]]
            .iter()
            .enumerate()
        {
            let tag = 14 + 4 * i;
            frame[tag..tag + 2].copy_from_slice(&[0x00, 0x01 + i as u8]);
            frame[tag + 2..tag + 4].copy_from_slice(tpid);
        }
        // The third tag's inner type is 0x8100 again: a fourth tag.
        let pkt = decode(LinkType::Ethernet, &frame);
        assert_eq!(pkt.vlans.len(), 3);
        assert_eq!(pkt.vlans[2].vid, 3);
        assert_eq!(pkt.net, None);
        assert_eq!(pkt.payload, &frame[26..]);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Malformed {
                layer: Layer::Vlan,
                what: "too many VLAN tags"
            })
        );
    }

    #[test]
    fn cut_inside_a_tag() {
        let pkt = decode(LinkType::Ethernet, &QINQ_BYTES[..20]);
        assert_eq!(pkt.vlans.len(), 1);
        assert_eq!(pkt.net, None);
        assert_eq!(pkt.payload, &QINQ_BYTES[18..20]);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Truncated {
                layer: Layer::Vlan,
                needed: 4,
                available: 2
            })
        );
    }
}
