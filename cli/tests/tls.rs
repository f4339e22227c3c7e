//! `flowsleuth tls`: SNI, negotiated version and chosen cipher against tshark on the TLS
//! samples; the TLS 1.3 handshake phases; CSV (parsed with an RFC 4180 reader) has the same
//! rows as JSON lines for both `tls` and `flows`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{
    flowsleuth, json_lines, sample, sample_files, suite_name, tshark_fields, version_name,
};
use serde_json::Value;

/// tshark options for these captures: reassemble out-of-order TCP segments too, so that a
/// handshake sent out of order (as in the split-ClientHello sample) is still decoded.
const OUT_OF_ORDER: &[&str] = &["-o", "tcp.reassemble_out_of_order:TRUE"];

fn tls_out(file: &Path, format: &str) -> Vec<u8> {
    let out = flowsleuth()
        .args(["tls", "--format", format, "-r"])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn sni_version_cipher_match_tshark() {
    if !common::require("tshark") {
        return;
    }
    for name in [
        "tls12-sni.pcap",
        "tls13-sni.pcap",
        "tls-split-clienthello.pcap",
        "mixed-be-ns.pcap",
    ] {
        let file = sample(name);
        // client port -> (sni, version, cipher)
        let mut theirs: BTreeMap<u64, (String, String, String)> = BTreeMap::new();
        for f in tshark_fields(
            &file,
            OUT_OF_ORDER,
            "tls.handshake.type==1",
            &["tcp.srcport", "tls.handshake.extensions_server_name"],
        ) {
            theirs.entry(f[0].parse().unwrap()).or_default().0 = f[1].clone();
        }
        for f in tshark_fields(
            &file,
            OUT_OF_ORDER,
            "tls.handshake.type==2",
            &[
                "tcp.dstport",
                "tls.handshake.ciphersuite",
                "tls.handshake.extensions.supported_version",
                "tls.handshake.version",
            ],
        ) {
            let e = theirs.entry(f[0].parse().unwrap()).or_default();
            let v = if f[2].is_empty() { &f[3] } else { &f[2] };
            e.1 = version_name(v).to_owned();
            e.2 = suite_name(&f[1]).to_owned();
        }
        let ours: BTreeMap<u64, (String, String, String)> = json_lines(&tls_out(&file, "jsonl"))
            .iter()
            .map(|r| {
                let s = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
                (
                    r["client_port"].as_u64().unwrap(),
                    (s("sni"), s("version"), s("cipher")),
                )
            })
            .collect();
        assert!(!ours.is_empty(), "{name}");
        assert_eq!(ours, theirs, "{name}");
    }
}

#[test]
fn tls13_phases_in_jsonl() {
    let recs = json_lines(&tls_out(&sample("tls13-sni.pcap"), "jsonl"));
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    // The same phases as decode/tests/tls_session.rs (tshark-derived frames).
    let phases: Vec<(String, String, u64)> = r["phases"]
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
        .collect();
    let expected = [
        ("client_hello", "client", 4),
        ("server_hello", "server", 6),
        ("change_cipher_spec", "server", 6),
        ("encrypted_handshake", "server", 6),
        ("change_cipher_spec", "client", 8),
        ("finished", "client", 8),
        ("application_data", "client", 9),
        ("application_data", "server", 10),
    ]
    .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c));
    assert_eq!(phases, expected);
    // `tshark -r tls13-sni.pcap -Y frame.number==4 -T fields -e frame.time_epoch`
    assert_eq!(r["phases"][0]["time"], "2026-11-23T12:35:30.044609000Z");
    assert_eq!(r["history"], "CsioIFDd");
    assert_eq!(r["established"], true);
    assert_eq!(r["sni"], "tls13.example.test");
    assert_eq!(r["ja4"], "t13d041000_16476d049b0b_78f1d400d464");
    assert_eq!(r["ja3"], "f146948b4a599d4d7ddf071b74696983");
    assert_eq!(r["ja3s"], "15af977ce25de452b96affa2addb1036");
    assert_eq!(r["key_share_groups"], serde_json::json!(["x25519"]));
    assert!(r["retry_key_share_groups"].is_null(), "no retry: {r}");
    assert_eq!(r["server_key_share_group"], "x25519");
    assert_eq!(r["transport"], "tcp");
    assert!(r.get("server_certs").is_none(), "TLS 1.3 encrypts them");
}

#[test]
fn tls12_certificate_chain() {
    let recs = json_lines(&tls_out(&sample("tls12-sni.pcap"), "jsonl"));
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    // Values from openssl x509 (see decode/tests/tls_session.rs).
    assert_eq!(
        r["cert_sha256"],
        "3f7ba4bbf40636afdbe5e12d9a79ce39082e0780771ab6529e24d5ed16a0507d"
    );
    assert_eq!(r["cert_serial"], "42ae4963390913788d00ea272d5de6d41cc02364");
    assert_eq!(r["cert_subject"], "CN=tls12.example.test");
    assert_eq!(r["cert_not_before"], "2026-11-23T12:35:27.000000000Z");
    assert_eq!(r["cert_not_after"], "2036-11-20T12:35:27.000000000Z");
    assert_eq!(r["cert_self_signed"], true);
    assert_eq!(r["sni_matches_cert"], true);
    assert_eq!(r["server_certs"].as_array().unwrap().len(), 1);
    assert_eq!(r["history"], "CsxknGIFtifDdLl");
    assert_eq!(r["version"], "TLS 1.2");
}

/// A small RFC 4180 reader: quoted fields with doubled quotes, CRLF or LF line ends.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            _ => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quote");
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// How a JSON value is flattened in CSV.
fn flat(key: &str, v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_f64() => format!("{:.6}", n.as_f64().unwrap()),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items
            .iter()
            .map(|i| match (key, i) {
                ("phases", p) => format!("{}@{}", p["phase"].as_str().unwrap(), p["frame"]),
                ("server_certs", c) => c["sha256"].as_str().unwrap().to_owned(),
                (_, Value::String(s)) => s.clone(),
                (_, other) => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(";"),
        Value::Object(_) => panic!("no objects at top level"),
    }
}

fn csv_matches_jsonl(cmd: &str, file: &Path) -> usize {
    let get = |format: &str| {
        let out = flowsleuth()
            .args([cmd, "--format", format, "-r"])
            .arg(file)
            .output()
            .unwrap();
        out.stdout
    };
    let jsonl = json_lines(&get("jsonl"));
    let csv_text = String::from_utf8(get("csv")).unwrap();
    assert!(csv_text.is_empty() || csv_text.ends_with("\r\n"));
    let rows = parse_csv(&csv_text);
    let (header, body) = rows.split_first().unwrap();
    assert_eq!(body.len(), jsonl.len(), "{cmd} {}", file.display());
    for (row, rec) in body.iter().zip(&jsonl) {
        assert_eq!(row.len(), header.len());
        let obj = rec.as_object().unwrap();
        for k in obj.keys() {
            assert!(header.contains(k), "{k} missing from the CSV header");
        }
        for (name, cell) in header.iter().zip(row) {
            let want = obj.get(name).map_or(String::new(), |v| flat(name, v));
            assert_eq!(cell, &want, "{cmd} {} column {name}", file.display());
        }
    }
    jsonl.len()
}

#[test]
fn csv_has_the_same_rows_as_jsonl() {
    let mut tls_rows = 0;
    let mut flow_rows = 0;
    for file in sample_files() {
        tls_rows += csv_matches_jsonl("tls", &file);
        flow_rows += csv_matches_jsonl("flows", &file);
    }
    assert!(tls_rows >= 6, "{tls_rows}");
    assert!(flow_rows >= 50, "{flow_rows}");
}

#[test]
fn csv_reader_handles_quotes() {
    assert_eq!(
        parse_csv("a,\"b,c\",\"d\"\"e\"\r\n,\"x\ny\"\r\n"),
        vec![vec!["a", "b,c", "d\"e"], vec!["", "x\ny"]]
    );
}

#[test]
fn table_is_aligned() {
    let out = String::from_utf8(tls_out(&sample("tls-split-clienthello.pcap"), "table")).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    let col = |l: &str| l.find("TLS").or_else(|| l.find("version")).unwrap();
    assert!(lines.iter().all(|l| col(l) == col(lines[0])), "{out}");
    assert!(lines[0].starts_with("start"));
    assert!(out.contains("reorder.example.net"));
}

/// Plain HTTP on port 80 and DNS are not TLS: no records, and no failure.
#[test]
fn non_tls_traffic_gives_no_records() {
    for name in ["sll.pcap", "vlan-qinq.pcap", "arp-icmp.pcap"] {
        let out = tls_out(&sample(name), "jsonl");
        assert!(out.is_empty(), "{name}: {}", String::from_utf8_lossy(&out));
    }
}

/// Parquet round-trips: read back with the parquet crate's reader, the rows equal the CSV rows.
#[test]
fn parquet_round_trips() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    let dir = std::env::temp_dir().join(format!("flowsleuth-parquet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (cmd, name, rows) in [
        ("tls", "tls-split-clienthello.pcap", 3),
        ("tls", "tls12-sni.pcap", 1),
        ("flows", "mixed-be-ns.pcap", 11),
    ] {
        let file = sample(name);
        let path = dir.join(format!("{cmd}-{name}.parquet"));
        let out = flowsleuth()
            .args([cmd, "--format", "parquet", "-o"])
            .arg(&path)
            .arg("-r")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        let meta = reader.metadata().file_metadata();
        assert_eq!(meta.num_rows(), rows);
        let start = meta.schema_descr().column(1);
        assert_eq!(start.name(), "start");
        assert!(
            format!("{:?}", start.logical_type_ref()).contains("Timestamp"),
            "{:?}",
            start.logical_type_ref()
        );
        let jsonl = json_lines(&{
            flowsleuth()
                .args([cmd, "--format", "jsonl", "-r"])
                .arg(&file)
                .output()
                .unwrap()
                .stdout
        });
        let mut n = 0;
        for (row, rec) in reader.get_row_iter(None).unwrap().zip(&jsonl) {
            let row = row.unwrap();
            for (col, field) in row.get_column_iter() {
                let want = rec.get(col.as_str());
                match field {
                    Field::Null => assert!(want.is_none(), "{col}"),
                    Field::Str(s) => assert_eq!(s, &flat(col, want.unwrap()), "{col}"),
                    Field::Long(v) => match want.unwrap() {
                        // Times: INT64 TIMESTAMP(NANOS) (the record reader shows the raw
                        // nanoseconds); the JSON text ends with the same fraction.
                        Value::String(t) => {
                            let frac = format!(".{:09}Z", v.rem_euclid(1_000_000_000));
                            assert!(t.ends_with(&frac), "{col}: {t} {v}");
                        }
                        w => assert_eq!(Some(*v), w.as_i64(), "{col}"),
                    },
                    Field::Bool(b) => assert_eq!(Some(*b), want.unwrap().as_bool(), "{col}"),
                    Field::Double(d) => assert_eq!(Some(*d), want.unwrap().as_f64(), "{col}"),
                    Field::TimestampMicros(_) | Field::TimestampMillis(_) => {
                        panic!("{col}: times are nanoseconds")
                    }
                    other => {
                        // Nanosecond timestamps: compare the seconds with the JSON text.
                        let text = other.to_string();
                        assert!(!text.is_empty(), "{col}");
                        assert!(want.unwrap().as_str().unwrap().ends_with('Z'), "{col}");
                    }
                }
            }
            n += 1;
        }
        assert_eq!(n, jsonl.len());
        if cmd == "tls" {
            let first = reader.get_row_iter(None).unwrap().next().unwrap().unwrap();
            let sni = first
                .get_column_iter()
                .find(|(c, _)| c.as_str() == "sni")
                .map(|(_, f)| f.to_string());
            assert!(sni.unwrap().contains(".example."));
        }
    }
    // Without -o parquet is refused with a one-line error.
    let out = flowsleuth()
        .args(["tls", "--format", "parquet", "-r"])
        .arg(sample("tls12-sni.pcap"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("-o OUT"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// RFC 9001 A.2's protected client Initial (hex, shared with decode's QUIC tests).
const RFC9001_A2: &str = include_str!("../../decode/tests/data/rfc9001-a2-client-initial.hex");

/// A classic pcap with one Ethernet/IPv4/UDP frame 192.0.2.1:50000 -> 192.0.2.2:443.
fn udp_pcap(payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend([0xa1, 0xb2, 0xc3, 0xd4u8].iter().rev()); // little-endian magic
    f.extend(2u16.to_le_bytes());
    f.extend(4u16.to_le_bytes());
    f.extend([0u8; 8]);
    f.extend(65_535u32.to_le_bytes());
    f.extend(1u32.to_le_bytes()); // Ethernet
    let mut frame = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    let ip_len = u16::try_from(20 + 8 + payload.len()).unwrap();
    let mut ip = vec![0x45, 0];
    ip.extend(ip_len.to_be_bytes());
    ip.extend([0, 1, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]);
    let sum: u32 = ip
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    let sum = !u16::try_from((sum & 0xffff) + (sum >> 16)).unwrap();
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    frame.extend(ip);
    frame.extend(50_000u16.to_be_bytes());
    frame.extend(443u16.to_be_bytes());
    frame.extend(u16::try_from(8 + payload.len()).unwrap().to_be_bytes());
    frame.extend([0, 0]); // no UDP checksum
    frame.extend(payload);
    f.extend(1_700_000_000u32.to_le_bytes());
    f.extend(0u32.to_le_bytes());
    let len = u32::try_from(frame.len()).unwrap();
    f.extend(len.to_le_bytes());
    f.extend(len.to_le_bytes());
    f.extend(frame);
    f
}

/// A QUIC v1 client Initial: SNI, ALPN and fingerprints with transport `quic`.
#[test]
fn quic_client_initial() {
    let hex: String = RFC9001_A2.split_whitespace().collect();
    let payload: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let dir = std::env::temp_dir().join(format!("flowsleuth-quic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("quic.pcap");
    std::fs::write(&file, udp_pcap(&payload)).unwrap();
    let recs = json_lines(&tls_out(&file, "jsonl"));
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r["transport"], "quic");
    assert_eq!(r["sni"], "example.com");
    assert_eq!(r["server_port"], 443);
    assert_eq!(r["alpn_offered"], serde_json::json!(["alpn"]));
    // tshark 4.0.17 on the same packet (decode/tests/tls_session_quic.rs).
    assert_eq!(r["ja3"], "41bc9ae914d6cb3bd0bd0a5453ab7d7f");
    // JA4: QUIC, TLS 1.3, SNI, 2 suites, 11 extensions, ALPN "alpn".
    assert!(r["ja4"].as_str().unwrap().starts_with("q13d0211an_"), "{r}");
    assert_eq!(r["phases"][0]["phase"], "client_hello");
    assert_eq!(r["phases"][0]["frame"], 1);
    assert_eq!(
        r["supported_groups"],
        serde_json::json!(["x25519", "secp256r1", "secp384r1"])
    );
    assert_eq!(r["established"], false);
    if common::require("tshark") {
        let sni = tshark_fields(
            &file,
            OUT_OF_ORDER,
            "tls.handshake.type==1",
            &["tls.handshake.extensions_server_name"],
        );
        assert_eq!(sni, vec![vec!["example.com".to_owned()]]);
    }
    // flows joins it too.
    let out = flowsleuth()
        .args(["flows", "--format", "jsonl", "-r"])
        .arg(&file)
        .output()
        .unwrap();
    let flows = json_lines(&out.stdout);
    assert_eq!(flows[0]["tls_sni"], "example.com");
    assert_eq!(flows[0]["proto"], "udp");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn offered_cipher_lists_match_tshark() {
    if !common::require("tshark") {
        return;
    }
    for name in ["tls12-sni.pcap", "tls13-sni.pcap", "mixed-be-ns.pcap"] {
        let file = sample(name);
        // The oracle gives the suites as numbers in wire order; name them with our table, so
        // what is checked is the list itself (order, completeness), not the spelling.
        let theirs: BTreeMap<u64, Vec<String>> = tshark_fields(
            &file,
            OUT_OF_ORDER,
            "tls.handshake.type==1",
            &["tcp.srcport", "tls.handshake.ciphersuite"],
        )
        .into_iter()
        .map(|f| {
            let names = f[1]
                .split(',')
                .map(|hex| {
                    let code = u16::from_str_radix(hex.trim_start_matches("0x"), 16).unwrap();
                    if decode::tls::is_grease(code) {
                        "GREASE".to_owned()
                    } else {
                        decode::tls::cipher_suite_name(code)
                            .map_or_else(|| format!("0x{code:04x}"), str::to_owned)
                    }
                })
                .collect();
            (f[0].parse().unwrap(), names)
        })
        .collect();
        let ours: BTreeMap<u64, Vec<String>> = json_lines(&tls_out(&file, "jsonl"))
            .iter()
            .map(|r| {
                let list = r["offered_ciphers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_owned())
                    .collect();
                (r["client_port"].as_u64().unwrap(), list)
            })
            .collect();
        assert!(!ours.is_empty(), "{name}");
        assert_eq!(ours, theirs, "{name}");
    }
}
