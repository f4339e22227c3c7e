//! The parallel reader: blocks of whole lines over worker threads give the same groups, counts
//! and bad-line numbers as the sequential reader, on plain and gzip files that span many blocks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use flowlogs::query::{Aggregator, GroupValue, SortKey};
use flowlogs::read::{read_paths, read_paths_parallel, ReadOptions, RecordSink, SinkError};
use flowlogs::{BadLine, Field, FlowRecord};

struct Agg(Aggregator, Vec<u64>);

impl RecordSink for Agg {
    fn record(&mut self, rec: &FlowRecord<'_>) -> Result<(), SinkError> {
        if rec.is_ok() {
            self.0.add(rec);
        }
        Ok(())
    }
    fn bad_line(&mut self, bad: &BadLine) {
        self.1.push(bad.error.line);
    }
}

fn new_agg() -> Agg {
    Agg(Aggregator::new(vec![Field::Srcaddr]).unwrap(), Vec::new())
}

const N: u64 = 200_000;

/// Line 1 is the header; record i (0-based) is on line i + 2 + (bad lines before it). Every
/// 50 000th record is preceded by a bad line (a port that is not a number).
fn write_input(dir: &std::path::Path) -> (PathBuf, PathBuf, Vec<u64>) {
    let mut text = String::from("version srcaddr dstaddr dstport packets bytes log-status\n");
    let mut bad = Vec::new();
    let mut line = 1;
    for i in 0..N {
        if i % 50_000 == 0 {
            line += 1;
            bad.push(line);
            text.push_str("2 10.9.9.9 10.1.0.1 http 1 1 OK\n");
        }
        line += 1;
        text.push_str(&format!("2 10.0.{}.1 10.1.0.1 443 1 {i} OK\n", i % 4));
    }
    let plain = dir.join("big.log");
    std::fs::write(&plain, &text).unwrap();
    let gz = dir.join("big.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    (plain, gz, bad)
}

#[test]
fn parallel_equals_sequential_and_hand_sums() {
    let dir = std::env::temp_dir().join(format!("flowsleuth-par-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (plain, gz, bad_lines) = write_input(&dir);
    assert!(
        std::fs::metadata(&plain).unwrap().len() > (4 << 20),
        "spans several blocks"
    );
    // Group k = i % 4 has N/4 records with bytes 4j + k for j < N/4:
    // sum = 4 * (N/4 - 1) * (N/4) / 2 + k * N/4.
    let q = N / 4;
    let expect: Vec<(String, u64, u64)> = (0..4u64)
        .rev()
        .map(|k| (format!("10.0.{k}.1"), q, 4 * (q - 1) * q / 2 + k * q))
        .collect();
    for path in [plain, gz] {
        let mut seq = new_agg();
        let s1 = read_paths(
            std::slice::from_ref(&path),
            &ReadOptions::default(),
            &mut seq,
        )
        .unwrap();
        let mut bytes_seen = 0;
        let (s2, sinks) = read_paths_parallel(
            std::slice::from_ref(&path),
            &ReadOptions::default(),
            3,
            new_agg,
            &mut |b| bytes_seen += b,
        )
        .unwrap();
        assert_eq!(bytes_seen, std::fs::metadata(&path).unwrap().len());
        assert_eq!((s1.records, s1.bad_lines), (N, bad_lines.len() as u64));
        assert_eq!(
            (s2.records, s2.bad_lines, s2.files),
            (s1.records, s1.bad_lines, 1)
        );
        let mut merged = new_agg();
        let mut par_bad = BTreeSet::new();
        for sink in sinks {
            par_bad.extend(sink.1);
            merged.0.merge(sink.0);
        }
        assert_eq!(seq.1, bad_lines);
        assert_eq!(par_bad.into_iter().collect::<Vec<_>>(), bad_lines);
        let a = seq.0.finish(SortKey::Bytes, None);
        let b = merged.0.finish(SortKey::Bytes, None);
        assert_eq!(a, b);
        let got: Vec<(String, u64, u64)> = a
            .iter()
            .map(|r| {
                let GroupValue::Ip(ip) = &r.values[0] else {
                    panic!()
                };
                (ip.to_string(), r.totals.records, r.totals.bytes)
            })
            .collect();
        assert_eq!(got, expect);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn parallel_reads_json_and_tree_on_the_calling_thread() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/logs");
    let (stats, sinks) = read_paths_parallel(
        &[root.join("s3tree"), root.join("own_query.log")],
        &ReadOptions::default(),
        2,
        new_agg,
        &mut |_| {},
    )
    .unwrap();
    // s3tree: 4 records (1 NODATA); own_query.log: 12 records (1 NODATA).
    assert_eq!((stats.files, stats.records, stats.nodata), (3, 16, 2));
    // Gzip-compressed CloudWatch JSON is recognised as JSON, not cut into text blocks.
    let dir = std::env::temp_dir().join(format!("flowsleuth-par-cwl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gz = dir.join("batch.json.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&std::fs::read(root.join("own_cloudwatch_subscription.json")).unwrap())
        .unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let opts = ReadOptions {
        log_format: Some(flowlogs::Format::default_v2()),
        ..ReadOptions::default()
    };
    let (stats, _) = read_paths_parallel(&[gz], &opts, 2, new_agg, &mut |_| {}).unwrap();
    assert_eq!((stats.files, stats.records, stats.bad_lines), (1, 2, 1));
    std::fs::remove_dir_all(&dir).unwrap();
    let total: u64 = sinks
        .into_iter()
        .map(|s| {
            s.0.finish(SortKey::Records, None)
                .iter()
                .map(|r| r.totals.records)
                .sum::<u64>()
        })
        .sum();
    assert_eq!(total, 14);
}
