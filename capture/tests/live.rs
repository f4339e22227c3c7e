//! Real live captures on the loopback interface (needs root or CAP_NET_RAW + CAP_NET_ADMIN).
//!
//! Without the privilege the tests say so loudly on stderr and pass; any other failure fails.
//! Every wait is bounded: a watchdog sets the stop flag, so `next_packet` returns `Ok(None)`.
#![cfg(feature = "libpcap")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use capture::{list_interfaces, CaptureError, LiveConfig, LiveSource, PacketSource};
use decode::LinkType;

const DEADLINE: Duration = Duration::from_secs(10);

/// Opens a capture, or says loudly why it cannot run and returns `None`.
fn open(config: LiveConfig, stop: &Arc<AtomicBool>) -> Option<LiveSource> {
    match LiveSource::open(config, Arc::clone(stop)) {
        Ok(src) => Some(src),
        Err(e @ CaptureError::Permission { .. }) => {
            skipped(&e.to_string());
            None
        }
        Err(e) => panic!("cannot open live capture: {e}"),
    }
}

/// Says loudly that a test could not run. Written to the process's stderr directly: the test
/// harness hides `eprintln!` output of passing tests.
fn skipped(why: &str) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n*** SKIPPED: live capture needs root/CAP_NET_RAW: {why} ***\n"
    );
}

/// Sets `stop` after the deadline unless `done` is set first.
fn watchdog(stop: Arc<AtomicBool>, done: Arc<AtomicBool>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let start = Instant::now();
        while !done.load(Ordering::Relaxed) {
            if start.elapsed() > DEADLINE {
                stop.store(true, Ordering::Relaxed);
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
    })
}

/// TCP fields of an IPv4 packet starting at `ip`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tcp {
    src_port: u16,
    dst_port: u16,
    flags: u8,
    payload: Vec<u8>,
}

fn parse_ipv4_tcp(ip: &[u8]) -> Option<Tcp> {
    if ip.len() < 20 || ip[0] >> 4 != 4 || ip[9] != 6 {
        return None;
    }
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]])).min(ip.len());
    let tcp = ip.get(ihl..total)?;
    if tcp.len() < 20 {
        return None;
    }
    let doff = usize::from(tcp[12] >> 4) * 4;
    Some(Tcp {
        src_port: u16::from_be_bytes([tcp[0], tcp[1]]),
        dst_port: u16::from_be_bytes([tcp[2], tcp[3]]),
        flags: tcp[13],
        payload: tcp.get(doff..)?.to_vec(),
    })
}

/// Loopback frames: 14 bytes of Ethernet header with zero MACs and type 0x0800.
fn parse_loopback_frame(frame: &[u8]) -> Option<Tcp> {
    let (eth, ip) = frame.split_at_checked(14)?;
    assert_eq!(&eth[..12], &[0; 12], "loopback MAC addresses are zero");
    if eth[12..14] != [0x08, 0x00] {
        return None;
    }
    parse_ipv4_tcp(ip)
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;

/// Connects to `port` and sends `msg`; the server side reads it.
fn talk(listener: TcpListener, msg: &'static [u8]) -> thread::JoinHandle<()> {
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let server = thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            conn.set_read_timeout(Some(DEADLINE)).unwrap();
            let mut got = vec![0; msg.len()];
            conn.read_exact(&mut got).unwrap();
        });
        let mut client =
            TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), DEADLINE).unwrap();
        client.write_all(msg).unwrap();
        server.join().unwrap();
    })
}

#[test]
fn loopback_capture_sees_the_handshake_and_the_data_and_nothing_else() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let other = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let other_port = other.local_addr().unwrap().port();

    let stop = Arc::new(AtomicBool::new(false));
    let config = LiveConfig {
        interface: "lo".into(),
        filter: Some(format!("tcp port {port}")),
        immediate: true,
        ..LiveConfig::default()
    };
    let Some(mut src) = open(config, &stop) else {
        return;
    };
    assert_eq!(src.interface(), "lo");
    assert_eq!(src.link_type(), LinkType::Ethernet);

    let done = Arc::new(AtomicBool::new(false));
    let dog = watchdog(Arc::clone(&stop), Arc::clone(&done));
    // Traffic to another port first: the filter must drop it.
    talk(other, b"not for us").join().unwrap();
    let client = talk(listener, b"hello flowsleuth");

    let (mut syn, mut syn_ack, mut data) = (false, false, false);
    let mut frames = 0u64;
    while let Some(pkt) = src.next_packet().unwrap() {
        frames += 1;
        assert_eq!(pkt.frame, frames);
        assert_eq!(pkt.caplen as usize, pkt.data.len());
        assert!(pkt.ts.secs > 1_600_000_000, "timestamps are wall-clock UTC");
        let tcp = parse_loopback_frame(pkt.data).expect("an IPv4 TCP frame");
        assert!(
            tcp.src_port == port || tcp.dst_port == port,
            "filter let {tcp:?} through"
        );
        assert!(tcp.src_port != other_port && tcp.dst_port != other_port);
        syn |= tcp.dst_port == port && tcp.flags & (SYN | ACK) == SYN;
        syn_ack |= tcp.src_port == port && tcp.flags & (SYN | ACK) == SYN | ACK;
        data |= tcp.dst_port == port && tcp.payload == b"hello flowsleuth";
        if syn && syn_ack && data {
            break;
        }
    }
    done.store(true, Ordering::Relaxed);
    dog.join().unwrap();
    client.join().unwrap();
    assert!(
        syn && syn_ack && data,
        "missing packets: syn {syn}, syn-ack {syn_ack}, data {data} ({frames} frames)"
    );

    let stats = src.stats().unwrap();
    assert!(
        u64::from(stats.received) >= frames,
        "{stats:?} after {frames} frames"
    );

    // Once the flag is set the source ends, even though the interface is still up.
    stop.store(true, Ordering::Relaxed);
    assert!(src.next_packet().unwrap().is_none());
}

#[test]
fn any_interface_uses_linux_cooked_headers() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let config = LiveConfig {
        interface: "any".into(),
        promisc: true, // not supported on "any": must be ignored, not fail
        filter: Some(format!("tcp dst port {port}")),
        immediate: false, // packets come when libpcap's buffer timeout expires
        ..LiveConfig::default()
    };
    let Some(mut src) = open(config, &stop) else {
        return;
    };
    let link = src.link_type();
    assert!(
        matches!(link, LinkType::LinuxSll2 | LinkType::LinuxSll),
        "{link:?}"
    );

    let done = Arc::new(AtomicBool::new(false));
    let dog = watchdog(Arc::clone(&stop), Arc::clone(&done));
    let client = talk(listener, b"x");
    let pkt = src
        .next_packet()
        .unwrap()
        .expect("a packet before the deadline");
    // SLL2 starts with the protocol type; SLL has it at offset 14.
    let (proto_at, header_len) = if link == LinkType::LinuxSll2 {
        (0, 20)
    } else {
        (14, 16)
    };
    assert_eq!(&pkt.data[proto_at..proto_at + 2], &[0x08, 0x00]);
    let tcp = parse_ipv4_tcp(&pkt.data[header_len..]).unwrap();
    assert_eq!(tcp.dst_port, port);
    assert_eq!(pkt.link, link);
    done.store(true, Ordering::Relaxed);
    dog.join().unwrap();
    client.join().unwrap();
}

#[test]
fn stop_flag_ends_an_idle_capture_promptly() {
    let stop = Arc::new(AtomicBool::new(false));
    // A filter nothing matches: the source only ever times out.
    let config = LiveConfig {
        interface: "lo".into(),
        filter: Some("udp port 9".into()),
        timeout_ms: 50,
        ..LiveConfig::default()
    };
    let Some(mut src) = open(config, &stop) else {
        return;
    };
    let setter = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(300));
            stop.store(true, Ordering::Relaxed);
        })
    };
    // Read on another thread, so that a read that never wakes up fails the test instead of
    // hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let start = Instant::now();
        let ended = matches!(src.next_packet(), Ok(None));
        let _ = tx.send((ended, start.elapsed()));
    });
    let (ended, took) = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the stop flag did not end the read");
    assert!(ended);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    setter.join().unwrap();
}

#[test]
fn opening_errors_are_specific() {
    let stop = Arc::new(AtomicBool::new(false));
    let config = LiveConfig {
        interface: "nosuchif0".into(),
        ..LiveConfig::default()
    };
    match LiveSource::open(config, Arc::clone(&stop)) {
        Err(CaptureError::NoSuchDevice { iface }) => assert_eq!(iface, "nosuchif0"),
        Err(CaptureError::Permission { .. }) => {
            skipped("opening errors");
            return;
        }
        other => panic!("expected NoSuchDevice, got {other:?}"),
    }
    let config = LiveConfig {
        interface: "lo".into(),
        filter: Some("tcp port".into()),
        ..LiveConfig::default()
    };
    match LiveSource::open(config, stop) {
        Err(e @ CaptureError::Filter { .. }) => {
            assert!(
                e.to_string()
                    .starts_with("invalid capture filter \"tcp port\": "),
                "{e}"
            );
        }
        other => panic!("expected a filter error, got {other:?}"),
    }
}

#[test]
fn interfaces_are_listed() {
    let ifaces = list_interfaces().unwrap();
    let lo = ifaces
        .iter()
        .find(|i| i.name == "lo")
        .expect("lo is listed");
    assert!(lo.flags.loopback && lo.flags.up, "{lo:?}");
    assert!(lo.addresses.contains(&Ipv4Addr::LOCALHOST.into()), "{lo:?}");
    assert!(ifaces.iter().any(|i| i.name == "any"));
}
