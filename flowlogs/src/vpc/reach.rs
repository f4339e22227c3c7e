//! Reachability: which sources can reach a target (ENI, address or security group) and through
//! which rules; which ports are open to the world.
//!
//! Inbound only: a source is listed when a security-group ingress rule of the target admits it
//! and the target subnet's NACL inbound admits it (checked over the whole source CIDR: `allow`,
//! `deny`, or `partial` when NACL entries split the CIDR). The return path (NACL outbound to
//! ephemeral ports) and routing are not part of `reach`; use `explain` for one flow.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use super::error::UnknownTargetError;
use super::eval::rule_matches_proto_key;
use super::model::{
    proto, protocol_name, Direction, Interface, NaclEntry, NetworkAcl, Peer, PortSpec, RuleAction,
    SgRule,
};
use super::Network;

/// Where the sources may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReachSource {
    /// Any source.
    Any,
    /// Sources overlapping this CIDR.
    Cidr(IpNet),
    /// Sources that include public (non-private) addresses.
    Internet,
}

impl std::str::FromStr for ReachSource {
    type Err = String;

    /// `internet`, `any`, a CIDR or an address.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("internet") {
            return Ok(ReachSource::Internet);
        }
        if s.eq_ignore_ascii_case("any") {
            return Ok(ReachSource::Any);
        }
        super::dump::parse_net(s)
            .map(ReachSource::Cidr)
            .ok_or_else(|| format!("{s:?} is neither a CIDR nor `internet`"))
    }
}

/// A `reach` question.
#[derive(Debug, Clone)]
pub struct ReachQuery {
    /// `eni-…`, `sg-…` or an IP address.
    pub target: String,
    /// Protocol filter (number).
    pub proto: Option<u8>,
    /// Port filter (TCP/UDP port; with ICMP, the type).
    pub port: Option<u16>,
    /// Source filter.
    pub from: ReachSource,
}

/// One way in.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReachEntry {
    /// Target interface (absent for a security group attached to nothing).
    pub interface: Option<String>,
    /// Target addresses.
    pub addresses: Vec<String>,
    /// The admitting security group.
    pub group_id: String,
    /// Protocol of the rule.
    pub protocol: String,
    /// Ports of the rule.
    pub ports: String,
    /// The source: CIDR, `sg-…` or `pl-…`.
    pub source: String,
    /// The rule text.
    pub rule: String,
    /// File and JSON path of the rule.
    pub rule_source: String,
    /// NACL verdict for that source: `allow`, `deny`, `partial`, `same-subnet`, `not-applicable`
    /// (security group only) or `unknown`.
    pub nacl: &'static str,
    /// The NACL entry that decided (or split the CIDR).
    pub nacl_rule: Option<String>,
}

/// A rule admitting 0.0.0.0/0 or ::/0.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WorldExposure {
    /// 0 = all traffic, 1 = remote admin (SSH, RDP), 2 = databases and caches, 3 = other
    /// sensitive services, 4 = everything else.
    pub severity: u8,
    /// What the sensitive ports are (`SSH`, `MySQL`...), or `all traffic`.
    pub services: Vec<&'static str>,
    /// The group.
    pub group_id: String,
    /// Protocol.
    pub protocol: String,
    /// Ports.
    pub ports: String,
    /// `0.0.0.0/0` or `::/0`.
    pub source: String,
    /// Rule text.
    pub rule: String,
    /// File and JSON path.
    pub rule_source: String,
    /// Interfaces carrying the group.
    pub interfaces: Vec<String>,
    /// Interfaces whose subnet NACL also admits the world on the rule's first port.
    pub interfaces_nacl_open: Vec<String>,
}

const SENSITIVE: &[(u16, &str, u8)] = &[
    (22, "SSH", 1),
    (3389, "RDP", 1),
    (5900, "VNC", 1),
    (23, "Telnet", 1),
    (3306, "MySQL", 2),
    (5432, "PostgreSQL", 2),
    (1433, "SQL Server", 2),
    (1521, "Oracle", 2),
    (27017, "MongoDB", 2),
    (6379, "Redis", 2),
    (9200, "Elasticsearch", 2),
    (5984, "CouchDB", 2),
    (11211, "Memcached", 2),
    (9042, "Cassandra", 2),
    (21, "FTP", 3),
    (445, "SMB", 3),
    (135, "MS RPC", 3),
    (139, "NetBIOS", 3),
    (2375, "Docker API", 3),
    (2379, "etcd", 3),
    (6443, "Kubernetes API", 3),
];

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

const PRIVATE: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
    "::1/128",
];

fn is_private(n: &IpNet) -> bool {
    PRIVATE
        .iter()
        .filter_map(|p| p.parse::<IpNet>().ok())
        .any(|p| p.contains(n))
}

/// The NACL decision for a whole source CIDR (entries in rule-number order).
fn nacl_over<'a>(
    acl: &'a NetworkAcl,
    dir: Direction,
    peer: &IpNet,
    proto: u8,
    key: u16,
) -> (&'static str, Option<&'a NaclEntry>) {
    let mut entries: Vec<&NaclEntry> = acl.entries.iter().filter(|e| e.direction == dir).collect();
    entries.sort_by_key(|e| e.number);
    for e in entries {
        if e.cidr.addr().is_ipv4() != peer.addr().is_ipv4() {
            continue;
        }
        if !rule_matches_proto_key(e.protocol, e.ports, proto, key) {
            continue;
        }
        if e.cidr.contains(peer) {
            return match e.action {
                RuleAction::Allow => ("allow", Some(e)),
                RuleAction::Deny => ("deny", Some(e)),
            };
        }
        if overlaps(&e.cidr, peer) {
            return ("partial", Some(e));
        }
    }
    ("deny", None)
}

/// The (protocol, key) to test a rule at: the filters if given, else the rule's first port.
fn probe(rule: &SgRule, q_proto: Option<u8>, q_port: Option<u16>) -> (u8, u16) {
    let p = q_proto.or(rule.protocol).unwrap_or(proto::TCP);
    let key = match (p, q_port) {
        (proto::ICMP | proto::ICMPV6, Some(t)) => (t & 0xff) << 8,
        (_, Some(port)) => port,
        _ => rule.ports.key_range().map_or(0, |r| r.0),
    };
    (p, key)
}

fn targets<'n>(net: &'n Network, target: &str) -> Result<Vec<&'n Interface>, UnknownTargetError> {
    let dump = net.dump();
    let found: Vec<&Interface> = if target.starts_with("eni-") {
        net.interface(target).into_iter().collect()
    } else if target.starts_with("sg-") {
        dump.interfaces
            .iter()
            .filter(|e| e.groups.iter().any(|g| g == target))
            .collect()
    } else if let Ok(a) = target.parse::<IpAddr>() {
        dump.interfaces
            .iter()
            .filter(|e| e.addresses.contains(&a))
            .collect()
    } else {
        Vec::new()
    };
    if found.is_empty() {
        return Err(UnknownTargetError {
            target: target.to_string(),
        });
    }
    Ok(found)
}

/// Sources that can reach the target.
///
/// # Errors
/// [`UnknownTargetError`] when the target matches no interface in the dump.
pub fn reach(net: &Network, q: &ReachQuery) -> Result<Vec<ReachEntry>, UnknownTargetError> {
    let mut out = Vec::new();
    for eni in targets(net, &q.target)? {
        let subnet = eni
            .subnet_id
            .as_ref()
            .and_then(|s| net.dump().subnets.iter().find(|x| &x.id == s));
        let acl = subnet.and_then(|s| net.subnet_acl(s));
        for g in &eni.groups {
            let Some(sg) = net.group(g) else { continue };
            for r in sg.rules(Direction::Ingress) {
                if r.ports == PortSpec::Nothing {
                    continue;
                }
                let (p, key) = probe(r, q.proto, q.port);
                if (q.proto.is_some() || q.port.is_some())
                    && !rule_matches_proto_key(r.protocol, r.ports, p, key)
                {
                    continue;
                }
                let peers: Vec<IpNet> = match &r.peer {
                    Peer::Cidr(n) => vec![*n],
                    Peer::PrefixList(id) => net
                        .dump()
                        .prefix_lists
                        .iter()
                        .find(|pl| &pl.id == id)
                        .and_then(|pl| pl.entries.clone())
                        .unwrap_or_default(),
                    Peer::Group(id) => net
                        .dump()
                        .interfaces
                        .iter()
                        .filter(|e| e.groups.contains(id))
                        .flat_map(|e| e.addresses.iter().map(|a| IpNet::from(*a)))
                        .collect(),
                };
                let wanted = match q.from {
                    ReachSource::Any => true,
                    ReachSource::Cidr(c) => peers.iter().any(|n| overlaps(n, &c)),
                    // Group references match interface addresses only, never the internet.
                    ReachSource::Internet => {
                        !matches!(r.peer, Peer::Group(_)) && peers.iter().any(|n| !is_private(n))
                    }
                };
                if !wanted {
                    continue;
                }
                let (nacl, nacl_rule) = match (&r.peer, acl) {
                    (_, None) => ("unknown", None),
                    (Peer::Group(_), Some(_)) if peers.is_empty() => ("not-applicable", None),
                    (_, Some(acl)) => {
                        let mut verdicts = Vec::new();
                        for n in &peers {
                            let same =
                                subnet.is_some_and(|s| s.cidrs.iter().any(|c| c.contains(n)));
                            if same {
                                verdicts.push(("same-subnet", None));
                            } else {
                                verdicts.push(nacl_over(acl, Direction::Ingress, n, p, key));
                            }
                        }
                        let all_same = |v: &str| verdicts.iter().all(|x| x.0 == v);
                        let first = verdicts.first().and_then(|v| v.1);
                        if verdicts.is_empty() {
                            ("unknown", None)
                        } else if all_same("allow") {
                            ("allow", first)
                        } else if all_same("deny") {
                            ("deny", first)
                        } else if all_same("same-subnet") {
                            ("same-subnet", None)
                        } else {
                            (
                                "partial",
                                verdicts.iter().find(|v| v.0 != "allow").and_then(|v| v.1),
                            )
                        }
                    }
                };
                out.push(ReachEntry {
                    interface: Some(eni.id.clone()),
                    addresses: eni.addresses.iter().map(ToString::to_string).collect(),
                    group_id: sg.id.clone(),
                    protocol: r.protocol.map_or_else(|| "all".into(), protocol_name),
                    ports: r.ports.to_string(),
                    source: r.peer.to_string(),
                    rule: r.to_string(),
                    rule_source: r.origin.clone(),
                    nacl,
                    nacl_rule: nacl_rule.map(ToString::to_string),
                });
            }
        }
    }
    Ok(out)
}

/// Every security-group ingress rule open to 0.0.0.0/0 or ::/0, worst first (all traffic,
/// then SSH/RDP, databases, other sensitive services, the rest by port). `target`, if given,
/// restricts to the groups of those interfaces.
///
/// # Errors
/// [`UnknownTargetError`] when `target` matches no interface.
pub fn open_to_world(
    net: &Network,
    target: Option<&str>,
    proto_filter: Option<u8>,
    port: Option<u16>,
) -> Result<Vec<WorldExposure>, UnknownTargetError> {
    let dump = net.dump();
    let scope: Option<Vec<&Interface>> = target.map(|t| targets(net, t)).transpose()?;
    let mut out = Vec::new();
    for sg in &dump.security_groups {
        if let Some(s) = &scope {
            if !s.iter().any(|e| e.groups.contains(&sg.id)) {
                continue;
            }
        }
        let enis: Vec<&Interface> = dump
            .interfaces
            .iter()
            .filter(|e| e.groups.contains(&sg.id))
            .filter(|e| {
                scope
                    .as_ref()
                    .is_none_or(|s| s.iter().any(|x| x.id == e.id))
            })
            .collect();
        for r in &sg.ingress {
            let Peer::Cidr(n) = r.peer else { continue };
            if n.prefix_len() != 0 {
                continue;
            }
            let Some((lo, hi)) = r.ports.key_range() else {
                continue;
            };
            let (p, key) = probe(r, proto_filter, port);
            if (proto_filter.is_some() || port.is_some())
                && !rule_matches_proto_key(r.protocol, r.ports, p, key)
            {
                continue;
            }
            let all = r.protocol.is_none()
                || (matches!(r.protocol, Some(proto::TCP | proto::UDP))
                    && lo == 0
                    && hi == u16::MAX);
            let mut services = Vec::new();
            let mut severity = 4;
            if all {
                services.push("all traffic");
                severity = 0;
            }
            if matches!(r.protocol, None | Some(proto::TCP | proto::UDP)) {
                for (port, name, sev) in SENSITIVE {
                    if lo <= *port && *port <= hi {
                        services.push(*name);
                        severity = severity.min(*sev);
                    }
                }
            }
            let nacl_open = enis
                .iter()
                .filter(|e| {
                    let acl = e
                        .subnet_id
                        .as_ref()
                        .and_then(|s| dump.subnets.iter().find(|x| &x.id == s))
                        .and_then(|s| net.subnet_acl(s));
                    acl.is_some_and(|a| {
                        let world: IpNet = if n.addr().is_ipv4() {
                            IpNet::from(IpAddr::from([0u8; 4]))
                        } else {
                            IpNet::from(IpAddr::from([0u16; 8]))
                        };
                        // Any public address admitted: probe 0/0 as a whole.
                        let world = IpNet::new(world.addr(), 0).unwrap_or(world);
                        matches!(
                            nacl_over(a, Direction::Ingress, &world, p, key).0,
                            "allow" | "partial"
                        )
                    })
                })
                .map(|e| e.id.clone())
                .collect();
            out.push(WorldExposure {
                severity,
                services,
                group_id: sg.id.clone(),
                protocol: r.protocol.map_or_else(|| "all".into(), protocol_name),
                ports: r.ports.to_string(),
                source: n.to_string(),
                rule: r.to_string(),
                rule_source: r.origin.clone(),
                interfaces: enis.iter().map(|e| e.id.clone()).collect(),
                interfaces_nacl_open: nacl_open,
            });
        }
    }
    out.sort_by(|a, b| {
        (a.severity, a.ports.len(), &a.ports, &a.group_id).cmp(&(
            b.severity,
            b.ports.len(),
            &b.ports,
            &b.group_id,
        ))
    });
    Ok(out)
}
