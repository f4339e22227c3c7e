//! pcapng: several interfaces and link types, timestamp resolutions and offsets, every packet
//! block type, several sections, unknown blocks, corrupt blocks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use capture::{CaptureError, FileFormat, FileSource, PacketSource, Timestamp};
use common::{drain, drain_all, gzip, read_every_way, Endian, Ng, TempDir};
use decode::LinkType;
use proptest::prelude::*;

/// Ethernet (µs) and Linux SLL2 (ns, `if_tsresol` = 9) in one file.
fn two_link_types(e: Endian) -> Vec<u8> {
    Ng::new(e)
        .idb(1, 65_535, &[])
        .idb(276, 262_144, &[Ng::tsresol(9)])
        .epb(0, 1_700_000_000_123_456, 60, &[0xe0; 60])
        .epb(1, 1_700_000_000_123_456_789, 80, &[0x55; 40])
        .epb(0, 1_700_000_001_000_001, 3, &[1, 2, 3])
        .bytes
}

#[test]
fn two_interfaces_with_different_link_types_and_resolutions() {
    let dir = TempDir::new("ng2");
    for e in [Endian::Little, Endian::Big] {
        let bytes = two_link_types(e);
        let (frames, err) = read_every_way(&bytes, vec![9, 100], Some(&dir));
        assert!(err.is_none(), "{err:?}");
        assert_eq!(frames.len(), 3);
        assert_eq!(
            (frames[0].link, frames[0].interface),
            (LinkType::Ethernet, 0)
        );
        assert_eq!(frames[0].ts, Timestamp::new(1_700_000_000, 123_456_000));
        assert_eq!((frames[0].caplen, frames[0].origlen), (60, 60));
        assert_eq!(
            (frames[1].link, frames[1].interface),
            (LinkType::LinuxSll2, 1)
        );
        assert_eq!(frames[1].ts, Timestamp::new(1_700_000_000, 123_456_789));
        assert_eq!((frames[1].caplen, frames[1].origlen), (40, 80));
        assert_eq!(frames[1].data, [0x55; 40]);
        assert_eq!(frames[2].ts, Timestamp::new(1_700_000_001, 1_000));
        assert_eq!(frames[2].data, [1, 2, 3]);

        let mut src = FileSource::from_bytes("x.pcapng", bytes).unwrap();
        assert_eq!(src.format(), FileFormat::PcapNg { gzip: false });
        assert_eq!(src.link_type(), None, "not known before the first IDB");
        assert_eq!(src.snaplen(), None);
        src.next_packet().unwrap();
        assert_eq!(src.link_type(), Some(LinkType::Ethernet));
    }
}

#[test]
fn pcap_parser_agrees_on_the_packets() {
    let bytes = two_link_types(Endian::Little);
    let (_, ng) = pcap_parser::parse_pcapng(&bytes).unwrap();
    let mut theirs = Vec::new();
    for section in &ng.sections {
        for block in &section.blocks {
            if let pcap_parser::Block::EnhancedPacket(epb) = block {
                theirs.push((
                    epb.if_id,
                    epb.origlen,
                    epb.data[..epb.caplen as usize].to_vec(),
                ));
            }
        }
    }
    let (ours, _) = read_every_way(&bytes, vec![], None);
    let ours: Vec<_> = ours
        .into_iter()
        .map(|f| (f.interface, f.origlen, f.data))
        .collect();
    assert_eq!(ours, theirs);
}

#[test]
fn power_of_two_resolution_and_offsets() {
    let ng = Ng::new(Endian::Big);
    let offset = ng.tsoffset(1_600_000_000);
    let back = ng.tsoffset(-100);
    let bytes = ng
        .idb(1, 0, &[Ng::tsresol(0x80 | 10), offset])
        .idb(1, 0, &[back, Ng::tsresol(0)])
        .epb(0, 1024 * 100 + 512, 1, &[0])
        .epb(1, 7, 1, &[0])
        .bytes;
    let (frames, err) = read_every_way(&bytes, vec![13], None);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames[0].ts, Timestamp::new(1_600_000_100, 500_000_000));
    // Whole seconds, and an offset before the epoch.
    assert_eq!(
        frames[1].ts,
        Timestamp {
            secs: -93,
            nanos: 0
        }
    );
}

#[test]
fn simple_and_obsolete_packet_blocks() {
    let bytes = Ng::new(Endian::Little)
        .idb(1, 64, &[])
        .spb(1514, &[7; 100]) // cut to the snaplen
        .spb(10, &[8; 12]) // padding beyond origlen
        .pb(0, 1_000_000 * 5 + 7, 99, &[9; 9])
        .bytes;
    let (frames, err) = read_every_way(&bytes, vec![5], None);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 3);
    assert_eq!((frames[0].caplen, frames[0].origlen), (64, 1514));
    assert_eq!(frames[0].ts, Timestamp::default(), "SPBs have no timestamp");
    assert_eq!(
        (frames[1].caplen, frames[1].data.as_slice()),
        (10, &[8; 10][..])
    );
    assert_eq!((frames[2].caplen, frames[2].origlen), (9, 99));
    assert_eq!(frames[2].ts, Timestamp::new(5, 7_000));
}

#[test]
fn unknown_and_uninteresting_blocks_are_skipped() {
    let bytes = Ng::new(Endian::Little)
        .block(0x0000_0004, &[0, 0, 0, 0]) // name resolution, empty
        .idb(1, 0, &[])
        .block(0x0000_0BAD, &[1, 2, 3, 4, 5]) // custom block
        .epb(0, 1, 1, &[1])
        .block(0x0000_0005, &[0; 12]) // interface statistics
        .block(0x1234_5678, &[0xff; 33]) // unknown
        .block(0x0000_000A, &[0; 8]) // decryption secrets
        .epb(0, 2, 1, &[2])
        .bytes;
    let (frames, err) = read_every_way(&bytes, vec![1, 2, 3], None);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.iter().map(|f| f.data[0]).collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn a_block_too_big_to_buffer_is_skipped_unread() {
    let dir = TempDir::new("bigblock");
    let bytes = Ng::new(Endian::Little)
        .idb(1, 0, &[])
        .epb(0, 1, 1, &[1])
        .block(0x0000_0BAD, &vec![0xcc; 17 << 20])
        .epb(0, 2, 1, &[2])
        .bytes;
    let (frames, err) = read_every_way(&bytes, vec![1 << 20], Some(&dir));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 2);
    // Cut inside the big block: truncated, after frame 1.
    let (frames, err) = read_every_way(&bytes[..10 << 20], vec![1 << 20], None);
    assert_eq!(frames.len(), 1);
    let err = err.unwrap();
    assert!(
        err.contains("frame 2 at byte 96: truncated record"),
        "{err}"
    );
}

#[test]
fn sections_reset_interfaces_and_may_change_byte_order() {
    let bytes = {
        let mut ng = Ng::new(Endian::Little)
            .idb(1, 0, &[])
            .idb(276, 0, &[])
            .epb(1, 1, 1, &[1]);
        ng = ng.section(Endian::Big).idb(113, 0, &[]).epb(0, 2, 1, &[2]);
        ng.bytes
    };
    let (frames, err) = read_every_way(&bytes, vec![11], None);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        (frames[0].link, frames[0].interface),
        (LinkType::LinuxSll2, 1)
    );
    // Interfaces are numbered over the whole file: the new section's 0 is the file's 2.
    assert_eq!(
        (frames[1].link, frames[1].interface),
        (LinkType::LinuxSll, 2)
    );

    // Interface 1 does not exist any more in the second section.
    let mut ng = Ng::new(Endian::Little)
        .idb(1, 0, &[])
        .idb(1, 0, &[])
        .epb(1, 1, 1, &[1]);
    ng = ng.section(Endian::Little).idb(1, 0, &[]).epb(1, 2, 1, &[2]);
    let (frames, err) = read_every_way(&ng.bytes, vec![], None);
    assert_eq!(frames.len(), 1);
    let err = err.unwrap();
    assert!(
        err.ends_with(
            "frame 2 at byte 164: enhanced packet block refers to interface 1, but the section has 1 interface description block(s)"
        ),
        "{err}"
    );
}

#[test]
fn packet_for_an_undescribed_interface_is_corrupt() {
    let bytes = Ng::new(Endian::Little)
        .idb(1, 0, &[])
        .epb(0, 1, 1, &[1])
        .epb(0, 1, 1, &[1])
        .epb(3, 1, 1, &[1])
        .bytes;
    let mut src = FileSource::from_bytes("x.pcapng", bytes).unwrap();
    let (frames, err) = drain(&mut src);
    assert_eq!(frames.len(), 2);
    match err.unwrap() {
        CaptureError::Corrupt {
            frame: 3,
            offset,
            what,
            ..
        } => {
            assert_eq!(offset, 28 + 20 + 2 * 48);
            assert!(what.contains("interface 3"), "{what}");
        }
        other => panic!("{other}"),
    }
    // A simple packet block with no interface at all.
    let bytes = Ng::new(Endian::Little).spb(1, &[1]).bytes;
    let (_, err) = read_every_way(&bytes, vec![], None);
    assert!(err
        .unwrap()
        .contains("simple packet block before any interface description block"));
}

#[test]
fn unsupported_link_type_is_reported_and_reading_can_go_on() {
    let bytes = Ng::new(Endian::Little)
        .idb(1, 0, &[])
        .epb(0, 1, 1, &[1])
        .idb(147, 0, &[])
        .epb(1, 2, 1, &[2])
        .epb(0, 3, 1, &[3])
        .bytes;
    let mut src = FileSource::from_bytes("mixed.pcapng", bytes).unwrap();
    let (frames, err) = drain(&mut src);
    assert_eq!(frames.len(), 1);
    let err = err.unwrap();
    assert!(matches!(
        err,
        CaptureError::UnsupportedLinkType {
            linktype: 147,
            interface: Some(1),
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "mixed.pcapng: interface 1: unsupported link type 147"
    );
    // The caller may go on: the interface is known, its frames carry the unknown link type.
    let (rest, err) = drain(&mut src);
    assert!(err.is_none());
    assert_eq!(rest.len(), 2);
    assert_eq!(rest[0].link, LinkType::Unknown(147));
    assert_eq!(rest[1].link, LinkType::Ethernet);
    assert_eq!(rest[1].frame, 3, "numbering goes on across the error");
}

#[test]
fn inconsistent_block_lengths_are_corrupt() {
    let good = Ng::new(Endian::Little)
        .idb(1, 0, &[])
        .epb(0, 1, 4, &[1, 2, 3, 4])
        .bytes;
    let epb_at = 28 + 20;
    let set = |at: usize, v: u32| {
        let mut b = good.clone();
        b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        b
    };
    let cases = [
        (set(good.len() - 4, 44), "enhanced packet block length is 48 at its start but 44 at its end"),
        (set(epb_at + 4, 46), "enhanced packet block has length 46, not a multiple of 4"),
        (set(epb_at + 4, 8), "enhanced packet block has length 8, too short"),
        (set(epb_at + 20, 17), "enhanced packet block says 17 captured bytes, but the 48-byte block has room for 16"),
        (set(epb_at + 20, 1 << 30), "enhanced packet block says 1073741824 captured bytes, more than the 262144 byte limit for snaplen 0"),
        (set(epb_at + 4, 64 << 20), "enhanced packet block length 67108864 is more than the 16842752 byte limit"),
        (set(8, 0x0102_0304), "section header block with a bad byte-order magic (04 03 02 01)"),
        (set(12, 0x0000_0002), "unsupported pcapng version 2.0"),
    ];
    for (bytes, want) in cases {
        let (frames, err) = read_every_way(&bytes, vec![7], None);
        assert!(frames.is_empty());
        let err = err.unwrap();
        assert!(err.ends_with(want), "{err}\nwanted {want}");
    }
    // A bad option list in an IDB.
    let mut bytes = Ng::new(Endian::Little)
        .idb(1, 0, &[(2, b"eth0".to_vec())])
        .bytes;
    bytes[28 + 16 + 2] = 200; // option length 200 in a 28-byte block
    let (_, err) = read_every_way(&bytes, vec![], None);
    assert!(err.unwrap().ends_with(
        "interface description block: option 2 of length 200 runs past the end of the block"
    ));
    let bytes = Ng::new(Endian::Little)
        .idb(1, 0, &[Ng::tsresol(0x80 | 70)])
        .bytes;
    let (_, err) = read_every_way(&bytes, vec![], None);
    assert!(err
        .unwrap()
        .ends_with("interface description block: if_tsresol 2^-70 is out of range"));
}

#[test]
fn truncated_final_block_names_the_frame() {
    let bytes = two_link_types(Endian::Little);
    let dir = TempDir::new("ngtrunc");
    let cut = bytes.len() - 10;
    let (frames, err) = read_every_way(&bytes[..cut], vec![4096], Some(&dir));
    assert_eq!(frames.len(), 2);
    let last_block = 48;
    assert_eq!(
        err.unwrap(),
        format!(
            "cap: frame 3 at byte {}: truncated record (record is {last_block} bytes, only {} remain)",
            bytes.len() - last_block,
            last_block - 10
        )
    );
    let err = FileSource::from_bytes("x", bytes[..20].to_vec()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "x: truncated file header (28 bytes needed, only 20 present)"
    );
}

#[test]
fn gzip_pcapng() {
    let bytes = two_link_types(Endian::Big);
    let gz = gzip(&bytes);
    let dir = TempDir::new("nggz");
    let path = dir.file("capture.pcapng.gz", &gz);
    let mut src = FileSource::open(&path).unwrap();
    assert_eq!(src.format(), FileFormat::PcapNg { gzip: true });
    assert_eq!(src.format().to_string(), "pcapng, gzip-compressed");
    let (frames, err) = drain(&mut src);
    assert!(err.is_none());
    let (plain, _) = read_every_way(&bytes, vec![], None);
    assert_eq!(frames, plain);
}

/// A random pcapng description: sections, each with interfaces and blocks.
#[derive(Clone, Debug)]
enum Item {
    Section(bool),
    Idb(u16, u32, Option<u8>),
    Epb(u32, u64, u32, Vec<u8>),
    Spb(u32, Vec<u8>),
    Other(u32, Vec<u8>),
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        1 => any::<bool>().prop_map(Item::Section),
        3 => (prop::sample::select(vec![0u16, 1, 101, 113, 276, 228, 229]), prop::sample::select(vec![0u32, 64, 65_535]), prop::option::of(prop::sample::select(vec![0u8, 3, 6, 9, 12, 19, 0x80, 0x8a, 0xbf])))
            .prop_map(|(l, s, r)| Item::Idb(l, s, r)),
        8 => (0u32..4, any::<u64>(), any::<u32>(), prop::collection::vec(any::<u8>(), 0..300))
            .prop_map(|(i, t, o, d)| Item::Epb(i, t, o, d)),
        2 => (any::<u32>(), prop::collection::vec(any::<u8>(), 0..300)).prop_map(|(o, d)| Item::Spb(o, d)),
        1 => (prop::sample::select(vec![4u32, 5, 0xBAD, 0x4000_0BAD, 0x8000_0001, 0x77]), prop::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(t, d)| Item::Other(t, d)),
    ]
}

fn build(first_big: bool, items: &[Item]) -> Vec<u8> {
    let endian = |big: bool| if big { Endian::Big } else { Endian::Little };
    let mut ng = Ng::new(endian(first_big));
    for it in items {
        ng = match it {
            Item::Section(big) => ng.section(endian(*big)),
            Item::Idb(l, s, r) => {
                ng.idb(*l, *s, &r.map(Ng::tsresol).into_iter().collect::<Vec<_>>())
            }
            Item::Epb(i, t, o, d) => ng.epb(*i, *t, *o, d),
            Item::Spb(o, d) => ng.spb(*o, d),
            Item::Other(t, d) => ng.block(*t, d),
        };
    }
    ng.bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// In place, streamed in odd chunks, from a mapped file and from a streamed file: the same
    /// frames and the same error, for whole files and for files cut anywhere.
    #[test]
    fn every_read_path_agrees(
        first_big in any::<bool>(),
        items in prop::collection::vec(item(), 0..30),
        chunks in prop::collection::vec(1usize..3000, 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes = build(first_big, &items);
        let (frames, err) = read_every_way(&bytes, chunks.clone(), None);
        for f in &frames {
            prop_assert!(f.ts.nanos < 1_000_000_000);
        }
        let cut = cut.index(bytes.len() + 1);
        let (partial, _) = read_every_way(&bytes[..cut], chunks, None);
        // A cut file gives a prefix of the frames (unless the whole file had an error earlier).
        if err.is_none() {
            prop_assert_eq!(&frames[..partial.len()], &partial[..]);
        }
    }
}

#[test]
fn every_read_path_agrees_through_files() {
    // The proptest above skips the file paths for speed; one larger run goes through them.
    let dir = TempDir::new("ngfiles");
    let items: Vec<Item> = (0..500u32)
        .map(|i| match i % 50 {
            0 => Item::Section(i % 100 == 0),
            1 | 2 => Item::Idb(if i % 3 == 0 { 1 } else { 276 }, 0, Some(9)),
            3 => Item::Other(0xBAD, vec![1; (i % 13) as usize]),
            4 => Item::Spb(i * 3, vec![2; (i % 200) as usize]),
            _ => Item::Epb(
                i % 2,
                u64::from(i) << 20,
                i,
                vec![(i % 256) as u8; (i * 37 % 1500) as usize],
            ),
        })
        .collect();
    let bytes = build(false, &items);
    let (frames, err) = read_every_way(&bytes, vec![333, 4096], Some(&dir));
    assert!(err.is_none(), "{err:?}");
    assert!(frames.len() > 400);
    let (_, errors) = drain_all(&mut FileSource::from_bytes("x", bytes).unwrap());
    assert!(errors.is_empty());
}
