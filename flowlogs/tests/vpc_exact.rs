//! Property test: the deciding rule itself (not only the outcome) against a reference written
//! here from the documented semantics. Security groups: the first allowing rule in the
//! interface's group order, then rule order; else the first unresolved rule (missing prefix
//! list entries, unknown group) that could match; else no match. NACLs: the lowest-numbered
//! matching entry. Untracked replies: the first all-ports 0.0.0.0/0 (::/0) rule of the other
//! direction, in group order. Rules are compared by identity (address), so a faster index must
//! pick exactly the same rule, not merely one with the same outcome.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::net::IpAddr;

use flowlogs::vpc::{
    Decision, Direction, Dump, Interface, Missing, NaclEntry, Network, NetworkAcl, Peer, PortSpec,
    PrefixList, Query, RuleAction, SecurityGroup, SgRule, Subnet,
};
use ipnet::IpNet;
use proptest::prelude::*;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Clone>(&mut self, v: &[T]) -> T {
        v[self.below(v.len())].clone()
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
}

const PORTS: &[u16] = &[0, 22, 80, 443, 1023, 1024, 8080, 32768, 50000, 65535];
const GROUPS: usize = 6;

fn a(s: &str) -> IpAddr {
    s.parse().unwrap()
}
fn n(s: &str) -> IpNet {
    s.parse().unwrap()
}

fn rand_cidr(r: &mut Rng) -> IpNet {
    let s = r.below(3);
    let h = 10 + r.below(8);
    n(&r.pick(&[
        "0.0.0.0/0".to_string(),
        "::/0".to_string(),
        "10.0.0.0/16".to_string(),
        format!("10.0.{s}.0/24"),
        format!("10.0.{s}.{h}/32"),
        "10.0.0.0/23".to_string(),
        "198.51.100.0/24".to_string(),
        "2600:1f18::/48".to_string(),
        format!("2600:1f18:0:{s}::/64"),
    ]))
}

fn rand_spec(r: &mut Rng) -> (Option<u8>, PortSpec) {
    match r.below(9) {
        0 => (None, PortSpec::All),
        1 => (Some(6), PortSpec::All),
        2 => (Some(17), PortSpec::Range(0, 65535)),
        3 => (
            Some(1),
            PortSpec::Icmp(r.pick(&[None, Some(8), Some(3)]), None),
        ),
        4 => (Some(1), PortSpec::Icmp(Some(8), Some(0))),
        5 => (Some(1), PortSpec::Nothing),
        6 => (Some(47), PortSpec::All),
        _ => {
            let lo = r.pick(PORTS);
            let hi = lo.saturating_add(r.pick(&[0, 0, 1, 1000, 40000]));
            (Some(r.pick(&[6, 17])), PortSpec::Range(lo, hi))
        }
    }
}

fn gen_dump(seed: u64) -> Dump {
    let mut r = Rng(seed | 1);
    let mut d = Dump::default();
    d.prefix_lists.push(PrefixList {
        id: "pl-full".into(),
        name: None,
        entries: Some(vec![n("10.0.1.0/24"), n("198.51.100.0/25")]),
    });
    d.prefix_lists.push(PrefixList {
        id: "pl-empty".into(),
        name: None,
        entries: None,
    });
    for g in 0..GROUPS {
        let mut sg = SecurityGroup {
            id: format!("sg-{g}"),
            name: format!("g{g}"),
            vpc_id: Some("vpc-1".into()),
            ingress: Vec::new(),
            egress: Vec::new(),
        };
        for dir in [Direction::Ingress, Direction::Egress] {
            for _ in 0..r.below(8) {
                let (protocol, ports) = rand_spec(&mut r);
                let peer = match r.below(10) {
                    0 => Peer::Group(format!("sg-{}", r.below(GROUPS))),
                    1 => Peer::Group("sg-elsewhere".into()),
                    2 => Peer::PrefixList(r.pick(&["pl-full", "pl-empty", "pl-gone"]).into()),
                    _ => Peer::Cidr(rand_cidr(&mut r)),
                };
                let rule = SgRule {
                    group_id: sg.id.clone(),
                    direction: dir,
                    protocol,
                    ports,
                    peer,
                    description: None,
                    origin: "gen".into(),
                };
                match dir {
                    Direction::Ingress => sg.ingress.push(rule),
                    Direction::Egress => sg.egress.push(rule),
                }
            }
        }
        d.security_groups.push(sg);
    }
    for s in 0..3 {
        d.subnets.push(Subnet {
            id: format!("subnet-{s}"),
            vpc_id: Some("vpc-1".into()),
            cidrs: vec![
                n(&format!("10.0.{s}.0/24")),
                n(&format!("2600:1f18:0:{s}::/64")),
            ],
        });
        let mut entries = Vec::new();
        let mut numbers: Vec<u16> = (1..=30).map(|x| x * 10).collect();
        for _ in 0..r.below(10) {
            let number = numbers.swap_remove(r.below(numbers.len()));
            let (protocol, ports) = rand_spec(&mut r);
            entries.push(NaclEntry {
                acl_id: format!("acl-{s}"),
                number,
                direction: if r.chance(50) {
                    Direction::Ingress
                } else {
                    Direction::Egress
                },
                action: if r.chance(60) {
                    RuleAction::Allow
                } else {
                    RuleAction::Deny
                },
                protocol,
                ports,
                cidr: rand_cidr(&mut r),
                origin: "gen".into(),
            });
        }
        d.network_acls.push(NetworkAcl {
            id: format!("acl-{s}"),
            vpc_id: Some("vpc-1".into()),
            is_default: false,
            subnets: vec![format!("subnet-{s}")],
            entries,
        });
    }
    for i in 0..8 {
        let s = i % 3;
        let mut addresses = vec![a(&format!("10.0.{s}.{}", 10 + i))];
        if i % 2 == 0 {
            addresses.push(a(&format!("2600:1f18:0:{s}::{}", 10 + i)));
        }
        let mut groups: Vec<String> = Vec::new();
        for _ in 0..1 + r.below(4) {
            let g = if r.chance(5) {
                "sg-missing".to_string()
            } else {
                format!("sg-{}", r.below(GROUPS))
            };
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        d.interfaces.push(Interface {
            id: format!("eni-{i}"),
            subnet_id: Some(format!("subnet-{s}")),
            vpc_id: Some("vpc-1".into()),
            groups,
            addresses,
            interface_type: None,
            instance_id: None,
            source_dest_check: None,
            origin: "gen".into(),
        });
    }
    d
}

fn gen_query(r: &mut Rng, d: &Dump) -> Query {
    let v6 = r.chance(25);
    let mut pool: Vec<IpAddr> = d
        .interfaces
        .iter()
        .flat_map(|e| e.addresses.iter().copied())
        .filter(|x| x.is_ipv6() == v6)
        .collect();
    pool.extend(if v6 {
        vec![a("2001:db8::7"), a("2600:1f18:0:1::99")]
    } else {
        vec![a("198.51.100.7"), a("198.51.100.200"), a("10.0.1.99")]
    });
    let (src, dst) = (r.pick(&pool), r.pick(&pool));
    match r.below(6) {
        0 | 1 => Query::new(6, src, r.pick(PORTS), dst, r.pick(PORTS)),
        2 => Query::new(17, src, r.pick(PORTS), dst, r.pick(PORTS)),
        3 => Query::icmp(src, dst, r.pick(&[0, 3, 8]), r.pick(&[0, 4])),
        _ => Query::new(47, src, 0, dst, 0),
    }
}

// ------------------------------------------------------------------ the reference

fn key(q: &Query) -> u16 {
    match q.proto {
        6 | 17 => q.dst_port,
        1 | 58 => ((q.src_port & 0xff) << 8) | (q.dst_port & 0xff),
        _ => 0,
    }
}

fn proto_key_ok(proto: Option<u8>, ports: PortSpec, q: &Query, k: u16) -> bool {
    let Some((lo, hi)) = ports.key_range() else {
        return false;
    };
    match proto {
        None => true,
        Some(p) => p == q.proto && lo <= k && k <= hi,
    }
}

fn eni_of(d: &Dump, x: IpAddr) -> Option<&Interface> {
    d.interfaces.iter().rev().find(|e| e.addresses.contains(&x))
}

/// `Some(true/false)`: the peer is (not) matched; `None`: cannot be resolved from the dump.
fn peer_ok(d: &Dump, peer: &Peer, x: IpAddr) -> Option<bool> {
    match peer {
        Peer::Cidr(c) => Some(c.contains(&x)),
        Peer::PrefixList(p) => d
            .prefix_lists
            .iter()
            .find(|l| &l.id == p)
            .and_then(|l| l.entries.as_ref())
            .map(|e| e.iter().any(|c| c.contains(&x))),
        Peer::Group(g) => {
            let members: Vec<&Interface> = d
                .interfaces
                .iter()
                .filter(|e| e.groups.contains(g))
                .collect();
            let known = d.security_groups.iter().any(|s| &s.id == g) || !members.is_empty();
            (known && !d.interfaces.is_empty())
                .then(|| members.iter().any(|e| e.addresses.contains(&x)))
        }
    }
}

fn rules(sg: &SecurityGroup, dir: Direction) -> &[SgRule] {
    match dir {
        Direction::Ingress => &sg.ingress,
        Direction::Egress => &sg.egress,
    }
}

fn groups<'d>(d: &'d Dump, e: &Interface) -> Result<Vec<&'d SecurityGroup>, String> {
    e.groups
        .iter()
        .map(|g| {
            d.security_groups
                .iter()
                .find(|s| &s.id == g)
                .ok_or_else(|| g.clone())
        })
        .collect()
}

/// Expected security-group decision, as a comparable string naming the rule by address.
fn ref_sg(d: &Dump, e: &Interface, dir: Direction, peer: IpAddr, q: &Query) -> String {
    let gs = match groups(d, e) {
        Ok(gs) => gs,
        Err(g) => return format!("unknown-interface-group {g}"),
    };
    let k = key(q);
    let mut unknown = None;
    for sg in gs {
        for r in rules(sg, dir) {
            if !proto_key_ok(r.protocol, r.ports, q, k) {
                continue;
            }
            match peer_ok(d, &r.peer, peer) {
                Some(true) => return format!("allow {:p}", r),
                Some(false) => {}
                None => {
                    unknown.get_or_insert(r);
                }
            }
        }
    }
    match unknown {
        Some(r) => format!("unknown-rule {:p}", r),
        None => format!("no-match {:p}", e),
    }
}

fn ref_untracked<'d>(
    d: &'d Dump,
    request: &Decision<'_>,
    e: &Interface,
    other: Direction,
    q: &Query,
) -> Option<&'d SgRule> {
    if q.proto != 6 && q.proto != 17 {
        return None;
    }
    let Decision::SgAllow(rule) = request else {
        return None;
    };
    if !matches!(rule.peer, Peer::Cidr(c) if c.prefix_len() == 0) {
        return None;
    }
    for sg in groups(d, e).ok()? {
        for r in rules(sg, other) {
            let world = matches!(r.peer, Peer::Cidr(c)
                if c.prefix_len() == 0 && c.addr().is_ipv4() == q.src.is_ipv4());
            if world
                && r.ports.key_range() == Some((0, u16::MAX))
                && r.protocol.is_none_or(|p| p == q.proto)
            {
                return Some(r);
            }
        }
    }
    None
}

fn ref_nacl(acl: &NetworkAcl, dir: Direction, peer: IpAddr, q: &Query, k: u16) -> String {
    let mut es: Vec<&NaclEntry> = acl.entries.iter().filter(|e| e.direction == dir).collect();
    es.sort_by_key(|e| e.number);
    match es
        .into_iter()
        .find(|e| e.cidr.contains(&peer) && proto_key_ok(e.protocol, e.ports, q, k))
    {
        Some(e) => format!("nacl {:p}", e),
        None => format!(
            "nacl-default {}",
            if peer.is_ipv4() { 32767 } else { 32768 }
        ),
    }
}

fn got(d: &Decision<'_>) -> String {
    match d {
        Decision::SgAllow(r) => format!("allow {:p}", *r),
        Decision::SgUntracked(r) => format!("untracked {:p}", *r),
        Decision::SgNoMatch(e) => format!("no-match {:p}", *e),
        Decision::Nacl(e) => format!("nacl {:p}", *e),
        Decision::NaclDefault(_, n) => format!("nacl-default {n}"),
        Decision::Unknown(Missing::PrefixList(r) | Missing::Group(r)) => {
            format!("unknown-rule {:p}", *r)
        }
        Decision::Unknown(Missing::InterfaceGroup(g)) => format!("unknown-interface-group {g}"),
        other => format!("{other:?}"),
    }
}

fn check(seed: u64) {
    let net = Network::compile(gen_dump(seed));
    let d = net.dump();
    let mut r = Rng(seed.rotate_left(29) | 1);
    for _ in 0..150 {
        let q = gen_query(&mut r, d);
        let ev = net.evaluate(&q);
        let (se, de) = (eni_of(d, q.src), eni_of(d, q.dst));
        if let Some(e) = se {
            let want = ref_sg(d, e, Direction::Egress, q.dst, &q);
            assert_eq!(got(&ev.steps[0]), want, "seed {seed} {q:?} step 0");
        }
        if let Some(e) = de {
            let want = ref_sg(d, e, Direction::Ingress, q.src, &q);
            assert_eq!(got(&ev.steps[4]), want, "seed {seed} {q:?} step 4");
        }
        // Reply security-group steps: the untracked rule, by identity.
        for (step, e, request, other) in [
            (5, de, 4, Direction::Egress),
            (8, se, 0, Direction::Ingress),
        ] {
            if let (Some(e), Decision::SgUntracked(_) | Decision::SgTracked) = (e, &ev.steps[step])
            {
                let want = ref_untracked(d, &ev.steps[request], e, other, &q)
                    .map_or("SgTracked".to_string(), |r| format!("untracked {:p}", r));
                assert_eq!(got(&ev.steps[step]), want, "seed {seed} {q:?} step {step}");
            }
        }
        // NACL steps, by entry identity (when evaluated).
        let k = key(&q);
        let rk = match (q.proto, q.src_port) {
            (6 | 17, p) => Some(p),
            (1, 8) => Some(0),
            (1 | 58, _) => None,
            _ => Some(0),
        };
        let acl_of = |x: IpAddr| {
            d.subnets
                .iter()
                .position(|s| s.cidrs.iter().any(|c| c.contains(&x)))
                .map(|i| &d.network_acls[i])
        };
        let steps = [
            (1, acl_of(q.src), Direction::Egress, q.dst, Some(k)),
            (3, acl_of(q.dst), Direction::Ingress, q.src, Some(k)),
            (6, acl_of(q.dst), Direction::Egress, q.src, rk),
            (7, acl_of(q.src), Direction::Ingress, q.dst, rk),
        ];
        for (step, acl, dir, peer, k) in steps {
            if let (Some(acl), Some(k), Decision::Nacl(_) | Decision::NaclDefault(..)) =
                (acl, k, &ev.steps[step])
            {
                let want = ref_nacl(acl, dir, peer, &q, k);
                assert_eq!(got(&ev.steps[step]), want, "seed {seed} {q:?} step {step}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn deciding_rule_is_the_reference_rule(seed in any::<u64>()) {
        check(seed);
    }
}

#[test]
fn deciding_rule_fixed_seeds() {
    for seed in 1..100u64 {
        check(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }
}
