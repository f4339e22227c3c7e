//! Every field of versions 2 to 11, unknown fields, `-`, millisecond timestamps, transit-gateway
//! lines, bad lines with their line numbers and fields, and the format sources.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::path::{Path, PathBuf};

use flowlogs::read::{read_paths, read_str, ReadOptions, RecordSink, SinkError};
use flowlogs::{
    Action, BadLine, Field, FlowDirection, FlowRecord, Format, LineParser, LogStatus,
    ParseErrorKind, Parsed, ReadError, TrafficType, ALL_FIELDS,
};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/logs")
        .join(name)
}

#[derive(Default)]
struct Debugs {
    recs: Vec<String>,
    bad: Vec<BadLine>,
}

impl RecordSink for Debugs {
    fn record(&mut self, rec: &FlowRecord<'_>) -> Result<(), SinkError> {
        self.recs.push(format!("{rec:?}"));
        Ok(())
    }
    fn bad_line(&mut self, bad: &BadLine) {
        self.bad.push(bad.clone());
    }
}

#[test]
fn field_table_counts_per_version() {
    // Reference section 1.2: v2 14, v3 21, v4 25, v5 29, v7 39, v8 40, v9 41, v10 42, v11 54.
    let upto = |v: u8| {
        ALL_FIELDS
            .iter()
            .filter(|f| f.version().unwrap() <= v)
            .count()
    };
    assert_eq!(
        [2, 3, 4, 5, 7, 8, 9, 10, 11].map(upto),
        [14, 21, 25, 29, 39, 40, 41, 42, 54]
    );
    assert_eq!(ALL_FIELDS.len(), 54);
    for f in ALL_FIELDS {
        assert_eq!(Field::from_name(f.name()).unwrap(), *f);
        assert_eq!(Field::from_name(&f.parquet_name()).unwrap(), *f);
    }
    assert_eq!(Field::LogStatus.parquet_name(), "log_status");
    assert_eq!(
        Field::PktSrcAwsService.parquet_name(),
        "pkt_src_aws_service"
    );
}

#[test]
fn all_54_fields() {
    let text = std::fs::read_to_string(data("own_v11_all_fields.log")).unwrap();
    let mut lines = text.lines();
    let format = Format::from_header(lines.next().unwrap()).unwrap();
    assert_eq!(format.fields(), ALL_FIELDS);
    let parser = LineParser::new(format);
    let Parsed::Record(r) = parser.parse_line(lines.next().unwrap(), 2).unwrap() else {
        panic!("not a record")
    };
    assert_eq!(r.version, Some(11));
    assert_eq!(r.account_id, Some("111122223333"));
    assert_eq!(r.srcport, Some(49152));
    assert_eq!(r.packets, Some(12));
    assert_eq!(r.bytes, Some(3456));
    assert_eq!((r.start, r.end), (Some(1_700_000_000), Some(1_700_000_059)));
    assert_eq!(r.action, Some(Action::Reject));
    assert_eq!(r.tcp_flags.map(|f| f.bits()), Some(18));
    assert_eq!(r.traffic_type, Some(TrafficType::Ipv4));
    assert_eq!(r.pkt_dstaddr, Some("198.51.100.70".parse().unwrap()));
    assert_eq!(r.sublocation_type, Some("outpost"));
    assert_eq!(r.pkt_dst_aws_service, Some("S3"));
    assert_eq!(r.flow_direction, Some(FlowDirection::Egress));
    assert_eq!(r.traffic_path.map(|p| p.code()), Some(2));
    assert_eq!(r.ecs_cluster_name, Some("web"));
    assert_eq!(r.ecs_second_container_id, Some("c0ffee02"));
    assert_eq!(r.ecs_task_id, Some("def"));
    assert_eq!(r.reject_reason, Some("BPA"));
    assert_eq!(r.resource_id, Some("nat-0123456789abcdef4"));
    assert_eq!(r.encryption_status, Some(1));
    assert_eq!(r.instance_tag_2, Some("prod"));
    assert_eq!(r.asg_tag_2, Some("spot"));
    assert_eq!(r.interface_type, Some("nat_gateway"));
    assert_eq!(r.next_hop_vpc_id, Some("vpc-0fedcba987654321e"));
    assert_eq!(r.next_hop_interface_type, Some("vpc_endpoint"));
    // Every one of the 54 values is present (the value accessor sees them all).
    for f in ALL_FIELDS {
        assert_ne!(r.value(f), flowlogs::Value::Null, "{f}");
    }
    let Parsed::Record(empty) = parser.parse_line(lines.next().unwrap(), 3).unwrap() else {
        panic!("not a record")
    };
    for f in ALL_FIELDS.iter().skip(1) {
        assert_eq!(empty.value(f), flowlogs::Value::Null, "{f}");
    }
}

#[test]
fn unknown_future_fields_are_kept_as_strings() {
    let mut sink = Debugs::default();
    let stats = read_paths(
        &[data("own_unknown_field.log")],
        &ReadOptions::default(),
        &mut sink,
    )
    .unwrap();
    assert_eq!(stats.records, 2);
    assert!(sink.bad.is_empty());
    let f = Format::from_header("version srcaddr x-new-field another_new_one").unwrap();
    assert_eq!(f.fields()[2], Field::Unknown("x-new-field".into()));
    assert_eq!(f.fields()[3], Field::Unknown("another-new-one".into()));
    let p = LineParser::new(
        Format::from_header("version srcaddr dstaddr x-new-field bytes log-status another_new_one")
            .unwrap(),
    );
    let Parsed::Record(r) = p
        .parse_line("12 10.0.0.1 10.0.0.2 hello 100 OK world", 2)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(r.version, Some(12));
    assert_eq!(r.unknown.as_slice(), &[Some("hello"), Some("world")]);
    let Parsed::Record(r) = p.parse_line("12 10.0.0.1 10.0.0.2 - 200 OK -", 3).unwrap() else {
        panic!()
    };
    assert_eq!(r.unknown.as_slice(), &[None, None]);
}

#[test]
fn millisecond_timestamps_become_seconds() {
    let p = LineParser::new(Format::default_v2());
    let text = std::fs::read_to_string(data("own_ms_timestamps.log")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let Parsed::Record(ms) = p.parse_line(lines[1], 2).unwrap() else {
        panic!()
    };
    let Parsed::Record(s) = p.parse_line(lines[2], 3).unwrap() else {
        panic!()
    };
    assert_eq!(
        (ms.start, ms.end),
        (Some(1_512_564_058), Some(1_512_564_118))
    );
    assert_eq!((s.start, s.end), (Some(1_512_564_058), Some(1_512_564_118)));
}

#[test]
fn bad_lines_name_line_and_field_and_good_lines_survive() {
    let mut sink = Debugs::default();
    let stats = read_paths(
        &[data("own_bad_lines.log")],
        &ReadOptions::default(),
        &mut sink,
    )
    .unwrap();
    assert_eq!(stats.records, 2, "lines 2 and 10 are good");
    assert_eq!(stats.bad_lines, 6);
    let got: Vec<(u64, Option<Field>, ParseErrorKind)> = sink
        .bad
        .iter()
        .map(|b| (b.error.line, b.error.field.clone(), b.error.kind))
        .collect();
    assert_eq!(
        got,
        [
            (
                3,
                Some(Field::LogStatus),
                ParseErrorKind::TooFewFields {
                    expected: 14,
                    found: 13
                }
            ),
            (
                4,
                None,
                ParseErrorKind::TooManyFields {
                    expected: 14,
                    found: 15
                }
            ),
            (5, Some(Field::Dstport), ParseErrorKind::BadNumber),
            (6, Some(Field::Dstaddr), ParseErrorKind::BadAddress),
            (7, Some(Field::Action), ParseErrorKind::BadValue),
            (8, Some(Field::Dstport), ParseErrorKind::BadNumber),
        ]
    );
    let shown = sink.bad[2].to_string();
    assert!(
        shown.contains("own_bad_lines.log: line 5, field dstport: not a number (\"https\")"),
        "{shown}"
    );
}

#[test]
fn strict_stops_at_the_first_bad_line() {
    let mut sink = Debugs::default();
    let opts = ReadOptions {
        strict: true,
        ..ReadOptions::default()
    };
    let err = read_paths(&[data("own_bad_lines.log")], &opts, &mut sink).unwrap_err();
    match err {
        ReadError::Strict(bad) => assert_eq!(bad.error.line, 3),
        other => panic!("{other}"),
    }
    assert_eq!(sink.recs.len(), 1);
}

#[test]
fn transit_gateway_lines_are_counted_apart() {
    let mut sink = Debugs::default();
    let stats = read_paths(
        &[data("own_tgw_mixed.log")],
        &ReadOptions::default(),
        &mut sink,
    )
    .unwrap();
    assert_eq!(
        (stats.records, stats.transit_gateway, stats.bad_lines),
        (2, 2, 0)
    );
    // A transit-gateway format (names tgw-* fields) makes every line a TGW record.
    let f = Format::from_header("version resource-type account-id tgw-id srcaddr dstaddr").unwrap();
    assert!(f.is_transit_gateway());
    let p = LineParser::new(f);
    assert_eq!(
        p.parse_line("6 TransitGateway 1 tgw-1 10.0.0.1 10.0.0.2", 2)
            .unwrap(),
        Parsed::TransitGateway
    );
}

#[test]
fn nodata_and_skipdata_are_counted() {
    let mut sink = Debugs::default();
    let stats = read_paths(
        &[data("aws_default.log")],
        &ReadOptions::default(),
        &mut sink,
    )
    .unwrap();
    assert_eq!((stats.records, stats.nodata, stats.skipdata), (7, 1, 1));
}

#[test]
fn headerless_needs_a_format_and_never_guesses() {
    let mut sink = Debugs::default();
    let err = read_paths(
        &[data("own_cwl_export_prefixed.log")],
        &ReadOptions::default(),
        &mut sink,
    )
    .unwrap_err();
    assert!(matches!(err, ReadError::NoFormat { .. }), "{err}");
    // With --log-format: the ISO timestamp prefix of console exports is skipped.
    let opts = ReadOptions {
        log_format: Some(Format::default_v2()),
        ..ReadOptions::default()
    };
    let stats = read_paths(&[data("own_cwl_export_prefixed.log")], &opts, &mut sink).unwrap();
    assert_eq!((stats.records, stats.bad_lines), (2, 0));
    assert!(sink.recs[0].contains("dstport: Some(443)"));
}

#[test]
fn log_format_and_describe_flow_logs() {
    let f = Format::from_log_format("${srcaddr} ${dstaddr} ${start} ${log-status}").unwrap();
    assert_eq!(
        f.fields(),
        [
            Field::Srcaddr,
            Field::Dstaddr,
            Field::Start,
            Field::LogStatus
        ]
    );
    assert_eq!(
        f.to_log_format(),
        "${srcaddr} ${dstaddr} ${start} ${log-status}"
    );
    assert!(Format::from_log_format("version account-id").is_err());
    assert!(Format::from_log_format("").is_err());
    let json = std::fs::read_to_string(data("own_describe_flow_logs.json")).unwrap();
    assert_eq!(
        Format::from_describe_flow_logs(&json, None).unwrap(),
        Format::default_v2()
    );
    assert_eq!(
        Format::from_describe_flow_logs(&json, Some("fl-0fedcba9876543210")).unwrap(),
        f
    );
    assert!(Format::from_describe_flow_logs(&json, Some("fl-nope")).is_err());
}

#[test]
fn header_detection() {
    assert!(Format::is_header("version account-id interface-id srcaddr"));
    assert!(Format::is_header("account_id bytes dstaddr"));
    assert!(!Format::is_header(
        "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"
    ));
    assert!(!Format::is_header(
        "- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5"
    ));
    assert!(!Format::is_header("ACCEPT OK"));
}

#[test]
fn double_spaces_tabs_and_crlf() {
    let text = "version srcaddr dstaddr log-status\r\n2  10.0.0.1\t10.0.0.2 OK\r\n\r\n2 10.0.0.3 10.0.0.4   OK   \n";
    let mut sink = Debugs::default();
    let stats = read_str(text, &ReadOptions::default(), &mut sink).unwrap();
    assert_eq!((stats.records, stats.bad_lines), (2, 0), "{:?}", sink.bad);
    assert!(sink.recs[0].contains("srcaddr: Some(10.0.0.1)"));
    assert!(sink.recs[1].contains("log_status: Some(Ok)"));
    let p = LineParser::new(Format::default_v2());
    assert_eq!(p.parse_line("   ", 1).unwrap(), Parsed::Blank);
    let Parsed::Record(r) = p
        .parse_line("2 1 eni-1 - - - - - - - 1 2 - SKIPDATA", 1)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(r.log_status, Some(LogStatus::SkipData));
    assert!(!r.is_ok());
}

#[test]
fn not_utf8_is_a_bad_line() {
    let dir = std::env::temp_dir().join(format!("flowsleuth-quirks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("latin1.log");
    let mut bytes =
        b"version srcaddr log-status\n2 10.0.0.1 OK\n2 10.0.0.\xe9 OK\n2 10.0.0.2 OK\n".to_vec();
    bytes.extend_from_slice(b"");
    std::fs::write(&path, bytes).unwrap();
    let mut sink = Debugs::default();
    let stats = read_paths(&[path], &ReadOptions::default(), &mut sink).unwrap();
    assert_eq!((stats.records, stats.bad_lines), (2, 1));
    assert_eq!(sink.bad[0].error.line, 3);
    assert_eq!(sink.bad[0].error.kind, ParseErrorKind::NotUtf8);
    std::fs::remove_dir_all(&dir).unwrap();
}
