//! Link-layer framing: Ethernet (with 802.1Q / QinQ tags), Linux cooked
//! capture v1 and v2, BSD NULL loopback and raw IP.

/// A MAC address.
pub type MacAddr = [u8; 6];

/// The broadcast MAC address.
pub const BROADCAST: MacAddr = [0xff; 6];

/// A pcap/pcapng link type (the `network` / `LinkType` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// `LINKTYPE_NULL` (0): BSD loopback, a 4-byte host-order address family.
    pub const NULL: Self = Self(0);
    /// `LINKTYPE_ETHERNET` (1).
    pub const ETHERNET: Self = Self(1);
    /// `LINKTYPE_RAW` (101): a bare IPv4 or IPv6 packet.
    pub const RAW: Self = Self(101);
    /// `LINKTYPE_LINUX_SLL` (113): Linux cooked capture v1.
    pub const LINUX_SLL: Self = Self(113);
    /// `LINKTYPE_LINUX_SLL2` (276): Linux cooked capture v2.
    pub const LINUX_SLL2: Self = Self(276);
}

/// EtherType values used by the generator.
pub mod ethertype {
    /// IPv4.
    pub const IPV4: u16 = 0x0800;
    /// ARP.
    pub const ARP: u16 = 0x0806;
    /// IEEE 802.1Q customer VLAN tag.
    pub const VLAN: u16 = 0x8100;
    /// IEEE 802.1ad service VLAN tag (QinQ outer tag).
    pub const QINQ: u16 = 0x88a8;
    /// IPv6.
    pub const IPV6: u16 = 0x86dd;
}

/// BSD address families as written in a `LINKTYPE_NULL` header.
pub mod af {
    /// `AF_INET` on every BSD.
    pub const INET: u32 = 2;
    /// `AF_INET6` on Darwin (macOS `lo0`); NetBSD/OpenBSD use 24, FreeBSD 28.
    pub const INET6_DARWIN: u32 = 30;
}

/// One VLAN tag: TPID plus the 16-bit TCI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VlanTag {
    /// Tag protocol identifier (`0x8100` or `0x88a8`).
    pub tpid: u16,
    /// Priority code point (0..=7).
    pub pcp: u8,
    /// Drop eligible indicator.
    pub dei: bool,
    /// VLAN identifier (0..=4095).
    pub vid: u16,
}

impl VlanTag {
    /// An 802.1Q customer tag (TPID `0x8100`).
    #[must_use]
    pub const fn dot1q(vid: u16) -> Self {
        Self {
            tpid: ethertype::VLAN,
            pcp: 0,
            dei: false,
            vid,
        }
    }

    /// An 802.1ad service tag (TPID `0x88a8`), the outer tag of QinQ.
    #[must_use]
    pub const fn service(vid: u16) -> Self {
        Self {
            tpid: ethertype::QINQ,
            pcp: 0,
            dei: false,
            vid,
        }
    }

    /// This tag with priority `pcp`.
    #[must_use]
    pub const fn with_pcp(mut self, pcp: u8) -> Self {
        self.pcp = pcp;
        self
    }

    fn tci(self) -> u16 {
        (u16::from(self.pcp & 7) << 13) | (u16::from(self.dei) << 12) | (self.vid & 0x0fff)
    }
}

/// Ethernet II framing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ethernet {
    /// Source MAC.
    pub src: MacAddr,
    /// Destination MAC.
    pub dst: MacAddr,
    /// VLAN tags, outermost first.
    pub vlans: Vec<VlanTag>,
    /// Pad short frames with zeros to the 60-byte Ethernet minimum (as a
    /// receiving NIC delivers them), so the frame is longer than the IP packet.
    pub pad_to_min: bool,
}

/// `sll_pkttype` values of Linux cooked captures.
pub mod sll_packet_type {
    /// Addressed to this host.
    pub const HOST: u8 = 0;
    /// Broadcast.
    pub const BROADCAST: u8 = 1;
    /// Sent by this host.
    pub const OUTGOING: u8 = 4;
}

/// `ARPHRD_*` hardware types used in cooked captures.
pub mod arphrd {
    /// `ARPHRD_ETHER`.
    pub const ETHER: u16 = 1;
    /// `ARPHRD_LOOPBACK`.
    pub const LOOPBACK: u16 = 772;
}

/// Linux cooked capture v1 header (16 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinuxSll {
    /// `sll_pkttype` (see [`sll_packet_type`]).
    pub packet_type: u8,
    /// `ARPHRD_*` type (see [`arphrd`]).
    pub arphrd: u16,
    /// Link-layer source address (6 bytes used).
    pub addr: MacAddr,
}

/// Linux cooked capture v2 header (20 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinuxSll2 {
    /// Interface index.
    pub ifindex: u32,
    /// `sll_pkttype` (see [`sll_packet_type`]).
    pub packet_type: u8,
    /// `ARPHRD_*` type (see [`arphrd`]).
    pub arphrd: u16,
    /// Link-layer source address (6 bytes used).
    pub addr: MacAddr,
}

/// The link-layer framing of one packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// Ethernet II, optionally VLAN-tagged.
    Ethernet(Ethernet),
    /// Linux cooked capture v1.
    LinuxSll(LinuxSll),
    /// Linux cooked capture v2.
    LinuxSll2(LinuxSll2),
    /// BSD loopback: 4-byte little-endian address family.
    Null,
    /// Raw IP: no link header.
    Raw,
}

impl Link {
    /// Plain Ethernet from `src` to `dst`.
    #[must_use]
    pub fn ethernet(src: MacAddr, dst: MacAddr) -> Self {
        Self::Ethernet(Ethernet {
            src,
            dst,
            vlans: Vec::new(),
            pad_to_min: false,
        })
    }

    /// Ethernet from `src` to `dst` with `vlans` (outermost first).
    #[must_use]
    pub fn ethernet_tagged(src: MacAddr, dst: MacAddr, vlans: &[VlanTag]) -> Self {
        Self::Ethernet(Ethernet {
            src,
            dst,
            vlans: vlans.to_vec(),
            pad_to_min: false,
        })
    }

    /// The pcap link type of this framing.
    #[must_use]
    pub fn link_type(&self) -> LinkType {
        match self {
            Self::Ethernet(_) => LinkType::ETHERNET,
            Self::LinuxSll(_) => LinkType::LINUX_SLL,
            Self::LinuxSll2(_) => LinkType::LINUX_SLL2,
            Self::Null => LinkType::NULL,
            Self::Raw => LinkType::RAW,
        }
    }

    /// This link with Ethernet minimum-size padding switched on (no effect on
    /// other framings).
    #[must_use]
    pub fn padded(mut self) -> Self {
        if let Self::Ethernet(e) = &mut self {
            e.pad_to_min = true;
        }
        self
    }

    /// Appends the frame carrying `payload` of EtherType `ethertype` to `out`.
    ///
    /// For [`Link::Null`] the address family is derived from the EtherType
    /// (`AF_INET` or Darwin's `AF_INET6`); [`Link::Raw`] writes `payload` alone.
    /// Neither can carry ARP: the caller must not ask for it (the bytes would
    /// not decode as ARP).
    pub fn write(&self, ethertype: u16, payload: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        match self {
            Self::Ethernet(e) => {
                out.extend_from_slice(&e.dst);
                out.extend_from_slice(&e.src);
                for tag in &e.vlans {
                    out.extend_from_slice(&tag.tpid.to_be_bytes());
                    out.extend_from_slice(&tag.tci().to_be_bytes());
                }
                out.extend_from_slice(&ethertype.to_be_bytes());
                out.extend_from_slice(payload);
                if e.pad_to_min && out.len() - start < 60 {
                    out.resize(start + 60, 0);
                }
            }
            Self::LinuxSll(s) => {
                out.extend_from_slice(&u16::from(s.packet_type).to_be_bytes());
                out.extend_from_slice(&s.arphrd.to_be_bytes());
                out.extend_from_slice(&6u16.to_be_bytes());
                out.extend_from_slice(&s.addr);
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&ethertype.to_be_bytes());
                out.extend_from_slice(payload);
            }
            Self::LinuxSll2(s) => {
                out.extend_from_slice(&ethertype.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&s.ifindex.to_be_bytes());
                out.extend_from_slice(&s.arphrd.to_be_bytes());
                out.push(s.packet_type);
                out.push(6);
                out.extend_from_slice(&s.addr);
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(payload);
            }
            Self::Null => {
                let family = if ethertype == ethertype::IPV6 {
                    af::INET6_DARWIN
                } else {
                    af::INET
                };
                out.extend_from_slice(&family.to_le_bytes());
                out.extend_from_slice(payload);
            }
            Self::Raw => out.extend_from_slice(payload),
        }
    }
}

/// The framings of the two directions of a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkPair {
    /// Framing of packets sent by the client (initiator).
    pub to_server: Link,
    /// Framing of packets sent by the server (responder).
    pub to_client: Link,
}

impl LinkPair {
    /// Ethernet between `client` and `server` MACs, with the same `vlans` both ways.
    #[must_use]
    pub fn ethernet(client: MacAddr, server: MacAddr, vlans: &[VlanTag]) -> Self {
        Self {
            to_server: Link::ethernet_tagged(client, server, vlans),
            to_client: Link::ethernet_tagged(server, client, vlans),
        }
    }

    /// Linux cooked v1 as captured on the client host: client packets are
    /// `OUTGOING` from `client`, server packets are `HOST` from `server`.
    #[must_use]
    pub fn sll(client: MacAddr, server: MacAddr) -> Self {
        Self {
            to_server: Link::LinuxSll(LinuxSll {
                packet_type: sll_packet_type::OUTGOING,
                arphrd: arphrd::ETHER,
                addr: client,
            }),
            to_client: Link::LinuxSll(LinuxSll {
                packet_type: sll_packet_type::HOST,
                arphrd: arphrd::ETHER,
                addr: server,
            }),
        }
    }

    /// Linux cooked v2 on interface `ifindex`, as captured on the client host.
    #[must_use]
    pub fn sll2(ifindex: u32, client: MacAddr, server: MacAddr) -> Self {
        Self {
            to_server: Link::LinuxSll2(LinuxSll2 {
                ifindex,
                packet_type: sll_packet_type::OUTGOING,
                arphrd: arphrd::ETHER,
                addr: client,
            }),
            to_client: Link::LinuxSll2(LinuxSll2 {
                ifindex,
                packet_type: sll_packet_type::HOST,
                arphrd: arphrd::ETHER,
                addr: server,
            }),
        }
    }

    /// The same framing both ways (for [`Link::Null`] and [`Link::Raw`]).
    #[must_use]
    pub fn symmetric(link: Link) -> Self {
        Self {
            to_server: link.clone(),
            to_client: link,
        }
    }

    /// Both directions padded to the Ethernet minimum (see [`Link::padded`]).
    #[must_use]
    pub fn padded(self) -> Self {
        Self {
            to_server: self.to_server.padded(),
            to_client: self.to_client.padded(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qinq_header_bytes() {
        let link = Link::ethernet_tagged(
            [2, 0, 0, 0, 0, 1],
            [2, 0, 0, 0, 0, 2],
            &[VlanTag::service(100).with_pcp(5), VlanTag::dot1q(200)],
        );
        let mut out = Vec::new();
        link.write(ethertype::IPV4, &[0xAA], &mut out);
        assert_eq!(
            out,
            [
                2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, // dst, src
                0x88, 0xa8, 0xa0, 0x64, // S-tag: PCP 5, VID 100
                0x81, 0x00, 0x00, 0xc8, // C-tag: VID 200
                0x08, 0x00, 0xAA
            ]
        );
    }

    #[test]
    fn sll2_header_bytes() {
        let link = Link::LinuxSll2(LinuxSll2 {
            ifindex: 3,
            packet_type: sll_packet_type::OUTGOING,
            arphrd: arphrd::ETHER,
            addr: [1, 2, 3, 4, 5, 6],
        });
        let mut out = Vec::new();
        link.write(ethertype::IPV6, &[], &mut out);
        assert_eq!(
            out,
            [0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0]
        );
    }

    #[test]
    fn sll_and_null_header_bytes() {
        let mut out = Vec::new();
        Link::LinuxSll(LinuxSll {
            packet_type: sll_packet_type::HOST,
            arphrd: arphrd::ETHER,
            addr: [1, 2, 3, 4, 5, 6],
        })
        .write(ethertype::ARP, &[], &mut out);
        assert_eq!(out, [0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x06]);
        out.clear();
        Link::Null.write(ethertype::IPV6, &[], &mut out);
        assert_eq!(out, [30, 0, 0, 0]);
    }

    #[test]
    fn padding() {
        let mut out = Vec::new();
        Link::ethernet([0; 6], [0; 6])
            .padded()
            .write(ethertype::ARP, &[1; 28], &mut out);
        assert_eq!(out.len(), 60);
    }
}
