//! Decode errors: `Copy`, allocation-free, with the layer they happened at.

use core::fmt;

/// The protocol layer a decode error refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layer {
    /// The link-layer header (Ethernet, SLL, SLL2, NULL), including an 802.3 length field.
    Link,
    /// An 802.1Q / 802.1ad tag.
    Vlan,
    /// ARP.
    Arp,
    /// An IP header whose version is not known yet: the version nibble of a raw-IP frame
    /// (`LINKTYPE_RAW`) is missing or is neither 4 nor 6.
    Ip,
    /// The IPv4 header.
    Ipv4,
    /// The IPv6 fixed header.
    Ipv6,
    /// An IPv6 extension header.
    Ipv6Ext,
    /// The TCP header.
    Tcp,
    /// The UDP header.
    Udp,
    /// The ICMP header.
    Icmpv4,
    /// The ICMPv6 header.
    Icmpv6,
}

impl Layer {
    /// A short lowercase name, stable for JSON output.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::Vlan => "vlan",
            Self::Arp => "arp",
            Self::Ip => "ip",
            Self::Ipv4 => "ipv4",
            Self::Ipv6 => "ipv6",
            Self::Ipv6Ext => "ipv6-ext",
            Self::Tcp => "tcp",
            Self::Udp => "udp",
            Self::Icmpv4 => "icmp",
            Self::Icmpv6 => "icmp6",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why decoding stopped before the end of a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The captured bytes end before the header (or the length a header announces) does.
    /// See [`DecodedPacket::stop`](crate::DecodedPacket::stop) for which layer is reported.
    Truncated {
        /// The layer that was cut.
        layer: Layer,
        /// Bytes that layer needed, counted from the start of its header.
        needed: usize,
        /// Bytes that were available, counted from the same place (always less than `needed`).
        available: usize,
    },
    /// A header field has a value that makes the rest undecodable (e.g. IHL < 5, bad version).
    Malformed {
        /// The layer with the bad field.
        layer: Layer,
        /// What is wrong, as a short fixed phrase.
        what: &'static str,
    },
}

impl DecodeError {
    /// The layer the error refers to.
    #[must_use]
    pub const fn layer(self) -> Layer {
        match self {
            Self::Truncated { layer, .. } | Self::Malformed { layer, .. } => layer,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated {
                layer,
                needed,
                available,
            } => {
                write!(
                    f,
                    "truncated {layer} header: needed {needed} bytes, had {available}"
                )
            }
            Self::Malformed { layer, what } => write!(f, "malformed {layer} header: {what}"),
        }
    }
}

impl core::error::Error for DecodeError {}
