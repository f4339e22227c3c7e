//! Deterministic generator of synthetic packet captures for flowsleuth.
//!
//! It writes the small sample files under `sample-pcaps/`, large mixed
//! captures for benchmarks, and synthetic VPC Flow Logs. Everything is built from scratch with correct
//! lengths and checksums, from fixed documentation addresses, a fixed base
//! time ([`BASE_TIME`], 2024-01-01T00:00:00Z) and a seeded PRNG
//! ([`SplitMix64`]), so the same call always produces the same bytes.
//!
//! It does **not** parse packets, capture live traffic, or depend on other
//! flowsleuth crates (it is the independent source of test data for them).
//!
//! Layers, bottom up:
//! - files: [`PcapWriter`] (µs/ns magic, either byte order), [`PcapngWriter`]
//!   (SHB, several IDBs with `if_tsresol`, EPBs), [`gzip`];
//! - framing: [`Link`] (Ethernet with 802.1Q/QinQ tags, Linux SLL/SLL2,
//!   BSD NULL, raw IP);
//! - network: [`Ipv4`] (with fragmentation), [`Ipv6`] with [`Ipv6Ext`]
//!   headers (hop-by-hop, destination options, routing, fragment), [`Arp`];
//! - transport: [`Tcp`] with [`TcpOption`]s, [`Udp`], [`Icmp`] (v4 and v6);
//! - application: [`tls`] ClientHello / ServerHello builders;
//! - conversations: [`TcpConn`] (handshake, data, SACK, close) emitting into
//!   a [`Recorder`] (a [`PacketSink`] plus a clock);
//! - products: [`samples`] (the sample-pcaps catalogue), [`big`], and
//!   [`flowlogs`] (synthetic VPC Flow Log text files, not captures).
//!
//! # Example
//!
//! ```
//! use std::net::{Ipv4Addr, SocketAddrV4};
//! use samplegen::{addr, Dir, LinkPair, LinkType, PcapHeader, PcapWriter, Recorder, TcpConn,
//!     TcpConnConfig, BASE_TIME};
//!
//! let pcap = PcapWriter::new(Vec::new(), PcapHeader::new(LinkType::ETHERNET))?;
//! let mut rec = Recorder::new(pcap, BASE_TIME);
//! let mut conn = TcpConn::v4(
//!     SocketAddrV4::new(addr::client_v4(10), 40000),
//!     SocketAddrV4::new(addr::server_v4(80), 80),
//!     LinkPair::ethernet(addr::mac(1), addr::mac(2), &[]),
//!     TcpConnConfig::linux(1),
//! );
//! conn.handshake(&mut rec)?;
//! conn.send(&mut rec, Dir::ToServer, b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")?;
//! conn.close(&mut rec, Dir::ToServer)?;
//! assert_eq!(rec.count(), 8);
//! let bytes = rec.into_inner().finish()?;
//! assert_eq!(&bytes[..4], [0xd4, 0xc3, 0xb2, 0xa1]);
//! # Ok::<(), std::io::Error>(())
//! ```

#![forbid(unsafe_code)]

pub mod addr;
pub mod arp;
pub mod big;
pub mod checksum;
pub mod conn;
pub mod dns;
pub mod flowlogs;
pub mod gzip;
pub mod http;
pub mod icmp;
pub mod ipv4;
pub mod ipv6;
pub mod link;
pub mod packet;
pub mod pcap;
pub mod pcapng;
pub mod rng;
pub mod samples;
pub mod sink;
pub mod tcp;
pub mod time;
pub mod tls;
pub mod udp;

pub use arp::Arp;
pub use conn::{Dir, TcpConn, TcpConnConfig};
pub use icmp::Icmp;
pub use ipv4::Ipv4;
pub use ipv6::{Ipv6, Ipv6Ext, Ipv6Option};
pub use link::{Link, LinkPair, LinkType, MacAddr, VlanTag};
pub use packet::{frame, frame_arp, frame_ip, icmp_frame, udp_frame, FrameBuilder, Ip, Transport};
pub use pcap::{Endian, PcapHeader, PcapWriter, TsResolution};
pub use pcapng::{Interface, PcapngWriter};
pub use rng::SplitMix64;
pub use sink::{PacketSink, Recorder};
pub use tcp::{Tcp, TcpFlags, TcpOption};
pub use time::{Timestamp, BASE_TIME};
pub use udp::Udp;
