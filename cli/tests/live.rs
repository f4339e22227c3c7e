//! Live capture for real: flowsleuth captures on `lo` while the test makes traffic to
//! 127.0.0.1 (plain TCP and a TLS handshake between `openssl s_client` and `openssl s_server`).
//! Needs root or CAP_NET_RAW; without them the tests say SKIPPED loudly (and fail under CI,
//! which runs as root).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{flowsleuth, json_lines};

/// A running `flowsleuth capture`, its stderr lines collected by a thread.
struct Capture {
    child: Child,
    /// Set once the child has been waited for.
    reaped: bool,
    stderr: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Capture {
    /// Starts a capture and waits until it says it is listening. `None` when capture is
    /// impossible here (no privilege), after saying so.
    fn start(args: &[&str]) -> Option<Self> {
        Self::start_subcommand("capture", args)
    }

    /// [`start`](Self::start) for another subcommand that takes `-i` (`flows`, `tls`).
    fn start_subcommand(subcommand: &str, args: &[&str]) -> Option<Self> {
        let mut child = flowsleuth()
            .arg(subcommand)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut cap = Self {
            child,
            reaped: false,
            stderr: rx,
            seen: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            match cap.stderr.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    let listening = line.starts_with("listening on");
                    cap.seen.push(line);
                    if listening {
                        // libpcap is open; give the kernel a moment to attach the filter.
                        std::thread::sleep(Duration::from_millis(200));
                        return Some(cap);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let _ = cap.child.kill();
        let _ = cap.child.wait();
        let said = cap.seen.join("\n");
        let no_privilege = said.contains("permission") || said.contains("not permitted");
        if no_privilege && std::env::var_os("CI").is_none() {
            eprintln!(
                "SKIPPED: live capture is impossible here (needs root or CAP_NET_RAW): {said}"
            );
            return None;
        }
        panic!("capture did not start: {said}");
    }

    /// Standard output line by line while the capture runs (then `finish` returns no stdout).
    fn stdout_lines(&mut self) -> mpsc::Receiver<String> {
        let stdout = self.child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        rx
    }

    /// Stops the capture with SIGINT (as Ctrl-C would) and returns stdout and stderr.
    fn interrupt(self) -> (Vec<u8>, String, std::process::ExitStatus) {
        std::thread::sleep(Duration::from_millis(300));
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-INT", &pid]).status().unwrap();
        self.finish()
    }

    /// Waits (bounded) for the capture to end by itself.
    fn finish(mut self) -> (Vec<u8>, String, std::process::ExitStatus) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                self.reaped = true;
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("capture did not stop; stderr so far: {:?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut out = Vec::new();
        if let Some(mut stdout) = self.child.stdout.take() {
            stdout.read_to_end(&mut out).unwrap();
        }
        while let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(500)) {
            self.seen.push(line);
        }
        (out, self.seen.join("\n"), status)
    }
}

/// A test that fails half-way must not leave a capture running.
impl Drop for Capture {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowsleuth-live-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One TCP connection to a listener on 127.0.0.1:`port`, sending `bytes` bytes and reading them back.
fn tcp_exchange(port: u16, bytes: usize) {
    tcp_exchange_paced(port, bytes, Duration::ZERO);
}

/// As [`tcp_exchange`], pausing `pause` after each 16 KiB written. Loopback moves data far
/// faster than any link a capture normally watches; an unpaced multi-megabyte burst of 64 KiB
/// segments can overrun the kernel ring of a debug build (tcpdump's statistics would show the
/// same "dropped by kernel").
fn tcp_exchange_paced(port: u16, bytes: usize, pause: Duration) {
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = vec![0u8; 65536];
        let mut total = 0;
        while total < bytes {
            let n = s.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            total += n;
        }
        s.write_all(b"bye").unwrap();
    });
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let chunk = vec![0x5au8; 16384];
    let mut sent = 0;
    while sent < bytes {
        let n = chunk.len().min(bytes - sent);
        c.write_all(&chunk[..n]).unwrap();
        sent += n;
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }
    let mut reply = [0u8; 3];
    c.read_exact(&mut reply).unwrap();
    server.join().unwrap();
}

/// A TLS handshake from `openssl s_client -servername SNI` to `openssl s_server` on 127.0.0.1.
fn tls_handshake(dir: &Path, port: u16, sni: &str) {
    let key = dir.join("key.pem");
    let cert = dir.join("cert.pem");
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ])
        .args(["-days", "1", "-subj", &format!("/CN={sni}"), "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success());
    let mut server = Command::new("openssl")
        // -rev: an echo-style server that does not end the connection when its own stdin is
        // at EOF (plain s_server would, before the handshake completes).
        .args([
            "s_server",
            "-rev",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-naccept",
            "1",
            "-cert",
        ])
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the server accepts connections (probing would add a connection to the
    // capture, so watch the listening socket with `ss` instead).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ss = Command::new("ss")
            .args(["-ltnH", &format!("sport = :{port}")])
            .output()
            .unwrap();
        if !ss.stdout.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "openssl s_server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let client = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-servername",
            sni,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(client.success(), "openssl s_client failed");
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = server.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn flags(p: &serde_json::Value) -> &str {
    p["tcp_flags"].as_str().unwrap_or("")
}

#[test]
fn captures_tcp_on_lo_with_a_bpf_filter_and_stops_on_ctrl_c() {
    let port = free_port();
    let other = free_port();
    let filter = format!("tcp port {port}");
    let Some(cap) = Capture::start(&["-i", "lo", "--json", &filter]) else {
        return;
    };
    tcp_exchange(port, 5000);
    tcp_exchange(other, 100); // filtered out
    let (out, err, status) = cap.interrupt();
    assert!(status.success(), "{err}");
    let pkts = json_lines(&out);
    assert!(
        pkts.iter()
            .all(|p| p["src_port"] == port || p["dst_port"] == port),
        "filter leaked"
    );
    let syn = pkts.iter().find(|p| flags(p) == "S").expect("SYN captured");
    assert_eq!(syn["dst_port"], port);
    assert_eq!(syn["src"], "127.0.0.1");
    assert!(
        pkts.iter()
            .any(|p| flags(p) == "S." && p["src_port"] == port),
        "SYN-ACK captured"
    );
    let sent: u64 = pkts
        .iter()
        .filter(|p| p["dst_port"] == port)
        .map(|p| p["payload_len"].as_u64().unwrap())
        .sum();
    assert_eq!(sent, 5000, "all client bytes captured");
    assert!(pkts.iter().any(|p| flags(p).contains('F')), "FIN captured");
    // The tcpdump-style closing statistics.
    assert!(
        err.contains(&format!("{} packets captured", pkts.len())),
        "{err}"
    );
    assert!(err.contains("packets received by filter"), "{err}");
    assert!(err.contains("packets dropped by kernel"), "{err}");
}

#[test]
fn writes_a_tls_handshake_that_tshark_reads_with_the_sni() {
    if !common::require("openssl") || !common::require("tshark") {
        return;
    }
    let dir = temp_dir("tls");
    let port = free_port();
    let file = dir.join("tls.pcap");
    let filter = format!("tcp port {port}");
    let Some(cap) = Capture::start(&["-i", "lo", "-w", file.to_str().unwrap(), &filter]) else {
        return;
    };
    tls_handshake(&dir, port, "live.example.test");
    let (out, err, status) = cap.interrupt();
    assert!(status.success(), "{err}");
    assert!(out.is_empty(), "-w prints no packets");
    // Our own reader decodes what we wrote.
    let read = common::run(&["read", "--json", "-r", file.to_str().unwrap()]);
    assert!(read.status.success());
    let pkts = json_lines(&read.stdout);
    assert!(
        pkts.len() >= 8,
        "a TLS handshake is at least 8 packets, got {}",
        pkts.len()
    );
    assert!(
        err.contains(&format!("{} packets captured", pkts.len())),
        "{err}"
    );
    // tshark, independently, finds the ClientHello and its SNI in our file.
    let sni = Command::new("tshark")
        .arg("-r")
        .arg(&file)
        .args([
            "-d",
            &format!("tcp.port=={port},tls"),
            "-Y",
            "tls.handshake.type == 1",
        ])
        .args(["-T", "fields", "-e", "tls.handshake.extensions_server_name"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&sni.stdout).trim(),
        "live.example.test"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tls_and_flows_records_of_a_live_handshake() {
    if !common::require("openssl") {
        return;
    }
    let dir = temp_dir("tls-live");
    let port = free_port();
    let filter = format!("tcp port {port}");
    let Some(tls) = Capture::start_subcommand("tls", &["-i", "lo", "--format", "jsonl", &filter])
    else {
        return;
    };
    let flows_out = dir.join("flows.csv");
    let Some(flows) = Capture::start_subcommand(
        "flows",
        &[
            "-i",
            "lo",
            "--format",
            "csv",
            "-o",
            flows_out.to_str().unwrap(),
            &filter,
        ],
    ) else {
        return;
    };
    tls_handshake(&dir, port, "live.example.test");
    let (out, err, status) = tls.interrupt();
    assert!(status.success(), "{err}");
    let recs = json_lines(&out);
    assert_eq!(recs.len(), 1, "{err}");
    let r = &recs[0];
    assert_eq!(r["sni"], "live.example.test");
    assert_eq!(r["established"], true, "{r}");
    assert_eq!(r["server_port"], port);
    assert_eq!(r["phases"][0]["phase"], "client_hello");
    assert!(err.contains("1 TLS sessions"), "{err}");
    let (_, err, status) = flows.interrupt();
    assert!(status.success(), "{err}");
    let csv = std::fs::read_to_string(&flows_out).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].contains("live.example.test"), "{csv}");
    assert!(lines[1].contains(&format!(",{port},")), "{csv}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// On a quiet interface an idle connection still ends on time: its record comes out while
/// the capture runs, without a later packet to trigger the timeout.
#[test]
fn live_idle_timeouts_fire_without_further_packets() {
    let port = free_port();
    let filter = format!("udp port {port}");
    let Some(mut cap) = Capture::start_subcommand(
        "flows",
        &[
            "-i",
            "lo",
            "--format",
            "jsonl",
            "--idle-timeout-udp",
            "1",
            &filter,
        ],
    ) else {
        return;
    };
    let lines = cap.stdout_lines();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.send_to(b"anyone there?", ("127.0.0.1", port)).unwrap();
    let sent = Instant::now();
    // The record must arrive after the 1 s timeout, well before we stop the capture.
    let line = lines
        .recv_timeout(Duration::from_secs(10))
        .expect("no record while the capture was running");
    let waited = sent.elapsed();
    let r: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(r["proto"], "udp", "{r}");
    assert_eq!(r["resp_p"], port, "{r}");
    assert_eq!(r["end_reason"], "idle", "{r}");
    assert_eq!(r["orig_pkts"], 1, "{r}");
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    let (_, err, status) = cap.interrupt();
    assert!(status.success(), "{err}");
    assert!(err.contains("1 timed out"), "{err}");
}

#[test]
fn any_interface_uses_linux_cooked_headers() {
    let port = free_port();
    let filter = format!("tcp port {port}");
    let Some(cap) = Capture::start(&["-i", "any", "-c", "3", "--json", &filter]) else {
        return;
    };
    tcp_exchange(port, 10);
    let (out, err, status) = cap.finish();
    assert!(status.success(), "{err}");
    let pkts = json_lines(&out);
    assert_eq!(pkts.len(), 3, "-c 3 stops after three packets");
    for p in &pkts {
        assert!(p["link"] == "linux_sll2" || p["link"] == "linux_sll", "{p}");
        assert_eq!(p["src"], "127.0.0.1");
    }
}

/// Files of a rotation, sorted by name.
fn files_in(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    v.sort();
    v
}

fn packets_in(file: &Path) -> usize {
    let out = common::run(&["read", "-r", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{} unreadable: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).lines().count()
}

#[test]
fn size_rotation_produces_readable_files() {
    let dir = temp_dir("rotate");
    let port = free_port();
    let base = dir.join("rot.pcap");
    let filter = format!("tcp port {port}");
    let Some(cap) = Capture::start(&["-i", "lo", "-w", base.to_str().unwrap(), "-C", "1", &filter])
    else {
        return;
    };
    tcp_exchange_paced(port, 3_500_000, Duration::from_micros(500));
    let (_, err, status) = cap.interrupt();
    assert!(status.success(), "{err}");
    let files = files_in(&dir, "rot.pcap");
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(err.contains("\n0 packets dropped by kernel"), "{err}");
    assert!(names.len() >= 4, "3.5 MB in 1 MB files: {names:?}; {err}");
    // tcpdump's naming: FILE, FILE1, FILE2, ...
    assert!(
        names.contains(&"rot.pcap".to_owned()) && names.contains(&"rot.pcap1".to_owned()),
        "{names:?}"
    );
    let mut total = 0;
    for f in &files {
        let size = std::fs::metadata(f).unwrap().len();
        assert!(
            size <= 1_000_000 + 70_000,
            "{} is {size} bytes",
            f.display()
        );
        total += packets_in(f);
    }
    assert!(err.contains(&format!("{total} packets captured")), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn size_rotation_with_a_file_limit_is_a_ring() {
    let dir = temp_dir("ring");
    let port = free_port();
    let base = dir.join("ring.pcap");
    let filter = format!("tcp port {port}");
    let args = [
        "-i",
        "lo",
        "-w",
        base.to_str().unwrap(),
        "-C",
        "1",
        "-W",
        "2",
        &filter,
    ];
    let Some(cap) = Capture::start(&args) else {
        return;
    };
    tcp_exchange_paced(port, 4_000_000, Duration::from_micros(500));
    let (_, err, status) = cap.interrupt();
    assert!(status.success(), "{err}");
    let names: Vec<String> = files_in(&dir, "ring.pcap")
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec!["ring.pcap0".to_owned(), "ring.pcap1".to_owned()]
    );
    for f in files_in(&dir, "ring.pcap") {
        assert!(packets_in(&f) > 0);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
