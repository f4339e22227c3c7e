//! `TlsSession` on the real and generated TLS captures of `sample-pcaps/`, fed in several
//! chunkings (per segment, byte by byte, random splits): the summary must be the same each time
//! and match an independent oracle (tshark 4.0.17 and OpenSSL 3.0 on Debian 12; the command is
//! next to each constant).

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::Path;

use decode::tls::{
    cipher_suite_name, group_name, Dir, DirStatus, Ja4Scratch, PhaseKind, ProtocolVersion,
    TlsConfig, TlsSession, TlsSummary,
};
use decode::{decode, LinkType, Net, Transport};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Minimal pcap walk + per-direction stream assembly (ordered by TCP sequence number)
// ---------------------------------------------------------------------------------------------

/// One TCP segment of a capture.
#[derive(Clone, Debug)]
struct Segment {
    frame: u64,
    ts_nanos: i128,
    /// Both endpoints as text, source first (addresses and ports).
    src: String,
    dst: String,
    seq: u32,
    syn: bool,
    ack_flag: bool,
    payload: Vec<u8>,
}

/// Every TCP segment of a classic Ethernet pcap (µs or ns magic, either byte order).
fn segments(name: &str) -> Vec<Segment> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sample-pcaps")
        .join(name);
    let data = std::fs::read(path).unwrap();
    let (le, nanos) = match data[..4] {
        [0xd4, 0xc3, 0xb2, 0xa1] => (true, false),
        [0x4d, 0x3c, 0xb2, 0xa1] => (true, true),
        [0xa1, 0xb2, 0xc3, 0xd4] => (false, false),
        [0xa1, 0xb2, 0x3c, 0x4d] => (false, true),
        _ => panic!("not a classic pcap"),
    };
    let rd32 = |at: usize| {
        let b: [u8; 4] = data[at..at + 4].try_into().unwrap();
        if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let mut at = 24;
    let mut frame = 0u64;
    let mut out = Vec::new();
    while at + 16 <= data.len() {
        frame += 1;
        let secs = i128::from(rd32(at));
        let frac = i128::from(rd32(at + 4));
        let ts_nanos = secs * 1_000_000_000 + if nanos { frac } else { frac * 1000 };
        let caplen = rd32(at + 8) as usize;
        let bytes = &data[at + 16..at + 16 + caplen];
        at += 16 + caplen;
        let pkt = decode(LinkType::Ethernet, bytes);
        let (src, dst) = match &pkt.net {
            Some(Net::Ipv4(ip)) => (ip.src.to_string(), ip.dst.to_string()),
            Some(Net::Ipv6(ip)) => (ip.src.to_string(), ip.dst.to_string()),
            _ => continue,
        };
        if let Some(Transport::Tcp(tcp)) = &pkt.transport {
            out.push(Segment {
                frame,
                ts_nanos,
                src: format!("{src}:{}", tcp.src_port),
                dst: format!("{dst}:{}", tcp.dst_port),
                seq: tcp.seq,
                syn: tcp.flags.contains(decode::TcpFlags::SYN),
                ack_flag: tcp.flags.contains(decode::TcpFlags::ACK),
                payload: pkt.payload.to_vec(),
            });
        }
    }
    out
}

/// A piece of in-order stream data: what a flow table would hand the session.
#[derive(Clone, Debug)]
struct Delivery {
    dir: Dir,
    frame: u64,
    ts_nanos: i128,
    bytes: Vec<u8>,
}

/// The connections of a capture (keyed by client endpoint), each as deliveries in the order a
/// reassembler would produce them: per direction, bytes ordered by sequence number, released
/// when contiguous, stamped with the frame that completed them; both directions merged by
/// that frame.
fn connections(name: &str) -> BTreeMap<String, Vec<Delivery>> {
    let segs = segments(name);
    // Client = sender of a SYN without ACK.
    let mut conns: BTreeMap<String, (String, u32, Option<u32>)> = BTreeMap::new();
    for s in &segs {
        if s.syn && !s.ack_flag {
            conns.insert(s.src.clone(), (s.dst.clone(), s.seq, None));
        }
    }
    for s in &segs {
        if s.syn && s.ack_flag {
            if let Some(c) = conns.get_mut(&s.dst) {
                c.2 = Some(s.seq);
            }
        }
    }
    let mut out = BTreeMap::new();
    for (client, (server, client_isn, server_isn)) in &conns {
        let mut deliveries = Vec::new();
        for (dir, from, to, isn) in [
            (Dir::ClientToServer, client, server, *client_isn),
            (Dir::ServerToClient, server, client, server_isn.unwrap()),
        ] {
            let mut pieces: Vec<(u32, &Segment)> = segs
                .iter()
                .filter(|s| &s.src == from && &s.dst == to && !s.payload.is_empty())
                .map(|s| (s.seq.wrapping_sub(isn).wrapping_sub(1), s))
                .collect();
            // Release bytes when contiguous: walk segments in arrival order, keep a pending set.
            let mut next = 0u32;
            let mut pending: Vec<(u32, &Segment)> = Vec::new();
            for (off, seg) in pieces.drain(..) {
                pending.push((off, seg));
                pending.sort_by_key(|p| p.0);
                while let Some(pos) = pending.iter().position(|p| p.0 <= next) {
                    let (off, s) = pending.remove(pos);
                    let end = off + s.payload.len() as u32;
                    if end > next {
                        let new = &s.payload[(next - off) as usize..];
                        deliveries.push(Delivery {
                            dir,
                            frame: seg.frame,
                            ts_nanos: seg.ts_nanos,
                            bytes: new.to_vec(),
                        });
                        next = end;
                    }
                }
            }
        }
        deliveries.sort_by_key(|d| d.frame); // stable: keeps per-direction order
        out.insert(client.clone(), deliveries);
    }
    out
}

/// How to cut each delivery before feeding it.
#[derive(Clone, Debug)]
enum Chunking {
    Whole,
    ByteByByte,
    /// Cut points (taken modulo the length) for each delivery in turn, cycling.
    Splits(Vec<usize>),
}

fn run(
    deliveries: &[Delivery],
    chunking: &Chunking,
    scratch: Option<&mut Ja4Scratch>,
) -> TlsSummary {
    let mut s = TlsSession::new(TlsConfig::default());
    let mut scratch = scratch;
    let mut cut_idx = 0;
    let mut feed = |s: &mut TlsSession, d: &Delivery, bytes: &[u8]| {
        let r = match scratch.as_deref_mut() {
            Some(sc) => s.feed_with_scratch(d.dir, bytes, d.frame, d.ts_nanos, sc),
            None => s.feed(d.dir, bytes, d.frame, d.ts_nanos),
        };
        r.unwrap();
    };
    for d in deliveries {
        match chunking {
            Chunking::Whole => feed(&mut s, d, &d.bytes),
            Chunking::ByteByByte => {
                for b in d.bytes.chunks(1) {
                    feed(&mut s, d, b);
                }
            }
            Chunking::Splits(cuts) => {
                let mut rest = &d.bytes[..];
                for _ in 0..3 {
                    if cuts.is_empty() || rest.is_empty() {
                        break;
                    }
                    let at = cuts[cut_idx % cuts.len()] % (rest.len() + 1);
                    cut_idx += 1;
                    let (a, b) = rest.split_at(at);
                    feed(&mut s, d, a);
                    rest = b;
                }
                feed(&mut s, d, rest);
            }
        }
    }
    s.take_summary()
}

fn only_connection(name: &str) -> Vec<Delivery> {
    let c = connections(name);
    assert_eq!(c.len(), 1);
    c.into_values().next().unwrap()
}

fn history(s: &TlsSummary) -> String {
    let mut h = String::new();
    s.write_history(&mut h).unwrap();
    h
}

fn phase_list(s: &TlsSummary) -> Vec<(PhaseKind, Dir, u64)> {
    s.phases.iter().map(|p| (p.kind, p.dir, p.frame)).collect()
}

use Dir::{ClientToServer as C, ServerToClient as S};

// ---------------------------------------------------------------------------------------------
// tls12-sni.pcap
// ---------------------------------------------------------------------------------------------
//
// Phases: `tshark -r tls12-sni.pcap -T fields -e frame.number -e tcp.srcport
//   -e tls.record.content_type -e tls.record.length -e tls.handshake.type`:
//   4 47160 22 210 1 | 6 39497 22,22,22,22 2,11,12,14 | 8 47160 22,20,22 16 (+CCS, 40-byte
//   encrypted Finished) | 9 39497 22,20,22 4 (+CCS, Finished) | 10 47160 23 | 11 39497 23 |
//   13 47160 21 (26 bytes: encrypted alert) | 15 39497 21 (26 bytes).
// Hello fields: `tshark -r tls12-sni.pcap -Y 'tls.handshake.type==1 or tls.handshake.type==2'
//   -T fields -e tls.handshake.extensions_server_name -e tls.handshake.ciphersuite
//   -e tls.handshake.extensions_supported_group -e tls.handshake.ja3 -e tls.handshake.ja3s`:
//   SNI tls12.example.test, 28 suites offered, 0xc030 chosen, groups 29,23,30,25,24,
//   ja3 871a754af286dfb70c1b53c6887c62e0, ja3s ec74a5c51106f0419184d0dd08fb05bc.
//   JA4 t12d280700_d943125447b4_e7e480e5a997 (worked by hand in tests/tls_fingerprints.rs).
// Certificate: `tshark -r tls12-sni.pcap -Y tls.handshake.type==11 -T fields
//   -e tls.handshake.certificate | xxd -r -p > c.der;
//   openssl x509 -inform DER -in c.der -noout -fingerprint -sha256 -serial -subject -issuer -dates
//   -ext subjectAltName` ->
//   SHA256 3F:7B:A4:BB:F4:06:36:AF:DB:E5:E1:2D:9A:79:CE:39:08:2E:07:80:77:1A:B6:52:9E:24:D5:ED:16:A0:50:7D
//   serial=42AE4963390913788D00EA272D5DE6D41CC02364, subject=issuer=CN = tls12.example.test,
//   notBefore=Nov 23 12:35:27 2026 GMT, notAfter=Nov 20 12:35:27 2036 GMT, "No extensions in
//   certificate" (so no SAN; the SNI matches through the CN). tshark -e x509sat.printableString
//   agrees: tls12.example.test,tls12.example.test.
// Timestamps: `tshark -e frame.time_epoch`: frame 4 = 1795437327.554516000.

const TLS12_SHA256: &str = "3f7ba4bbf40636afdbe5e12d9a79ce39082e0780771ab6529e24d5ed16a0507d";
const TLS12_SERIAL: &str = "42ae4963390913788d00ea272d5de6d41cc02364";
/// `date -u -d 'Nov 23 12:35:27 2026' +%s` and `date -u -d 'Nov 20 12:35:27 2036' +%s`.
const TLS12_NOT_BEFORE: i64 = 1_795_437_327;
const TLS12_NOT_AFTER: i64 = 2_110_797_327;

fn check_tls12(s: &TlsSummary) {
    assert_eq!(s.status, [DirStatus::Tls, DirStatus::Tls]);
    assert_eq!(s.sni_str(), Some("tls12.example.test"));
    assert_eq!(s.negotiated_version, Some(ProtocolVersion::TLS1_2));
    assert_eq!(s.offered_versions.as_slice(), &[0x0303]);
    assert_eq!(s.offered_cipher_count, 28);
    assert_eq!(s.cipher, Some(0xc030));
    assert_eq!(
        cipher_suite_name(0xc030),
        Some("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
    );
    assert_eq!(s.supported_groups.as_slice(), &[29, 23, 30, 25, 24]);
    assert_eq!(group_name(29), Some("x25519"));
    assert!(s.key_share_groups.is_empty());
    assert!(s.alpn_offered.is_empty() && s.alpn_chosen.is_none());
    assert_eq!(
        s.ja3.unwrap().hex().as_str(),
        "871a754af286dfb70c1b53c6887c62e0"
    );
    assert_eq!(
        s.ja3s.unwrap().hex().as_str(),
        "ec74a5c51106f0419184d0dd08fb05bc"
    );
    assert_eq!(
        s.ja4.unwrap().as_str(),
        "t12d280700_d943125447b4_e7e480e5a997"
    );
    assert_eq!(s.client_hellos, 1);
    assert!(!s.hello_retry);
    assert!(s.established);
    assert!(!s.resumption.session_id_echo && !s.resumption.abbreviated);
    assert!(s.resumption.server_ticket_ext);
    assert_eq!(
        phase_list(s),
        vec![
            (PhaseKind::ClientHello, C, 4),
            (PhaseKind::ServerHello, S, 6),
            (PhaseKind::Certificate, S, 6),
            (PhaseKind::ServerKeyExchange, S, 6),
            (PhaseKind::ServerHelloDone, S, 6),
            (PhaseKind::ClientKeyExchange, C, 8),
            (PhaseKind::ChangeCipherSpec, C, 8),
            (PhaseKind::Finished, C, 8),
            (PhaseKind::NewSessionTicket, S, 9),
            (PhaseKind::ChangeCipherSpec, S, 9),
            (PhaseKind::Finished, S, 9),
            (PhaseKind::ApplicationData, C, 10),
            (PhaseKind::ApplicationData, S, 11),
            (PhaseKind::EncryptedAlert, C, 13),
            (PhaseKind::EncryptedAlert, S, 15),
        ]
    );
    assert_eq!(history(s), "CsxknGIFtifDdLl");
    assert_eq!(s.phases[0].ts_nanos, 1_795_437_327_554_516_000);
    // Certificate chain.
    assert_eq!(s.server_certs.len(), 1);
    assert!(s.client_certs.is_empty());
    let leaf = &s.server_certs[0];
    assert_eq!(leaf.parse_error, None);
    assert_eq!(leaf.subject, "CN=tls12.example.test");
    assert_eq!(leaf.issuer, "CN=tls12.example.test");
    assert_eq!(leaf.common_names, vec!["tls12.example.test".to_string()]);
    assert!(leaf.san_dns.is_empty() && leaf.san_ip.is_empty());
    assert_eq!(leaf.serial_hex, TLS12_SERIAL);
    assert_eq!(leaf.sha256_hex(), TLS12_SHA256);
    assert_eq!(leaf.not_before, TLS12_NOT_BEFORE);
    assert_eq!(leaf.not_after, TLS12_NOT_AFTER);
    assert!(leaf.self_signed);
    assert_eq!(s.sni_matches_cert, Some(true));
    assert_eq!(s.leaf_valid_at_handshake, Some(true));
    assert_eq!(s.counters.phases_dropped, 0);
    assert_eq!(s.counters.malformed_messages, [0, 0]);
}

// ---------------------------------------------------------------------------------------------
// tls13-sni.pcap
// ---------------------------------------------------------------------------------------------
//
// `tshark -r tls13-sni.pcap -T fields -e frame.number -e tcp.srcport -e tls.record.content_type
//   -e tls.record.opaque_type -e tls.record.length -e tls.handshake.type`:
//   4 client 22 (ClientHello) | 6 server 22 (ServerHello, 122) + 20 (CCS) + four opaque 23
//   records (23, 829, 281, 69 bytes: EncryptedExtensions .. Finished) | 8 client 20 + 23 (69:
//   Finished) | 9 client 23 (57) | 10, 11 server 23 (250 each: NewSessionTickets, seen as
//   application data) | 13 server 23 | 15, 17 23 (19 bytes: encrypted close_notify, invisible).
// Hello fields (same tshark command as tls12): SNI tls13.example.test, 4 suites, 0x1302 chosen,
//   supported_version 0x0304 offered and selected, 10 groups, key share 29 offered and chosen,
//   session id length 32 both ways (compatibility mode: not a resumption),
//   ja3 f146948b4a599d4d7ddf071b74696983, ja3s 15af977ce25de452b96affa2addb1036,
//   JA4 t13d041000_16476d049b0b_78f1d400d464 (tests/tls_fingerprints.rs).

fn check_tls13(s: &TlsSummary) {
    assert_eq!(s.status, [DirStatus::Tls, DirStatus::Tls]);
    assert_eq!(s.sni_str(), Some("tls13.example.test"));
    assert_eq!(s.negotiated_version, Some(ProtocolVersion::TLS1_3));
    assert_eq!(s.offered_versions.as_slice(), &[0x0304]);
    assert_eq!(s.offered_cipher_count, 4);
    assert_eq!(s.cipher, Some(0x1302));
    assert_eq!(cipher_suite_name(0x1302), Some("TLS_AES_256_GCM_SHA384"));
    assert_eq!(
        s.supported_groups.as_slice(),
        &[29, 23, 30, 25, 24, 256, 257, 258, 259, 260]
    );
    assert_eq!(s.key_share_groups.as_slice(), &[29]);
    assert_eq!(s.server_key_share_group, Some(29));
    assert_eq!(
        s.ja3.unwrap().hex().as_str(),
        "f146948b4a599d4d7ddf071b74696983"
    );
    assert_eq!(
        s.ja3s.unwrap().hex().as_str(),
        "15af977ce25de452b96affa2addb1036"
    );
    assert_eq!(
        s.ja4.unwrap().as_str(),
        "t13d041000_16476d049b0b_78f1d400d464"
    );
    assert!(s.resumption.client_session_id);
    assert!(
        !s.resumption.session_id_echo,
        "TLS 1.3 compat echo is not resumption"
    );
    assert!(!s.resumption.server_psk);
    assert!(s.established);
    assert_eq!(
        phase_list(s),
        vec![
            (PhaseKind::ClientHello, C, 4),
            (PhaseKind::ServerHello, S, 6),
            (PhaseKind::ChangeCipherSpec, S, 6),
            (PhaseKind::EncryptedHandshake, S, 6),
            (PhaseKind::ChangeCipherSpec, C, 8),
            (PhaseKind::Finished, C, 8),
            (PhaseKind::ApplicationData, C, 9),
            (PhaseKind::ApplicationData, S, 10),
        ]
    );
    assert_eq!(history(s), "CsioIFDd");
    // Four encrypted server handshake records (frame 6) and the client's Finished.
    assert_eq!(s.counters.encrypted_handshake_records, [1, 4]);
    assert!(
        s.server_certs.is_empty(),
        "TLS 1.3 certificates are encrypted"
    );
    assert_eq!(s.sni_matches_cert, None);
}

fn all_chunkings(deliveries: &[Delivery], check: fn(&TlsSummary)) {
    let mut scratch = Box::new(Ja4Scratch::new());
    let whole = run(deliveries, &Chunking::Whole, None);
    check(&whole);
    let with_scratch = run(deliveries, &Chunking::Whole, Some(&mut scratch));
    assert_eq!(whole, with_scratch);
    let bytewise = run(deliveries, &Chunking::ByteByByte, Some(&mut scratch));
    // Identical except the empty-record counter etc., which do not depend on chunking either.
    assert_eq!(whole, bytewise);
    for cuts in [vec![1], vec![5], vec![4, 9], vec![6, 100, 3], vec![1000, 7]] {
        let split = run(deliveries, &Chunking::Splits(cuts), Some(&mut scratch));
        assert_eq!(whole, split);
    }
}

#[test]
fn tls12_real_capture() {
    all_chunkings(&only_connection("tls12-sni.pcap"), check_tls12);
}

#[test]
fn tls13_real_capture() {
    all_chunkings(&only_connection("tls13-sni.pcap"), check_tls13);
}

// ---------------------------------------------------------------------------------------------
// tls-split-clienthello.pcap (generated; see sample-pcaps/README.md)
// ---------------------------------------------------------------------------------------------
//
// `tshark -r tls-split-clienthello.pcap -o tcp.reassemble_out_of_order:TRUE
//   -Y tls.handshake.type==1 -T fields -e frame.number -e tls.handshake.extensions_server_name`
//   -> 5 split.example.com / 26 reorder.example.net / 43 whole.example.org
// (the frame that completes each ClientHello: 5; 26 = the last of the three reordered parts to
// arrive; 43).

#[test]
fn split_and_reordered_client_hellos() {
    let conns = connections("tls-split-clienthello.pcap");
    assert_eq!(conns.len(), 3);
    let mut got = Vec::new();
    for deliveries in conns.values() {
        let whole = run(deliveries, &Chunking::Whole, None);
        let bytewise = run(deliveries, &Chunking::ByteByByte, None);
        assert_eq!(whole, bytewise);
        let ch = whole.phase(PhaseKind::ClientHello, C).unwrap();
        assert_eq!(whole.alpn_offered.len(), 2);
        assert_eq!(&whole.alpn_offered[0][..], b"h2");
        assert_eq!(&whole.alpn_offered[1][..], b"http/1.1");
        assert!(whole.ja4.is_some() && whole.ja3.is_some());
        got.push((whole.sni_str().unwrap().to_string(), ch.frame));
    }
    got.sort();
    assert_eq!(
        got,
        vec![
            ("reorder.example.net".to_string(), 26),
            ("split.example.com".to_string(), 5),
            ("whole.example.org".to_string(), 43),
        ]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random cut points give the same summary as whole deliveries.
    #[test]
    fn random_splits_same_summary(
        cuts in prop::collection::vec(0usize..2000, 1..6),
        which in 0usize..2,
    ) {
        let (file, check): (&str, fn(&TlsSummary)) =
            [("tls12-sni.pcap", check_tls12 as fn(&TlsSummary)), ("tls13-sni.pcap", check_tls13)][which];
        let d = only_connection(file);
        let s = run(&d, &Chunking::Splits(cuts), None);
        check(&s);
    }
}
