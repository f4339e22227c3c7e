//! Small wire-number newtypes: MAC addresses, EtherTypes, IP protocol numbers.
//!
//! Unknown values are kept, never rejected: forensics must show what was on the wire.

use core::fmt;

/// A 48-bit MAC address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct MacAddr(pub [u8; 6]);

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

/// An EtherType (or SLL protocol) value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EtherType(pub u16);

impl EtherType {
    /// IPv4.
    pub const IPV4: Self = Self(0x0800);
    /// ARP.
    pub const ARP: Self = Self(0x0806);
    /// RARP.
    pub const RARP: Self = Self(0x8035);
    /// 802.1Q customer VLAN tag.
    pub const VLAN: Self = Self(0x8100);
    /// IPv6.
    pub const IPV6: Self = Self(0x86dd);
    /// 802.1ad service VLAN tag (QinQ).
    pub const QINQ: Self = Self(0x88a8);
    /// Pre-standard QinQ tag.
    pub const QINQ_OLD: Self = Self(0x9100);

    /// The name tcpdump prints for this EtherType, if it has one.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0800 => "IPv4",
            0x0806 => "ARP",
            0x8035 => "Reverse ARP",
            0x8100 => "802.1Q",
            0x86dd => "IPv6",
            0x88a8 => "802.1Q-QinQ",
            0x9100 => "802.1Q-9100",
            0x88cc => "LLDP",
            0x8847 => "MPLS unicast",
            0x8848 => "MPLS multicast",
            0x888e => "EAPOL",
            0x8863 => "PPPoE D",
            0x8864 => "PPPoE S",
            _ => return None,
        })
    }

    /// Whether this EtherType introduces a VLAN tag.
    #[must_use]
    pub const fn is_vlan(self) -> bool {
        matches!(self.0, 0x8100 | 0x88a8 | 0x9100)
    }
}

impl fmt::Display for EtherType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} (0x{:04x})", self.0),
            None => write!(f, "Unknown (0x{:04x})", self.0),
        }
    }
}

/// An IP protocol / IPv6 next-header number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpProtocol(pub u8);

impl IpProtocol {
    /// IPv6 hop-by-hop options.
    pub const HOPOPT: Self = Self(0);
    /// ICMP.
    pub const ICMP: Self = Self(1);
    /// IGMP.
    pub const IGMP: Self = Self(2);
    /// IP in IP.
    pub const IPIP: Self = Self(4);
    /// TCP.
    pub const TCP: Self = Self(6);
    /// UDP.
    pub const UDP: Self = Self(17);
    /// IPv6 encapsulation.
    pub const IPV6: Self = Self(41);
    /// IPv6 routing header.
    pub const IPV6_ROUTE: Self = Self(43);
    /// IPv6 fragment header.
    pub const IPV6_FRAG: Self = Self(44);
    /// GRE.
    pub const GRE: Self = Self(47);
    /// ESP.
    pub const ESP: Self = Self(50);
    /// Authentication header.
    pub const AH: Self = Self(51);
    /// ICMPv6.
    pub const ICMPV6: Self = Self(58);
    /// IPv6 no next header.
    pub const IPV6_NONXT: Self = Self(59);
    /// IPv6 destination options.
    pub const IPV6_OPTS: Self = Self(60);
    /// SCTP.
    pub const SCTP: Self = Self(132);

    /// A short lowercase name for well-known protocols.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "hopopt",
            1 => "icmp",
            2 => "igmp",
            4 => "ipip",
            6 => "tcp",
            17 => "udp",
            41 => "ipv6",
            43 => "ipv6-route",
            44 => "ipv6-frag",
            47 => "gre",
            50 => "esp",
            51 => "ah",
            58 => "icmp6",
            59 => "ipv6-nonxt",
            60 => "ipv6-opts",
            89 => "ospf",
            103 => "pim",
            112 => "vrrp",
            132 => "sctp",
            _ => return None,
        })
    }
}

impl fmt::Display for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "ip-proto-{}", self.0),
        }
    }
}
