//! The streaming line parser: one line in, one typed record out, nothing allocated.
//!
//! Tokens are split with `split_ascii_whitespace` (AWS's own example page has a double space),
//! `-` is `None`, and a line with more or fewer tokens than the format has fields is an error
//! naming the line and the field. An optional leading ISO-8601 timestamp (CloudWatch console
//! exports: `2018-09-22T20:28:14.000Z 2 123456789010 eni-...`) is skipped.

use std::net::IpAddr;

use crate::error::{ParseErrorKind, ParseRecordError};
use crate::field::{Field, Format};
use crate::record::{
    Action, FlowDirection, FlowRecord, LogStatus, TcpFlags, TrafficPath, TrafficType,
};

/// Timestamps at or above this are taken as milliseconds (1e11 s is in the year 5138).
const MS_THRESHOLD: i64 = 100_000_000_000;

/// What one line is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // Returned by value once per line; boxing would allocate.
pub enum Parsed<'a> {
    /// A VPC flow-log record (OK, NODATA or SKIPDATA).
    Record(FlowRecord<'a>),
    /// A transit-gateway (version 6) record: recognised, counted, not mixed in.
    TransitGateway,
    /// A blank line.
    Blank,
}

/// Parses lines of one [`Format`].
#[derive(Clone, Debug)]
pub struct LineParser {
    format: Format,
}

impl LineParser {
    /// A parser for lines of `format`.
    pub fn new(format: Format) -> LineParser {
        LineParser { format }
    }

    /// The format.
    pub fn format(&self) -> &Format {
        &self.format
    }

    /// Parses one line (without its line terminator). `line_no` goes into errors.
    ///
    /// # Errors
    ///
    /// [`ParseRecordError`] naming the line, the field and the token when a token does not
    /// parse, or when the line has more or fewer tokens than the format has fields.
    pub fn parse_line<'a>(
        &self,
        line: &'a str,
        line_no: u64,
    ) -> Result<Parsed<'a>, ParseRecordError> {
        let mut tokens = line.split_ascii_whitespace().peekable();
        let Some(&first) = tokens.peek() else {
            return Ok(Parsed::Blank);
        };
        if is_iso_timestamp(first) {
            tokens.next();
        }
        self.parse_tokens(tokens, line_no)
    }

    /// Parses one record given as tokens (e.g. Parquet cells as text, `-` for null).
    ///
    /// # Errors
    ///
    /// As [`LineParser::parse_line`].
    pub fn parse_tokens<'a, I>(
        &self,
        tokens: I,
        line_no: u64,
    ) -> Result<Parsed<'a>, ParseRecordError>
    where
        I: Iterator<Item = &'a str>,
    {
        let mut tokens = tokens.peekable();
        if self.format.is_transit_gateway() {
            return Ok(if tokens.peek().is_none() {
                Parsed::Blank
            } else {
                Parsed::TransitGateway
            });
        }
        let fields = self.format.fields();
        let mut rec = FlowRecord::default();
        for (i, field) in fields.iter().enumerate() {
            let Some(token) = tokens.next() else {
                if i == 0 {
                    return Ok(Parsed::Blank);
                }
                return Err(ParseRecordError {
                    line: line_no,
                    field: Some(field.clone()),
                    kind: ParseErrorKind::TooFewFields {
                        expected: fields.len(),
                        found: i,
                    },
                    value: None,
                });
            };
            if i == 1 && token == "TransitGateway" && rec.version == Some(6) {
                return Ok(Parsed::TransitGateway);
            }
            if let Err(kind) = set_field(&mut rec, field, token) {
                return Err(ParseRecordError {
                    line: line_no,
                    field: Some(field.clone()),
                    kind,
                    value: Some(clip(token)),
                });
            }
        }
        if tokens.peek().is_some() {
            let found = fields.len() + tokens.count();
            return Err(ParseRecordError {
                line: line_no,
                field: None,
                kind: ParseErrorKind::TooManyFields {
                    expected: fields.len(),
                    found,
                },
                value: None,
            });
        }
        if rec.version == Some(6) {
            return Ok(Parsed::TransitGateway);
        }
        Ok(Parsed::Record(rec))
    }
}

fn clip(token: &str) -> String {
    let mut end = token.len().min(64);
    while !token.is_char_boundary(end) {
        end -= 1;
    }
    token[..end].to_owned()
}

fn is_iso_timestamp(token: &str) -> bool {
    let b = token.as_bytes();
    b.len() >= 19
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
}

/// Parses an unsigned decimal without allocating; `None` on anything else or overflow.
fn parse_u64(token: &str) -> Option<u64> {
    let b = token.as_bytes();
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(n)
}

fn num<T: TryFrom<u64>>(token: &str) -> Result<T, ParseErrorKind> {
    parse_u64(token)
        .and_then(|n| T::try_from(n).ok())
        .ok_or(ParseErrorKind::BadNumber)
}

fn time(token: &str) -> Result<i64, ParseErrorKind> {
    let n: i64 = num(token)?;
    Ok(if n >= MS_THRESHOLD { n / 1000 } else { n })
}

fn addr(token: &str) -> Result<IpAddr, ParseErrorKind> {
    if let Some(v4) = fast_ipv4(token.as_bytes()) {
        return Ok(IpAddr::V4(v4.into()));
    }
    token.parse().map_err(|_| ParseErrorKind::BadAddress)
}

/// Dotted-quad IPv4 in the strict form the standard parser accepts (four decimal octets of 1 to
/// 3 digits, no leading zero, each at most 255); `None` for anything else, which then goes to
/// the standard parser (IPv6, errors).
#[inline]
fn fast_ipv4(b: &[u8]) -> Option<u32> {
    if b.len() < 7 || b.len() > 15 {
        return None;
    }
    let mut out: u32 = 0;
    let mut i = 0;
    for octet in 0..4 {
        if octet > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let start = i;
        let mut v: u32 = 0;
        while let Some(&c) = b.get(i) {
            let d = c.wrapping_sub(b'0');
            if d > 9 || i - start == 3 {
                break;
            }
            v = v * 10 + u32::from(d);
            i += 1;
        }
        let len = i - start;
        if len == 0 || v > 255 || (len > 1 && b[start] == b'0') {
            return None;
        }
        out = (out << 8) | v;
    }
    (i == b.len()).then_some(out)
}

fn set_field<'a>(
    rec: &mut FlowRecord<'a>,
    field: &Field,
    token: &'a str,
) -> Result<(), ParseErrorKind> {
    if token == "-" {
        if let Field::Unknown(_) = field {
            rec.unknown
                .try_push(None)
                .map_err(|_| ParseErrorKind::BadValue)?;
        }
        return Ok(());
    }
    let s = Some(token);
    match field {
        Field::Version => rec.version = Some(num(token)?),
        Field::AccountId => rec.account_id = s,
        Field::InterfaceId => rec.interface_id = s,
        Field::Srcaddr => rec.srcaddr = Some(addr(token)?),
        Field::Dstaddr => rec.dstaddr = Some(addr(token)?),
        Field::Srcport => rec.srcport = Some(num(token)?),
        Field::Dstport => rec.dstport = Some(num(token)?),
        Field::Protocol => rec.protocol = Some(num(token)?),
        Field::Packets => rec.packets = Some(num(token)?),
        Field::Bytes => rec.bytes = Some(num(token)?),
        Field::Start => rec.start = Some(time(token)?),
        Field::End => rec.end = Some(time(token)?),
        Field::Action => {
            rec.action = Some(match token {
                "ACCEPT" => Action::Accept,
                "REJECT" => Action::Reject,
                _ => return Err(ParseErrorKind::BadValue),
            });
        }
        Field::LogStatus => {
            rec.log_status = Some(match token {
                "OK" => LogStatus::Ok,
                "NODATA" => LogStatus::NoData,
                "SKIPDATA" => LogStatus::SkipData,
                _ => return Err(ParseErrorKind::BadValue),
            });
        }
        Field::VpcId => rec.vpc_id = s,
        Field::SubnetId => rec.subnet_id = s,
        Field::InstanceId => rec.instance_id = s,
        Field::TcpFlags => rec.tcp_flags = Some(TcpFlags::from_bits_retain(num(token)?)),
        Field::Type => {
            rec.traffic_type = Some(match token {
                "IPv4" => TrafficType::Ipv4,
                "IPv6" => TrafficType::Ipv6,
                "EFA" => TrafficType::Efa,
                _ => return Err(ParseErrorKind::BadValue),
            });
        }
        Field::PktSrcaddr => rec.pkt_srcaddr = Some(addr(token)?),
        Field::PktDstaddr => rec.pkt_dstaddr = Some(addr(token)?),
        Field::Region => rec.region = s,
        Field::AzId => rec.az_id = s,
        Field::SublocationType => rec.sublocation_type = s,
        Field::SublocationId => rec.sublocation_id = s,
        Field::PktSrcAwsService => rec.pkt_src_aws_service = s,
        Field::PktDstAwsService => rec.pkt_dst_aws_service = s,
        Field::FlowDirection => {
            rec.flow_direction = Some(match token {
                "ingress" => FlowDirection::Ingress,
                "egress" => FlowDirection::Egress,
                _ => return Err(ParseErrorKind::BadValue),
            });
        }
        Field::TrafficPath => rec.traffic_path = Some(TrafficPath::from_code(num(token)?)),
        Field::EcsClusterArn => rec.ecs_cluster_arn = s,
        Field::EcsClusterName => rec.ecs_cluster_name = s,
        Field::EcsContainerInstanceArn => rec.ecs_container_instance_arn = s,
        Field::EcsContainerInstanceId => rec.ecs_container_instance_id = s,
        Field::EcsContainerId => rec.ecs_container_id = s,
        Field::EcsSecondContainerId => rec.ecs_second_container_id = s,
        Field::EcsServiceName => rec.ecs_service_name = s,
        Field::EcsTaskDefinitionArn => rec.ecs_task_definition_arn = s,
        Field::EcsTaskArn => rec.ecs_task_arn = s,
        Field::EcsTaskId => rec.ecs_task_id = s,
        Field::RejectReason => rec.reject_reason = s,
        Field::ResourceId => rec.resource_id = s,
        Field::EncryptionStatus => rec.encryption_status = Some(num(token)?),
        Field::InstanceTag => rec.instance_tag = s,
        Field::InstanceTag2 => rec.instance_tag_2 = s,
        Field::InterfaceTag => rec.interface_tag = s,
        Field::InterfaceTag2 => rec.interface_tag_2 = s,
        Field::AsgTag => rec.asg_tag = s,
        Field::AsgTag2 => rec.asg_tag_2 = s,
        Field::InterfaceType => rec.interface_type = s,
        Field::NextHopInterfaceId => rec.next_hop_interface_id = s,
        Field::NextHopSubnetId => rec.next_hop_subnet_id = s,
        Field::NextHopAzId => rec.next_hop_az_id = s,
        Field::NextHopVpcId => rec.next_hop_vpc_id = s,
        Field::NextHopInterfaceType => rec.next_hop_interface_type = s,
        Field::Unknown(_) => rec
            .unknown
            .try_push(s)
            .map_err(|_| ParseErrorKind::BadValue)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_ipv4_agrees_with_std() {
        for t in [
            "10.0.0.1",
            "255.255.255.255",
            "0.0.0.0",
            "1.2.3.4",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1.2.3.04",
            "1.2.3.4 ",
            "1..3.4",
            "1234.1.1.1",
            "1.2.3.",
            "a.b.c.d",
            "::1",
            "::ffff:1.2.3.4",
            "100.200.250.199",
            "1.2.3.1000",
        ] {
            let std: Option<std::net::Ipv4Addr> = t.parse().ok();
            assert_eq!(fast_ipv4(t.as_bytes()).map(Into::into), std, "{t}");
            assert_eq!(addr(t).ok(), t.parse::<IpAddr>().ok(), "{t}");
        }
    }
}
