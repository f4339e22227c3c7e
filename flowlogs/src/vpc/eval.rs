//! Compile a [`Dump`] once into a [`Network`]; evaluate flows against it.
//!
//! [`Network::evaluate`] walks the path of section 3.6 of the reference: source ENI security
//! groups (egress), source subnet NACL (outbound), route, destination subnet NACL (inbound),
//! destination ENI security groups (ingress), then the reply: destination security groups
//! (connection tracking), destination NACL outbound and source NACL inbound (stateless, to the
//! client's ephemeral port), source security groups (tracking). Each step is a [`Decision`]
//! holding references to the deciding rule. Evaluation allocates nothing.

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;

use super::index::{Cond, Matcher};
use super::model::{
    proto, Direction, Dump, Interface, NaclEntry, NetworkAcl, Peer, PortSpec, Route, RouteDest,
    RouteTable, RuleAction, SecurityGroup, SgRule, Subnet,
};

/// One flow to evaluate, as the initiator sent it.
///
/// For ICMP and ICMPv6, `src_port` carries the ICMP type and `dst_port` the code (see
/// [`Query::icmp`]); for protocols without ports both are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    /// IANA protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...).
    pub proto: u8,
    /// Initiator address.
    pub src: IpAddr,
    /// Initiator port (ICMP: type).
    pub src_port: u16,
    /// Responder address.
    pub dst: IpAddr,
    /// Responder port (ICMP: code).
    pub dst_port: u16,
}

impl Query {
    /// A TCP/UDP (or other protocol) query.
    #[must_use]
    pub fn new(proto: u8, src: IpAddr, src_port: u16, dst: IpAddr, dst_port: u16) -> Self {
        Query {
            proto,
            src,
            src_port,
            dst,
            dst_port,
        }
    }

    /// An ICMP (IPv4) or ICMPv6 (IPv6) query with a type and code.
    #[must_use]
    pub fn icmp(src: IpAddr, dst: IpAddr, icmp_type: u8, code: u8) -> Self {
        let proto = if src.is_ipv6() {
            proto::ICMPV6
        } else {
            proto::ICMP
        };
        Query::new(proto, src, u16::from(icmp_type), dst, u16::from(code))
    }

    /// Whether the protocol is ICMP or ICMPv6.
    #[must_use]
    pub fn is_icmp(&self) -> bool {
        self.proto == proto::ICMP || self.proto == proto::ICMPV6
    }

    /// The index key of the request (port, or `type << 8 | code`).
    fn key(&self) -> u16 {
        match self.proto {
            proto::TCP | proto::UDP => self.dst_port,
            proto::ICMP | proto::ICMPV6 => ((self.src_port & 0xff) << 8) | (self.dst_port & 0xff),
            _ => 0,
        }
    }

    /// The index key of the reply; `None` when the request has no reply (ICMP errors).
    fn reply_key(&self) -> Option<u16> {
        match self.proto {
            proto::TCP | proto::UDP => Some(self.src_port),
            proto::ICMP => match self.src_port {
                8 => Some(0),
                13 => Some(14 << 8),
                15 => Some(16 << 8),
                17 => Some(18 << 8),
                _ => None,
            },
            proto::ICMPV6 => match self.src_port {
                128 => Some(129 << 8),
                _ => None,
            },
            _ => Some(0),
        }
    }
}

/// Where an address sits in the dump.
#[derive(Debug, Clone, Copy)]
pub enum Endpoint<'n> {
    /// A network interface in the dump (and its subnet, if dumped).
    Eni(&'n Interface, Option<&'n Subnet>),
    /// Inside a dumped subnet, but no interface in the dump holds the address.
    UnknownEni(&'n Subnet),
    /// Outside every dumped subnet (internet, on-premises, another VPC).
    External,
}

impl<'n> Endpoint<'n> {
    /// The subnet, if known.
    #[must_use]
    pub fn subnet(&self) -> Option<&'n Subnet> {
        match *self {
            Endpoint::Eni(_, s) => s,
            Endpoint::UnknownEni(s) => Some(s),
            Endpoint::External => None,
        }
    }

    /// The interface, if known.
    #[must_use]
    pub fn interface(&self) -> Option<&'n Interface> {
        match *self {
            Endpoint::Eni(e, _) => Some(e),
            _ => None,
        }
    }
}

/// The steps, in path order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepKind {
    /// Source ENI security groups, egress.
    SrcSgEgress,
    /// Source subnet NACL, outbound.
    SrcNaclOut,
    /// Source subnet route table.
    Route,
    /// Destination subnet NACL, inbound.
    DstNaclIn,
    /// Destination ENI security groups, ingress.
    DstSgIngress,
    /// Reply: destination security groups, egress (connection tracking).
    ReplyDstSgEgress,
    /// Reply: destination subnet NACL, outbound, to the initiator's port.
    ReplyDstNaclOut,
    /// Reply: source subnet NACL, inbound.
    ReplySrcNaclIn,
    /// Reply: source security groups, ingress (connection tracking).
    ReplySrcSgIngress,
}

impl StepKind {
    /// All steps in order.
    pub const ALL: [StepKind; 9] = [
        StepKind::SrcSgEgress,
        StepKind::SrcNaclOut,
        StepKind::Route,
        StepKind::DstNaclIn,
        StepKind::DstSgIngress,
        StepKind::ReplyDstSgEgress,
        StepKind::ReplyDstNaclOut,
        StepKind::ReplySrcNaclIn,
        StepKind::ReplySrcSgIngress,
    ];

    /// Stable name used in JSON output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::SrcSgEgress => "source-sg-egress",
            StepKind::SrcNaclOut => "source-nacl-outbound",
            StepKind::Route => "route",
            StepKind::DstNaclIn => "destination-nacl-inbound",
            StepKind::DstSgIngress => "destination-sg-ingress",
            StepKind::ReplyDstSgEgress => "reply-destination-sg-egress",
            StepKind::ReplyDstNaclOut => "reply-destination-nacl-outbound",
            StepKind::ReplySrcNaclIn => "reply-source-nacl-inbound",
            StepKind::ReplySrcSgIngress => "reply-source-sg-ingress",
        }
    }

    /// Whether the step is on the return path.
    #[must_use]
    pub fn is_reply(self) -> bool {
        matches!(
            self,
            StepKind::ReplyDstSgEgress
                | StepKind::ReplyDstNaclOut
                | StepKind::ReplySrcNaclIn
                | StepKind::ReplySrcSgIngress
        )
    }
}

/// Why a step was not evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Both ends in one subnet: NACLs do not apply.
    SameSubnet,
    /// That end is outside the dump; its own controls are not ours to evaluate.
    OutsideDump,
    /// The request has no reply (ICMP error messages).
    NoReply,
    /// No route tables in the dump.
    NoRouteTables,
}

/// What the dump lacks for a step to be decided.
#[derive(Debug, Clone, Copy)]
pub enum Missing<'n> {
    /// A rule that could match references a prefix list whose entries are not in the dump.
    PrefixList(&'n SgRule),
    /// A rule that could match references a security group not in the dump (or no interfaces
    /// were dumped, so its members are unknown).
    Group(&'n SgRule),
    /// The address is in a dumped subnet but no dumped interface holds it.
    Interface,
    /// The interface names a security group that is not in the dump.
    InterfaceGroup(&'n str),
    /// No NACL in the dump is associated with the subnet (nor a default NACL for its VPC).
    Nacl(&'n Subnet),
}

/// The outcome of one step, with references to what decided it.
#[derive(Debug, Clone, Copy)]
pub enum Decision<'n> {
    /// A security-group rule allows the packet.
    SgAllow(&'n SgRule),
    /// No rule of the interface's security groups matches: denied.
    SgNoMatch(&'n Interface),
    /// Reply allowed by connection tracking (the request was allowed by `request_rule`'s side).
    SgTracked,
    /// Reply of an untracked flow: allowed because this rule allows it, not by state.
    SgUntracked(&'n SgRule),
    /// A NACL entry matched (allow or deny).
    Nacl(&'n NaclEntry),
    /// No NACL entry matched: the `*` rule denies (32767 IPv4, 32768 IPv6).
    NaclDefault(&'n NetworkAcl, u16),
    /// A route matched.
    Route(&'n RouteTable, &'n Route),
    /// No route matches the destination.
    NoRoute(&'n RouteTable),
    /// Not evaluated.
    Skipped(Skip),
    /// Cannot be decided from the dump.
    Unknown(Missing<'n>),
}

/// Pass, block, unknown or skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The step lets the packet through.
    Pass,
    /// The step drops the packet.
    Block,
    /// Cannot be decided.
    Unknown,
    /// Not applicable.
    Skipped,
}

impl Decision<'_> {
    /// Pass, block, unknown or skipped.
    #[must_use]
    pub fn outcome(&self) -> Outcome {
        match self {
            Decision::SgAllow(_) | Decision::SgTracked | Decision::SgUntracked(_) => Outcome::Pass,
            Decision::Nacl(e) => match e.action {
                RuleAction::Allow => Outcome::Pass,
                RuleAction::Deny => Outcome::Block,
            },
            Decision::Route(_, r) => {
                if r.state == "blackhole" {
                    Outcome::Block
                } else {
                    Outcome::Pass
                }
            }
            Decision::SgNoMatch(_) | Decision::NaclDefault(..) | Decision::NoRoute(_) => {
                Outcome::Block
            }
            Decision::Skipped(_) => Outcome::Skipped,
            Decision::Unknown(_) => Outcome::Unknown,
        }
    }
}

/// ALLOW, DENY, or UNKNOWN (nothing blocks, but a step cannot be decided from the dump).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every step passes.
    Allow,
    /// At least one step blocks.
    Deny,
    /// Nothing blocks, but at least one step cannot be decided.
    Unknown,
}

impl Verdict {
    /// `ALLOW`, `DENY` or `UNKNOWN`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "ALLOW",
            Verdict::Deny => "DENY",
            Verdict::Unknown => "UNKNOWN",
        }
    }
}

/// The result of evaluating one [`Query`]: a value holding references into the [`Network`].
#[derive(Debug, Clone, Copy)]
pub struct Evaluation<'n> {
    /// The query.
    pub query: Query,
    /// The initiator.
    pub src: Endpoint<'n>,
    /// The responder.
    pub dst: Endpoint<'n>,
    /// One decision per [`StepKind`], in [`StepKind::ALL`] order.
    pub steps: [Decision<'n>; 9],
    /// The request was allowed by an untracked rule pair (section 2.6).
    pub untracked: bool,
}

impl<'n> Evaluation<'n> {
    /// The overall verdict.
    #[must_use]
    pub fn verdict(&self) -> Verdict {
        let mut unknown = false;
        for s in &self.steps {
            match s.outcome() {
                Outcome::Block => return Verdict::Deny,
                Outcome::Unknown => unknown = true,
                _ => {}
            }
        }
        if unknown {
            Verdict::Unknown
        } else {
            Verdict::Allow
        }
    }

    /// The decision for one step.
    #[must_use]
    pub fn step(&self, k: StepKind) -> &Decision<'n> {
        let i = StepKind::ALL.iter().position(|x| *x == k).unwrap_or(0);
        &self.steps[i]
    }

    /// The first blocking step, in path order.
    #[must_use]
    pub fn first_blocker(&self) -> Option<(StepKind, &Decision<'n>)> {
        self.blockers().next()
    }

    /// Every blocking step.
    pub fn blockers(&self) -> impl Iterator<Item = (StepKind, &Decision<'n>)> + '_ {
        StepKind::ALL
            .iter()
            .copied()
            .zip(self.steps.iter())
            .filter(|(_, d)| d.outcome() == Outcome::Block)
    }
}

/// Compiled rules of one security group direction.
#[derive(Debug, Clone, Default)]
struct SgDirIndex {
    matcher: Matcher,
    /// Rules whose peer cannot be expanded (missing prefix list / group).
    unresolved: Vec<u32>,
    /// Rules allowing all ports to 0.0.0.0/0 or ::/0 (for the untracked test).
    world_all: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
struct SgIndex {
    ingress: SgDirIndex,
    egress: SgDirIndex,
}

#[derive(Debug, Clone, Default)]
struct AclIndex {
    ingress: Matcher,
    egress: Matcher,
}

/// A compiled configuration. Build once with [`Network::compile`], then evaluate many flows.
#[derive(Debug, Clone)]
pub struct Network {
    dump: Dump,
    eni_by_addr: HashMap<IpAddr, u32, foldhash::fast::RandomState>,
    eni_by_id: HashMap<String, u32>,
    group_by_id: HashMap<String, u32>,
    sg: Vec<SgIndex>,
    /// Per ENI: its groups (indices), or the first missing group id.
    eni_groups: Vec<Result<Vec<u32>, String>>,
    eni_subnet: Vec<Option<u32>>,
    subnet_by_id: HashMap<String, u32>,
    subnets: Matcher,
    subnet_acl: Vec<Option<u32>>,
    acl: Vec<AclIndex>,
    subnet_routes: Vec<Option<u32>>,
    routes: Vec<Matcher>,
    notes: Vec<String>,
}

fn full(spec: PortSpec) -> Option<(u16, u16)> {
    spec.key_range()
}

/// The index of the item a subnet is explicitly associated with, else of its VPC's default
/// (NACLs: the default ACL; route tables: the main table).
fn associated<T>(
    items: &[T],
    explicit: impl Fn(&T) -> bool,
    default: impl Fn(&T) -> bool,
) -> Option<u32> {
    items
        .iter()
        .position(explicit)
        .or_else(|| items.iter().position(default))
        .map(|i| i as u32)
}

impl Network {
    /// Compiles the dump: resolves security-group references through interface membership,
    /// expands prefix lists, associates subnets with NACLs and route tables, builds the indexes.
    #[must_use]
    pub fn compile(dump: Dump) -> Network {
        let mut notes = dump.warnings.clone();
        let mut eni_by_addr = HashMap::with_hasher(foldhash::fast::RandomState::default());
        let mut eni_by_id = HashMap::new();
        for (i, e) in dump.interfaces.iter().enumerate() {
            eni_by_id.insert(e.id.clone(), i as u32);
            for a in &e.addresses {
                if let Some(prev) = eni_by_addr.insert(*a, i as u32) {
                    notes.push(format!(
                        "address {a} is on both {} and {} (different VPCs?): {} is used",
                        dump.interfaces[prev as usize].id, e.id, e.id
                    ));
                }
            }
        }
        let group_by_id: HashMap<String, u32> = dump
            .security_groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.clone(), i as u32))
            .collect();
        // Members of each group: all private addresses of the ENIs that carry it.
        let mut members: HashMap<&str, Vec<IpAddr>> = HashMap::new();
        for e in &dump.interfaces {
            for g in &e.groups {
                members.entry(g.as_str()).or_default().extend(&e.addresses);
            }
        }
        let pls: HashMap<&str, &Option<Vec<IpNet>>> = dump
            .prefix_lists
            .iter()
            .map(|p| (p.id.as_str(), &p.entries))
            .collect();
        let have_enis = !dump.interfaces.is_empty();
        let build_dir = |rules: &[SgRule]| -> SgDirIndex {
            let mut conds = Vec::new();
            let mut unresolved = Vec::new();
            let mut world_all = Vec::new();
            for (i, r) in rules.iter().enumerate() {
                let Some((lo, hi)) = full(r.ports) else {
                    continue;
                };
                let id = i as u32;
                let mut push = |net: IpNet| {
                    conds.push(Cond {
                        net,
                        proto: r.protocol,
                        lo,
                        hi,
                        id,
                    });
                };
                match &r.peer {
                    Peer::Cidr(n) => {
                        push(*n);
                        if n.prefix_len() == 0 && lo == 0 && hi == u16::MAX {
                            world_all.push(id);
                        }
                    }
                    Peer::PrefixList(p) => match pls.get(p.as_str()) {
                        Some(Some(entries)) => entries.iter().for_each(|n| push(*n)),
                        _ => unresolved.push(id),
                    },
                    Peer::Group(g) => {
                        if !group_by_id.contains_key(g) && !members.contains_key(g.as_str())
                            || !have_enis
                        {
                            unresolved.push(id);
                        } else if let Some(addrs) = members.get(g.as_str()) {
                            addrs.iter().for_each(|a| push(IpNet::from(*a)));
                        }
                    }
                }
            }
            SgDirIndex {
                matcher: Matcher::build(&conds),
                unresolved,
                world_all,
            }
        };
        let sg: Vec<SgIndex> = dump
            .security_groups
            .iter()
            .map(|g| SgIndex {
                ingress: build_dir(&g.ingress),
                egress: build_dir(&g.egress),
            })
            .collect();
        let subnet_by_id: HashMap<String, u32> = dump
            .subnets
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i as u32))
            .collect();
        // Subnet lookup: longest prefix first.
        let mut sconds: Vec<Cond> = dump
            .subnets
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                s.cidrs.iter().map(move |n| Cond {
                    net: *n,
                    proto: None,
                    lo: 0,
                    hi: u16::MAX,
                    id: i as u32,
                })
            })
            .collect();
        sconds.sort_by_key(|c| std::cmp::Reverse(c.net.prefix_len()));
        let subnets = Matcher::build(&sconds);
        let eni_groups = dump
            .interfaces
            .iter()
            .map(|e| {
                e.groups
                    .iter()
                    .map(|g| group_by_id.get(g).copied().ok_or_else(|| g.clone()))
                    .collect::<Result<Vec<u32>, String>>()
            })
            .collect();
        let eni_subnet = dump
            .interfaces
            .iter()
            .map(|e| {
                e.subnet_id
                    .as_ref()
                    .and_then(|s| subnet_by_id.get(s).copied())
            })
            .collect();
        let acl: Vec<AclIndex> = dump
            .network_acls
            .iter()
            .map(|a| {
                let build = |d: Direction| {
                    let mut idx: Vec<usize> = (0..a.entries.len())
                        .filter(|&i| a.entries[i].direction == d)
                        .collect();
                    idx.sort_by_key(|&i| a.entries[i].number);
                    let conds: Vec<Cond> = idx
                        .into_iter()
                        .filter_map(|i| {
                            let e = &a.entries[i];
                            let (lo, hi) = full(e.ports)?;
                            Some(Cond {
                                net: e.cidr,
                                proto: e.protocol,
                                lo,
                                hi,
                                id: i as u32,
                            })
                        })
                        .collect();
                    Matcher::build(&conds)
                };
                AclIndex {
                    ingress: build(Direction::Ingress),
                    egress: build(Direction::Egress),
                }
            })
            .collect();
        let subnet_acl = dump
            .subnets
            .iter()
            .map(|s| {
                associated(
                    &dump.network_acls,
                    |a| a.subnets.contains(&s.id),
                    |a| a.is_default && a.vpc_id == s.vpc_id,
                )
            })
            .collect();
        let subnet_routes = dump
            .subnets
            .iter()
            .map(|s| {
                associated(
                    &dump.route_tables,
                    |t| t.subnets.contains(&s.id),
                    |t| t.main && t.vpc_id == s.vpc_id,
                )
            })
            .collect();
        let routes = dump
            .route_tables
            .iter()
            .map(|t| {
                let mut conds = Vec::new();
                for (i, r) in t.routes.iter().enumerate() {
                    let nets: Vec<IpNet> = match &r.dest {
                        RouteDest::Cidr(n) => vec![*n],
                        RouteDest::PrefixList(p) => pls
                            .get(p.as_str())
                            .and_then(|e| e.as_ref().cloned())
                            .unwrap_or_default(),
                    };
                    for n in nets {
                        conds.push(Cond {
                            net: n,
                            proto: None,
                            lo: 0,
                            hi: u16::MAX,
                            id: i as u32,
                        });
                    }
                }
                conds.sort_by_key(|c| std::cmp::Reverse(c.net.prefix_len()));
                Matcher::build(&conds)
            })
            .collect();
        Network {
            eni_by_addr,
            eni_by_id,
            group_by_id,
            sg,
            eni_groups,
            eni_subnet,
            subnet_by_id,
            subnets,
            subnet_acl,
            acl,
            subnet_routes,
            routes,
            notes,
            dump,
        }
    }

    /// The loaded configuration.
    #[must_use]
    pub fn dump(&self) -> &Dump {
        &self.dump
    }

    /// Warnings from loading and compiling (impossible rules, duplicate addresses).
    #[must_use]
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Number of compiled conditions (rules after expanding references and prefix lists).
    #[must_use]
    pub fn compiled_conditions(&self) -> usize {
        self.sg
            .iter()
            .map(|s| s.ingress.matcher.len() + s.egress.matcher.len())
            .sum::<usize>()
            + self
                .acl
                .iter()
                .map(|a| a.ingress.len() + a.egress.len())
                .sum::<usize>()
    }

    /// The interface with this id.
    #[must_use]
    pub fn interface(&self, id: &str) -> Option<&Interface> {
        self.eni_by_id
            .get(id)
            .map(|&i| &self.dump.interfaces[i as usize])
    }

    /// The security group with this id.
    #[must_use]
    pub fn group(&self, id: &str) -> Option<&SecurityGroup> {
        self.group_by_id
            .get(id)
            .map(|&i| &self.dump.security_groups[i as usize])
    }

    /// Where `addr` sits in the dump.
    #[must_use]
    pub fn endpoint(&self, addr: IpAddr) -> Endpoint<'_> {
        if let Some(&i) = self.eni_by_addr.get(&addr) {
            let e = &self.dump.interfaces[i as usize];
            let s = self.eni_subnet[i as usize].map(|s| &self.dump.subnets[s as usize]);
            return Endpoint::Eni(e, s);
        }
        match self.subnets.first(addr, 0, 0) {
            Some(s) => Endpoint::UnknownEni(&self.dump.subnets[s as usize]),
            None => Endpoint::External,
        }
    }

    /// The NACL that applies to a subnet (explicit association, else the VPC default).
    #[must_use]
    pub fn subnet_acl(&self, subnet: &Subnet) -> Option<&NetworkAcl> {
        let i = *self.subnet_by_id.get(&subnet.id)?;
        self.subnet_acl[i as usize].map(|a| &self.dump.network_acls[a as usize])
    }

    fn endpoint_on(&self, addr: IpAddr, interface_id: Option<&str>) -> Endpoint<'_> {
        if let Some(&i) = interface_id.and_then(|id| self.eni_by_id.get(id)) {
            let e = &self.dump.interfaces[i as usize];
            if e.addresses.contains(&addr) {
                let s = self.eni_subnet[i as usize].map(|s| &self.dump.subnets[s as usize]);
                return Endpoint::Eni(e, s);
            }
        }
        self.endpoint(addr)
    }

    /// Evaluates a flow.
    #[must_use]
    pub fn evaluate(&self, q: &Query) -> Evaluation<'_> {
        self.evaluate_on(q, None)
    }

    /// Evaluates a flow, using `interface_id` (a flow-log record's `interface-id`) to pick the
    /// interface for whichever end holds that interface's address (addresses may repeat across
    /// VPCs).
    #[must_use]
    pub fn evaluate_on<'n>(&'n self, q: &Query, interface_id: Option<&str>) -> Evaluation<'n> {
        let src = self.endpoint_on(q.src, interface_id);
        let dst = self.endpoint_on(q.dst, interface_id);
        let key = q.key();
        let reply_key = q.reply_key();
        let same_subnet = match (src.subnet(), dst.subnet()) {
            (Some(a), Some(b)) => std::ptr::eq(a, b) || a.id == b.id,
            _ => false,
        };
        let skip = Decision::Skipped;
        let nacl = |ep: &Endpoint<'n>, dir: Direction, peer: IpAddr, key: u16| -> Decision<'n> {
            if same_subnet {
                return skip(Skip::SameSubnet);
            }
            self.nacl_decide(ep, dir, peer, q.proto, key)
        };
        let src_sg_out = self.sg_decide(&src, Direction::Egress, q.dst, q.proto, key);
        let src_nacl_out = nacl(&src, Direction::Egress, q.dst, key);
        let route = self.route_decide(&src, q.dst);
        let dst_nacl_in = nacl(&dst, Direction::Ingress, q.src, key);
        let dst_sg_in = self.sg_decide(&dst, Direction::Ingress, q.src, q.proto, key);
        // Each end's untracked rule is looked up once: for `untracked` and for its reply step.
        let dst_untracked = self.untracked_rule(q, &dst_sg_in, &dst, Direction::Egress);
        let src_untracked = self.untracked_rule(q, &src_sg_out, &src, Direction::Ingress);
        let untracked = dst_untracked.is_some() || src_untracked.is_some();
        let (r1, r2, r3, r4) = match reply_key {
            None => (
                skip(Skip::NoReply),
                skip(Skip::NoReply),
                skip(Skip::NoReply),
                skip(Skip::NoReply),
            ),
            Some(rk) => (
                reply_sg(&dst, dst_untracked),
                nacl(&dst, Direction::Egress, q.src, rk),
                nacl(&src, Direction::Ingress, q.dst, rk),
                reply_sg(&src, src_untracked),
            ),
        };
        Evaluation {
            query: *q,
            src,
            dst,
            steps: [
                src_sg_out,
                src_nacl_out,
                route,
                dst_nacl_in,
                dst_sg_in,
                r1,
                r2,
                r3,
                r4,
            ],
            untracked,
        }
    }

    pub(crate) fn sg_decide<'n>(
        &'n self,
        ep: &Endpoint<'n>,
        dir: Direction,
        peer: IpAddr,
        proto: u8,
        key: u16,
    ) -> Decision<'n> {
        let (eni_i, eni) = match ep {
            Endpoint::External => return Decision::Skipped(Skip::OutsideDump),
            Endpoint::UnknownEni(_) => return Decision::Unknown(Missing::Interface),
            Endpoint::Eni(e, _) => match index_of(&self.dump.interfaces, e) {
                Some(i) => (i, *e),
                None => return Decision::Unknown(Missing::Interface),
            },
        };
        let groups = match &self.eni_groups[eni_i] {
            Ok(g) => g,
            Err(missing) => {
                let id = eni
                    .groups
                    .iter()
                    .find(|g| *g == missing)
                    .map_or("", String::as_str);
                return Decision::Unknown(Missing::InterfaceGroup(id));
            }
        };
        let mut unknown = None;
        for &g in groups {
            let sg = &self.dump.security_groups[g as usize];
            let (idx, rules) = match dir {
                Direction::Ingress => (&self.sg[g as usize].ingress, &sg.ingress),
                Direction::Egress => (&self.sg[g as usize].egress, &sg.egress),
            };
            if let Some(r) = idx.matcher.first(peer, proto, key) {
                return Decision::SgAllow(&rules[r as usize]);
            }
            if unknown.is_none() {
                for &u in &idx.unresolved {
                    let r = &rules[u as usize];
                    if rule_matches_proto_key(r.protocol, r.ports, proto, key) {
                        unknown = Some(match r.peer {
                            Peer::PrefixList(_) => Missing::PrefixList(r),
                            _ => Missing::Group(r),
                        });
                        break;
                    }
                }
            }
        }
        match unknown {
            Some(m) => Decision::Unknown(m),
            None => Decision::SgNoMatch(eni),
        }
    }

    pub(crate) fn nacl_decide<'n>(
        &'n self,
        ep: &Endpoint<'n>,
        dir: Direction,
        peer: IpAddr,
        proto: u8,
        key: u16,
    ) -> Decision<'n> {
        let Some(subnet) = ep.subnet() else {
            return Decision::Skipped(Skip::OutsideDump);
        };
        let Some(si) = index_of(&self.dump.subnets, subnet) else {
            return Decision::Unknown(Missing::Nacl(subnet));
        };
        let Some(ai) = self.subnet_acl[si] else {
            return Decision::Unknown(Missing::Nacl(subnet));
        };
        let acl = &self.dump.network_acls[ai as usize];
        let m = match dir {
            Direction::Ingress => &self.acl[ai as usize].ingress,
            Direction::Egress => &self.acl[ai as usize].egress,
        };
        match m.first(peer, proto, key) {
            Some(e) => Decision::Nacl(&acl.entries[e as usize]),
            None => Decision::NaclDefault(acl, if peer.is_ipv4() { 32767 } else { 32768 }),
        }
    }

    fn route_decide<'n>(&'n self, src: &Endpoint<'n>, dst: IpAddr) -> Decision<'n> {
        let Some(subnet) = src.subnet() else {
            return Decision::Skipped(Skip::OutsideDump);
        };
        if self.dump.route_tables.is_empty() {
            return Decision::Skipped(Skip::NoRouteTables);
        }
        let table = index_of(&self.dump.subnets, subnet).and_then(|i| self.subnet_routes[i]);
        let Some(t) = table else {
            return Decision::Skipped(Skip::NoRouteTables);
        };
        let rt = &self.dump.route_tables[t as usize];
        match self.routes[t as usize].first(dst, 0, 0) {
            Some(r) => Decision::Route(rt, &rt.routes[r as usize]),
            None => Decision::NoRoute(rt),
        }
    }

    /// The rule that makes the flow untracked at `ep`: the request was allowed by a TCP/UDP
    /// rule for 0.0.0.0/0 or ::/0 and the other direction allows all ports to 0.0.0.0/0 / ::/0.
    fn untracked_rule<'n>(
        &'n self,
        q: &Query,
        request: &Decision<'_>,
        ep: &Endpoint<'_>,
        other: Direction,
    ) -> Option<&'n SgRule> {
        if q.proto != proto::TCP && q.proto != proto::UDP {
            return None;
        }
        let Decision::SgAllow(rule) = request else {
            return None;
        };
        if !matches!(rule.peer, Peer::Cidr(n) if n.prefix_len() == 0) {
            return None;
        }
        let eni = ep.interface()?;
        let i = index_of(&self.dump.interfaces, eni)?;
        let groups = self.eni_groups[i].as_ref().ok()?;
        let family_v4 = q.src.is_ipv4();
        for &g in groups {
            let sg = &self.dump.security_groups[g as usize];
            let (idx, rules) = match other {
                Direction::Ingress => (&self.sg[g as usize].ingress, &sg.ingress),
                Direction::Egress => (&self.sg[g as usize].egress, &sg.egress),
            };
            for &w in &idx.world_all {
                let r = &rules[w as usize];
                let fam_ok = matches!(r.peer, Peer::Cidr(n) if n.addr().is_ipv4() == family_v4);
                if fam_ok && r.protocol.is_none_or(|p| p == q.proto) {
                    return Some(r);
                }
            }
        }
        None
    }
}

/// The reply's security-group step at `ep`: tracked, or allowed by `untracked` (the rule
/// [`Network::untracked_rule`] found for that end).
fn reply_sg<'n>(ep: &Endpoint<'n>, untracked: Option<&'n SgRule>) -> Decision<'n> {
    match ep {
        Endpoint::External => Decision::Skipped(Skip::OutsideDump),
        Endpoint::UnknownEni(_) => Decision::Unknown(Missing::Interface),
        Endpoint::Eni(..) => match untracked {
            Some(r) => Decision::SgUntracked(r),
            None => Decision::SgTracked,
        },
    }
}

/// The position of `item` in `slice`, if it is an element of it (by address: O(1)).
fn index_of<T>(slice: &[T], item: &T) -> Option<usize> {
    let size = std::mem::size_of::<T>().max(1);
    let off = (item as *const T as usize).checked_sub(slice.as_ptr() as usize)?;
    // A misaligned `item` cannot be `&slice[i]`: the identity test alone decides.
    slice
        .get(off / size)
        .filter(|x| std::ptr::eq(*x, item))
        .map(|_| off / size)
}

/// Whether a rule's protocol and port spec cover (proto, key). Used for unresolved rules.
pub(crate) fn rule_matches_proto_key(rp: Option<u8>, ports: PortSpec, proto: u8, key: u16) -> bool {
    match rp {
        None => true,
        Some(p) if p != proto => false,
        Some(_) => ports
            .key_range()
            .is_some_and(|(lo, hi)| lo <= key && key <= hi),
    }
}
