//! Property test: the indexed evaluator against a deliberately naive linear evaluator written
//! here, on random rule sets and flows. The naive evaluator scans every rule of every group and
//! every NACL entry in rule-number order, straight from the reference's semantics.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::net::IpAddr;

use flowlogs::vpc::{
    Decision, Direction, Dump, Interface, NaclEntry, Network, NetworkAcl, Outcome, Peer, PortSpec,
    Query, RuleAction, SecurityGroup, SgRule, Subnet,
};
use ipnet::IpNet;
use proptest::prelude::*;

/// xorshift64*, seeded by proptest.
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
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len())]
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
}

const PORTS: &[u16] = &[
    0, 21, 22, 23, 79, 80, 443, 1023, 1024, 8080, 32767, 32768, 50000, 65535,
];
const ICMP_T: &[u8] = &[0, 3, 8];
const ICMP_C: &[u8] = &[0, 4];
const GROUPS: usize = 5;

fn a(s: &str) -> IpAddr {
    s.parse().unwrap()
}
fn n(s: &str) -> IpNet {
    s.parse().unwrap()
}

fn enis() -> Vec<(String, usize, Vec<IpAddr>)> {
    // (id, subnet index, addresses)
    (0..7)
        .map(|i| {
            let s = i % 3;
            let mut addrs = vec![a(&format!("10.0.{s}.{}", 10 + i))];
            if i % 2 == 0 {
                addrs.push(a(&format!("2600:1f18:0:{s}::{}", 10 + i)));
            }
            (format!("eni-{i}"), s, addrs)
        })
        .collect()
}

fn rand_cidr(r: &mut Rng, v6: bool) -> IpNet {
    if v6 {
        let opts = [
            "::/0",
            "2600:1f18::/48",
            "2600:1f18:0:1::/64",
            "2001:db8::/32",
        ];
        return n(r.pick(&opts));
    }
    let s = r.below(3);
    let host = 10 + r.below(7);
    let opts = [
        "0.0.0.0/0".to_string(),
        "10.0.0.0/16".to_string(),
        format!("10.0.{s}.0/24"),
        format!("10.0.{s}.{host}/32"),
        "10.0.0.0/23".to_string(),
        "198.51.100.0/24".to_string(),
        "198.51.100.0/25".to_string(),
    ];
    n(&opts[r.below(opts.len())])
}

fn rand_proto_ports(r: &mut Rng) -> (Option<u8>, PortSpec) {
    match r.below(6) {
        0 => (None, PortSpec::All),
        1 | 2 => {
            let mut lo = r.pick(PORTS);
            let mut hi = r.pick(PORTS);
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            (
                Some(if r.chance(70) { 6 } else { 17 }),
                PortSpec::Range(lo, hi),
            )
        }
        3 => {
            let t = r.chance(70).then(|| r.pick(ICMP_T));
            let c = if t.is_some() && r.chance(50) {
                Some(r.pick(ICMP_C))
            } else {
                None
            };
            let spec = if r.chance(5) {
                PortSpec::Nothing
            } else {
                PortSpec::Icmp(t, c)
            };
            (Some(1), spec)
        }
        4 => (Some(47), PortSpec::All),
        _ => (Some(6), PortSpec::Range(0, 65535)),
    }
}

fn gen_dump(seed: u64) -> Dump {
    let mut r = Rng(seed | 1);
    let enis = enis();
    let mut dump = Dump::default();
    for g in 0..GROUPS {
        let mut sg = SecurityGroup {
            id: format!("sg-{g}"),
            name: if g == 0 {
                "default".into()
            } else {
                format!("g{g}")
            },
            vpc_id: Some("vpc-1".into()),
            ingress: Vec::new(),
            egress: Vec::new(),
        };
        for dir in [Direction::Ingress, Direction::Egress] {
            for _ in 0..r.below(6) {
                let (protocol, ports) = rand_proto_ports(&mut r);
                let peer = if r.chance(20) {
                    Peer::Group(format!("sg-{}", r.below(GROUPS)))
                } else {
                    let v6 = r.chance(20);
                    Peer::Cidr(rand_cidr(&mut r, v6))
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
        dump.security_groups.push(sg);
    }
    for s in 0..3 {
        dump.subnets.push(Subnet {
            id: format!("subnet-{s}"),
            vpc_id: Some("vpc-1".into()),
            cidrs: vec![
                n(&format!("10.0.{s}.0/24")),
                n(&format!("2600:1f18:0:{s}::/64")),
            ],
        });
        let mut entries = Vec::new();
        let mut numbers: Vec<u16> = (1..=40).map(|x| x * 5).collect();
        for _ in 0..r.below(9) {
            let i = r.below(numbers.len());
            let number = numbers.swap_remove(i);
            let (protocol, ports) = rand_proto_ports(&mut r);
            let v6 = r.chance(20);
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
                cidr: rand_cidr(&mut r, v6),
                origin: "gen".into(),
            });
        }
        dump.network_acls.push(NetworkAcl {
            id: format!("acl-{s}"),
            vpc_id: Some("vpc-1".into()),
            is_default: false,
            subnets: vec![format!("subnet-{s}")],
            entries,
        });
    }
    for (id, s, addrs) in enis {
        let k = 1 + r.below(3);
        let mut groups: Vec<String> = Vec::new();
        for _ in 0..k {
            let g = format!("sg-{}", r.below(GROUPS));
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        dump.interfaces.push(Interface {
            id,
            subnet_id: Some(format!("subnet-{s}")),
            vpc_id: Some("vpc-1".into()),
            groups,
            addresses: addrs,
            interface_type: None,
            instance_id: None,
            source_dest_check: None,
            origin: "gen".into(),
        });
    }
    dump
}

fn gen_query(r: &mut Rng, dump: &Dump) -> Query {
    let v6 = r.chance(25);
    let pool: Vec<IpAddr> = dump
        .interfaces
        .iter()
        .flat_map(|e| e.addresses.iter().copied())
        .filter(|x| x.is_ipv6() == v6)
        .chain(if v6 {
            vec![a("2001:db8::7"), a("2600:1f18:0:1::99")]
        } else {
            vec![a("198.51.100.7"), a("198.51.100.200"), a("10.0.1.99")]
        })
        .collect();
    let src = r.pick(&pool);
    let dst = r.pick(&pool);
    match r.below(5) {
        0 | 1 => Query::new(6, src, r.pick(PORTS), dst, r.pick(PORTS)),
        2 => Query::new(17, src, r.pick(PORTS), dst, r.pick(PORTS)),
        3 if !v6 => Query::icmp(src, dst, r.pick(ICMP_T), r.pick(ICMP_C)),
        _ => Query::new(47, src, 0, dst, 0),
    }
}

// ---------------------------------------------------------------- the naive evaluator

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Naive {
    Pass,
    Block,
    Skip,
    /// In a dumped subnet but on no dumped interface: its security groups are unknown.
    Unknown,
}

/// (proto, port-or-type, code) of a packet.
#[derive(Clone, Copy)]
struct Pkt {
    proto: u8,
    port: u16,
    icmp: (u8, u8),
}

fn spec_matches(proto: Option<u8>, ports: PortSpec, p: Pkt) -> bool {
    match proto {
        None => true,
        Some(x) if x != p.proto => false,
        Some(6 | 17) => match ports {
            PortSpec::Range(lo, hi) => lo <= p.port && p.port <= hi,
            PortSpec::All => true,
            _ => false,
        },
        Some(1 | 58) => match ports {
            PortSpec::All | PortSpec::Icmp(None, _) => true,
            PortSpec::Icmp(Some(t), None) => t == p.icmp.0,
            PortSpec::Icmp(Some(t), Some(c)) => t == p.icmp.0 && c == p.icmp.1,
            _ => false,
        },
        Some(_) => true,
    }
}

fn naive_sg(dump: &Dump, eni: &Interface, dir: Direction, peer: IpAddr, p: Pkt) -> Naive {
    for g in &eni.groups {
        let sg = dump.security_groups.iter().find(|s| &s.id == g).unwrap();
        let rules = if dir == Direction::Ingress {
            &sg.ingress
        } else {
            &sg.egress
        };
        for r in rules {
            let peer_ok = match &r.peer {
                Peer::Cidr(c) => c.contains(&peer),
                Peer::Group(gid) => dump
                    .interfaces
                    .iter()
                    .any(|e| e.groups.contains(gid) && e.addresses.contains(&peer)),
                Peer::PrefixList(_) => unreachable!(),
            };
            if peer_ok && spec_matches(r.protocol, r.ports, p) {
                return Naive::Pass;
            }
        }
    }
    Naive::Block
}

fn naive_nacl(acl: &NetworkAcl, dir: Direction, peer: IpAddr, p: Pkt) -> (Naive, u16) {
    let mut entries: Vec<&NaclEntry> = acl.entries.iter().filter(|e| e.direction == dir).collect();
    entries.sort_by_key(|e| e.number);
    for e in entries {
        if e.cidr.contains(&peer) && spec_matches(e.protocol, e.ports, p) {
            return (
                if e.action == RuleAction::Allow {
                    Naive::Pass
                } else {
                    Naive::Block
                },
                e.number,
            );
        }
    }
    (Naive::Block, if peer.is_ipv4() { 32767 } else { 32768 })
}

fn naive(dump: &Dump, q: &Query) -> Vec<(Naive, Option<u16>)> {
    let eni = |x: IpAddr| dump.interfaces.iter().find(|e| e.addresses.contains(&x));
    let subnet = |x: IpAddr| {
        dump.subnets
            .iter()
            .position(|s| s.cidrs.iter().any(|c| c.contains(&x)))
    };
    let (se, de) = (eni(q.src), eni(q.dst));
    let (ss, ds) = (subnet(q.src), subnet(q.dst));
    let same = ss.is_some() && ss == ds;
    let icmp = q.proto == 1 || q.proto == 58;
    let fwd = Pkt {
        proto: q.proto,
        port: q.dst_port,
        icmp: (q.src_port as u8, q.dst_port as u8),
    };
    let reply = if icmp {
        (q.src_port == 8).then_some(Pkt {
            proto: q.proto,
            port: 0,
            icmp: (0, 0),
        })
    } else {
        Some(Pkt {
            proto: q.proto,
            port: if q.proto == 6 || q.proto == 17 {
                q.src_port
            } else {
                0
            },
            icmp: (0, 0),
        })
    };
    let sg = |e: Option<&Interface>, s: Option<usize>, dir, peer, p| match (e, s) {
        (Some(e), _) => (naive_sg(dump, e, dir, peer, p), None),
        (None, Some(_)) => (Naive::Unknown, None),
        (None, None) => (Naive::Skip, None),
    };
    let tracked = |e: Option<&Interface>, s: Option<usize>| match (e, s) {
        (Some(_), _) => (Naive::Pass, None),
        (None, Some(_)) => (Naive::Unknown, None),
        (None, None) => (Naive::Skip, None),
    };
    let nacl = |s: Option<usize>, dir, peer, p| match s {
        _ if same => (Naive::Skip, None),
        Some(s) => {
            let (o, num) = naive_nacl(&dump.network_acls[s], dir, peer, p);
            (o, Some(num))
        }
        None => (Naive::Skip, None),
    };
    let mut v = vec![
        sg(se, ss, Direction::Egress, q.dst, fwd),
        nacl(ss, Direction::Egress, q.dst, fwd),
        (Naive::Skip, None), // no route tables in these dumps
        nacl(ds, Direction::Ingress, q.src, fwd),
        sg(de, ds, Direction::Ingress, q.src, fwd),
    ];
    match reply {
        None => v.extend([(Naive::Skip, None); 4]),
        Some(rp) => {
            // Security groups are stateful: the reply always passes an ENI in the dump.
            v.push(tracked(de, ds));
            v.push(nacl(ds, Direction::Egress, q.src, rp));
            v.push(nacl(ss, Direction::Ingress, q.dst, rp));
            v.push(tracked(se, ss));
        }
    }
    v
}

/// Checks 200 flows; returns how many verdicts were ALLOW and DENY (to show the generator
/// reaches both).
fn check(seed: u64) -> (usize, usize) {
    let mut tally = (0, 0);
    let dump = gen_dump(seed);
    let net = Network::compile(dump.clone());
    let mut r = Rng(seed.rotate_left(17) | 1);
    for _ in 0..200 {
        let q = gen_query(&mut r, &dump);
        let e = net.evaluate(&q);
        let want = naive(&dump, &q);
        match e.verdict() {
            flowlogs::vpc::Verdict::Allow => tally.0 += 1,
            flowlogs::vpc::Verdict::Deny => tally.1 += 1,
            flowlogs::vpc::Verdict::Unknown => {}
        }
        for (i, (d, (w, num))) in e.steps.iter().zip(&want).enumerate() {
            let got = match d.outcome() {
                Outcome::Pass => Naive::Pass,
                Outcome::Block => Naive::Block,
                Outcome::Skipped => Naive::Skip,
                Outcome::Unknown => Naive::Unknown,
            };
            assert_eq!(got, *w, "seed {seed} step {i} query {q:?}: {d:?}");
            let got_num = match d {
                Decision::Nacl(e) => Some(e.number),
                Decision::NaclDefault(_, n) => Some(*n),
                _ => None,
            };
            assert_eq!(got_num, *num, "seed {seed} step {i} query {q:?}");
            // A matched SG rule must really match (checked naively).
            if let Decision::SgAllow(rule) = d {
                let (peer, p) = match i {
                    0 => (
                        q.dst,
                        Pkt {
                            proto: q.proto,
                            port: q.dst_port,
                            icmp: (q.src_port as u8, q.dst_port as u8),
                        },
                    ),
                    _ => (
                        q.src,
                        Pkt {
                            proto: q.proto,
                            port: q.dst_port,
                            icmp: (q.src_port as u8, q.dst_port as u8),
                        },
                    ),
                };
                let peer_ok = match &rule.peer {
                    Peer::Cidr(c) => c.contains(&peer),
                    Peer::Group(g) => dump
                        .interfaces
                        .iter()
                        .any(|e| e.groups.contains(g) && e.addresses.contains(&peer)),
                    Peer::PrefixList(_) => false,
                };
                assert!(
                    peer_ok && spec_matches(rule.protocol, rule.ports, p),
                    "seed {seed}: {rule} does not match {q:?}"
                );
            }
        }
    }
    tally
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn indexed_matches_naive(seed in any::<u64>()) {
        let _ = check(seed);
    }
}

#[test]
fn fixed_seeds() {
    let mut total = (0, 0);
    for seed in 1..50u64 {
        let (a, d) = check(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        total = (total.0 + a, total.1 + d);
    }
    assert!(
        total.0 > 100 && total.1 > 100,
        "generator too one-sided: {total:?}"
    );
}
