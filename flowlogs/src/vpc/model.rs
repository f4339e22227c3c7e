//! The loaded configuration: security groups, network ACLs, interfaces, subnets, route tables,
//! prefix lists, VPCs. Each rule keeps where it came from (file and JSON path) and its text.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

/// IANA protocol numbers used by the rules.
pub mod proto {
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
}

/// The protocol name as AWS prints it (`tcp`, `udp`, `icmp`, `icmpv6`) or the number.
#[must_use]
pub fn protocol_name(p: u8) -> String {
    match p {
        proto::TCP => "tcp".into(),
        proto::UDP => "udp".into(),
        proto::ICMP => "icmp".into(),
        proto::ICMPV6 => "icmpv6".into(),
        n => n.to_string(),
    }
}

/// Which direction a rule filters, seen from the ENI (security group) or subnet (NACL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Traffic arriving (`IpPermissions`, NACL `Egress: false`).
    Ingress,
    /// Traffic leaving (`IpPermissionsEgress`, NACL `Egress: true`).
    Egress,
}

impl Direction {
    /// `ingress` or `egress`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// The ports (TCP/UDP) or ICMP type and code a rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortSpec {
    /// Every port, type and code (protocol `-1`, protocols without ports, omitted ICMPv6 range).
    All,
    /// An inclusive TCP/UDP port range.
    Range(u16, u16),
    /// ICMP / ICMPv6: a type (`None` = all types) and a code (`None` = all codes of the type).
    Icmp(Option<u8>, Option<u8>),
    /// An impossible specification (ICMP code without a type) that matches nothing.
    Nothing,
}

impl PortSpec {
    /// The covered interval in the key space the index uses: the port for TCP/UDP,
    /// `type << 8 | code` for ICMP. `None` when nothing matches.
    #[must_use]
    pub fn key_range(self) -> Option<(u16, u16)> {
        match self {
            PortSpec::All | PortSpec::Icmp(None, _) => Some((0, u16::MAX)),
            PortSpec::Range(lo, hi) => Some((lo, hi)),
            PortSpec::Icmp(Some(t), None) => {
                let base = u16::from(t) << 8;
                Some((base, base | 0xff))
            }
            PortSpec::Icmp(Some(t), Some(c)) => {
                let k = (u16::from(t) << 8) | u16::from(c);
                Some((k, k))
            }
            PortSpec::Nothing => None,
        }
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PortSpec::All => f.write_str("all"),
            PortSpec::Range(lo, hi) if lo == hi => write!(f, "{lo}"),
            PortSpec::Range(lo, hi) => write!(f, "{lo}-{hi}"),
            PortSpec::Icmp(None, _) => f.write_str("all types"),
            PortSpec::Icmp(Some(t), None) => write!(f, "type {t}"),
            PortSpec::Icmp(Some(t), Some(c)) => write!(f, "type {t} code {c}"),
            PortSpec::Nothing => f.write_str("nothing (code without type)"),
        }
    }
}

/// The peer of a security-group rule (source for ingress, destination for egress).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    /// `IpRanges[].CidrIp` or `Ipv6Ranges[].CidrIpv6`.
    Cidr(IpNet),
    /// `UserIdGroupPairs[].GroupId`: the private addresses of the ENIs in that group.
    Group(String),
    /// `PrefixListIds[].PrefixListId`.
    PrefixList(String),
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Cidr(n) => write!(f, "{n}"),
            Peer::Group(g) | Peer::PrefixList(g) => f.write_str(g),
        }
    }
}

/// One effective security-group rule: one peer of one `IpPermission`.
#[derive(Debug, Clone)]
pub struct SgRule {
    /// The group the rule belongs to.
    pub group_id: String,
    /// Ingress or egress.
    pub direction: Direction,
    /// Protocol number; `None` = all (`-1`).
    pub protocol: Option<u8>,
    /// Ports or ICMP type/code.
    pub ports: PortSpec,
    /// Source (ingress) or destination (egress).
    pub peer: Peer,
    /// The peer's `Description`, if any.
    pub description: Option<String>,
    /// Where it came from: `file: $.SecurityGroups[0].IpPermissions[1].IpRanges[0]`.
    pub origin: String,
}

impl fmt::Display for SgRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proto = self
            .protocol
            .map_or_else(|| "all".to_string(), protocol_name);
        let dir = match self.direction {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        };
        let what = if self.protocol.is_none() {
            "all traffic".to_string()
        } else {
            format!("{proto} {}", self.ports)
        };
        write!(
            f,
            "{} {} allow {what} {dir} {}",
            self.group_id,
            self.direction.as_str(),
            self.peer
        )?;
        if let Some(d) = &self.description {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

/// A security group.
#[derive(Debug, Clone)]
pub struct SecurityGroup {
    /// `GroupId`.
    pub id: String,
    /// `GroupName` (`default` for the default group).
    pub name: String,
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `IpPermissions`, one entry per peer.
    pub ingress: Vec<SgRule>,
    /// `IpPermissionsEgress`, one entry per peer.
    pub egress: Vec<SgRule>,
}

impl SecurityGroup {
    /// The rules for one direction.
    #[must_use]
    pub fn rules(&self, d: Direction) -> &[SgRule] {
        match d {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }
}

/// `allow` or `deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleAction {
    /// `allow`.
    Allow,
    /// `deny`.
    Deny,
}

impl RuleAction {
    /// `allow` or `deny`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RuleAction::Allow => "allow",
            RuleAction::Deny => "deny",
        }
    }
}

/// One network ACL entry.
#[derive(Debug, Clone)]
pub struct NaclEntry {
    /// The ACL it belongs to.
    pub acl_id: String,
    /// `RuleNumber` (1-32766; 32767 and 32768 are the `*` rules).
    pub number: u16,
    /// Ingress (`Egress: false`) or egress.
    pub direction: Direction,
    /// Allow or deny.
    pub action: RuleAction,
    /// Protocol number; `None` = all (`-1`).
    pub protocol: Option<u8>,
    /// Port range or ICMP type/code.
    pub ports: PortSpec,
    /// `CidrBlock` or `Ipv6CidrBlock`.
    pub cidr: IpNet,
    /// Where it came from.
    pub origin: String,
}

impl NaclEntry {
    /// Whether this is a `*` rule (32767 for IPv4, 32768 for IPv6 in API output).
    #[must_use]
    pub fn is_default(&self) -> bool {
        self.number >= 32767
    }
}

impl fmt::Display for NaclEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proto = self
            .protocol
            .map_or_else(|| "all".to_string(), protocol_name);
        let num = if self.is_default() {
            format!("* ({})", self.number)
        } else {
            self.number.to_string()
        };
        let dir = match self.direction {
            Direction::Ingress => "inbound",
            Direction::Egress => "outbound",
        };
        let peer = match self.direction {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        };
        let what = if self.protocol.is_none() {
            "all traffic".to_string()
        } else {
            format!("{proto} {}", self.ports)
        };
        write!(
            f,
            "{} {dir} rule {num}: {} {what} {peer} {}",
            self.acl_id,
            self.action.as_str(),
            self.cidr
        )
    }
}

/// A network ACL.
#[derive(Debug, Clone)]
pub struct NetworkAcl {
    /// `NetworkAclId`.
    pub id: String,
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `IsDefault`.
    pub is_default: bool,
    /// `Associations[].SubnetId`.
    pub subnets: Vec<String>,
    /// All entries, both directions, in dump order.
    pub entries: Vec<NaclEntry>,
}

/// A network interface (from `describe-network-interfaces` or `describe-instances`).
#[derive(Debug, Clone)]
pub struct Interface {
    /// `NetworkInterfaceId`.
    pub id: String,
    /// `SubnetId`.
    pub subnet_id: Option<String>,
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `Groups[].GroupId`.
    pub groups: Vec<String>,
    /// Private IPv4 (primary first, then secondary) and IPv6 addresses.
    pub addresses: Vec<IpAddr>,
    /// `InterfaceType`.
    pub interface_type: Option<String>,
    /// `Attachment.InstanceId`.
    pub instance_id: Option<String>,
    /// `SourceDestCheck`.
    pub source_dest_check: Option<bool>,
    /// Where it came from.
    pub origin: String,
}

/// A subnet.
#[derive(Debug, Clone)]
pub struct Subnet {
    /// `SubnetId`.
    pub id: String,
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `CidrBlock` and the associated IPv6 blocks.
    pub cidrs: Vec<IpNet>,
}

/// Where a route sends traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteDest {
    /// `DestinationCidrBlock` / `DestinationIpv6CidrBlock`.
    Cidr(IpNet),
    /// `DestinationPrefixListId`.
    PrefixList(String),
}

/// One route.
#[derive(Debug, Clone)]
pub struct Route {
    /// Destination.
    pub dest: RouteDest,
    /// `local`, `igw-…`, `nat-…`, `tgw-…`, `pcx-…`, `eni-…`, … (`unknown` if none given).
    pub target: String,
    /// `active` or `blackhole` (`active` if absent).
    pub state: String,
}

/// A route table.
#[derive(Debug, Clone)]
pub struct RouteTable {
    /// `RouteTableId`.
    pub id: String,
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// Whether an association has `Main: true`.
    pub main: bool,
    /// Explicitly associated subnets.
    pub subnets: Vec<String>,
    /// Routes.
    pub routes: Vec<Route>,
}

/// A managed prefix list.
#[derive(Debug, Clone)]
pub struct PrefixList {
    /// `PrefixListId`.
    pub id: String,
    /// `PrefixListName`.
    pub name: Option<String>,
    /// Entries, when a `get-managed-prefix-list-entries` output (or `Cidrs`) was given.
    pub entries: Option<Vec<IpNet>>,
}

/// A VPC.
#[derive(Debug, Clone)]
pub struct Vpc {
    /// `VpcId`.
    pub id: String,
    /// IPv4 and IPv6 blocks.
    pub cidrs: Vec<IpNet>,
}

/// Everything loaded from the dumps, before compilation.
#[derive(Debug, Clone, Default)]
pub struct Dump {
    /// Security groups.
    pub security_groups: Vec<SecurityGroup>,
    /// Network ACLs.
    pub network_acls: Vec<NetworkAcl>,
    /// Network interfaces (deduplicated by id; the first seen wins).
    pub interfaces: Vec<Interface>,
    /// Subnets.
    pub subnets: Vec<Subnet>,
    /// Route tables.
    pub route_tables: Vec<RouteTable>,
    /// Prefix lists.
    pub prefix_lists: Vec<PrefixList>,
    /// VPCs.
    pub vpcs: Vec<Vpc>,
    /// Things that load but deserve a word (impossible rules that match nothing, duplicates).
    pub warnings: Vec<String>,
}
