//! The binary on the shipped samples: output shape, filters, errors and exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{json_lines, run, sample};

fn stdout_lines(out: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn every_sample_reads_and_json_matches_text() {
    for file in common::sample_files() {
        let f = file.to_str().unwrap();
        let text = run(&["read", "-r", f]);
        let json = run(&["read", "--json", "-r", f]);
        // Corrupt samples end with an error, but both outputs stop at the same frame.
        assert_eq!(text.status.code(), json.status.code(), "{f}");
        let lines = stdout_lines(&text);
        let objects = json_lines(&json.stdout);
        assert_eq!(
            lines.len(),
            objects.len(),
            "{f}: text and JSON disagree on the packet count"
        );
        assert!(!lines.is_empty(), "{f}: no packets printed");
        for (i, obj) in objects.iter().enumerate() {
            assert_eq!(
                obj["frame"].as_u64(),
                Some(i as u64 + 1),
                "{f}: frames are numbered from 1"
            );
        }
        // stdout carries only packet lines; the summary is on stderr.
        assert!(
            stderr(&text).contains("packets read"),
            "{f}: no summary on stderr"
        );
    }
}

#[test]
fn count_limits_printed_packets() {
    let f = sample("mixed-be-ns.pcap");
    let out = run(&["read", "-c", "3", "-r", f.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(stdout_lines(&out).len(), 3);
}

#[test]
fn bpf_filter_means_what_tcpdump_means() {
    let f = sample("vlan-qinq.pcap");
    let f = f.to_str().unwrap();
    let all = json_lines(&run(&["read", "--json", "-r", f]).stdout);
    let udp = json_lines(&run(&["read", "--json", "-r", f, "vlan", "and", "udp"]).stdout);
    assert!(!udp.is_empty());
    assert!(udp.len() < all.len());
    assert!(udp.iter().all(|p| p["proto"] == "udp"), "{udp:?}");
    // The filter may also be given as one word.
    let one_word = json_lines(&run(&["read", "--json", "-r", f, "vlan and udp"]).stdout);
    assert_eq!(udp, one_word);
}

#[test]
fn link_level_flag_prints_macs_and_vlans() {
    let f = sample("vlan-qinq.pcap");
    let out = run(&["read", "-e", "-r", f.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ethertype 802.1Q (0x8100)"), "{text}");
    assert!(text.contains("ethertype 802.1Q-QinQ (0x88a8)"), "{text}");
    assert!(text.contains("vlan "), "{text}");
}

#[test]
fn snaplen_cut_packets_are_marked_and_counted() {
    let f = sample("snaplen-64.pcap");
    let out = run(&["read", "--json", "-r", f.to_str().unwrap()]);
    assert!(out.status.success());
    let pkts = json_lines(&out.stdout);
    assert!(pkts
        .iter()
        .any(|p| p["caplen"].as_u64() < p["len"].as_u64()));
    assert!(pkts.iter().any(|p| !p["truncated"].is_null()));
    let text = run(&["read", "-r", f.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("[|"));
    let summary = stderr(&text);
    assert!(!summary.contains(" 0 cut by snaplen"), "{summary}");
}

#[test]
fn gzip_and_stdin_inputs() {
    let gz = sample("mixed.pcap.gz");
    let out = run(&["read", "-r", gz.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let from_file = stdout_lines(&out);
    assert!(!from_file.is_empty());
    let piped = common::flowsleuth()
        .args(["read", "-r", "-"])
        .stdin(std::fs::File::open(&gz).unwrap())
        .output()
        .unwrap();
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert_eq!(stdout_lines(&piped), from_file);
}

#[test]
fn corrupt_record_prints_earlier_packets_then_fails_naming_the_frame() {
    let f = sample("corrupt-record.pcap");
    let out = run(&["read", "-r", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !stdout_lines(&out).is_empty(),
        "packets before the bad record are printed"
    );
    let err = stderr(&out);
    let last = err.lines().last().unwrap();
    assert!(last.starts_with("flowsleuth: "), "{err}");
    assert!(last.contains("corrupt-record.pcap"), "{err}");
    assert!(last.contains("frame"), "{err}");
}

#[test]
fn not_a_capture_is_a_one_line_error() {
    let dir = std::env::temp_dir().join(format!("flowsleuth-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bogus = dir.join("notes.txt");
    std::fs::write(&bogus, "this is not a capture\n").unwrap();
    let out = run(&["read", "-r", bogus.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("notes.txt"), "{err}");
    assert!(stdout_lines(&out).is_empty());

    let missing = run(&["read", "-r", dir.join("nope.pcap").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("nope.pcap"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_filter_is_an_error_naming_the_expression() {
    let f = sample("vlan-qinq.pcap");
    let out = run(&["read", "-r", f.to_str().unwrap(), "tcp", "port", "notaport"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("tcp port notaport"), "{err}");
    assert!(stdout_lines(&out).is_empty());
}

#[test]
fn bad_command_line_exits_2() {
    let out = run(&["read"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["capture", "-i", "lo", "-C", "1"]);
    assert_eq!(out.status.code(), Some(2), "-C needs -w");
}

#[test]
fn missing_interface_is_an_error_naming_it() {
    let out = run(&["capture", "-i", "nosuchif0", "-c", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nosuchif0"), "{}", stderr(&out));
}

#[test]
fn broken_pipe_is_not_an_error() {
    // Far more output than a pipe buffers, so flowsleuth is still writing when the reader goes.
    let path = std::env::temp_dir().join(format!("flowsleuth-pipe-{}.pcap", std::process::id()));
    let cfg = samplegen::big::BigConfig {
        packets: 20_000,
        seed: 1,
    };
    samplegen::big::write_file(&path, &cfg, false).unwrap();
    let out = common::close_after_first_byte(&["read", "-r", path.to_str().unwrap()]);
    std::fs::remove_file(&path).unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        !err.contains("flowsleuth:"),
        "a closed pipe is reported as an error: {err}"
    );
    // It stopped early rather than decoding the whole file into the void.
    assert!(!err.contains("20000 packets read"), "{err}");
}
