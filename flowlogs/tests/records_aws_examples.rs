//! The AWS documentation examples (re-typed with attribution, see data/logs/README.md), parsed
//! through their header lines. Expected values are read off the records by hand.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use flowlogs::read::{read_paths, ReadOptions, RecordSink, SinkError};
use flowlogs::record::{Initiator, TrafficPath};
use flowlogs::{Action, BadLine, FlowDirection, FlowRecord, LogStatus, TcpFlags, TrafficType};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/logs")
        .join(name)
}

struct Each<F: FnMut(&FlowRecord<'_>)>(F, Vec<BadLine>);

impl<F: FnMut(&FlowRecord<'_>)> RecordSink for Each<F> {
    fn record(&mut self, rec: &FlowRecord<'_>) -> Result<(), SinkError> {
        (self.0)(rec);
        Ok(())
    }
    fn bad_line(&mut self, bad: &BadLine) {
        self.1.push(bad.clone());
    }
}

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

/// Reads a file, checks there are no bad lines, and returns one summary tuple per record.
fn records<T>(name: &str, f: impl Fn(&FlowRecord<'_>) -> T) -> Vec<T> {
    let mut out = Vec::new();
    let mut sink = Each(|r: &FlowRecord<'_>| out.push(f(r)), Vec::new());
    read_paths(&[data(name)], &ReadOptions::default(), &mut sink).unwrap();
    assert!(sink.1.is_empty(), "{:?}", sink.1);
    drop(sink);
    out
}

#[test]
fn default_format_examples() {
    let recs = records("aws_default.log", |r| {
        (
            r.version,
            r.account_id.map(str::to_owned),
            r.srcaddr,
            r.dstport,
            r.protocol,
            r.packets,
            r.bytes,
            r.action,
            r.log_status,
        )
    });
    assert_eq!(recs.len(), 7);
    // SSH to the ENI accepted: 20 packets, 4249 bytes.
    assert_eq!(
        recs[0],
        (
            Some(2),
            Some("123456789010".to_owned()),
            ip("172.31.16.139"),
            Some(22),
            Some(6),
            Some(20),
            Some(4249),
            Some(Action::Accept),
            Some(LogStatus::Ok)
        )
    );
    // RDP rejected.
    assert_eq!(recs[1].3, Some(3389));
    assert_eq!(recs[1].7, Some(Action::Reject));
    // NODATA and SKIPDATA: every `-` is None, never the string "-".
    for (i, status) in [(2, LogStatus::NoData), (3, LogStatus::SkipData)] {
        let r = &recs[i];
        assert_eq!(
            (r.2, r.3, r.4, r.5, r.6, r.7),
            (None, None, None, None, None, None)
        );
        assert_eq!(r.8, Some(status));
    }
    // The ping pair: ICMP (1), ports 0, the reply REJECTed by the stateless NACL.
    assert_eq!(
        (recs[4].3, recs[4].4, recs[4].7),
        (Some(0), Some(1), Some(Action::Accept))
    );
    assert_eq!(
        (recs[5].3, recs[5].4, recs[5].7),
        (Some(0), Some(1), Some(Action::Reject))
    );
    // IPv6 SSH.
    assert_eq!(recs[6].2, ip("2001:db8:1234:a100:8d6e:3477:df66:f105"));
    assert_eq!((recs[6].5, recs[6].6), (Some(54), Some(8855)));
}

#[test]
fn custom_v3_bytes_before_packets_and_tcp_flags() {
    let recs = records("aws_v3_tcp_flags.log", |r| {
        (
            r.srcport,
            r.dstport,
            r.bytes,
            r.packets,
            r.tcp_flags.map(|f| f.bits()),
            r.initiator(),
            r.traffic_type,
            r.pkt_srcaddr,
            r.vpc_id.map(str::to_owned),
        )
    });
    assert_eq!(recs.len(), 6, "the double-space line must parse too");
    // bytes comes before packets in this format: 568 bytes, 8 packets.
    assert_eq!((recs[0].2, recs[0].3), (Some(568), Some(8)));
    let flags: Vec<_> = recs.iter().map(|r| r.4).collect();
    assert_eq!(
        flags,
        [Some(2), Some(18), Some(1), Some(1), Some(3), Some(19)]
    );
    // SYN from the client (source), SYN-ACK from the server (its destination initiated).
    let who: Vec<_> = recs.iter().map(|r| r.5).collect();
    assert_eq!(
        who,
        [
            Some(Initiator::Source),
            Some(Initiator::Destination),
            None,
            None,
            Some(Initiator::Source),
            Some(Initiator::Destination)
        ]
    );
    // The line with "5001 43638  10.0.0.62": fields stay in place.
    assert_eq!(
        (recs[5].0, recs[5].1, recs[5].7),
        (Some(5001), Some(43638), ip("10.0.0.62"))
    );
    assert_eq!(recs[0].6, Some(TrafficType::Ipv4));
    assert_eq!(recs[0].8.as_deref(), Some("vpc-abcdefab012345678"));
    let syn_ack = TcpFlags::from_bits_retain(18);
    assert!(syn_ack.contains(TcpFlags::SYN) && syn_ack.contains(TcpFlags::ACK));
}

#[test]
fn nat_gateway_packet_addresses() {
    let recs = records("aws_nat_gateway.log", |r| {
        (
            r.instance_id.is_none(),
            r.srcaddr,
            r.dstaddr,
            r.pkt_srcaddr,
            r.pkt_dstaddr,
            r.version,
        )
    });
    assert_eq!(recs.len(), 6);
    // On the NAT gateway ENI: instance 10.0.1.5 to the internet host 203.0.113.5; dstaddr is the
    // NAT gateway's own address.
    assert_eq!(
        recs[0],
        (
            true,
            ip("10.0.1.5"),
            ip("10.0.0.220"),
            ip("10.0.1.5"),
            ip("203.0.113.5"),
            None
        )
    );
    // The reply leaving the NAT gateway: pkt-srcaddr is the internet host.
    assert_eq!(recs[3].3, ip("203.0.113.5"));
    // Instance-side records: no difference between srcaddr and pkt-srcaddr.
    assert!(!recs[4].0);
    assert_eq!(recs[4].1, recs[4].3);
}

#[test]
fn transit_gateway_eni_records_are_vpc_records() {
    let recs = records("aws_transit_gateway_v3.log", |r| {
        (
            r.srcaddr,
            r.pkt_srcaddr,
            r.instance_id.map(str::to_owned),
            r.tcp_flags.map(|f| f.bits()),
        )
    });
    assert_eq!(recs.len(), 3);
    // Through the TGW ENI: srcaddr is the TGW ENI, pkt-srcaddr the client in VPC A.
    assert_eq!(
        recs[1],
        (ip("10.40.1.175"), ip("10.20.33.164"), None, Some(3))
    );
}

#[test]
fn v5_s3_example() {
    let recs = records("aws_v5_s3.log", |r| {
        (
            r.pkt_src_aws_service.map(str::to_owned),
            r.pkt_dst_aws_service.map(str::to_owned),
            r.traffic_path,
            r.flow_direction,
            r.region.map(str::to_owned),
            r.az_id.map(str::to_owned),
            r.sublocation_type.map(str::to_owned),
            r.tcp_flags.map(|f| f.bits()),
        )
    });
    assert_eq!(
        recs,
        [
            (
                Some("S3".to_owned()),
                None,
                None,
                Some(FlowDirection::Ingress),
                Some("ap-southeast-2".to_owned()),
                Some("apse2-az3".to_owned()),
                None,
                Some(19)
            ),
            (
                None,
                Some("S3".to_owned()),
                Some(TrafficPath::InternetGateway),
                Some(FlowDirection::Egress),
                Some("ap-southeast-2".to_owned()),
                Some("apse2-az3".to_owned()),
                None,
                Some(3)
            ),
        ]
    );
}
