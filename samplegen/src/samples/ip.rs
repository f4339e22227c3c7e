//! Samples about the network layer: IPv6 extension headers, ARP and ICMP,
//! IPv4 fragments, and snaplen truncation.

use std::io;
use std::net::{Ipv6Addr, SocketAddrV4, SocketAddrV6};

use super::{cfg, pcap, ping, udp_exchange, Rec};
use crate::addr::{client_v4, doc_v6, link_local, mac, net3_v4, server_v4};
use crate::arp::Arp;
use crate::conn::{Dir, TcpConn};
use crate::icmp::{ipv6_multicast_mac, nd_body, solicited_node, Icmp};
use crate::ipv4::{protocol, Ipv4};
use crate::ipv6::{Ipv6, Ipv6Ext, Ipv6Option};
use crate::link::{Link, LinkPair, LinkType, BROADCAST};
use crate::packet::{frame_arp, frame_ip, FrameBuilder, Ip, Transport};
use crate::pcap::PcapHeader;
use crate::rng::SplitMix64;
use crate::tcp::{Tcp, TcpFlags};
use crate::udp::Udp;
use crate::{dns, http};

const MLD_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x16);
const MDNS_GROUP: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0xfb);

fn v6(ip: Ipv6Addr, port: u16) -> SocketAddrV6 {
    SocketAddrV6::new(ip, port, 0, 0)
}

/// Emits every fragment (an IP packet each) of `packets` on `link`.
fn emit_all(rec: &mut Rec, link: &Link, packets: &[Vec<u8>]) -> io::Result<()> {
    for p in packets {
        rec.emit(&frame_ip(link, p))?;
    }
    Ok(())
}

/// IPv6 extension headers. Frame by frame:
/// 1 MLDv2 report with hop-by-hop Router Alert; 2-3 neighbor solicitation
/// and advertisement; 4-5 ICMPv6 echo; 6-9 ICMPv6 echo with 1800 data bytes,
/// request and reply each in two fragments; 10-20 an HTTP conversation whose
/// every segment carries a destination options header; 21 DNS query with a
/// Segment Routing Header (segments left 1; the UDP checksum uses the final
/// destination from the SRH); 22 its plain response; 23 UDP behind
/// hop-by-hop + destination options + routing type 0 (segments left 0) +
/// atomic fragment header; 24-26 a 3000-byte UDP datagram in three fragments.
pub(super) fn ipv6_ext() -> io::Result<Vec<u8>> {
    pcap(PcapHeader::new(LinkType::ETHERNET), |rec| {
        let (host, router) = (mac(0x50), mac(0x01));
        let me = doc_v6(1, 0x50);
        let gw = doc_v6(1, 1);
        let far = doc_v6(2, 0x20);
        let out = Link::ethernet(host, router);
        let inl = Link::ethernet(router, host);
        let mut fb = FrameBuilder::new();
        let mut buf = Vec::new();

        // 1: MLDv2 report (type 143) with a hop-by-hop Router Alert.
        let mut h = Ipv6::new(link_local(0x50), MLD_ROUTERS)
            .with_ext(Ipv6Ext::HopByHop(vec![Ipv6Option::RouterAlert(0)]));
        h.hop_limit = 1;
        let mld = Icmp {
            icmp_type: 143,
            code: 0,
            rest: [0, 0, 0, 1],
        };
        let mut body = vec![4, 0, 0, 0];
        body.extend_from_slice(&MDNS_GROUP.octets());
        let l = Link::ethernet(host, ipv6_multicast_mac(MLD_ROUTERS));
        fb.frame(&l, &Ip::V6(h), Transport::Icmp(&mld, &body), &mut buf);
        rec.emit(&buf)?;
        rec.advance_micros(1_000);

        // 2-3: neighbor solicitation for the router, and its advertisement.
        let sn = solicited_node(gw);
        let mut h = Ipv6::new(me, sn);
        h.hop_limit = 255;
        let l = Link::ethernet(host, ipv6_multicast_mac(sn));
        let ns = nd_body(gw, 1, host);
        fb.frame(
            &l,
            &Ip::V6(h),
            Transport::Icmp(&Icmp::neighbor_solicitation(), &ns),
            &mut buf,
        );
        rec.emit(&buf)?;
        rec.advance_micros(300);
        let mut h = Ipv6::new(gw, me);
        h.hop_limit = 255;
        let na = nd_body(gw, 2, router);
        fb.frame(
            &inl,
            &Ip::V6(h),
            Transport::Icmp(&Icmp::neighbor_advertisement(), &na),
            &mut buf,
        );
        rec.emit(&buf)?;
        rec.advance_micros(1_000);

        // 4-5: echo.
        ping(rec, (&out, &inl), me.into(), far.into(), 0x0500, 1)?;
        rec.advance_micros(1_000);

        // 6-9: a large echo, fragmented both ways.
        let data: Vec<u8> = (0..1800u32).map(|i| (i % 251) as u8).collect();
        let req = Ipv6::new(me, far);
        let msg = fb
            .transport(
                &Ip::V6(req.clone()),
                Transport::Icmp(&Icmp::v6_echo_request(0x0500, 2), &data),
            )
            .to_vec();
        emit_all(
            rec,
            &out,
            &req.fragments(protocol::ICMPV6, &msg, 1232, 0x0000_5001),
        )?;
        rec.advance_micros(1_600);
        let rep = Ipv6::new(far, me);
        let msg = fb
            .transport(
                &Ip::V6(rep.clone()),
                Transport::Icmp(&Icmp::v6_echo_reply(0x0500, 2), &data),
            )
            .to_vec();
        emit_all(
            rec,
            &inl,
            &rep.fragments(protocol::ICMPV6, &msg, 1232, 0x0000_9001),
        )?;
        rec.advance_micros(1_000);

        // 10-21: HTTP with a destination options header on every segment.
        let dopt = Ipv6Ext::DestinationOptions(vec![Ipv6Option::Other {
            option_type: 0x1e, // RFC 4727 experimental, "skip if unknown"
            data: vec![0xde, 0xad, 0xbe, 0xef],
        }]);
        let c = TcpConn::v6(
            v6(me, 50000),
            v6(far, 80),
            LinkPair::ethernet(host, router, &[]),
            cfg(501),
        )
        .with_ipv6_ext(vec![dopt.clone()]);
        http_conv(rec, c, "ext.example.com", 1800)?;
        rec.advance_micros(1_000);

        // 22-23: DNS query source-routed through 2001:db8:ff::1 (SRH), plain answer.
        let resolver = doc_v6(0x53, 0x53);
        let waypoint = doc_v6(0xff, 1);
        let q = dns::query(0x0e01, "srh.example.com", dns::TYPE_AAAA);
        let h = Ipv6::new(me, waypoint).with_ext(Ipv6Ext::SegmentRouting {
            segments_left: 1,
            segments: vec![resolver, waypoint],
        });
        fb.frame(
            &out,
            &Ip::V6(h),
            Transport::Udp(&Udp::new(50001, 53), &q),
            &mut buf,
        );
        rec.emit(&buf)?;
        rec.advance_micros(2_000);
        let a = dns::response(0x0e01, "srh.example.com", far.into());
        fb.frame(
            &inl,
            &Ip::v6(resolver, me),
            Transport::Udp(&Udp::new(53, 50001), &a),
            &mut buf,
        );
        rec.emit(&buf)?;
        rec.advance_micros(1_000);

        // 24: every extension header at once, in RFC 8200 order.
        let h = Ipv6::new(me, far)
            .with_ext(Ipv6Ext::HopByHop(vec![Ipv6Option::Other {
                option_type: 0x1e,
                data: vec![1, 2],
            }]))
            .with_ext(dopt)
            .with_ext(Ipv6Ext::Routing {
                routing_type: 0,
                segments_left: 0,
                data: [[0u8; 4].as_slice(), &doc_v6(0xff, 2).octets()].concat(),
            })
            .with_ext(Ipv6Ext::Fragment {
                offset: 0,
                more: false,
                ident: 0x0000_5002,
            });
        fb.frame(
            &out,
            &Ip::V6(h),
            Transport::Udp(&Udp::new(50002, 9), b"all four extension headers"),
            &mut buf,
        );
        rec.emit(&buf)?;
        rec.advance_micros(1_000);

        // 25-27: a 3000-byte UDP datagram in three fragments.
        let mut payload = vec![0u8; 3000];
        SplitMix64::new(502).fill(&mut payload);
        let h = Ipv6::new(me, far);
        let dgram = fb
            .transport(
                &Ip::V6(h.clone()),
                Transport::Udp(&Udp::new(50003, 9), &payload),
            )
            .to_vec();
        emit_all(
            rec,
            &out,
            &h.fragments(protocol::UDP, &dgram, 1232, 0x0000_5003),
        )
    })
}

fn http_conv(rec: &mut Rec, mut c: TcpConn, host: &str, body_len: usize) -> io::Result<()> {
    c.handshake(rec)?;
    c.send(rec, Dir::ToServer, &http::request(host, "/"))?;
    c.send(rec, Dir::ToClient, &http::response(body_len))?;
    c.close(rec, Dir::ToServer)
}

/// The offending packet as quoted in an ICMP error: IP header + 8 bytes.
fn quote(ip_packet: &[u8]) -> Vec<u8> {
    let ihl = usize::from(ip_packet.first().map_or(5, |b| b & 0x0f)) * 4;
    ip_packet[..(ihl + 8).min(ip_packet.len())].to_vec()
}

/// ARP and ICMP (all Ethernet frames padded to 60 bytes). Frame by frame:
/// 1 ARP who-has 192.0.2.1 (broadcast); 2 is-at reply; 3 gratuitous ARP
/// from the router; 4-7 two ICMP echo request/reply pairs; 8 UDP probe with
/// TTL 1 and 9 the router's time-exceeded; 10 UDP to a closed port and 11
/// port unreachable; 12 a 1500-byte TCP segment with DF and 13 the router's
/// fragmentation-needed (next-hop MTU 1400); 14-16 a 3000-byte UDP datagram
/// in three IPv4 fragments (first, middle, last); 17-18 a 2000-byte echo
/// request in two fragments and 19-20 the reply fragments, last fragment first.
pub(super) fn arp_icmp() -> io::Result<Vec<u8>> {
    pcap(PcapHeader::new(LinkType::ETHERNET), |rec| {
        let me = (mac(0x60), client_v4(60));
        let gw = (mac(0x01), client_v4(1));
        let far = server_v4(7);
        let out = Link::ethernet(me.0, gw.0).padded();
        let inl = Link::ethernet(gw.0, me.0).padded();
        let bcast_me = Link::ethernet(me.0, BROADCAST).padded();
        let bcast_gw = Link::ethernet(gw.0, BROADCAST).padded();
        let mut fb = FrameBuilder::new();
        let mut buf = Vec::new();

        rec.emit(&frame_arp(&bcast_me, &Arp::request(me.0, me.1, gw.1)))?;
        rec.advance_micros(150);
        rec.emit(&frame_arp(&inl, &Arp::reply(gw.0, gw.1, me.0, me.1)))?;
        rec.advance_micros(5_000);
        rec.emit(&frame_arp(&bcast_gw, &Arp::request(gw.0, gw.1, gw.1)))?;
        rec.advance_micros(5_000);

        for seq in 1..=2 {
            ping(rec, (&out, &inl), me.1.into(), far.into(), 0x0600, seq)?;
            rec.advance_micros(1_000_000);
        }

        // Traceroute-style probe with TTL 1 and the router's answer.
        let probe = Ip::V4(Ipv4::new(me.1, far).with_ttl(1).with_ident(0x6001));
        let pkt = fb
            .ip_packet(&probe, Transport::Udp(&Udp::new(50100, 33434), &[0; 24]))
            .to_vec();
        rec.emit(&frame_ip(&out, &pkt))?;
        rec.advance_micros(400);
        let err = Ip::V4(Ipv4::new(gw.1, me.1).with_ttl(255).with_ident(0x0101));
        fb.frame(
            &inl,
            &err,
            Transport::Icmp(&Icmp::time_exceeded(), &quote(&pkt)),
            &mut buf,
        );
        rec.emit(&buf)?;
        rec.advance_micros(5_000);

        // UDP to a closed port and the port unreachable.
        let probe = Ip::V4(Ipv4::new(me.1, far).with_ident(0x6002));
        let pkt = fb
            .ip_packet(
                &probe,
                Transport::Udp(&Udp::new(50101, 33435), b"anyone there?"),
            )
            .to_vec();
        rec.emit(&frame_ip(&out, &pkt))?;
        rec.advance_micros(1_600);
        let err = Ip::V4(Ipv4::new(far, me.1).with_ttl(52).with_ident(0x0202));
        fb.frame(
            &inl,
            &err,
            Transport::Icmp(&Icmp::dest_unreachable(3), &quote(&pkt)),
            &mut buf,
        );
        rec.emit(&buf)?;
        rec.advance_micros(5_000);

        // A full-size TCP segment with DF and the router's "fragmentation needed".
        let mut t = Tcp::new(50102, 443, TcpFlags::ACK | TcpFlags::PSH);
        t.seq = 0x1000_0000;
        t.ack = 0x2000_0000;
        t.window = 501;
        let mut data = vec![0u8; 1460];
        SplitMix64::new(601).fill(&mut data);
        // Make it look like the start of a TLS application_data record.
        data[..5].copy_from_slice(&[23, 3, 3, 0x05, 0xaf]);
        let ip = Ip::V4(Ipv4::new(me.1, net3_v4(50)).with_ident(0x6003));
        let pkt = fb.ip_packet(&ip, Transport::Tcp(&t, &data)).to_vec();
        rec.emit(&frame_ip(&out, &pkt))?;
        rec.advance_micros(300);
        let mut ptb = Icmp::dest_unreachable(4);
        ptb.rest = [0, 0, 0x05, 0x78]; // next-hop MTU 1400
        let err = Ip::V4(Ipv4::new(gw.1, me.1).with_ttl(255).with_ident(0x0103));
        fb.frame(&inl, &err, Transport::Icmp(&ptb, &quote(&pkt)), &mut buf);
        rec.emit(&buf)?;
        rec.advance_micros(5_000);

        // 3000 bytes of UDP in three fragments.
        let mut payload = vec![0u8; 3000];
        SplitMix64::new(602).fill(&mut payload);
        let h = Ipv4::new(me.1, far).with_ident(0x6004);
        let dgram = fb
            .transport(
                &Ip::V4(h.clone()),
                Transport::Udp(&Udp::new(50103, 9), &payload),
            )
            .to_vec();
        emit_all(rec, &out, &h.fragments(protocol::UDP, &dgram, 1480))?;
        rec.advance_micros(5_000);

        // A 2000-byte ping, fragmented both ways; the reply's last fragment first.
        let data: Vec<u8> = (0..2000u32).map(|i| (i % 256) as u8).collect();
        let h = Ipv4::new(me.1, far).with_ident(0x6005);
        let msg = fb
            .transport(
                &Ip::V4(h.clone()),
                Transport::Icmp(&Icmp::echo_request(0x0600, 3), &data),
            )
            .to_vec();
        emit_all(rec, &out, &h.fragments(protocol::ICMP, &msg, 1480))?;
        rec.advance_micros(1_700);
        let h = Ipv4::new(far, me.1).with_ttl(52).with_ident(0x0203);
        let msg = fb
            .transport(
                &Ip::V4(h.clone()),
                Transport::Icmp(&Icmp::echo_reply(0x0600, 3), &data),
            )
            .to_vec();
        let mut frags = h.fragments(protocol::ICMP, &msg, 1480);
        frags.reverse();
        emit_all(rec, &inl, &frags)
    })
}

/// Everything cut to 64 captured bytes (snaplen 64): IPv4 HTTP with a
/// 3000-byte body (frames 1-13), IPv4 DNS (14-15), ping (16-17), IPv6 HTTP
/// (18-27; even the TCP header is cut: 14 + 40 + 10 of its 32 bytes), IPv6
/// DNS (28-29).
pub(super) fn snaplen_64() -> io::Result<Vec<u8>> {
    let mut hdr = PcapHeader::new(LinkType::ETHERNET);
    hdr.snaplen = 64;
    pcap(hdr, |rec| {
        let links = LinkPair::ethernet(mac(0x70), mac(0x01), &[]);
        let (c4, s4) = (client_v4(70), server_v4(70));
        let c = TcpConn::v4(
            SocketAddrV4::new(c4, 41000),
            SocketAddrV4::new(s4, 80),
            links.clone(),
            cfg(701),
        );
        http_conv(rec, c, "snap.example.com", 3000)?;
        rec.advance_micros(2_000);
        let pair = (&links.to_server, &links.to_client);
        let name = "snap.example.com";
        udp_exchange(
            rec,
            pair,
            SocketAddrV4::new(c4, 41001).into(),
            SocketAddrV4::new(net3_v4(53), 53).into(),
            &dns::query(0x0f01, name, dns::TYPE_A),
            &dns::response(0x0f01, name, s4.into()),
            2_000,
        )?;
        rec.advance_micros(2_000);
        ping(rec, pair, c4.into(), s4.into(), 0x0700, 1)?;
        rec.advance_micros(2_000);
        let (c6, s6) = (doc_v6(1, 0x70), doc_v6(2, 0x70));
        let c = TcpConn::v6(v6(c6, 41002), v6(s6, 80), links.clone(), cfg(702));
        http_conv(rec, c, "snap.example.com", 400)?;
        rec.advance_micros(2_000);
        udp_exchange(
            rec,
            pair,
            v6(c6, 41003).into(),
            v6(doc_v6(0x53, 0x53), 53).into(),
            &dns::query(0x0f02, name, dns::TYPE_AAAA),
            &dns::response(0x0f02, name, s6.into()),
            2_000,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_takes_header_plus_eight() {
        let mut p = vec![0x45];
        p.resize(40, 7);
        assert_eq!(quote(&p).len(), 28);
    }
}
