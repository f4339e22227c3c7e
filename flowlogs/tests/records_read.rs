//! Delivery shapes: S3 trees (plain and Hive prefixes, account and region from the path),
//! gzip (whole and truncated), CloudWatch Logs JSON (subscription envelope, filter-log-events).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::io::Write;
use std::path::{Path, PathBuf};

use flowlogs::read::{expand_paths, read_paths, ReadOptions, RecordSink, S3PathInfo, SinkError};
use flowlogs::{BadLine, FlowRecord, Format, ParseErrorKind};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/logs")
        .join(name)
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowsleuth-read-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// (account, region, srcaddr, dstport, bytes) of one record.
type Row = (
    Option<String>,
    Option<String>,
    String,
    Option<u16>,
    Option<u64>,
);

/// The rows of each record, and the bad lines.
#[derive(Default)]
struct Rows {
    rows: Vec<Row>,
    bad: Vec<BadLine>,
}

impl RecordSink for Rows {
    fn record(&mut self, r: &FlowRecord<'_>) -> Result<(), SinkError> {
        self.rows.push((
            r.account_id.map(str::to_owned),
            r.region.map(str::to_owned),
            r.srcaddr.map(|a| a.to_string()).unwrap_or_default(),
            r.dstport,
            r.bytes,
        ));
        Ok(())
    }
    fn bad_line(&mut self, bad: &BadLine) {
        self.bad.push(bad.clone());
    }
}

#[test]
fn s3_path_info_plain_and_hive() {
    let plain = S3PathInfo::from_path(Path::new(
        "bucket/prefix/AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz",
    ));
    assert_eq!(plain.account_id.as_deref(), Some("123456789012"));
    assert_eq!(plain.region.as_deref(), Some("us-east-1"));
    assert_eq!(plain.date, Some((2018, 6, 20)));
    assert_eq!(plain.hour, None);
    assert_eq!(plain.flow_log_id.as_deref(), Some("fl-1234abcd"));
    let hourly = S3PathInfo::from_path(Path::new(
        "b/AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/16/x_fl-1_y.log.gz",
    ));
    assert_eq!(hourly.hour, Some(16));
    let hive = S3PathInfo::from_path(Path::new(
        "b/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2023/month=11/day=14/hour=22/f.log.gz",
    ));
    assert_eq!(hive.account_id.as_deref(), Some("123456789012"));
    assert_eq!(hive.region.as_deref(), Some("eu-west-1"));
    assert_eq!(hive.date, Some((2023, 11, 14)));
    assert_eq!(hive.hour, Some(22));
}

#[test]
fn whole_tree_with_two_formats_takes_account_and_region_from_the_path() {
    let mut sink = Rows::default();
    let stats = read_paths(&[data("s3tree")], &ReadOptions::default(), &mut sink).unwrap();
    assert!(sink.bad.is_empty(), "{:?}", sink.bad);
    assert_eq!((stats.files, stats.records, stats.nodata), (2, 4, 1));
    let acct = |s: &str| Some(s.to_owned());
    assert_eq!(
        sink.rows,
        [
            (
                acct("111122223333"),
                acct("eu-west-1"),
                "10.0.0.5".to_owned(),
                Some(443),
                Some(180)
            ),
            (
                acct("111122223333"),
                acct("eu-west-1"),
                "10.0.0.6".to_owned(),
                Some(40000),
                Some(120)
            ),
            (
                acct("444455556666"),
                acct("us-east-2"),
                "198.51.100.9".to_owned(),
                Some(22),
                Some(60)
            ),
            (
                acct("444455556666"),
                acct("us-east-2"),
                "10.1.0.5".to_owned(),
                None,
                None
            ),
        ]
    );
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn gzip_whole_multi_member_and_truncated() {
    let dir = temp_dir("gz");
    let text = std::fs::read(data("own_query.log")).unwrap();
    let whole = dir.join("whole.log.gz");
    std::fs::write(&whole, gzip(&text)).unwrap();
    let mut sink = Rows::default();
    let stats = read_paths(&[whole], &ReadOptions::default(), &mut sink).unwrap();
    assert_eq!((stats.records, stats.bad_lines), (12, 0));
    // Two gzip members concatenated (as `cat a.gz b.gz`): both are read; the second header
    // line switches (here: repeats) the format.
    let two = dir.join("two.log.gz");
    let mut bytes = gzip(&text);
    bytes.extend(gzip(&text));
    std::fs::write(&two, bytes).unwrap();
    let mut sink = Rows::default();
    let stats = read_paths(&[two], &ReadOptions::default(), &mut sink).unwrap();
    assert_eq!((stats.records, stats.bad_lines), (24, 0));
    // Truncated: the records before the cut are used, the cut is one bad line.
    let mut big = Vec::new();
    big.extend_from_slice(b"version srcaddr dstaddr bytes log-status\n");
    for i in 0..20_000u32 {
        big.extend_from_slice(
            format!("2 10.0.{}.{} 10.1.0.1 {} OK\n", i / 250, i % 250, i).as_bytes(),
        );
    }
    let gz = gzip(&big);
    let cut = dir.join("cut.log.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    let mut sink = Rows::default();
    let stats = read_paths(
        std::slice::from_ref(&cut),
        &ReadOptions::default(),
        &mut sink,
    )
    .unwrap();
    assert_eq!(stats.bad_lines, 1);
    assert!(
        stats.records > 0 && stats.records < 20_000,
        "{}",
        stats.records
    );
    assert_eq!(sink.bad[0].error.kind, ParseErrorKind::Truncated);
    // The records read before the cut are the first ones, in order.
    assert_eq!(sink.rows[0].4, Some(0));
    assert_eq!(sink.rows.last().unwrap().4, Some(stats.records - 1));
    let strict = ReadOptions {
        strict: true,
        ..ReadOptions::default()
    };
    assert!(read_paths(&[cut], &strict, &mut Rows::default()).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cloudwatch_subscription_envelope() {
    let opts = ReadOptions {
        log_format: Some(Format::default_v2()),
        ..ReadOptions::default()
    };
    let mut sink = Rows::default();
    let stats = read_paths(
        &[data("own_cloudwatch_subscription.json")],
        &opts,
        &mut sink,
    )
    .unwrap();
    // CONTROL_MESSAGE skipped; 2 good events; the third has a non-number port (event 3).
    assert_eq!((stats.records, stats.bad_lines), (2, 1));
    assert_eq!(sink.rows[1].3, Some(22));
    assert_eq!(sink.bad[0].error.line, 3);
    // Gzip-compressed (as Firehose/Lambda receive it).
    let dir = temp_dir("cwl");
    let gz = dir.join("batch.json.gz");
    std::fs::write(
        &gz,
        gzip(&std::fs::read(data("own_cloudwatch_subscription.json")).unwrap()),
    )
    .unwrap();
    let stats = read_paths(&[gz], &opts, &mut Rows::default()).unwrap();
    assert_eq!((stats.records, stats.bad_lines), (2, 1));
    // Without a format: an error, never a guess.
    assert!(read_paths(
        &[data("own_cloudwatch_subscription.json")],
        &ReadOptions::default(),
        &mut Rows::default()
    )
    .is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn filter_log_events_output() {
    let json = std::fs::read_to_string(data("own_describe_flow_logs.json")).unwrap();
    let opts = ReadOptions {
        log_format: Some(Format::from_describe_flow_logs(&json, None).unwrap()),
        ..ReadOptions::default()
    };
    let mut sink = Rows::default();
    let stats = read_paths(&[data("own_filter_log_events.json")], &opts, &mut sink).unwrap();
    assert_eq!((stats.records, stats.nodata, stats.bad_lines), (2, 1, 0));
}

#[test]
fn expand_paths_sorts_and_skips_hidden() {
    let dir = temp_dir("walk");
    std::fs::create_dir_all(dir.join("b")).unwrap();
    for name in ["b/2.log", "a.log", ".hidden", "_SUCCESS", "b/1.log"] {
        std::fs::write(dir.join(name), "").unwrap();
    }
    let files = expand_paths(std::slice::from_ref(&dir)).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["a.log", "b/1.log", "b/2.log"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
