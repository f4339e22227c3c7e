//! Deliberately broken files.

use std::io;
use std::net::SocketAddrV4;

use super::{cfg, pcap, udp_exchange, Rec};
use crate::addr::{client_v4, mac, net3_v4, server_v4};
use crate::conn::TcpConn;
use crate::link::{LinkPair, LinkType};
use crate::pcap::PcapHeader;
use crate::time::BASE_TIME;
use crate::{dns, packet};

/// Frames 1-5, shared by both broken files: a TCP handshake and a DNS exchange.
fn five_good_frames(rec: &mut Rec) -> io::Result<LinkPair> {
    let links = LinkPair::ethernet(mac(0x90), mac(0x01), &[]);
    let mut c = TcpConn::v4(
        SocketAddrV4::new(client_v4(90), 42000),
        SocketAddrV4::new(server_v4(90), 80),
        links.clone(),
        cfg(901),
    );
    c.handshake(rec)?;
    rec.advance_micros(1_000);
    let name = "broken.example.com";
    udp_exchange(
        rec,
        (&links.to_server, &links.to_client),
        SocketAddrV4::new(client_v4(90), 42001).into(),
        SocketAddrV4::new(net3_v4(53), 53).into(),
        &dns::query(0x1001, name, dns::TYPE_A),
        &dns::response(0x1001, name, server_v4(90).into()),
        2_000,
    )?;
    rec.advance_micros(1_000);
    Ok(links)
}

/// The 16-byte header of record 6 of `corrupt-record.pcap` (little-endian):
/// ts_sec = 2024-01-01T00:00:01Z, ts_usec = 0xDEADBEEF (not below 10^6),
/// incl_len = 0xFFFF0000 (larger than the snaplen 262144 and than the file),
/// orig_len = 60.
pub const CORRUPT_RECORD_HEADER: [u8; 16] = [
    0x81, 0x00, 0x92, 0x65, 0xef, 0xbe, 0xad, 0xde, 0x00, 0x00, 0xff, 0xff, 0x3c, 0x00, 0x00, 0x00,
];

/// Records 1-5 are good; record 6 has the header [`CORRUPT_RECORD_HEADER`]
/// followed by 20 bytes of 0xEE and the end of the file.
pub(super) fn corrupt_record() -> io::Result<Vec<u8>> {
    pcap(PcapHeader::new(LinkType::ETHERNET), |rec| {
        five_good_frames(rec)?;
        let w = rec.sink_mut();
        w.write_raw(&CORRUPT_RECORD_HEADER)?;
        w.write_raw(&[0xEE; 20])
    })
}

/// Records 1-5 are good; record 6 is a well-formed header for an 87-byte
/// frame (incl_len = orig_len = 87) of which only the first 40 bytes are in
/// the file, as when a capture is killed mid-write.
pub(super) fn truncated_tail() -> io::Result<Vec<u8>> {
    pcap(PcapHeader::new(LinkType::ETHERNET), |rec| {
        let links = five_good_frames(rec)?;
        let f = packet::udp_frame(
            &links.to_server,
            SocketAddrV4::new(client_v4(90), 42002).into(),
            SocketAddrV4::new(server_v4(91), 514).into(),
            b"<14>cut off mid-record, like a killed capture",
        );
        let ts = BASE_TIME.add_micros(10_000);
        let w = rec.sink_mut();
        w.write_record_header(ts, f.len() as u32, f.len() as u32)?;
        w.write_raw(&f[..40])?;
        Ok(())
    })
}
