//! Link-layer header types (the `LINKTYPE_*` registry used by pcap and pcapng).

use core::fmt;

/// The link-layer header type of a capture, as numbered by the tcpdump.org `LINKTYPE_*` registry.
///
/// Unknown numbers are kept as [`LinkType::Unknown`], never rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LinkType {
    /// `LINKTYPE_NULL` (0): BSD loopback, a 4-byte address family in the capturing host's byte order.
    Null,
    /// `LINKTYPE_ETHERNET` (1): Ethernet II / 802.3.
    Ethernet,
    /// `LINKTYPE_RAW` (101, also DLT_RAW 12 and 14 on some systems): raw IPv4 or IPv6.
    Raw,
    /// `LINKTYPE_LOOP` (108): OpenBSD loopback, address family in network byte order.
    Loop,
    /// `LINKTYPE_LINUX_SLL` (113): Linux "cooked" capture v1 (`-i any` on older libpcap).
    LinuxSll,
    /// `LINKTYPE_IPV4` (228): raw IPv4 only.
    Ipv4,
    /// `LINKTYPE_IPV6` (229): raw IPv6 only.
    Ipv6,
    /// `LINKTYPE_LINUX_SLL2` (276): Linux "cooked" capture v2 (`-i any` on libpcap >= 1.10).
    LinuxSll2,
    /// Any other link type, by number.
    Unknown(u32),
}

impl LinkType {
    /// Maps a `LINKTYPE_*` (or DLT) number to a link type.
    #[must_use]
    pub const fn from_u32(n: u32) -> Self {
        match n {
            0 => Self::Null,
            1 => Self::Ethernet,
            12 | 14 | 101 => Self::Raw,
            108 => Self::Loop,
            113 => Self::LinuxSll,
            228 => Self::Ipv4,
            229 => Self::Ipv6,
            276 => Self::LinuxSll2,
            other => Self::Unknown(other),
        }
    }

    /// The `LINKTYPE_*` number written into pcap files.
    #[must_use]
    pub const fn to_u32(self) -> u32 {
        match self {
            Self::Null => 0,
            Self::Ethernet => 1,
            Self::Raw => 101,
            Self::Loop => 108,
            Self::LinuxSll => 113,
            Self::Ipv4 => 228,
            Self::Ipv6 => 229,
            Self::LinuxSll2 => 276,
            Self::Unknown(n) => n,
        }
    }

    /// Whether [`crate::decode`] understands this link type.
    #[must_use]
    pub const fn is_supported(self) -> bool {
        !matches!(self, Self::Unknown(_))
    }

    /// The registry name without the `LINKTYPE_` prefix, as tcpdump prints it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Null => "NULL",
            Self::Ethernet => "EN10MB",
            Self::Raw => "RAW",
            Self::Loop => "LOOP",
            Self::LinuxSll => "LINUX_SLL",
            Self::Ipv4 => "IPV4",
            Self::Ipv6 => "IPV6",
            Self::LinuxSll2 => "LINUX_SLL2",
            Self::Unknown(_) => "UNKNOWN",
        }
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(n) => write!(f, "unknown link type {n}"),
            other => f.write_str(other.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for n in [0, 1, 101, 108, 113, 228, 229, 276, 9999] {
            assert_eq!(LinkType::from_u32(n).to_u32(), n);
        }
        assert_eq!(LinkType::from_u32(12), LinkType::Raw);
        assert!(!LinkType::from_u32(147).is_supported());
    }
}
