//! `flowsleuth flowlogs explain` end to end: the records of
//! `flowlogs/tests/data/explain/flows.log` evaluated against the hand-written dump in
//! `flowlogs/tests/data/vpc/basic`. Every expected value below is worked out by hand from the
//! rules of that dump (reasoning in the comments), not copied from the program's output.
//!
//! The rules that matter (eni-web = 10.0.1.5 in subnet-a, NACL acl-web, group sg-web):
//! - acl-web inbound, by rule number: 100 allow tcp 443 from 0.0.0.0/0; 110 allow tcp 80;
//!   120 deny tcp 22 from 203.0.113.128/25; 130 allow tcp 22 from 203.0.113.0/24 (listed before
//!   120 in the JSON: the number decides, not the order); 140 allow tcp 1024-65535 from
//!   0.0.0.0/0; 150 icmp type 8; 160 all from 10.0.0.0/16; * (32767) deny.
//! - acl-web outbound: 100 allow tcp 1024-65535 to 0.0.0.0/0; 110 tcp 8080 to 10.0.2.0/24;
//!   120 tcp 443; * deny.
//! - sg-web ingress: tcp 443 from 0.0.0.0/0 (description `https`) and ::/0; tcp 80 from
//!   0.0.0.0/0; tcp 22 from 203.0.113.0/24 (`office`); icmp type 8. Egress: all to 0.0.0.0/0
//!   and ::/0.
//! - Internet hosts (203.0.113.x, 198.51.100.x) are in no dumped subnet: the steps of that end
//!   (source SG egress, source NACL out, route from the source subnet) are skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

mod common;

use std::path::PathBuf;

use common::{json_lines, run};
use serde_json::{json, Value};

fn data(p: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../flowlogs/tests/data")
        .join(p)
        .display()
        .to_string()
}

fn explain(format: &str) -> std::process::Output {
    run(&[
        "flowlogs",
        "explain",
        "--aws",
        &data("vpc/basic"),
        "--format",
        format,
        &data("explain/flows.log"),
    ])
}

/// The record's key columns (as logged), then the evaluation columns.
#[allow(clippy::too_many_arguments)]
fn row(
    src: (&str, u16),
    dst: (&str, u16),
    proto: u8,
    action: &str,
    direction: &str,
    orientation: &str,
    flow: &str,
    evaluated: &str,
    step: Option<&str>,
    rule: Option<&str>,
    code: Option<&str>,
    agrees: bool,
) -> Value {
    json!({
        "interface_id": "eni-web",
        "srcaddr": src.0, "srcport": src.1, "dstaddr": dst.0, "dstport": dst.1,
        "protocol": proto, "action": action, "flow_direction": direction,
        "orientation": orientation, "flow": flow, "evaluated": evaluated,
        "deciding_step": step, "deciding_rule": rule, "code": code, "agrees": agrees,
    })
}

const SSH_OFFICE: &str = "sg-web ingress allow tcp 22 from 203.0.113.0/24 (office)";
const NACL_120: &str = "acl-web inbound rule 120: deny tcp 22 from 203.0.113.128/25";

#[test]
fn explain_jsonl_rows_worked_out_by_hand() {
    let out = explain("jsonl");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let rows = json_lines(&out.stdout);
    // 10 records, the NODATA one skipped: 9 rows, in input order.
    assert_eq!(rows.len(), 9, "{rows:#?}");

    let expected = [
        // 1. SSH request from the office, SYN (2): oriented by tcp-flags as logged.
        //    NACL in: 120 (deny .128/25) does not hold .10; 130 allows tcp 22 from
        //    203.0.113.0/24. sg-web ingress: the `office` rule. ALLOW = logged ACCEPT.
        row(
            ("203.0.113.10", 50000),
            ("10.0.1.5", 22),
            6,
            "ACCEPT",
            "ingress",
            "tcp-flags",
            "tcp 203.0.113.10:50000 -> 10.0.1.5:22",
            "ALLOW",
            Some("destination-sg-ingress"),
            Some(SSH_OFFICE),
            None,
            true,
        ),
        // 2. Its reply, SYN-ACK (18): the destination initiated, so the flow is swapped back
        //    to 203.0.113.10:50000 -> 10.0.1.5:22. A reply depends on the whole connection:
        //    forward as in 1; reply SG egress by tracking (22 from a /24, not 0.0.0.0/0:
        //    tracked); reply NACL out: acl-web outbound 100 allows tcp 1024-65535 (50000).
        //    ALLOW; the deciding rule is the one that admitted the connection.
        row(
            ("10.0.1.5", 22),
            ("203.0.113.10", 50000),
            6,
            "ACCEPT",
            "egress",
            "tcp-flags",
            "tcp 203.0.113.10:50000 -> 10.0.1.5:22",
            "ALLOW",
            Some("destination-sg-ingress"),
            Some(SSH_OFFICE),
            None,
            true,
        ),
        // 3. SSH from 203.0.113.200 (inside 203.0.113.128/25): NACL in rule 120 denies before
        //    130 could allow. REJECT explained by the NACL.
        row(
            ("203.0.113.200", 40000),
            ("10.0.1.5", 22),
            6,
            "REJECT",
            "ingress",
            "tcp-flags",
            "tcp 203.0.113.200:40000 -> 10.0.1.5:22",
            "DENY",
            Some("destination-nacl-inbound"),
            Some(NACL_120),
            Some("SUBNET_ACL_RESTRICTION"),
            true,
        ),
        // 4. UDP 53 from the internet, no tcp-flags: ports orient it (53 < 40000: the
        //    destination is the server, as logged). acl-web inbound has no UDP entry and 160
        //    covers only 10.0.0.0/16: the `*` rule, 32767 for IPv4. nacls.json lists it
        //    explicitly (RuleNumber 32767, Protocol -1, CidrBlock 0.0.0.0/0), so it reads like
        //    any entry: `* (32767)`, all traffic, from 0.0.0.0/0.
        row(
            ("198.51.100.7", 40000),
            ("10.0.1.5", 53),
            17,
            "REJECT",
            "ingress",
            "ports",
            "udp 198.51.100.7:40000 -> 10.0.1.5:53",
            "DENY",
            Some("destination-nacl-inbound"),
            Some("acl-web inbound rule * (32767): deny all traffic from 0.0.0.0/0"),
            Some("SUBNET_ACL_RESTRICTION"),
            true,
        ),
        // 5. tcp 8443: NACL in 140 allows 1024-65535; sg-web has no 8443 rule. REJECT explained
        //    by the security group.
        row(
            ("198.51.100.7", 40000),
            ("10.0.1.5", 8443),
            6,
            "REJECT",
            "ingress",
            "tcp-flags",
            "tcp 198.51.100.7:40000 -> 10.0.1.5:8443",
            "DENY",
            Some("destination-sg-ingress"),
            Some("eni-web [sg-web]: no ingress rule matches"),
            Some("ENI_SG_RULES_MISMATCH"),
            true,
        ),
        // 6. tcp 3306 logged ACCEPT: NACL 140 allows, sg-web has no 3306 rule today. Drift at a
        //    security group: rule removed since, or a tracked connection outlived it.
        row(
            ("203.0.113.10", 50001),
            ("10.0.1.5", 3306),
            6,
            "ACCEPT",
            "ingress",
            "tcp-flags",
            "tcp 203.0.113.10:50001 -> 10.0.1.5:3306",
            "DENY",
            Some("destination-sg-ingress"),
            Some("eni-web [sg-web]: no ingress rule matches"),
            Some("ENI_SG_RULES_MISMATCH"),
            false,
        ),
        // 7. The SSH of 3 logged ACCEPT: NACL rule 120 denies today. Drift at a NACL: tracking
        //    cannot explain it (NACL changes apply at once).
        row(
            ("203.0.113.200", 40001),
            ("10.0.1.5", 22),
            6,
            "ACCEPT",
            "ingress",
            "tcp-flags",
            "tcp 203.0.113.200:40001 -> 10.0.1.5:22",
            "DENY",
            Some("destination-nacl-inbound"),
            Some(NACL_120),
            Some("SUBNET_ACL_RESTRICTION"),
            false,
        ),
        // 8. The SSH of 1, next interval, FIN only (1), logged REJECT: tcp-flags say nothing
        //    about the initiator, ports do (22 is the server). Allowed as in 1: disagreement,
        //    FIN/RST stragglers named first.
        row(
            ("203.0.113.10", 50000),
            ("10.0.1.5", 22),
            6,
            "REJECT",
            "ingress",
            "ports",
            "tcp 203.0.113.10:50000 -> 10.0.1.5:22",
            "ALLOW",
            Some("destination-sg-ingress"),
            Some(SSH_OFFICE),
            None,
            false,
        ),
        // 9. HTTPS reply without flags (0): ports say the source (443) is the server, so the
        //    flow is 198.51.100.9:51000 -> 10.0.1.5:443. NACL in 100 allows 443; sg-web allows
        //    443 from 0.0.0.0/0 (`https`); egress allows all to 0.0.0.0/0, so the flow is
        //    untracked and the reply passes by that rule; NACL out 100 allows 51000. ALLOW.
        row(
            ("10.0.1.5", 443),
            ("198.51.100.9", 51000),
            6,
            "ACCEPT",
            "egress",
            "ports",
            "tcp 198.51.100.9:51000 -> 10.0.1.5:443",
            "ALLOW",
            Some("destination-sg-ingress"),
            Some("sg-web ingress allow tcp 443 from 0.0.0.0/0 (https)"),
            None,
            true,
        ),
    ];
    for (i, (got, want)) in rows.iter().zip(expected.iter()).enumerate() {
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(&got[k], v, "row {} field {k}: {got:#}", i + 1);
        }
        assert_eq!(
            got["start"],
            json!(1_700_000_000 + if i == 7 { 60 } else { 0 })
        );
    }

    // Drift causes: only on disagreeing rows, worded by the layer and the direction.
    for (i, r) in rows.iter().enumerate() {
        if r["agrees"] == json!(true) {
            assert_eq!(r["drift_cause"], Value::Null, "row {}", i + 1);
        }
    }
    let cause = |i: usize| rows[i]["drift_cause"].as_str().unwrap().to_owned();
    assert!(
        cause(5).contains("security-group rule removed"),
        "{}",
        cause(5)
    );
    assert!(cause(5).contains("tracked connection"), "{}", cause(5));
    assert!(cause(6).contains("network ACL entry"), "{}", cause(6));
    assert!(
        !cause(6).contains("tracked connection outlived"),
        "{}",
        cause(6)
    );
    assert!(
        cause(7).starts_with("late packets after the connection closed"),
        "{}",
        cause(7)
    );

    // Summary: 10 records (1 NODATA), 9 evaluated, 6 agree, 3 disagree (2 ACCEPT denied,
    // 1 REJECT allowed).
    assert!(stderr.contains("10 records read (1 NODATA"), "{stderr}");
    assert!(stderr.contains("0 bad lines"), "{stderr}");
    assert!(
        stderr.contains(
            "9 evaluated: 6 agree, 3 disagree (2 logged ACCEPT but denied today, 1 logged REJECT but allowed today), 0 undecided"
        ),
        "{stderr}"
    );
}

#[test]
fn explain_csv_has_header_and_one_row_per_record() {
    let out = explain("csv");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "start,interface_id,srcaddr,srcport,dstaddr,dstport,protocol,action,flow_direction,\
         orientation,flow,evaluated,deciding_step,deciding_rule,code,agrees,drift_cause"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 9);
    // Row 3 (NACL rule 120); the rule text has no comma, so it is not quoted.
    assert_eq!(
        rows[2],
        format!(
            "1700000000,eni-web,203.0.113.200,40000,10.0.1.5,22,6,REJECT,ingress,tcp-flags,\
             tcp 203.0.113.200:40000 -> 10.0.1.5:22,DENY,destination-nacl-inbound,{NACL_120},\
             SUBNET_ACL_RESTRICTION,true,"
        )
    );
}

#[test]
fn explain_needs_aws_and_rejects_parquet() {
    let out = run(&["flowlogs", "explain", &data("explain/flows.log")]);
    assert_eq!(out.status.code(), Some(2));
    let out = explain("parquet");
    assert!(!out.status.success());
}

#[test]
fn explain_uses_packet_addresses_and_skips_records_without_addresses() {
    // Line 1: srcaddr is 10.0.1.100 (eni-nat, sg-default; a relaying hop) but the packet came
    // from 203.0.113.10 (pkt-srcaddr). From 10.0.1.100 sg-web would deny tcp 22 (its SSH rule
    // admits only 203.0.113.0/24); from 203.0.113.10 the `office` rule allows it, and NACLs
    // are not evaluated from 10.0.1.100 (same subnet) but are from the internet (130 allows).
    // Line 2: no dstaddr: skipped, counted as without addresses. No flow-direction in the
    // format: no flow_direction column.
    let out = run(&[
        "flowlogs",
        "explain",
        "--aws",
        &data("vpc/basic"),
        "--format",
        "jsonl",
        &data("explain/pkt-addresses.log"),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let rows = json_lines(&out.stdout);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let r = &rows[0];
    assert_eq!(r["srcaddr"], json!("10.0.1.100"));
    assert_eq!(r["flow"], json!("tcp 203.0.113.10:50002 -> 10.0.1.5:22"));
    assert_eq!(r["evaluated"], json!("ALLOW"));
    assert_eq!(r["deciding_rule"], json!(SSH_OFFICE));
    assert_eq!(r["agrees"], json!(true));
    assert!(r.get("flow_direction").is_none(), "{r:#}");
    assert!(
        stderr.contains("2 records read (0 NODATA, 0 SKIPDATA and 1 without addresses skipped)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 evaluated: 1 agree, 0 disagree"),
        "{stderr}"
    );
}
