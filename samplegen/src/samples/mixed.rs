//! A small mix of everything, written twice: gzip-compressed little-endian
//! microsecond pcap, and big-endian nanosecond pcap.

use std::io;
use std::net::{SocketAddrV4, SocketAddrV6};

use crate::addr::{client_v4, doc_v6, mac, net3_v4, server_v4};
use crate::arp::Arp;
use crate::conn::{Dir, TcpConn, TcpConnConfig};
use crate::icmp::{ipv6_multicast_mac, nd_body, solicited_node, Icmp};
use crate::ipv4::{protocol, Ipv4};
use crate::link::{Link, LinkPair, LinkType, VlanTag, BROADCAST};
use crate::packet::{
    frame, frame_arp, frame_ip, icmp_frame, udp_frame, FrameBuilder, Ip, Transport,
};
use crate::pcap::{Endian, PcapHeader, PcapWriter, TsResolution};
use crate::rng::SplitMix64;
use crate::sink::{PacketSink, Recorder};
use crate::time::{Timestamp, BASE_TIME};
use crate::udp::Udp;
use crate::{dns, gzip, http, tls};

/// SNI of the TLS connection in the mixed samples.
pub const MIXED_SNI: &str = "mixed.example.com";

type Frames = Vec<(Timestamp, Vec<u8>)>;

fn conn_cfg(seed: u64, half_rtt_micros: u64) -> TcpConnConfig {
    let mut c = TcpConnConfig::linux(seed);
    c.half_rtt_micros = half_rtt_micros;
    c.server_ttl = 54;
    c
}

/// The Ethernet frames of the mixed samples, with nanosecond timestamps.
///
/// # Errors
///
/// Never in practice (everything is in memory).
pub(super) fn packets() -> io::Result<Frames> {
    let mut rec = Recorder::new(Frames::new(), BASE_TIME).with_step_nanos(1_337);
    build(&mut rec)?;
    Ok(rec.into_inner())
}

fn build(rec: &mut Recorder<Frames>) -> io::Result<()> {
    let me = (mac(0xa0), client_v4(0xa0));
    let gw = (mac(0x01), client_v4(1));
    let links = LinkPair::ethernet(me.0, gw.0, &[]);
    let (out, inl) = (&links.to_server, &links.to_client);
    let mut rng = SplitMix64::new(0xa0);
    let mut fb = FrameBuilder::new();

    // ARP for the gateway.
    rec.emit(&frame_arp(
        &Link::ethernet(me.0, BROADCAST).padded(),
        &Arp::request(me.0, me.1, gw.1),
    ))?;
    rec.advance_micros(180);
    rec.emit(&frame_arp(
        &inl.clone().padded(),
        &Arp::reply(gw.0, gw.1, me.0, me.1),
    ))?;
    rec.advance_micros(2_000);

    // DNS, then TLS to the answer.
    let resolver = SocketAddrV4::new(net3_v4(53), 53);
    let server = server_v4(0xa0);
    rec.emit(&udp_frame(
        out,
        SocketAddrV4::new(me.1, 53100).into(),
        resolver.into(),
        &dns::query(0x2001, MIXED_SNI, dns::TYPE_A),
    ))?;
    rec.advance_micros(9_000);
    rec.emit(&udp_frame(
        inl,
        resolver.into(),
        SocketAddrV4::new(me.1, 53100).into(),
        &dns::response(0x2001, MIXED_SNI, server.into()),
    ))?;
    rec.advance_micros(300);
    let mut c = TcpConn::v4(
        SocketAddrV4::new(me.1, 52000),
        SocketAddrV4::new(server, 443),
        links.clone(),
        conn_cfg(0xa1, 7_000),
    );
    c.handshake(rec)?;
    let hello = tls::ClientHello::new(MIXED_SNI, &mut rng);
    c.send(rec, Dir::ToServer, &hello.record_bytes())?;
    c.send(
        rec,
        Dir::ToClient,
        &tls::tls13_server_flight(&hello, 3000, &mut rng),
    )?;
    let mut fin = tls::change_cipher_spec();
    fin.extend_from_slice(&tls::application_data(53, &mut rng));
    c.send(rec, Dir::ToServer, &fin)?;
    c.send(rec, Dir::ToServer, &tls::application_data(300, &mut rng))?;
    c.send(rec, Dir::ToClient, &tls::application_data(5000, &mut rng))?;
    c.close(rec, Dir::ToClient)?;
    rec.advance_micros(3_000);

    // Plain HTTP on VLAN 42.
    let tagged = LinkPair::ethernet(me.0, gw.0, &[VlanTag::dot1q(42)]);
    let mut c = TcpConn::v4(
        SocketAddrV4::new(me.1, 52001),
        SocketAddrV4::new(server_v4(0xa1), 80),
        tagged,
        conn_cfg(0xa2, 4_000),
    );
    c.handshake(rec)?;
    c.send(
        rec,
        Dir::ToServer,
        &http::request("vlan42.example.com", "/status"),
    )?;
    c.send(rec, Dir::ToClient, &http::response(700))?;
    c.close(rec, Dir::ToServer)?;
    rec.advance_micros(3_000);

    // A refused connection: SYN, RST-ACK.
    let mut c = TcpConn::v4(
        SocketAddrV4::new(me.1, 52002),
        SocketAddrV4::new(server_v4(0xa2), 8443),
        links.clone(),
        conn_cfg(0xa3, 5_000),
    );
    c.segment(rec, Dir::ToServer, crate::tcp::TcpFlags::SYN, &[])?;
    c.wait_half_rtt(rec);
    c.wait_half_rtt(rec);
    c.reset(rec, Dir::ToClient)?;
    rec.advance_micros(3_000);

    // ICMP echo.
    let data: Vec<u8> = (0u8..56).collect();
    rec.emit(&icmp_frame(
        out,
        me.1.into(),
        server.into(),
        &Icmp::echo_request(0x0a00, 1),
        &data,
    ))?;
    rec.advance_micros(14_000);
    rec.emit(&icmp_frame(
        inl,
        server.into(),
        me.1.into(),
        &Icmp::echo_reply(0x0a00, 1),
        &data,
    ))?;
    rec.advance_micros(3_000);

    // IPv4 fragments: 2000 bytes of UDP in two pieces.
    let mut payload = vec![0u8; 2000];
    rng.fill(&mut payload);
    let h = Ipv4::new(me.1, server).with_ident(0xa001);
    let dgram = fb
        .transport(
            &Ip::V4(h.clone()),
            Transport::Udp(&Udp::new(52003, 9), &payload),
        )
        .to_vec();
    for p in h.fragments(protocol::UDP, &dgram, 1480) {
        rec.emit(&frame_ip(out, &p))?;
    }
    rec.advance_micros(3_000);

    // IPv6: neighbor discovery, DNS, HTTP, echo.
    let me6 = doc_v6(1, 0xa0);
    let gw6 = doc_v6(1, 1);
    let sn = solicited_node(gw6);
    let mut h = Ip::v6(me6, sn).with_ttl(255);
    let ns = nd_body(gw6, 1, me.0);
    rec.emit(&frame(
        &Link::ethernet(me.0, ipv6_multicast_mac(sn)),
        &h,
        Transport::Icmp(&Icmp::neighbor_solicitation(), &ns),
    ))?;
    rec.advance_micros(250);
    h = Ip::v6(gw6, me6).with_ttl(255);
    let na = nd_body(gw6, 2, gw.0);
    rec.emit(&frame(
        inl,
        &h,
        Transport::Icmp(&Icmp::neighbor_advertisement(), &na),
    ))?;
    rec.advance_micros(1_000);
    let r6 = SocketAddrV6::new(doc_v6(0x53, 0x53), 53, 0, 0);
    let server6 = doc_v6(2, 0xa0);
    let q = SocketAddrV6::new(me6, 53101, 0, 0);
    rec.emit(&udp_frame(
        out,
        q.into(),
        r6.into(),
        &dns::query(0x2002, "v6.mixed.example.com", dns::TYPE_AAAA),
    ))?;
    rec.advance_micros(8_000);
    rec.emit(&udp_frame(
        inl,
        r6.into(),
        q.into(),
        &dns::response(0x2002, "v6.mixed.example.com", server6.into()),
    ))?;
    rec.advance_micros(300);
    let mut c = TcpConn::v6(
        SocketAddrV6::new(me6, 52004, 0, 0),
        SocketAddrV6::new(server6, 80, 0, 0),
        links.clone(),
        conn_cfg(0xa4, 6_000),
    );
    c.handshake(rec)?;
    c.send(
        rec,
        Dir::ToServer,
        &http::request("v6.mixed.example.com", "/"),
    )?;
    c.send(rec, Dir::ToClient, &http::response(2500))?;
    c.close(rec, Dir::ToServer)?;
    rec.advance_micros(3_000);
    rec.emit(&icmp_frame(
        out,
        me6.into(),
        server6.into(),
        &Icmp::v6_echo_request(0x0a01, 1),
        &data,
    ))?;
    rec.advance_micros(12_000);
    rec.emit(&icmp_frame(
        inl,
        server6.into(),
        me6.into(),
        &Icmp::v6_echo_reply(0x0a01, 1),
        &data,
    ))
}

fn write_pcap(frames: &Frames, header: PcapHeader) -> io::Result<Vec<u8>> {
    let mut w = PcapWriter::new(Vec::new(), header)?;
    for (ts, f) in frames {
        w.write_packet(*ts, f)?;
    }
    w.finish()
}

/// `mixed.pcap.gz`: little-endian, microseconds, gzip level 9.
pub(super) fn gzipped(frames: &Frames) -> io::Result<Vec<u8>> {
    gzip::gzip_bytes(&write_pcap(frames, PcapHeader::new(LinkType::ETHERNET))?)
}

/// `mixed-be-ns.pcap`: big-endian, nanoseconds.
pub(super) fn big_endian_nanos(frames: &Frames) -> io::Result<Vec<u8>> {
    let mut h = PcapHeader::new(LinkType::ETHERNET);
    h.endian = Endian::Big;
    h.resolution = TsResolution::Nanos;
    write_pcap(frames, h)
}
