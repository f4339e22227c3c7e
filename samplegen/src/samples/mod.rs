//! The catalogue of sample captures shipped in `sample-pcaps/`.
//!
//! `samplegen samples DIR` writes every [`Sample`] of [`generate_all`] into
//! `DIR`; `sample-pcaps/README.md` documents each file frame by frame.

use std::fs;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use crate::conn::TcpConnConfig;
use crate::icmp::Icmp;
use crate::link::Link;
use crate::packet::{icmp_frame, udp_frame};
use crate::pcap::{PcapHeader, PcapWriter};
use crate::sink::Recorder;
use crate::time::BASE_TIME;

mod ip;
mod link;
mod malformed;
mod mixed;
mod quic;
mod tls;

pub use malformed::CORRUPT_RECORD_HEADER;
pub use mixed::MIXED_SNI;
pub use quic::{QUIC_CLIENT_PORT, QUIC_SNI};
pub use tls::{SNI_THREE_PARTS, SNI_TWO_PARTS, SNI_WHOLE};

/// One generated sample file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// File name inside `sample-pcaps/`.
    pub name: &'static str,
    /// One line on what the file exercises.
    pub summary: &'static str,
    /// The file contents.
    pub bytes: Vec<u8>,
}

/// Every generated sample, in a fixed order.
///
/// # Errors
///
/// Only if building in memory fails, which does not happen in practice
/// (the writers are fallible because they accept any `io::Write`).
pub fn generate_all() -> io::Result<Vec<Sample>> {
    let mixed = mixed::packets()?;
    let s = |name, summary, bytes| Sample {
        name,
        summary,
        bytes,
    };
    Ok(vec![
        s("vlan-qinq.pcap", "802.1Q, QinQ (0x88a8 + 0x8100) and triple-tagged TCP/UDP/ICMP", link::vlan_qinq()?),
        s("ipv6-ext.pcap", "IPv6 hop-by-hop, destination options, routing (SRH, RH0) and fragment headers; TCP, UDP, ICMPv6, ND, MLD", ip::ipv6_ext()?),
        s("sll.pcap", "LINKTYPE_LINUX_SLL (113): IPv4/IPv6 TCP and UDP, ICMP, ARP", link::sll()?),
        s("sll2.pcap", "LINKTYPE_LINUX_SLL2 (276): IPv4/IPv6 TCP and UDP, ICMP, ARP", link::sll2()?),
        s("two-linktypes.pcapng", "pcapng with an Ethernet (µs) and a raw-IP (ns) interface, interleaved", link::two_linktypes()?),
        s("snaplen-64.pcap", "every frame cut to 64 captured bytes (like tcpdump -s 64)", ip::snaplen_64()?),
        s("corrupt-record.pcap", "5 good frames, then a record header with an impossible length", malformed::corrupt_record()?),
        s("truncated-tail.pcap", "5 good frames, then a frame cut off by the end of the file", malformed::truncated_tail()?),
        s("tls-split-clienthello.pcap", "TLS ClientHello split over 2 segments, and over 3 segments out of order", tls::split_clienthello()?),
        s("mixed.pcap.gz", "gzip-compressed little-endian µs pcap of a bit of everything", mixed::gzipped(&mixed)?),
        s("mixed-be-ns.pcap", "the same packets as mixed.pcap.gz, big-endian with nanosecond magic", mixed::big_endian_nanos(&mixed)?),
        s("arp-icmp.pcap", "ARP, ICMP echo / unreachable / time exceeded / frag needed, IPv4 fragments", ip::arp_icmp()?),
        s("null-loopback.pcap", "LINKTYPE_NULL (BSD loopback) with IPv4 and IPv6", link::null_loopback()?),
        s("quic-initial.pcap", "QUIC v1 client Initial of RFC 9001 A.2 (ClientHello for example.com)", quic::quic_initial()?),
    ])
}

/// Writes every sample into `dir` (created if missing) and returns the paths.
///
/// # Errors
///
/// Any error creating `dir` or writing a file.
pub fn write_all(dir: &Path) -> io::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir)?;
    let mut paths = Vec::new();
    for s in generate_all()? {
        let p = dir.join(s.name);
        fs::write(&p, &s.bytes)?;
        paths.push(p);
    }
    Ok(paths)
}

type Rec = Recorder<PcapWriter<Vec<u8>>>;

/// Builds a pcap file in memory with `header`, starting at [`BASE_TIME`].
fn pcap(header: PcapHeader, build: impl FnOnce(&mut Rec) -> io::Result<()>) -> io::Result<Vec<u8>> {
    let mut rec = Recorder::new(PcapWriter::new(Vec::new(), header)?, BASE_TIME);
    build(&mut rec)?;
    rec.into_inner().finish()
}

/// Linux-like TCP parameters from `seed`, with a 1 ms one-way delay.
fn cfg(seed: u64) -> TcpConnConfig {
    TcpConnConfig::linux(seed)
}

/// A UDP request and its answer `half_rtt_us` × 2 later.
fn udp_exchange(
    rec: &mut Rec,
    links: (&Link, &Link),
    client: SocketAddr,
    server: SocketAddr,
    request: &[u8],
    answer: &[u8],
    half_rtt_us: u64,
) -> io::Result<()> {
    rec.emit(&udp_frame(links.0, client, server, request))?;
    rec.advance_micros(2 * half_rtt_us);
    rec.emit(&udp_frame(links.1, server, client, answer))
}

/// An echo request from `client` and the reply (ICMP or ICMPv6 by family).
fn ping(
    rec: &mut Rec,
    links: (&Link, &Link),
    client: IpAddr,
    server: IpAddr,
    id: u16,
    seq: u16,
) -> io::Result<()> {
    let data: Vec<u8> = (0u8..56).collect();
    let (req, rep) = match client {
        IpAddr::V4(_) => (Icmp::echo_request(id, seq), Icmp::echo_reply(id, seq)),
        IpAddr::V6(_) => (Icmp::v6_echo_request(id, seq), Icmp::v6_echo_reply(id, seq)),
    };
    rec.emit(&icmp_frame(links.0, client, server, &req, &data))?;
    rec.advance_micros(800);
    rec.emit(&icmp_frame(links.1, server, client, &rep, &data))
}
