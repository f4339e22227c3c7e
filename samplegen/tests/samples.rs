//! The generator is deterministic, the committed files in `sample-pcaps/`
//! are exactly what it generates today, and the packet counts documented in
//! `sample-pcaps/README.md` hold.

// clippy's allow-unwrap-in-tests covers #[test] functions only; the helpers
// below are test code too, where a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use samplegen::samples::{self, Sample};

const REGENERATE: &str = "cargo run -p flowsleuth-samplegen -- samples sample-pcaps";

/// Files in sample-pcaps/ that are not generated: real captures and docs.
const NOT_GENERATED: &[&str] = &[
    "README.md",
    "capture-real.sh",
    "tls12-sni.pcap",
    "tls13-sni.pcap",
    "loopback-any-sll2.pcap",
    "tls13-hrr.pcap",
    "tls-resumption.pcap",
    "tls-alert.pcap",
];

/// Packet counts as documented in sample-pcaps/README.md (for the broken
/// files: the good records before the bad one).
const COUNTS: &[(&str, usize)] = &[
    ("vlan-qinq.pcap", 31),
    ("ipv6-ext.pcap", 26),
    ("sll.pcap", 32),
    ("sll2.pcap", 32),
    ("two-linktypes.pcapng", 23),
    ("snaplen-64.pcap", 29),
    ("corrupt-record.pcap", 5),
    ("truncated-tail.pcap", 5),
    ("tls-split-clienthello.pcap", 56),
    ("mixed.pcap.gz", 60),
    ("mixed-be-ns.pcap", 60),
    ("arp-icmp.pcap", 20),
    ("null-loopback.pcap", 16),
    ("quic-initial.pcap", 1),
];

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-pcaps")
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("samplegen-test-{}-{tag}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn generation_is_deterministic() {
    let (a, b) = (temp_dir("a"), temp_dir("b"));
    let pa = samples::write_all(&a).unwrap();
    let pb = samples::write_all(&b).unwrap();
    assert_eq!(pa.len(), pb.len());
    for (x, y) in pa.iter().zip(&pb) {
        let (bx, by) = (fs::read(x).unwrap(), fs::read(y).unwrap());
        assert!(bx == by, "{} differs between two runs", x.display());
    }
    fs::remove_dir_all(a).unwrap();
    fs::remove_dir_all(b).unwrap();
}

#[test]
fn committed_samples_match_generator() {
    let dir = sample_dir();
    for Sample { name, bytes, .. } in samples::generate_all().unwrap() {
        let path = dir.join(name);
        let committed = fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read {}: {e}; regenerate with `{REGENERATE}`",
                path.display()
            )
        });
        // gzip bytes could legitimately change with the flate2 backend, so
        // compare what is inside.
        let (committed, fresh) = if name.ends_with(".gz") {
            (gunzip(&committed), gunzip(&bytes))
        } else {
            (committed, bytes)
        };
        assert!(
            committed == fresh,
            "sample-pcaps/{name} differs from what samplegen generates now; \
             regenerate with `{REGENERATE}` (and update sample-pcaps/README.md)"
        );
    }
}

#[test]
fn every_file_in_sample_pcaps_is_accounted_for() {
    let generated: BTreeSet<&str> = COUNTS.iter().map(|(n, _)| *n).collect();
    let names: BTreeSet<String> = samples::generate_all()
        .unwrap()
        .iter()
        .map(|s| s.name.to_owned())
        .collect();
    assert_eq!(
        names,
        generated.iter().map(|s| (*s).to_owned()).collect(),
        "the COUNTS table of this test lists every generated sample"
    );
    for entry in fs::read_dir(sample_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            generated.contains(name.as_str()) || NOT_GENERATED.contains(&name.as_str()),
            "sample-pcaps/{name} is neither generated nor a listed real capture; \
             document it in sample-pcaps/README.md and in this test"
        );
    }
    for real in NOT_GENERATED {
        assert!(
            sample_dir().join(real).exists(),
            "sample-pcaps/{real} is missing"
        );
    }
}

/// Counts the complete records of a classic pcap file (either byte order).
fn pcap_records(b: &[u8]) -> Vec<(u32, u32, &[u8])> {
    let big = match b[..4] {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => false,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => true,
        _ => panic!("not a pcap file"),
    };
    let u32_at = |at: usize| {
        let w = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if big {
            u32::from_be_bytes(w)
        } else {
            u32::from_le_bytes(w)
        }
    };
    let snaplen = u32_at(16);
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= b.len() {
        let (incl, orig) = (u32_at(at + 8), u32_at(at + 12));
        if incl > snaplen || at + 16 + incl as usize > b.len() {
            break;
        }
        out.push((incl, orig, &b[at + 16..at + 16 + incl as usize]));
        at += 16 + incl as usize;
    }
    out
}

/// Counts the Enhanced Packet Blocks of a little-endian pcapng file.
fn pcapng_epbs(b: &[u8]) -> usize {
    let mut at = 0;
    let mut n = 0;
    while at + 12 <= b.len() {
        let ty = u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        let len = u32::from_le_bytes(b[at + 4..at + 8].try_into().unwrap()) as usize;
        assert_eq!(len % 4, 0);
        assert_eq!(
            &b[at + 4..at + 8],
            &b[at + len - 4..at + len],
            "trailing length"
        );
        n += usize::from(ty == 6);
        at += len;
    }
    assert_eq!(at, b.len());
    n
}

#[test]
fn documented_packet_counts() {
    let all = samples::generate_all().unwrap();
    for (name, count) in COUNTS {
        let s = all.iter().find(|s| s.name == *name).unwrap();
        let got = if name.ends_with(".pcapng") {
            pcapng_epbs(&s.bytes)
        } else if name.ends_with(".gz") {
            pcap_records(&gunzip(&s.bytes)).len()
        } else {
            pcap_records(&s.bytes).len()
        };
        assert_eq!(got, *count, "{name}: packet count (README.md says {count})");
    }
}

#[test]
fn snaplen_64_cuts_but_keeps_original_lengths() {
    let all = samples::generate_all().unwrap();
    let s = all.iter().find(|s| s.name == "snaplen-64.pcap").unwrap();
    let recs = pcap_records(&s.bytes);
    assert!(recs.iter().all(|(incl, orig, _)| *incl == (*orig).min(64)));
    assert!(recs.iter().filter(|(incl, orig, _)| incl < orig).count() >= 25);
}

#[test]
fn broken_files_break_at_record_six() {
    let all = samples::generate_all().unwrap();
    let corrupt = all
        .iter()
        .find(|s| s.name == "corrupt-record.pcap")
        .unwrap();
    let good: usize = pcap_records(&corrupt.bytes)
        .iter()
        .map(|(incl, _, _)| 16 + *incl as usize)
        .sum();
    assert_eq!(
        corrupt.bytes[24 + good..24 + good + 16],
        samples::CORRUPT_RECORD_HEADER
    );
    assert_eq!(corrupt.bytes.len(), 24 + good + 16 + 20);
    let trunc = all
        .iter()
        .find(|s| s.name == "truncated-tail.pcap")
        .unwrap();
    let good: usize = pcap_records(&trunc.bytes)
        .iter()
        .map(|(incl, _, _)| 16 + *incl as usize)
        .sum();
    let hdr = &trunc.bytes[24 + good..24 + good + 16];
    let incl = u32::from_le_bytes(hdr[8..12].try_into().unwrap()) as usize;
    assert_eq!(incl, 87);
    assert_eq!(trunc.bytes.len(), 24 + good + 16 + 40);
}

/// Reassembles the client-to-server TCP payload of `client_port` by sequence
/// number (IPv4 over Ethernet, by hand). Returns the stream, and the frame
/// number (1-based) and payload of each data segment in arrival order.
fn client_stream(file: &[u8], client_port: u16) -> (Vec<u8>, Vec<(usize, Vec<u8>)>) {
    let mut segs: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut arrivals = Vec::new();
    for (i, (_, _, f)) in pcap_records(file).into_iter().enumerate() {
        if f[12..14] != [0x08, 0x00] || f[23] != 6 {
            continue;
        }
        let ip = &f[14..];
        let ihl = usize::from(ip[0] & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
        let tcp = &ip[ihl..total];
        if u16::from_be_bytes([tcp[0], tcp[1]]) != client_port {
            continue;
        }
        let seq = u32::from_be_bytes(tcp[4..8].try_into().unwrap());
        let doff = usize::from(tcp[12] >> 4) * 4;
        if tcp.len() > doff {
            segs.push((seq, tcp[doff..].to_vec()));
            arrivals.push((i + 1, tcp[doff..].to_vec()));
        }
    }
    segs.sort_by_key(|(s, _)| *s);
    for w in segs.windows(2) {
        assert_eq!(
            w[0].0.wrapping_add(w[0].1.len() as u32),
            w[1].0,
            "contiguous"
        );
    }
    (segs.into_iter().flat_map(|(_, d)| d).collect(), arrivals)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn split_client_hellos_reassemble() {
    let all = samples::generate_all().unwrap();
    let s = all
        .iter()
        .find(|s| s.name == "tls-split-clienthello.pcap")
        .unwrap();
    for (port, sni, frames) in [
        (51000, samples::SNI_TWO_PARTS, vec![4, 5]),
        (51001, samples::SNI_THREE_PARTS, vec![22, 24, 26]),
    ] {
        let (stream, arrivals) = client_stream(&s.bytes, port);
        // The first client payloads are the ClientHello parts (README.md).
        let got: Vec<usize> = arrivals
            .iter()
            .take(frames.len())
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(got, frames, "{sni}: frames");
        assert_eq!(stream[0], 22, "handshake record");
        assert_eq!(stream[5], 1, "client_hello");
        let rec_len = usize::from(u16::from_be_bytes([stream[3], stream[4]]));
        let hs_len =
            (usize::from(stream[6]) << 16) | (usize::from(stream[7]) << 8) | usize::from(stream[8]);
        assert_eq!(rec_len, hs_len + 4);
        let parts_len: usize = arrivals
            .iter()
            .take(frames.len())
            .map(|(_, p)| p.len())
            .sum();
        assert_eq!(
            parts_len,
            5 + rec_len,
            "{sni}: the parts are exactly the record"
        );
        assert!(
            find(&stream[..5 + rec_len], sni.as_bytes()).is_some(),
            "{sni} in the hello"
        );
        // The SNI is split: no single segment contains it.
        for (n, p) in &arrivals {
            assert!(
                find(p, sni.as_bytes()).is_none(),
                "{sni} whole in frame {n}"
            );
        }
    }
}
