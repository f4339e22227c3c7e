//! Flow-log field names and record formats.
//!
//! A [`Format`] is the ordered list of [`Field`]s a flow log was created with. It comes from the
//! header line of an S3 text file (`version account-id ...`), from a `--log-format` string
//! (`${version} ${account-id} ...`), or from a `describe-flow-logs` dump. The order is never
//! guessed from the number of tokens in a line.

use std::fmt;

use crate::error::FormatError;

macro_rules! fields {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $ver:literal, $kind:ident; )*) => {
        /// One field of a VPC flow-log record (versions 2 to 11), or an unknown future field.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Field {
            $( $(#[$doc])* $variant, )*
            /// A field this version of flowsleuth does not know; its values are kept as strings.
            Unknown(Box<str>),
        }

        /// Every known field in the order of AWS's field table (versions 2 to 11).
        pub const ALL_FIELDS: &[Field] = &[ $( Field::$variant, )* ];

        impl Field {
            /// The hyphenated name used in format strings and S3 header lines (`log-status`).
            pub fn name(&self) -> &str {
                match self {
                    $( Field::$variant => $name, )*
                    Field::Unknown(name) => name,
                }
            }

            /// The version that introduced the field (`None` for unknown fields).
            pub fn version(&self) -> Option<u8> {
                match self {
                    $( Field::$variant => Some($ver), )*
                    Field::Unknown(_) => None,
                }
            }

            /// The value type of the field (as in AWS's Parquet delivery).
            pub fn kind(&self) -> FieldKind {
                match self {
                    $( Field::$variant => FieldKind::$kind, )*
                    Field::Unknown(_) => FieldKind::Str,
                }
            }

            fn known(name: &str) -> Option<Field> {
                match name {
                    $( $name => Some(Field::$variant), )*
                    _ => None,
                }
            }
        }
    };
}

/// The value type of a field, as AWS delivers it in Parquet (text delivery is always strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldKind {
    /// 32-bit integer (version, ports, protocol, tcp-flags, traffic-path).
    Int32,
    /// 64-bit integer (packets, bytes, start, end).
    Int64,
    /// String (everything else, including addresses).
    Str,
}

fields! {
    /// Record version: the highest version among the fields of the format.
    Version = "version", 2, Int32;
    /// AWS account owning the interface (`unknown` for some service ENIs).
    AccountId = "account-id", 2, Str;
    /// Network interface id.
    InterfaceId = "interface-id", 2, Str;
    /// Source address (the ENI's primary private IPv4 for its own side).
    Srcaddr = "srcaddr", 2, Str;
    /// Destination address (the ENI's primary private IPv4 for its own side).
    Dstaddr = "dstaddr", 2, Str;
    /// Source port.
    Srcport = "srcport", 2, Int32;
    /// Destination port.
    Dstport = "dstport", 2, Int32;
    /// IANA protocol number.
    Protocol = "protocol", 2, Int32;
    /// Packets in the interval.
    Packets = "packets", 2, Int64;
    /// Bytes in the interval.
    Bytes = "bytes", 2, Int64;
    /// Unix seconds of the first packet in the interval.
    Start = "start", 2, Int64;
    /// Unix seconds of the last packet in the interval.
    End = "end", 2, Int64;
    /// ACCEPT or REJECT.
    Action = "action", 2, Str;
    /// OK, NODATA or SKIPDATA.
    LogStatus = "log-status", 2, Str;
    /// VPC id.
    VpcId = "vpc-id", 3, Str;
    /// Subnet id.
    SubnetId = "subnet-id", 3, Str;
    /// Instance id (`-` for requester-managed interfaces).
    InstanceId = "instance-id", 3, Str;
    /// OR of the TCP flags seen in the interval (FIN 1, SYN 2, RST 4, SYN-ACK 18).
    TcpFlags = "tcp-flags", 3, Int32;
    /// IPv4, IPv6 or EFA.
    Type = "type", 3, Str;
    /// Packet-level source address.
    PktSrcaddr = "pkt-srcaddr", 3, Str;
    /// Packet-level destination address.
    PktDstaddr = "pkt-dstaddr", 3, Str;
    /// Region.
    Region = "region", 4, Str;
    /// Availability zone id.
    AzId = "az-id", 4, Str;
    /// wavelength, outpost or localzone.
    SublocationType = "sublocation-type", 4, Str;
    /// Sublocation id.
    SublocationId = "sublocation-id", 4, Str;
    /// AWS ip-ranges service of pkt-srcaddr.
    PktSrcAwsService = "pkt-src-aws-service", 5, Str;
    /// AWS ip-ranges service of pkt-dstaddr.
    PktDstAwsService = "pkt-dst-aws-service", 5, Str;
    /// ingress or egress.
    FlowDirection = "flow-direction", 5, Str;
    /// Path of egress traffic (1 to 8).
    TrafficPath = "traffic-path", 5, Int32;
    /// ECS cluster ARN.
    EcsClusterArn = "ecs-cluster-arn", 7, Str;
    /// ECS cluster name.
    EcsClusterName = "ecs-cluster-name", 7, Str;
    /// ECS container instance ARN.
    EcsContainerInstanceArn = "ecs-container-instance-arn", 7, Str;
    /// ECS container instance id.
    EcsContainerInstanceId = "ecs-container-instance-id", 7, Str;
    /// Docker id of the first container.
    EcsContainerId = "ecs-container-id", 7, Str;
    /// Docker id of the second container.
    EcsSecondContainerId = "ecs-second-container-id", 7, Str;
    /// ECS service name.
    EcsServiceName = "ecs-service-name", 7, Str;
    /// ECS task definition ARN.
    EcsTaskDefinitionArn = "ecs-task-definition-arn", 7, Str;
    /// ECS task ARN.
    EcsTaskArn = "ecs-task-arn", 7, Str;
    /// ECS task id.
    EcsTaskId = "ecs-task-id", 7, Str;
    /// Reject reason other than SG/NACL (`BPA`).
    RejectReason = "reject-reason", 8, Str;
    /// Resource id for flows without an interface (regional NAT gateway).
    ResourceId = "resource-id", 9, Str;
    /// 0 cleartext, 1 Nitro-encrypted, 2 application-encrypted, 3 both.
    EncryptionStatus = "encryption-status", 10, Int32;
    /// Instance tag value.
    InstanceTag = "instance-tag", 11, Str;
    /// Second instance tag value.
    InstanceTag2 = "instance-tag-2", 11, Str;
    /// Interface tag value.
    InterfaceTag = "interface-tag", 11, Str;
    /// Second interface tag value.
    InterfaceTag2 = "interface-tag-2", 11, Str;
    /// Auto Scaling group tag value.
    AsgTag = "asg-tag", 11, Str;
    /// Second Auto Scaling group tag value.
    AsgTag2 = "asg-tag-2", 11, Str;
    /// Type of the logging interface (nat_gateway, vpc_endpoint...).
    InterfaceType = "interface-type", 11, Str;
    /// Next-hop interface id.
    NextHopInterfaceId = "next-hop-interface-id", 11, Str;
    /// Next-hop subnet id.
    NextHopSubnetId = "next-hop-subnet-id", 11, Str;
    /// Next-hop availability zone id.
    NextHopAzId = "next-hop-az-id", 11, Str;
    /// Next-hop VPC id.
    NextHopVpcId = "next-hop-vpc-id", 11, Str;
    /// Next-hop interface type.
    NextHopInterfaceType = "next-hop-interface-type", 11, Str;
}

/// Field names only transit-gateway (version 6) flow logs use; a format naming one of them is a
/// transit-gateway format, whose records are counted and kept apart.
const TGW_FIELDS: &[&str] = &[
    "resource-type",
    "tgw-id",
    "tgw-attachment-id",
    "tgw-src-vpc-account-id",
    "tgw-dst-vpc-account-id",
    "tgw-src-vpc-id",
    "tgw-dst-vpc-id",
    "tgw-src-subnet-id",
    "tgw-dst-subnet-id",
    "tgw-src-eni",
    "tgw-dst-eni",
    "tgw-src-az-id",
    "tgw-dst-az-id",
    "tgw-pair-attachment-id",
    "packets-lost-no-route",
    "packets-lost-blackhole",
    "packets-lost-mtu-exceeded",
    "packets-lost-ttl-expired",
];

impl Field {
    /// Looks a field up by its hyphenated name (`log-status`) or its Parquet/Athena name
    /// (`log_status`); anything else that looks like a field name becomes [`Field::Unknown`].
    ///
    /// # Errors
    ///
    /// [`FormatError::BadFieldName`] when `name` is empty or has characters other than ASCII
    /// letters, digits, `-` and `_`.
    pub fn from_name(name: &str) -> Result<Field, FormatError> {
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            || !name.as_bytes()[0].is_ascii_alphabetic()
        {
            return Err(FormatError::BadFieldName(name.to_owned()));
        }
        if let Some(field) = Field::known(name) {
            return Ok(field);
        }
        let hyphenated = name.replace('_', "-").to_ascii_lowercase();
        Ok(Field::known(&hyphenated).unwrap_or(Field::Unknown(hyphenated.into_boxed_str())))
    }

    /// The column name in AWS's Parquet delivery and in Athena: `-` becomes `_` (`log_status`).
    pub fn parquet_name(&self) -> String {
        self.name().replace('-', "_")
    }

    /// Whether this is a transit-gateway-only field (`tgw-id`, `resource-type`...).
    pub fn is_transit_gateway(&self) -> bool {
        matches!(self, Field::Unknown(name) if TGW_FIELDS.contains(&&**name))
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The most unknown fields one format may have (their values are kept without allocating).
pub const MAX_UNKNOWN_FIELDS: usize = 16;

/// The ordered fields of a flow log: what each space-separated token of a line is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Format {
    fields: Vec<Field>,
    transit_gateway: bool,
}

impl Format {
    /// The default format: the 14 version-2 fields in AWS's order.
    pub fn default_v2() -> Format {
        Format {
            fields: ALL_FIELDS[..14].to_vec(),
            transit_gateway: false,
        }
    }

    /// A format from a list of fields.
    ///
    /// # Errors
    ///
    /// [`FormatError::Empty`] for no fields, [`FormatError::TooManyUnknown`] for more than
    /// [`MAX_UNKNOWN_FIELDS`] unknown ones.
    pub fn new(fields: Vec<Field>) -> Result<Format, FormatError> {
        if fields.is_empty() {
            return Err(FormatError::Empty);
        }
        let unknown = fields
            .iter()
            .filter(|f| matches!(f, Field::Unknown(_)))
            .count();
        if unknown > MAX_UNKNOWN_FIELDS {
            return Err(FormatError::TooManyUnknown(unknown));
        }
        let transit_gateway = fields.iter().any(Field::is_transit_gateway);
        Ok(Format {
            fields,
            transit_gateway,
        })
    }

    /// Parses an AWS `LogFormat` string: `${version} ${account-id} ...`.
    ///
    /// # Errors
    ///
    /// [`FormatError`] when a token is not `${name}` or a name is malformed.
    pub fn from_log_format(text: &str) -> Result<Format, FormatError> {
        let fields = text
            .split_ascii_whitespace()
            .map(|token| {
                let name = token
                    .strip_prefix("${")
                    .and_then(|t| t.strip_suffix('}'))
                    .ok_or_else(|| FormatError::BadToken(token.to_owned()))?;
                Field::from_name(name)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Format::new(fields)
    }

    /// Parses an S3 text header line: `version account-id interface-id ...`.
    ///
    /// # Errors
    ///
    /// [`FormatError`] when a token is not a field name.
    pub fn from_header(line: &str) -> Result<Format, FormatError> {
        let fields = line
            .split_ascii_whitespace()
            .map(Field::from_name)
            .collect::<Result<Vec<_>, _>>()?;
        Format::new(fields)
    }

    /// Whether `line` is a header line: every token a field name, at least one of them known
    /// (a record always has a `-`, a number, an address or an id with a digit somewhere).
    pub fn is_header(line: &str) -> bool {
        let mut any_known = false;
        for token in line.split_ascii_whitespace() {
            match Field::from_name(token) {
                Ok(Field::Unknown(name)) => {
                    if name.bytes().any(|b| b.is_ascii_digit()) && !name.ends_with("-2") {
                        return false;
                    }
                }
                Ok(_) => any_known = true,
                Err(_) => return false,
            }
        }
        any_known
    }

    /// Takes the `LogFormat` out of `aws ec2 describe-flow-logs` JSON output: the first flow
    /// log's, or the one whose `FlowLogId` is `flow_log_id`.
    ///
    /// # Errors
    ///
    /// [`FormatError::DescribeFlowLogs`] when the JSON has no such flow log or no `LogFormat`.
    pub fn from_describe_flow_logs(
        json: &str,
        flow_log_id: Option<&str>,
    ) -> Result<Format, FormatError> {
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| FormatError::DescribeFlowLogs(format!("not JSON: {e}")))?;
        let logs = value
            .get("FlowLogs")
            .and_then(|v| v.as_array())
            .ok_or_else(|| FormatError::DescribeFlowLogs("no FlowLogs array".to_owned()))?;
        let log = match flow_log_id {
            Some(id) => logs
                .iter()
                .find(|l| l.get("FlowLogId").and_then(|v| v.as_str()) == Some(id))
                .ok_or_else(|| FormatError::DescribeFlowLogs(format!("no flow log {id}")))?,
            None => logs
                .first()
                .ok_or_else(|| FormatError::DescribeFlowLogs("FlowLogs is empty".to_owned()))?,
        };
        let text = log
            .get("LogFormat")
            .and_then(|v| v.as_str())
            .ok_or_else(|| FormatError::DescribeFlowLogs("flow log has no LogFormat".to_owned()))?;
        Format::from_log_format(text)
    }

    /// The fields, in order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Whether this is a transit-gateway flow-log format (names a `tgw-*` field).
    pub fn is_transit_gateway(&self) -> bool {
        self.transit_gateway
    }

    /// The format as an AWS `LogFormat` string.
    pub fn to_log_format(&self) -> String {
        let names: Vec<String> = self.fields.iter().map(|f| format!("${{{f}}}")).collect();
        names.join(" ")
    }
}
