//! Synthetic AWS VPC Flow Logs in the S3 plain-text delivery shape, for
//! benchmarks and tests of `flowsleuth flowlogs`.
//!
//! A file is a header line naming the fields (hyphenated, as S3 writes it)
//! followed by one record per line, fields separated by spaces, `-` for a
//! missing value. Two formats:
//! - [`LogFormat::Default`]: the 14 version-2 fields in table order;
//! - [`LogFormat::V5`]: the 29-field custom format of AWS's version-5 example
//!   (`version srcaddr dstaddr srcport dstport protocol start end type packets
//!   bytes account-id vpc-id subnet-id instance-id interface-id region az-id
//!   sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr
//!   pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction
//!   log-status`).
//!
//! The traffic: 3 000 network interfaces (ENIs) in four VPCs and three
//! accounts, about 20 % of them with an IPv6 address, talking to each other,
//! to 4 000 internet hosts (198.18.0.0/15, the RFC 2544 benchmarking range),
//! to AWS service addresses (203.0.113.0/24, labelled S3, DYNAMODB, ...) and
//! being scanned by 508 hosts (192.0.2.0/24 and 198.51.100.0/24). ENIs and
//! peers are drawn from Zipf-like distributions, so a few pairs carry most of
//! the bytes and "top talkers" is meaningful. About 7 % of the records are
//! REJECTs, mostly inbound scans of common ports; about 1 % are NODATA and
//! 0.2 % SKIPDATA (with `-` for srcaddr..bytes and action); about 3 % are
//! ICMP / ICMPv6 with ports 0. Optionally one line in 512 has a double space
//! between two fields, as AWS's own example page does.
//!
//! Addresses are written in canonical form (`Ipv4Addr` / `Ipv6Addr`
//! `Display`), numbers without leading zeros. Everything comes from a seeded
//! [`SplitMix64`], so the same configuration always gives the same bytes
//! (gzip output too: mtime 0, fixed level).

use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use crate::gzip;
use crate::rng::SplitMix64;
use crate::time::BASE_TIME;

/// Which fields, in which order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// The default format: the 14 version-2 fields.
    Default,
    /// AWS's version-5 example custom format (29 fields).
    V5,
}

/// One flow-log field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Version,
    AccountId,
    InterfaceId,
    SrcAddr,
    DstAddr,
    SrcPort,
    DstPort,
    Protocol,
    Packets,
    Bytes,
    Start,
    End,
    Action,
    LogStatus,
    VpcId,
    SubnetId,
    InstanceId,
    TcpFlags,
    Type,
    PktSrcAddr,
    PktDstAddr,
    Region,
    AzId,
    SublocationType,
    SublocationId,
    PktSrcAwsService,
    PktDstAwsService,
    FlowDirection,
    TrafficPath,
}

const DEFAULT_FIELDS: [Field; 14] = [
    Field::Version,
    Field::AccountId,
    Field::InterfaceId,
    Field::SrcAddr,
    Field::DstAddr,
    Field::SrcPort,
    Field::DstPort,
    Field::Protocol,
    Field::Packets,
    Field::Bytes,
    Field::Start,
    Field::End,
    Field::Action,
    Field::LogStatus,
];

const V5_FIELDS: [Field; 29] = [
    Field::Version,
    Field::SrcAddr,
    Field::DstAddr,
    Field::SrcPort,
    Field::DstPort,
    Field::Protocol,
    Field::Start,
    Field::End,
    Field::Type,
    Field::Packets,
    Field::Bytes,
    Field::AccountId,
    Field::VpcId,
    Field::SubnetId,
    Field::InstanceId,
    Field::InterfaceId,
    Field::Region,
    Field::AzId,
    Field::SublocationType,
    Field::SublocationId,
    Field::Action,
    Field::TcpFlags,
    Field::PktSrcAddr,
    Field::PktDstAddr,
    Field::PktSrcAwsService,
    Field::PktDstAwsService,
    Field::TrafficPath,
    Field::FlowDirection,
    Field::LogStatus,
];

impl Field {
    /// The name in a format string and in the S3 header line.
    const fn name(self) -> &'static str {
        match self {
            Self::Version => "version",
            Self::AccountId => "account-id",
            Self::InterfaceId => "interface-id",
            Self::SrcAddr => "srcaddr",
            Self::DstAddr => "dstaddr",
            Self::SrcPort => "srcport",
            Self::DstPort => "dstport",
            Self::Protocol => "protocol",
            Self::Packets => "packets",
            Self::Bytes => "bytes",
            Self::Start => "start",
            Self::End => "end",
            Self::Action => "action",
            Self::LogStatus => "log-status",
            Self::VpcId => "vpc-id",
            Self::SubnetId => "subnet-id",
            Self::InstanceId => "instance-id",
            Self::TcpFlags => "tcp-flags",
            Self::Type => "type",
            Self::PktSrcAddr => "pkt-srcaddr",
            Self::PktDstAddr => "pkt-dstaddr",
            Self::Region => "region",
            Self::AzId => "az-id",
            Self::SublocationType => "sublocation-type",
            Self::SublocationId => "sublocation-id",
            Self::PktSrcAwsService => "pkt-src-aws-service",
            Self::PktDstAwsService => "pkt-dst-aws-service",
            Self::FlowDirection => "flow-direction",
            Self::TrafficPath => "traffic-path",
        }
    }
}

impl LogFormat {
    /// Parses `default` or `v5`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "default" | "v2" => Some(Self::Default),
            "v5" => Some(Self::V5),
            _ => None,
        }
    }

    fn field_list(self) -> &'static [Field] {
        match self {
            Self::Default => &DEFAULT_FIELDS,
            Self::V5 => &V5_FIELDS,
        }
    }

    /// The field names in order, as in the header line (hyphenated).
    #[must_use]
    pub fn fields(self) -> Vec<&'static str> {
        self.field_list().iter().map(|f| f.name()).collect()
    }

    /// The header line, without the newline.
    #[must_use]
    pub fn header(self) -> String {
        self.fields().join(" ")
    }

    /// The `version` value of the records: the highest version among the fields.
    #[must_use]
    pub const fn version(self) -> u8 {
        match self {
            Self::Default => 2,
            Self::V5 => 5,
        }
    }
}

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowLogConfig {
    /// Number of records (lines after the header).
    pub records: u64,
    /// Field order.
    pub format: LogFormat,
    /// PRNG seed: the same seed gives the same file.
    pub seed: u64,
    /// Put a double space between two fields of about one line in 512.
    pub double_spaces: bool,
}

impl FlowLogConfig {
    /// `records` records in `format`, seed 1, with occasional double spaces.
    #[must_use]
    pub const fn new(records: u64, format: LogFormat) -> Self {
        Self {
            records,
            format,
            seed: 1,
            double_spaces: true,
        }
    }
}

/// What was generated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowLogStats {
    /// Records written (not counting the header line).
    pub records: u64,
    /// Records with log-status OK.
    pub ok: u64,
    /// OK records with action REJECT.
    pub rejects: u64,
    /// NODATA records.
    pub nodata: u64,
    /// SKIPDATA records.
    pub skipdata: u64,
    /// OK records of type IPv6.
    pub ipv6: u64,
    /// Lines with a double space.
    pub double_spaces: u64,
    /// Bytes of text written, header included (before any compression).
    pub text_bytes: u64,
}

/// Writes the flow log (header line, then `cfg.records` records) to `w`,
/// which should be buffered.
///
/// # Examples
///
/// ```
/// use samplegen::flowlogs::{write, FlowLogConfig, LogFormat};
///
/// let mut out = Vec::new();
/// let stats = write(&mut out, &FlowLogConfig::new(100, LogFormat::Default))?;
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with("version account-id interface-id srcaddr dstaddr "));
/// assert_eq!(text.lines().count(), 101);
/// assert_eq!(stats.records, 100);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// Any I/O error from `w`.
pub fn write<W: Write>(mut w: W, cfg: &FlowLogConfig) -> io::Result<FlowLogStats> {
    let mut g = Generator::new(cfg);
    let mut line = Vec::with_capacity(512);
    line.extend_from_slice(cfg.format.header().as_bytes());
    line.push(b'\n');
    w.write_all(&line)?;
    g.stats.text_bytes += line.len() as u64;
    // Batch lines into one buffer to keep the writer calls few.
    let mut batch = Vec::with_capacity(1 << 16);
    for i in 0..cfg.records {
        g.record(i, &mut batch);
        if batch.len() >= (1 << 16) - 512 {
            w.write_all(&batch)?;
            g.stats.text_bytes += batch.len() as u64;
            batch.clear();
        }
    }
    w.write_all(&batch)?;
    g.stats.text_bytes += batch.len() as u64;
    g.stats.records = cfg.records;
    w.flush()?;
    Ok(g.stats)
}

/// Writes the flow log to the file `path`, gzip-compressed (level 1) if
/// `gzip` is set.
///
/// # Errors
///
/// Any error creating or writing the file.
pub fn write_file(path: &Path, cfg: &FlowLogConfig, gzip: bool) -> io::Result<FlowLogStats> {
    gzip::write_file_with(path, gzip, |w| write(w, cfg))
}

/// Draws indices `0..n` with probability proportional to `1 / (k + 1)^s`.
#[derive(Debug)]
struct Zipf {
    /// Cumulative thresholds on the full `u64` range; the last is `u64::MAX`.
    cdf: Vec<u64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Self {
        let weights: Vec<f64> = (0..n).map(|k| 1.0 / ((k + 1) as f64).powf(s)).collect();
        let total: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let mut cdf: Vec<u64> = weights
            .iter()
            .map(|w| {
                acc += w;
                // `as` saturates; the last one is forced to MAX below.
                ((acc / total) * u64::MAX as f64) as u64
            })
            .collect();
        if let Some(last) = cdf.last_mut() {
            *last = u64::MAX;
        }
        Self { cdf }
    }

    fn sample(&self, rng: &mut SplitMix64) -> usize {
        let u = rng.next_u64();
        self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1)
    }
}

/// Draws from a fixed list with integer weights.
fn weighted<T: Copy>(rng: &mut SplitMix64, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|&(_, w)| w).sum();
    let mut r = rng.below(u64::from(total)) as u32;
    for &(item, w) in items {
        if r < w {
            return item;
        }
        r -= w;
    }
    items[items.len() - 1].0
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EniKind {
    Instance,
    NatGateway,
    Endpoint,
    LoadBalancer,
}

/// One network interface and everything the v5 fields say about it.
#[derive(Debug)]
struct Eni {
    kind: EniKind,
    interface_id: String,
    account_id: &'static str,
    vpc_id: &'static str,
    subnet_id: String,
    instance_id: String,
    region: &'static str,
    az_id: &'static str,
    v4: String,
    v6: Option<String>,
}

/// A remote address.
#[derive(Debug)]
struct Peer {
    addr: String,
    /// `pkt-*-aws-service` value, `-` if none.
    service: &'static str,
}

struct Vpc {
    id: &'static str,
    account: &'static str,
    region: &'static str,
    azs: &'static [&'static str],
    /// First two octets of the CIDR (a /16).
    prefix: [u8; 2],
    /// Third group of the IPv6 /56 (2001:db8:XXXX::/48 then a /64 per subnet).
    v6_group: u16,
}

const VPCS: [Vpc; 4] = [
    Vpc {
        id: "vpc-0a1b2c3d4e5f60001",
        account: "123456789010",
        region: "us-east-1",
        azs: &["use1-az1", "use1-az2", "use1-az4", "use1-az6"],
        prefix: [10, 0],
        v6_group: 0x1234,
    },
    Vpc {
        id: "vpc-0a1b2c3d4e5f60002",
        account: "123456789010",
        region: "us-east-1",
        azs: &["use1-az1", "use1-az2", "use1-az4"],
        prefix: [10, 1],
        v6_group: 0x1235,
    },
    Vpc {
        id: "vpc-0a1b2c3d4e5f60003",
        account: "210987654321",
        region: "us-east-1",
        azs: &["use1-az2", "use1-az6"],
        prefix: [10, 2],
        v6_group: 0x1236,
    },
    Vpc {
        id: "vpc-0a1b2c3d4e5f60004",
        account: "444455556666",
        region: "eu-west-1",
        azs: &["euw1-az1", "euw1-az2", "euw1-az3"],
        prefix: [172, 31],
        v6_group: 0x1237,
    },
];

const ENIS: usize = 3000;
const INTERNET_PEERS: usize = 4000;
const INTERNET_V6_PEERS: usize = 500;
const SUBNETS_PER_VPC: u32 = 8;

/// AWS service addresses (203.0.113.0/24) and their ip-ranges names.
const SERVICES: [(&str, u32); 6] = [
    ("S3", 40),
    ("DYNAMODB", 15),
    ("AMAZON", 20),
    ("EC2", 10),
    ("ROUTE53_RESOLVER", 5),
    ("CLOUDFRONT", 10),
];

const TCP_SERVICES: [(u16, u32); 18] = [
    (443, 350),
    (80, 100),
    (22, 40),
    (5432, 80),
    (3306, 60),
    (6379, 60),
    (9200, 30),
    (27017, 20),
    (8080, 50),
    (8443, 30),
    (2049, 30),
    (9092, 40),
    (11211, 20),
    (445, 10),
    (3389, 10),
    (25, 10),
    (5671, 10),
    (8000, 20),
];

const UDP_SERVICES: [(u16, u32); 6] = [
    (53, 50),
    (123, 20),
    (443, 15),
    (514, 5),
    (8125, 5),
    (4789, 5),
];

/// Ports that scans hit, with their weights.
const SCANNED_TCP: [(u16, u32); 16] = [
    (22, 250),
    (3389, 150),
    (23, 120),
    (445, 100),
    (80, 80),
    (443, 60),
    (1433, 50),
    (3306, 50),
    (8080, 50),
    (5900, 40),
    (6379, 30),
    (25, 30),
    (5432, 25),
    (9200, 20),
    (21, 20),
    (2375, 15),
];

const SCANNED_UDP: [(u16, u32); 5] = [(53, 30), (123, 20), (161, 25), (1900, 15), (5060, 20)];

/// TCP flag ORs seen over an interval (see the reference notes): mostly 0.
const TCP_FLAGS: [(u8, u32); 7] = [(0, 60), (2, 8), (18, 8), (1, 8), (3, 6), (19, 6), (4, 4)];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Ok,
    NoData,
    SkipData,
}

/// One record's values (addresses borrowed from the generator's tables).
struct Rec<'a> {
    eni: &'a Eni,
    status: Status,
    v6: bool,
    src: &'a str,
    dst: &'a str,
    pkt_src: &'a str,
    pkt_dst: &'a str,
    src_service: &'static str,
    dst_service: &'static str,
    srcport: u16,
    dstport: u16,
    protocol: u8,
    packets: u64,
    bytes: u64,
    start: u64,
    end: u64,
    reject: bool,
    tcp_flags: u8,
    egress: bool,
    traffic_path: Option<u8>,
}

struct Generator {
    rng: SplitMix64,
    fields: &'static [Field],
    version: u8,
    double_spaces: bool,
    records: u64,
    tables: Tables,
    stats: FlowLogStats,
}

/// The address tables, fixed once built.
struct Tables {
    enis: Vec<Eni>,
    internet: Vec<Peer>,
    internet_v6: Vec<Peer>,
    services: Vec<Peer>,
    scanners: Vec<Peer>,
    eni_zipf: Zipf,
    internet_zipf: Zipf,
    internet_v6_zipf: Zipf,
    service_zipf: Zipf,
    scanner_zipf: Zipf,
}

fn hex_id(prefix: &str, rng: &mut SplitMix64) -> String {
    // 17 hex digits, as current ENI / instance / subnet ids have.
    format!("{prefix}-{:017x}", rng.next_u64())
}

impl Generator {
    fn new(cfg: &FlowLogConfig) -> Self {
        let mut rng = SplitMix64::new(cfg.seed ^ 0x0f10_f106_5000_0000);
        let mut per_subnet = [[0u32; SUBNETS_PER_VPC as usize]; 4];
        let mut subnet_ids: Vec<Vec<String>> = Vec::new();
        for _ in 0..VPCS.len() {
            subnet_ids.push(
                (0..SUBNETS_PER_VPC)
                    .map(|_| hex_id("subnet", &mut rng))
                    .collect(),
            );
        }
        let mut enis = Vec::with_capacity(ENIS);
        for _ in 0..ENIS {
            let v = weighted(&mut rng, &[(0usize, 50), (1, 20), (2, 20), (3, 10)]);
            let vpc = &VPCS[v];
            let s = rng.below(u64::from(SUBNETS_PER_VPC)) as usize;
            let host = per_subnet[v][s];
            per_subnet[v][s] += 1;
            // Subnet s is a /19: third octet s*32 .. s*32+31; hosts from .4 (AWS
            // reserves the first four addresses).
            let n = host + 4;
            let v4 = Ipv4Addr::new(
                vpc.prefix[0],
                vpc.prefix[1],
                (s as u32 * 32 + n / 256) as u8,
                (n % 256) as u8,
            );
            let kind = weighted(
                &mut rng,
                &[
                    (EniKind::Instance, 90),
                    (EniKind::NatGateway, 2),
                    (EniKind::Endpoint, 4),
                    (EniKind::LoadBalancer, 4),
                ],
            );
            let v6 = rng.percent(20).then(|| {
                let r = rng.bytes::<8>();
                Ipv6Addr::new(
                    0x2001,
                    0x0db8,
                    vpc.v6_group,
                    0xa100 | s as u16,
                    u16::from_be_bytes([r[0], r[1]]),
                    u16::from_be_bytes([r[2], r[3]]),
                    u16::from_be_bytes([r[4], r[5]]),
                    u16::from_be_bytes([r[6], r[7]]),
                )
                .to_string()
            });
            let instance_id = match kind {
                EniKind::Instance => hex_id("i", &mut rng),
                _ => "-".to_owned(),
            };
            let account_id = match kind {
                EniKind::Endpoint | EniKind::LoadBalancer if rng.percent(50) => "unknown",
                _ => vpc.account,
            };
            enis.push(Eni {
                kind,
                interface_id: hex_id("eni", &mut rng),
                account_id,
                vpc_id: vpc.id,
                subnet_id: subnet_ids[v][s].clone(),
                instance_id,
                region: vpc.region,
                az_id: vpc.azs[s % vpc.azs.len()],
                v4: v4.to_string(),
                v6,
            });
        }
        // 7919 is odd, so i * 7919 mod 2^17 is a bijection: distinct addresses.
        let internet = (0..INTERNET_PEERS as u32)
            .map(|i| Peer {
                addr: Ipv4Addr::from(0xC612_0000 + (i * 7919 + 1) % 0x2_0000).to_string(),
                service: "-",
            })
            .collect();
        let internet_v6 = (0..INTERNET_V6_PEERS)
            .map(|_| {
                let r = rng.bytes::<8>();
                Peer {
                    addr: Ipv6Addr::new(
                        0x2001,
                        0x0db8,
                        0xff00 | u16::from(r[0]),
                        u16::from_be_bytes([r[1], r[2]]),
                        0,
                        0,
                        u16::from_be_bytes([r[3], r[4]]),
                        u16::from_be_bytes([r[5], r[6]]) | 1,
                    )
                    .to_string(),
                    service: "-",
                }
            })
            .collect();
        let services = (0..64u8)
            .map(|i| Peer {
                addr: Ipv4Addr::new(203, 0, 113, 100 + i).to_string(),
                service: weighted(&mut rng, &SERVICES),
            })
            .collect();
        let scanners = (1..=254u8)
            .flat_map(|n| [Ipv4Addr::new(192, 0, 2, n), Ipv4Addr::new(198, 51, 100, n)])
            .map(|a| Peer {
                addr: a.to_string(),
                service: "-",
            })
            .collect::<Vec<_>>();
        Self {
            rng,
            fields: cfg.format.field_list(),
            version: cfg.format.version(),
            double_spaces: cfg.double_spaces,
            records: cfg.records.max(1),
            stats: FlowLogStats::default(),
            tables: Tables {
                eni_zipf: Zipf::new(ENIS, 1.0),
                internet_zipf: Zipf::new(INTERNET_PEERS, 1.1),
                internet_v6_zipf: Zipf::new(INTERNET_V6_PEERS, 1.0),
                service_zipf: Zipf::new(64, 0.8),
                scanner_zipf: Zipf::new(scanners.len(), 0.9),
                enis,
                internet,
                internet_v6,
                services,
                scanners,
            },
        }
    }

    /// Appends record number `i` (one line, with its newline) to `out`.
    fn record(&mut self, i: u64, out: &mut Vec<u8>) {
        // One simulated day, records in delivery order with up to a minute of jitter.
        let t = BASE_TIME.as_nanos() / 1_000_000_000 + i * 86_400 / self.records;
        let start = t.saturating_sub(self.rng.below(60));
        let end = start + self.rng.below(61);
        let r = self.rng.below(10_000);
        let status = if r < 100 {
            Status::NoData
        } else if r < 120 {
            Status::SkipData
        } else {
            Status::Ok
        };
        let double_at = if self.double_spaces && self.rng.below(512) == 0 {
            self.stats.double_spaces += 1;
            Some(1 + self.rng.below(self.fields.len() as u64 - 1) as usize)
        } else {
            None
        };
        let rng = &mut self.rng;
        let rec = if status == Status::Ok {
            self.stats.ok += 1;
            self.tables.ok_record(rng, start, end)
        } else {
            if status == Status::NoData {
                self.stats.nodata += 1;
            } else {
                self.stats.skipdata += 1;
            }
            let eni = &self.tables.enis[rng.below(ENIS as u64) as usize];
            Rec {
                eni,
                status,
                v6: false,
                src: "-",
                dst: "-",
                pkt_src: "-",
                pkt_dst: "-",
                src_service: "-",
                dst_service: "-",
                srcport: 0,
                dstport: 0,
                protocol: 0,
                packets: 0,
                bytes: 0,
                start,
                end,
                reject: false,
                tcp_flags: 0,
                egress: false,
                traffic_path: None,
            }
        };
        if rec.status == Status::Ok {
            self.stats.rejects += u64::from(rec.reject);
            self.stats.ipv6 += u64::from(rec.v6);
        }
        for (k, &f) in self.fields.iter().enumerate() {
            if k > 0 {
                out.push(b' ');
                if double_at == Some(k) {
                    out.push(b' ');
                }
            }
            write_field(out, f, &rec, self.version);
        }
        out.push(b'\n');
    }
}

impl Tables {
    /// An OK record: ACCEPT traffic or a REJECT.
    fn ok_record(&self, rng: &mut SplitMix64, start: u64, end: u64) -> Rec<'_> {
        let eni_index = self.eni_zipf.sample(rng);
        let eni = &self.enis[eni_index];
        let reject = rng.percent(7);
        let v6 = eni.v6.is_some() && rng.percent(if reject { 15 } else { 30 });
        let local: &str = match (&eni.v6, v6) {
            (Some(a), true) => a,
            _ => &eni.v4,
        };
        let icmp = rng.percent(3);
        let udp = !icmp && rng.percent(if reject { 10 } else { 13 });
        let protocol = match (icmp, udp, v6) {
            (true, _, false) => 1,
            (true, _, true) => 58,
            (false, true, _) => 17,
            (false, false, _) => 6,
        };
        let ephemeral = rng.range(32_768, 60_999) as u16;
        let mut src_service = "-";
        let mut dst_service = "-";
        let mut internal = false;
        let (src, dst, srcport, dstport, packets, bytes, egress, tcp_flags);
        if reject {
            // 85 %: inbound scan of a common port; else a reply dropped on the way out.
            let peer: &str = if v6 {
                &self.internet_v6[self.internet_v6_zipf.sample(rng)].addr
            } else if rng.percent(80) {
                &self.scanners[self.scanner_zipf.sample(rng)].addr
            } else {
                &self.internet[self.internet_zipf.sample(rng)].addr
            };
            let port = if icmp {
                0
            } else if udp {
                weighted(rng, &SCANNED_UDP)
            } else if rng.percent(90) {
                weighted(rng, &SCANNED_TCP)
            } else {
                rng.range(1, 65_535) as u16
            };
            packets = rng.range(1, 3);
            bytes = packets * if icmp { 84 } else { rng.range(40, 60) };
            if rng.percent(85) {
                (src, dst, egress) = (peer, local, false);
                (srcport, dstport) = if icmp { (0, 0) } else { (ephemeral, port) };
                tcp_flags = if protocol == 6 { 2 } else { 0 };
            } else {
                (src, dst, egress) = (local, peer, true);
                (srcport, dstport) = if icmp { (0, 0) } else { (port, ephemeral) };
                tcp_flags = if protocol == 6 { 18 } else { 0 };
            }
        } else {
            // Whom we talk to: another ENI, an internet host, or an AWS service.
            let c = rng.below(100);
            let (peer, service): (&str, &'static str) = if c < 35 {
                let mut k = self.eni_zipf.sample(rng);
                if k == eni_index {
                    k = (k + 1) % ENIS; // not itself
                }
                let other = &self.enis[k];
                internal = true;
                match (&other.v6, v6) {
                    (_, false) => (&other.v4, "-"),
                    (Some(a), true) => (a, "-"),
                    (None, true) => {
                        internal = false;
                        (
                            &self.internet_v6[self.internet_v6_zipf.sample(rng)].addr,
                            "-",
                        )
                    }
                }
            } else if c < 90 || v6 {
                if v6 {
                    (
                        &self.internet_v6[self.internet_v6_zipf.sample(rng)].addr,
                        "-",
                    )
                } else {
                    (&self.internet[self.internet_zipf.sample(rng)].addr, "-")
                }
            } else {
                let p = &self.services[self.service_zipf.sample(rng)];
                (&p.addr, p.service)
            };
            let svc = if icmp {
                0
            } else if udp {
                weighted(rng, &UDP_SERVICES)
            } else if service != "-" {
                443
            } else {
                weighted(rng, &TCP_SERVICES)
            };
            // Heavy-tailed sizes: mostly small, some bulk transfers.
            let b = rng.below(1000);
            packets = if b < 850 {
                rng.range(1, 20)
            } else if b < 990 {
                rng.range(20, 2_000)
            } else {
                rng.range(2_000, 200_000)
            };
            let per_packet = if icmp {
                84
            } else if packets >= 20 && rng.percent(70) {
                rng.range(1_200, 1_500)
            } else {
                rng.range(52, 600)
            };
            bytes = packets * per_packet;
            egress = rng.percent(50);
            let eni_is_client = rng.percent(55);
            let (local_port, peer_port) = match (icmp, eni_is_client) {
                (true, _) => (0, 0),
                (false, true) => (ephemeral, svc),
                (false, false) => (svc, ephemeral),
            };
            if egress {
                (src, dst, srcport, dstport) = (local, peer, local_port, peer_port);
                dst_service = service;
            } else {
                (src, dst, srcport, dstport) = (peer, local, peer_port, local_port);
                src_service = service;
            }
            tcp_flags = if protocol == 6 {
                weighted(rng, &TCP_FLAGS)
            } else {
                0
            };
        }
        // On a NAT gateway ENI the packet's own address on the private side is
        // an instance's, not the gateway's (pkt-* differ from srcaddr/dstaddr).
        let (mut pkt_src, mut pkt_dst) = (src, dst);
        if eni.kind == EniKind::NatGateway && !v6 && !internal {
            let inst = &self.enis[self.eni_zipf.sample(rng)].v4;
            if egress {
                pkt_src = inst;
            } else {
                pkt_dst = inst;
            }
        }
        let traffic_path = egress.then(|| {
            if internal {
                1
            } else if src_service != "-" || dst_service != "-" {
                7
            } else {
                8
            }
        });
        Rec {
            eni,
            status: Status::Ok,
            v6,
            src,
            dst,
            pkt_src,
            pkt_dst,
            src_service,
            dst_service,
            srcport,
            dstport,
            protocol,
            packets,
            bytes,
            start,
            end,
            reject,
            tcp_flags,
            egress,
            traffic_path,
        }
    }
}

/// Appends `v` in decimal.
fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn write_field(out: &mut Vec<u8>, f: Field, r: &Rec<'_>, version: u8) {
    let ok = r.status == Status::Ok;
    let num = |out: &mut Vec<u8>, v: u64| {
        if ok {
            push_u64(out, v);
        } else {
            out.push(b'-');
        }
    };
    match f {
        Field::Version => push_u64(out, u64::from(version)),
        Field::AccountId => out.extend_from_slice(r.eni.account_id.as_bytes()),
        Field::InterfaceId => out.extend_from_slice(r.eni.interface_id.as_bytes()),
        Field::SrcAddr => out.extend_from_slice(r.src.as_bytes()),
        Field::DstAddr => out.extend_from_slice(r.dst.as_bytes()),
        Field::SrcPort => num(out, u64::from(r.srcport)),
        Field::DstPort => num(out, u64::from(r.dstport)),
        Field::Protocol => num(out, u64::from(r.protocol)),
        Field::Packets => num(out, r.packets),
        Field::Bytes => num(out, r.bytes),
        Field::Start => push_u64(out, r.start),
        Field::End => push_u64(out, r.end),
        Field::Action => out.extend_from_slice(match (ok, r.reject) {
            (false, _) => b"-",
            (true, false) => b"ACCEPT",
            (true, true) => b"REJECT",
        }),
        Field::LogStatus => out.extend_from_slice(match r.status {
            Status::Ok => b"OK",
            Status::NoData => b"NODATA",
            Status::SkipData => b"SKIPDATA",
        }),
        Field::VpcId => out.extend_from_slice(r.eni.vpc_id.as_bytes()),
        Field::SubnetId => out.extend_from_slice(r.eni.subnet_id.as_bytes()),
        Field::InstanceId => out.extend_from_slice(r.eni.instance_id.as_bytes()),
        Field::TcpFlags => num(out, u64::from(r.tcp_flags)),
        Field::Type => out.extend_from_slice(match (ok, r.v6) {
            (false, _) => b"-",
            (true, false) => b"IPv4",
            (true, true) => b"IPv6",
        }),
        Field::PktSrcAddr => out.extend_from_slice(r.pkt_src.as_bytes()),
        Field::PktDstAddr => out.extend_from_slice(r.pkt_dst.as_bytes()),
        Field::Region => out.extend_from_slice(r.eni.region.as_bytes()),
        Field::AzId => out.extend_from_slice(r.eni.az_id.as_bytes()),
        Field::SublocationType | Field::SublocationId => out.push(b'-'),
        Field::PktSrcAwsService => out.extend_from_slice(r.src_service.as_bytes()),
        Field::PktDstAwsService => out.extend_from_slice(r.dst_service.as_bytes()),
        Field::FlowDirection => out.extend_from_slice(match (ok, r.egress) {
            (false, _) => b"-",
            (true, false) => b"ingress",
            (true, true) => b"egress",
        }),
        Field::TrafficPath => match r.traffic_path {
            Some(p) if ok => push_u64(out, u64::from(p)),
            _ => out.push(b'-'),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn text(cfg: &FlowLogConfig) -> (String, FlowLogStats) {
        let mut out = Vec::new();
        let stats = write(&mut out, cfg).unwrap();
        (String::from_utf8(out).unwrap(), stats)
    }

    #[test]
    fn deterministic_and_seed_dependent() {
        for format in [LogFormat::Default, LogFormat::V5] {
            let cfg = FlowLogConfig::new(5_000, format);
            assert_eq!(text(&cfg).0, text(&cfg).0);
            let other = FlowLogConfig { seed: 2, ..cfg };
            assert_ne!(text(&cfg).0, text(&other).0);
        }
    }

    #[test]
    fn gzip_file_is_deterministic_and_decompresses_to_the_text() {
        use std::io::Read;
        let dir = std::env::temp_dir().join(format!("samplegen-flowlogs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cfg = FlowLogConfig::new(2_000, LogFormat::V5);
        let (a, b) = (dir.join("a.log.gz"), dir.join("b.log.gz"));
        write_file(&a, &cfg, true).unwrap();
        write_file(&b, &cfg, true).unwrap();
        let gz = std::fs::read(&a).unwrap();
        assert_eq!(gz, std::fs::read(&b).unwrap());
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain, text(&cfg).0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn header_and_field_counts() {
        for (format, n) in [(LogFormat::Default, 14), (LogFormat::V5, 29)] {
            let (t, stats) = text(&FlowLogConfig::new(20_000, format));
            let mut lines = t.lines();
            let header: Vec<&str> = lines.next().unwrap().split(' ').collect();
            assert_eq!(header.len(), n);
            assert_eq!(header, format.fields());
            let mut records = 0;
            let mut doubles = 0;
            for line in lines {
                records += 1;
                assert_eq!(line.split_ascii_whitespace().count(), n, "{line}");
                doubles += u64::from(line.contains("  "));
                assert!(!line.starts_with(' ') && !line.ends_with(' '));
            }
            assert_eq!(records, 20_000);
            assert_eq!(stats.records, 20_000);
            assert_eq!(doubles, stats.double_spaces);
            assert!(doubles > 10, "{doubles}");
            assert_eq!(stats.text_bytes, t.len() as u64);
        }
        let plain = FlowLogConfig {
            double_spaces: false,
            ..FlowLogConfig::new(20_000, LogFormat::V5)
        };
        let (t, stats) = text(&plain);
        assert!(!t.contains("  "));
        assert_eq!(stats.double_spaces, 0);
    }

    #[test]
    fn v5_header_is_the_aws_example_order() {
        assert_eq!(
            LogFormat::V5.header(),
            "version srcaddr dstaddr srcport dstport protocol start end type packets bytes \
             account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type \
             sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service \
             pkt-dst-aws-service traffic-path flow-direction log-status"
        );
        assert_eq!(
            LogFormat::Default.header(),
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets \
             bytes start end action log-status"
        );
    }

    /// The mix the module documentation promises, checked on the text itself.
    #[test]
    fn traffic_mix() {
        let (t, stats) = text(&FlowLogConfig::new(100_000, LogFormat::V5));
        let header: Vec<&str> = t.lines().next().unwrap().split(' ').collect();
        let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let (src, dst, proto, sport, dport) = (
            col("srcaddr"),
            col("dstaddr"),
            col("protocol"),
            col("srcport"),
            col("dstport"),
        );
        let (action, status, bytes, ty, path, dir) = (
            col("action"),
            col("log-status"),
            col("bytes"),
            col("type"),
            col("traffic-path"),
            col("flow-direction"),
        );
        let (mut ok, mut rej, mut nodata, mut skip, mut v6, mut icmp) = (0, 0, 0, 0, 0, 0);
        let mut pair_bytes: HashMap<(String, String), u64> = HashMap::new();
        let mut total_bytes = 0u64;
        for line in t.lines().skip(1) {
            let f: Vec<&str> = line.split_ascii_whitespace().collect();
            assert_eq!(f[0], "5");
            match f[status] {
                "OK" => {
                    ok += 1;
                    let b: u64 = f[bytes].parse().unwrap();
                    total_bytes += b;
                    *pair_bytes
                        .entry((f[src].to_owned(), f[dst].to_owned()))
                        .or_default() += b;
                    rej += u64::from(f[action] == "REJECT");
                    assert!(f[action] == "ACCEPT" || f[action] == "REJECT");
                    if f[ty] == "IPv6" {
                        v6 += 1;
                        assert!(f[src].contains(':') && f[dst].contains(':'));
                    } else {
                        assert_eq!(f[ty], "IPv4");
                        assert!(f[src].parse::<Ipv4Addr>().is_ok(), "{line}");
                    }
                    if f[proto] == "1" || f[proto] == "58" {
                        icmp += 1;
                        assert_eq!((f[sport], f[dport]), ("0", "0"));
                    }
                    assert_eq!(f[path] == "-", f[dir] == "ingress", "{line}");
                }
                "NODATA" | "SKIPDATA" => {
                    if f[status] == "NODATA" {
                        nodata += 1;
                    } else {
                        skip += 1;
                    }
                    for i in [src, dst, sport, dport, proto, bytes, action] {
                        assert_eq!(f[i], "-", "{line}");
                    }
                }
                other => panic!("log-status {other}"),
            }
        }
        assert_eq!(
            (ok, rej, nodata, skip, v6),
            (
                stats.ok,
                stats.rejects,
                stats.nodata,
                stats.skipdata,
                stats.ipv6
            )
        );
        let pct = |n: u64| n * 100 / 100_000;
        assert!((5..=10).contains(&pct(rej)), "rejects {rej}");
        assert!(nodata > 500 && skip > 50, "{nodata} {skip}");
        assert!(v6 > 1_000 && icmp > 1_000, "{v6} {icmp}");
        // Skewed: the ten biggest pairs carry a visible share of all bytes.
        let mut by: Vec<u64> = pair_bytes.into_values().collect();
        by.sort_unstable_by(|a, b| b.cmp(a));
        let top10: u64 = by.iter().take(10).sum();
        assert!(top10 * 50 > total_bytes, "top10 {top10} of {total_bytes}");
        assert!(by.len() > 10_000, "{} distinct pairs", by.len());
    }

    #[test]
    fn zipf_is_skewed_and_in_range() {
        let z = Zipf::new(1000, 1.0);
        let mut rng = SplitMix64::new(3);
        let mut counts = vec![0u32; 1000];
        for _ in 0..100_000 {
            counts[z.sample(&mut rng)] += 1;
        }
        assert!(counts[0] > 10 * counts[100].max(1));
        assert!(counts[999] < counts[0]);
    }
}
