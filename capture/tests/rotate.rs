//! tcpdump's `-w FILE -C -G -W`, checked by reading every file produced back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use capture::{
    CaptureError, FileSource, PacketRef, PcapWriter, RotatingWriter, Rotation, Timestamp,
    TsPrecision, WriteOutcome,
};
use common::{drain, TempDir};
use decode::LinkType;

/// Frame `i` carries 100 bytes of `i` (116 bytes in a pcap file), at `secs`.
fn packet(i: u8, secs: i64, data: &mut [u8; 100]) -> PacketRef<'_> {
    data.fill(i);
    PacketRef {
        frame: u64::from(i) + 1,
        ts: Timestamp::new(secs, 0),
        caplen: 100,
        origlen: 100,
        link: LinkType::Ethernet,
        interface: 0,
        data,
    }
}

/// The first byte of each frame of a file.
fn contents(path: &Path) -> Vec<u8> {
    let mut src = FileSource::open(path).unwrap();
    let (frames, err) = drain(&mut src);
    assert!(err.is_none(), "{err:?}");
    frames.iter().map(|f| f.data[0]).collect()
}

fn names(dir: &TempDir, files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
        .collect()
}

#[test]
fn no_rotation_writes_one_file() {
    let dir = TempDir::new("rot1");
    let base = dir.path().join("out.pcap");
    let mut w = RotatingWriter::new(&base, LinkType::Ethernet, 0, Rotation::default()).unwrap();
    let mut buf = [0; 100];
    for i in 0..5 {
        assert_eq!(
            w.write(&packet(i, 1000, &mut buf)).unwrap(),
            WriteOutcome::Continue
        );
    }
    w.finish().unwrap();
    assert_eq!(names(&dir, w.files_written()), ["out.pcap"]);
    assert_eq!(contents(&base), [0, 1, 2, 3, 4]);
    let src = FileSource::open(&base).unwrap();
    assert_eq!(src.snaplen(), Some(262_144), "snaplen 0 means 262144");
}

#[test]
fn size_rotation_numbers_files_from_1() {
    let dir = TempDir::new("rotC");
    let base = dir.path().join("cap");
    // 24-byte header + 3 frames of 116 bytes = 372: the 4th frame would exceed 400.
    let rotation = Rotation {
        size_bytes: Some(400),
        ..Rotation::default()
    };
    let mut w = RotatingWriter::new(&base, LinkType::Ethernet, 65_535, rotation).unwrap();
    let mut buf = [0; 100];
    for i in 0..10 {
        assert_eq!(
            w.write(&packet(i, 1000, &mut buf)).unwrap(),
            WriteOutcome::Continue
        );
    }
    w.finish().unwrap();
    assert_eq!(
        names(&dir, w.files_written()),
        ["cap", "cap1", "cap2", "cap3"]
    );
    let all: Vec<Vec<u8>> = w.files_written().iter().map(|p| contents(p)).collect();
    assert_eq!(all, [vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8], vec![9]]);
    for p in w.files_written() {
        assert!(std::fs::metadata(p).unwrap().len() <= 400);
    }
}

#[test]
fn a_packet_larger_than_the_size_still_gets_a_file() {
    let dir = TempDir::new("rotbig");
    let base = dir.path().join("cap");
    let rotation = Rotation {
        size_bytes: Some(10),
        ..Rotation::default()
    };
    let mut w = RotatingWriter::new(&base, LinkType::Ethernet, 0, rotation).unwrap();
    let mut buf = [0; 100];
    for i in 0..3 {
        assert_eq!(
            w.write(&packet(i, 1, &mut buf)).unwrap(),
            WriteOutcome::Continue
        );
    }
    w.finish().unwrap();
    let all: Vec<Vec<u8>> = w.files_written().iter().map(|p| contents(p)).collect();
    assert_eq!(all, [vec![0], vec![1], vec![2]]);
}

#[test]
fn size_rotation_with_a_file_count_is_a_ring() {
    let dir = TempDir::new("rotW");
    let base = dir.path().join("ring.pcap");
    let rotation = Rotation {
        size_bytes: Some(400),
        seconds: None,
        files: Some(3),
    };
    let mut w = RotatingWriter::new(&base, LinkType::Ethernet, 0, rotation).unwrap();
    let mut buf = [0; 100];
    for i in 0..14 {
        assert_eq!(
            w.write(&packet(i, 1, &mut buf)).unwrap(),
            WriteOutcome::Continue
        );
    }
    w.finish().unwrap();
    assert_eq!(
        names(&dir, w.files_written()),
        ["ring.pcap0", "ring.pcap1", "ring.pcap2"]
    );
    // Files: 0-2, 3-5, 6-8, then 9-11 overwrite file 0, 12-13 overwrite file 1.
    assert_eq!(contents(&dir.path().join("ring.pcap0")), [9, 10, 11]);
    assert_eq!(contents(&dir.path().join("ring.pcap1")), [12, 13]);
    assert_eq!(contents(&dir.path().join("ring.pcap2")), [6, 7, 8]);
    assert_eq!(
        w.current_path(),
        Some(dir.path().join("ring.pcap1").as_path())
    );
}

#[test]
fn ring_numbers_are_padded_to_the_width_of_the_count() {
    let dir = TempDir::new("rotpad");
    let base = dir.path().join("r");
    let rotation = Rotation {
        size_bytes: Some(1),
        seconds: None,
        files: Some(11),
    };
    let mut w = RotatingWriter::new(&base, LinkType::Ethernet, 0, rotation).unwrap();
    let mut buf = [0; 100];
    for i in 0..12 {
        assert_eq!(
            w.write(&packet(i, 1, &mut buf)).unwrap(),
            WriteOutcome::Continue
        );
    }
    w.finish().unwrap();
    let got = names(&dir, w.files_written());
    assert_eq!(got.len(), 11);
    assert_eq!(got[0], "r00");
    assert_eq!(got[10], "r10");
    assert_eq!(contents(&dir.path().join("r00")), [11]);
    // -W 1: always the same file, no number.
    let base = dir.path().join("one");
    let rotation = Rotation {
        size_bytes: Some(1),
        seconds: None,
        files: Some(1),
    };
    let mut w = RotatingWriter::new(&base, LinkType::Ethernet, 0, rotation).unwrap();
    for i in 0..3 {
        assert_eq!(
            w.write(&packet(i, 1, &mut buf)).unwrap(),
            WriteOutcome::Continue
        );
    }
    w.finish().unwrap();
    assert_eq!(names(&dir, w.files_written()), ["one"]);
    assert_eq!(contents(&base), [2]);
}

#[test]
fn time_rotation_names_files_with_strftime_of_packet_time() {
    let dir = TempDir::new("rotG");
    let template = dir.path().join("cap-%Y%m%d-%H%M%S.pcap");
    let rotation = Rotation {
        seconds: Some(60),
        ..Rotation::default()
    };
    let mut w = RotatingWriter::new(&template, LinkType::Ethernet, 0, rotation).unwrap();
    assert!(
        w.files_written().is_empty(),
        "with -G the first file waits for the first packet"
    );
    let t0 = 1_700_000_000; // 2023-11-14 22:13:20 UTC
    let mut buf = [0; 100];
    for (i, dt) in [0, 10, 59, 60, 61, 200, 200].into_iter().enumerate() {
        let out = w.write(&packet(i as u8, t0 + dt, &mut buf)).unwrap();
        assert_eq!(out, WriteOutcome::Continue);
    }
    w.finish().unwrap();
    assert_eq!(
        names(&dir, w.files_written()),
        [
            "cap-20231114-221320.pcap",
            "cap-20231114-221420.pcap",
            "cap-20231114-221640.pcap"
        ]
    );
    let all: Vec<Vec<u8>> = w.files_written().iter().map(|p| contents(p)).collect();
    assert_eq!(all, [vec![0, 1, 2], vec![3, 4], vec![5, 6]]);
}

#[test]
fn time_rotation_with_a_file_count_stops() {
    let dir = TempDir::new("rotGW");
    let template = dir.path().join("%s.pcap");
    let rotation = Rotation {
        seconds: Some(10),
        size_bytes: None,
        files: Some(2),
    };
    let mut w = RotatingWriter::new(&template, LinkType::Ethernet, 0, rotation).unwrap();
    let mut buf = [0; 100];
    assert_eq!(
        w.write(&packet(0, 100, &mut buf)).unwrap(),
        WriteOutcome::Continue
    );
    assert_eq!(
        w.write(&packet(1, 110, &mut buf)).unwrap(),
        WriteOutcome::Continue
    );
    assert_eq!(
        w.write(&packet(2, 115, &mut buf)).unwrap(),
        WriteOutcome::Continue
    );
    // A third period would start: tcpdump exits, this packet is not written.
    assert_eq!(
        w.write(&packet(3, 120, &mut buf)).unwrap(),
        WriteOutcome::Done
    );
    assert_eq!(
        w.write(&packet(4, 121, &mut buf)).unwrap(),
        WriteOutcome::Done
    );
    w.finish().unwrap();
    assert_eq!(names(&dir, w.files_written()), ["100.pcap", "110.pcap"]);
    assert_eq!(contents(&dir.path().join("110.pcap")), [1, 2]);
}

#[test]
fn time_and_size_rotation_together() {
    let dir = TempDir::new("rotGC");
    let template = dir.path().join("%H%M%S-");
    let rotation = Rotation {
        seconds: Some(60),
        size_bytes: Some(300),
        files: None,
    };
    let mut w = RotatingWriter::new(&template, LinkType::Ethernet, 0, rotation).unwrap();
    let mut buf = [0; 100];
    // 24 + 2 * 116 = 256 fits in 300, a third frame does not.
    for (i, secs) in [0, 1, 2, 3, 60, 61, 62].into_iter().enumerate() {
        assert_eq!(
            w.write(&packet(i as u8, secs, &mut buf)).unwrap(),
            WriteOutcome::Continue
        );
    }
    w.finish().unwrap();
    assert_eq!(
        names(&dir, w.files_written()),
        ["000000-", "000000-1", "000100-", "000100-1"]
    );
    let all: Vec<Vec<u8>> = w.files_written().iter().map(|p| contents(p)).collect();
    assert_eq!(all, [vec![0, 1], vec![2, 3], vec![4, 5], vec![6]]);
}

#[test]
fn finish_without_packets_still_creates_the_file() {
    let dir = TempDir::new("rotempty");
    let template = dir.path().join("empty.pcap");
    let rotation = Rotation {
        seconds: Some(60),
        ..Rotation::default()
    };
    let mut w = RotatingWriter::new(&template, LinkType::LinuxSll2, 0, rotation).unwrap();
    w.finish().unwrap();
    assert_eq!(names(&dir, w.files_written()), ["empty.pcap"]);
    let src = FileSource::open(&template).unwrap();
    assert_eq!(src.link_type(), Some(LinkType::LinuxSll2));
}

#[test]
fn mixed_link_types_cannot_go_into_one_pcap() {
    let dir = TempDir::new("rotlink");
    let base = dir.path().join("one.pcap");
    let mut w = RotatingWriter::new(&base, LinkType::Ethernet, 0, Rotation::default()).unwrap();
    let mut buf = [0; 100];
    assert_eq!(
        w.write(&packet(0, 1, &mut buf)).unwrap(),
        WriteOutcome::Continue
    );
    let mut other = packet(1, 2, &mut buf);
    other.link = LinkType::LinuxSll2;
    let err = w.write(&other).unwrap_err();
    assert!(matches!(err, CaptureError::Unwritable { frame: 2, .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: cannot write frame 2: its link type is LINUX_SLL2 but the file holds EN10MB: a pcap file has a single link type, and this input mixes several (write each interface to its own file)",
            base.display()
        )
    );
    w.finish().unwrap();
    assert_eq!(contents(&base), [0]);
}

#[test]
fn timestamps_outside_pcap_range_are_refused() {
    let mut w =
        PcapWriter::new(Vec::new(), "mem", LinkType::Ethernet, 0, TsPrecision::Micro).unwrap();
    let mut buf = [0; 100];
    for secs in [-1, 1 << 32] {
        let err = w.write(&packet(0, secs, &mut buf)).unwrap_err();
        assert!(
            err.to_string()
                .contains("is outside what a pcap file can hold"),
            "{err}"
        );
    }
    assert_eq!(w.packets_written(), 0);
}

#[test]
fn unwritable_directory_is_a_write_error() {
    let dir = TempDir::new("rotnodir");
    let base = dir.path().join("missing-dir").join("x.pcap");
    let err = RotatingWriter::new(&base, LinkType::Ethernet, 0, Rotation::default()).unwrap_err();
    assert!(matches!(err, CaptureError::Write { .. }));
    assert_eq!(err.to_string(), format!("cannot write {}", base.display()));
}
