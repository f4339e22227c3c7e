//! Packet decoding for flowsleuth.
//!
//! [`decode`] turns the bytes of one captured frame into a [`DecodedPacket`]: the link layer
//! (Ethernet II / 802.3, 802.1Q/802.1ad VLAN tags, Linux SLL and SLL2, BSD loopback `NULL` and
//! `LOOP`, raw IP), the network layer (IPv4 with options and fragments flagged, IPv6 with its
//! extension headers, ARP/RARP) and the transport layer (TCP with options, UDP, ICMP, ICMPv6).
//! The [`tls`] module parses TLS records and ClientHello/ServerHello messages, computes JA3,
//! JA3S and JA4 fingerprints, follows each connection's handshake phases ([`tls::TlsSession`]),
//! parses server certificates, and decrypts QUIC Initial packets for their ClientHello. The
//! [`flow`] module keeps per-connection state: a bounded flow table with Zeek-style
//! `conn_state`/`history` and bounded TCP reassembly.
//!
//! # Guarantees
//!
//! - **No I/O, no printing.** The crate is `no_std` outside its own tests.
//! - **No allocation per packet.** [`decode`] never allocates: every value borrows the input
//!   buffer or is a small fixed-size value ([`arrayvec::ArrayVec`] for VLAN tags and IPv6
//!   extensions). The stateful layers ([`flow`], [`tls::TlsSession`]) use `alloc` only for
//!   bounded per-connection state (the flow table, capped reassembly buffers, certificates), set
//!   up once per connection, never per packet; tests with a counting allocator check both.
//! - **No panic on any input.** Decoding reads bytes only through bounds-checked accessors,
//!   uses no `unsafe`, and runs no loop longer than the input or a fixed bound.
//! - **Lax.** A frame cut short by the capture's snaplen decodes as far as its bytes go and
//!   says where it stopped ([`DecodedPacket::stop`]); a field that makes the rest undecodable
//!   stops decoding there, keeping everything decoded before it. Unknown link types,
//!   EtherTypes and IP protocols are kept as numbers. Bad checksums are reported
//!   ([`Ipv4Info::checksum_ok`]), never a reason to drop anything.
//! - **Every slice borrows the input** and lies inside it, empty ones included.
//!
//! # Example
//!
//! ```
//! use decode::{decode, DecodeError, Layer, LinkType, Net};
//!
//! // An Ethernet frame carrying the first 20 bytes of an IPv4 header only.
//! let mut frame = [0u8; 14 + 20];
//! frame[12..14].copy_from_slice(&[0x08, 0x00]);
//! frame[14] = 0x45;
//! frame[16..18].copy_from_slice(&40u16.to_be_bytes());
//! frame[23] = 6; // TCP
//! let pkt = decode(LinkType::Ethernet, &frame);
//! assert!(matches!(pkt.net, Some(Net::Ipv4(_))));
//! assert!(pkt.transport.is_none());
//! // The TCP header is missing.
//! assert_eq!(
//!     pkt.stop,
//!     Some(DecodeError::Truncated { layer: Layer::Tcp, needed: 20, available: 0 })
//! );
//! ```

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

extern crate alloc;

mod arp;
mod bytes;
mod checksum;
mod decoder;
pub mod error;
mod ethernet;
pub mod flow;
mod icmp;
mod ip;
mod ipv4;
mod ipv6;
mod ipv6_ext;
pub mod linktype;
mod null;
pub mod packet;
mod sll;
pub mod tcp;
pub mod tls;
pub mod types;
mod udp;
mod vlan;

pub use decoder::decode;
pub use error::{DecodeError, Layer};
pub use linktype::LinkType;
pub use packet::{
    ArpInfo, DecodedPacket, IcmpInfo, Ipv4Info, Ipv6Fragment, Ipv6Info, Link, Net, TcpInfo,
    Transport, UdpInfo, Vlan, MAX_IPV6_EXTS, MAX_VLANS,
};
pub use tcp::{BadTcpOption, TcpFlags, TcpOption, TcpOptionIter};
pub use types::{EtherType, IpProtocol, MacAddr};
