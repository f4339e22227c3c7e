//! `flowsleuth tls` on the TLS edge-case samples: HelloRetryRequest (`tls13-hrr.pcap`),
//! TLS 1.2 session resumption (`tls-resumption.pcap`), a handshake ended by a fatal alert
//! (`tls-alert.pcap`) and a QUIC v1 client Initial (`quic-initial.pcap`).
//!
//! Every expected value comes from an independent oracle: tshark 4.0.17 output pasted as
//! constants (the command is in the comment next to each), so the tests also run where tshark
//! is missing; `new_samples_match_tshark` additionally asks tshark live (SNI, version, cipher).
//! The real captures come from `sample-pcaps/capture-real.sh`, the QUIC one from samplegen
//! (RFC 9001 Appendix A.2); see sample-pcaps/README.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{flowsleuth, json_lines, sample, suite_name, tshark_fields, version_name};
use serde_json::{json, Value};

/// `flowsleuth tls --format jsonl -r NAME`, one JSON value per record.
fn records(name: &str) -> Vec<Value> {
    let out = flowsleuth()
        .args(["tls", "--format", "jsonl", "-r"])
        .arg(sample(name))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_lines(&out.stdout)
}

/// The only record of a one-connection sample.
fn only_record(name: &str) -> Value {
    let mut recs = records(name);
    assert_eq!(recs.len(), 1, "{name}: {recs:?}");
    recs.remove(0)
}

/// The phases of a record as (phase, dir, frame).
fn phases(r: &Value) -> Vec<(String, String, u64)> {
    r["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["phase"].as_str().unwrap().to_owned(),
                p["dir"].as_str().unwrap().to_owned(),
                p["frame"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Frames of the phases named `phase` (in order).
fn frames_of(r: &Value, phase: &str) -> Vec<u64> {
    phases(r)
        .into_iter()
        .filter(|(p, _, _)| p == phase)
        .map(|(_, _, f)| f)
        .collect()
}

/// The random of a HelloRetryRequest (RFC 8446 §4.1.3): SHA-256("HelloRetryRequest").
const HRR_RANDOM: &str = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c";

// --- tls13-hrr.pcap -------------------------------------------------------------------------

/// `tshark -r tls13-hrr.pcap -Y 'tls.handshake.type==1' -T fields -e frame.number
///  -e tls.handshake.extensions_server_name -e tls.handshake.extensions_key_share_group`
/// → `4 hrr.example.test 23` and `8 hrr.example.test 29` (23 = secp256r1, 29 = x25519).
const HRR_CLIENT_HELLOS: [u64; 2] = [4, 8];
/// `tshark -r tls13-hrr.pcap -Y 'tls.handshake.type==2' -T fields -e frame.number
///  -e tls.handshake.random -e tls.handshake.extensions_key_share_selected_group
///  -e tls.handshake.extensions_key_share_group -e tls.handshake.extensions.supported_version
///  -e tls.handshake.ciphersuite`
/// → `6 cf21ad74…8339c 29 - 0x0304 0x1302` (the HRR: magic random, selected group x25519) and
/// `9 b52ea6b2… - 29 0x0304 0x1302` (the real ServerHello, key share x25519).
const HRR_FRAME: u64 = 6;
const HRR_SERVER_HELLO: u64 = 9;

#[test]
fn hello_retry_request() {
    let r = only_record("tls13-hrr.pcap");
    assert_eq!(r["sni"], "hrr.example.test");
    assert_eq!(r["hello_retry"], true, "{r}");
    assert_eq!(r["version"], "TLS 1.3");
    assert_eq!(r["cipher"], "TLS_AES_256_GCM_SHA384");
    assert_eq!(r["established"], true);
    assert_eq!(r["resumed"], false);
    assert_eq!(frames_of(&r, "client_hello"), HRR_CLIENT_HELLOS);
    assert_eq!(frames_of(&r, "hello_retry_request"), [HRR_FRAME]);
    assert_eq!(frames_of(&r, "server_hello"), [HRR_SERVER_HELLO]);
    let p = phases(&r);
    let pos = |name: &str, frame: u64| {
        p.iter()
            .position(|(n, _, f)| n == name && *f == frame)
            .unwrap_or_else(|| panic!("no {name} in frame {frame}: {p:?}"))
    };
    // In capture order: ClientHello, HRR, second ClientHello, ServerHello.
    let order = [
        pos("client_hello", HRR_CLIENT_HELLOS[0]),
        pos("hello_retry_request", HRR_FRAME),
        pos("client_hello", HRR_CLIENT_HELLOS[1]),
        pos("server_hello", HRR_SERVER_HELLO),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{p:?}");
    assert_eq!(p[order[1]].1, "server");
    assert_eq!(p[order[2]].1, "client");
    // The server's group (s_server -groups X25519) = tshark's 29 in frames 6 and 9.
    assert_eq!(r["server_key_share_group"], "x25519");
    // The key shares of the FIRST ClientHello (frame 4: 23 = secp256r1), and those of the
    // retried ClientHello (frame 8: 29 = x25519) apart.
    assert_eq!(r["key_share_groups"], json!(["secp256r1"]));
    assert_eq!(r["retry_key_share_groups"], json!(["x25519"]));
    assert_eq!(r["client_status"], "tls");
    assert_eq!(r["server_status"], "tls");
    assert!(r["alerts"].is_null(), "{r}");
}

// --- tls-resumption.pcap --------------------------------------------------------------------

/// `tshark -r tls-resumption.pcap -Y tls.handshake.type -T fields -e frame.number -e tcp.stream
///  -e tls.handshake.type` →
/// stream 0: `4 1`, `6 2,11,12,14`, `8 16`, `9 4` (full handshake, Certificate in frame 6,
/// NewSessionTicket in frame 9); stream 1: `22 1`, `24 2` (abbreviated: no Certificate, no
/// ServerKeyExchange, no ClientKeyExchange).
/// `tshark -r tls-resumption.pcap -Y 'tls.handshake.type==2' -T fields -e frame.number
///  -e tls.handshake.version -e tls.handshake.ciphersuite -e tls.handshake.session_id` →
/// `6 0x0303 0xc030 (empty)`, `24 0x0303 0xc030 6e1e0818…15dd` (the id the ClientHello in frame 22
/// offered together with its session ticket, extension 35).
const RESUME_FIRST: (u64, u64, u64) = (4, 6, 6); // ClientHello, ServerHello, Certificate
const RESUME_SECOND: (u64, u64) = (22, 24); // ClientHello, ServerHello
const RESUME_TICKET_FRAME: u64 = 9;

#[test]
fn session_resumption() {
    let recs = records("tls-resumption.pcap");
    assert_eq!(recs.len(), 2, "{recs:?}");
    let (full, resumed) = (&recs[0], &recs[1]);
    for r in [full, resumed] {
        assert_eq!(r["sni"], "resume.example.test");
        assert_eq!(r["version"], "TLS 1.2");
        assert_eq!(r["cipher"], "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
        assert_eq!(r["established"], true, "{r}");
        assert_eq!(r["hello_retry"], false);
    }
    assert_ne!(full["client_port"], resumed["client_port"]);

    assert_eq!(full["resumed"], false, "{full}");
    assert_eq!(frames_of(full, "client_hello"), [RESUME_FIRST.0]);
    assert_eq!(frames_of(full, "server_hello"), [RESUME_FIRST.1]);
    assert_eq!(frames_of(full, "certificate"), [RESUME_FIRST.2]);
    assert_eq!(frames_of(full, "new_session_ticket"), [RESUME_TICKET_FRAME]);
    assert_eq!(full["cert_subject"], "CN=resume.example.test");

    assert_eq!(resumed["resumed"], true, "{resumed}");
    assert_eq!(frames_of(resumed, "client_hello"), [RESUME_SECOND.0]);
    assert_eq!(frames_of(resumed, "server_hello"), [RESUME_SECOND.1]);
    for absent in [
        "certificate",
        "server_key_exchange",
        "server_hello_done",
        "client_key_exchange",
    ] {
        assert!(frames_of(resumed, absent).is_empty(), "{absent}: {resumed}");
    }
    // Abbreviated handshake: the server's ChangeCipherSpec and Finished come first, in the
    // ServerHello's frame.
    assert_eq!(frames_of(resumed, "change_cipher_spec")[0], RESUME_SECOND.1);
    assert!(resumed.get("server_certs").is_none(), "{resumed}");
}

// --- tls-alert.pcap -------------------------------------------------------------------------

/// `tshark -r tls-alert.pcap -Y tls.alert_message -T fields -e frame.number -e tcp.srcport
///  -e tls.record.content_type -e tls.alert_message.level -e tls.alert_message.desc`
/// → `8 43656 21 2 48`: a plaintext alert record (21) from the client (43656 is the port of the
/// ClientHello in frame 4), level 2 = fatal, description 48 = unknown_ca.
const ALERT_FRAME: u64 = 8;
const ALERT_CLIENT_PORT: u64 = 43656;
/// `tshark -r tls-alert.pcap -Y frame.number==8 -T fields -e frame.time_epoch`
/// → 1795442320.730008000 (`date -u -d @1795442320.730008 +%FT%T.%N`).
const ALERT_TIME: &str = "2026-11-23T13:58:40.730008000Z";

#[test]
fn handshake_ended_by_alert() {
    let r = only_record("tls-alert.pcap");
    assert_eq!(r["sni"], "alert.example.test");
    assert_eq!(r["client_port"], ALERT_CLIENT_PORT);
    assert_eq!(r["established"], false, "{r}");
    assert_eq!(r["alerts"], json!(["client alert(fatal unknown_ca)"]));
    let last = r["phases"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last,
        json!({"phase": "alert(fatal unknown_ca)", "dir": "client", "frame": ALERT_FRAME,
               "time": ALERT_TIME})
    );
    // The server got as far as its first flight (tshark: frame 6 = 2,11,12,14).
    assert_eq!(frames_of(&r, "certificate"), [6]);
    assert_eq!(frames_of(&r, "server_hello_done"), [6]);
    assert!(frames_of(&r, "finished").is_empty(), "{r}");
    assert!(frames_of(&r, "application_data").is_empty(), "{r}");
    // ServerHello (tshark frame 6: 0x0303, 0xc030): the version and suite were chosen even
    // though the handshake failed.
    assert_eq!(r["version"], "TLS 1.2");
    assert_eq!(r["cipher"], "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
    assert_eq!(r["cert_subject"], "CN=alert.example.test");
    assert_eq!(r["cert_self_signed"], true);
}

// --- quic-initial.pcap ----------------------------------------------------------------------

/// `tshark -r quic-initial.pcap -Y quic -T fields -e frame.len -e udp.srcport -e udp.dstport
///  -e quic.version -e tls.handshake.extensions_server_name -e tls.handshake.extensions_alpn_str
///  -e tls.handshake.extensions.supported_version -e tls.handshake.ciphersuite`
/// → `1242 50000 443 0x00000001 example.com alpn 0x0304 0x1301,0x1302`.
#[test]
fn quic_v1_initial() {
    let r = only_record("quic-initial.pcap");
    assert_eq!(r["transport"], "quic");
    assert_eq!(r["client"], "127.0.0.1");
    assert_eq!(r["client_port"], 50000);
    assert_eq!(r["server_port"], 443);
    assert_eq!(r["sni"], "example.com");
    assert_eq!(r["alpn_offered"], json!(["alpn"]));
    assert_eq!(r["offered_versions"], json!(["TLS 1.3"]));
    assert_eq!(r["offered_cipher_count"], 2);
    assert_eq!(frames_of(&r, "client_hello"), [1]);
    // Only the client's Initial: nothing negotiated.
    assert_eq!(r["established"], false);
    assert!(r.get("version").is_none(), "{r}");
    assert!(r.get("cipher").is_none(), "{r}");
}

/// QUIC records list the offered suites like TCP ones (a bug this sample found: the QUIC path
/// once filled only the count). Oracle: `tshark -r quic-initial.pcap -T fields -e
/// tls.handshake.ciphersuite` → `0x1301,0x1302`.
#[test]
fn quic_v1_initial_offered_ciphers() {
    let r = only_record("quic-initial.pcap");
    assert_eq!(
        r["offered_ciphers"],
        json!(["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"]),
        "{r}"
    );
}

// --- live tshark cross-check ----------------------------------------------------------------

/// SNI, negotiated version and cipher of every connection against tshark (matched by client
/// port), for the four samples above.
#[test]
fn new_samples_match_tshark() {
    if !common::require("tshark") {
        return;
    }
    for name in [
        "tls13-hrr.pcap",
        "tls-resumption.pcap",
        "tls-alert.pcap",
        "quic-initial.pcap",
    ] {
        let file = sample(name);
        let recs = records(name);
        let by_port = |port: &str| {
            let port: u64 = port.parse().unwrap();
            recs.iter()
                .find(|r| r["client_port"] == port)
                .unwrap_or_else(|| panic!("{name}: no record for client port {port}"))
        };
        let hellos = tshark_fields(
            &file,
            &[],
            "tls.handshake.type==1",
            &[
                "tcp.srcport",
                "udp.srcport",
                "tls.handshake.extensions_server_name",
            ],
        );
        assert!(!hellos.is_empty(), "{name}: tshark sees no ClientHello");
        for f in &hellos {
            let port = if f[0].is_empty() { &f[1] } else { &f[0] };
            assert_eq!(by_port(port)["sni"], f[2].as_str(), "{name}");
        }
        let mut server_hellos = 0;
        for f in tshark_fields(
            &file,
            &[],
            "tls.handshake.type==2",
            &[
                "tcp.dstport",
                "tls.handshake.random",
                "tls.handshake.version",
                "tls.handshake.extensions.supported_version",
                "tls.handshake.ciphersuite",
            ],
        ) {
            if f[1] == HRR_RANDOM {
                assert_eq!(by_port(&f[0])["hello_retry"], true, "{name}");
                continue;
            }
            server_hellos += 1;
            let r = by_port(&f[0]);
            let version = if f[3].is_empty() { &f[2] } else { &f[3] };
            assert_eq!(r["version"], version_name(version), "{name}");
            assert_eq!(r["cipher"], suite_name(&f[4]), "{name}");
        }
        // Every TCP record had a ServerHello; the QUIC file has none.
        let tcp_records = recs.iter().filter(|r| r["transport"] == "tcp").count();
        assert_eq!(server_hellos, tcp_records, "{name}");
    }
}
