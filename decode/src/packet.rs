//! The decoded view of one packet: plain, borrowed, allocation-free data.
//!
//! These types are the contract between `decode` and its users (`cli`, `flow`, `detect`).
//! Every slice borrows the capture buffer; nothing here owns heap memory.

use core::net::{Ipv4Addr, Ipv6Addr};

use arrayvec::ArrayVec;

use crate::error::{DecodeError, Layer};
use crate::linktype::LinkType;
use crate::tcp::{TcpFlags, TcpOptionIter};
use crate::types::{EtherType, IpProtocol, MacAddr};

/// Most VLAN tags kept per packet (802.1Q, QinQ and one more).
pub const MAX_VLANS: usize = 3;
/// Most IPv6 extension headers listed per packet.
pub const MAX_IPV6_EXTS: usize = 8;

/// One decoded packet. Built by [`crate::decode`]; borrows the capture buffer.
///
/// # How far a packet decodes
///
/// Layers are decoded outermost first. A layer's field is filled in only when its whole header
/// was there and made sense; everything decoded before a stop is kept (a frame cut inside the
/// TCP header still has `link`, `vlans` and `net`). A header that is cut or malformed leaves its
/// field `None` (for the link layer: [`Link::Truncated`]) and sets [`stop`](Self::stop).
///
/// # Invariants
///
/// For every input, valid or not:
///
/// - every slice (payload, addresses, options) lies inside the input, empty ones included;
/// - `payload.len() <= payload_wire_len`;
/// - if `stop` is `None`, then `payload.len() == payload_wire_len`: a payload shorter than its
///   headers announce always comes with a `stop`;
/// - `transport` is only `Some` when `net` is IPv4 or IPv6.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedPacket<'a> {
    /// The link-layer header.
    pub link: Link<'a>,
    /// VLAN tags, outermost first.
    pub vlans: ArrayVec<Vlan, MAX_VLANS>,
    /// The network layer, if the link layer carried one this crate could start decoding and its
    /// header was whole. `None` for unknown link types, 802.3 (length-field) frames, unknown BSD
    /// loopback families, and network headers that were cut or malformed.
    pub net: Option<Net<'a>>,
    /// The transport layer (TCP, UDP, ICMP over IPv4, ICMPv6 over IPv6), if its header was whole
    /// and the packet is not a fragment with a non-zero offset. First fragments (offset 0, more
    /// fragments set) do have their transport header decoded.
    pub transport: Option<Transport<'a>>,
    /// The payload of the innermost layer that decoded: the transport payload; else the IP
    /// payload (after IPv6 extension headers) for unknown protocols, non-first fragments and
    /// transport headers that were cut or malformed; else what follows the link header or the
    /// last VLAN tag (unknown EtherTypes, cut IP headers); else the whole frame (unknown link
    /// types, cut link headers).
    ///
    /// It is clamped to the lengths the headers announce, so Ethernet padding and trailers are
    /// never payload, and to the captured bytes. ARP has no payload (empty). For a first
    /// fragment, it is this fragment's share of the transport payload.
    pub payload: &'a [u8],
    /// The length the headers announce for [`payload`](Self::payload), computed with saturating
    /// arithmetic: what tcpdump prints as `length N`, even when the snaplen cut the packet.
    ///
    /// TCP over IPv4: total length minus the IP and TCP header lengths. UDP: the UDP length
    /// minus 8 (for a first fragment, or a UDP length that exceeds the IP payload: the IP payload
    /// minus 8). ICMP: the IP payload minus 8. IPv6: the payload length minus the extension
    /// headers and the transport header. An IPv4 total length of 0 (TSO on the sending host) or
    /// an IPv6 payload length of 0 (jumbogram, TSO) announces nothing, so the captured length is
    /// used instead, as tcpdump does. 802.3 frames: the length field. Where no header announces
    /// a length (unknown EtherTypes and link types, NULL families), `payload.len()`.
    pub payload_wire_len: usize,
    /// Where and why decoding stopped early, if it did; `None` means the packet decoded as far
    /// as this crate goes and all the bytes its headers announce were captured.
    ///
    /// - `Truncated { layer, needed, available }` when the captured bytes (or the length an outer
    ///   header allows) end inside `layer`'s header. `needed` and `available` count bytes from
    ///   the start of that header: e.g. a TCP header with data offset 10 of which 26 bytes were
    ///   captured is `Truncated { layer: Tcp, needed: 40, available: 26 }`. When `needed` is not
    ///   known yet (the length field itself is missing) it is the minimum header length.
    /// - **Payload cut by the snaplen:** when every header decoded but the captured bytes end
    ///   before the IP packet does, `stop` is `Truncated` at the IP layer
    ///   ([`Layer::Ipv4`] or [`Layer::Ipv6`]) with `needed` = the total IP length announced
    ///   (IPv4 total length, or 40 + IPv6 payload length) and `available` = the IP bytes
    ///   captured, while `transport` is still `Some`. Callers can print tcpdump's `[|proto]`
    ///   from it. The same holds for 802.3 frames at [`Layer::Link`] (or [`Layer::Vlan`] when
    ///   tagged), measured from the Ethernet header (or the tag).
    /// - A cut or malformed inner header wins over the IP truncation: a frame cut inside the TCP
    ///   header stops at [`Layer::Tcp`], not at the IP layer.
    /// - `Malformed { layer, what }` for fields that make the rest undecodable: IPv4 IHL below 5,
    ///   an IP version that does not match the EtherType or link type, an IPv4 total length
    ///   between 1 and the header length, TCP data offset below 5, more than [`MAX_VLANS`] VLAN
    ///   tags or [`MAX_IPV6_EXTS`] extension headers, an AH with length 0. A UDP length below 8
    ///   or beyond the IP payload is also `Malformed`, but the UDP header is still decoded.
    ///
    /// Bad checksums never set `stop`.
    pub stop: Option<DecodeError>,
}

impl DecodedPacket<'_> {
    /// The layer decoding stopped at, if it stopped early.
    #[must_use]
    pub fn stopped_at(&self) -> Option<Layer> {
        self.stop.map(|e| e.layer())
    }

    /// Source and destination IP addresses of the (outer) network layer, if IP.
    #[must_use]
    pub fn ip_addrs(&self) -> Option<(core::net::IpAddr, core::net::IpAddr)> {
        match &self.net {
            Some(Net::Ipv4(ip)) => Some((ip.src.into(), ip.dst.into())),
            Some(Net::Ipv6(ip)) => Some((ip.src.into(), ip.dst.into())),
            _ => None,
        }
    }

    /// Source and destination ports for TCP and UDP.
    #[must_use]
    pub fn ports(&self) -> Option<(u16, u16)> {
        match &self.transport {
            Some(Transport::Tcp(t)) => Some((t.src_port, t.dst_port)),
            Some(Transport::Udp(u)) => Some((u.src_port, u.dst_port)),
            _ => None,
        }
    }
}

/// The link-layer header of a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Link<'a> {
    /// Ethernet II. `ethertype` is the outer type (e.g. 0x8100 when VLAN-tagged).
    Ethernet {
        /// Source MAC address.
        src: MacAddr,
        /// Destination MAC address.
        dst: MacAddr,
        /// The EtherType field right after the addresses.
        ethertype: EtherType,
    },
    /// Linux cooked capture v1 (16-byte header).
    LinuxSll {
        /// Packet type: 0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us.
        packet_type: u16,
        /// ARPHRD_ type of the device.
        arphrd: u16,
        /// Link-layer address of the sender (up to 8 bytes).
        addr: &'a [u8],
        /// The protocol field (an EtherType for most devices).
        protocol: EtherType,
    },
    /// Linux cooked capture v2 (20-byte header).
    LinuxSll2 {
        /// The protocol field (an EtherType for most devices).
        protocol: EtherType,
        /// Interface index the packet was seen on.
        ifindex: u32,
        /// ARPHRD_ type of the device.
        arphrd: u16,
        /// Packet type, as in SLL v1.
        packet_type: u8,
        /// Link-layer address of the sender (up to 8 bytes).
        addr: &'a [u8],
    },
    /// BSD loopback (`NULL` or `LOOP`): an address family number, already in host order
    /// (for `NULL` the byte order is guessed: big-endian if the first two bytes are zero).
    Null {
        /// The address family (2 = IPv4; 24, 28 or 30 = IPv6 depending on the OS).
        family: u32,
    },
    /// Raw IP: no link header.
    Raw,
    /// A link type this crate does not decode; the whole frame is `payload`.
    Unknown {
        /// The `LINKTYPE_*` number.
        linktype: u32,
    },
    /// A supported link type whose header was cut short (or malformed): nothing of it is
    /// decoded, [`DecodedPacket::stop`] says why, and the whole frame is `payload`.
    Truncated {
        /// The link type the frame was captured with.
        linktype: LinkType,
    },
}

/// One 802.1Q / 802.1ad VLAN tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vlan {
    /// The tag protocol identifier that introduced this tag (0x8100, 0x88a8 or 0x9100).
    pub tpid: EtherType,
    /// Priority code point (3 bits).
    pub pcp: u8,
    /// Drop eligible indicator.
    pub dei: bool,
    /// VLAN identifier (12 bits).
    pub vid: u16,
    /// The EtherType that follows this tag.
    pub ethertype: EtherType,
}

/// The network layer of a packet.
///
/// Not `Copy`: [`Ipv6Info`] holds an `ArrayVec` of extension headers. Match on `&pkt.net`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Net<'a> {
    /// IPv4.
    Ipv4(Ipv4Info<'a>),
    /// IPv6.
    Ipv6(Ipv6Info),
    /// ARP (or RARP).
    Arp(ArpInfo<'a>),
    /// An EtherType this crate does not decode, kept as a number.
    Other {
        /// The EtherType.
        ethertype: EtherType,
    },
}

/// Decoded IPv4 header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Info<'a> {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Header length in bytes (IHL * 4).
    pub header_len: u8,
    /// Type of service / DSCP+ECN byte.
    pub tos: u8,
    /// Total length field.
    pub total_len: u16,
    /// Identification field.
    pub id: u16,
    /// Don't-fragment flag.
    pub dont_fragment: bool,
    /// More-fragments flag.
    pub more_fragments: bool,
    /// Fragment offset in 8-byte units.
    pub fragment_offset: u16,
    /// Time to live.
    pub ttl: u8,
    /// The protocol field. An authentication header (51) is not walked over IPv4: the protocol
    /// stays 51 and the AH is the payload.
    pub protocol: IpProtocol,
    /// Header checksum as sent.
    pub checksum: u16,
    /// Whether the header checksum verifies (NIC offload often makes it wrong on the sender).
    pub checksum_ok: bool,
    /// Raw option bytes (empty when IHL is 5).
    pub options: &'a [u8],
}

impl Ipv4Info<'_> {
    /// Whether this packet is a fragment (MF set or a non-zero offset).
    #[must_use]
    pub fn is_fragment(&self) -> bool {
        self.more_fragments || self.fragment_offset != 0
    }
}

/// Decoded IPv6 header fields.
///
/// Not `Copy` because `extensions` is an `ArrayVec`; clone it if you need an owned copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ipv6Info {
    /// Source address.
    pub src: Ipv6Addr,
    /// Destination address.
    pub dst: Ipv6Addr,
    /// Traffic class.
    pub traffic_class: u8,
    /// Flow label (20 bits).
    pub flow_label: u32,
    /// Payload length field.
    pub payload_len: u16,
    /// Hop limit.
    pub hop_limit: u8,
    /// The next-header value in the fixed header.
    pub next_header: IpProtocol,
    /// The protocol after all extension headers (the upper-layer protocol, e.g. 6, 17, 58, or
    /// 50 ESP, 59 no next header). For a non-first fragment, the fragment header's next header.
    /// When the walk stopped at a cut or malformed extension header, that header's number.
    pub protocol: IpProtocol,
    /// Extension headers in order, by number: 0 hop-by-hop, 43 routing, 44 fragment,
    /// 60 destination options, 51 AH, 135 mobility, 139 HIP, 140 shim6, 253/254 experimental.
    /// Only headers decoded in full are listed.
    pub extensions: ArrayVec<IpProtocol, MAX_IPV6_EXTS>,
    /// The first fragment header, if present.
    pub fragment: Option<Ipv6Fragment>,
}

impl Ipv6Info {
    /// Whether this packet is a fragment (a fragment header with MF set or a non-zero offset).
    #[must_use]
    pub fn is_fragment(&self) -> bool {
        self.fragment
            .is_some_and(|f| f.more_fragments || f.offset != 0)
    }
}

/// An IPv6 fragment extension header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Fragment {
    /// Fragment offset in 8-byte units.
    pub offset: u16,
    /// More-fragments flag.
    pub more_fragments: bool,
    /// Identification.
    pub id: u32,
}

/// A decoded ARP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpInfo<'a> {
    /// Hardware type (1 = Ethernet).
    pub hw_type: u16,
    /// Protocol type (0x0800 = IPv4).
    pub proto_type: EtherType,
    /// Operation: 1 request, 2 reply, 3/4 RARP.
    pub operation: u16,
    /// Sender hardware address.
    pub sender_hw: &'a [u8],
    /// Sender protocol address.
    pub sender_proto: &'a [u8],
    /// Target hardware address.
    pub target_hw: &'a [u8],
    /// Target protocol address.
    pub target_proto: &'a [u8],
}

impl ArpInfo<'_> {
    /// The sender protocol address as IPv4, when it is one.
    #[must_use]
    pub fn sender_ipv4(&self) -> Option<Ipv4Addr> {
        <[u8; 4]>::try_from(self.sender_proto)
            .ok()
            .map(Ipv4Addr::from)
    }

    /// The target protocol address as IPv4, when it is one.
    #[must_use]
    pub fn target_ipv4(&self) -> Option<Ipv4Addr> {
        <[u8; 4]>::try_from(self.target_proto)
            .ok()
            .map(Ipv4Addr::from)
    }
}

/// The transport layer of a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport<'a> {
    /// TCP.
    Tcp(TcpInfo<'a>),
    /// UDP.
    Udp(UdpInfo),
    /// ICMP for IPv4.
    Icmpv4(IcmpInfo),
    /// ICMPv6.
    Icmpv6(IcmpInfo),
}

/// Decoded TCP header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpInfo<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Header length in bytes (data offset * 4).
    pub header_len: u8,
    /// Flags (FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, NS).
    pub flags: TcpFlags,
    /// Window size (unscaled).
    pub window: u16,
    /// Checksum as sent.
    pub checksum: u16,
    /// Urgent pointer.
    pub urgent: u16,
    /// Raw option bytes.
    pub options: &'a [u8],
}

impl<'a> TcpInfo<'a> {
    /// Iterates over the TCP options. Malformed options end the iteration with an error item.
    #[must_use]
    pub fn options(&self) -> TcpOptionIter<'a> {
        TcpOptionIter::new(self.options)
    }
}

/// Decoded UDP header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpInfo {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Length field (header + payload).
    pub length: u16,
    /// Checksum as sent (0 = none, IPv4 only).
    pub checksum: u16,
}

/// Decoded ICMP / ICMPv6 header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpInfo {
    /// Type.
    pub icmp_type: u8,
    /// Code.
    pub code: u8,
    /// Checksum as sent.
    pub checksum: u16,
    /// The four "rest of header" bytes (identifier and sequence for echo, MTU for too-big...).
    pub rest: [u8; 4],
}

impl IcmpInfo {
    /// Identifier and sequence number, meaningful for echo request/reply.
    #[must_use]
    pub fn echo_id_seq(&self) -> (u16, u16) {
        (
            u16::from_be_bytes([self.rest[0], self.rest[1]]),
            u16::from_be_bytes([self.rest[2], self.rest[3]]),
        )
    }
}
