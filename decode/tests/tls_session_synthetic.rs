//! `TlsSession` on hand-built streams: HelloRetryRequest, plaintext alerts, resumption, early
//! data, post-quantum groups, non-TLS rejection, and hostile input (lengths past the record, a
//! ClientHello that never completes, endless empty records, 100k tiny records, oversized
//! messages, gaps): no panic, bounded memory, counters set.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use decode::tls::{
    group_name, is_post_quantum_group, Dir, DirStatus, PhaseKind, ProtocolVersion, StreamError,
    TlsConfig, TlsSession, HRR_RANDOM, MAX_PHASES,
};
use proptest::prelude::*;

use Dir::{ClientToServer as C, ServerToClient as S};

fn be16(v: usize) -> [u8; 2] {
    u16::try_from(v).unwrap().to_be_bytes()
}

fn u16_list(values: &[u16]) -> Vec<u8> {
    let body: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
    [&be16(body.len())[..], &body].concat()
}

fn exts_block(exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let e: Vec<u8> = exts
        .iter()
        .flat_map(|(t, d)| [&t.to_be_bytes()[..], &be16(d.len()), d].concat())
        .collect();
    [&be16(e.len())[..], &e].concat()
}

fn sni_ext(name: &[u8]) -> (u16, Vec<u8>) {
    (
        0,
        [&be16(name.len() + 3)[..], &[0], &be16(name.len()), name].concat(),
    )
}

fn key_share_ext(groups: &[u16]) -> (u16, Vec<u8>) {
    let entries: Vec<u8> = groups
        .iter()
        .flat_map(|g| [&g.to_be_bytes()[..], &be16(4), &[1, 2, 3, 4]].concat())
        .collect();
    (0x33, [&be16(entries.len())[..], &entries].concat())
}

fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).unwrap().to_be_bytes();
    [&[msg_type, len[1], len[2], len[3]][..], body].concat()
}

fn record(ct: u8, payload: &[u8]) -> Vec<u8> {
    [&[ct, 3, 3][..], &be16(payload.len()), payload].concat()
}

fn client_hello(session_id: &[u8], exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let body = [
        &[3, 3][..],
        &[0x11; 32],
        &[u8::try_from(session_id.len()).unwrap()],
        session_id,
        &u16_list(&[0x1301, 0x1302, 0xc02f]),
        &[1, 0],
        &exts_block(exts),
    ]
    .concat();
    handshake(1, &body)
}

fn server_hello(
    random: &[u8; 32],
    session_id: &[u8],
    cipher: u16,
    exts: &[(u16, Vec<u8>)],
) -> Vec<u8> {
    let body = [
        &[3, 3][..],
        random,
        &[u8::try_from(session_id.len()).unwrap()],
        session_id,
        &cipher.to_be_bytes(),
        &[0],
        &exts_block(exts),
    ]
    .concat();
    handshake(2, &body)
}

fn tls13_client_hello() -> Vec<u8> {
    client_hello(
        &[7; 32],
        &[
            sni_ext(b"pq.example.com"),
            (0x2b, vec![4, 0x03, 0x04, 0x03, 0x03]),
            (0x0a, u16_list(&[0x11ec, 0x001d, 0x6399, 0x11eb, 0x11ed])),
            key_share_ext(&[0x11ec, 0x001d]),
            (0x29, vec![0, 0]),
        ],
    )
}

fn feed(s: &mut TlsSession, dir: Dir, bytes: &[u8], frame: u64) -> Result<(), StreamError> {
    s.feed(dir, bytes, frame, i128::from(frame) * 1_000_000)
}

fn kinds(s: &TlsSession) -> Vec<(PhaseKind, Dir, u64)> {
    s.summary()
        .phases
        .iter()
        .map(|p| (p.kind, p.dir, p.frame))
        .collect()
}

#[test]
fn hello_retry_request_and_pq_groups() {
    let mut s = TlsSession::new(TlsConfig::default());
    let ch1 = tls13_client_hello();
    feed(&mut s, C, &record(22, &ch1), 1).unwrap();
    let hrr = server_hello(
        &HRR_RANDOM,
        &[7; 32],
        0x1301,
        &[(0x2b, vec![3, 4]), (0x33, vec![0x00, 0x1d])],
    );
    feed(&mut s, S, &record(22, &hrr), 2).unwrap();
    feed(&mut s, S, &record(20, &[1]), 2).unwrap();
    // A HelloRetryRequest and a middlebox-compatibility CCS encrypt nothing.
    assert!(!s.is_encrypted(C) && !s.is_encrypted(S));
    // Second ClientHello: different SNI, must not replace the first one's fingerprint data.
    // Its key share: x25519 (0x001d), the group the HelloRetryRequest asked for.
    let mut share = vec![0x00, 0x24, 0x00, 0x1d, 0x00, 0x20];
    share.extend_from_slice(&[9; 32]);
    let ch2 = client_hello(
        &[7; 32],
        &[
            sni_ext(b"other.example"),
            (0x2b, vec![2, 3, 4]),
            (0x33, share),
        ],
    );
    feed(&mut s, C, &record(20, &[1]), 3).unwrap();
    feed(&mut s, C, &record(22, &ch2), 3).unwrap();
    let sh = server_hello(
        &[0x42; 32],
        &[7; 32],
        0x1301,
        &[
            (0x2b, vec![3, 4]),
            (0x33, vec![0x00, 0x1d, 0, 1, 9]),
            (0x29, vec![0, 0]),
        ],
    );
    assert!(!s.is_encrypted(C) && !s.is_encrypted(S));
    feed(
        &mut s,
        S,
        &[record(22, &sh), record(23, &[0; 40]), record(23, &[0; 60])].concat(),
        4,
    )
    .unwrap();
    // TLS 1.3: everything after the ServerHello is encrypted, both ways.
    assert!(s.is_encrypted(C) && s.is_encrypted(S));
    feed(&mut s, C, &record(23, &[0; 30]), 5).unwrap();
    feed(&mut s, C, &record(23, &[0; 30]), 6).unwrap();
    feed(&mut s, S, &record(23, &[0; 30]), 7).unwrap();
    let sum = s.summary();
    assert_eq!(sum.sni_str(), Some("pq.example.com"));
    assert_eq!(sum.client_hellos, 2);
    assert!(sum.hello_retry);
    assert_eq!(sum.offered_versions.as_slice(), &[0x0304, 0x0303]);
    assert_eq!(sum.negotiated_version, Some(ProtocolVersion::TLS1_3));
    assert_eq!(sum.key_share_groups.as_slice(), &[0x11ec, 0x001d]);
    assert_eq!(sum.retry_key_share_groups.as_slice(), &[0x001d]);
    let names: Vec<_> = sum
        .supported_groups
        .iter()
        .map(|g| group_name(*g).unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "X25519MLKEM768",
            "x25519",
            "X25519Kyber768Draft00",
            "SecP256r1MLKEM768",
            "SecP384r1MLKEM1024"
        ]
    );
    assert!(is_post_quantum_group(sum.key_share_groups[0]));
    assert!(sum.resumption.client_psk && sum.resumption.server_psk);
    assert!(sum.established);
    assert_eq!(
        kinds(&s),
        vec![
            (PhaseKind::ClientHello, C, 1),
            (PhaseKind::HelloRetryRequest, S, 2),
            (PhaseKind::ChangeCipherSpec, S, 2),
            (PhaseKind::ChangeCipherSpec, C, 3),
            (PhaseKind::ClientHello, C, 3),
            (PhaseKind::ServerHello, S, 4),
            (PhaseKind::EncryptedHandshake, S, 4),
            (PhaseKind::Finished, C, 5),
            (PhaseKind::ApplicationData, C, 6),
            (PhaseKind::ApplicationData, S, 7),
        ]
    );
    // JA4 is the first ClientHello's (SNI present -> 'd', 3 ciphers).
    assert!(sum.ja4.unwrap().as_str().starts_with("t13d03"));
}

#[test]
fn tls12_resumption_plaintext_alert_and_early_close() {
    let mut s = TlsSession::new(TlsConfig::default());
    let sid = [9u8; 32];
    feed(
        &mut s,
        C,
        &record(22, &client_hello(&sid, &[sni_ext(b"r.example")])),
        1,
    )
    .unwrap();
    let sh = server_hello(&[1; 32], &sid, 0xc02f, &[]);
    // Abbreviated handshake: ServerHello, CCS, Finished.
    feed(
        &mut s,
        S,
        &[record(22, &sh), record(20, &[1]), record(22, &[0; 40])].concat(),
        2,
    )
    .unwrap();
    // TLS 1.2: each direction after its own ChangeCipherSpec.
    assert!(s.is_encrypted(S) && !s.is_encrypted(C));
    feed(
        &mut s,
        C,
        &[record(20, &[1]), record(22, &[0; 40])].concat(),
        3,
    )
    .unwrap();
    assert!(s.is_encrypted(C));
    // A plaintext alert is impossible after CCS; an encrypted one is detected by its length.
    feed(&mut s, C, &record(21, &[0; 26]), 4).unwrap();
    let sum = s.summary();
    assert!(sum.resumption.session_id_echo);
    assert!(sum.resumption.abbreviated);
    assert!(!sum.established);
    assert_eq!(
        kinds(&s),
        vec![
            (PhaseKind::ClientHello, C, 1),
            (PhaseKind::ServerHello, S, 2),
            (PhaseKind::ChangeCipherSpec, S, 2),
            (PhaseKind::Finished, S, 2),
            (PhaseKind::ChangeCipherSpec, C, 3),
            (PhaseKind::Finished, C, 3),
            (PhaseKind::EncryptedAlert, C, 4),
        ]
    );

    // A server that refuses: plaintext fatal handshake_failure, split over two feeds.
    let mut s = TlsSession::new(TlsConfig::default());
    feed(&mut s, C, &record(22, &client_hello(&[], &[])), 1).unwrap();
    let alert = record(21, &[2, 40, 1, 0]);
    feed(&mut s, S, &alert[..6], 2).unwrap();
    feed(&mut s, S, &alert[6..], 3).unwrap();
    assert_eq!(
        kinds(&s)[1..],
        [
            (
                PhaseKind::Alert {
                    level: 2,
                    description: 40
                },
                S,
                3
            ),
            (
                PhaseKind::Alert {
                    level: 1,
                    description: 0
                },
                S,
                3
            ),
        ]
    );
    assert_eq!(s.summary().close_notify, [false, true]);
    assert_eq!(
        s.summary().phases[1].kind.to_string(),
        "alert(fatal handshake_failure)"
    );
}

#[test]
fn early_data_before_server_hello() {
    let mut s = TlsSession::new(TlsConfig::default());
    feed(
        &mut s,
        C,
        &[record(22, &tls13_client_hello()), record(23, &[0; 50])].concat(),
        1,
    )
    .unwrap();
    assert_eq!(kinds(&s)[1], (PhaseKind::EarlyData, C, 1));
}

#[test]
fn handshake_message_split_across_records_and_several_per_record() {
    // ServerHello + Certificate(empty list) + ServerHelloDone, cut into 3-byte records.
    let msgs = [
        server_hello(&[1; 32], &[], 0xc02f, &[]),
        handshake(11, &[0, 0, 0]),
        handshake(14, &[]),
    ]
    .concat();
    let stream: Vec<u8> = msgs.chunks(3).flat_map(|c| record(22, c)).collect();
    let mut s = TlsSession::new(TlsConfig::default());
    feed(&mut s, C, &record(22, &client_hello(&[], &[])), 1).unwrap();
    feed(&mut s, S, &stream, 2).unwrap();
    let k: Vec<_> = kinds(&s).into_iter().map(|p| p.0).collect();
    assert_eq!(
        k,
        [
            PhaseKind::ClientHello,
            PhaseKind::ServerHello,
            PhaseKind::Certificate,
            PhaseKind::ServerHelloDone
        ]
    );
    assert!(s.summary().server_certs.is_empty());
    assert_eq!(
        s.summary().negotiated_version,
        Some(ProtocolVersion::TLS1_2)
    );
}

#[test]
fn not_tls_is_rejected_fast() {
    for (bytes, dir) in [
        (&b"GET / HTTP/1.1\r\n"[..], C),
        (&b"SSH-2.0-OpenSSH_9.6\r\n"[..], S),
        (&[0x17, 3, 3, 0, 10][..], C), // application data first: mid-stream, not accepted
        (&[0x16, 3, 3, 0, 0][..], C),  // zero-length first record
        (&[0x16, 3, 3, 0, 5, 99, 0, 0, 1][..], C), // handshake type 99 first
        (&[0x16, 2, 0][..], C),
    ] {
        let mut s = TlsSession::new(TlsConfig::default());
        assert_eq!(
            feed(&mut s, dir, bytes, 1),
            Err(StreamError::NotTls),
            "{bytes:?}"
        );
        assert_eq!(s.status(dir), DirStatus::Stopped(StreamError::NotTls));
        assert!(!s.summary().is_tls());
        // Later feeds are refused at once.
        assert_eq!(
            feed(&mut s, dir, &[0x16; 1000], 2),
            Err(StreamError::NotTls)
        );
    }
    // A prefix that still looks fine is not rejected.
    let mut s = TlsSession::new(TlsConfig::default());
    feed(&mut s, C, &[0x16, 3], 1).unwrap();
    assert_eq!(s.status(C), DirStatus::Tls);
}

#[test]
fn bad_record_header_mid_stream_and_gap() {
    let mut s = TlsSession::new(TlsConfig::default());
    feed(&mut s, C, &record(22, &client_hello(&[], &[])), 1).unwrap();
    assert_eq!(
        feed(&mut s, C, &[0x99, 3, 3, 0, 1, 0], 2),
        Err(StreamError::BadRecordHeader)
    );
    // On the first record of a direction a bad length means "not TLS"; later, "too long".
    assert_eq!(
        feed(&mut s, S, &[0x16, 3, 3, 0xff, 0xff], 2),
        Err(StreamError::NotTls)
    );
    let mut s = TlsSession::new(TlsConfig::default());
    feed(
        &mut s,
        S,
        &record(22, &server_hello(&[1; 32], &[], 0xc02f, &[])),
        1,
    )
    .unwrap();
    assert_eq!(
        feed(&mut s, S, &[0x16, 3, 3, 0xff, 0xff], 2),
        Err(StreamError::RecordTooLong)
    );
    let mut s = TlsSession::new(TlsConfig::default());
    feed(&mut s, C, &record(22, &client_hello(&[], &[]))[..20], 1).unwrap();
    assert!(s.message_pending(C));
    s.gap(C, 2, 0);
    assert_eq!(s.status(C), DirStatus::Stopped(StreamError::Gap));
    assert!(!s.message_pending(C));
    assert_eq!(feed(&mut s, C, &[1, 2, 3], 3), Err(StreamError::Gap));
    assert_eq!(s.summary().counters.gaps, [1, 0]);
    assert_eq!(kinds(&s), vec![(PhaseKind::Gap, C, 2)]);
}

#[test]
fn lengths_past_the_record_and_a_hello_that_never_completes() {
    // Handshake header announces 60000 bytes, the record carries 10: the message waits for more
    // records (that is legal), and never completes.
    let mut s = TlsSession::new(TlsConfig::default());
    let mut rec = record(22, &[1, 0, 0xea, 0x60, 3, 3, 0, 0, 0, 0]);
    feed(&mut s, C, &rec, 1).unwrap();
    for i in 0..100 {
        rec = record(22, &[0xaa; 500]);
        feed(&mut s, C, &rec, 2 + i).unwrap();
    }
    assert!(s.message_pending(C));
    assert!(s.summary().phases.is_empty());
    assert_eq!(s.summary().counters.records[0], 101);
    // A message longer than the limit stops handshake parsing in that direction only.
    let mut s = TlsSession::new(TlsConfig {
        max_message_len: 1000,
        ..TlsConfig::default()
    });
    feed(&mut s, C, &record(22, &[1, 0, 0x10, 0, 3, 3]), 1).unwrap();
    assert_eq!(s.summary().counters.oversized_messages, [1, 0]);
    assert!(!s.message_pending(C));
    feed(&mut s, C, &record(22, &[0; 100]), 2).unwrap();
    // The 6 bytes of the oversized message's record, then the next record.
    assert_eq!(s.summary().counters.handshake_bytes_dropped[0], 106);
    // ... and the handshake-bytes cap.
    let mut s = TlsSession::new(TlsConfig {
        max_handshake_bytes: 4096,
        ..TlsConfig::default()
    });
    feed(&mut s, C, &record(22, &client_hello(&[], &[])), 1).unwrap();
    for i in 0..20 {
        feed(&mut s, C, &record(22, &handshake(99, &[0; 300])), 2 + i).unwrap();
    }
    assert_eq!(s.summary().counters.handshake_cap_reached[0], 1);
    assert!(s.summary().counters.handshake_bytes_dropped[0] > 0);
}

#[test]
fn endless_empty_records_and_100k_tiny_records() {
    let mut s = TlsSession::new(TlsConfig::default());
    feed(&mut s, C, &record(22, &client_hello(&[], &[])), 1).unwrap();
    let empty = record(22, &[]);
    let many: Vec<u8> = empty
        .iter()
        .copied()
        .cycle()
        .take(empty.len() * 100_000)
        .collect();
    feed(&mut s, C, &many, 2).unwrap();
    assert_eq!(s.summary().counters.empty_records[0], 100_000);
    // 100k one-byte CCS-like records in the server direction: phases stay bounded.
    feed(
        &mut s,
        S,
        &record(22, &server_hello(&[1; 32], &[], 0xc02f, &[])),
        3,
    )
    .unwrap();
    let tiny: Vec<u8> = record(20, &[1])
        .iter()
        .copied()
        .cycle()
        .take(6 * 100_000)
        .collect();
    feed(&mut s, S, &tiny, 4).unwrap();
    let sum = s.summary();
    assert_eq!(sum.counters.records[1], 100_001);
    assert_eq!(sum.phases.len(), MAX_PHASES);
    assert_eq!(sum.counters.phases_dropped, 100_000 + 2 - MAX_PHASES as u64);
    // 100k one-byte handshake records: one message rebuilt from them.
    let mut s = TlsSession::new(TlsConfig::default());
    let ch = client_hello(&[], &[sni_ext(b"tiny.example")]);
    let stream: Vec<u8> = ch.iter().flat_map(|b| record(22, &[*b])).collect();
    for chunk in stream.chunks(7) {
        feed(&mut s, C, chunk, 1).unwrap();
    }
    assert_eq!(s.summary().sni_str(), Some("tiny.example"));
}

#[test]
fn buffers_are_released_after_the_handshake() {
    let mut s = TlsSession::new(TlsConfig::default());
    let ch = record(22, &client_hello(&[], &[]));
    feed(&mut s, C, &ch[..30], 1).unwrap();
    feed(&mut s, C, &ch[30..], 2).unwrap();
    let sh = record(22, &server_hello(&[1; 32], &[], 0xc02f, &[]));
    feed(&mut s, S, &[&sh[..], &record(20, &[1])].concat(), 3).unwrap();
    feed(&mut s, C, &record(20, &[1]), 4).unwrap();
    assert!(!s.message_pending(C) && !s.message_pending(S));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes in both directions: no panic, invariants hold.
    #[test]
    fn arbitrary_streams_never_panic(
        a in prop::collection::vec(any::<u8>(), 0..400),
        b in prop::collection::vec(any::<u8>(), 0..400),
        cut in 0usize..400,
    ) {
        let mut s = TlsSession::new(TlsConfig::default());
        let cut = cut.min(a.len());
        let _ = feed(&mut s, C, &a[..cut], 1);
        let _ = feed(&mut s, S, &b, 2);
        let _ = feed(&mut s, C, &a[cut..], 3);
        let sum = s.summary();
        prop_assert!(sum.phases.len() <= MAX_PHASES);
        prop_assert!(!sum.established || sum.phases.iter().any(|p| p.kind == PhaseKind::ApplicationData));
    }

    /// Mutated valid TLS 1.3 streams: no panic.
    #[test]
    fn mutated_streams_never_panic(pos in 0usize..600, val in any::<u8>(), split in 1usize..50) {
        let mut stream = [
            record(22, &tls13_client_hello()),
            record(20, &[1]),
            record(23, &[0; 40]),
            record(21, &[1, 0]),
        ].concat();
        let n = stream.len();
        stream[pos % n] = val;
        let mut s = TlsSession::new(TlsConfig::default());
        for c in stream.chunks(split) {
            if feed(&mut s, C, c, 1).is_err() {
                break;
            }
        }
        prop_assert!(s.summary().phases.len() <= MAX_PHASES);
    }
}

#[test]
fn smtp_starttls_upgrade() {
    use decode::tls::StartTlsProtocol;
    let mut s = TlsSession::new(TlsConfig::default());
    feed(&mut s, S, b"220 mx.example ESMTP\r\n", 1).unwrap();
    feed(&mut s, C, b"EHLO client\r\n", 2).unwrap();
    feed(
        &mut s,
        S,
        b"250-mx.example\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
        3,
    )
    .unwrap();
    feed(&mut s, C, b"STARTTLS\r\n", 4).unwrap();
    // The reply and the server's first record may share a segment.
    let sh = record(22, &server_hello(&[1; 32], &[], 0xc02f, &[]));
    feed(&mut s, S, b"220 2.0.0 Ready to start TLS\r\n", 5).unwrap();
    let ch = record(22, &client_hello(&[], &[sni_ext(b"mx.example")]));
    feed(&mut s, C, &ch, 6).unwrap();
    feed(&mut s, S, &sh, 7).unwrap();
    let sum = s.summary();
    assert_eq!(sum.starttls, Some(StartTlsProtocol::Starttls));
    assert_eq!(sum.sni_str(), Some("mx.example"));
    assert_eq!(
        kinds(&s),
        vec![
            (PhaseKind::StartTls, C, 4),
            (PhaseKind::StartTls, S, 5),
            (PhaseKind::ClientHello, C, 6),
            (PhaseKind::ServerHello, S, 7),
        ]
    );
    // POP3 with the reply and the ServerHello in one chunk.
    let mut s = TlsSession::new(TlsConfig::default());
    feed(&mut s, S, b"+OK POP3 ready\r\n", 1).unwrap();
    feed(&mut s, C, &[&b"STLS\r\n"[..], &ch].concat(), 2).unwrap();
    feed(&mut s, S, &[&b"+OK Begin TLS\r\n"[..], &sh].concat(), 3).unwrap();
    assert_eq!(s.summary().starttls, Some(StartTlsProtocol::Pop3));
    assert_eq!(
        s.summary().negotiated_version,
        Some(ProtocolVersion::TLS1_2)
    );
    // Without the option, text is rejected at once.
    let mut s = TlsSession::new(TlsConfig {
        starttls: false,
        ..TlsConfig::default()
    });
    assert_eq!(feed(&mut s, S, b"220 mx\r\n", 1), Err(StreamError::NotTls));
}

// ---------------------------------------------------------------------------------------------
// A two-certificate chain (leaf with SANs signed by a CA), made with OpenSSL 3.0 on 2026-11-23:
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key
//     -out ca.pem -days 3650 -subj "/C=ZZ/O=Flowsleuth Test/CN=Flowsleuth Test CA"
//     -addext basicConstraints=critical,CA:TRUE -addext subjectKeyIdentifier=hash
//   openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr
//     -subj "/O=Flowsleuth Test/CN=www.example.com"
//   openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial 0x0123456789abcdef
//     -days 825 -out leaf.pem -extfile <(printf 'subjectAltName=DNS:*.example.com,DNS:example.com,
//     IP:192.0.2.1,IP:2001:db8::1\nbasicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\n
//     authorityKeyIdentifier=keyid\n')
// Oracle: `openssl x509 -in X.pem -noout -fingerprint -sha256 -serial -subject -issuer -startdate
//   -enddate -ext subjectAltName` (values in the assertions below; dates via `date -u -d .. +%s`).
// ---------------------------------------------------------------------------------------------

const LEAF_PEM: &str = "\
-----BEGIN CERTIFICATE-----
MIIB/DCCAaKgAwIBAgIIASNFZ4mrze8wCgYIKoZIzj0EAwIwRDELMAkGA1UEBhMC
WloxGDAWBgNVBAoMD0Zsb3dzbGV1dGggVGVzdDEbMBkGA1UEAwwSRmxvd3NsZXV0
aCBUZXN0IENBMB4XDTI2MTEyMzEzMTQwOFoXDTI5MDIyNTEzMTQwOFowNDEYMBYG
A1UECgwPRmxvd3NsZXV0aCBUZXN0MRgwFgYDVQQDDA93d3cuZXhhbXBsZS5jb20w
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQOS6xiomOZMjUFYp/OA2LnERLWiz/k
hDfpm6D8AQZ/xo7HxxlARIyTE5RQgNyIiEsTIy76GF3lqX4sMmyFhQ/to4GNMIGK
MD0GA1UdEQQ2MDSCDSouZXhhbXBsZS5jb22CC2V4YW1wbGUuY29thwTAAAIBhxAg
AQ24AAAAAAAAAAAAAAABMAkGA1UdEwQCMAAwHQYDVR0OBBYEFHdXxRhtKhHxTxUf
lnoYyHnJMNskMB8GA1UdIwQYMBaAFA0ioXL5XL3HhXgn3ZA8qkN+/NfBMAoGCCqG
SM49BAMCA0gAMEUCIQCZpdU05uYxghLm/9gaw/3LoVtyi9lfXBtYxq4Ws+3kRQIg
Kj0vd2RnQ8eHDHUcdPorIf0yjAqpN4VHTMVY7k9xU1U=
-----END CERTIFICATE-----
";

const CA_PEM: &str = "\
-----BEGIN CERTIFICATE-----
MIIB3TCCAYOgAwIBAgIUYC2FMbR7+9ViMiQ8Wh1S3CNv46kwCgYIKoZIzj0EAwIw
RDELMAkGA1UEBhMCWloxGDAWBgNVBAoMD0Zsb3dzbGV1dGggVGVzdDEbMBkGA1UE
AwwSRmxvd3NsZXV0aCBUZXN0IENBMB4XDTI2MTEyMzEzMTQwOFoXDTM2MTEyMDEz
MTQwOFowRDELMAkGA1UEBhMCWloxGDAWBgNVBAoMD0Zsb3dzbGV1dGggVGVzdDEb
MBkGA1UEAwwSRmxvd3NsZXV0aCBUZXN0IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEmRAnlHTh5ZR4tiNFkPAbDpxpP9u+Adb7DYWSxFohjO/I1msgt0ow5LUD
F9QO5A9XvuxXDwwa9a8/uSy1moGlD6NTMFEwHwYDVR0jBBgwFoAUDSKhcvlcvceF
eCfdkDyqQ37818EwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUDSKhcvlcvceF
eCfdkDyqQ37818EwCgYIKoZIzj0EAwIDSAAwRQIhAMDVMI6166K10YKXI2duf5BD
6rwXp6Ff+FWAfJB+YvpcAiBclsu0DmPFgyaKPkW16A45V9g8brj8wgcEzuRo9U2U
0Q==
-----END CERTIFICATE-----
";

fn der(pem: &str) -> Vec<u8> {
    x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .unwrap()
        .1
        .contents
}

/// A TLS 1.2 server flight carrying `certs` in its Certificate message.
fn tls12_with_chain(sni: &[u8], certs: &[Vec<u8>], config: TlsConfig) -> TlsSession {
    let u24 = |n: usize| -> [u8; 3] {
        let b = u32::try_from(n).unwrap().to_be_bytes();
        [b[1], b[2], b[3]]
    };
    let entries: Vec<u8> = certs
        .iter()
        .flat_map(|c| [&u24(c.len())[..], c].concat())
        .collect();
    let cert_body = [&u24(entries.len())[..], &entries].concat();
    let flight = [
        server_hello(&[1; 32], &[], 0xc02f, &[]),
        handshake(11, &cert_body),
        handshake(14, &[]),
    ]
    .concat();
    let mut s = TlsSession::new(config);
    // 2026-11-24T00:00:00Z, inside both validity periods.
    let ts = 1_795_478_400i128 * 1_000_000_000;
    s.feed(C, &record(22, &client_hello(&[], &[sni_ext(sni)])), 1, ts)
        .unwrap();
    // Several records, each under 2^14, split at arbitrary points.
    let stream: Vec<u8> = flight.chunks(700).flat_map(|c| record(22, c)).collect();
    for c in stream.chunks(333) {
        s.feed(S, c, 2, ts).unwrap();
    }
    s
}

#[test]
fn certificate_chain_with_sans_and_wildcard() {
    let chain = vec![der(LEAF_PEM), der(CA_PEM)];
    let s = tls12_with_chain(b"www.example.com", &chain, TlsConfig::default());
    let sum = s.summary();
    assert_eq!(sum.server_certs.len(), 2);
    let leaf = &sum.server_certs[0];
    assert_eq!(leaf.parse_error, None);
    assert_eq!(leaf.subject, "O=Flowsleuth Test, CN=www.example.com");
    assert_eq!(
        leaf.issuer,
        "C=ZZ, O=Flowsleuth Test, CN=Flowsleuth Test CA"
    );
    assert_eq!(
        leaf.san_dns,
        vec!["*.example.com".to_string(), "example.com".to_string()]
    );
    assert_eq!(
        leaf.san_ip,
        vec![
            "192.0.2.1".parse::<std::net::IpAddr>().unwrap(),
            "2001:db8::1".parse().unwrap()
        ]
    );
    assert_eq!(leaf.serial_hex, "0123456789abcdef");
    assert_eq!(
        leaf.sha256_hex(),
        "d8730de8f993d1d08797fae7f292a03a2e97cea41d82bb2fc995bc3f11b8b275"
    );
    assert_eq!(
        (leaf.not_before, leaf.not_after),
        (1_795_439_648, 1_866_719_648)
    );
    assert!(!leaf.self_signed && !leaf.is_ca);
    let ca = &sum.server_certs[1];
    assert_eq!(ca.subject, "C=ZZ, O=Flowsleuth Test, CN=Flowsleuth Test CA");
    assert_eq!(ca.subject, ca.issuer);
    // openssl prints serial=602D8531B47BFBD56232243C5A1D52DC236FE3A9
    assert_eq!(ca.serial_hex, "602d8531b47bfbd56232243c5a1d52dc236fe3a9");
    assert_eq!(
        ca.sha256_hex(),
        "c6abe7255c8f72ec816cfb03832bc54da7a916f5de9a28e13e3fdfcacbd89309"
    );
    assert!(ca.self_signed && ca.is_ca);
    assert_eq!(sum.sni_matches_cert, Some(true)); // *.example.com
    assert_eq!(sum.leaf_valid_at_handshake, Some(true));
    assert_eq!(sum.phase(PhaseKind::Certificate, S).unwrap().frame, 2);

    // SAN names take precedence over the CN; a wildcard covers exactly one label.
    for (sni, expected) in [
        (&b"example.com"[..], true),
        (b"WWW.Example.Com", true),
        (b"a.b.example.com", false),
        (b"example.org", false),
    ] {
        let s = tls12_with_chain(sni, &chain, TlsConfig::default());
        assert_eq!(s.summary().sni_matches_cert, Some(expected), "{sni:?}");
    }

    // The chain cap and a broken certificate.
    let config = TlsConfig {
        max_certs: 2,
        ..TlsConfig::default()
    };
    let bad = vec![0x30, 0x03, 1, 2, 3];
    let s = tls12_with_chain(
        b"x.example.com",
        &[bad, chain[0].clone(), chain[1].clone()],
        config,
    );
    let sum = s.summary();
    assert_eq!(sum.server_certs.len(), 2);
    assert!(sum.server_certs[0].parse_error.is_some());
    assert_eq!(sum.counters.certs_skipped, 1);
    assert_eq!(sum.sni_matches_cert, None, "unparsable leaf: no verdict");
}

#[test]
fn one_sided_client_capture() {
    // Only the client direction is visible (asymmetric routing): CCS still starts encryption,
    // so the encrypted Finished is not parsed as plaintext handshake garbage.
    let mut s = TlsSession::new(TlsConfig::default());
    let stream = [
        record(22, &client_hello(&[], &[sni_ext(b"one.example")])),
        record(22, &handshake(16, &[0; 33])),
        record(20, &[1]),
        record(22, &[0x5a; 40]),
        record(23, &[0; 64]),
    ]
    .concat();
    feed(&mut s, C, &stream, 1).unwrap();
    let k: Vec<_> = kinds(&s).into_iter().map(|p| p.0).collect();
    assert_eq!(
        k,
        [
            PhaseKind::ClientHello,
            PhaseKind::ClientKeyExchange,
            PhaseKind::ChangeCipherSpec,
            PhaseKind::Finished,
            PhaseKind::ApplicationData
        ]
    );
    assert!(!s.summary().established);
    assert_eq!(s.summary().status[1], DirStatus::Empty);
}

/// Without JA3 (`TlsConfig::ja3` false) the session has no JA3/JA3S, and everything else,
/// JA4 included, is as with them.
#[test]
fn ja3_can_be_left_out() {
    let run = |ja3: bool| {
        let mut s = TlsSession::new(TlsConfig {
            ja3,
            ..TlsConfig::default()
        });
        feed(&mut s, C, &record(22, &tls13_client_hello()), 1).unwrap();
        let sh = server_hello(&[1; 32], &[7; 32], 0x1301, &[(0x2b, vec![3, 4])]);
        feed(&mut s, Dir::ServerToClient, &record(22, &sh), 2).unwrap();
        s.summary().clone()
    };
    let with = run(true);
    let mut without = run(false);
    assert!(with.ja3.is_some() && with.ja3s.is_some() && with.ja4.is_some());
    assert!(without.ja3.is_none() && without.ja3s.is_none());
    without.ja3 = with.ja3;
    without.ja3s = with.ja3s;
    assert_eq!(format!("{without:?}"), format!("{with:?}"));
}
