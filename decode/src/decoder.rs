//! The decoder: picks the link-layer decoder, then hands each layer's payload to the next.
//!
//! Link layers and VLAN tags are decoded by hand (`ethernet`, `sll`, `null`, `vlan`). IPv4,
//! IPv6 and its extension headers, ARP, TCP and UDP use etherparse's header slices for the
//! length and field checks (`ipv4`, `ipv6`, `ipv6_ext`, `arp`, `tcp`, `udp`); ICMP is read by
//! hand (`icmp`). Each layer, once its header is fully decoded, replaces
//! [`DecodedPacket::payload`] with its own payload, so when decoding stops the payload is that of
//! the innermost layer that decoded.

use arrayvec::ArrayVec;

use crate::error::DecodeError;
use crate::linktype::LinkType;
use crate::packet::{DecodedPacket, Link, Net};
use crate::types::EtherType;
use crate::{arp, ethernet, ip, ipv4, ipv6, null, sll, vlan};

/// What a link header (or the last VLAN tag) says comes next.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Proto {
    /// An EtherType to dispatch on: VLAN tags, IPv4, IPv6, ARP/RARP; anything else is
    /// [`Net::Other`].
    EtherType(EtherType),
    /// A protocol number that is not an EtherType to dispatch on (SLL over netlink): kept as
    /// [`Net::Other`] without looking further.
    Other(EtherType),
    /// IPv4 or IPv6, told apart by the version nibble (`LINKTYPE_RAW`).
    Ip,
    /// IPv4 only.
    Ipv4,
    /// IPv6 only.
    Ipv6,
    /// Bytes this crate does not decode (802.3 LLC frames, unknown BSD address families,
    /// unknown link types): no network layer.
    Opaque,
}

/// The payload of a link header or VLAN tag and what it carries.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Next<'a> {
    /// What the bytes hold.
    pub(crate) proto: Proto,
    /// The bytes after the header, clamped to any length the header announces.
    pub(crate) bytes: &'a [u8],
    /// The length the header announces for them (`bytes.len()` when it announces none).
    pub(crate) wire_len: usize,
    /// Set when the header announced more bytes than were captured (802.3 length field).
    pub(crate) short: Option<DecodeError>,
}

impl<'a> Next<'a> {
    /// A payload whose length no header announces: everything that was captured.
    pub(crate) fn rest(proto: Proto, bytes: &'a [u8]) -> Self {
        Self {
            proto,
            bytes,
            wire_len: bytes.len(),
            short: None,
        }
    }
}

/// Decodes one frame captured with link type `link`.
///
/// Decoding is lax: a frame cut short by the snaplen, or with a field that makes the rest
/// undecodable, decodes as far as it goes, and [`DecodedPacket::stop`] says where and why it
/// stopped. Unknown link types, EtherTypes and IP protocols are kept as numbers and their bytes
/// become [`DecodedPacket::payload`]. Bad checksums are reported
/// ([`Ipv4Info::checksum_ok`](crate::Ipv4Info::checksum_ok)), never a reason to stop.
///
/// Never panics, never allocates, and every slice in the result borrows `data`.
///
/// # Examples
///
/// ```
/// use decode::{decode, DecodeError, Layer, LinkType, Net, Transport};
///
/// // Raw IPv4 + UDP 53 -> 53 with four payload bytes, captured in full.
/// let packet = [
///     0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0x00, 0x00, 10, 0, 0, 1, 10, 0, 0, 2, // IPv4
///     0, 53, 0, 53, 0, 12, 0, 0, // UDP, length 12
///     1, 2, 3, 4,
/// ];
/// let pkt = decode(LinkType::Raw, &packet);
/// assert!(matches!(pkt.net, Some(Net::Ipv4(_))));
/// assert!(matches!(pkt.transport, Some(Transport::Udp(_))));
/// assert_eq!(pkt.payload, &[1, 2, 3, 4]);
/// assert_eq!(pkt.stop, None);
///
/// // The same packet cut after the UDP header by a small snaplen.
/// let pkt = decode(LinkType::Raw, &packet[..28]);
/// assert!(pkt.payload.is_empty());
/// assert_eq!(pkt.payload_wire_len, 4);
/// assert_eq!(
///     pkt.stop,
///     Some(DecodeError::Truncated { layer: Layer::Ipv4, needed: 32, available: 28 })
/// );
/// ```
#[must_use]
pub fn decode(link: LinkType, data: &[u8]) -> DecodedPacket<'_> {
    let mut pkt = DecodedPacket {
        link: Link::Truncated { linktype: link },
        vlans: ArrayVec::new(),
        net: None,
        transport: None,
        payload: data,
        payload_wire_len: data.len(),
        stop: None,
    };
    let decoded = match link {
        LinkType::Ethernet => ethernet::decode(data),
        LinkType::LinuxSll => sll::decode_v1(data),
        LinkType::LinuxSll2 => sll::decode_v2(data),
        LinkType::Null => null::decode_null(data),
        LinkType::Loop => null::decode_loop(data),
        LinkType::Raw => Ok((Link::Raw, Next::rest(Proto::Ip, data))),
        LinkType::Ipv4 => Ok((Link::Raw, Next::rest(Proto::Ipv4, data))),
        LinkType::Ipv6 => Ok((Link::Raw, Next::rest(Proto::Ipv6, data))),
        LinkType::Unknown(linktype) => {
            Ok((Link::Unknown { linktype }, Next::rest(Proto::Opaque, data)))
        }
    };
    match decoded {
        Ok((link, next)) => {
            pkt.link = link;
            network(&mut pkt, next);
        }
        Err(err) => pkt.stop = Some(err),
    }
    pkt
}

/// Decodes what follows the link header: VLAN tags, then the network layer.
fn network<'a>(pkt: &mut DecodedPacket<'a>, next: Next<'a>) {
    accept(pkt, next);
    let next = match next.proto {
        Proto::EtherType(tpid) if tpid.is_vlan() => match vlan::decode(pkt, tpid, next.bytes) {
            Some(inner) => inner,
            None => return,
        },
        _ => next,
    };
    accept(pkt, next);
    match next.proto {
        Proto::EtherType(EtherType::IPV4) | Proto::Ipv4 => ipv4::decode(pkt, next.bytes),
        Proto::EtherType(EtherType::IPV6) | Proto::Ipv6 => ipv6::decode(pkt, next.bytes),
        Proto::EtherType(EtherType::ARP | EtherType::RARP) => arp::decode(pkt, next.bytes),
        Proto::EtherType(ethertype) | Proto::Other(ethertype) => {
            pkt.net = Some(Net::Other { ethertype });
        }
        Proto::Ip => ip::decode(pkt, next.bytes),
        Proto::Opaque => {}
    }
}

/// Makes `next` the packet's payload, as the payload of the innermost layer decoded so far.
fn accept<'a>(pkt: &mut DecodedPacket<'a>, next: Next<'a>) {
    pkt.payload = next.bytes;
    pkt.payload_wire_len = next.wire_len;
    pkt.stop = next.short;
}
