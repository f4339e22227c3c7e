//! `decode` must not allocate: every frame kind, whole and cut, decodes with allocation
//! forbidden on this thread.
//!
//! `assert_no_alloc` provides the counting global allocator (so this file needs no `unsafe`,
//! which the workspace forbids). Counts are per thread, so other tests running in parallel do not
//! disturb them. It only counts in debug builds, which is what `cargo test` uses.

#![allow(clippy::unwrap_used)]

use assert_no_alloc::{assert_no_alloc, reset_violation_count, violation_count, AllocDisabler};
use decode::{decode, DecodedPacket, LinkType, Net, Transport};

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

/// Frames for each link type, with IPv4/IPv6 and TCP/UDP/ICMP, built before counting starts.
fn frames() -> Vec<(LinkType, Vec<u8>)> {
    let ipv4_tcp: Vec<u8> = [
        &[
            0x45, 0, 0, 47, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ][..],
        &[
            0, 80, 0x04, 0xd2, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x18, 1, 0, 0, 0, 0, 0,
        ],
        &[2, 4, 5, 0xb4],
        b"abc",
    ]
    .concat();
    let ipv6_udp: Vec<u8> = [
        &[0x60, 0, 0, 0, 0, 28, 0, 64][..],
        &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
        &[17, 0, 0, 1, 0, 0, 0, 0], // hop-by-hop -> UDP
        &[0x13, 0x88, 0, 53, 0, 12, 0, 0],
        b"wxyz",
        &[0; 8],
    ]
    .concat();
    let ipv4_icmp: Vec<u8> = [
        &[
            0x45, 0, 0, 32, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ][..],
        &[8, 0, 0, 0, 0, 1, 0, 1],
        b"ping",
    ]
    .concat();
    let ethernet = |ethertype: &[u8], inner: &[u8]| [&[0u8; 12][..], ethertype, inner].concat();
    let arp = [
        0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
    ];
    vec![
        (LinkType::Ethernet, ethernet(&[0x08, 0x00], &ipv4_tcp)),
        (
            LinkType::Ethernet,
            ethernet(&[0x81, 0x00, 0, 5, 0x86, 0xdd], &ipv6_udp),
        ),
        (
            LinkType::Ethernet,
            ethernet(&[0x88, 0xa8, 0, 1, 0x81, 0, 0, 2, 0x08, 0x06], &arp),
        ),
        (LinkType::Ethernet, ethernet(&[0x00, 0x10], &[0x42; 16])),
        (
            LinkType::LinuxSll,
            [
                &[0, 4, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 8, 0][..],
                &ipv4_icmp,
            ]
            .concat(),
        ),
        (
            LinkType::LinuxSll2,
            [
                &[
                    0x86, 0xdd, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
                ][..],
                &ipv6_udp,
            ]
            .concat(),
        ),
        (LinkType::Null, [&[2, 0, 0, 0][..], &ipv4_tcp].concat()),
        (LinkType::Loop, [&[0, 0, 0, 24][..], &ipv6_udp].concat()),
        (LinkType::Raw, ipv4_icmp.clone()),
        (LinkType::Ipv6, ipv6_udp.clone()),
        (LinkType::Unknown(147), ipv4_tcp.clone()),
    ]
}

/// Uses every part of the result, so nothing is optimised away and lazily parsed options run.
fn consume(pkt: &DecodedPacket<'_>) -> usize {
    let mut n = pkt.payload.len() + pkt.payload_wire_len + pkt.vlans.len();
    if let Some(Net::Ipv6(ip)) = &pkt.net {
        n += ip.extensions.len();
    }
    if let Some(Transport::Tcp(tcp)) = &pkt.transport {
        n += tcp.options().count();
    }
    n + usize::from(pkt.stop.is_some())
}

#[test]
fn decode_does_not_allocate() {
    let frames = frames();
    reset_violation_count();
    let total = assert_no_alloc(|| {
        let mut total = 0;
        for (link, frame) in &frames {
            for n in 0..=frame.len() {
                let pkt = decode(*link, &frame[..n]);
                total += consume(&pkt);
            }
        }
        total
    });
    assert!(total > 0);
    assert_eq!(violation_count(), 0, "decode allocated");
}

#[test]
fn the_counter_counts() {
    reset_violation_count();
    let boxed = assert_no_alloc(|| Box::new(42u32));
    assert_eq!(*boxed, 42);
    assert!(violation_count() > 0, "the allocation above was not seen");
    reset_violation_count();
}
