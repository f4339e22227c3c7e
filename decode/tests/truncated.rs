//! Truncation and garbage: `decode` must never panic, must say where a cut frame stopped, and
//! must only return slices of its input.
//!
//! Valid frames are built here layer by layer, remembering where each header lies. Every prefix
//! `frame[..n]` is then decoded and the reported stop layer compared with the header that the
//! cut fell into (or the IP layer, when the cut fell into an IP payload).

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use core::ops::Range;

use decode::{
    decode, DecodeError, DecodedPacket, Layer, Link, LinkType, Net, TcpOption, Transport,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Frame building
// ---------------------------------------------------------------------------------------------

/// Bytes plus where each header lies in them.
#[derive(Clone, Debug)]
struct Layers {
    bytes: Vec<u8>,
    /// Header regions, outermost first; a cut inside one must stop at its layer.
    regions: Vec<(Layer, Range<usize>)>,
    /// The layer to report when the cut falls after every header but before `end`.
    tail: Option<Layer>,
    /// Where the bytes that some header announces end (padding follows).
    end: usize,
}

impl Layers {
    /// A header-less payload whose length no header announces.
    fn opaque(payload: &[u8]) -> Self {
        Self {
            bytes: payload.to_vec(),
            regions: vec![],
            tail: None,
            end: payload.len(),
        }
    }

    /// Puts `header` (of `layer`) in front.
    fn prepend(mut self, layer: Layer, header: &[u8]) -> Self {
        let shift = header.len();
        let mut bytes = header.to_vec();
        bytes.append(&mut self.bytes);
        let mut regions = vec![(layer, 0..shift)];
        regions.extend(
            self.regions
                .into_iter()
                .map(|(l, r)| (l, r.start + shift..r.end + shift)),
        );
        Self {
            bytes,
            regions,
            tail: self.tail,
            end: self.end + shift,
        }
    }

    /// Appends zero padding up to `len` bytes (Ethernet minimum frame).
    fn pad_to(mut self, len: usize) -> Self {
        if self.bytes.len() < len {
            self.bytes.resize(len, 0);
        }
        self
    }

    fn frame(self, link: LinkType) -> Frame {
        Frame { link, layers: self }
    }
}

#[derive(Clone, Debug)]
struct Frame {
    link: LinkType,
    layers: Layers,
}

fn be16(v: usize) -> [u8; 2] {
    u16::try_from(v).unwrap().to_be_bytes()
}

fn checksum(data: &[u8]) -> [u8; 2] {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0)))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    (!(sum as u16)).to_be_bytes()
}

fn tcp(options: &[u8], payload: &[u8]) -> Layers {
    assert_eq!(options.len() % 4, 0);
    let doff = u8::try_from((20 + options.len()) / 4).unwrap();
    let mut header = vec![
        0xc3,
        0x50,
        0x01,
        0xbb,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        0,
        doff << 4,
        0x18,
        0xff,
        0xff,
        0,
        0,
        0,
        0,
    ];
    header.extend_from_slice(options);
    Layers::opaque(payload).prepend(Layer::Tcp, &header)
}

fn udp(payload: &[u8]) -> Layers {
    let mut header = vec![0x13, 0x88, 0x00, 0x35];
    header.extend_from_slice(&be16(8 + payload.len()));
    header.extend_from_slice(&[0, 0]);
    Layers::opaque(payload).prepend(Layer::Udp, &header)
}

fn icmp(layer: Layer, icmp_type: u8, payload: &[u8]) -> Layers {
    Layers::opaque(payload).prepend(layer, &[icmp_type, 0, 0xab, 0xcd, 0, 1, 0, 2])
}

/// IPv4 with `protocol` and the flags/fragment-offset word `frag`, around `inner`.
fn ipv4(protocol: u8, frag: u16, inner: Layers) -> Layers {
    let total = 20 + inner.bytes.len();
    let mut header = vec![0x45, 0];
    header.extend_from_slice(&be16(total));
    header.extend_from_slice(&[0x12, 0x34]);
    header.extend_from_slice(&frag.to_be_bytes());
    header.extend_from_slice(&[64, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    let sum = checksum(&header);
    header[10..12].copy_from_slice(&sum);
    let mut layers = inner.prepend(Layer::Ipv4, &header);
    layers.tail = Some(Layer::Ipv4);
    layers.end = total;
    layers
}

/// An IPv6 extension header of the RFC 6564 layout, 8 bytes.
fn ext(next: u8, inner: Layers) -> Layers {
    inner.prepend(Layer::Ipv6Ext, &[next, 0, 1, 4, 0, 0, 0, 0])
}

/// An IPv6 fragment header: offset 0, more fragments, id 0xdeadbeef.
fn fragment(next: u8, inner: Layers) -> Layers {
    inner.prepend(Layer::Ipv6Ext, &[next, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef])
}

fn ipv6(next: u8, inner: Layers) -> Layers {
    let len = inner.bytes.len();
    let mut header = vec![0x60, 0, 0, 0];
    header.extend_from_slice(&be16(len));
    header.extend_from_slice(&[next, 64]);
    header.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    header.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    let mut layers = inner.prepend(Layer::Ipv6, &header);
    layers.tail = Some(Layer::Ipv6);
    layers.end = 40 + len;
    layers
}

fn arp(operation: u8) -> Layers {
    let mut message = vec![0, 1, 0x08, 0x00, 6, 4, 0, operation];
    message.extend_from_slice(&[2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);
    Layers::opaque(&[]).prepend(Layer::Arp, &message)
}

fn ethernet(ethertype: u16, inner: Layers) -> Layers {
    let mut header = vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    header.extend_from_slice(&ethertype.to_be_bytes());
    inner.prepend(Layer::Link, &header)
}

/// An 802.3 frame: the type field is the LLC payload length.
fn ieee_802_3(llc: &[u8]) -> Layers {
    let mut layers = ethernet(u16::try_from(llc.len()).unwrap(), Layers::opaque(llc));
    layers.tail = Some(Layer::Link);
    layers
}

/// One VLAN tag (TCI, then the inner type), to be put behind a TPID.
fn vlan(vid: u16, inner_type: u16, inner: Layers) -> Layers {
    let mut tag = vid.to_be_bytes().to_vec();
    tag.extend_from_slice(&inner_type.to_be_bytes());
    inner.prepend(Layer::Vlan, &tag)
}

fn sll(protocol: u16, inner: Layers) -> Layers {
    let mut header = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0];
    header.extend_from_slice(&protocol.to_be_bytes());
    inner.prepend(Layer::Link, &header)
}

fn sll2(protocol: u16, inner: Layers) -> Layers {
    let mut header = protocol.to_be_bytes().to_vec();
    header.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
    inner.prepend(Layer::Link, &header)
}

fn family(header: [u8; 4], inner: Layers) -> Layers {
    inner.prepend(Layer::Link, &header)
}

/// A raw-IP frame: before the version nibble is read, the cut is at `Layer::Ip`.
fn raw(mut inner: Layers) -> Layers {
    inner.regions.insert(0, (Layer::Ip, 0..1));
    inner
}

/// Every kind of frame, with a payload `p` and TCP options `opts` chosen by the caller.
fn frames(p: &[u8], opts: &[u8]) -> Vec<Frame> {
    vec![
        ethernet(0x0800, ipv4(6, 0x4000, tcp(opts, p)))
            .pad_to(60)
            .frame(LinkType::Ethernet),
        ethernet(0x0800, ipv4(17, 0, udp(p)))
            .pad_to(60)
            .frame(LinkType::Ethernet),
        // 802.1Q, IPv6, hop-by-hop, fragment header (offset 0, M), TCP.
        ethernet(
            0x8100,
            vlan(100, 0x86dd, ipv6(0, ext(44, fragment(6, tcp(opts, p))))),
        )
        .frame(LinkType::Ethernet),
        ethernet(0x88a8, vlan(10, 0x8100, vlan(20, 0x0806, arp(1))))
            .pad_to(60)
            .frame(LinkType::Ethernet),
        ethernet(
            0x9100,
            vlan(
                1,
                0x88a8,
                vlan(
                    2,
                    0x8100,
                    vlan(3, 0x0800, ipv4(1, 0, icmp(Layer::Icmpv4, 8, p))),
                ),
            ),
        )
        .frame(LinkType::Ethernet),
        ethernet(0x88cc, Layers::opaque(p)).frame(LinkType::Ethernet),
        ieee_802_3(&[&[0x42, 0x42, 0x03][..], p].concat())
            .pad_to(60)
            .frame(LinkType::Ethernet),
        ethernet(
            0x0800,
            ipv4(47, 0, Layers::opaque(&[&[0, 0, 0x08, 0][..], p].concat())),
        )
        .frame(LinkType::Ethernet),
        ethernet(
            0x0800,
            ipv4(17, 0x0004, Layers::opaque(&[p, &[1, 2, 3]].concat())),
        )
        .frame(LinkType::Ethernet),
        sll(0x0800, ipv4(1, 0, icmp(Layer::Icmpv4, 0, p))).frame(LinkType::LinuxSll),
        sll(0x0806, arp(2)).frame(LinkType::LinuxSll),
        sll2(0x86dd, ipv6(58, icmp(Layer::Icmpv6, 128, p))).frame(LinkType::LinuxSll2),
        sll2(
            0x86dd,
            ipv6(
                51,
                udp(p).prepend(Layer::Ipv6Ext, &[17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]),
            ),
        )
        .frame(LinkType::LinuxSll2),
        family([2, 0, 0, 0], ipv4(17, 0, udp(p))).frame(LinkType::Null),
        family([0, 0, 0, 30], ipv6(17, udp(p))).frame(LinkType::Null),
        family([0, 0, 0, 2], ipv4(6, 0, tcp(opts, p))).frame(LinkType::Loop),
        family(
            [0, 0, 0, 24],
            ipv6(60, ext(43, ext(59, Layers::opaque(&[])))),
        )
        .frame(LinkType::Loop),
        raw(ipv4(6, 0, tcp(opts, p))).frame(LinkType::Raw),
        raw(ipv6(17, udp(p))).frame(LinkType::Raw),
        ipv4(1, 0, icmp(Layer::Icmpv4, 13, p)).frame(LinkType::Ipv4),
        ipv6(6, tcp(opts, p)).frame(LinkType::Ipv6),
        Layers::opaque(p).frame(LinkType::Unknown(147)),
    ]
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/// Whether `part` lies inside `whole` (address arithmetic only, no unsafe).
fn inside(whole: &[u8], part: &[u8]) -> bool {
    let start = whole.as_ptr() as usize;
    let end = start + whole.len();
    let p = part.as_ptr() as usize;
    p >= start && p + part.len() <= end
}

/// Every slice the decoded packet holds.
fn slices<'a>(pkt: &DecodedPacket<'a>) -> Vec<&'a [u8]> {
    let mut all = vec![pkt.payload];
    match pkt.link {
        Link::LinuxSll { addr, .. } | Link::LinuxSll2 { addr, .. } => all.push(addr),
        _ => {}
    }
    match &pkt.net {
        Some(Net::Ipv4(ip)) => all.push(ip.options),
        Some(Net::Arp(arp)) => {
            all.extend([
                arp.sender_hw,
                arp.sender_proto,
                arp.target_hw,
                arp.target_proto,
            ]);
        }
        _ => {}
    }
    if let Some(Transport::Tcp(tcp)) = pkt.transport {
        all.push(tcp.options);
        for option in tcp.options().flatten() {
            match option {
                TcpOption::Sack(data) | TcpOption::Unknown { data, .. } => all.push(data),
                _ => {}
            }
        }
    }
    all
}

/// What must hold for any input.
fn check_invariants(
    link: LinkType,
    data: &[u8],
    pkt: &DecodedPacket<'_>,
) -> Result<(), TestCaseError> {
    for s in slices(pkt) {
        prop_assert!(
            inside(data, s),
            "slice {:?} outside the input ({link:?}, {data:02x?})",
            s
        );
    }
    prop_assert!(pkt.payload.len() <= pkt.payload_wire_len, "{pkt:?}");
    if pkt.stop.is_none() {
        prop_assert_eq!(
            pkt.payload.len(),
            pkt.payload_wire_len,
            "no stop but a short payload: {:?}",
            pkt
        );
    }
    if let Some(DecodeError::Truncated {
        needed, available, ..
    }) = pkt.stop
    {
        prop_assert!(needed > available, "{pkt:?}");
    }
    if pkt.transport.is_some() {
        prop_assert!(
            matches!(pkt.net, Some(Net::Ipv4(_) | Net::Ipv6(_))),
            "{pkt:?}"
        );
    }
    if matches!(pkt.link, Link::Truncated { .. }) {
        prop_assert!(pkt.net.is_none() && pkt.vlans.is_empty() && pkt.stop.is_some());
    }
    Ok(())
}

/// The layer a cut at `n` must stop at, if any.
fn expected_stop(layers: &Layers, n: usize) -> Option<Layer> {
    if let Some((layer, _)) = layers.regions.iter().find(|(_, r)| r.end > n) {
        return Some(*layer);
    }
    if n < layers.end {
        return layers.tail;
    }
    None
}

fn check_truncations(frame: &Frame) -> Result<(), TestCaseError> {
    let full = &frame.layers.bytes;
    let decoded = decode(frame.link, full);
    prop_assert_eq!(
        decoded.stop,
        None,
        "the whole frame must decode: {:?}",
        decoded
    );
    for n in 0..=full.len() {
        let data = &full[..n];
        let pkt = decode(frame.link, data);
        check_invariants(frame.link, data, &pkt)?;
        let expected = expected_stop(&frame.layers, n);
        prop_assert_eq!(
            pkt.stopped_at(),
            expected,
            "cut at {} of {:?}: {:?}",
            n,
            frame,
            pkt
        );
        if expected.is_some() {
            prop_assert!(
                matches!(pkt.stop, Some(DecodeError::Truncated { .. })),
                "{pkt:?}"
            );
        }
        // Everything before the cut is still decoded.
        for (layer, range) in &frame.layers.regions {
            if range.end > n {
                break;
            }
            let kept = match layer {
                Layer::Link => !matches!(pkt.link, Link::Truncated { .. }),
                Layer::Vlan => !pkt.vlans.is_empty(),
                Layer::Ipv4 | Layer::Ipv6 | Layer::Arp => pkt.net.is_some(),
                Layer::Tcp | Layer::Udp | Layer::Icmpv4 | Layer::Icmpv6 => pkt.transport.is_some(),
                _ => true,
            };
            prop_assert!(kept, "cut at {n}: {layer} header lost in {pkt:?}");
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn every_truncation_of_every_frame_kind() {
    let opts = [2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1];
    for frame in frames(b"0123456789", &opts) {
        check_truncations(&frame).unwrap();
    }
    for frame in frames(b"", &[]) {
        check_truncations(&frame).unwrap();
    }
}

/// TCP options that are whole 4-byte words.
fn tcp_options() -> impl Strategy<Value = Vec<u8>> {
    (0usize..=10).prop_flat_map(|words| prop::collection::vec(any::<u8>(), words * 4))
}

fn any_link() -> impl Strategy<Value = LinkType> {
    prop_oneof![
        Just(LinkType::Ethernet),
        Just(LinkType::LinuxSll),
        Just(LinkType::LinuxSll2),
        Just(LinkType::Null),
        Just(LinkType::Loop),
        Just(LinkType::Raw),
        Just(LinkType::Ipv4),
        Just(LinkType::Ipv6),
        any::<u32>().prop_map(LinkType::from_u32),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn truncations_with_random_payloads(
        payload in prop::collection::vec(any::<u8>(), 0..80),
        opts in tcp_options(),
        which in any::<prop::sample::Index>(),
    ) {
        let all = frames(&payload, &opts);
        let frame = which.get(&all);
        check_truncations(frame)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn random_bytes_never_escape(link in any_link(), data in prop::collection::vec(any::<u8>(), 0..160)) {
        let pkt = decode(link, &data);
        check_invariants(link, &data, &pkt)?;
    }

    /// Random bytes behind a plausible Ethernet header, to get past the link layer more often.
    #[test]
    fn random_bytes_behind_an_ethertype(
        ethertype in prop_oneof![
            Just(0x0800u16), Just(0x86dd), Just(0x0806), Just(0x8100), Just(0x88a8), Just(0x9100),
            any::<u16>(),
        ],
        rest in prop::collection::vec(any::<u8>(), 0..160),
    ) {
        let mut data = vec![0u8; 12];
        data.extend_from_slice(&ethertype.to_be_bytes());
        data.extend_from_slice(&rest);
        let pkt = decode(LinkType::Ethernet, &data);
        check_invariants(LinkType::Ethernet, &data, &pkt)?;
    }

    /// Random bytes behind a well-formed IPv4 or IPv6 header with a random protocol.
    #[test]
    fn random_bytes_behind_an_ip_header(
        v6 in any::<bool>(),
        protocol in prop_oneof![Just(0u8), Just(6), Just(17), Just(1), Just(58), Just(44), Just(51), Just(60), any::<u8>()],
        frag in any::<u16>(),
        rest in prop::collection::vec(any::<u8>(), 0..200),
        claimed in any::<u16>(),
    ) {
        let mut data = if v6 {
            let mut h = vec![0x60, 0, 0, 0];
            h.extend_from_slice(&claimed.to_be_bytes());
            h.extend_from_slice(&[protocol, 64]);
            h.extend_from_slice(&[0; 32]);
            h
        } else {
            let mut h = vec![0x45, 0];
            h.extend_from_slice(&claimed.to_be_bytes());
            h.extend_from_slice(&[0, 0]);
            h.extend_from_slice(&frag.to_be_bytes());
            h.extend_from_slice(&[64, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
            h
        };
        data.extend_from_slice(&rest);
        let pkt = decode(LinkType::Raw, &data);
        check_invariants(LinkType::Raw, &data, &pkt)?;
        prop_assert!(matches!(pkt.net, Some(Net::Ipv4(_) | Net::Ipv6(_))));
    }
}
