//! Decoding speed: [`decode::decode`] over frames already in memory, one group per layer mix.
//!
//! The inputs are built once, outside the timed loops:
//!
//! * 100 000 frames of the deterministic mixed capture from [`samplegen::big`] (seed 1): HTTPS,
//!   HTTP, SSH, database-like TCP, refused connections, DNS, NTP, ICMP/ICMPv6, ARP; about 15 %
//!   IPv6 and 20 % 802.1Q-tagged. Groups: `decode_mixed` (every frame) and the slices
//!   `decode_tcp`, `decode_udp`, `decode_ipv6`, `decode_vlan` and `decode_arp_icmp`, chosen by
//!   decoding each frame once beforehand. These frames fill about 50 MB, far more than the CPU
//!   caches, so each frame's headers are a cache miss that these groups pay for;
//! * `decode_mixed_hot`: the first 2 000 of those frames, whose headers stay in cache from one
//!   iteration to the next. This is the cost of decoding alone, as when a reader has just
//!   touched the frame (in `capture_file`, the framing code pays for the miss);
//! * `decode_tls13_sni`: the frames of the real capture `sample-pcaps/tls13-sni.pcap`;
//! * `decode_sample_pcaps`: every frame of every file in `sample-pcaps/` (Linux SLL/SLL2, BSD
//!   loopback, QinQ, IPv6 extension headers, truncated frames...), read until the end or the
//!   first error.
//!
//! Each group has two benchmarks timing the same loop: `per_packet` reports packets per second
//! (`Throughput::Elements`), `bytes` reports bytes per second (`Throughput::Bytes`, the sum of
//! the captured frame lengths). One iteration decodes every frame of the input once.
//!
//! Run with `cargo bench -p benches --bench decode` (add a filter such as `decode_tcp` to run
//! one group).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use capture::{FileSource, PacketSource};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use decode::{decode, DecodedPacket, LinkType, Net, Transport};
use samplegen::big::{self, BigConfig};

/// Frames generated for the `samplegen` groups.
const PACKETS: u64 = 100_000;

/// Frames in `decode_mixed_hot`: few enough that the headers decode touches stay in L2.
const HOT_PACKETS: usize = 2_000;

/// The frames of a capture, copied back to back into one buffer.
struct Frames {
    arena: Vec<u8>,
    frames: Vec<(LinkType, Range<usize>)>,
}

impl Frames {
    fn new() -> Self {
        Self {
            arena: Vec::new(),
            frames: Vec::new(),
        }
    }

    fn push(&mut self, link: LinkType, data: &[u8]) {
        let start = self.arena.len();
        self.arena.extend_from_slice(data);
        self.frames.push((link, start..self.arena.len()));
    }

    /// Appends every frame of `source` until its end or its first error.
    fn read_all(&mut self, source: &mut FileSource) {
        while let Ok(Some(pkt)) = source.next_packet() {
            self.push(pkt.link, pkt.data);
        }
    }

    /// The frames for which `keep` holds.
    fn only(&self, keep: impl Fn(&DecodedPacket<'_>) -> bool) -> Self {
        let mut out = Self::new();
        for (link, data) in self.slices() {
            if keep(&decode(link, data)) {
                out.push(link, data);
            }
        }
        out
    }

    /// The first `n` frames.
    fn first(&self, n: usize) -> Self {
        let mut out = Self::new();
        for (link, data) in self.slices().into_iter().take(n) {
            out.push(link, data);
        }
        out
    }

    /// One `(link type, frame)` pair per frame, borrowing the arena.
    fn slices(&self) -> Vec<(LinkType, &[u8])> {
        self.frames
            .iter()
            .map(|(link, range)| (*link, &self.arena[range.clone()]))
            .collect()
    }
}

/// The first `PACKETS` frames of the benchmark capture.
fn generated() -> Frames {
    let mut pcap = Vec::new();
    big::write(
        &mut pcap,
        &BigConfig {
            packets: PACKETS,
            seed: 1,
        },
    )
    .unwrap();
    let mut source = FileSource::from_bytes("big.pcap", pcap).unwrap();
    let mut frames = Frames::new();
    frames.read_all(&mut source);
    assert_eq!(frames.frames.len() as u64, PACKETS);
    frames
}

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-pcaps")
}

fn sample(name: &str) -> Frames {
    let mut source = FileSource::open(&sample_dir().join(name)).unwrap();
    let mut frames = Frames::new();
    frames.read_all(&mut source);
    assert!(!frames.frames.is_empty(), "{name} has no frames");
    frames
}

/// Every frame of every capture in `sample-pcaps/`, in file-name order.
fn all_samples() -> Frames {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(sample_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".pcap") || name.ends_with(".pcapng") || name.ends_with(".pcap.gz")
        })
        .collect();
    paths.sort();
    let mut frames = Frames::new();
    for path in paths {
        // Some samples are deliberately malformed: keep whatever frames they yield.
        if let Ok(mut source) = FileSource::open(&path) {
            frames.read_all(&mut source);
        }
    }
    frames
}

/// One group: the same decode loop reported per packet and per byte.
fn bench_group(c: &mut Criterion, name: &str, frames: &Frames) {
    let slices = frames.slices();
    let bytes: u64 = slices.iter().map(|(_, d)| d.len() as u64).sum();
    let decode_all = || {
        for &(link, data) in &slices {
            black_box(decode(black_box(link), black_box(data)));
        }
    };
    let mut group = c.benchmark_group(name);
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Elements(slices.len() as u64));
    group.bench_function("per_packet", |b| b.iter(decode_all));
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("bytes", |b| b.iter(decode_all));
    group.finish();
}

fn is_tcp(p: &DecodedPacket<'_>) -> bool {
    matches!(p.transport, Some(Transport::Tcp(_)))
}

fn is_udp(p: &DecodedPacket<'_>) -> bool {
    matches!(p.transport, Some(Transport::Udp(_)))
}

fn is_ipv6(p: &DecodedPacket<'_>) -> bool {
    matches!(p.net, Some(Net::Ipv6(_)))
}

fn is_vlan(p: &DecodedPacket<'_>) -> bool {
    !p.vlans.is_empty()
}

fn is_arp_icmp(p: &DecodedPacket<'_>) -> bool {
    matches!(p.net, Some(Net::Arp(_)))
        || matches!(
            p.transport,
            Some(Transport::Icmpv4(_) | Transport::Icmpv6(_))
        )
}

fn benches(c: &mut Criterion) {
    let mixed = generated();
    bench_group(c, "decode_mixed", &mixed);
    bench_group(c, "decode_mixed_hot", &mixed.first(HOT_PACKETS));
    bench_group(c, "decode_tcp", &mixed.only(is_tcp));
    bench_group(c, "decode_udp", &mixed.only(is_udp));
    bench_group(c, "decode_ipv6", &mixed.only(is_ipv6));
    bench_group(c, "decode_vlan", &mixed.only(is_vlan));
    bench_group(c, "decode_arp_icmp", &mixed.only(is_arp_icmp));
    bench_group(c, "decode_tls13_sni", &sample("tls13-sni.pcap"));
    bench_group(c, "decode_sample_pcaps", &all_samples());
}

criterion_group!(decode_benches, benches);
criterion_main!(decode_benches);
