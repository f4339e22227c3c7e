//! Fixed addresses from documentation ranges, so no sample points at a real
//! host: IPv4 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (RFC 5737),
//! 10.0.0.0/16 for VPC-like private traffic, IPv6 2001:db8::/32 (RFC 3849),
//! and MACs from 00-00-5E-00-53-00/24 (RFC 7042 §2.1.1).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::link::MacAddr;

/// A documentation MAC address `00:00:5e:00:53:nn`.
#[must_use]
pub const fn mac(n: u8) -> MacAddr {
    [0x00, 0x00, 0x5e, 0x00, 0x53, n]
}

/// `192.0.2.n` (TEST-NET-1): clients.
#[must_use]
pub const fn client_v4(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(192, 0, 2, n)
}

/// `198.51.100.n` (TEST-NET-2): servers.
#[must_use]
pub const fn server_v4(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(198, 51, 100, n)
}

/// `203.0.113.n` (TEST-NET-3): more servers, resolvers, routers.
#[must_use]
pub const fn net3_v4(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(203, 0, 113, n)
}

/// `10.0.s.n`: VPC-like private addresses.
#[must_use]
pub const fn vpc_v4(subnet: u8, n: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, subnet, n)
}

/// `2001:db8:net::host`.
#[must_use]
pub const fn doc_v6(net: u16, host: u16) -> Ipv6Addr {
    Ipv6Addr::new(0x2001, 0x0db8, net, 0, 0, 0, 0, host)
}

/// The link-local address `fe80::200:5eff:fe00:53nn` of [`mac`]`(n)` (EUI-64).
#[must_use]
pub const fn link_local(n: u8) -> Ipv6Addr {
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0x0200, 0x5eff, 0xfe00, 0x5300 | n as u16)
}
