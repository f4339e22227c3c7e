//! Decode results compared with tshark, an independent dissector, on every shipped sample:
//! for each frame the addresses, ports, protocol, flags, sequence numbers and lengths agree.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

const FIELDS: &[&str] = &[
    "frame.number",
    "frame.len",
    "frame.cap_len",
    "eth.src",
    "eth.dst",
    "ieee8021ad.id",
    "vlan.id",
    "ip.src",
    "ip.dst",
    "ip.proto",
    "ip.len",
    "ipv6.src",
    "ipv6.dst",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.flags",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.len",
    "udp.srcport",
    "udp.dstport",
    "udp.length",
    "icmp.type",
    "icmpv6.type",
    "arp.opcode",
];

/// tshark's fields for every frame, keyed by frame number. Multi-valued fields keep all
/// occurrences (comma-separated), e.g. the inner header quoted in an ICMP error.
fn tshark_frames(file: &Path) -> BTreeMap<u64, BTreeMap<&'static str, Vec<String>>> {
    let mut cmd = Command::new("tshark");
    // -o: don't let tshark's TCP analysis or reassembly change per-frame fields.
    cmd.args(["-n", "-r"]).arg(file).args([
        "-o",
        "tcp.desegment_tcp_streams:FALSE",
        "-o",
        "ip.defragment:FALSE",
        "-o",
        "ipv6.defragment:FALSE",
        "-T",
        "fields",
        "-E",
        "separator=\t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("tshark runs");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut frames = BTreeMap::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let mut map = BTreeMap::new();
        for (name, col) in FIELDS.iter().zip(cols.iter()) {
            if !col.is_empty() {
                map.insert(*name, col.split(',').map(str::to_owned).collect());
            }
        }
        let n: u64 = map
            .get("frame.number")
            .and_then(|v: &Vec<String>| v[0].parse().ok())
            .unwrap();
        frames.insert(n, map);
    }
    frames
}

fn ours(file: &Path) -> (BTreeMap<u64, Value>, bool) {
    let out = common::run(&["read", "--json", "-r", file.to_str().unwrap()]);
    let frames = common::json_lines(&out.stdout)
        .into_iter()
        .map(|v| (v["frame"].as_u64().unwrap(), v))
        .collect();
    (frames, out.status.success())
}

/// Compares one field; returns a description of the mismatch.
fn check(
    errors: &mut Vec<String>,
    frame: u64,
    name: &str,
    theirs: Option<&str>,
    ours: Option<String>,
    ours_cut: bool,
) {
    match (theirs, ours) {
        (Some(t), Some(o)) if t == o => {}
        // tshark shows some fields of headers we (correctly) report as truncated.
        (Some(_), None) if ours_cut => {}
        (None, None) => {}
        (t, o) => errors.push(format!(
            "frame {frame}: {name}: tshark {t:?}, flowsleuth {o:?}"
        )),
    }
}

fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn compare(file: &Path) -> Vec<String> {
    let theirs = tshark_frames(file);
    let (ours, _) = ours(file);
    let mut errors = Vec::new();
    let their_numbers: Vec<_> = theirs.keys().copied().collect();
    let our_numbers: Vec<_> = ours.keys().copied().collect();
    if their_numbers != our_numbers {
        errors.push(format!(
            "frames differ: tshark {their_numbers:?}, flowsleuth {our_numbers:?}"
        ));
    }
    for (n, t) in &theirs {
        let Some(o) = ours.get(n) else { continue };
        let first = |f: &str| t.get(f).map(|v| v[0].as_str());
        let cut = !o["truncated"].is_null() || !o["malformed"].is_null();
        let get = |k: &str| as_string(&o[k]);
        check(
            &mut errors,
            *n,
            "len",
            first("frame.len"),
            get("len"),
            false,
        );
        check(
            &mut errors,
            *n,
            "caplen",
            first("frame.cap_len"),
            get("caplen"),
            false,
        );
        if o["link"] == "ethernet" {
            check(
                &mut errors,
                *n,
                "eth.src",
                first("eth.src"),
                get("eth_src"),
                cut,
            );
            check(
                &mut errors,
                *n,
                "eth.dst",
                first("eth.dst"),
                get("eth_dst"),
                cut,
            );
        }
        // 802.1ad service tags (outer) first, then 802.1Q tags, as they sit on the wire.
        let mut their_vlans = t.get("ieee8021ad.id").cloned().unwrap_or_default();
        their_vlans.extend(t.get("vlan.id").cloned().unwrap_or_default());
        let our_vlans: Vec<String> = o["vlans"]
            .as_array()
            .map(|a| a.iter().map(|v| v["vid"].to_string()).collect())
            .unwrap_or_default();
        if their_vlans != our_vlans && !cut {
            errors.push(format!(
                "frame {n}: vlans: tshark {their_vlans:?}, flowsleuth {our_vlans:?}"
            ));
        }
        if o["net"] == "ipv4" || first("ip.src").is_some() && o["net"] != "ipv6" {
            check(&mut errors, *n, "ip.src", first("ip.src"), get("src"), cut);
            check(&mut errors, *n, "ip.dst", first("ip.dst"), get("dst"), cut);
            check(
                &mut errors,
                *n,
                "ip.proto",
                first("ip.proto"),
                get("ip_proto"),
                cut,
            );
            check(
                &mut errors,
                *n,
                "ip.len",
                first("ip.len"),
                get("ip_len"),
                cut,
            );
        }
        if o["net"] == "ipv6" || first("ipv6.src").is_some() && o["net"] != "ipv4" {
            check(
                &mut errors,
                *n,
                "ipv6.src",
                first("ipv6.src"),
                get("src"),
                cut,
            );
            check(
                &mut errors,
                *n,
                "ipv6.dst",
                first("ipv6.dst"),
                get("dst"),
                cut,
            );
        }
        let is_tcp = o["proto"] == "tcp";
        let is_udp = o["proto"] == "udp";
        // Ports of the outer transport header only (an ICMP error quotes an inner one).
        if is_tcp || first("tcp.srcport").is_some() && o["proto"] != "icmp" && o["proto"] != "icmp6"
        {
            check(
                &mut errors,
                *n,
                "tcp.srcport",
                first("tcp.srcport"),
                get("src_port"),
                cut,
            );
            check(
                &mut errors,
                *n,
                "tcp.dstport",
                first("tcp.dstport"),
                get("dst_port"),
                cut,
            );
            check(
                &mut errors,
                *n,
                "tcp.seq_raw",
                first("tcp.seq_raw"),
                get("seq"),
                cut,
            );
            check(
                &mut errors,
                *n,
                "tcp.ack_raw",
                first("tcp.ack_raw"),
                get("ack"),
                cut,
            );
            // Our payload length is the TCP payload only once the TCP header decoded.
            if o.get("seq").is_some() {
                check(
                    &mut errors,
                    *n,
                    "tcp.len",
                    first("tcp.len"),
                    get("payload_len"),
                    cut,
                );
            }
            let their_flags = first("tcp.flags")
                .and_then(|f| u16::from_str_radix(f.trim_start_matches("0x"), 16).ok())
                .map(|f| (f & 0x1ff).to_string());
            check(
                &mut errors,
                *n,
                "tcp.flags",
                their_flags.as_deref(),
                get("tcp_flags_raw"),
                cut,
            );
        }
        if is_udp || first("udp.srcport").is_some() && o["proto"] != "icmp" && o["proto"] != "icmp6"
        {
            check(
                &mut errors,
                *n,
                "udp.srcport",
                first("udp.srcport"),
                get("src_port"),
                cut,
            );
            check(
                &mut errors,
                *n,
                "udp.dstport",
                first("udp.dstport"),
                get("dst_port"),
                cut,
            );
            check(
                &mut errors,
                *n,
                "udp.length",
                first("udp.length"),
                get("udp_len"),
                cut,
            );
        }
        if o["proto"] == "icmp" || first("icmp.type").is_some() && o["net"] == "ipv4" {
            check(
                &mut errors,
                *n,
                "icmp.type",
                first("icmp.type"),
                get("icmp_type"),
                cut,
            );
        }
        if o["proto"] == "icmp6" || first("icmpv6.type").is_some() && o["net"] == "ipv6" {
            check(
                &mut errors,
                *n,
                "icmpv6.type",
                first("icmpv6.type"),
                get("icmp_type"),
                cut,
            );
        }
        if o["net"] == "arp" || first("arp.opcode").is_some() {
            check(
                &mut errors,
                *n,
                "arp.opcode",
                first("arp.opcode"),
                get("arp_op"),
                cut,
            );
        }
    }
    errors
}

#[test]
fn decode_agrees_with_tshark_on_every_sample() {
    if !common::require("tshark") {
        return;
    }
    let mut failures = Vec::new();
    let mut compared = 0;
    for file in common::sample_files() {
        let errors = compare(&file);
        compared += 1;
        if !errors.is_empty() {
            failures.push(format!("{}:\n  {}", file.display(), errors.join("\n  ")));
        }
    }
    assert!(
        compared >= 5,
        "expected the shipped samples, compared {compared}"
    );
    assert!(
        failures.is_empty(),
        "disagreements with tshark:\n{}",
        failures.join("\n")
    );
}
