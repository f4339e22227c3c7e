//! Samples about link-layer framing: VLAN tags, Linux cooked captures,
//! BSD loopback and pcapng with two link types.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

use super::{cfg, pcap, ping, udp_exchange, Rec};
use crate::addr::{client_v4, doc_v6, mac, net3_v4, server_v4, vpc_v4};
use crate::arp::Arp;
use crate::conn::{Dir, TcpConn};
use crate::link::{Link, LinkPair, LinkType, LinuxSll, LinuxSll2, VlanTag};
use crate::packet::{frame_arp, udp_frame};
use crate::pcap::{PcapHeader, TsResolution};
use crate::pcapng::{Interface, PcapngWriter};
use crate::sink::Recorder;
use crate::time::{Timestamp, BASE_TIME};
use crate::{dns, http, link};

fn v4(ip: Ipv4Addr, port: u16) -> SocketAddrV4 {
    SocketAddrV4::new(ip, port)
}

fn v6(ip: Ipv6Addr, port: u16) -> SocketAddrV6 {
    SocketAddrV6::new(ip, port, 0, 0)
}

/// A short HTTP conversation: handshake, GET, response, client-side close.
fn http_conv(rec: &mut Rec, mut c: TcpConn, host: &str, body_len: usize) -> io::Result<()> {
    c.handshake(rec)?;
    c.send(rec, Dir::ToServer, &http::request(host, "/"))?;
    c.send(rec, Dir::ToClient, &http::response(body_len))?;
    c.close(rec, Dir::ToServer)
}

/// Frames 1-10: 802.1Q VID 100 HTTP; 11-12: 802.1Q VID 100 PCP 3 DNS;
/// 13-14: 802.1Q VID 200 ping; 15-24: QinQ S-VID 1000 / C-VID 100 HTTP;
/// 25-26: QinQ DNS; 27-28: QinQ ping; 29-30: 802.1Q IPv6 UDP DNS;
/// 31: triple-tagged (0x88a8 / 0x8100 / 0x8100) UDP.
pub(super) fn vlan_qinq() -> io::Result<Vec<u8>> {
    pcap(PcapHeader::new(LinkType::ETHERNET), |rec| {
        let (cm, sm) = (mac(0x10), mac(0x20));
        let q100 = [VlanTag::dot1q(100)];
        let links = LinkPair::ethernet(cm, sm, &q100);
        let c = TcpConn::v4(
            v4(vpc_v4(1, 10), 49152),
            v4(vpc_v4(2, 20), 80),
            links,
            cfg(101),
        );
        http_conv(rec, c, "intranet.example", 600)?;
        rec.advance_micros(5_000);

        let l = LinkPair::ethernet(cm, sm, &[VlanTag::dot1q(100).with_pcp(3)]);
        let name = "db.internal.example";
        udp_exchange(
            rec,
            (&l.to_server, &l.to_client),
            v4(vpc_v4(1, 10), 53001).into(),
            v4(vpc_v4(0, 2), 53).into(),
            &dns::query(0x0a01, name, dns::TYPE_A),
            &dns::response(0x0a01, name, vpc_v4(2, 20).into()),
            300,
        )?;
        rec.advance_micros(5_000);
        let l = LinkPair::ethernet(cm, sm, &[VlanTag::dot1q(200)]);
        ping(
            rec,
            (&l.to_server, &l.to_client),
            vpc_v4(1, 10).into(),
            vpc_v4(3, 30).into(),
            0x0200,
            1,
        )?;
        rec.advance_micros(5_000);

        let qinq = [VlanTag::service(1000), VlanTag::dot1q(100)];
        let links = LinkPair::ethernet(mac(0x11), mac(0x21), &qinq);
        let c = TcpConn::v4(
            v4(client_v4(10), 49200),
            v4(server_v4(20), 80),
            links.clone(),
            cfg(102),
        );
        http_conv(rec, c, "qinq.example.com", 300)?;
        rec.advance_micros(5_000);
        let name = "qinq.example.com";
        udp_exchange(
            rec,
            (&links.to_server, &links.to_client),
            v4(client_v4(10), 53002).into(),
            v4(net3_v4(53), 53).into(),
            &dns::query(0x0a02, name, dns::TYPE_A),
            &dns::response(0x0a02, name, server_v4(20).into()),
            2_000,
        )?;
        rec.advance_micros(5_000);
        ping(
            rec,
            (&links.to_server, &links.to_client),
            client_v4(10).into(),
            server_v4(20).into(),
            0x0201,
            1,
        )?;
        rec.advance_micros(5_000);

        let l = LinkPair::ethernet(mac(0x12), mac(0x22), &[VlanTag::dot1q(300)]);
        let name = "v6.example.com";
        udp_exchange(
            rec,
            (&l.to_server, &l.to_client),
            v6(doc_v6(1, 0x10), 53003).into(),
            v6(doc_v6(0x53, 0x53), 53).into(),
            &dns::query(0x0a03, name, dns::TYPE_AAAA),
            &dns::response(0x0a03, name, doc_v6(2, 0x20).into()),
            1_500,
        )?;
        rec.advance_micros(5_000);

        let triple = [
            VlanTag::service(2000),
            VlanTag::dot1q(20),
            VlanTag::dot1q(30),
        ];
        let l = Link::ethernet_tagged(mac(0x13), mac(0x23), &triple);
        rec.emit(&udp_frame(
            &l,
            v4(client_v4(13), 5000).into(),
            v4(server_v4(23), 5001).into(),
            b"three tags deep",
        ))
    })
}

/// Frames of [`cooked`]: 1-2 ARP (request out, reply in); 3-4 ARP request
/// from another host (broadcast) and our reply; 5-15 IPv4 HTTP; 16-17 IPv4
/// DNS; 18-19 ping; 20-30 IPv6 HTTP; 31-32 IPv6 DNS.
fn cooked(rec: &mut Rec, pair: &dyn Fn(u8) -> LinkPair) -> io::Result<()> {
    let me = (mac(0x30), client_v4(30));
    let gw = (mac(0x01), client_v4(1));
    let other = (mac(0x31), client_v4(31));
    let p = pair(0x01);
    rec.emit(&frame_arp(&p.to_server, &Arp::request(me.0, me.1, gw.1)))?;
    rec.advance_micros(200);
    rec.emit(&frame_arp(
        &p.to_client,
        &Arp::reply(gw.0, gw.1, me.0, me.1),
    ))?;
    rec.advance_micros(3_000);
    let p = pair(0x31);
    let incoming_broadcast = match &p.to_client {
        Link::LinuxSll(s) => Link::LinuxSll(LinuxSll {
            packet_type: link::sll_packet_type::BROADCAST,
            ..*s
        }),
        Link::LinuxSll2(s) => Link::LinuxSll2(LinuxSll2 {
            packet_type: link::sll_packet_type::BROADCAST,
            ..*s
        }),
        l => l.clone(),
    };
    rec.emit(&frame_arp(
        &incoming_broadcast,
        &Arp::request(other.0, other.1, me.1),
    ))?;
    rec.advance_micros(50);
    rec.emit(&frame_arp(
        &p.to_server,
        &Arp::reply(me.0, me.1, other.0, other.1),
    ))?;
    rec.advance_micros(3_000);

    let p = pair(0x01);
    let c = TcpConn::v4(v4(me.1, 43210), v4(server_v4(80), 80), p.clone(), cfg(201));
    http_conv(rec, c, "cooked.example.com", 2000)?;
    rec.advance_micros(3_000);
    let name = "cooked.example.com";
    udp_exchange(
        rec,
        (&p.to_server, &p.to_client),
        v4(me.1, 45000).into(),
        v4(net3_v4(53), 53).into(),
        &dns::query(0x0b01, name, dns::TYPE_A),
        &dns::response(0x0b01, name, server_v4(80).into()),
        2_000,
    )?;
    rec.advance_micros(3_000);
    ping(
        rec,
        (&p.to_server, &p.to_client),
        me.1.into(),
        server_v4(80).into(),
        0x0300,
        1,
    )?;
    rec.advance_micros(3_000);
    let c = TcpConn::v6(
        v6(doc_v6(1, 0x30), 43211),
        v6(doc_v6(2, 0x80), 80),
        p.clone(),
        cfg(202),
    );
    http_conv(rec, c, "cooked.example.com", 2000)?;
    rec.advance_micros(3_000);
    udp_exchange(
        rec,
        (&p.to_server, &p.to_client),
        v6(doc_v6(1, 0x30), 45001).into(),
        v6(doc_v6(0x53, 0x53), 53).into(),
        &dns::query(0x0b02, name, dns::TYPE_AAAA),
        &dns::response(0x0b02, name, doc_v6(2, 0x80).into()),
        2_000,
    )
}

/// LINKTYPE_LINUX_SLL, captured on the client host.
pub(super) fn sll() -> io::Result<Vec<u8>> {
    pcap(PcapHeader::new(LinkType::LINUX_SLL), |rec| {
        cooked(rec, &|peer| LinkPair::sll(mac(0x30), mac(peer)))
    })
}

/// LINKTYPE_LINUX_SLL2 on ifindex 2, captured on the client host.
pub(super) fn sll2() -> io::Result<Vec<u8>> {
    pcap(PcapHeader::new(LinkType::LINUX_SLL2), |rec| {
        cooked(rec, &|peer| LinkPair::sll2(2, mac(0x30), mac(peer)))
    })
}

/// LINKTYPE_NULL (macOS `lo0`): IPv4 HTTP on 127.0.0.1 (frames 1-10), IPv6
/// UDP on ::1 (11-12), IPv4 ping (13-14), ICMPv6 ping (15-16).
pub(super) fn null_loopback() -> io::Result<Vec<u8>> {
    pcap(PcapHeader::new(LinkType::NULL), |rec| {
        let lo = LinkPair::symmetric(Link::Null);
        let mut c = cfg(301);
        c.mss = 16344;
        c.half_rtt_micros = 40;
        c.syn_window = 65535;
        c.window = 6379;
        c.wscale = Some(6);
        let l4 = Ipv4Addr::LOCALHOST;
        let conn = TcpConn::v4(v4(l4, 51000), v4(l4, 8080), lo.clone(), c);
        http_conv(rec, conn, "localhost:8080", 120)?;
        rec.advance_micros(2_000);
        let l6 = Ipv6Addr::LOCALHOST;
        udp_exchange(
            rec,
            (&lo.to_server, &lo.to_client),
            v6(l6, 52000).into(),
            v6(l6, 5353).into(),
            &dns::query(0x0c01, "printer.local", dns::TYPE_AAAA),
            &dns::response(0x0c01, "printer.local", IpAddr::V6(l6)),
            30,
        )?;
        rec.advance_micros(2_000);
        ping(
            rec,
            (&lo.to_server, &lo.to_client),
            l4.into(),
            l4.into(),
            0x0400,
            1,
        )?;
        ping(
            rec,
            (&lo.to_server, &lo.to_client),
            l6.into(),
            l6.into(),
            0x0401,
            1,
        )
    })
}

/// pcapng: interface 0 `eth0` (Ethernet, if_tsresol 6) carries an IPv4
/// HTTP conversation; interface 1 `tun0` (LINKTYPE_RAW, if_tsresol 9)
/// carries a VPN-side HTTP conversation and an IPv6 DNS exchange. Packets
/// are interleaved by time; the first `tun0` packet has an opt_comment.
pub(super) fn two_linktypes() -> io::Result<Vec<u8>> {
    let mut eth = Recorder::new(Vec::new(), BASE_TIME).with_step_nanos(1_000);
    let links = LinkPair::ethernet(mac(0x40), mac(0x01), &[]);
    let mut c = TcpConn::v4(
        v4(client_v4(40), 40400),
        v4(server_v4(40), 80),
        links,
        cfg(401),
    );
    c.handshake(&mut eth)?;
    c.send(
        &mut eth,
        Dir::ToServer,
        &http::request("eth.example.com", "/index.html"),
    )?;
    c.send(&mut eth, Dir::ToClient, &http::response(1800))?;
    c.close(&mut eth, Dir::ToServer)?;

    let start = BASE_TIME.add_nanos(300_123);
    let mut tun = Recorder::new(Vec::new(), start).with_step_nanos(1_337);
    let raw = LinkPair::symmetric(Link::Raw);
    let mut cf = cfg(402);
    cf.mss = 1360;
    let mut c = TcpConn::v4(
        v4(vpc_v4(8, 2), 40401),
        v4(vpc_v4(9, 40), 8080),
        raw.clone(),
        cf,
    );
    c.handshake(&mut tun)?;
    c.send(
        &mut tun,
        Dir::ToServer,
        &http::request("tun.example.com", "/"),
    )?;
    c.send(&mut tun, Dir::ToClient, &http::response(500))?;
    c.close(&mut tun, Dir::ToServer)?;
    tun.advance_nanos(777);
    let name = "tun.example.com";
    tun.emit(&udp_frame(
        &raw.to_server,
        v6(doc_v6(8, 2), 40402).into(),
        v6(doc_v6(0x53, 0x53), 53).into(),
        &dns::query(0x0d01, name, dns::TYPE_AAAA),
    ))?;
    tun.advance_nanos(1_500_001);
    tun.emit(&udp_frame(
        &raw.to_client,
        v6(doc_v6(0x53, 0x53), 53).into(),
        v6(doc_v6(8, 2), 40402).into(),
        &dns::response(0x0d01, name, doc_v6(9, 0x40).into()),
    ))?;

    let mut all: Vec<(Timestamp, u32, Vec<u8>)> = Vec::new();
    all.extend(eth.into_inner().into_iter().map(|(t, f)| (t, 0, f)));
    all.extend(tun.into_inner().into_iter().map(|(t, f)| (t, 1, f)));
    all.sort_by_key(|(t, i, _)| (*t, *i));

    let mut w = PcapngWriter::new(Vec::new(), Some("flowsleuth-samplegen"))?;
    let e = w.add_interface(Interface {
        link_type: LinkType::ETHERNET,
        snaplen: 262_144,
        name: Some("eth0".to_owned()),
        resolution: TsResolution::Micros,
    })?;
    let t = w.add_interface(Interface {
        link_type: LinkType::RAW,
        snaplen: 262_144,
        name: Some("tun0".to_owned()),
        resolution: TsResolution::Nanos,
    })?;
    let mut commented = false;
    for (ts, iface, f) in &all {
        let id = if *iface == 0 { e } else { t };
        let comment = if id == t && !commented {
            commented = true;
            Some("first packet on tun0: raw IPv4, nanosecond timestamps")
        } else {
            None
        };
        w.write_packet_on(id, *ts, f, comment)?;
    }
    w.finish()
}
