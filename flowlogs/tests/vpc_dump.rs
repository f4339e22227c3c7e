//! Loading dumps: content recognition, pagination, casing, and errors naming file + JSON path.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::path::Path;

use flowlogs::vpc::{Dump, DumpError, Network, PortSpec, Query, Verdict};

fn add(text: &str) -> Result<Dump, DumpError> {
    let mut d = Dump::default();
    d.add_json(Path::new("sg.json"), text)?;
    Ok(d)
}

fn err(text: &str) -> String {
    add(text).unwrap_err().to_string()
}

#[test]
fn impossible_port_range_names_file_and_path() {
    let e = err(r#"{"SecurityGroups":[{"GroupId":"sg-1","IpPermissions":[
        {"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]},
        {"IpProtocol":"tcp","FromPort":90,"ToPort":80,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]}]}]}"#);
    assert!(
        e.starts_with("sg.json: $.SecurityGroups[0].IpPermissions[1]"),
        "{e}"
    );
    assert!(e.contains("90-80"), "{e}");
    let e = err(r#"{"SecurityGroups":[{"GroupId":"sg-1","IpPermissions":[
        {"IpProtocol":"udp","FromPort":0,"ToPort":70000,"IpRanges":[]}]}]}"#);
    assert!(
        e.contains("$.SecurityGroups[0].IpPermissions[0]") && e.contains("65535"),
        "{e}"
    );
}

#[test]
fn bad_values_name_the_field() {
    let e = err(r#"{"SecurityGroups":[{"GroupId":"sg-1","IpPermissions":[
        {"IpProtocol":"tcp","FromPort":1,"ToPort":2,"IpRanges":[{"CidrIp":"10.0.0.300/8"}]}]}]}"#);
    assert!(
        e.contains("$.SecurityGroups[0].IpPermissions[0].IpRanges[0].CidrIp"),
        "{e}"
    );
    let e =
        err(r#"{"SecurityGroups":[{"GroupId":"sg-1","IpPermissions":[{"IpProtocol":"bogus"}]}]}"#);
    assert!(
        e.contains("$.SecurityGroups[0].IpPermissions[0].IpProtocol") && e.contains("bogus"),
        "{e}"
    );
    let e = err(r#"{"NetworkAcls":[{"NetworkAclId":"acl-1","Entries":[
        {"RuleNumber":40000,"Egress":false,"Protocol":"-1","RuleAction":"allow","CidrBlock":"0.0.0.0/0"}]}]}"#);
    assert!(e.contains("$.NetworkAcls[0].Entries[0].RuleNumber"), "{e}");
    let e = err(r#"{"NetworkAcls":[{"NetworkAclId":"acl-1","Entries":[
        {"RuleNumber":10,"Egress":false,"Protocol":"6","RuleAction":"maybe","CidrBlock":"0.0.0.0/0","PortRange":{"From":1,"To":2}}]}]}"#);
    assert!(e.contains("$.NetworkAcls[0].Entries[0].RuleAction"), "{e}");
    let e = err(r#"{"SecurityGroups":{"GroupId":"sg-1"}}"#);
    assert!(e.contains("$.SecurityGroups: expected an array"), "{e}");
}

#[test]
fn malformed_and_unrecognised_json() {
    let e = err(r#"{"SecurityGroups": [ "#);
    assert!(e.starts_with("sg.json: malformed JSON"), "{e}");
    let e = err(r#"{"Foo": []}"#);
    assert!(e.contains("not a recognised") && e.contains("Foo"), "{e}");
    let e = Dump::load(&["/nonexistent/flowsleuth-dump"])
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("/nonexistent/flowsleuth-dump:"), "{e}");
}

#[test]
fn prefix_list_entries_need_an_id() {
    let e = err(r#"{"Entries":[{"Cidr":"10.0.0.0/8"}]}"#);
    assert!(e.contains("$.Entries") && e.contains("PrefixListId"), "{e}");
    let d = add(r#"{"PrefixListId":"pl-1","Entries":[{"Cidr":"10.0.0.0/8"}]}"#).unwrap();
    assert_eq!(d.prefix_lists[0].entries.as_ref().unwrap().len(), 1);
}

#[test]
fn pages_casing_combined_and_icmp_encodings() {
    // Two concatenated pages, camelCase in the second, a combined document with two keys.
    let d = add(r#"{"SecurityGroups":[{"GroupId":"sg-1","IpPermissions":[
          {"IpProtocol":"icmp","FromPort":3,"ToPort":4,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]},
          {"IpProtocol":"icmp","FromPort":-1,"ToPort":9,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]},
          {"IpProtocol":"icmpv6","Ipv6Ranges":[{"CidrIpv6":"::/0"}]},
          {"IpProtocol":"50","IpRanges":[{"CidrIp":"10.0.0.0/8"}]}]}],"NextToken":"x"}
        {"securityGroups":[{"groupId":"sg-2","ipPermissionsEgress":[{"ipProtocol":"-1","ipRanges":[{"cidrIp":"10.1.2.3/8"}]}]}],
         "Subnets":[{"SubnetId":"subnet-1","CidrBlock":"10.0.0.0/24"}]}"#)
    .unwrap();
    assert_eq!(d.security_groups.len(), 2);
    assert_eq!(d.subnets.len(), 1);
    let r = &d.security_groups[0].ingress;
    assert_eq!(r[0].ports, PortSpec::Icmp(Some(3), Some(4)));
    assert_eq!(r[1].ports, PortSpec::Nothing);
    assert_eq!(r[2].ports, PortSpec::Icmp(None, None));
    assert_eq!((r[3].protocol, r[3].ports), (Some(50), PortSpec::All));
    // CIDRs are canonicalised (10.1.2.3/8 -> 10.0.0.0/8).
    assert_eq!(
        d.security_groups[1].egress[0].peer.to_string(),
        "10.0.0.0/8"
    );
    assert!(d
        .warnings
        .iter()
        .any(|w| w.contains("$.SecurityGroups[0].IpPermissions[1]")));
}

#[test]
fn reference_to_group_not_in_dump_is_unknown_not_deny() {
    let mut d = Dump::default();
    d.add_json(
        Path::new("all.json"),
        r#"{"SecurityGroups":[{"GroupId":"sg-a","IpPermissions":[
              {"IpProtocol":"tcp","FromPort":22,"ToPort":22,"UserIdGroupPairs":[{"GroupId":"sg-elsewhere"}]}]}],
            "NetworkInterfaces":[{"NetworkInterfaceId":"eni-a","SubnetId":"subnet-1","PrivateIpAddress":"10.0.0.5",
              "Groups":[{"GroupId":"sg-a"}]}],
            "Subnets":[{"SubnetId":"subnet-1","CidrBlock":"10.0.0.0/24"}]}"#,
    )
    .unwrap();
    let net = Network::compile(d);
    let q: Query = "tcp 10.0.0.6:40000 -> 10.0.0.5:22".parse().unwrap();
    // 10.0.0.6 is in subnet-1 but on no dumped interface: its SG steps are unknown as well.
    assert_eq!(net.evaluate(&q).verdict(), Verdict::Unknown);
    // Port 23: no rule could match, so it is a definite deny.
    let q: Query = "tcp 10.0.0.6:40000 -> 10.0.0.5:23".parse().unwrap();
    assert_eq!(net.evaluate(&q).verdict(), Verdict::Deny);
}

#[test]
fn query_syntax() {
    let q: Query = "udp [2001:db8::1]:5353 -> [2001:db8::2]:53"
        .parse()
        .unwrap();
    assert_eq!((q.proto, q.src_port, q.dst_port), (17, 5353, 53));
    let q: Query = "icmp 10.0.0.1 -> 10.0.0.2 type 3 code 4".parse().unwrap();
    assert_eq!((q.proto, q.src_port, q.dst_port), (1, 3, 4));
    let q: Query = "icmpv6 2001:db8::1 -> 2001:db8::2".parse().unwrap();
    assert_eq!((q.proto, q.src_port, q.dst_port), (58, 128, 0));
    assert!("tcp 10.0.0.1 -> 10.0.0.2:22".parse::<Query>().is_err());
    assert!("tcp 10.0.0.1:1 -> 2001:db8::2:22".parse::<Query>().is_err());
    let v = serde_json::json!({"proto":"tcp","src":"10.0.0.1","src_port":1,"dst":"10.0.0.2","dst_port":22});
    assert_eq!(
        Query::from_json(&v).unwrap(),
        "tcp 10.0.0.1:1 -> 10.0.0.2:22".parse().unwrap()
    );
    let v = serde_json::json!({"proto":6,"src":"10.0.0.1","dst":"10.0.0.2","dst_port":22});
    assert!(Query::from_json(&v)
        .unwrap_err()
        .to_string()
        .contains("source port"));
}
