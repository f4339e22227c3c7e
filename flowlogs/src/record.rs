//! The typed flow-log record.
//!
//! Every field is an `Option`: `-` in the input (and a field absent from the format) is `None`,
//! never the string `"-"`. Strings borrow the input line, so parsing allocates nothing.

use std::net::IpAddr;

use arrayvec::ArrayVec;

use crate::field::MAX_UNKNOWN_FIELDS;

/// `action`: the verdict of security groups and network ACLs at the interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// ACCEPT.
    Accept,
    /// REJECT.
    Reject,
}

impl Action {
    /// `ACCEPT` or `REJECT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "ACCEPT",
            Action::Reject => "REJECT",
        }
    }
}

/// `log-status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogStatus {
    /// Data logged normally.
    Ok,
    /// No traffic in the interval (address, port, count and action fields are `-`).
    NoData,
    /// Records were skipped in the interval (one line may stand for many flows).
    SkipData,
}

impl LogStatus {
    /// `OK`, `NODATA` or `SKIPDATA`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogStatus::Ok => "OK",
            LogStatus::NoData => "NODATA",
            LogStatus::SkipData => "SKIPDATA",
        }
    }
}

/// `flow-direction`, relative to the logging interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlowDirection {
    /// Traffic arriving at the interface.
    Ingress,
    /// Traffic leaving the interface.
    Egress,
}

impl FlowDirection {
    /// `ingress` or `egress`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlowDirection::Ingress => "ingress",
            FlowDirection::Egress => "egress",
        }
    }
}

/// `type`: the traffic type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrafficType {
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
    /// Elastic Fabric Adapter.
    Efa,
}

impl TrafficType {
    /// `IPv4`, `IPv6` or `EFA`.
    pub fn as_str(self) -> &'static str {
        match self {
            TrafficType::Ipv4 => "IPv4",
            TrafficType::Ipv6 => "IPv6",
            TrafficType::Efa => "EFA",
        }
    }
}

/// `traffic-path`: where egress traffic goes (`-` for ingress).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrafficPath {
    /// 1: a resource in the same VPC.
    SameVpc,
    /// 2: internet gateway or gateway VPC endpoint.
    InternetGatewayOrGatewayEndpoint,
    /// 3: virtual private gateway.
    VirtualPrivateGateway,
    /// 4: intra-region VPC peering.
    IntraRegionPeering,
    /// 5: inter-region VPC peering.
    InterRegionPeering,
    /// 6: local gateway.
    LocalGateway,
    /// 7: gateway VPC endpoint (Nitro).
    GatewayEndpoint,
    /// 8: internet gateway (Nitro).
    InternetGateway,
    /// Any other value, kept.
    Unknown(u8),
}

impl TrafficPath {
    /// From the numeric code.
    pub fn from_code(code: u8) -> TrafficPath {
        match code {
            1 => TrafficPath::SameVpc,
            2 => TrafficPath::InternetGatewayOrGatewayEndpoint,
            3 => TrafficPath::VirtualPrivateGateway,
            4 => TrafficPath::IntraRegionPeering,
            5 => TrafficPath::InterRegionPeering,
            6 => TrafficPath::LocalGateway,
            7 => TrafficPath::GatewayEndpoint,
            8 => TrafficPath::InternetGateway,
            other => TrafficPath::Unknown(other),
        }
    }

    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            TrafficPath::SameVpc => 1,
            TrafficPath::InternetGatewayOrGatewayEndpoint => 2,
            TrafficPath::VirtualPrivateGateway => 3,
            TrafficPath::IntraRegionPeering => 4,
            TrafficPath::InterRegionPeering => 5,
            TrafficPath::LocalGateway => 6,
            TrafficPath::GatewayEndpoint => 7,
            TrafficPath::InternetGateway => 8,
            TrafficPath::Unknown(code) => code,
        }
    }
}

bitflags::bitflags! {
    /// `tcp-flags`: the OR of the flags seen in the interval. The raw value is kept
    /// ([`TcpFlags::bits`]), including bits AWS does not document.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct TcpFlags: u16 {
        /// FIN (1).
        const FIN = 1;
        /// SYN (2).
        const SYN = 2;
        /// RST (4).
        const RST = 4;
        /// PSH (8).
        const PSH = 8;
        /// ACK (16); AWS reports it only as part of SYN-ACK (18).
        const ACK = 16;
        /// URG (32).
        const URG = 32;
    }
}

/// Who opened a TCP connection, as far as one record's `tcp-flags` tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Initiator {
    /// SYN without ACK: this record's source opened the connection.
    Source,
    /// SYN-ACK: this record's destination opened the connection.
    Destination,
}

impl TcpFlags {
    /// SYN alone (2, or 3 with FIN) means the source initiated; SYN-ACK (18, 19) means the
    /// destination did. Otherwise (0, FIN, RST) the record does not say.
    pub fn initiator(self) -> Option<Initiator> {
        if !self.contains(TcpFlags::SYN) {
            None
        } else if self.contains(TcpFlags::ACK) {
            Some(Initiator::Destination)
        } else {
            Some(Initiator::Source)
        }
    }
}

/// One VPC flow-log record (versions 2 to 11). Strings borrow the line they were parsed from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)] // The fields are documented on `Field`, one to one.
pub struct FlowRecord<'a> {
    pub version: Option<u8>,
    pub account_id: Option<&'a str>,
    pub interface_id: Option<&'a str>,
    pub srcaddr: Option<IpAddr>,
    pub dstaddr: Option<IpAddr>,
    pub srcport: Option<u16>,
    pub dstport: Option<u16>,
    pub protocol: Option<u8>,
    pub packets: Option<u64>,
    pub bytes: Option<u64>,
    /// Unix seconds (millisecond inputs are converted).
    pub start: Option<i64>,
    /// Unix seconds (millisecond inputs are converted).
    pub end: Option<i64>,
    pub action: Option<Action>,
    pub log_status: Option<LogStatus>,
    pub vpc_id: Option<&'a str>,
    pub subnet_id: Option<&'a str>,
    pub instance_id: Option<&'a str>,
    pub tcp_flags: Option<TcpFlags>,
    pub traffic_type: Option<TrafficType>,
    pub pkt_srcaddr: Option<IpAddr>,
    pub pkt_dstaddr: Option<IpAddr>,
    pub region: Option<&'a str>,
    pub az_id: Option<&'a str>,
    pub sublocation_type: Option<&'a str>,
    pub sublocation_id: Option<&'a str>,
    pub pkt_src_aws_service: Option<&'a str>,
    pub pkt_dst_aws_service: Option<&'a str>,
    pub flow_direction: Option<FlowDirection>,
    pub traffic_path: Option<TrafficPath>,
    pub ecs_cluster_arn: Option<&'a str>,
    pub ecs_cluster_name: Option<&'a str>,
    pub ecs_container_instance_arn: Option<&'a str>,
    pub ecs_container_instance_id: Option<&'a str>,
    pub ecs_container_id: Option<&'a str>,
    pub ecs_second_container_id: Option<&'a str>,
    pub ecs_service_name: Option<&'a str>,
    pub ecs_task_definition_arn: Option<&'a str>,
    pub ecs_task_arn: Option<&'a str>,
    pub ecs_task_id: Option<&'a str>,
    pub reject_reason: Option<&'a str>,
    pub resource_id: Option<&'a str>,
    pub encryption_status: Option<u8>,
    pub instance_tag: Option<&'a str>,
    pub instance_tag_2: Option<&'a str>,
    pub interface_tag: Option<&'a str>,
    pub interface_tag_2: Option<&'a str>,
    pub asg_tag: Option<&'a str>,
    pub asg_tag_2: Option<&'a str>,
    pub interface_type: Option<&'a str>,
    pub next_hop_interface_id: Option<&'a str>,
    pub next_hop_subnet_id: Option<&'a str>,
    pub next_hop_az_id: Option<&'a str>,
    pub next_hop_vpc_id: Option<&'a str>,
    pub next_hop_interface_type: Option<&'a str>,
    /// Values of unknown fields, in the order of the format's unknown fields (`None` for `-`).
    pub unknown: ArrayVec<Option<&'a str>, MAX_UNKNOWN_FIELDS>,
}

impl FlowRecord<'_> {
    /// Whether the record carries traffic: `log-status` OK, or no `log-status` in the format.
    pub fn is_ok(&self) -> bool {
        matches!(self.log_status, None | Some(LogStatus::Ok))
    }

    /// The packet-level source when logged, else `srcaddr`.
    pub fn packet_source(&self) -> Option<IpAddr> {
        self.pkt_srcaddr.or(self.srcaddr)
    }

    /// The packet-level destination when logged, else `dstaddr`.
    pub fn packet_destination(&self) -> Option<IpAddr> {
        self.pkt_dstaddr.or(self.dstaddr)
    }

    /// Who initiated the TCP connection, from `tcp-flags` (see [`TcpFlags::initiator`]).
    pub fn initiator(&self) -> Option<Initiator> {
        if self.protocol.is_some_and(|p| p != 6) {
            return None;
        }
        self.tcp_flags.and_then(TcpFlags::initiator)
    }
}

/// Whether an address is private to a VPC (RFC 1918, CGNAT 100.64/10, link-local, loopback,
/// IPv6 unique-local and link-local): "not from the internet".
pub fn is_private(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || v4.is_unspecified()
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// One field's value, typed as in AWS's Parquet delivery (addresses kept as addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Value<'a> {
    /// `-` or not in the format.
    Null,
    /// A number.
    Int(i64),
    /// An address.
    Ip(IpAddr),
    /// Text (ids, enums as AWS spells them).
    Str(&'a str),
}

impl<'a> FlowRecord<'a> {
    /// The value of a known field (`Null` for [`crate::Field::Unknown`]; see
    /// [`FlowRecord::unknown`] for those).
    pub fn value(&self, field: &crate::Field) -> Value<'a> {
        use crate::Field as F;
        fn int<T: Into<i64>>(v: Option<T>) -> Value<'static> {
            v.map_or(Value::Null, |v| Value::Int(v.into()))
        }
        fn ip(v: Option<IpAddr>) -> Value<'static> {
            v.map_or(Value::Null, Value::Ip)
        }
        let s = |v: Option<&'a str>| v.map_or(Value::Null, Value::Str);
        match field {
            F::Version => int(self.version),
            F::AccountId => s(self.account_id),
            F::InterfaceId => s(self.interface_id),
            F::Srcaddr => ip(self.srcaddr),
            F::Dstaddr => ip(self.dstaddr),
            F::Srcport => int(self.srcport),
            F::Dstport => int(self.dstport),
            F::Protocol => int(self.protocol),
            F::Packets => self.packets.map_or(Value::Null, |v| Value::Int(v as i64)),
            F::Bytes => self.bytes.map_or(Value::Null, |v| Value::Int(v as i64)),
            F::Start => int(self.start),
            F::End => int(self.end),
            F::Action => s(self.action.map(Action::as_str)),
            F::LogStatus => s(self.log_status.map(LogStatus::as_str)),
            F::VpcId => s(self.vpc_id),
            F::SubnetId => s(self.subnet_id),
            F::InstanceId => s(self.instance_id),
            F::TcpFlags => int(self.tcp_flags.map(|f| f.bits())),
            F::Type => s(self.traffic_type.map(TrafficType::as_str)),
            F::PktSrcaddr => ip(self.pkt_srcaddr),
            F::PktDstaddr => ip(self.pkt_dstaddr),
            F::Region => s(self.region),
            F::AzId => s(self.az_id),
            F::SublocationType => s(self.sublocation_type),
            F::SublocationId => s(self.sublocation_id),
            F::PktSrcAwsService => s(self.pkt_src_aws_service),
            F::PktDstAwsService => s(self.pkt_dst_aws_service),
            F::FlowDirection => s(self.flow_direction.map(FlowDirection::as_str)),
            F::TrafficPath => int(self.traffic_path.map(TrafficPath::code)),
            F::EcsClusterArn => s(self.ecs_cluster_arn),
            F::EcsClusterName => s(self.ecs_cluster_name),
            F::EcsContainerInstanceArn => s(self.ecs_container_instance_arn),
            F::EcsContainerInstanceId => s(self.ecs_container_instance_id),
            F::EcsContainerId => s(self.ecs_container_id),
            F::EcsSecondContainerId => s(self.ecs_second_container_id),
            F::EcsServiceName => s(self.ecs_service_name),
            F::EcsTaskDefinitionArn => s(self.ecs_task_definition_arn),
            F::EcsTaskArn => s(self.ecs_task_arn),
            F::EcsTaskId => s(self.ecs_task_id),
            F::RejectReason => s(self.reject_reason),
            F::ResourceId => s(self.resource_id),
            F::EncryptionStatus => int(self.encryption_status),
            F::InstanceTag => s(self.instance_tag),
            F::InstanceTag2 => s(self.instance_tag_2),
            F::InterfaceTag => s(self.interface_tag),
            F::InterfaceTag2 => s(self.interface_tag_2),
            F::AsgTag => s(self.asg_tag),
            F::AsgTag2 => s(self.asg_tag_2),
            F::InterfaceType => s(self.interface_type),
            F::NextHopInterfaceId => s(self.next_hop_interface_id),
            F::NextHopSubnetId => s(self.next_hop_subnet_id),
            F::NextHopAzId => s(self.next_hop_az_id),
            F::NextHopVpcId => s(self.next_hop_vpc_id),
            F::NextHopInterfaceType => s(self.next_hop_interface_type),
            F::Unknown(_) => Value::Null,
        }
    }
}
