//! The streaming line parser: one line in, one typed record out, nothing allocated.
//!
//! Tokens are split with `split_ascii_whitespace` (AWS's own example page has a double space),
//! `-` is `None`, and a line with more or fewer tokens than the format has fields is an error
//! naming the line and the field. An optional leading ISO-8601 timestamp (CloudWatch console
//! exports: `2018-09-22T20:28:14.000Z 2 123456789010 eni-...`) is skipped.

use std::net::IpAddr;

use crate::error::{ParseErrorKind, ParseRecordError};
use crate::field::{Field, FieldKind, Format};
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

/// What [`LineParser::parse_line_into`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// A VPC flow-log record, now in the caller's record.
    Record,
    /// A transit-gateway (version 6) record.
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
        let mut rec = FlowRecord::default();
        Ok(match self.parse_line_into(line, line_no, &mut rec)? {
            LineKind::Record => Parsed::Record(rec),
            LineKind::TransitGateway => Parsed::TransitGateway,
            LineKind::Blank => Parsed::Blank,
        })
    }

    /// [`parse_line`](Self::parse_line) into a record the caller keeps (no copy of the record
    /// per line): `rec` is reset, then filled when the line is a record.
    ///
    /// # Errors
    ///
    /// As [`LineParser::parse_line`].
    pub fn parse_line_into<'a>(
        &self,
        line: &'a str,
        line_no: u64,
        rec: &mut FlowRecord<'a>,
    ) -> Result<LineKind, ParseRecordError> {
        *rec = FlowRecord::default();
        let b = line.as_bytes();
        let mut pos = skip_ws(b, 0);
        if pos == b.len() {
            return Ok(LineKind::Blank);
        }
        let first_end = token_end(b, pos);
        if is_iso_timestamp(&line[pos..first_end]) {
            pos = first_end;
        }
        if self.format.is_transit_gateway() {
            return Ok(match self.parse_tokens(Tokens { line, pos }, line_no)? {
                Parsed::Record(r) => {
                    *rec = r;
                    LineKind::Record
                }
                Parsed::TransitGateway => LineKind::TransitGateway,
                Parsed::Blank => LineKind::Blank,
            });
        }
        // One pass over the bytes: numbers are parsed while their token is scanned; other
        // tokens are cut out and handed to `set_field`.
        let fields = self.format.fields();
        for (i, field) in fields.iter().enumerate() {
            pos = skip_ws(b, pos);
            if pos == b.len() {
                if i == 0 {
                    return Ok(LineKind::Blank);
                }
                return Err(too_few(line_no, field, fields.len(), i));
            }
            if matches!(field.kind(), FieldKind::Int32 | FieldKind::Int64) {
                let (n, end) = scan_u64(b, pos);
                if end > pos && (end == b.len() || is_ws(b[end])) {
                    if let Some(n) = n {
                        match set_number(rec, field, n) {
                            Ok(()) => {
                                pos = end;
                                continue;
                            }
                            Err(kind) => {
                                return Err(ParseRecordError {
                                    line: line_no,
                                    field: Some(field.clone()),
                                    kind,
                                    value: Some(clip(&line[pos..end])),
                                });
                            }
                        }
                    }
                }
            }
            let end = token_end(b, pos);
            let token = &line[pos..end];
            pos = end;
            if i == 1 && token == "TransitGateway" && rec.version == Some(6) {
                return Ok(LineKind::TransitGateway);
            }
            if let Err(kind) = set_field(rec, field, token) {
                return Err(ParseRecordError {
                    line: line_no,
                    field: Some(field.clone()),
                    kind,
                    value: Some(clip(token)),
                });
            }
        }
        let rest = Tokens { line, pos };
        let extra = rest.count();
        if extra > 0 {
            return Err(ParseRecordError {
                line: line_no,
                field: None,
                kind: ParseErrorKind::TooManyFields {
                    expected: fields.len(),
                    found: fields.len() + extra,
                },
                value: None,
            });
        }
        if rec.version == Some(6) {
            return Ok(LineKind::TransitGateway);
        }
        Ok(LineKind::Record)
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
                return Err(too_few(line_no, field, fields.len(), i));
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

fn too_few(line: u64, field: &Field, expected: usize, found: usize) -> ParseRecordError {
    ParseRecordError {
        line,
        field: Some(field.clone()),
        kind: ParseErrorKind::TooFewFields { expected, found },
        value: None,
    }
}

/// ASCII whitespace, as `split_ascii_whitespace` has it.
#[inline]
fn is_ws(c: u8) -> bool {
    c <= b' ' && matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0C')
}

#[inline]
fn skip_ws(b: &[u8], mut pos: usize) -> usize {
    while pos < b.len() && is_ws(b[pos]) {
        pos += 1;
    }
    pos
}

/// The end of the token starting at `pos`: the first whitespace byte after it, or the end.
/// Eight bytes at a time: `(w - 0x21..) & !w & 0x80..` flags the bytes below `!` (the lowest
/// flag is exact: a borrow only runs upwards from a flagged byte), and the first such byte is
/// the end when it is whitespace (other control bytes belong to the token).
#[inline]
fn token_end(b: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    while let Some(chunk) = b.get(pos..pos + 8) {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(word);
        let low = w.wrapping_sub(ONES * 0x21) & !w & (ONES * 0x80);
        if low == 0 {
            pos += 8;
            continue;
        }
        let i = pos + (low.trailing_zeros() / 8) as usize;
        if is_ws(b[i]) {
            return i;
        }
        pos = i + 1;
    }
    while pos < b.len() && !is_ws(b[pos]) {
        pos += 1;
    }
    pos
}

/// The whitespace-separated tokens of a line from `pos` on.
struct Tokens<'a> {
    line: &'a str,
    pos: usize,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let b = self.line.as_bytes();
        let start = skip_ws(b, self.pos);
        if start == b.len() {
            self.pos = start;
            return None;
        }
        let end = token_end(b, start);
        self.pos = end;
        self.line.get(start..end)
    }
}

/// The digits at `pos`: their value (`None` on overflow) and where they end.
#[inline]
fn scan_u64(b: &[u8], mut pos: usize) -> (Option<u64>, usize) {
    let start = pos;
    let mut n: u64 = 0;
    let mut ok = true;
    while let Some(&c) = b.get(pos) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        match n.checked_mul(10).and_then(|n| n.checked_add(u64::from(d))) {
            Some(v) => n = v,
            None => ok = false,
        }
        pos += 1;
    }
    (((pos - start) <= 20 && ok).then_some(n), pos)
}

fn int<T: TryFrom<u64>>(n: u64) -> Result<T, ParseErrorKind> {
    T::try_from(n).map_err(|_| ParseErrorKind::BadNumber)
}

/// Sets a number-valued field from its parsed value (the same checks as [`set_field`]).
#[inline]
fn set_number(rec: &mut FlowRecord<'_>, field: &Field, n: u64) -> Result<(), ParseErrorKind> {
    match field {
        Field::Version => rec.version = Some(int(n)?),
        Field::Srcport => rec.srcport = Some(int(n)?),
        Field::Dstport => rec.dstport = Some(int(n)?),
        Field::Protocol => rec.protocol = Some(int(n)?),
        Field::Packets => rec.packets = Some(n),
        Field::Bytes => rec.bytes = Some(n),
        Field::Start => rec.start = Some(time_of(int(n)?)),
        Field::End => rec.end = Some(time_of(int(n)?)),
        Field::TcpFlags => rec.tcp_flags = Some(TcpFlags::from_bits_retain(int(n)?)),
        Field::TrafficPath => rec.traffic_path = Some(TrafficPath::from_code(int(n)?)),
        Field::EncryptionStatus => rec.encryption_status = Some(int(n)?),
        // Not a number field: cannot happen (the caller checks the kind); refuse rather than
        // drop the value.
        _ => return Err(ParseErrorKind::BadValue),
    }
    Ok(())
}

fn time_of(n: i64) -> i64 {
    if n >= MS_THRESHOLD {
        n / 1000
    } else {
        n
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
/// (Kept apart from [`scan_u64`] on purpose: the token path is the property test's reference
/// for the one-pass parser.)
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
    Ok(time_of(num(token)?))
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

    /// The one-pass line parser agrees with the token parser (`split_ascii_whitespace` then
    /// `set_field` per token) on lines made of valid, odd and broken tokens in every field of
    /// the full format, with any whitespace between them: same record, or the same error.
    #[test]
    fn one_pass_parser_agrees_with_token_parser() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};
        let header: Vec<&str> = crate::field::ALL_FIELDS.iter().map(|f| f.name()).collect();
        let parser = LineParser::new(Format::from_header(&header.join(" ")).unwrap());
        let token = prop_oneof![
            Just("-".to_owned()),
            (0u64..70_000).prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            Just("184467440737095516150".to_owned()),
            Just("000000000000000000007".to_owned()),
            Just("1700000000123".to_owned()),
            Just("10.0.0.1".to_owned()),
            Just("2001:db8::1".to_owned()),
            Just("ACCEPT".to_owned()),
            Just("OK".to_owned()),
            Just("IPv4".to_owned()),
            Just("egress".to_owned()),
            Just("TransitGateway".to_owned()),
            "[0-9a-z.:-]{1,12}",
            "[0-9]{1,3}[a-z]",
        ];
        let sep = prop_oneof![
            Just(" ".to_owned()),
            Just("  ".to_owned()),
            Just("\t".to_owned()),
            Just(" \x0c".to_owned()),
        ];
        let n = header.len();
        // Mostly a value the field accepts, so that whole records come out too.
        let valid = |f: &Field| -> Vec<String> {
            let v: &[&str] = match f {
                Field::Srcaddr | Field::Dstaddr | Field::PktSrcaddr | Field::PktDstaddr => {
                    &["10.0.0.1", "2001:db8::1", "255.255.255.255", "-"]
                }
                Field::Action => &["ACCEPT", "REJECT", "-"],
                Field::LogStatus => &["OK", "NODATA", "SKIPDATA"],
                Field::Type => &["IPv4", "IPv6", "EFA"],
                Field::FlowDirection => &["ingress", "egress"],
                Field::Version => &["2", "5", "11"],
                _ if f.kind() == FieldKind::Int32 => &["0", "6", "17", "255", "-"],
                _ if f.kind() == FieldKind::Int64 => {
                    &["0", "443", "1700000000", "1700000000123", "-"]
                }
                _ => &["eni-0a1b2c", "123456789012", "-", "us-east-1"],
            };
            v.iter().map(|t| (*t).to_owned()).collect()
        };
        let per_field: Vec<_> = crate::field::ALL_FIELDS
            .iter()
            .map(|f| {
                prop_oneof![
                    49 => proptest::sample::select(valid(f)),
                    1 => token.clone(),
                ]
            })
            .collect();
        let tokens = prop_oneof![
            4 => per_field,
            1 => proptest::collection::vec(token, n - 2..n + 2),
        ];
        let line = (tokens, proptest::collection::vec(sep, n + 2)).prop_map(|(tokens, seps)| {
            let mut line = String::new();
            for (t, s) in tokens.iter().zip(&seps) {
                line.push_str(s);
                line.push_str(t);
            }
            line
        });
        let records = std::cell::Cell::new(0u32);
        let mut runner = TestRunner::new(Config::with_cases(2000));
        runner
            .run(&line, |line| {
                let one_pass = parser.parse_line(&line, 7);
                let tokens = parser.parse_tokens(line.split_ascii_whitespace(), 7);
                if matches!(one_pass, Ok(Parsed::Record(_))) {
                    records.set(records.get() + 1);
                }
                prop_assert_eq!(one_pass, tokens);
                Ok(())
            })
            .unwrap();
        assert!(records.get() > 100, "only {} whole records", records.get());
    }
}
