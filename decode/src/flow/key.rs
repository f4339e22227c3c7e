//! The canonical bidirectional flow key.

use core::net::IpAddr;

use crate::packet::{DecodedPacket, Transport};
use crate::types::IpProtocol;

/// One end of a flow: an IP address and a port.
///
/// For protocols without ports the port is 0. For ICMP and ICMPv6 the "ports" follow Zeek:
/// the sender's port is the ICMP type and the receiver's port is the counterpart type for
/// request/reply pairs (echo, timestamp, information, address mask, router and neighbour
/// solicitation/advertisement, node information), so a request and its reply share one flow;
/// for other types (errors, redirects...) the receiver's port is the ICMP code. The echo
/// identifier is not part of the key (as in Zeek), so two concurrent pings between the same
/// hosts are one flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    /// IP address.
    pub addr: IpAddr,
    /// Port (0 if the protocol has none; ICMP: see above).
    pub port: u16,
}

/// Which way a packet travels relative to a [`FlowKey`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From [`FlowKey::a`] (the lower endpoint) to [`FlowKey::b`].
    AToB,
    /// From [`FlowKey::b`] to [`FlowKey::a`].
    BToA,
}

impl Direction {
    /// The opposite direction.
    #[must_use]
    pub fn reverse(self) -> Self {
        match self {
            Self::AToB => Self::BToA,
            Self::BToA => Self::AToB,
        }
    }
}

/// A canonical bidirectional flow key: both directions of a conversation map to the same key.
///
/// `a` is the lower endpoint (by address, then port), `b` the higher. The outermost VLAN id is
/// part of the key, so the same 5-tuple on two VLANs is two flows (tshark's `conv` tables
/// ignore VLANs and would count one conversation; Zeek keys on VLANs only with its VLAN
/// connection-key plugin). IPv4-mapped IPv6 addresses are not folded into IPv4. For IPv6
/// packets with a routing header, the destination is the IPv6 header's destination field
/// (the next segment), not the final destination that tshark and Zeek use: decode does not
/// expose the final destination yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlowKey {
    /// The lower endpoint.
    pub a: Endpoint,
    /// The higher endpoint.
    pub b: Endpoint,
    /// The IP protocol (for IPv6, the upper-layer protocol after extension headers).
    pub protocol: IpProtocol,
    /// The outermost 802.1Q/802.1ad VLAN id, if the frame was tagged.
    pub vlan: Option<u16>,
}

impl FlowKey {
    /// Builds the key of an IP packet and says which way the packet travels.
    ///
    /// Returns `None` for packets that cannot be attributed to a flow: non-IP frames (ARP,
    /// unknown EtherTypes, cut IP headers), and TCP or UDP packets whose transport header is
    /// missing (non-first IP fragments, cut or malformed transport headers). Other IP protocols
    /// (and ICMP whose header was cut) get ports 0.
    #[must_use]
    pub fn from_packet(pkt: &DecodedPacket<'_>) -> Option<(Self, Direction)> {
        let (src, dst) = pkt.ip_addrs()?;
        let protocol = match &pkt.net {
            Some(crate::packet::Net::Ipv4(ip)) => ip.protocol,
            Some(crate::packet::Net::Ipv6(ip)) => ip.protocol,
            _ => return None,
        };
        let (sport, dport) = match &pkt.transport {
            Some(Transport::Tcp(t)) => (t.src_port, t.dst_port),
            Some(Transport::Udp(u)) => (u.src_port, u.dst_port),
            Some(Transport::Icmpv4(i)) => icmp_ports(i.icmp_type, i.code, false),
            Some(Transport::Icmpv6(i)) => icmp_ports(i.icmp_type, i.code, true),
            None if protocol == IpProtocol::TCP || protocol == IpProtocol::UDP => return None,
            None => (0, 0),
        };
        let vlan = pkt.vlans.first().map(|v| v.vid);
        Some(Self::new(
            Endpoint {
                addr: src,
                port: sport,
            },
            Endpoint {
                addr: dst,
                port: dport,
            },
            protocol,
            vlan,
        ))
    }

    /// Builds the canonical key from a source and destination endpoint and returns the
    /// direction of `src -> dst` relative to it. Equal endpoints count as [`Direction::AToB`].
    #[must_use]
    pub fn new(
        src: Endpoint,
        dst: Endpoint,
        protocol: IpProtocol,
        vlan: Option<u16>,
    ) -> (Self, Direction) {
        if src <= dst {
            (
                Self {
                    a: src,
                    b: dst,
                    protocol,
                    vlan,
                },
                Direction::AToB,
            )
        } else {
            (
                Self {
                    a: dst,
                    b: src,
                    protocol,
                    vlan,
                },
                Direction::BToA,
            )
        }
    }

    /// The (source, destination) endpoints of a packet travelling in `dir`.
    #[must_use]
    pub fn endpoints(&self, dir: Direction) -> (Endpoint, Endpoint) {
        match dir {
            Direction::AToB => (self.a, self.b),
            Direction::BToA => (self.b, self.a),
        }
    }
}

/// Zeek-style ICMP "ports": (type, counterpart type) for request/reply pairs, else (type, code).
fn icmp_ports(icmp_type: u8, code: u8, v6: bool) -> (u16, u16) {
    let counterpart = if v6 {
        match icmp_type {
            128 => Some(129), // echo request / reply
            129 => Some(128),
            133 => Some(134), // router solicitation / advertisement
            134 => Some(133),
            135 => Some(136), // neighbour solicitation / advertisement
            136 => Some(135),
            139 => Some(140), // node information query / response
            140 => Some(139),
            _ => None,
        }
    } else {
        match icmp_type {
            8 => Some(0), // echo request / reply
            0 => Some(8),
            13 => Some(14), // timestamp
            14 => Some(13),
            15 => Some(16), // information
            16 => Some(15),
            17 => Some(18), // address mask
            18 => Some(17),
            10 => Some(9), // router solicitation / advertisement
            9 => Some(10),
            _ => None,
        }
    };
    (u16::from(icmp_type), u16::from(counterpart.unwrap_or(code)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    #[test]
    fn both_directions_share_a_key() {
        let x = Endpoint {
            addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            port: 80,
        };
        let y = Endpoint {
            addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            port: 40000,
        };
        let (k1, d1) = FlowKey::new(x, y, IpProtocol::TCP, None);
        let (k2, d2) = FlowKey::new(y, x, IpProtocol::TCP, None);
        assert_eq!(k1, k2);
        assert_eq!(d1, Direction::BToA);
        assert_eq!(d2, Direction::AToB);
        assert_eq!(k1.endpoints(d1), (x, y));
    }

    #[test]
    fn icmp_echo_pairs() {
        assert_eq!(icmp_ports(8, 0, false), (8, 0));
        assert_eq!(icmp_ports(0, 0, false), (0, 8));
        assert_eq!(icmp_ports(3, 1, false), (3, 1));
        assert_eq!(icmp_ports(128, 0, true), (128, 129));
    }
}
