//! Security-group / NACL evaluator throughput (`flowsleuth explain`, flow-log explain).
//!
//! A generated configuration (default: 100 groups x 10 rules = 1,000 SG rules, 10 NACLs x 20
//! entries = 200 NACL entries, 2,000 ENIs with 1-3 groups each) and 10,000 flows (ENI to ENI,
//! internet to ENI, ENI to internet). `explain/indexed` is the compiled index;
//! `scaling/{indexed,naive}/N` compares it with a linear scan at 100, 1,000 and 10,000 SG rules
//! (NACL entries scaled alike), measured in the same run.
#![allow(missing_docs, clippy::unwrap_used)]

use std::collections::HashMap;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flowlogs::vpc::{
    Direction, Dump, Interface, NaclEntry, Network, NetworkAcl, Peer, PortSpec, Query, RuleAction,
    SecurityGroup, SgRule, Subnet,
};
use ipnet::{IpNet, Ipv4Net};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const GROUPS: usize = 100;
const ACLS: usize = 10;
const ENIS: usize = 2_000;
const PORTS: &[u16] = &[22, 80, 443, 3306, 5432, 6379, 8080, 8443, 9200, 27017];

fn eni_addr(i: usize) -> IpAddr {
    let s = i % ACLS;
    let k = i / ACLS;
    IpAddr::V4(Ipv4Addr::new(
        10,
        0,
        (s * 16 + k / 250) as u8,
        (k % 250 + 4) as u8,
    ))
}

fn rand_net(r: &mut Rng) -> IpNet {
    let base = if r.below(4) == 0 {
        u32::from(Ipv4Addr::new(198, 51, 100, 0)) ^ ((r.below(1 << 16) as u32) << 8)
    } else {
        u32::from(Ipv4Addr::new(10, 0, 0, 0)) | (r.below(1 << 16) as u32)
    };
    let len = [8u8, 16, 20, 24, 28, 32][r.below(6) as usize];
    IpNet::V4(Ipv4Net::new(Ipv4Addr::from(base), len).unwrap().trunc())
}

fn rand_spec(r: &mut Rng) -> (Option<u8>, PortSpec) {
    match r.below(10) {
        0 => (None, PortSpec::All),
        1 => (Some(1), PortSpec::Icmp(Some(8), None)),
        2 => (Some(17), PortSpec::Range(53, 53)),
        3 => {
            let lo = r.below(60_000) as u16;
            (Some(6), PortSpec::Range(lo, lo + r.below(5_000) as u16))
        }
        _ => {
            let p = PORTS[r.below(PORTS.len() as u64) as usize];
            (Some(6), PortSpec::Range(p, p))
        }
    }
}

/// `rules_per_group` x 100 SG rules, `entries_per_acl` x 10 NACL entries, 2,000 ENIs.
fn gen(rules_per_group: usize, entries_per_acl: usize) -> Dump {
    let mut r = Rng(0x5eed_1234_abcd_ef01);
    let mut d = Dump::default();
    for g in 0..GROUPS {
        let mut sg = SecurityGroup {
            id: format!("sg-{g:04}"),
            name: format!("g{g}"),
            vpc_id: Some("vpc-1".into()),
            ingress: Vec::new(),
            egress: Vec::new(),
        };
        for i in 0..rules_per_group {
            let dir = if i % 5 == 4 {
                Direction::Egress
            } else {
                Direction::Ingress
            };
            let (protocol, ports) = rand_spec(&mut r);
            let peer = match r.below(10) {
                0 => Peer::Cidr("0.0.0.0/0".parse().unwrap()),
                1 | 2 => Peer::Group(format!("sg-{:04}", r.below(GROUPS as u64))),
                _ => Peer::Cidr(rand_net(&mut r)),
            };
            let rule = SgRule {
                group_id: sg.id.clone(),
                direction: dir,
                protocol,
                ports,
                peer,
                description: None,
                origin: "bench".into(),
            };
            match dir {
                Direction::Ingress => sg.ingress.push(rule),
                Direction::Egress => sg.egress.push(rule),
            }
        }
        sg.egress.push(SgRule {
            group_id: sg.id.clone(),
            direction: Direction::Egress,
            protocol: Some(6),
            ports: PortSpec::Range(443, 443),
            peer: Peer::Cidr("0.0.0.0/0".parse().unwrap()),
            description: None,
            origin: "bench".into(),
        });
        d.security_groups.push(sg);
    }
    for a in 0..ACLS {
        let subnet = format!("subnet-{a}");
        d.subnets.push(Subnet {
            id: subnet.clone(),
            vpc_id: Some("vpc-1".into()),
            cidrs: vec![format!("10.0.{}.0/20", a * 16).parse().unwrap()],
        });
        let mut entries = Vec::new();
        for i in 0..entries_per_acl {
            let (protocol, ports) = rand_spec(&mut r);
            entries.push(NaclEntry {
                acl_id: format!("acl-{a}"),
                number: (i / 2 + 1) as u16,
                direction: if i % 2 == 0 {
                    Direction::Ingress
                } else {
                    Direction::Egress
                },
                action: if r.below(4) == 0 {
                    RuleAction::Deny
                } else {
                    RuleAction::Allow
                },
                protocol,
                ports,
                cidr: rand_net(&mut r),
                origin: "bench".into(),
            });
        }
        for dir in [Direction::Ingress, Direction::Egress] {
            entries.push(NaclEntry {
                acl_id: format!("acl-{a}"),
                number: 32_000,
                direction: dir,
                action: RuleAction::Allow,
                protocol: Some(6),
                ports: PortSpec::Range(1024, 65535),
                cidr: "0.0.0.0/0".parse().unwrap(),
                origin: "bench".into(),
            });
        }
        d.network_acls.push(NetworkAcl {
            id: format!("acl-{a}"),
            vpc_id: Some("vpc-1".into()),
            is_default: false,
            subnets: vec![subnet],
            entries,
        });
    }
    for i in 0..ENIS {
        let k = 1 + r.below(3);
        let groups = (0..k)
            .map(|_| format!("sg-{:04}", r.below(GROUPS as u64)))
            .collect();
        d.interfaces.push(Interface {
            id: format!("eni-{i:05}"),
            subnet_id: Some(format!("subnet-{}", i % ACLS)),
            vpc_id: Some("vpc-1".into()),
            groups,
            addresses: vec![eni_addr(i)],
            interface_type: None,
            instance_id: None,
            source_dest_check: None,
            origin: "bench".into(),
        });
    }
    d
}

fn queries(n: usize) -> Vec<Query> {
    let mut r = Rng(0xfeed_beef_0000_0001);
    (0..n)
        .map(|_| {
            let eni = |r: &mut Rng| eni_addr(r.below(ENIS as u64) as usize);
            let internet = |r: &mut Rng| IpAddr::V4(Ipv4Addr::from(r.next() as u32 | 0x0100_0000));
            let (src, dst) = match r.below(10) {
                0..=5 => (eni(&mut r), eni(&mut r)),
                6..=8 => (internet(&mut r), eni(&mut r)),
                _ => (eni(&mut r), internet(&mut r)),
            };
            let sport = 32_768 + r.below(28_000) as u16;
            let dport = PORTS[r.below(PORTS.len() as u64) as usize];
            Query::new(6, src, sport, dst, dport)
        })
        .collect()
}

/// A deliberately naive evaluator: every rule scanned linearly (interfaces found by hash).
struct Naive<'d> {
    d: &'d Dump,
    eni: HashMap<IpAddr, &'d Interface>,
    groups: HashMap<&'d str, &'d SecurityGroup>,
}

impl<'d> Naive<'d> {
    fn new(d: &'d Dump) -> Self {
        Naive {
            d,
            eni: d
                .interfaces
                .iter()
                .flat_map(|e| e.addresses.iter().map(move |a| (*a, e)))
                .collect(),
            groups: d
                .security_groups
                .iter()
                .map(|g| (g.id.as_str(), g))
                .collect(),
        }
    }
    fn port_ok(spec: PortSpec, proto: Option<u8>, q: &Query, port: u16) -> bool {
        match (proto, spec) {
            (None, _) | (_, PortSpec::All) => true,
            (Some(p), _) if p != q.proto => false,
            (_, PortSpec::Range(lo, hi)) => lo <= port && port <= hi,
            _ => false,
        }
    }
    fn sg(&self, e: &Interface, dir: Direction, peer: IpAddr, q: &Query) -> bool {
        e.groups.iter().any(|g| {
            let sg = self.groups[g.as_str()];
            let rules = if dir == Direction::Ingress {
                &sg.ingress
            } else {
                &sg.egress
            };
            rules.iter().any(|r| {
                Self::port_ok(r.ports, r.protocol, q, q.dst_port)
                    && match &r.peer {
                        Peer::Cidr(c) => c.contains(&peer),
                        Peer::Group(g) => self.eni.get(&peer).is_some_and(|x| x.groups.contains(g)),
                        Peer::PrefixList(_) => false,
                    }
            })
        })
    }
    fn nacl(&self, subnet: &str, dir: Direction, peer: IpAddr, q: &Query, port: u16) -> bool {
        let acl = self
            .d
            .network_acls
            .iter()
            .find(|a| a.subnets.iter().any(|s| s == subnet))
            .unwrap();
        let mut best: Option<&NaclEntry> = None;
        for e in acl.entries.iter().filter(|e| e.direction == dir) {
            if e.cidr.contains(&peer)
                && Self::port_ok(e.ports, e.protocol, q, port)
                && best.is_none_or(|b| e.number < b.number)
            {
                best = Some(e);
            }
        }
        best.is_some_and(|e| e.action == RuleAction::Allow)
    }
    fn allow(&self, q: &Query) -> bool {
        let s = self.eni.get(&q.src);
        let d = self.eni.get(&q.dst);
        let same = matches!((s, d), (Some(a), Some(b)) if a.subnet_id == b.subnet_id);
        let mut ok = true;
        if let Some(s) = s {
            ok &= self.sg(s, Direction::Egress, q.dst, q);
            if !same {
                let sub = s.subnet_id.as_deref().unwrap();
                ok &= self.nacl(sub, Direction::Egress, q.dst, q, q.dst_port);
                ok &= self.nacl(sub, Direction::Ingress, q.dst, q, q.src_port);
            }
        }
        if let Some(d) = d {
            ok &= self.sg(d, Direction::Ingress, q.src, q);
            if !same {
                let sub = d.subnet_id.as_deref().unwrap();
                ok &= self.nacl(sub, Direction::Ingress, q.src, q, q.dst_port);
                ok &= self.nacl(sub, Direction::Egress, q.src, q, q.src_port);
            }
        }
        ok
    }
}

fn explain(c: &mut Criterion) {
    let net = Network::compile(gen(10, 20));
    let qs = queries(10_000);
    let mut g = c.benchmark_group("explain");
    g.throughput(Throughput::Elements(qs.len() as u64));
    g.bench_function("indexed", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for q in &qs {
                allowed += u32::from(
                    net.evaluate(black_box(q)).verdict() == flowlogs::vpc::Verdict::Allow,
                );
            }
            black_box(allowed)
        });
    });
    g.finish();
}

fn scaling(c: &mut Criterion) {
    let qs = queries(2_000);
    let mut g = c.benchmark_group("scaling");
    g.throughput(Throughput::Elements(qs.len() as u64));
    g.sample_size(20);
    for (rules_per_group, entries) in [(1usize, 2usize), (10, 20), (100, 200)] {
        let dump = gen(rules_per_group, entries);
        let total = rules_per_group * GROUPS;
        let net = Network::compile(dump.clone());
        g.bench_with_input(BenchmarkId::new("indexed", total), &qs, |b, qs| {
            b.iter(|| {
                qs.iter()
                    .filter(|q| {
                        net.evaluate(black_box(q)).verdict() == flowlogs::vpc::Verdict::Allow
                    })
                    .count()
            });
        });
        let naive = Naive::new(&dump);
        g.bench_with_input(BenchmarkId::new("naive", total), &qs, |b, qs| {
            b.iter(|| qs.iter().filter(|q| naive.allow(black_box(q))).count());
        });
    }
    g.finish();
}

fn compile(c: &mut Criterion) {
    let dump = gen(10, 20);
    let mut g = c.benchmark_group("compile");
    g.sample_size(10);
    g.bench_function("1000_rules_2000_enis", |b| {
        b.iter(|| Network::compile(black_box(dump.clone())))
    });
    g.finish();
}

criterion_group!(benches, explain, scaling, compile);
criterion_main!(benches);
