//! ARP and RARP (RFC 826), through etherparse's `ArpPacketSlice` for the length checks.
//!
//! Any hardware and protocol address sizes are accepted; the addresses are borrowed as they
//! are. ARP carries no payload: bytes after the message (Ethernet padding) are not payload.

use etherparse::ArpPacketSlice;

use crate::bytes::{be16, sub, tail};
use crate::error::{DecodeError, Layer};
use crate::packet::{ArpInfo, DecodedPacket, Net};
use crate::types::EtherType;

/// Byte offsets of the fixed ARP fields.
mod field {
    /// Hardware type.
    pub(super) const HW_TYPE: usize = 0;
    /// Protocol type.
    pub(super) const PROTO_TYPE: usize = 2;
    /// Operation.
    pub(super) const OPERATION: usize = 6;
    /// First address (sender hardware address).
    pub(super) const ADDRS: usize = 8;
}

/// Decodes an ARP message.
pub(crate) fn decode<'a>(pkt: &mut DecodedPacket<'a>, bytes: &'a [u8]) {
    let message = match ArpPacketSlice::from_slice(bytes) {
        Ok(message) => message.slice(),
        Err(err) => {
            pkt.stop = Some(DecodeError::Truncated {
                layer: Layer::Arp,
                needed: err.required_len,
                available: bytes.len(),
            });
            return;
        }
    };
    let hw_len = usize::from(message.get(4).copied().unwrap_or(0));
    let proto_len = usize::from(message.get(5).copied().unwrap_or(0));
    let sender_proto_at = field::ADDRS + hw_len;
    let target_hw_at = sender_proto_at + proto_len;
    let target_proto_at = target_hw_at + hw_len;
    pkt.net = Some(Net::Arp(ArpInfo {
        hw_type: be16(message, field::HW_TYPE).unwrap_or(0),
        proto_type: EtherType(be16(message, field::PROTO_TYPE).unwrap_or(0)),
        operation: be16(message, field::OPERATION).unwrap_or(0),
        sender_hw: sub(message, field::ADDRS, hw_len),
        sender_proto: sub(message, sender_proto_at, proto_len),
        target_hw: sub(message, target_hw_at, hw_len),
        target_proto: sub(message, target_proto_at, proto_len),
    }));
    pkt.payload = tail(message, message.len());
    pkt.payload_wire_len = 0;
}

#[cfg(test)]
mod tests {
    use core::net::Ipv4Addr;

    use super::*;
    use crate::{decode, LinkType};

    /// Ethernet ARP request: who-has 192.168.0.1 tell 192.168.0.23, padded to 60 bytes.
    static ARP_REQUEST_BYTES: [u8; 60] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x0c, 0x29, 0x3e, 0x5b, 0x6f, 0x08, 0x06, //
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, // Ethernet, IPv4, 6, 4, request
        0x00, 0x0c, 0x29, 0x3e, 0x5b, 0x6f, 192, 168, 0, 23, // sender
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 192, 168, 0, 1, // target
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // padding
    ];

    #[test]
    fn request() {
        let pkt = decode(LinkType::Ethernet, &ARP_REQUEST_BYTES);
        let Some(Net::Arp(arp)) = &pkt.net else {
            panic!("not ARP")
        };
        assert_eq!(arp.hw_type, 1);
        assert_eq!(arp.proto_type, EtherType::IPV4);
        assert_eq!(arp.operation, 1);
        assert_eq!(arp.sender_hw, &[0x00, 0x0c, 0x29, 0x3e, 0x5b, 0x6f]);
        assert_eq!(arp.sender_ipv4(), Some(Ipv4Addr::new(192, 168, 0, 23)));
        assert_eq!(arp.target_hw, &[0; 6]);
        assert_eq!(arp.target_ipv4(), Some(Ipv4Addr::new(192, 168, 0, 1)));
        assert_eq!(pkt.transport, None);
        assert!(pkt.payload.is_empty(), "padding is not payload");
        assert_eq!(pkt.payload_wire_len, 0);
        assert_eq!(pkt.stop, None);
    }

    /// ARP reply on Linux SLL: 192.168.0.1 is-at 00:50:56:c0:00:08, no padding.
    static ARP_REPLY_BYTES: [u8; 44] = [
        0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x50, 0x56, 0xc0, 0x00, 0x08, 0x00, 0x00, 0x08,
        0x06, // SLL: to us, Ethernet, 6-byte address, ARP
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, // reply
        0x00, 0x50, 0x56, 0xc0, 0x00, 0x08, 192, 168, 0, 1, // sender
        0x00, 0x0c, 0x29, 0x3e, 0x5b, 0x6f, 192, 168, 0, 23, // target
    ];

    #[test]
    fn reply() {
        let pkt = decode(LinkType::LinuxSll, &ARP_REPLY_BYTES);
        let Some(Net::Arp(arp)) = &pkt.net else {
            panic!("not ARP")
        };
        assert_eq!(arp.operation, 2);
        assert_eq!(arp.sender_hw, &[0x00, 0x50, 0x56, 0xc0, 0x00, 0x08]);
        assert_eq!(arp.sender_ipv4(), Some(Ipv4Addr::new(192, 168, 0, 1)));
        assert_eq!(arp.target_ipv4(), Some(Ipv4Addr::new(192, 168, 0, 23)));
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn cut_inside_the_addresses() {
        let pkt = decode(LinkType::Ethernet, &ARP_REQUEST_BYTES[..40]);
        assert_eq!(pkt.net, None);
        assert_eq!(pkt.payload, &ARP_REQUEST_BYTES[14..40]);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Truncated {
                layer: Layer::Arp,
                needed: 28,
                available: 26
            })
        );
    }

    #[test]
    fn odd_address_sizes_are_kept() {
        // Hardware addresses of 0 bytes and protocol addresses of 16 (an IPv6-sized ARP).
        let mut msg = [0u8; 8 + 32];
        msg[..8].copy_from_slice(&[0x00, 0x01, 0x86, 0xdd, 0, 16, 0x00, 0x01]);
        msg[8] = 0xaa;
        msg[24] = 0xbb;
        let mut frame = [0u8; 14 + 40];
        frame[12..14].copy_from_slice(&[0x08, 0x06]);
        frame[14..].copy_from_slice(&msg);
        let pkt = decode(LinkType::Ethernet, &frame);
        let Some(Net::Arp(arp)) = &pkt.net else {
            panic!("not ARP")
        };
        assert!(arp.sender_hw.is_empty());
        assert_eq!(arp.sender_proto, &msg[8..24]);
        assert_eq!(arp.target_proto, &msg[24..40]);
        assert_eq!(arp.sender_ipv4(), None);
    }
}
