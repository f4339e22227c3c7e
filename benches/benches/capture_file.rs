//! Reading a whole capture file from disk, ours against libpcap's.
//!
//! Once per run, a 300 000-packet mixed capture (about 170 MB; [`samplegen::big`], seed 1) is
//! written to a temporary file in [`std::env::temp_dir`]; it is removed at the end. Being freshly
//! written, it is in the page cache, so these figures measure parsing and copying, not the
//! disk. Set `FLOWSLEUTH_BENCH_PACKETS` to change the packet count.
//!
//! One iteration opens the file and reads every frame; the benchmarks of the `read_file` group
//! differ in how:
//!
//! * `stream`: [`FileSource::open`] (`read(2)` into a reused 256 KiB buffer; a memory-mapped
//!   mode measured slower here and was removed, see benches/README.md);
//! * `stream+decode`: the same, plus [`decode::decode`] of every frame (what
//!   `flowsleuth read --summary` does, minus the tally);
//! * `libpcap`: the peer, libpcap's own offline reader (`pcap_next_ex` through
//!   `pcap::Capture::from_file`), which is what `tcpdump -r F -w /dev/null` spends its time on;
//! * `libpcap+decode`: libpcap's reader feeding [`decode::decode`].
//!
//! Throughput is the file size in bytes. Samples are few and long (10 samples, 10 s) so that the
//! whole benchmark takes a few minutes: `cargo bench -p benches --bench capture_file`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use capture::{FileSource, PacketSource};
use criterion::{Criterion, Throughput};
use decode::LinkType;
use samplegen::big::{self, BigConfig};

/// Packets in the capture unless `FLOWSLEUTH_BENCH_PACKETS` says otherwise.
const DEFAULT_PACKETS: u64 = 300_000;

/// What to do with each frame read.
#[derive(Clone, Copy)]
enum Work {
    /// Nothing: only frame the file.
    Read,
    /// Decode it.
    Decode,
}

/// Who reads the file.
#[derive(Clone, Copy)]
enum Reader {
    /// [`FileSource::open`].
    Ours,
    /// libpcap.
    Libpcap,
}

/// The generated capture; deleted on drop.
struct TempCapture {
    path: PathBuf,
    size: u64,
    packets: u64,
}

impl TempCapture {
    fn create() -> Self {
        let packets = std::env::var("FLOWSLEUTH_BENCH_PACKETS")
            .ok()
            .map_or(DEFAULT_PACKETS, |s| {
                s.parse().expect("FLOWSLEUTH_BENCH_PACKETS")
            });
        let path = std::env::temp_dir().join(format!(
            "flowsleuth-bench-{packets}-{}.pcap",
            std::process::id()
        ));
        let stats = big::write_file(&path, &BigConfig { packets, seed: 1 }, false).unwrap();
        assert_eq!(stats.packets, packets);
        let size = std::fs::metadata(&path).unwrap().len();
        Self {
            path,
            size,
            packets,
        }
    }
}

impl Drop for TempCapture {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Reads the whole file with [`FileSource`]; returns the number of frames.
fn read_ours(path: &Path, work: Work) -> u64 {
    let mut source = FileSource::open(path).unwrap();
    let mut frames = 0;
    while let Some(pkt) = source.next_packet().unwrap() {
        match work {
            Work::Read => {
                black_box(pkt);
            }
            Work::Decode => {
                black_box(decode::decode(pkt.link, pkt.data));
            }
        }
        frames += 1;
    }
    frames
}

/// Reads the whole file with libpcap; returns the number of frames.
fn read_libpcap(path: &Path, work: Work) -> u64 {
    let mut cap = pcap::Capture::from_file(path).unwrap();
    assert_eq!(cap.get_datalink(), pcap::Linktype::ETHERNET);
    let mut frames = 0;
    loop {
        match cap.next_packet() {
            Ok(pkt) => match work {
                Work::Read => {
                    black_box(pkt);
                }
                Work::Decode => {
                    black_box(decode::decode(LinkType::Ethernet, pkt.data));
                }
            },
            Err(pcap::Error::NoMorePackets) => break,
            Err(e) => panic!("libpcap: {e}"),
        }
        frames += 1;
    }
    frames
}

fn bench_read(c: &mut Criterion, file: &TempCapture) {
    let path = file.path.as_path();
    let mut group = c.benchmark_group("read_file");
    group.throughput(Throughput::Bytes(file.size));
    let cases = [
        ("stream", Reader::Ours, Work::Read),
        ("libpcap", Reader::Libpcap, Work::Read),
        ("stream+decode", Reader::Ours, Work::Decode),
        ("libpcap+decode", Reader::Libpcap, Work::Decode),
    ];
    for (name, reader, work) in cases {
        group.bench_function(name, |b| {
            b.iter(|| {
                let frames = match reader {
                    Reader::Ours => read_ours(path, work),
                    Reader::Libpcap => read_libpcap(path, work),
                };
                assert_eq!(frames, file.packets);
            });
        });
    }
    group.finish();
}

fn main() {
    let file = TempCapture::create();
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10))
        .configure_from_args();
    bench_read(&mut c, &file);
    c.final_summary();
}
