//! The read → decode loop allocates nothing per packet: after the first frame (which may size
//! the stream buffer and the pcapng interface table), every further frame of every shipped
//! sample and of a 20,000-packet generated capture is read and decoded with allocation
//! forbidden on this thread, through the memory map and through the streaming reader.
//!
//! Only debug builds count (assert_no_alloc's design), which is what `cargo test` runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use assert_no_alloc::{assert_no_alloc, reset_violation_count, violation_count, AllocDisabler};
use capture::{FileSource, PacketSource};

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

/// Reads and decodes every frame after the first with allocation forbidden; returns the number
/// of frames and how many allocations were seen.
fn count_allocations(mut source: FileSource) -> (u64, u32) {
    // The first frame may allocate (buffers sized once, interface tables).
    let Some(first) = source.next_packet().unwrap() else {
        return (0, 0);
    };
    std::hint::black_box(decode::decode(first.link, first.data));
    reset_violation_count();
    let (frames, allocations) = assert_no_alloc(|| {
        let mut frames = 1u64;
        let mut allocations = 0;
        // The corrupt samples end with an error, which may allocate its message: count only
        // what happened up to the last good frame.
        while let Ok(Some(pkt)) = source.next_packet() {
            let d = decode::decode(pkt.link, pkt.data);
            std::hint::black_box(&d);
            frames += 1;
            allocations = violation_count();
        }
        (frames, allocations)
    });
    (frames, allocations)
}

fn samples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-pcaps");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "pcap" || e == "pcapng" || e == "gz")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn reading_and_decoding_samples_allocates_nothing_per_packet() {
    for file in samples() {
        let bytes = std::fs::read(&file).unwrap();
        for (way, src) in [
            ("streamed", FileSource::open(&file).unwrap()),
            ("in place", FileSource::from_bytes(&file, bytes).unwrap()),
        ] {
            let (frames, allocations) = count_allocations(src);
            assert!(frames > 0, "{}", file.display());
            assert_eq!(
                allocations,
                0,
                "{} ({way}): {allocations} allocations over {frames} frames",
                file.display()
            );
        }
    }
}

#[test]
fn reading_and_decoding_a_large_capture_allocates_nothing_per_packet() {
    let mut bytes = Vec::new();
    let cfg = samplegen::big::BigConfig {
        packets: 20_000,
        seed: 7,
    };
    samplegen::big::write(&mut bytes, &cfg).unwrap();
    let path = std::env::temp_dir().join(format!("flowsleuth-noalloc-{}.pcap", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let (frames, allocations) = count_allocations(FileSource::open(&path).unwrap());
    assert_eq!((frames, allocations), (20_000, 0));
    let (frames, allocations) = count_allocations(FileSource::from_bytes("big", bytes).unwrap());
    assert_eq!((frames, allocations), (20_000, 0));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn the_counter_sees_allocations() {
    reset_violation_count();
    let v = assert_no_alloc(|| vec![1u8; 64]);
    assert!(
        violation_count() > 0,
        "an allocation went unseen: this test would prove nothing"
    );
    reset_violation_count();
    drop(v);
}
