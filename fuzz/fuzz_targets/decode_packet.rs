//! `decode::decode` on arbitrary frames: the first byte picks the link type, the rest is the
//! frame. Checks: no panic, every returned slice lies inside the input, and the payload is never
//! longer than the input or than the length the headers announce.

#![no_main]

use decode::{decode, Link, LinkType, Net, TcpOption, Transport};
use libfuzzer_sys::fuzz_target;

const LINKS: [LinkType; 9] = [
    LinkType::Ethernet,
    LinkType::LinuxSll,
    LinkType::LinuxSll2,
    LinkType::Null,
    LinkType::Loop,
    LinkType::Raw,
    LinkType::Ipv4,
    LinkType::Ipv6,
    LinkType::Unknown(147),
];

fuzz_target!(|input: &[u8]| {
    let Some((&pick, data)) = input.split_first() else {
        return;
    };
    let pkt = decode(LINKS[usize::from(pick) % LINKS.len()], data);

    let start = data.as_ptr() as usize;
    let inside = |s: &[u8]| {
        s.as_ptr() as usize >= start && s.as_ptr() as usize + s.len() <= start + data.len()
    };
    assert!(pkt.payload.len() <= data.len() && pkt.payload.len() <= pkt.payload_wire_len);
    assert!(inside(pkt.payload));
    if let Link::LinuxSll { addr, .. } | Link::LinuxSll2 { addr, .. } = pkt.link {
        assert!(inside(addr));
    }
    match &pkt.net {
        Some(Net::Ipv4(ip)) => assert!(inside(ip.options)),
        Some(Net::Arp(a)) => {
            assert!([a.sender_hw, a.sender_proto, a.target_hw, a.target_proto]
                .into_iter()
                .all(inside));
        }
        _ => {}
    }
    if let Some(Transport::Tcp(tcp)) = &pkt.transport {
        assert!(inside(tcp.options));
        for option in tcp.options().flatten() {
            if let TcpOption::Sack(d) | TcpOption::Unknown { data: d, .. } = option {
                assert!(inside(d));
            }
        }
    }
});
