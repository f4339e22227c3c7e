//! `flowsleuth explain` and `flowsleuth reach` end to end, over the hand-written dump in
//! `flowlogs/tests/data/vpc/basic` (expected verdicts worked out in `flowlogs/tests/vpc_explain.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;

use common::{flowsleuth, json_lines, run};

fn dump() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../flowlogs/tests/data/vpc/basic")
        .display()
        .to_string()
}

#[test]
fn explain_text_names_the_deciding_nacl_rule() {
    let out = run(&[
        "explain",
        "--aws",
        &dump(),
        "tcp 203.0.113.200:40000 -> 10.0.1.5:22",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("DENY tcp 203.0.113.200:40000 -> 10.0.1.5:22"),
        "{text}"
    );
    assert!(text.contains("acl-web inbound rule 120"), "{text}");
    assert!(text.contains("SUBNET_ACL_RESTRICTION"), "{text}");
}

#[test]
fn explain_json_and_all_blockers() {
    let out = run(&[
        "explain",
        "--aws",
        &dump(),
        "--json",
        "tcp 198.51.100.1:40000 -> 10.0.1.5:22",
    ]);
    assert!(out.status.success());
    let v = &json_lines(&out.stdout)[0];
    assert_eq!(v["verdict"], "DENY");
    assert_eq!(v["steps"][3]["rule"]["rule_number"], 32767);
    assert_eq!(v["steps"][4]["code"], "ENI_SG_RULES_MISMATCH");
    assert_eq!(v["steps"][4]["groups"][0], "sg-web");
    assert_eq!(
        v["blockers"],
        serde_json::json!(["destination-nacl-inbound", "destination-sg-ingress"])
    );
    let text = run(&[
        "explain",
        "--aws",
        &dump(),
        "--all-blockers",
        "tcp 198.51.100.1:40000 -> 10.0.1.5:22",
    ]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("ENI_SG_RULES_MISMATCH"), "{text}");
    let first = run(&[
        "explain",
        "--aws",
        &dump(),
        "tcp 198.51.100.1:40000 -> 10.0.1.5:22",
    ]);
    let first = String::from_utf8(first.stdout).unwrap();
    assert!(first.contains("see --all-blockers"), "{first}");
}

#[test]
fn explain_batch_keeps_order() {
    let mut child = flowsleuth()
        .args(["explain", "--aws", &dump(), "--queries", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            br#"{"proto":"tcp","src":"203.0.113.10","src_port":50000,"dst":"10.0.1.5","dst_port":443}
{"proto":"icmp","src":"203.0.113.10","dst":"10.0.1.5","icmp_type":8,"icmp_code":0}

{"proto":6,"src":"10.0.2.7","src_port":61500,"dst":"93.184.216.34","dst_port":443}
{"proto":"tcp","src":"198.51.100.20","src_port":50000,"dst":"10.0.2.7","dst_port":7000}
"#,
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let v = json_lines(&out.stdout);
    let verdicts: Vec<&str> = v.iter().map(|x| x["verdict"].as_str().unwrap()).collect();
    // https allowed; ping reply denied by NACL outbound; ephemeral 61500 outside 32768-60999;
    // tcp/7000 only via a prefix list whose entries are missing.
    assert_eq!(verdicts, ["ALLOW", "DENY", "DENY", "UNKNOWN"]);
    assert_eq!(v[1]["steps"][6]["rule"]["rule_number"], 32767);
    assert_eq!(v[3]["complete"], false);
}

#[test]
fn bad_input_is_one_line_exit_1() {
    let dir = std::env::temp_dir().join(format!("flowsleuth-vpc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("sg.json");
    std::fs::write(
        &f,
        r#"{"SecurityGroups":[{"GroupId":"sg-1","IpPermissions":[{"IpProtocol":"tcp","FromPort":9,"ToPort":1}]}]}"#,
    )
    .unwrap();
    let out = run(&[
        "explain",
        "--aws",
        f.to_str().unwrap(),
        "tcp 10.0.0.1:1 -> 10.0.0.2:2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("sg.json: $.SecurityGroups[0].IpPermissions[0]"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
    // Bad query: clap usage error.
    let out = run(&["explain", "--aws", &dump(), "tcp 10.0.0.1 -> 10.0.0.2:22"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn reach_lists_sources_and_open_to_world() {
    let out = run(&[
        "reach",
        "--aws",
        &dump(),
        "--to",
        "eni-web",
        "--port",
        "22",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_lines(&out.stdout);
    // sg-web: tcp 22 from 203.0.113.0/24; acl-web splits that /24 (120 denies .128/25).
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0]["source"], "203.0.113.0/24");
    assert_eq!(v[0]["nacl"], "partial");
    let out = run(&["reach", "--aws", &dump(), "--open-to-world", "--json"]);
    let v = json_lines(&out.stdout);
    // Worst first: nothing is all-traffic; sg-web 443/80 and the ICMP rule are severity 4,
    // except that no SSH is open to the world here. All rows are sg-web or sg-app.
    // sg-web: tcp 443 from 0.0.0.0/0 and ::/0, tcp 80, icmp type 8; sg-app's code-only ICMP
    // rule matches nothing and is not listed.
    assert_eq!(v.len(), 4, "{v:?}");
    assert!(v
        .iter()
        .all(|x| x["source"] == "0.0.0.0/0" || x["source"] == "::/0"));
    let out = run(&["reach", "--aws", &dump(), "--to", "eni-nope"]);
    assert_eq!(out.status.code(), Some(1));
}
