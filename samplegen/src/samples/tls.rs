//! TLS samples: ClientHellos split across TCP segments.

use std::io;
use std::net::{SocketAddrV4, SocketAddrV6};

use super::{cfg, pcap, Rec};
use crate::addr::{client_v4, doc_v6, mac, server_v4};
use crate::conn::{Dir, TcpConn};
use crate::link::{LinkPair, LinkType};
use crate::pcap::PcapHeader;
use crate::rng::SplitMix64;
use crate::tls::{self, ClientHello};

/// SNI of the connection whose ClientHello is split in two.
pub const SNI_TWO_PARTS: &str = "split.example.com";
/// SNI of the connection whose ClientHello is split in three, out of order.
pub const SNI_THREE_PARTS: &str = "reorder.example.net";
/// SNI of the IPv6 control connection (ClientHello in one segment).
pub const SNI_WHOLE: &str = "whole.example.org";

/// Offset of the middle of `name` inside `record`.
fn mid_name(record: &[u8], name: &str) -> usize {
    record
        .windows(name.len())
        .position(|w| w == name.as_bytes())
        .map_or(record.len() / 2, |p| p + name.len() / 2)
}

/// The rest of a TLS 1.3 session after the ClientHello: server flight,
/// client Finished, one request and response, close.
fn rest_of_session(
    rec: &mut Rec,
    c: &mut TcpConn,
    hello: &ClientHello,
    rng: &mut SplitMix64,
) -> io::Result<()> {
    c.wait_half_rtt(rec);
    c.send(
        rec,
        Dir::ToClient,
        &tls::tls13_server_flight(hello, 2400, rng),
    )?;
    let mut fin = tls::change_cipher_spec();
    fin.extend_from_slice(&tls::application_data(53, rng));
    c.send(rec, Dir::ToServer, &fin)?;
    c.send(rec, Dir::ToServer, &tls::application_data(120, rng))?;
    c.wait_half_rtt(rec);
    c.send(rec, Dir::ToClient, &tls::application_data(900, rng))?;
    c.close(rec, Dir::ToServer)
}

/// Three TLS 1.3-style connections (frame numbers in sample-pcaps/README.md):
/// 1. `split.example.com`: the ClientHello record is cut in the middle of
///    the SNI host name into two segments sent in order.
/// 2. `reorder.example.net`: the record is cut after 3 bytes (inside the
///    record header) and in the middle of the SNI host name; the three
///    segments are sent in the order 3, 1, 2, with SACK duplicate ACKs.
/// 3. `whole.example.org` over IPv6: the ClientHello in one segment.
pub(super) fn split_clienthello() -> io::Result<Vec<u8>> {
    pcap(PcapHeader::new(LinkType::ETHERNET), |rec| {
        let mut rng = SplitMix64::new(801);
        let links = LinkPair::ethernet(mac(0x80), mac(0x01), &[]);

        let mut c = TcpConn::v4(
            SocketAddrV4::new(client_v4(80), 51000),
            SocketAddrV4::new(server_v4(80), 443),
            links.clone(),
            cfg(802),
        );
        c.handshake(rec)?;
        let hello = ClientHello::new(SNI_TWO_PARTS, &mut rng);
        let record = hello.record_bytes();
        c.send_parts(
            rec,
            Dir::ToServer,
            &record,
            &[mid_name(&record, SNI_TWO_PARTS)],
            &[0, 1],
        )?;
        rest_of_session(rec, &mut c, &hello, &mut rng)?;
        rec.advance_micros(10_000);

        let mut c = TcpConn::v4(
            SocketAddrV4::new(client_v4(81), 51001),
            SocketAddrV4::new(server_v4(81), 443),
            links.clone(),
            cfg(803),
        );
        c.handshake(rec)?;
        let hello = ClientHello::new(SNI_THREE_PARTS, &mut rng);
        let record = hello.record_bytes();
        let cuts = [3, mid_name(&record, SNI_THREE_PARTS)];
        c.send_parts(rec, Dir::ToServer, &record, &cuts, &[2, 0, 1])?;
        rest_of_session(rec, &mut c, &hello, &mut rng)?;
        rec.advance_micros(10_000);

        let mut c = TcpConn::v6(
            SocketAddrV6::new(doc_v6(1, 0x82), 51002, 0, 0),
            SocketAddrV6::new(doc_v6(2, 0x82), 443, 0, 0),
            links,
            cfg(804),
        );
        c.handshake(rec)?;
        let hello = ClientHello::new(SNI_WHOLE, &mut rng);
        c.send(rec, Dir::ToServer, &hello.record_bytes())?;
        rest_of_session(rec, &mut c, &hello, &mut rng)
    })
}
