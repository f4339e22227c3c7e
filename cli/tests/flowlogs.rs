//! `flowsleuth flowlogs` end to end: the benchmark's two command lines, the output contract
//! (CSV on stdout, summary on stderr), errors, and Parquet round trips. Expected rows are worked
//! out by hand from `flowlogs/tests/data/logs/own_query.log` (see `query_groups.rs` there).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn logs(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../flowlogs/tests/data/logs")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowsleuth"))
        .arg("flowlogs")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowsleuth-cli-fl-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const TOP_TALKERS: &str = "srcaddr,dstaddr,records,packets,bytes
203.0.113.7,10.0.0.3,1,20,30000
10.0.0.2,10.0.0.1,1,8,4000
10.0.0.1,10.0.0.2,3,20,3000
10.0.0.3,203.0.113.7,1,15,2000
10.0.0.4,10.0.0.9,1,4,336
198.51.100.10,10.0.0.3,1,2,120
198.51.100.9,10.0.0.3,2,2,120
10.0.0.4,8.8.8.8,1,1,70
";

const REJECTS_BY_PORT: &str = "dstport,records,packets,bytes
22,2,3,180
0,1,4,336
3389,1,1,60
";

#[test]
fn benchmark_command_lines() {
    let file = logs("own_query.log");
    let f = file.to_str().unwrap();
    let o = run(&[
        "query",
        f,
        "--group-by",
        "srcaddr,dstaddr",
        "--sort",
        "bytes",
        "--limit",
        "10",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), TOP_TALKERS);
    let err = stderr(&o);
    assert!(
        err.contains("12 records read (1 NODATA and 0 SKIPDATA skipped)")
            && err.contains("0 bad lines")
            && err.contains("11 records matched"),
        "{err}"
    );
    let o = run(&[
        "query",
        f,
        "--action",
        "reject",
        "--group-by",
        "dstport",
        "--sort",
        "records",
        "--limit",
        "10",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), REJECTS_BY_PORT);
    // The presets say the same.
    let o = run(&["query", f, "--rejects-by-port", "--format", "csv"]);
    assert_eq!(stdout(&o), REJECTS_BY_PORT);
    // One thread or four: same answer.
    for t in ["1", "4"] {
        let o = run(&[
            "query",
            f,
            "--top-talkers",
            "--format",
            "csv",
            "--threads",
            t,
        ]);
        assert_eq!(stdout(&o), TOP_TALKERS);
    }
}

#[test]
fn gzip_and_tree_and_jsonl_records() {
    let dir = temp_dir("gz");
    let gz = dir.join("q.log.gz");
    std::fs::write(&gz, gzip(&std::fs::read(logs("own_query.log")).unwrap())).unwrap();
    let o = run(&[
        "query",
        gz.to_str().unwrap(),
        "--top-talkers",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), TOP_TALKERS);
    // Records as JSON lines: who reached 10.0.0.3:22 (L5 and L7 of own_query.log).
    let o = run(&[
        "query",
        logs("own_query.log").to_str().unwrap(),
        "--dst",
        "10.0.0.3",
        "--dst-port",
        "22",
        "--columns",
        "srcaddr,dstport,bytes,start,action",
        "--format",
        "jsonl",
    ]);
    assert_eq!(
        stdout(&o),
        "{\"srcaddr\":\"198.51.100.9\",\"dstport\":22,\"bytes\":60,\"start\":1700000000,\"action\":\"REJECT\"}\n\
         {\"srcaddr\":\"198.51.100.10\",\"dstport\":22,\"bytes\":120,\"start\":1700000200,\"action\":\"REJECT\"}\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A gzip file by shelling out to `gzip -c` (the CLI crate has no flate2 dependency).
fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip must be installed for this test");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    child.wait_with_output().unwrap().stdout
}

#[test]
fn format_errors_and_hints() {
    let f = logs("own_query.log");
    let o = run(&[
        "query",
        f.to_str().unwrap(),
        "--format",
        "${version} ${srcaddr}",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--log-format"), "{}", stderr(&o));
    // Headerless without a format: refused, never guessed.
    let p = logs("own_cwl_export_prefixed.log");
    let o = run(&[
        "query",
        p.to_str().unwrap(),
        "--top-talkers",
        "--format",
        "csv",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no header line"), "{}", stderr(&o));
    // With the format from describe-flow-logs JSON, CloudWatch JSON reads.
    let o = run(&[
        "query",
        logs("own_cloudwatch_subscription.json").to_str().unwrap(),
        "--log-format-from",
        logs("own_describe_flow_logs.json").to_str().unwrap(),
        "--group-by",
        "dstport",
        "--sort",
        "records",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "dstport,records,packets,bytes\n22,1,1,60\n443,1,3,180\n"
    );
    // The bad event is reported by its number in the file.
    assert!(
        stderr(&o).contains("line 3, field dstport"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_lines_reported_counted_and_strict() {
    let f = logs("own_bad_lines.log");
    let o = run(&[
        "query",
        f.to_str().unwrap(),
        "--group-by",
        "action",
        "--format",
        "csv",
    ]);
    assert!(o.status.success());
    assert_eq!(
        stdout(&o),
        "action,records,packets,bytes\nREJECT,1,5,500\nACCEPT,1,3,180\n"
    );
    let err = stderr(&o);
    assert!(
        err.contains("line 5, field dstport: not a number (\"https\")"),
        "{err}"
    );
    assert!(err.contains("6 bad lines skipped"), "{err}");
    let o = run(&[
        "query",
        f.to_str().unwrap(),
        "--strict",
        "--group-by",
        "action",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("line 3"), "{}", stderr(&o));
}

#[test]
fn parquet_round_trip_and_partitions() {
    let dir = temp_dir("pq");
    let out = dir.join("q.parquet");
    let f = logs("own_query.log");
    let o = run(&["convert", f.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("12 records written"), "{}", stderr(&o));
    // The Parquet file answers the same question the same way (NODATA kept, then skipped).
    let o = run(&[
        "query",
        out.to_str().unwrap(),
        "--top-talkers",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), TOP_TALKERS);
    assert!(
        stderr(&o).contains("12 records read (1 NODATA"),
        "{}",
        stderr(&o)
    );
    // Hive partitions by day of start: all of own_query.log is 2023-11-14 (1700000000 =
    // 2023-11-14T22:13:20Z).
    let tree = dir.join("tree");
    let o = run(&[
        "convert",
        f.to_str().unwrap(),
        "-o",
        tree.to_str().unwrap(),
        "--partition",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(tree
        .join("year=2023/month=11/day=14/part-0.parquet")
        .is_file());
    let o = run(&[
        "query",
        tree.to_str().unwrap(),
        "--rejects-by-port",
        "--format",
        "csv",
    ]);
    assert_eq!(stdout(&o), REJECTS_BY_PORT);
    // A Parquet file with columns missing (no packets, no action, ...): read with what it
    // has; the missing sums are 0.
    let thin = dir.join("thin.parquet");
    let o = run(&[
        "convert",
        f.to_str().unwrap(),
        "-o",
        thin.to_str().unwrap(),
        "--columns",
        "srcaddr,dstaddr,bytes,log_status",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[
        "query",
        thin.to_str().unwrap(),
        "--top-talkers",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let zero_packets: String = TOP_TALKERS
        .lines()
        .map(|l| {
            let mut c: Vec<&str> = l.split(',').collect();
            if c[3] != "packets" {
                c[3] = "0";
            }
            c.join(",") + "\n"
        })
        .collect();
    assert_eq!(stdout(&o), zero_packets);
    // A grouping result as Parquet: only checked to be a Parquet file here.
    let groups = dir.join("g.parquet");
    let o = run(&[
        "query",
        f.to_str().unwrap(),
        "--top-talkers",
        "--format",
        "parquet",
        "-o",
        groups.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read(&groups).unwrap().starts_with(b"PAR1"));
    std::fs::remove_dir_all(&dir).unwrap();
}
