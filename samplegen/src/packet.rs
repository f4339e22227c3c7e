//! Putting the layers together: network header + transport + link framing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::arp::Arp;
use crate::icmp::Icmp;
use crate::ipv4::{protocol, Ipv4};
use crate::ipv6::Ipv6;
use crate::link::{ethertype, Link};
use crate::tcp::Tcp;
use crate::udp::Udp;

/// An IPv4 or IPv6 header description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ip {
    /// IPv4.
    V4(Ipv4),
    /// IPv6 (with extension headers).
    V6(Ipv6),
}

impl Ip {
    /// An IPv4 header with defaults (see [`Ipv4::new`]).
    #[must_use]
    pub fn v4(src: Ipv4Addr, dst: Ipv4Addr) -> Self {
        Self::V4(Ipv4::new(src, dst))
    }

    /// An IPv6 header with defaults (see [`Ipv6::new`]).
    #[must_use]
    pub fn v6(src: Ipv6Addr, dst: Ipv6Addr) -> Self {
        Self::V6(Ipv6::new(src, dst))
    }

    /// An IPv4 header if both addresses are IPv4, else an IPv6 header
    /// (an IPv4 address on one side becomes IPv4-mapped).
    #[must_use]
    pub fn between(src: IpAddr, dst: IpAddr) -> Self {
        match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => Self::v4(s, d),
            (s, d) => Self::v6(to_v6(s), to_v6(d)),
        }
    }

    /// This header with TTL / hop limit `ttl`.
    #[must_use]
    pub fn with_ttl(mut self, ttl: u8) -> Self {
        match &mut self {
            Self::V4(h) => h.ttl = ttl,
            Self::V6(h) => h.hop_limit = ttl,
        }
        self
    }

    /// The EtherType announcing this header.
    #[must_use]
    pub fn ethertype(&self) -> u16 {
        match self {
            Self::V4(_) => ethertype::IPV4,
            Self::V6(_) => ethertype::IPV6,
        }
    }

    /// The pseudo-header source address.
    #[must_use]
    pub fn src(&self) -> IpAddr {
        match self {
            Self::V4(h) => h.src.into(),
            Self::V6(h) => h.src.into(),
        }
    }

    /// The pseudo-header destination address (the final destination for IPv6
    /// with a Segment Routing Header).
    #[must_use]
    pub fn checksum_dst(&self) -> IpAddr {
        match self {
            Self::V4(h) => h.dst.into(),
            Self::V6(h) => h.final_destination().into(),
        }
    }

    /// Appends the header and the already-encoded upper-layer `payload` to `out`.
    pub fn write(&self, protocol: u8, payload: &[u8], out: &mut Vec<u8>) {
        match self {
            Self::V4(h) => h.write(protocol, payload, out),
            Self::V6(h) => h.write(protocol, payload, out),
        }
    }
}

/// An upper-layer message and its payload.
#[derive(Clone, Copy, Debug)]
pub enum Transport<'a> {
    /// A TCP segment.
    Tcp(&'a Tcp, &'a [u8]),
    /// A UDP datagram.
    Udp(&'a Udp, &'a [u8]),
    /// An ICMP message (ICMPv4 under IPv4, ICMPv6 under IPv6).
    Icmp(&'a Icmp, &'a [u8]),
    /// Raw bytes under an arbitrary protocol number.
    Raw(u8, &'a [u8]),
}

impl Transport<'_> {
    /// The IP protocol number for this message under `ip`.
    #[must_use]
    pub fn protocol(&self, ip: &Ip) -> u8 {
        match (self, ip) {
            (Self::Tcp(..), _) => protocol::TCP,
            (Self::Udp(..), _) => protocol::UDP,
            (Self::Icmp(..), Ip::V4(_)) => protocol::ICMP,
            (Self::Icmp(..), Ip::V6(_)) => protocol::ICMPV6,
            (Self::Raw(p, _), _) => *p,
        }
    }

    /// Appends the encoded message (checksums computed against `ip`) to `out`.
    pub fn write(&self, ip: &Ip, out: &mut Vec<u8>) {
        let (src, dst) = (ip.src(), ip.checksum_dst());
        match self {
            Self::Tcp(h, p) => h.write(src, dst, p, out),
            Self::Udp(h, p) => h.write(src, dst, p, out),
            Self::Icmp(h, p) => match ip {
                Ip::V4(_) => h.write_v4(p, out),
                Ip::V6(_) => h.write_v6(src, dst, p, out),
            },
            Self::Raw(_, p) => out.extend_from_slice(p),
        }
    }
}

/// Builds frames while reusing two scratch buffers, so building a million
/// packets allocates only a handful of times.
#[derive(Debug, Default)]
pub struct FrameBuilder {
    l4: Vec<u8>,
    l3: Vec<u8>,
}

impl FrameBuilder {
    /// A builder with empty scratch buffers.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces `out` with the frame `link` / `ip` / `transport`.
    pub fn frame(&mut self, link: &Link, ip: &Ip, transport: Transport<'_>, out: &mut Vec<u8>) {
        self.ip_packet(ip, transport);
        out.clear();
        link.write(ip.ethertype(), &self.l3, out);
    }

    /// Returns the bare IP packet `ip` / `transport` (valid until the next call).
    pub fn ip_packet(&mut self, ip: &Ip, transport: Transport<'_>) -> &[u8] {
        self.l4.clear();
        transport.write(ip, &mut self.l4);
        self.l3.clear();
        ip.write(transport.protocol(ip), &self.l4, &mut self.l3);
        &self.l3
    }

    /// Returns the encoded upper-layer message alone (valid until the next call);
    /// feed it to [`Ipv4::fragments`] or [`Ipv6::fragments`].
    pub fn transport(&mut self, ip: &Ip, transport: Transport<'_>) -> &[u8] {
        self.l4.clear();
        transport.write(ip, &mut self.l4);
        &self.l4
    }
}

/// The frame `link` / `ip` / `transport` as a new vector.
#[must_use]
pub fn frame(link: &Link, ip: &Ip, transport: Transport<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    FrameBuilder::new().frame(link, ip, transport, &mut out);
    out
}

/// A UDP datagram frame from `src` to `dst` (see [`Ip::between`]).
#[must_use]
pub fn udp_frame(link: &Link, src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let ip = Ip::between(src.ip(), dst.ip());
    frame(
        link,
        &ip,
        Transport::Udp(&Udp::new(src.port(), dst.port()), payload),
    )
}

/// An ICMP (or ICMPv6, for IPv6 addresses) frame from `src` to `dst`.
#[must_use]
pub fn icmp_frame(link: &Link, src: IpAddr, dst: IpAddr, icmp: &Icmp, body: &[u8]) -> Vec<u8> {
    let ip = Ip::between(src, dst);
    frame(link, &ip, Transport::Icmp(icmp, body))
}

fn to_v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

/// The frame carrying the bare IP packet `ip_packet` (e.g. one fragment).
#[must_use]
pub fn frame_ip(link: &Link, ip_packet: &[u8]) -> Vec<u8> {
    let et = match ip_packet.first().map(|b| b >> 4) {
        Some(6) => ethertype::IPV6,
        _ => ethertype::IPV4,
    };
    let mut out = Vec::new();
    link.write(et, ip_packet, &mut out);
    out
}

/// The frame carrying ARP packet `arp`. Use an Ethernet or cooked link.
#[must_use]
pub fn frame_arp(link: &Link, arp: &Arp) -> Vec<u8> {
    let mut body = Vec::with_capacity(28);
    arp.write(&mut body);
    let mut out = Vec::new();
    link.write(ethertype::ARP, &body, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tcp::TcpFlags;

    #[test]
    fn ethernet_ipv4_tcp_matches_etherparse_builder() {
        let (smac, dmac) = ([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
        let (s, d) = (Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(203, 0, 113, 9));
        let mut tcp = Tcp::new(1234, 80, TcpFlags::ACK | TcpFlags::PSH);
        tcp.seq = 100;
        tcp.ack = 200;
        tcp.window = 500;
        let ip = Ip::V4(Ipv4::new(s, d).with_ttl(64).with_ident(0));
        let ours = frame(
            &Link::ethernet(smac, dmac),
            &ip,
            Transport::Tcp(&tcp, b"GET /"),
        );

        let mut theirs = Vec::new();
        let mut ip4 =
            etherparse::Ipv4Header::new(0, 64, etherparse::IpNumber::TCP, s.octets(), d.octets())
                .unwrap();
        ip4.dont_fragment = true;
        etherparse::PacketBuilder::ethernet2(smac, dmac)
            .ip(etherparse::IpHeaders::Ipv4(ip4, Default::default()))
            .tcp(1234, 80, 100, 500)
            .ack(200)
            .psh()
            .write(&mut theirs, b"GET /")
            .unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn ipv6_icmpv6_checksum_matches_etherparse() {
        let (s, d): (Ipv6Addr, Ipv6Addr) = (
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
        );
        let ip = Ip::v6(s, d);
        let ours = FrameBuilder::new()
            .ip_packet(&ip, Transport::Icmp(&Icmp::v6_echo_request(7, 1), b"ping"))
            .to_vec();
        let sliced = etherparse::SlicedPacket::from_ip(&ours).unwrap();
        let Some(etherparse::TransportSlice::Icmpv6(icmp)) = sliced.transport else {
            panic!("not icmpv6");
        };
        assert_eq!(
            icmp.checksum(),
            icmp.header()
                .icmp_type
                .calc_checksum(s.octets(), d.octets(), icmp.payload())
                .unwrap()
        );
    }
}
