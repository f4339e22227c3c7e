//! BPF filters over a pcapng file that mixes Ethernet and Linux SLL2 interfaces.
#![cfg(feature = "libpcap")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use capture::{BpfFilter, CaptureError, FileSource, PacketSource};
use common::{Endian, Ng};

/// An IPv4 packet from 10.0.0.1 to 10.0.0.2 carrying a TCP (6) or UDP (17) header to `port`.
fn ipv4(proto: u8, port: u16) -> Vec<u8> {
    let l4_len = if proto == 6 { 20 } else { 8 };
    let mut ip = vec![0u8; 20 + l4_len];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&(20 + l4_len as u16).to_be_bytes());
    ip[8] = 64;
    ip[9] = proto;
    ip[12..16].copy_from_slice(&[10, 0, 0, 1]);
    ip[16..20].copy_from_slice(&[10, 0, 0, 2]);
    ip[20..22].copy_from_slice(&40_000u16.to_be_bytes());
    ip[22..24].copy_from_slice(&port.to_be_bytes());
    if proto == 6 {
        ip[32] = 5 << 4;
        ip[33] = 0x02;
    } else {
        ip[24..26].copy_from_slice(&8u16.to_be_bytes());
    }
    ip
}

fn ethernet(ip: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00];
    f.extend_from_slice(ip);
    f
}

fn sll2(ip: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 20];
    f[0..2].copy_from_slice(&[0x08, 0x00]); // protocol
    f[4..8].copy_from_slice(&2u32.to_be_bytes()); // interface index
    f[8..10].copy_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
    f[10] = 0; // to us
    f[11] = 6; // address length
    f.extend_from_slice(ip);
    f
}

fn mixed_capture() -> Vec<u8> {
    let tcp80 = ipv4(6, 80);
    let udp53 = ipv4(17, 53);
    Ng::new(Endian::Little)
        .idb(1, 0, &[])
        .idb(276, 0, &[])
        .epb(0, 1, 0, &ethernet(&tcp80))
        .epb(1, 2, 0, &sll2(&tcp80))
        .epb(0, 3, 0, &ethernet(&udp53))
        .epb(1, 4, 0, &sll2(&udp53))
        .bytes
}

fn matching_frames(filter: &mut BpfFilter, bytes: Vec<u8>) -> Vec<u64> {
    let mut src = FileSource::from_bytes("mixed.pcapng", bytes).unwrap();
    let mut hits = Vec::new();
    while let Some(pkt) = src.next_packet().unwrap() {
        if filter.matches(&pkt).unwrap() {
            hits.push(pkt.frame);
        }
    }
    hits
}

#[test]
fn one_program_per_link_type() {
    let mut tcp = BpfFilter::new("tcp port 80", 262_144).unwrap();
    assert_eq!(matching_frames(&mut tcp, mixed_capture()), [1, 2]);
    let debug = format!("{tcp:?}");
    assert!(
        debug.contains("Ethernet") && debug.contains("LinuxSll2"),
        "{debug}"
    );
    let mut udp = BpfFilter::new("udp and dst host 10.0.0.2", 0).unwrap();
    assert_eq!(matching_frames(&mut udp, mixed_capture()), [3, 4]);
    assert_eq!(udp.expr(), "udp and dst host 10.0.0.2");
}

#[test]
fn the_filter_sees_at_most_snaplen_bytes() {
    // 20 bytes: not even the IP header of an Ethernet frame.
    let mut f = BpfFilter::new("tcp port 80", 20).unwrap();
    assert!(matching_frames(&mut f, mixed_capture()).is_empty());
}

#[test]
fn len_filters_see_the_captured_length() {
    // A 1514-byte frame cut to 54 bytes by the snaplen: tcpdump's `greater 100` would match it
    // (it compares the wire length), ours does not (documented on BpfFilter).
    let frame = ethernet(&ipv4(6, 80));
    let bytes = Ng::new(Endian::Little)
        .idb(1, 54, &[])
        .epb(0, 1, 1514, &frame)
        .bytes;
    let mut f = BpfFilter::new("greater 100", 0).unwrap();
    assert!(matching_frames(&mut f, bytes).is_empty());
}

#[test]
fn expressions_that_do_not_compile() {
    let err = BpfFilter::new("tcp prot 80", 0).unwrap_err();
    assert!(matches!(err, CaptureError::Filter { .. }));
    assert!(
        err.to_string()
            .starts_with("invalid capture filter \"tcp prot 80\": "),
        "{err}"
    );
    // Fine for Ethernet, impossible for SLL2 frames: an error at the first SLL2 frame.
    let mut f = BpfFilter::new("ether src 02:00:00:00:00:02", 0).unwrap();
    let mut src = FileSource::from_bytes("mixed.pcapng", mixed_capture()).unwrap();
    assert!(f.matches(&src.next_packet().unwrap().unwrap()).unwrap());
    let err = f.matches(&src.next_packet().unwrap().unwrap()).unwrap_err();
    assert!(err.to_string().contains("(link type LINUX_SLL2)"), "{err}");
}
