//! Live capture through the system libpcap (feature `libpcap`).

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use decode::LinkType;
use pcap::{Active, Capture, Device};

use crate::error::CaptureError;
use crate::packet::{PacketRef, Timestamp};
use crate::source::PacketSource;

/// How to open a live capture. Build it with struct update syntax:
/// `LiveConfig { interface: "eth0".into(), ..LiveConfig::default() }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveConfig {
    /// Interface name, as `list_interfaces` gives it; `any` captures on all of them (Linux).
    pub interface: String,
    /// Bytes kept of each packet (tcpdump `-s`). 0 or less means 262144.
    pub snaplen: i32,
    /// Put the interface in promiscuous mode (tcpdump's default; `-p` turns it off). Ignored for
    /// `any`, which does not support it.
    pub promisc: bool,
    /// A BPF filter, compiled by libpcap and run in the kernel.
    pub filter: Option<String>,
    /// Kernel buffer size in bytes (tcpdump `-B`, in KiB there); `None` keeps libpcap's default
    /// (2 MiB on Linux).
    pub buffer_size: Option<i32>,
    /// Read timeout: how long libpcap may wait to batch packets, and how often the stop flag is
    /// checked when no packet comes.
    pub timeout_ms: i32,
    /// Deliver each packet as soon as it arrives (tcpdump `--immediate-mode`).
    pub immediate: bool,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            interface: "any".to_owned(),
            snaplen: 262_144,
            promisc: true,
            filter: None,
            buffer_size: None,
            timeout_ms: 100,
            immediate: false,
        }
    }
}

/// Packet counts from the kernel (`pcap_stats`), as tcpdump prints them at exit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Packets that passed the filter ("packets received by filter").
    pub received: u32,
    /// Packets dropped because the buffer was full ("packets dropped by kernel").
    pub dropped: u32,
    /// Packets dropped by the interface or its driver ("packets dropped by interface").
    pub if_dropped: u32,
}

/// State flags of an interface.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InterfaceFlags {
    /// Administratively up.
    pub up: bool,
    /// Operationally up.
    pub running: bool,
    /// A loopback interface.
    pub loopback: bool,
    /// A wireless interface.
    pub wireless: bool,
}

/// An interface libpcap can capture on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// The name to pass as [`LiveConfig::interface`].
    pub name: String,
    /// A human description, when the system has one.
    pub description: Option<String>,
    /// The IPv4 and IPv6 addresses of the interface.
    pub addresses: Vec<IpAddr>,
    /// Up, running, loopback, wireless.
    pub flags: InterfaceFlags,
}

/// Lists the interfaces libpcap can capture on (tcpdump `-D`), in libpcap's order.
///
/// # Errors
/// [`CaptureError::ListInterfaces`] if libpcap fails.
pub fn list_interfaces() -> Result<Vec<InterfaceInfo>, CaptureError> {
    let devices = Device::list().map_err(|e| CaptureError::ListInterfaces { msg: pcap_msg(&e) })?;
    Ok(devices
        .into_iter()
        .map(|d| InterfaceInfo {
            flags: InterfaceFlags {
                up: d.flags.is_up(),
                running: d.flags.is_running(),
                loopback: d.flags.is_loopback(),
                wireless: d.flags.is_wireless(),
            },
            addresses: d.addresses.iter().map(|a| a.addr).collect(),
            description: d.desc,
            name: d.name,
        })
        .collect())
}

/// A live capture on one interface.
///
/// [`PacketSource::next_packet`] waits for the next packet. Once the stop flag given to
/// [`LiveSource::open`] is set it returns `Ok(None)`, so a Ctrl-C handler that sets the flag ends
/// the capture cleanly. Waking up a blocked read needs help on Linux: libpcap's read timeout
/// only runs once a packet has arrived (TPACKET_V3), so an idle interface would block forever.
/// A small thread per source therefore looks at the flag every [`LiveConfig::timeout_ms`] and
/// calls `pcap_breakloop`, which wakes the read (libpcap >= 1.10); it ends when the source is
/// dropped. The same thread wakes a read that has waited a whole interval without a packet,
/// so [`LiveSource::poll`] reports idle intervals on a quiet interface.
///
/// Each packet is copied once, from libpcap's ring buffer into a buffer of the source that is
/// reused for every packet (the `pcap` crate's lending read cannot be used in a retry loop
/// without `unsafe`). Timestamps have microsecond precision.
pub struct LiveSource {
    cap: Capture<Active>,
    interface: String,
    link: LinkType,
    stop: Arc<AtomicBool>,
    frames: u64,
    buf: Vec<u8>,
    /// Cleared on drop, to end the stop-flag watcher.
    alive: Arc<AtomicBool>,
    /// Shared with the watcher, which wakes a read blocked on a quiet interface.
    activity: Arc<Activity>,
}

/// What the watcher thread needs to know to wake a blocked read.
#[derive(Debug, Default)]
struct Activity {
    /// A read is in progress.
    reading: AtomicBool,
    /// Packets read so far.
    frames: AtomicU64,
    /// The watcher broke the read loop to report an idle interval.
    woken: AtomicBool,
}

impl Drop for LiveSource {
    fn drop(&mut self) {
        self.alive.store(false, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for LiveSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSource")
            .field("interface", &self.interface)
            .field("link", &self.link)
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl LiveSource {
    /// Opens and activates the capture, and installs the filter.
    ///
    /// # Errors
    /// [`CaptureError::NoSuchDevice`], [`CaptureError::Permission`] (not root and no
    /// `CAP_NET_RAW`/`CAP_NET_ADMIN`), [`CaptureError::Filter`] for a filter that does not
    /// compile, [`CaptureError::Live`] for anything else libpcap reports.
    pub fn open(config: LiveConfig, stop: Arc<AtomicBool>) -> Result<Self, CaptureError> {
        let iface = config.interface;
        let snaplen = if config.snaplen > 0 {
            config.snaplen
        } else {
            262_144
        };
        // libpcap refuses promiscuous mode on "any" with a warning, which the pcap crate turns
        // into an error.
        let promisc = config.promisc && iface != "any";
        let mut inactive = Capture::from_device(iface.as_str())
            .map_err(|e| open_error(&iface, &e))?
            .snaplen(snaplen)
            .promisc(promisc)
            .timeout(config.timeout_ms.max(1))
            .immediate_mode(config.immediate);
        if let Some(size) = config.buffer_size {
            inactive = inactive.buffer_size(size);
        }
        let mut cap = inactive.open().map_err(|e| open_error(&iface, &e))?;
        if iface == "any" {
            prefer_sll2(&mut cap);
        }
        // After the link type is chosen: BPF code depends on it.
        if let Some(expr) = &config.filter {
            cap.filter(expr, true).map_err(|e| CaptureError::Filter {
                expr: expr.clone(),
                msg: pcap_msg(&e),
            })?;
        }
        let link = LinkType::from_u32(u32::try_from(cap.get_datalink().0).unwrap_or(u32::MAX));
        log::debug!("{iface}: capturing, link type {link}, snaplen {snaplen}");
        let alive = Arc::new(AtomicBool::new(true));
        let interval =
            Duration::from_millis(u64::try_from(config.timeout_ms.clamp(10, 1000)).unwrap_or(100));
        let breaker = cap.breakloop_handle();
        let (watched, watcher_alive) = (Arc::clone(&stop), Arc::clone(&alive));
        let activity = Arc::new(Activity::default());
        let watched_activity = Arc::clone(&activity);
        thread::Builder::new()
            .name("flowsleuth-capture-stop".into())
            .spawn(move || {
                let mut last_frames = u64::MAX;
                while watcher_alive.load(Ordering::Relaxed) {
                    if watched.load(Ordering::Relaxed) {
                        // Holds only a weak reference: a no-op once the capture is closed.
                        breaker.breakloop();
                        return;
                    }
                    // A read blocked for a whole interval without a packet: wake it, so the
                    // caller sees an idle interval (`Poll::Idle`).
                    let frames = watched_activity.frames.load(Ordering::Relaxed);
                    if watched_activity.reading.load(Ordering::Relaxed) && frames == last_frames {
                        watched_activity.woken.store(true, Ordering::Relaxed);
                        breaker.breakloop();
                    }
                    last_frames = frames;
                    thread::sleep(interval);
                }
            })
            .map_err(|e| CaptureError::Live {
                iface: iface.clone(),
                msg: format!("cannot start the stop-flag watcher thread: {e}"),
            })?;
        Ok(Self {
            cap,
            interface: iface,
            link,
            stop,
            frames: 0,
            buf: Vec::with_capacity(usize::try_from(snaplen).unwrap_or(262_144)),
            alive,
            activity,
        })
    }

    /// The interface name.
    #[must_use]
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// The link type libpcap reports (`LINUX_SLL2` for `any`, or `LINUX_SLL` with a libpcap
    /// older than 1.10). A link type
    /// `decode` does not know is not an error here: the packets can still be written to a file.
    #[must_use]
    pub const fn link_type(&self) -> LinkType {
        self.link
    }

    /// Kernel counters since the capture started.
    ///
    /// # Errors
    /// [`CaptureError::Live`] if libpcap cannot give them.
    pub fn stats(&mut self) -> Result<LiveStats, CaptureError> {
        let s = self.cap.stats().map_err(|e| CaptureError::Live {
            iface: self.interface.clone(),
            msg: format!("cannot read capture statistics: {}", pcap_msg(&e)),
        })?;
        Ok(LiveStats {
            received: s.received,
            dropped: s.dropped,
            if_dropped: s.if_dropped,
        })
    }
}

/// What one [`LiveSource::poll`] gave.
#[derive(Debug)]
pub enum Poll<'a> {
    /// A packet.
    Packet(PacketRef<'a>),
    /// No packet within the read timeout ([`LiveConfig::timeout_ms`]): time for the caller's
    /// periodic work (expiring idle connections, flushing output).
    Idle,
    /// The capture is over (the stop flag was set).
    End,
}

/// One read attempt, without a borrow of the buffer.
enum Read {
    Packet(Header),
    Idle,
    End,
}

/// Seconds, microseconds, captured length, original length.
type Header = (i64, i64, u32, u32);

impl LiveSource {
    /// Waits at most one read timeout for a packet. Unlike
    /// [`next_packet`](PacketSource::next_packet), which waits as long as it takes, this
    /// returns [`Poll::Idle`] when nothing arrived, so a caller can do time-driven work on a
    /// quiet interface.
    ///
    /// # Errors
    ///
    /// [`CaptureError::Live`] when libpcap fails to read.
    pub fn poll(&mut self) -> Result<Poll<'_>, CaptureError> {
        Ok(match self.read_one()? {
            Read::Packet(h) => Poll::Packet(self.packet_ref(h)),
            Read::Idle => Poll::Idle,
            Read::End => Poll::End,
        })
    }

    fn read_one(&mut self) -> Result<Read, CaptureError> {
        if self.stop.load(Ordering::Relaxed) {
            return Ok(Read::End);
        }
        let buf = &mut self.buf;
        let mut header = None;
        self.activity.reading.store(true, Ordering::Relaxed);
        let got = self.cap.dispatch(Some(1), |p| {
            buf.clear();
            buf.extend_from_slice(p.data);
            header = Some((
                p.header.ts.tv_sec,
                p.header.ts.tv_usec,
                p.header.caplen,
                p.header.len,
            ));
        });
        self.activity.reading.store(false, Ordering::Relaxed);
        match got {
            Ok(_) => {}
            Err(pcap::Error::TimeoutExpired) => return Ok(Read::Idle),
            Err(pcap::Error::NoMorePackets) => return Ok(Read::End),
            // pcap_breakloop, called because the flag is set, makes the read fail.
            Err(_) if self.stop.load(Ordering::Relaxed) => return Ok(Read::End),
            // ... or because the interface was quiet for an interval.
            Err(_) if self.activity.woken.swap(false, Ordering::Relaxed) => return Ok(Read::Idle),
            Err(e) => {
                return Err(CaptureError::Live {
                    iface: self.interface.clone(),
                    msg: pcap_msg(&e),
                })
            }
        }
        // Nothing within the timeout.
        Ok(header.map_or(Read::Idle, Read::Packet))
    }

    fn packet_ref(&mut self, (secs, usecs, caplen, origlen): Header) -> PacketRef<'_> {
        self.frames += 1;
        self.activity.frames.store(self.frames, Ordering::Relaxed);
        let usecs = u32::try_from(usecs).unwrap_or(0).min(999_999);
        PacketRef {
            frame: self.frames,
            ts: Timestamp {
                secs,
                nanos: usecs * 1000,
            },
            caplen: caplen.min(u32::try_from(self.buf.len()).unwrap_or(u32::MAX)),
            origlen,
            link: self.link,
            interface: 0,
            data: &self.buf,
        }
    }
}

impl PacketSource for LiveSource {
    fn next_packet(&mut self) -> Result<Option<PacketRef<'_>>, CaptureError> {
        loop {
            match self.read_one()? {
                Read::Packet(h) => return Ok(Some(self.packet_ref(h))),
                Read::End => return Ok(None),
                // Nothing within the timeout: look at the stop flag and wait again.
                Read::Idle => {}
            }
        }
    }
}

/// On `any`, libpcap 1.10 defaults to Linux cooked v1 (`LINUX_SLL`); v2 also says which
/// interface each packet came from, and is what tcpdump 4.99 picks. Keep v1 where v2 is not
/// offered.
fn prefer_sll2(cap: &mut Capture<Active>) {
    const SLL2: pcap::Linktype = pcap::Linktype(276);
    match cap.list_datalinks() {
        Ok(links) if links.contains(&SLL2) => {
            if let Err(e) = cap.set_datalink(SLL2) {
                log::debug!("any: cannot switch to LINUX_SLL2: {e}");
            }
        }
        Ok(_) => {}
        Err(e) => log::debug!("any: cannot list link types: {e}"),
    }
}

/// libpcap's message without the crate's `libpcap error: ` prefix.
pub(crate) fn pcap_msg(e: &pcap::Error) -> String {
    match e {
        pcap::Error::PcapError(msg) => msg.clone(),
        other => other.to_string(),
    }
}

fn open_error(iface: &str, e: &pcap::Error) -> CaptureError {
    let msg = pcap_msg(e);
    let lower = msg.to_ascii_lowercase();
    if lower.contains("no such device") || lower.contains("doesn't exist") {
        CaptureError::NoSuchDevice {
            iface: iface.to_owned(),
        }
    } else if lower.contains("operation not permitted") || lower.contains("permission") {
        CaptureError::Permission {
            iface: iface.to_owned(),
            msg,
        }
    } else {
        CaptureError::Live {
            iface: iface.to_owned(),
            msg,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpcap_errors_are_classified() {
        let e = |m: &str| open_error("eth9", &pcap::Error::PcapError(m.to_owned()));
        assert!(matches!(
            e("eth9: No such device exists (SIOCGIFHWADDR: No such device)"),
            CaptureError::NoSuchDevice { .. }
        ));
        assert!(matches!(
            e("socket: Operation not permitted"),
            CaptureError::Permission { .. }
        ));
        assert!(matches!(
            e("You don't have permission to capture on that device"),
            CaptureError::Permission { .. }
        ));
        assert!(matches!(e("something else"), CaptureError::Live { .. }));
        assert_eq!(
            e("socket: Operation not permitted").to_string(),
            "eth9: permission denied: socket: Operation not permitted (capturing needs root, or the CAP_NET_RAW and CAP_NET_ADMIN capabilities: setcap cap_net_raw,cap_net_admin=eip <binary>)"
        );
    }

    #[test]
    fn default_config_is_tcpdumps() {
        let c = LiveConfig::default();
        assert_eq!((c.snaplen, c.promisc, c.timeout_ms), (262_144, true, 100));
    }
}
