//! Hand-worked verdicts over `tests/data/vpc/basic` (a web / app / db VPC).
//!
//! Each case lists the nine steps in path order as one letter each — p(ass), b(lock),
//! u(nknown), s(kipped) — for: source SG egress, source NACL out, route, destination NACL in,
//! destination SG ingress | reply: destination SG egress, destination NACL out, source NACL
//! in, source SG ingress. The reasoning is in the comment above each case, derived from the
//! reference semantics (sections 2 and 3), not from the program's output.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::path::Path;

use flowlogs::vpc::{Decision, Dump, Explanation, Network, Query, StepKind, Verdict};

fn net() -> Network {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/vpc/basic");
    Network::compile(Dump::load(&[dir]).expect("fixture loads"))
}

fn q(s: &str) -> Query {
    s.parse().expect("query parses")
}

fn letters(net: &Network, query: &str) -> (Verdict, String) {
    let e = net.evaluate(&q(query));
    let s = e
        .steps
        .iter()
        .map(|d| match d.outcome() {
            flowlogs::vpc::Outcome::Pass => 'p',
            flowlogs::vpc::Outcome::Block => 'b',
            flowlogs::vpc::Outcome::Unknown => 'u',
            flowlogs::vpc::Outcome::Skipped => 's',
        })
        .collect::<String>();
    (e.verdict(), format!("{}|{}", &s[..5], &s[5..]))
}

fn nacl_rule(net: &Network, query: &str, step: StepKind) -> (String, u16) {
    let e = net.evaluate(&q(query));
    match e.step(step) {
        Decision::Nacl(entry) => (entry.acl_id.clone(), entry.number),
        Decision::NaclDefault(acl, n) => (acl.id.clone(), *n),
        other => panic!("{step:?} is not a NACL decision: {other:?}"),
    }
}

fn sg_rule(net: &Network, query: &str, step: StepKind) -> String {
    let e = net.evaluate(&q(query));
    match e.step(step) {
        Decision::SgAllow(r) | Decision::SgUntracked(r) => format!("{} {}", r.group_id, r.peer),
        other => panic!("{step:?} is not a matched SG rule: {other:?}"),
    }
}

#[test]
fn internet_https_to_web_is_allowed_and_untracked() {
    // NACL acl-web in: 100 allows tcp/443 from 0.0.0.0/0. sg-web: 443 from 0.0.0.0/0, and
    // egress allows all to 0.0.0.0/0 => untracked (2.6): the reply passes by that egress rule.
    // Reply NACL out: 100 allows 1024-65535 (port 50000). Source is external: its steps skip.
    let n = net();
    let query = "tcp 203.0.113.10:50000 -> 10.0.1.5:443";
    assert_eq!(letters(&n, query), (Verdict::Allow, "ssspp|ppss".into()));
    assert_eq!(
        nacl_rule(&n, query, StepKind::DstNaclIn),
        ("acl-web".into(), 100)
    );
    assert_eq!(
        sg_rule(&n, query, StepKind::DstSgIngress),
        "sg-web 0.0.0.0/0"
    );
    assert_eq!(
        sg_rule(&n, query, StepKind::ReplyDstSgEgress),
        "sg-web 0.0.0.0/0"
    );
    assert!(n.evaluate(&q(query)).untracked);
    assert_eq!(
        nacl_rule(&n, query, StepKind::ReplyDstNaclOut),
        ("acl-web".into(), 100)
    );
}

#[test]
fn nacl_rule_order_lower_number_deny_wins() {
    // 203.0.113.200 is in 203.0.113.128/25: inbound rule 120 (deny tcp 22) is evaluated before
    // 130 (allow tcp 22 from 203.0.113.0/24) although 130 is listed first in the dump.
    // The SG allows 22 from 203.0.113.0/24, so the NACL is the only blocker.
    let n = net();
    let query = "tcp 203.0.113.200:40000 -> 10.0.1.5:22";
    assert_eq!(letters(&n, query), (Verdict::Deny, "sssbp|ppss".into()));
    assert_eq!(
        nacl_rule(&n, query, StepKind::DstNaclIn),
        ("acl-web".into(), 120)
    );
    let x = Explanation::new(&n, &n.evaluate(&q(query)));
    assert_eq!(x.first_blocker, Some("destination-nacl-inbound"));
    assert_eq!(x.steps[3].code, Some("SUBNET_ACL_RESTRICTION"));
}

#[test]
fn office_ssh_allowed_and_tracked() {
    // 203.0.113.10 is outside .128/25: rule 130 allows. SG peer is a /24 => tracked reply.
    let n = net();
    let query = "tcp 203.0.113.10:40000 -> 10.0.1.5:22";
    assert_eq!(letters(&n, query), (Verdict::Allow, "ssspp|ppss".into()));
    assert_eq!(
        nacl_rule(&n, query, StepKind::DstNaclIn),
        ("acl-web".into(), 130)
    );
    let e = n.evaluate(&q(query));
    assert!(matches!(
        e.step(StepKind::ReplyDstSgEgress),
        Decision::SgTracked
    ));
    assert!(!e.untracked);
}

#[test]
fn star_default_deny_and_sg_mismatch_both_block() {
    // 198.51.100.1 -> :22. NACL in: no numbered rule matches tcp/22 from there (140 is
    // 1024-65535, 160 is 10.0.0.0/16) => `*` (32767). SG: 22 only from 203.0.113.0/24.
    let n = net();
    let query = "tcp 198.51.100.1:40000 -> 10.0.1.5:22";
    assert_eq!(letters(&n, query), (Verdict::Deny, "sssbb|ppss".into()));
    assert_eq!(
        nacl_rule(&n, query, StepKind::DstNaclIn),
        ("acl-web".into(), 32767)
    );
    let x = Explanation::new(&n, &n.evaluate(&q(query)));
    assert_eq!(
        x.blockers,
        vec!["destination-nacl-inbound", "destination-sg-ingress"]
    );
    assert_eq!(x.steps[4].code, Some("ENI_SG_RULES_MISMATCH"));
}

#[test]
fn ping_reply_denied_by_stateless_nacl() {
    // The AWS ping example (1.8): NACL in 150 allows ICMP type 8, SG allows type 8 in (ICMP
    // is always tracked, so the SG lets the echo reply out), but acl-web outbound has no
    // ICMP rule: the echo reply (type 0) falls to `*` 32767.
    let n = net();
    let query = "icmp 203.0.113.10 -> 10.0.1.5 8/0";
    assert_eq!(letters(&n, query), (Verdict::Deny, "ssspp|pbss".into()));
    assert_eq!(
        nacl_rule(&n, query, StepKind::DstNaclIn),
        ("acl-web".into(), 150)
    );
    assert_eq!(
        nacl_rule(&n, query, StepKind::ReplyDstNaclOut),
        ("acl-web".into(), 32767)
    );
    let e = n.evaluate(&q(query));
    assert!(matches!(
        e.step(StepKind::ReplyDstSgEgress),
        Decision::SgTracked
    ));
}

#[test]
fn icmp_type_only_rule_does_not_match_other_types() {
    // Type 13 (timestamp): NACL 150 is type 8 only => `*`; SG icmp rule is type 8 only.
    let n = net();
    let query = "icmp 203.0.113.10 -> 10.0.1.5 13/0";
    assert_eq!(letters(&n, query).0, Verdict::Deny);
    assert_eq!(
        nacl_rule(&n, query, StepKind::DstNaclIn),
        ("acl-web".into(), 32767)
    );
    // Type 3 (an error) expects no reply: the return path is skipped.
    let (_, s) = letters(&n, "icmp 203.0.113.10 -> 10.0.1.5 3/4");
    assert_eq!(&s[6..], "ssss");
}

#[test]
fn web_to_app_via_security_group_reference() {
    // sg-web egress -1 all. acl-web out 100 (tcp 1024-65535 covers 8080). rtb-public: local.
    // acl-app in 100 (8080 from 10.0.1.0/24). sg-app 8080 from sg-web: 10.0.1.5 is eni-web's
    // primary address. Reply: acl-app out 100 (10.0.0.0/16, 1024-65535 covers 43512);
    // acl-web in 140 (1024-65535).
    let n = net();
    let query = "tcp 10.0.1.5:43512 -> 10.0.2.7:8080";
    assert_eq!(letters(&n, query), (Verdict::Allow, "ppppp|pppp".into()));
    assert_eq!(
        nacl_rule(&n, query, StepKind::SrcNaclOut),
        ("acl-web".into(), 100)
    );
    assert_eq!(
        nacl_rule(&n, query, StepKind::DstNaclIn),
        ("acl-app".into(), 100)
    );
    assert_eq!(sg_rule(&n, query, StepKind::DstSgIngress), "sg-app sg-web");
    assert_eq!(
        nacl_rule(&n, query, StepKind::ReplyDstNaclOut),
        ("acl-app".into(), 100)
    );
    assert_eq!(
        nacl_rule(&n, query, StepKind::ReplySrcNaclIn),
        ("acl-web".into(), 140)
    );
    // Secondary private address of eni-web and another member ENI match too.
    assert_eq!(
        letters(&n, "tcp 10.0.1.6:43512 -> 10.0.2.7:8080").0,
        Verdict::Allow
    );
    assert_eq!(
        letters(&n, "tcp 10.0.1.7:43512 -> 10.0.2.7:8080").0,
        Verdict::Allow
    );
    // eni-nat (10.0.1.100) is not in sg-web, so no sg-app rule admits it; but eni-app also
    // carries sg-default, and eni-nat is a member of sg-default: the union admits it.
    let qn = "tcp 10.0.1.100:43512 -> 10.0.2.7:8080";
    assert_eq!(letters(&n, qn), (Verdict::Allow, "ppppp|pppp".into()));
    assert_eq!(
        sg_rule(&n, qn, StepKind::DstSgIngress),
        "sg-default sg-default"
    );
    // eni-nat has source/dest check disabled: the explanation says so.
    let x = Explanation::new(&n, &n.evaluate(&q(qn)));
    assert!(x
        .notes
        .iter()
        .any(|n| n.code == "SOURCE_DEST_CHECK_DISABLED"));
}

#[test]
fn ephemeral_port_outside_nacl_range_blocks_the_reply() {
    // app -> internet :443. sg-app egress 443 to 0.0.0.0/0; acl-app out 120 (443); main route
    // table: 0.0.0.0/0 -> nat-1. Reply to 61500: acl-app in allows only 32768-60999 (120);
    // no `*` entries in this dump, so the implicit `*` (32767) denies.
    let n = net();
    let query = "tcp 10.0.2.7:61500 -> 93.184.216.34:443";
    assert_eq!(letters(&n, query), (Verdict::Deny, "pppss|ssbp".into()));
    assert_eq!(
        nacl_rule(&n, query, StepKind::ReplySrcNaclIn),
        ("acl-app".into(), 32767)
    );
    let x = Explanation::new(&n, &n.evaluate(&q(query)));
    assert!(x.notes.iter().any(|n| n.code == "EPHEMERAL_PORTS"));
    assert!(x.notes.iter().any(|n| n.code == "ROUTE_NOT_SIMULATED"));
    // A Linux ephemeral port inside 32768-60999 passes rule 120.
    assert_eq!(
        letters(&n, "tcp 10.0.2.7:43512 -> 93.184.216.34:443").0,
        Verdict::Allow
    );
}

#[test]
fn prefix_lists_expand_and_missing_entries_make_it_unknown() {
    // pl-corp = 198.51.100.0/24, 192.0.2.0/25 (entries file named after the list).
    let n = net();
    assert_eq!(
        letters(&n, "tcp 198.51.100.20:50000 -> 10.0.2.7:9050"),
        (Verdict::Allow, "ssspp|ppss".into())
    );
    // 192.0.2.200 is outside 192.0.2.0/25: no SG rule matches.
    assert_eq!(
        letters(&n, "tcp 192.0.2.200:50000 -> 10.0.2.7:9050"),
        (Verdict::Deny, "ssspb|ppss".into())
    );
    // tcp/7000 is allowed only from pl-missing, whose entries are not in the dump: unknown.
    let query = "tcp 198.51.100.20:50000 -> 10.0.2.7:7000";
    assert_eq!(letters(&n, query), (Verdict::Unknown, "ssspu|ppss".into()));
    let x = Explanation::new(&n, &n.evaluate(&q(query)));
    assert!(!x.complete);
    assert_eq!(x.steps[4].code, Some("PREFIX_LIST_NOT_IN_DUMP"));
}

#[test]
fn default_security_group_admits_its_own_members_in_one_subnet() {
    // eni-app2 (sg-default only) and eni-app (sg-app + sg-default), both in subnet-b: NACLs
    // are skipped; the main route table routes 10.0.0.0/16 locally; sg-default egress all;
    // ingress -1 from sg-default admits members.
    let n = net();
    assert_eq!(
        letters(&n, "udp 10.0.2.8:5353 -> 10.0.2.7:5353"),
        (Verdict::Allow, "pspsp|pssp".into())
    );
    assert_eq!(
        letters(&n, "udp 10.0.2.7:5353 -> 10.0.2.8:5353"),
        (Verdict::Allow, "pspsp|pssp".into())
    );
    // eni-misc carries sg-missing, which is not in the dump: unknown, not deny.
    let (v, s) = letters(&n, "udp 10.0.2.8:5353 -> 10.0.2.20:53");
    assert_eq!(v, Verdict::Unknown);
    assert_eq!(&s[..5], "pspsu");
}

#[test]
fn connection_tracking_lets_replies_out_of_a_group_without_egress_rules() {
    // sg-db has no egress rules. app -> db 5432: sg-app egress 5432 to sg-db (eni-db member,
    // from describe-instances); acl-app out 100 (10.0.0.0/16, 1024-65535 covers 5432);
    // subnet-c has no association => acl-default (100 allow all). Reply passes sg-db by
    // tracking; acl-app in 120 allows 45000.
    let n = net();
    let query = "tcp 10.0.2.7:45000 -> 10.0.3.9:5432";
    assert_eq!(letters(&n, query), (Verdict::Allow, "ppppp|pppp".into()));
    assert_eq!(
        nacl_rule(&n, query, StepKind::DstNaclIn),
        ("acl-default".into(), 100)
    );
    assert_eq!(
        nacl_rule(&n, query, StepKind::ReplySrcNaclIn),
        ("acl-app".into(), 120)
    );
    // But db cannot initiate anything: no egress rule.
    let (v, s) = letters(&n, "tcp 10.0.3.9:45000 -> 10.0.2.7:8080");
    assert_eq!((v, &s[..1]), (Verdict::Deny, "b"));
}

#[test]
fn ipv6_rules_match_only_ipv6() {
    // eni-web ::5 -> eni-app ::7 :8080. acl-web out 101 (::/0 1024-65535); rtb-public local
    // /56; acl-app in 140 (2600:1f18:1:1::/64 8080); sg-app from sg-web matches eni-web's IPv6
    // address; reply acl-app out 140 and acl-web in 141.
    let n = net();
    let query = "tcp [2600:1f18:1:1::5]:50000 -> [2600:1f18:1:2::7]:8080";
    assert_eq!(letters(&n, query), (Verdict::Allow, "ppppp|pppp".into()));
    assert_eq!(
        nacl_rule(&n, query, StepKind::SrcNaclOut),
        ("acl-web".into(), 101)
    );
    assert_eq!(
        nacl_rule(&n, query, StepKind::DstNaclIn),
        ("acl-app".into(), 140)
    );
    assert_eq!(
        nacl_rule(&n, query, StepKind::ReplyDstNaclOut),
        ("acl-app".into(), 140)
    );
    assert_eq!(
        nacl_rule(&n, query, StepKind::ReplySrcNaclIn),
        ("acl-web".into(), 141)
    );
    // Internet IPv6 to :443: NACL 101, SG ::/0 (untracked, egress ::/0 all).
    let q6 = "tcp [2001:db8::1]:50000 -> [2600:1f18:1:1::5]:443";
    assert_eq!(letters(&n, q6), (Verdict::Allow, "ssspp|ppss".into()));
    assert_eq!(sg_rule(&n, q6, StepKind::ReplyDstSgEgress), "sg-web ::/0");
    // IPv6 to :22: IPv4-only rules do not apply; `*` is 32768 for IPv6.
    let q22 = "tcp [2001:db8::1]:50000 -> [2600:1f18:1:1::5]:22";
    assert_eq!(letters(&n, q22).0, Verdict::Deny);
    assert_eq!(
        nacl_rule(&n, q22, StepKind::DstNaclIn),
        ("acl-web".into(), 32768)
    );
}

#[test]
fn blackhole_route_blocks() {
    // acl-web out 120 (443); rtb-public has 192.0.2.0/24 -> pcx-dead (blackhole), longer than
    // 0.0.0.0/0 -> igw-1.
    let n = net();
    let query = "tcp 10.0.1.5:40000 -> 192.0.2.10:443";
    let (v, s) = letters(&n, query);
    assert_eq!((v, &s[..3]), (Verdict::Deny, "ppb"));
    let x = Explanation::new(&n, &n.evaluate(&q(query)));
    assert_eq!(x.steps[2].code, Some("BAD_STATE_ROUTE"));
}

#[test]
fn icmp_code_without_type_matches_nothing() {
    // sg-app has icmp FromPort -1 ToPort 9 from 0.0.0.0/0: invalid, matches nothing (Batfish
    // flags it). Ping web -> app: acl-web out has no ICMP rule (`*`), acl-app in neither,
    // sg-app does not admit it, acl-app out has no ICMP rule; acl-web in 160 admits the reply.
    let n = net();
    let query = "icmp 10.0.1.5 -> 10.0.2.7 8/0";
    assert_eq!(letters(&n, query), (Verdict::Deny, "pbpbb|pbpp".into()));
    assert!(n.notes().iter().any(|w| w.contains("without a type")));
}

#[test]
fn interface_id_and_json_document() {
    let n = net();
    let e = n.evaluate_on(&q("tcp 10.0.1.5:43512 -> 10.0.2.7:8080"), Some("eni-app"));
    let x = Explanation::new(&n, &e);
    let v = serde_json::to_value(&x).unwrap();
    assert_eq!(v["verdict"], "ALLOW");
    assert_eq!(v["destination"]["interface"], "eni-app");
    assert_eq!(v["steps"][3]["rule"]["kind"], "network_acl");
    assert_eq!(v["steps"][3]["rule"]["rule_number"], 100);
    assert_eq!(v["steps"][4]["groups"][0], "sg-app");
    assert_eq!(v["steps"][4]["rule"]["group_id"], "sg-app");
    assert!(v["steps"][4]["rule"]["source"]
        .as_str()
        .unwrap()
        .contains("$.SecurityGroups[1].IpPermissions[0].UserIdGroupPairs[0]"));
}
