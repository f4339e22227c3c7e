//! Filters and grouping on `own_query.log`. Every expected row was worked out by hand from the
//! 12 lines of that file (line numbers L2..L13 below; L11 is NODATA and never matches).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use flowlogs::query::{Aggregator, Filter, GroupRow, GroupValue, SortKey, Totals};
use flowlogs::read::{read_paths, ReadOptions, RecordSink, SinkError};
use flowlogs::{Action, Field, FlowRecord};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/logs")
        .join(name)
}

struct Grouping<'f> {
    filter: &'f Filter,
    agg: Aggregator,
}

impl RecordSink for Grouping<'_> {
    fn record(&mut self, rec: &FlowRecord<'_>) -> Result<(), SinkError> {
        if self.filter.matches(rec) {
            self.agg.add(rec);
        }
        Ok(())
    }
}

fn query(
    file: &str,
    filter: Filter,
    by: &[Field],
    sort: SortKey,
    limit: Option<usize>,
) -> Vec<GroupRow> {
    let mut sink = Grouping {
        filter: &filter,
        agg: Aggregator::new(by.to_vec()).unwrap(),
    };
    read_paths(&[data(file)], &ReadOptions::default(), &mut sink).unwrap();
    sink.agg.finish(sort, limit)
}

fn ip(s: &str) -> GroupValue {
    GroupValue::Ip(s.parse::<IpAddr>().unwrap())
}

fn row(values: Vec<GroupValue>, records: u64, packets: u64, bytes: u64) -> GroupRow {
    GroupRow {
        values,
        totals: Totals {
            records,
            packets,
            bytes,
        },
    }
}

#[test]
fn top_talkers_by_bytes_ties_by_address_text() {
    let rows = query(
        "own_query.log",
        Filter::default(),
        &[Field::Srcaddr, Field::Dstaddr],
        SortKey::Bytes,
        None,
    );
    let expected = vec![
        row(vec![ip("203.0.113.7"), ip("10.0.0.3")], 1, 20, 30000), // L8
        row(vec![ip("10.0.0.2"), ip("10.0.0.1")], 1, 8, 4000),      // L4
        row(vec![ip("10.0.0.1"), ip("10.0.0.2")], 3, 20, 3000),     // L2+L3+L13
        row(vec![ip("10.0.0.3"), ip("203.0.113.7")], 1, 15, 2000),  // L9
        row(vec![ip("10.0.0.4"), ip("10.0.0.9")], 1, 4, 336),       // L12
        // 120 bytes each: "198.51.100.10" sorts before "198.51.100.9" as text (as DuckDB
        // orders the VARCHAR column).
        row(vec![ip("198.51.100.10"), ip("10.0.0.3")], 1, 2, 120), // L7
        row(vec![ip("198.51.100.9"), ip("10.0.0.3")], 2, 2, 120),  // L5+L6
        row(vec![ip("10.0.0.4"), ip("8.8.8.8")], 1, 1, 70),        // L10
    ];
    assert_eq!(rows, expected);
    // --limit 3 keeps the first three of the same order.
    let top3 = query(
        "own_query.log",
        Filter::default(),
        &[Field::Srcaddr, Field::Dstaddr],
        SortKey::Bytes,
        Some(3),
    );
    assert_eq!(top3, expected[..3]);
}

#[test]
fn rejects_by_port_sorted_by_records() {
    let filter = Filter {
        action: Some(Action::Reject),
        ..Filter::default()
    };
    let rows = query(
        "own_query.log",
        filter,
        &[Field::Dstport],
        SortKey::Records,
        Some(10),
    );
    assert_eq!(
        rows,
        [
            row(vec![GroupValue::Int(22)], 2, 3, 180),  // L5+L7
            row(vec![GroupValue::Int(0)], 1, 4, 336),   // L12 (ICMP), tie broken 0 < 3389
            row(vec![GroupValue::Int(3389)], 1, 1, 60), // L6
        ]
    );
}

#[test]
fn from_the_internet_to_private_addresses() {
    let filter = Filter {
        from_internet: true,
        ..Filter::default()
    };
    let rows = query(
        "own_query.log",
        filter,
        &[Field::Srcaddr],
        SortKey::Bytes,
        None,
    );
    assert_eq!(
        rows,
        [
            row(vec![ip("203.0.113.7")], 1, 20, 30000),
            row(vec![ip("198.51.100.10")], 1, 2, 120),
            row(vec![ip("198.51.100.9")], 2, 2, 120),
        ]
    );
}

#[test]
fn who_reached_address_and_port() {
    let filter = Filter {
        dst: Some("10.0.0.3/32".parse().unwrap()),
        dst_port: Some(22),
        ..Filter::default()
    };
    let rows = query(
        "own_query.log",
        filter,
        &[Field::Srcaddr, Field::Action],
        SortKey::Bytes,
        None,
    );
    let reject = GroupValue::Str("REJECT".to_owned());
    assert_eq!(
        rows,
        [
            row(vec![ip("198.51.100.10"), reject.clone()], 1, 2, 120),
            row(vec![ip("198.51.100.9"), reject], 1, 1, 60),
        ]
    );
}

#[test]
fn time_window_port_eni_protocol_and_cidr() {
    let count = |filter: Filter| -> u64 {
        query(
            "own_query.log",
            filter,
            &[Field::Version],
            SortKey::Records,
            None,
        )
        .iter()
        .map(|r| r.totals.records)
        .sum()
    };
    // end >= 1700000300 and start <= 1700000400: L8, L9, L10.
    assert_eq!(
        count(Filter {
            since: Some(1_700_000_300),
            until: Some(1_700_000_400),
            ..Filter::default()
        }),
        3
    );
    // Port 443 on either side: L2, L3, L4, L8, L9, L13.
    assert_eq!(
        count(Filter {
            port: Some(443),
            ..Filter::default()
        }),
        6
    );
    // eni-aaaa0003: L10, L12 (L11 is NODATA).
    assert_eq!(
        count(Filter {
            eni: Some("eni-aaaa0003".into()),
            ..Filter::default()
        }),
        2
    );
    // UDP: L10 only.
    assert_eq!(
        count(Filter {
            protocol: Some(17),
            ..Filter::default()
        }),
        1
    );
    // Source in 198.51.100.0/24: L5, L6, L7.
    assert_eq!(
        count(Filter {
            src: Some("198.51.100.0/24".parse().unwrap()),
            ..Filter::default()
        }),
        3
    );
    // Everything OK: 11 (12 records minus NODATA).
    assert_eq!(count(Filter::default()), 11);
}

#[test]
fn aws_service_filter_and_group_by_string_columns() {
    let any = Filter {
        aws_service: Some(None),
        ..Filter::default()
    };
    let rows = query(
        "aws_v5_s3.log",
        any,
        &[Field::FlowDirection],
        SortKey::Bytes,
        None,
    );
    assert_eq!(
        rows,
        [
            row(vec![GroupValue::Str("ingress".into())], 1, 14, 15044),
            row(vec![GroupValue::Str("egress".into())], 1, 7, 471),
        ]
    );
    let s3 = Filter {
        aws_service: Some(Some("s3".into())),
        ..Filter::default()
    };
    let rows = query(
        "aws_v5_s3.log",
        s3,
        &[Field::PktDstAwsService],
        SortKey::Records,
        None,
    );
    // Null (the ingress record has pkt-dst-aws-service `-`) sorts after values on a tie.
    assert_eq!(
        rows,
        [
            row(vec![GroupValue::Str("S3".into())], 1, 7, 471),
            row(vec![GroupValue::Null], 1, 14, 15044),
        ]
    );
    let dynamo = Filter {
        aws_service: Some(Some("DYNAMODB".into())),
        ..Filter::default()
    };
    assert!(query(
        "aws_v5_s3.log",
        dynamo,
        &[Field::Version],
        SortKey::Bytes,
        None
    )
    .is_empty());
}

#[test]
fn merge_equals_single_pass() {
    // Split the file's records over two aggregators (odd/even) and merge: same result.
    struct Split(Aggregator, Aggregator, u64);
    impl RecordSink for Split {
        fn record(&mut self, rec: &FlowRecord<'_>) -> Result<(), SinkError> {
            if rec.is_ok() {
                self.2 += 1;
                if self.2 % 2 == 0 {
                    self.0.add(rec)
                } else {
                    self.1.add(rec)
                }
            }
            Ok(())
        }
    }
    let cols = vec![Field::InterfaceId, Field::Action];
    let mut split = Split(
        Aggregator::new(cols.clone()).unwrap(),
        Aggregator::new(cols.clone()).unwrap(),
        0,
    );
    read_paths(
        &[data("own_query.log")],
        &ReadOptions::default(),
        &mut split,
    )
    .unwrap();
    let Split(mut a, b, _) = split;
    a.merge(b);
    let merged = a.finish(SortKey::Packets, None);
    let single = query(
        "own_query.log",
        Filter::default(),
        &cols,
        SortKey::Packets,
        None,
    );
    assert_eq!(merged, single);
    // By hand: eni-aaaa0002 ACCEPT L8+L9 = 35 packets; eni-aaaa0001 ACCEPT L2+L3+L4+L13 = 28;
    // eni-aaaa0002 REJECT L5+L6+L7 = 4; eni-aaaa0003 REJECT L12 = 4; eni-aaaa0003 ACCEPT = 1.
    let packets: Vec<u64> = single.iter().map(|r| r.totals.packets).collect();
    assert_eq!(packets, [35, 28, 4, 4, 1]);
    assert_eq!(single[2].values[0], GroupValue::Str("eni-aaaa0002".into()));
}

#[test]
fn group_errors() {
    assert!(Aggregator::new(vec![]).is_err());
    assert!(Aggregator::new(vec![Field::Unknown("x".into())]).is_err());
    assert!(Aggregator::new(vec![Field::Srcaddr; 9]).is_err());
}
