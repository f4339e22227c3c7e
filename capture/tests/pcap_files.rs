//! Legacy pcap files: both byte orders, both precisions, gzip, bad input of every kind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::time::Instant;

use capture::{
    CaptureError, FileFormat, FileSource, PacketRef, PacketSource, PcapWriter, Timestamp,
    TsPrecision,
};
use common::{drain, gzip, read_every_way, Endian, Pcap, TempDir};
use decode::LinkType;
use proptest::prelude::*;

fn pkt(frame: u64, ts: Timestamp, origlen: u32, data: &[u8]) -> PacketRef<'_> {
    PacketRef {
        frame,
        ts,
        caplen: data.len() as u32,
        origlen,
        link: LinkType::Ethernet,
        interface: 0,
        data,
    }
}

fn three_frames() -> Vec<(Timestamp, u32, Vec<u8>)> {
    vec![
        (
            Timestamp::new(1_700_000_000, 123_456_789),
            60,
            vec![0xaa; 60],
        ),
        (Timestamp::new(1_700_000_001, 0), 1514, vec![0xbb; 100]),
        (Timestamp::new(1_700_000_002, 999_999_999), 0, vec![]),
    ]
}

#[test]
fn pcap_writer_round_trips_in_both_precisions_and_modes() {
    let dir = TempDir::new("roundtrip");
    for precision in [TsPrecision::Micro, TsPrecision::Nano] {
        let path = dir.path().join(format!("{precision:?}.pcap"));
        let mut w = PcapWriter::create(&path, LinkType::Ethernet, 65_535, precision).unwrap();
        for (i, (ts, origlen, data)) in three_frames().iter().enumerate() {
            w.write(&pkt(i as u64 + 1, *ts, *origlen, data)).unwrap();
        }
        assert_eq!(w.packets_written(), 3);
        assert_eq!(
            w.bytes_written(),
            std::fs::metadata(&path).map(|_| 24 + 3 * 16 + 160).unwrap()
        );
        drop(w.into_inner().unwrap());
        let bytes = std::fs::read(&path).unwrap();
        for in_place in [true, false] {
            let mut src = if in_place {
                FileSource::from_bytes(&path, bytes.clone()).unwrap()
            } else {
                FileSource::open(&path).unwrap()
            };
            assert_eq!(src.is_streamed(), !in_place);
            assert_eq!(src.link_type(), Some(LinkType::Ethernet));
            assert_eq!(src.snaplen(), Some(65_535));
            assert_eq!(src.total_bytes(), Some(24 + 3 * 16 + 160));
            assert!(matches!(
                src.format(),
                FileFormat::Pcap { nanos, gzip: false, .. } if nanos == (precision == TsPrecision::Nano)
            ));
            let (frames, err) = drain(&mut src);
            assert!(err.is_none());
            assert_eq!(src.bytes_read(), 24 + 3 * 16 + 160);
            assert_eq!(frames.len(), 3);
            for (got, (ts, origlen, data)) in frames.iter().zip(three_frames()) {
                let want_ts = match precision {
                    TsPrecision::Micro => Timestamp::new(ts.secs, ts.nanos / 1000 * 1000),
                    TsPrecision::Nano => ts,
                };
                assert_eq!(got.ts, want_ts);
                assert_eq!(got.origlen, origlen);
                assert_eq!(got.data, data);
                assert_eq!((got.link, got.interface), (LinkType::Ethernet, 0));
            }
        }
    }
}

#[test]
fn hand_built_files_in_every_byte_order_and_precision() {
    for e in [Endian::Little, Endian::Big] {
        for nanos in [false, true] {
            let frac = if nanos { 123_456_789 } else { 123_456 };
            let bytes = Pcap::new(e, nanos, 1, 262_144)
                .record(1_600_000_000, frac, 1500, &[1, 2, 3, 4])
                .record(u32::MAX, 0, 5, &[9; 5])
                .bytes;
            let src = FileSource::from_bytes("x.pcap", bytes.clone()).unwrap();
            assert_eq!(
                src.format(),
                FileFormat::Pcap {
                    nanos,
                    big_endian: e == Endian::Big,
                    gzip: false
                }
            );
            let (frames, err) = read_every_way(&bytes, vec![3, 17, 1], None);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(frames.len(), 2);
            let nanos_want = if nanos { 123_456_789 } else { 123_456_000 };
            assert_eq!(frames[0].ts, Timestamp::new(1_600_000_000, nanos_want));
            assert_eq!((frames[0].caplen, frames[0].origlen), (4, 1500));
            assert_eq!(frames[0].data, [1, 2, 3, 4]);
            // ts_sec is unsigned: 2106, not 1969.
            assert_eq!(frames[1].ts.secs, i64::from(u32::MAX));
        }
    }
}

#[test]
fn format_is_displayed_for_people() {
    let be = Pcap::new(Endian::Big, true, 1, 0).bytes;
    let src = FileSource::from_bytes("x", be.clone()).unwrap();
    assert_eq!(
        src.format().to_string(),
        "pcap (nanosecond timestamps, big-endian)"
    );
    let src = FileSource::from_bytes("x", gzip(&be)).unwrap();
    assert_eq!(
        src.format().to_string(),
        "pcap (nanosecond timestamps, big-endian), gzip-compressed"
    );
}

#[test]
fn microseconds_past_one_second_carry_over() {
    let bytes = Pcap::new(Endian::Little, false, 1, 0)
        .record(10, 1_500_000, 1, &[0])
        .bytes;
    let (frames, _) = read_every_way(&bytes, vec![64], None);
    assert_eq!(frames[0].ts, Timestamp::new(11, 500_000_000));
}

#[test]
fn fcs_bits_in_the_link_type_field_are_ignored() {
    // LT_FCS_LENGTH_PRESENT | 4 bytes of FCS | Ethernet.
    let bytes = Pcap::new(Endian::Little, false, 0x4400_0001, 0)
        .record(1, 0, 1, &[0])
        .bytes;
    let mut src = FileSource::from_bytes("x", bytes).unwrap();
    assert_eq!(src.next_packet().unwrap().unwrap().link, LinkType::Ethernet);
}

#[test]
fn truncated_last_record_comes_after_the_good_frames() {
    let dir = TempDir::new("trunc");
    let full = Pcap::new(Endian::Little, false, 1, 65_535)
        .record(1, 0, 1514, &[1; 100])
        .record(2, 0, 1514, &[2; 100])
        .record(3, 0, 1514, &[3; 1514])
        .bytes;
    // Cut inside the data of frame 3, then inside its record header.
    for (cut, needed) in [(full.len() - 1314, 1530), (24 + 2 * 116 + 5, 16)] {
        let (frames, err) = read_every_way(&full[..cut], vec![7, 4096], Some(&dir));
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1].data, [2; 100]);
        let available = cut - (24 + 2 * 116);
        assert_eq!(
            err.unwrap(),
            format!(
                "cap: frame 3 at byte 256: truncated record (record is {needed} bytes, only {available} remain)"
            )
        );
    }
}

#[test]
fn truncated_record_error_has_its_fields() {
    let full = Pcap::new(Endian::Little, false, 1, 0)
        .record(1, 0, 10, &[1; 10])
        .bytes;
    let mut src = FileSource::from_bytes("t.pcap", full[..full.len() - 3].to_vec()).unwrap();
    match src.next_packet() {
        Err(CaptureError::TruncatedRecord {
            frame: 1,
            offset: 24,
            needed: 26,
            available: 23,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    assert!(src.next_packet().unwrap().is_none());
}

#[test]
fn huge_caplen_is_corrupt_without_allocating() {
    let dir = TempDir::new("huge");
    let bytes = Pcap::new(Endian::Little, false, 1, 65_535)
        .record(1, 0, 60, &[0; 60])
        .raw_record(2, 0, 1 << 30, 1 << 30, &[0; 64])
        .bytes;
    let start = Instant::now();
    let (frames, err) = read_every_way(&bytes, vec![1 << 20], Some(&dir));
    assert!(start.elapsed().as_secs() < 5);
    assert_eq!(frames.len(), 1);
    assert_eq!(
        err.unwrap(),
        "cap: frame 2 at byte 100: record header says 1073741824 captured bytes, more than the 262144 byte limit for snaplen 65535"
    );
}

#[test]
fn large_snaplen_raises_the_bound_up_to_16_mib() {
    let big = vec![7u8; 300 * 1024];
    let bytes = Pcap::new(Endian::Little, false, 1, 1 << 30)
        .record(1, 0, 300 * 1024, &big)
        .bytes;
    let (frames, err) = read_every_way(&bytes, vec![1000, 1 << 16], None);
    assert!(err.is_none());
    assert_eq!(frames[0].data.len(), 300 * 1024);
    let bytes = Pcap::new(Endian::Little, false, 1, 1 << 30)
        .raw_record(1, 0, (16 << 20) + 1, 0, &[])
        .bytes;
    let (_, err) = read_every_way(&bytes, vec![], None);
    assert!(err.unwrap().ends_with("more than the 16777216 byte limit"));
}

#[test]
fn not_a_capture_says_what_it_saw() {
    let cases: [(&[u8], &str); 6] = [
        (b"<html><body>", "x: not a pcap or pcapng file (starts with 3c 68 74 6d)"),
        (b"", "x: not a pcap or pcapng file (the file is empty)"),
        (b"ab", "x: not a pcap or pcapng file (only 2 byte(s): 61 62)"),
        (
            &[0x28, 0xb5, 0x2f, 0xfd, 0, 0],
            "x: not a pcap or pcapng file (zstd-compressed data: decompress it first, e.g. with `zstd -d`)",
        ),
        (&[0x34, 0xcd, 0xb2, 0xa1, 0, 0], "x: not a pcap or pcapng file (a modified (Kuznetzov) pcap file, which is not supported)"),
        (&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0], "x: truncated file header (24 bytes needed, only 10 present)"),
    ];
    for (bytes, want) in cases {
        let err = FileSource::from_bytes("x", bytes.to_vec()).unwrap_err();
        assert_eq!(err.to_string(), want);
        let err = FileSource::from_reader("x", std::io::Cursor::new(bytes.to_vec())).unwrap_err();
        assert_eq!(err.to_string(), want);
    }
    let dir = TempDir::new("garbage");
    let path = dir.file("page.html", b"<html><body>hello</body></html>");
    for err in [
        FileSource::open(&path).unwrap_err(),
        FileSource::from_bytes(&path, std::fs::read(&path).unwrap()).unwrap_err(),
    ] {
        assert!(matches!(err, CaptureError::NotACapture { .. }));
        assert!(err
            .to_string()
            .ends_with("page.html: not a pcap or pcapng file (starts with 3c 68 74 6d)"));
    }
    let empty = dir.file("empty.pcap", b"");
    let err = FileSource::open(&empty).unwrap_err();
    assert!(err
        .to_string()
        .ends_with("empty.pcap: not a pcap or pcapng file (the file is empty)"));
}

#[test]
fn missing_files_and_directories_cannot_be_opened() {
    let dir = TempDir::new("open");
    let missing = dir.path().join("nope.pcap");
    let err = FileSource::open(&missing).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("cannot open {}", missing.display())
    );
    let source = std::error::Error::source(&err).unwrap();
    assert_eq!(
        source.downcast_ref::<std::io::Error>().unwrap().kind(),
        std::io::ErrorKind::NotFound
    );
    let err = FileSource::open(dir.path()).unwrap_err();
    assert!(matches!(err, CaptureError::Open { .. }), "{err}");
}

#[test]
fn unknown_link_type_is_refused_at_open() {
    let bytes = Pcap::new(Endian::Big, false, 147, 0)
        .record(1, 0, 1, &[0])
        .bytes;
    let err = FileSource::from_bytes("usb.pcap", bytes).unwrap_err();
    assert!(matches!(
        err,
        CaptureError::UnsupportedLinkType {
            linktype: 147,
            interface: None,
            ..
        }
    ));
    assert_eq!(err.to_string(), "usb.pcap: unsupported link type 147");
}

#[test]
fn gzip_is_recognised_by_content_everywhere() {
    let dir = TempDir::new("gzip");
    let plain = Pcap::new(Endian::Little, true, 1, 0)
        .record(1, 5, 3, &[1, 2, 3])
        .record(2, 6, 2, &[4, 5])
        .bytes;
    let gz = gzip(&plain);
    // The name says pcap, the content is gzip.
    let path = dir.file("looks-plain.pcap", &gz);
    for mut src in [
        FileSource::open(&path).unwrap(),
        FileSource::from_bytes(&path, gz.clone()).unwrap(),
    ] {
        assert!(src.is_streamed(), "gzip is always streamed");
        assert!(src.format().is_gzip());
        assert_eq!(src.total_bytes(), Some(gz.len() as u64));
        let (frames, err) = drain(&mut src);
        assert!(err.is_none());
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1].ts, Timestamp::new(2, 6));
        assert_eq!(src.bytes_read(), gz.len() as u64);
    }
    let (frames, err) = read_every_way(&gz, vec![5, 1], None);
    assert!(err.is_none());
    assert_eq!(frames.len(), 2);

    // Concatenated gzip members (pigz, `cat a.gz b.gz`) are one stream.
    let mut two = gzip(&plain[..40]);
    two.extend(gzip(&plain[40..]));
    let (frames, err) = read_every_way(&two, vec![3], None);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 2);
}

#[test]
fn bad_gzip_streams_are_gzip_errors() {
    let mut plain = Pcap::new(Endian::Little, false, 1, 0);
    for i in 0..2000u32 {
        plain = plain.record(i, 0, 64, &i.to_le_bytes().repeat(16));
    }
    let gz = gzip(&plain.bytes);

    // Cut short: the frames before the cut, then a gzip error.
    let (frames, err) = read_every_way(&gz[..gz.len() / 2], vec![4096], None);
    assert!(!frames.is_empty() && frames.len() < 2000);
    let err = err.unwrap();
    assert!(err.starts_with("cap: bad gzip stream after "), "{err}");

    // A bad checksum: every frame, then a gzip error.
    let mut bad = gz.clone();
    let crc_at = gz.len() - 8;
    bad[crc_at] ^= 0xff;
    let mut src = FileSource::from_bytes("bad.pcap.gz", bad).unwrap();
    let (frames, err) = drain(&mut src);
    assert_eq!(frames.len(), 2000);
    let err = err.unwrap();
    assert!(
        matches!(err, CaptureError::Gzip { frame: 2001, .. }),
        "{err}"
    );
    assert!(std::error::Error::source(&err).is_some());

    // Garbage in the middle of the deflate data: a gzip error, or garbage that decompresses and
    // is then caught by the pcap framing. Never a panic, never a silent end. Whether the error
    // comes at open or while reading depends on how far the inflate backend reads ahead
    // (flate2's zlib-rs backend, which polars turns on in the workspace, decodes more at once
    // than miniz_oxide), so both are accepted.
    let mut bad = gz.clone();
    for b in &mut bad[gz.len() / 3..gz.len() / 3 + 64] {
        *b ^= 0x5a;
    }
    let err = match FileSource::from_bytes("bad.pcap.gz", bad) {
        Ok(mut src) => drain(&mut src).1.unwrap(),
        Err(e) => e,
    };
    assert!(
        matches!(
            err,
            CaptureError::Gzip { .. }
                | CaptureError::Corrupt { .. }
                | CaptureError::TruncatedRecord { .. }
        ),
        "{err}"
    );

    // Not even a gzip header.
    let err = FileSource::from_bytes("x.gz", vec![0x1f, 0x8b, 0xff, 0xff, 0, 0, 0, 0]).unwrap_err();
    assert!(
        matches!(
            err,
            CaptureError::Gzip {
                frame: 1,
                offset: 0,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "x.gz: bad gzip stream after 0 decompressed bytes (frame 1)"
    );
}

#[test]
fn bytes_read_tracks_progress_in_place() {
    let mut b = Pcap::new(Endian::Little, false, 1, 0);
    for i in 0..10 {
        b = b.record(i, 0, 10, &[0; 10]);
    }
    let dir = TempDir::new("progress");
    let path = dir.file("p.pcap", &b.bytes);
    let mut src = FileSource::from_bytes(&path, b.bytes.clone()).unwrap();
    assert!(!src.is_streamed());
    let mut last = 0;
    while src.next_packet().unwrap().is_some() {
        assert!(src.bytes_read() > last);
        last = src.bytes_read();
    }
    assert_eq!(last, b.bytes.len() as u64);
    assert_eq!(src.frames_read(), 10);
}

#[test]
fn a_fifo_is_streamed() {
    let dir = TempDir::new("fifo");
    let fifo = dir.path().join("fifo");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !status.is_ok_and(|s| s.success()) {
        return; // no mkfifo here; nothing to test
    }
    let bytes = Pcap::new(Endian::Little, false, 1, 0)
        .record(1, 0, 4, &[1, 2, 3, 4])
        .bytes;
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(writer_path)
            .unwrap();
        f.write_all(&bytes).unwrap();
    });
    let mut src = FileSource::open(&fifo).unwrap();
    assert!(src.is_streamed());
    assert_eq!(src.total_bytes(), None);
    let (frames, err) = drain(&mut src);
    writer.join().unwrap();
    assert!(err.is_none());
    assert_eq!(frames[0].data, [1, 2, 3, 4]);
}

/// Parses with pcap-parser, an independent implementation.
fn oracle(bytes: &[u8]) -> Vec<(u32, u32, u32, Vec<u8>)> {
    let (_, cap) = pcap_parser::parse_pcap(bytes).unwrap();
    cap.blocks
        .iter()
        .map(|b| (b.ts_sec, b.ts_usec, b.origlen, b.data.to_vec()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Every way of reading gives the same frames (and the same error for a cut file), and they
    /// match pcap-parser's.
    #[test]
    fn every_read_path_agrees(
        big_endian in any::<bool>(),
        nanos in any::<bool>(),
        records in prop::collection::vec(
            (any::<u32>(), 0u32..1_000_000, prop::collection::vec(any::<u8>(), 0..2000), any::<u32>()),
            0..40,
        ),
        chunks in prop::collection::vec(1usize..5000, 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let e = if big_endian { Endian::Big } else { Endian::Little };
        let mut b = Pcap::new(e, nanos, 1, 65_535);
        for (secs, frac, data, origlen) in &records {
            b = b.record(*secs, *frac, *origlen, data);
        }
        let (frames, err) = read_every_way(&b.bytes, chunks.clone(), None);
        prop_assert!(err.is_none());
        prop_assert_eq!(frames.len(), records.len());
        if !big_endian && !records.is_empty() {
            let want = oracle(&b.bytes);
            for (got, (secs, frac, origlen, data)) in frames.iter().zip(want) {
                let units = if nanos { 1 } else { 1000 };
                prop_assert_eq!(got.ts, Timestamp::new(i64::from(secs), frac * units));
                prop_assert_eq!(got.origlen, origlen);
                prop_assert_eq!(&got.data, &data);
            }
        }
        let cut = 24 + cut.index(b.bytes.len() - 23);
        let (partial, err) = read_every_way(&b.bytes[..cut], chunks, None);
        prop_assert_eq!(&frames[..partial.len()], &partial[..]);
        let boundary = 24 + partial.iter().map(|f| 16 + f.data.len()).sum::<usize>();
        match err {
            Some(err) => prop_assert!(err.contains("truncated record"), "{}", err),
            None => prop_assert_eq!(cut, boundary),
        }
    }
}

#[test]
fn long_files_cross_many_buffer_refills() {
    let mut b = Pcap::new(Endian::Little, false, 1, 0);
    let mut total = 0usize;
    for i in 0..6000u32 {
        let len = (i * 7919 % 1600) as usize;
        total += len;
        b = b.record(i, 0, len as u32, &vec![(i % 251) as u8; len]);
    }
    assert!(total > 4 << 20);
    let dir = TempDir::new("long");
    for chunks in [vec![1 << 20], vec![65_536, 13, 100_000], vec![262_145]] {
        let (frames, err) = read_every_way(&b.bytes, chunks, Some(&dir));
        assert!(err.is_none());
        assert_eq!(frames.len(), 6000);
        for (i, f) in frames.iter().enumerate() {
            let len = (i as u32 * 7919 % 1600) as usize;
            assert_eq!(f.data.len(), len);
            assert!(f.data.iter().all(|&x| x == (i % 251) as u8));
        }
    }
}
