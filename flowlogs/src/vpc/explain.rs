//! Owned, serialisable explanations built from an [`Evaluation`] (the stable JSON document of
//! `flowsleuth explain --json`), and their text form.
//!
//! Blocking steps carry AWS Reachability Analyzer explanation codes where the meaning matches
//! (`ENI_SG_RULES_MISMATCH`, `SUBNET_ACL_RESTRICTION`, `CANNOT_ROUTE`, `BAD_STATE_ROUTE`);
//! steps the dump cannot decide and notes use our own codes (see `flowlogs/VPC.md`).

use std::fmt;

use serde::Serialize;

use super::eval::{Decision, Endpoint, Evaluation, Missing, Outcome, Skip, StepKind, Verdict};
use super::model::{proto, protocol_name, Direction, Peer, RouteDest};
use super::Network;

/// The rule a step names.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RuleRef {
    /// A security-group rule.
    SecurityGroup {
        /// `sg-…`.
        group_id: String,
        /// `ingress` / `egress`.
        direction: &'static str,
        /// `tcp`, `udp`, `icmp`, `icmpv6`, a number, or `all`.
        protocol: String,
        /// Ports or ICMP type/code, as text.
        ports: String,
        /// CIDR, `sg-…` or `pl-…`.
        peer: String,
        /// The rule text.
        text: String,
        /// File and JSON path.
        source: String,
    },
    /// A network ACL entry (or the `*` default).
    NetworkAcl {
        /// `acl-…`.
        acl_id: String,
        /// Rule number (`*` = 32767 IPv4, 32768 IPv6, as AWS prints them).
        rule_number: u16,
        /// Whether it is the `*` rule.
        default_rule: bool,
        /// `inbound` / `outbound`.
        direction: &'static str,
        /// `allow` / `deny`.
        action: &'static str,
        /// Protocol.
        protocol: String,
        /// Ports or ICMP type/code.
        ports: String,
        /// CIDR.
        cidr: String,
        /// The rule text.
        text: String,
        /// File and JSON path (absent for an implicit `*`).
        source: Option<String>,
    },
    /// A route.
    Route {
        /// `rtb-…`.
        route_table_id: String,
        /// Destination CIDR or prefix list.
        destination: String,
        /// `local`, `igw-…`, ...
        target: String,
        /// `active` / `blackhole`.
        state: String,
    },
}

/// A code with a sentence.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ExplanationNote {
    /// Stable code.
    pub code: &'static str,
    /// Human text.
    pub text: String,
}

/// One step of the path.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ExplanationStep {
    /// 1-based position.
    pub seq: u32,
    /// Stable step name (`source-sg-egress`, ...).
    pub step: &'static str,
    /// `forward` or `return`.
    pub path: &'static str,
    /// The component: interface and groups, NACL id, or route table id.
    pub component: Option<String>,
    /// Security-group ids involved (security-group steps).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// `pass`, `block`, `unknown`, `skipped`.
    pub outcome: &'static str,
    /// Explanation code for `block` and `unknown` steps.
    pub code: Option<&'static str>,
    /// The rule that decided, if one did.
    pub rule: Option<RuleRef>,
    /// One sentence.
    pub detail: String,
}

/// One end of the flow.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EndpointRepr {
    /// The address.
    pub address: String,
    /// `eni`, `unknown-eni` (in a dumped subnet) or `external`.
    pub kind: &'static str,
    /// Interface id.
    pub interface: Option<String>,
    /// Instance id.
    pub instance: Option<String>,
    /// Subnet id.
    pub subnet: Option<String>,
    /// VPC id.
    pub vpc: Option<String>,
    /// Security groups of the interface.
    pub groups: Vec<String>,
    /// NACL of the subnet.
    pub nacl: Option<String>,
}

/// The query as given.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct QueryRepr {
    /// Protocol name or number.
    pub proto: String,
    /// Source address.
    pub src: String,
    /// Source port (ICMP: absent).
    pub src_port: Option<u16>,
    /// Destination address.
    pub dst: String,
    /// Destination port (ICMP: absent).
    pub dst_port: Option<u16>,
    /// ICMP type.
    pub icmp_type: Option<u16>,
    /// ICMP code.
    pub icmp_code: Option<u16>,
}

/// The full, owned explanation of one flow.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Explanation {
    /// `ALLOW`, `DENY` or `UNKNOWN`.
    pub verdict: &'static str,
    /// False when a step could not be decided from the dump (see `missing`).
    pub complete: bool,
    /// The query.
    pub query: QueryRepr,
    /// The initiator.
    pub source: EndpointRepr,
    /// The responder.
    pub destination: EndpointRepr,
    /// The first blocking step, if any.
    pub first_blocker: Option<&'static str>,
    /// Every blocking step (what would have to change).
    pub blockers: Vec<&'static str>,
    /// Steps, forward then return.
    pub steps: Vec<ExplanationStep>,
    /// What the dump lacks.
    pub missing: Vec<String>,
    /// Caveats: connection tracking, skipped NACLs, routing, source/dest check.
    pub notes: Vec<ExplanationNote>,
}

fn sg_ref(r: &super::model::SgRule) -> RuleRef {
    RuleRef::SecurityGroup {
        group_id: r.group_id.clone(),
        direction: r.direction.as_str(),
        protocol: r.protocol.map_or_else(|| "all".into(), protocol_name),
        ports: r.ports.to_string(),
        peer: r.peer.to_string(),
        text: r.to_string(),
        source: r.origin.clone(),
    }
}

fn endpoint_repr(net: &Network, addr: std::net::IpAddr, ep: &Endpoint<'_>) -> EndpointRepr {
    let subnet = ep.subnet();
    EndpointRepr {
        address: addr.to_string(),
        kind: match ep {
            Endpoint::Eni(..) => "eni",
            Endpoint::UnknownEni(_) => "unknown-eni",
            Endpoint::External => "external",
        },
        interface: ep.interface().map(|e| e.id.clone()),
        instance: ep.interface().and_then(|e| e.instance_id.clone()),
        subnet: subnet.map(|s| s.id.clone()),
        vpc: subnet
            .and_then(|s| s.vpc_id.clone())
            .or_else(|| ep.interface().and_then(|e| e.vpc_id.clone())),
        groups: ep.interface().map(|e| e.groups.clone()).unwrap_or_default(),
        nacl: subnet.and_then(|s| net.subnet_acl(s)).map(|a| a.id.clone()),
    }
}

impl Explanation {
    /// Builds the explanation of `eval`.
    #[must_use]
    pub fn new(net: &Network, eval: &Evaluation<'_>) -> Explanation {
        let q = &eval.query;
        let icmp = q.is_icmp();
        let mut notes: Vec<ExplanationNote> = Vec::new();
        let mut missing = Vec::new();
        let mut note = |code: &'static str, text: String| {
            if !notes.iter().any(|n| n.code == code && n.text == text) {
                notes.push(ExplanationNote { code, text });
            }
        };
        let mut steps = Vec::new();
        for (i, (kind, d)) in StepKind::ALL.iter().zip(eval.steps.iter()).enumerate() {
            let (near, far) = match kind {
                StepKind::SrcSgEgress | StepKind::SrcNaclOut | StepKind::Route => {
                    (&eval.src, q.dst)
                }
                StepKind::DstNaclIn | StepKind::DstSgIngress => (&eval.dst, q.src),
                StepKind::ReplyDstSgEgress | StepKind::ReplyDstNaclOut => (&eval.dst, q.src),
                StepKind::ReplySrcNaclIn | StepKind::ReplySrcSgIngress => (&eval.src, q.dst),
            };
            let is_sg = matches!(
                kind,
                StepKind::SrcSgEgress
                    | StepKind::DstSgIngress
                    | StepKind::ReplyDstSgEgress
                    | StepKind::ReplySrcSgIngress
            );
            let groups = if is_sg {
                near.interface()
                    .map(|e| e.groups.clone())
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            let component = if is_sg {
                near.interface()
                    .map(|e| format!("{} [{}]", e.id, e.groups.join(", ")))
            } else if *kind == StepKind::Route {
                match d {
                    Decision::Route(t, _) | Decision::NoRoute(t) => Some(t.id.clone()),
                    _ => None,
                }
            } else {
                near.subnet()
                    .and_then(|s| net.subnet_acl(s))
                    .map(|a| a.id.clone())
            };
            let port_txt = if icmp {
                if kind.is_reply() {
                    "the ICMP reply".to_string()
                } else {
                    format!("ICMP type {} code {}", q.src_port, q.dst_port)
                }
            } else if matches!(q.proto, proto::TCP | proto::UDP) {
                let p = if kind.is_reply() {
                    q.src_port
                } else {
                    q.dst_port
                };
                format!("{} port {p}", protocol_name(q.proto))
            } else {
                format!("protocol {}", protocol_name(q.proto))
            };
            let (code, rule, detail): (Option<&'static str>, Option<RuleRef>, String) = match d {
                Decision::SgAllow(r) => {
                    if let Peer::Group(g) = &r.peer {
                        note(
                            "SG_REFERENCE_RESOLVED",
                            format!(
                                "{} references {g}: matched through the private addresses \
                                 (primary, secondary, IPv6) of the interfaces in {g} in the dump",
                                r.group_id
                            ),
                        );
                    }
                    (None, Some(sg_ref(r)), format!("allowed by {r}"))
                }
                Decision::SgNoMatch(e) => (
                    Some("ENI_SG_RULES_MISMATCH"),
                    None,
                    format!(
                        "no {} rule of {} [{}] matches {far}, {port_txt}",
                        if matches!(kind, StepKind::SrcSgEgress) {
                            "egress"
                        } else {
                            "ingress"
                        },
                        e.id,
                        e.groups.join(", ")
                    ),
                ),
                Decision::SgTracked => {
                    note(
                        "TRACKED_REPLY",
                        "replies pass the security groups by connection tracking, whatever the \
                         rules in the reply direction; a tracked connection also survives a rule \
                         removal until it times out, so today's rules may differ from what \
                         decided a logged flow"
                            .into(),
                    );
                    (None, None, "reply allowed by connection tracking".into())
                }
                Decision::SgUntracked(r) => {
                    note(
                        "UNTRACKED_FLOW",
                        format!(
                            "the request matched a 0.0.0.0/0 or ::/0 rule and {} allows all \
                             traffic back: the flow is untracked, replies pass only because of \
                             that rule, and removing either rule cuts the flow at once",
                            r.group_id
                        ),
                    );
                    (
                        None,
                        Some(sg_ref(r)),
                        format!("untracked flow: reply allowed by {r}"),
                    )
                }
                Decision::Nacl(e) => {
                    let code = (e.action == super::model::RuleAction::Deny)
                        .then_some("SUBNET_ACL_RESTRICTION");
                    (
                        code,
                        Some(RuleRef::NetworkAcl {
                            acl_id: e.acl_id.clone(),
                            rule_number: e.number,
                            default_rule: e.is_default(),
                            direction: match e.direction {
                                Direction::Ingress => "inbound",
                                Direction::Egress => "outbound",
                            },
                            action: e.action.as_str(),
                            protocol: e.protocol.map_or_else(|| "all".into(), protocol_name),
                            ports: e.ports.to_string(),
                            cidr: e.cidr.to_string(),
                            text: e.to_string(),
                            source: Some(e.origin.clone()),
                        }),
                        format!(
                            "{} by {e}",
                            if code.is_some() { "denied" } else { "allowed" }
                        ),
                    )
                }
                Decision::NaclDefault(a, n) => {
                    let dir = if matches!(kind, StepKind::SrcNaclOut | StepKind::ReplyDstNaclOut) {
                        "outbound"
                    } else {
                        "inbound"
                    };
                    (
                        Some("SUBNET_ACL_RESTRICTION"),
                        Some(RuleRef::NetworkAcl {
                            acl_id: a.id.clone(),
                            rule_number: *n,
                            default_rule: true,
                            direction: dir,
                            action: "deny",
                            protocol: "all".into(),
                            ports: "all".into(),
                            cidr: if *n == 32767 { "0.0.0.0/0" } else { "::/0" }.into(),
                            text: format!("{} {dir} rule * ({n}): deny all traffic", a.id),
                            source: None,
                        }),
                        format!(
                            "no {dir} rule of {} matches {far}, {port_txt}: denied by the `*` rule ({n})",
                            a.id
                        ),
                    )
                }
                Decision::Route(t, r) => {
                    let dest = match &r.dest {
                        RouteDest::Cidr(n) => n.to_string(),
                        RouteDest::PrefixList(p) => p.clone(),
                    };
                    let blackhole = r.state == "blackhole";
                    if r.target != "local" && !blackhole {
                        note(
                            "ROUTE_NOT_SIMULATED",
                            format!(
                                "{far} is routed to {} by {}; what lies beyond (gateway, NAT, \
                                 peering, transit gateway, appliance) is not simulated",
                                r.target, t.id
                            ),
                        );
                    }
                    (
                        blackhole.then_some("BAD_STATE_ROUTE"),
                        Some(RuleRef::Route {
                            route_table_id: t.id.clone(),
                            destination: dest.clone(),
                            target: r.target.clone(),
                            state: r.state.clone(),
                        }),
                        if blackhole {
                            format!("route {dest} -> {} in {} is a blackhole", r.target, t.id)
                        } else {
                            format!("route {dest} -> {} in {}", r.target, t.id)
                        },
                    )
                }
                Decision::NoRoute(t) => (
                    Some("CANNOT_ROUTE"),
                    None,
                    format!("no route in {} matches {far}", t.id),
                ),
                Decision::Skipped(s) => {
                    let text = match s {
                        Skip::SameSubnet => {
                            note(
                                "SAME_SUBNET",
                                "both ends are in one subnet: network ACLs do not apply".into(),
                            );
                            "same subnet: network ACLs are not evaluated".to_string()
                        }
                        Skip::OutsideDump => {
                            let addr = if std::ptr::eq(near, &eval.src) {
                                q.src
                            } else {
                                q.dst
                            };
                            note(
                                "ENDPOINT_OUTSIDE_DUMP",
                                format!(
                                    "{addr} is in no subnet of the dump (internet, on-premises \
                                     or another VPC): its own controls are not evaluated"
                                ),
                            );
                            format!("{addr} is outside the dump")
                        }
                        Skip::NoReply => "no reply expected for this ICMP type".to_string(),
                        Skip::NoRouteTables => {
                            note(
                                "ROUTE_NOT_EVALUATED",
                                "no route table for the source subnet in the dump: routing \
                                 not checked"
                                    .into(),
                            );
                            "route tables not in the dump".to_string()
                        }
                    };
                    (None, None, text)
                }
                Decision::Unknown(m) => {
                    let (code, text) = match m {
                        Missing::PrefixList(r) => (
                            "PREFIX_LIST_NOT_IN_DUMP",
                            format!(
                                "{r} could match but the entries of {} are not in the dump \
                                 (add get-managed-prefix-list-entries output)",
                                r.peer
                            ),
                        ),
                        Missing::Group(r) => (
                            "SECURITY_GROUP_MEMBERS_UNKNOWN",
                            format!(
                                "{r} could match but the members of {} are unknown (group or \
                                 network interfaces not in the dump)",
                                r.peer
                            ),
                        ),
                        Missing::Interface => (
                            "ENI_NOT_IN_DUMP",
                            "no interface in the dump holds this address: its security groups \
                             are unknown"
                                .to_string(),
                        ),
                        Missing::InterfaceGroup(g) => (
                            "SECURITY_GROUP_NOT_IN_DUMP",
                            format!("the interface uses {g}, which is not in the dump"),
                        ),
                        Missing::Nacl(s) => (
                            "NACL_NOT_IN_DUMP",
                            format!("no network ACL for {} in the dump", s.id),
                        ),
                    };
                    missing.push(format!("{}: {text}", kind.as_str()));
                    (Some(code), None, text)
                }
            };
            let outcome = d.outcome();
            if outcome == Outcome::Block
                && matches!(kind, StepKind::ReplyDstNaclOut | StepKind::ReplySrcNaclIn)
                && !icmp
            {
                note(
                    "EPHEMERAL_PORTS",
                    format!(
                        "the reply goes to the client's ephemeral port {}; NACLs are stateless \
                         and must allow it (Linux 32768-60999, Windows 49152-65535, NAT gateway, \
                         ELB and Lambda 1024-65535: allow 1024-65535 and deny bad ports with \
                         lower-numbered rules)",
                        q.src_port
                    ),
                );
            }
            steps.push(ExplanationStep {
                seq: i as u32 + 1,
                step: kind.as_str(),
                path: if kind.is_reply() { "return" } else { "forward" },
                component,
                groups,
                outcome: match outcome {
                    Outcome::Pass => "pass",
                    Outcome::Block => "block",
                    Outcome::Unknown => "unknown",
                    Outcome::Skipped => "skipped",
                },
                code,
                rule,
                detail,
            });
        }
        for e in [eval.src.interface(), eval.dst.interface()]
            .into_iter()
            .flatten()
        {
            if e.source_dest_check == Some(false) {
                note(
                    "SOURCE_DEST_CHECK_DISABLED",
                    format!(
                        "{} has source/destination check disabled (a forwarding appliance): \
                         traffic it relays for other addresses is not described by this path, \
                         and security-group references do not match relayed traffic",
                        e.id
                    ),
                );
            }
        }
        let verdict = eval.verdict();
        if verdict == Verdict::Deny {
            note(
                "RULES_AS_OF_DUMP",
                "verdict from the rules in the dump; a flow logged as accepted may have been \
                 allowed by rules since changed, or by a connection tracked before the change"
                    .into(),
            );
        }
        let blockers: Vec<&'static str> = eval.blockers().map(|(k, _)| k.as_str()).collect();
        let (src_port, dst_port, icmp_type, icmp_code) = if icmp {
            (None, None, Some(q.src_port), Some(q.dst_port))
        } else if matches!(q.proto, proto::TCP | proto::UDP) {
            (Some(q.src_port), Some(q.dst_port), None, None)
        } else {
            (None, None, None, None)
        };
        Explanation {
            verdict: verdict.as_str(),
            complete: missing.is_empty(),
            query: QueryRepr {
                proto: protocol_name(q.proto),
                src: q.src.to_string(),
                src_port,
                dst: q.dst.to_string(),
                dst_port,
                icmp_type,
                icmp_code,
            },
            source: endpoint_repr(net, q.src, &eval.src),
            destination: endpoint_repr(net, q.dst, &eval.dst),
            first_blocker: blockers.first().copied(),
            blockers,
            steps,
            missing,
            notes,
        }
    }
}

impl Explanation {
    /// Writes the text form: every step; with `all_blockers` false, blocking steps after the
    /// first are listed without their detail.
    ///
    /// # Errors
    /// Whatever `w` returns.
    pub fn write_text(&self, w: &mut dyn fmt::Write, all_blockers: bool) -> fmt::Result {
        let q = &self.query;
        let ports = |a: &str, p: Option<u16>| match p {
            Some(p) if a.contains(':') => format!("[{a}]:{p}"),
            Some(p) => format!("{a}:{p}"),
            None => a.to_string(),
        };
        write!(
            w,
            "{} {} {} -> {}",
            self.verdict,
            q.proto,
            ports(&q.src, q.src_port),
            ports(&q.dst, q.dst_port)
        )?;
        if let (Some(t), Some(c)) = (q.icmp_type, q.icmp_code) {
            write!(w, " type {t} code {c}")?;
        }
        writeln!(w)?;
        for (label, ep) in [("source", &self.source), ("destination", &self.destination)] {
            write!(w, "  {label:<11} {} ({})", ep.address, ep.kind)?;
            if let Some(i) = &ep.interface {
                write!(w, " {i}")?;
            }
            if let Some(s) = &ep.subnet {
                write!(w, " {s}")?;
            }
            if let Some(n) = &ep.nacl {
                write!(w, " {n}")?;
            }
            if !ep.groups.is_empty() {
                write!(w, " [{}]", ep.groups.join(", "))?;
            }
            writeln!(w)?;
        }
        let mut shown_blocker = false;
        for s in &self.steps {
            if s.seq == 1 {
                writeln!(w, "  forward path:")?;
            }
            if s.seq == 6 {
                writeln!(w, "  return path:")?;
            }
            let mark = match s.outcome {
                "pass" => "ok     ",
                "block" => "BLOCK  ",
                "unknown" => "UNKNOWN",
                _ => "skip   ",
            };
            let code = s.code.map(|c| format!(" [{c}]")).unwrap_or_default();
            let suppressed = s.outcome == "block" && shown_blocker && !all_blockers;
            if suppressed {
                writeln!(
                    w,
                    "    {} {:<32} (also blocks; see --all-blockers)",
                    mark, s.step
                )?;
                continue;
            }
            if s.outcome == "block" {
                shown_blocker = true;
            }
            writeln!(w, "    {} {:<32} {}{code}", mark, s.step, s.detail)?;
            if let Some(
                RuleRef::SecurityGroup { source, .. }
                | RuleRef::NetworkAcl {
                    source: Some(source),
                    ..
                },
            ) = &s.rule
            {
                writeln!(w, "    {:<40} from {source}", "")?;
            }
        }
        for m in &self.missing {
            writeln!(w, "  missing: {m}")?;
        }
        for n in &self.notes {
            writeln!(w, "  note {}: {}", n.code, n.text)?;
        }
        Ok(())
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_text(f, true)
    }
}
