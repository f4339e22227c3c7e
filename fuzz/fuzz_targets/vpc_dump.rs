#![no_main]
//! Arbitrary bytes as an `aws ec2 describe-*` dump, then a few flows through the compiled
//! network, and the same bytes as an `explain` query string. Checks: no panic, and a dump
//! that loads always compiles and evaluates (every flow gets a verdict and an explanation).

use std::path::Path;
use std::str::FromStr;

use flowlogs::vpc::{Dump, Explanation, Network, Query};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = Query::from_str(&text);
    let mut dump = Dump::default();
    if dump.add_json(Path::new("fuzz.json"), &text).is_err() {
        return;
    }
    let net = Network::compile(dump);
    // Flows between addresses the dump is likely to mention and a few fixed ones.
    let addrs = ["10.0.1.5", "10.0.2.7", "192.168.0.1", "203.0.113.9", "2001:db8::1"];
    for (i, src) in addrs.iter().enumerate() {
        for dst in addrs.iter().skip(i + 1) {
            for proto in ["tcp", "udp", "icmp 8/0"] {
                let q = if proto.starts_with("icmp") {
                    format!("icmp {src} -> {dst} type 8 code 0")
                } else {
                    format!("{proto} {src}:40000 -> {dst}:22")
                };
                if let Ok(q) = Query::from_str(&q) {
                    let ev = net.evaluate(&q);
                    let _ = ev.verdict();
                    let _ = Explanation::new(&net, &ev);
                }
            }
        }
    }
});
