//! Large mixed captures for benchmarks, streamed to disk.
//!
//! About 512 TCP connections are open at any time (HTTPS with a TLS
//! ClientHello / ServerHello flight and application-data records, plain
//! HTTP, SSH banner grabs, opaque database-like exchanges on 5432, refused
//! connections on 8443), and
//! between them DNS over UDP, NTP, ICMP / ICMPv6 echo and ARP. About 15 % of
//! the traffic is IPv6 and about 20 % of the connections are 802.1Q-tagged.
//! Every packet is built, written and forgotten: memory stays flat whatever
//! the packet count, and the output is exactly `packets` frames long (the
//! connections still open at the end are simply cut, as in a real capture).

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::path::Path;

use crate::addr::{doc_v6, mac};
use crate::arp::Arp;
use crate::conn::{Dir, TcpConn, TcpConnConfig};
use crate::icmp::Icmp;
use crate::link::{Link, LinkPair, LinkType, MacAddr, VlanTag, BROADCAST};
use crate::packet::{FrameBuilder, Ip, Transport};
use crate::pcap::{PcapHeader, PcapWriter};
use crate::rng::SplitMix64;
use crate::sink::{PacketSink, Recorder};
use crate::tcp::TcpFlags;
use crate::time::BASE_TIME;
use crate::udp::Udp;
use crate::{dns, gzip, http, tls};

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BigConfig {
    /// Exact number of packets to write.
    pub packets: u64,
    /// PRNG seed: the same seed gives the same file.
    pub seed: u64,
}

/// What was generated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BigStats {
    /// Packets written.
    pub packets: u64,
    /// Sum of the frame lengths.
    pub frame_bytes: u64,
    /// TCP connections started.
    pub tcp_connections: u64,
}

/// Concurrent TCP connection slots.
const SLOTS: usize = 512;

/// Writes the capture (pcap, little-endian, µs, Ethernet) to `w`, which
/// should be buffered (two small writes per packet). The first ~10 000
/// packets are rich in SYNs while the connection slots fill up.
///
/// # Examples
///
/// ```
/// use samplegen::big::{write, BigConfig};
///
/// let mut pcap = Vec::new();
/// let stats = write(&mut pcap, &BigConfig { packets: 1000, seed: 1 })?;
/// assert_eq!(stats.packets, 1000);
/// assert_eq!(pcap.len() as u64, 24 + 16 * 1000 + stats.frame_bytes);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// Any I/O error from `w`.
pub fn write<W: Write>(w: W, cfg: &BigConfig) -> io::Result<BigStats> {
    let pcap = PcapWriter::new(w, PcapHeader::new(LinkType::ETHERNET))?;
    let sink = Counting {
        inner: pcap,
        frame_bytes: 0,
    };
    let mut g = Generator::new(Recorder::new(sink, BASE_TIME), cfg.seed);
    while g.rec.count() < cfg.packets {
        g.step(cfg.packets)?;
    }
    let stats = BigStats {
        packets: g.rec.count(),
        frame_bytes: g.rec.sink_mut().frame_bytes,
        tcp_connections: g.connections,
    };
    g.rec.into_inner().inner.finish()?.flush()?;
    Ok(stats)
}

/// Writes the capture to the file `path`, gzip-compressed (level 1) if
/// `gzip` is set.
///
/// # Errors
///
/// Any error creating or writing the file.
pub fn write_file(path: &Path, cfg: &BigConfig, gzip: bool) -> io::Result<BigStats> {
    gzip::write_file_with(path, gzip, |w| write(w, cfg))
}

/// Counts frame bytes on the way to the real sink.
struct Counting<S> {
    inner: S,
    frame_bytes: u64,
}

impl<S: PacketSink> PacketSink for Counting<S> {
    fn write_packet(&mut self, ts: crate::Timestamp, frame: &[u8]) -> io::Result<()> {
        self.frame_bytes += frame.len() as u64;
        self.inner.write_packet(ts, frame)
    }
}

/// The bytes of one `Send` action, produced when the action starts.
#[derive(Clone, Copy, Debug)]
enum Content {
    ClientHello,
    ServerFlight(u16),
    TlsAppData(u32),
    HttpRequest,
    HttpResponse(u32),
    Opaque(u32),
    Text(&'static str),
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Syn,
    SynAck,
    Ack(Dir),
    Send(Dir, Content),
    Fin(Dir),
    Rst(Dir),
}

struct Flow {
    conn: TcpConn,
    script: Vec<Action>,
    pc: usize,
    host: String,
    hello: Option<tls::ClientHello>,
    cur: Vec<u8>,
    cur_off: usize,
    segs: u32,
    ack_due: Option<Dir>,
}

const NAMES: [&str; 12] = [
    "www.example.com",
    "api.example.com",
    "cdn.example.net",
    "login.example.org",
    "static.example.com",
    "telemetry.example.net",
    "mail.example.org",
    "images.example.com",
    "update.example.test",
    "s3.example.test",
    "auth.example.net",
    "ws.example.org",
];

struct Generator<S> {
    rec: Recorder<S>,
    rng: SplitMix64,
    slots: Vec<Option<Flow>>,
    fb: FrameBuilder,
    buf: Vec<u8>,
    pool: Vec<u8>,
    connections: u64,
    dns_id: u16,
}

impl<S: PacketSink> Generator<S> {
    fn new(rec: Recorder<S>, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let mut pool = vec![0u8; 1 << 16];
        rng.fill(&mut pool);
        Self {
            rec,
            rng,
            slots: (0..SLOTS).map(|_| None).collect(),
            fb: FrameBuilder::new(),
            buf: Vec::with_capacity(2048),
            pool,
            connections: 0,
            dns_id: 1,
        }
    }

    /// Emits one event (one or two packets), never beyond `limit` packets.
    fn step(&mut self, limit: u64) -> io::Result<()> {
        let gap = self.rng.below(40);
        self.rec.advance_micros(gap);
        let left = limit - self.rec.count();
        match self.rng.below(1000) {
            0..=79 => self.dns(left),
            80..=99 => self.ping(left),
            100..=109 => self.arp(left),
            110..=124 => self.ntp(left),
            _ => {
                let i = self.rng.below(SLOTS as u64) as usize;
                self.tcp_step(i)
            }
        }
    }

    fn client_ip(&mut self, v6: bool) -> IpAddr {
        if v6 {
            doc_v6(1, 0x100 + self.rng.below(0xfe00) as u16).into()
        } else if self.rng.percent(70) {
            Ipv4Addr::new(
                10,
                0,
                self.rng.below(16) as u8,
                2 + self.rng.below(253) as u8,
            )
            .into()
        } else {
            Ipv4Addr::new(192, 0, 2, 2 + self.rng.below(253) as u8).into()
        }
    }

    fn server_ip(&mut self, v6: bool) -> IpAddr {
        if v6 {
            doc_v6(2, 1 + self.rng.below(200) as u16).into()
        } else if self.rng.percent(50) {
            Ipv4Addr::new(198, 51, 100, 1 + self.rng.below(254) as u8).into()
        } else {
            Ipv4Addr::new(203, 0, 113, 1 + self.rng.below(254) as u8).into()
        }
    }

    fn links(&mut self, client: IpAddr) -> LinkPair {
        let vlans: &[VlanTag] = if self.rng.percent(20) {
            match self.rng.below(4) {
                0 => &[VlanTag::dot1q(10)],
                1 => &[VlanTag::dot1q(20)],
                2 => &[VlanTag::dot1q(30)],
                _ => &[VlanTag::dot1q(100)],
            }
        } else {
            &[]
        };
        LinkPair::ethernet(host_mac(client), mac(0x01), vlans)
    }

    fn emit_udp(
        &mut self,
        link: &Link,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
    ) -> io::Result<()> {
        let ip = Ip::between(src.ip(), dst.ip());
        let udp = Udp::new(src.port(), dst.port());
        self.fb
            .frame(link, &ip, Transport::Udp(&udp, payload), &mut self.buf);
        self.rec.emit(&self.buf)
    }

    fn dns(&mut self, left: u64) -> io::Result<()> {
        let v6 = self.rng.percent(20);
        let c = self.client_ip(v6);
        let resolver: IpAddr = if v6 {
            doc_v6(0x53, 0x53).into()
        } else {
            Ipv4Addr::new(10, 0, 0, 2).into()
        };
        let links = self.links(c);
        let cport = 32768 + self.rng.below(28000) as u16;
        let name = *self.rng.pick(&NAMES).unwrap_or(&NAMES[0]);
        self.dns_id = self.dns_id.wrapping_add(1);
        let id = self.dns_id;
        let answer = self.server_ip(v6);
        let qtype = if v6 { dns::TYPE_AAAA } else { dns::TYPE_A };
        let (cs, rs) = (SocketAddr::new(c, cport), SocketAddr::new(resolver, 53));
        self.emit_udp(&links.to_server, cs, rs, &dns::query(id, name, qtype))?;
        if left > 1 {
            self.rec.advance_micros(200 + self.rng.below(3000));
            self.emit_udp(&links.to_client, rs, cs, &dns::response(id, name, answer))?;
        }
        Ok(())
    }

    fn ntp(&mut self, _left: u64) -> io::Result<()> {
        let c = self.client_ip(false);
        let links = self.links(c);
        let mut pkt = [0u8; 48];
        pkt[0] = 0x23; // LI 0, version 4, mode 3 (client)
        self.rng.fill(&mut pkt[40..]);
        let server = SocketAddr::new(Ipv4Addr::new(203, 0, 113, 123).into(), 123);
        self.emit_udp(&links.to_server, SocketAddr::new(c, 123), server, &pkt)
    }

    fn ping(&mut self, left: u64) -> io::Result<()> {
        let v6 = self.rng.percent(20);
        let (c, s) = (self.client_ip(v6), self.server_ip(v6));
        let links = self.links(c);
        let (id, seq) = (self.rng.next_u16(), 1 + self.rng.below(20) as u16);
        let data: [u8; 56] = std::array::from_fn(|i| i as u8);
        let (req, rep) = if v6 {
            (Icmp::v6_echo_request(id, seq), Icmp::v6_echo_reply(id, seq))
        } else {
            (Icmp::echo_request(id, seq), Icmp::echo_reply(id, seq))
        };
        let ip = Ip::between(c, s);
        self.fb.frame(
            &links.to_server,
            &ip,
            Transport::Icmp(&req, &data),
            &mut self.buf,
        );
        self.rec.emit(&self.buf)?;
        if left > 1 {
            self.rec.advance_micros(500 + self.rng.below(20_000));
            let ip = Ip::between(s, c).with_ttl(50);
            self.fb.frame(
                &links.to_client,
                &ip,
                Transport::Icmp(&rep, &data),
                &mut self.buf,
            );
            self.rec.emit(&self.buf)?;
        }
        Ok(())
    }

    fn arp(&mut self, left: u64) -> io::Result<()> {
        let IpAddr::V4(me) = self.client_ip(false) else {
            return Ok(());
        };
        let gw = Ipv4Addr::new(me.octets()[0], me.octets()[1], me.octets()[2], 1);
        let my_mac = host_mac(me.into());
        let mut body = Vec::with_capacity(28);
        Arp::request(my_mac, me, gw).write(&mut body);
        self.buf.clear();
        Link::ethernet(my_mac, BROADCAST).padded().write(
            crate::link::ethertype::ARP,
            &body,
            &mut self.buf,
        );
        self.rec.emit(&self.buf)?;
        if left > 1 {
            self.rec.advance_micros(100 + self.rng.below(400));
            body.clear();
            Arp::reply(mac(0x01), gw, my_mac, me).write(&mut body);
            self.buf.clear();
            Link::ethernet(mac(0x01), my_mac).padded().write(
                crate::link::ethertype::ARP,
                &body,
                &mut self.buf,
            );
            self.rec.emit(&self.buf)?;
        }
        Ok(())
    }

    fn new_flow(&mut self) -> Flow {
        self.connections += 1;
        let v6 = self.rng.percent(15);
        let (c, s) = (self.client_ip(v6), self.server_ip(v6));
        let links = self.links(c);
        let mut cfg = TcpConnConfig::linux(self.rng.next_u64());
        if self.rng.percent(30) {
            // Windows-like peer: no timestamps, wscale 8, TTL 128.
            cfg.timestamps = false;
            cfg.wscale = Some(8);
            cfg.client_ttl = 128;
            cfg.syn_window = 64240;
            cfg.window = 1026;
        }
        cfg.server_ttl = 40 + self.rng.below(24) as u8;
        let cport = 32768 + self.rng.below(28000) as u16;
        let kind = self.rng.below(100);
        let sport = match kind {
            0..=59 => 443,
            60..=79 => 80,
            80..=89 => 22,
            90..=96 => 5432,
            _ => 8443,
        };
        let conn = match (c, s) {
            (IpAddr::V4(c), IpAddr::V4(s)) => TcpConn::v4(
                SocketAddrV4::new(c, cport),
                SocketAddrV4::new(s, sport),
                links,
                cfg,
            ),
            (c, s) => TcpConn::v6(
                SocketAddrV6::new(v6_of(c), cport, 0, 0),
                SocketAddrV6::new(v6_of(s), sport, 0, 0),
                links,
                cfg,
            ),
        };
        let host = (*self.rng.pick(&NAMES).unwrap_or(&NAMES[0])).to_owned();
        let mut script = vec![Action::Syn, Action::SynAck, Action::Ack(Dir::ToServer)];
        use Action::Send;
        use Dir::{ToClient as S, ToServer as C};
        let mut hello = None;
        match sport {
            443 => {
                hello = Some(tls::ClientHello::new(&host, &mut self.rng));
                script.push(Send(C, Content::ClientHello));
                script.push(Send(
                    S,
                    Content::ServerFlight(2000 + self.rng.below(2500) as u16),
                ));
                script.push(Send(C, Content::TlsAppData(64)));
                for _ in 0..1 + self.rng.below(3) {
                    script.push(Send(
                        C,
                        Content::TlsAppData(100 + self.rng.below(600) as u32),
                    ));
                    script.push(Send(S, Content::TlsAppData(sized(&mut self.rng))));
                }
            }
            80 => {
                for _ in 0..1 + self.rng.below(2) {
                    script.push(Send(C, Content::HttpRequest));
                    script.push(Send(S, Content::HttpResponse(sized(&mut self.rng))));
                }
            }
            8443 => {
                // Refused: SYN answered by RST-ACK.
                script = vec![Action::Syn, Action::Rst(S)];
            }
            22 => {
                // A banner grab: the server speaks first, the client answers
                // with its own banner and hangs up.
                script.push(Send(
                    S,
                    Content::Text("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
                ));
                script.push(Send(C, Content::Text("SSH-2.0-Go\r\n")));
            }
            _ => {
                for _ in 0..2 + self.rng.below(6) {
                    script.push(Send(C, Content::Opaque(20 + self.rng.below(300) as u32)));
                    script.push(Send(S, Content::Opaque(20 + self.rng.below(1500) as u32)));
                }
            }
        }
        if sport != 8443 {
            let first = if sport == 22 || self.rng.percent(70) {
                C
            } else {
                S
            };
            script.extend([
                Action::Fin(first),
                Action::Fin(first.reverse()),
                Action::Ack(first),
            ]);
        }
        Flow {
            conn,
            script,
            pc: 0,
            host,
            hello,
            cur: Vec::new(),
            cur_off: 0,
            segs: 0,
            ack_due: None,
        }
    }

    fn tcp_step(&mut self, slot: usize) -> io::Result<()> {
        let mut flow = match self.slots[slot].take() {
            Some(f) => f,
            None => self.new_flow(),
        };
        self.advance_flow(&mut flow)?;
        if flow.pc < flow.script.len() || flow.ack_due.is_some() {
            self.slots[slot] = Some(flow);
        }
        Ok(())
    }

    fn advance_flow(&mut self, f: &mut Flow) -> io::Result<()> {
        let rec = &mut self.rec;
        if let Some(d) = f.ack_due.take() {
            return f.conn.ack(rec, d);
        }
        let Some(&action) = f.script.get(f.pc) else {
            return Ok(());
        };
        match action {
            Action::Syn => f.conn.segment(rec, Dir::ToServer, TcpFlags::SYN, &[])?,
            Action::SynAck => {
                f.conn
                    .segment(rec, Dir::ToClient, TcpFlags::SYN | TcpFlags::ACK, &[])?
            }
            Action::Ack(d) => f.conn.ack(rec, d)?,
            Action::Fin(d) => f.conn.segment(rec, d, TcpFlags::FIN | TcpFlags::ACK, &[])?,
            Action::Rst(d) => f.conn.reset(rec, d)?,
            Action::Send(d, content) => {
                if f.cur_off == 0 && f.cur.is_empty() {
                    materialize(f, content, &mut self.rng, &self.pool);
                }
                let n = (f.cur.len() - f.cur_off).min(f.conn.max_payload());
                let last = f.cur_off + n == f.cur.len();
                let flags = if last {
                    TcpFlags::ACK | TcpFlags::PSH
                } else {
                    TcpFlags::ACK
                };
                f.conn
                    .segment(rec, d, flags, &f.cur[f.cur_off..f.cur_off + n])?;
                f.cur_off += n;
                f.segs += 1;
                if last {
                    f.cur.clear();
                    f.cur_off = 0;
                    f.segs = 0;
                    // The peer acknowledges unless it answers right away.
                    let next_is_peer_data =
                        matches!(f.script.get(f.pc + 1), Some(Action::Send(nd, _)) if *nd != d);
                    if !next_is_peer_data {
                        f.ack_due = Some(d.reverse());
                    }
                    f.pc += 1;
                } else if f.segs % 2 == 0 {
                    f.ack_due = Some(d.reverse());
                }
                return Ok(());
            }
        }
        f.pc += 1;
        Ok(())
    }
}

/// A response size: mostly small, sometimes large.
fn sized(rng: &mut SplitMix64) -> u32 {
    match rng.below(10) {
        0..=5 => 200 + rng.below(2000) as u32,
        6..=8 => 2000 + rng.below(15_000) as u32,
        _ => 20_000 + rng.below(60_000) as u32,
    }
}

/// Fills `f.cur` with the bytes of `content`.
fn materialize(f: &mut Flow, content: Content, rng: &mut SplitMix64, pool: &[u8]) {
    f.cur.clear();
    match content {
        Content::ClientHello => {
            if let Some(h) = &f.hello {
                f.cur = h.record_bytes();
            }
        }
        Content::ServerFlight(enc) => {
            if let Some(h) = &f.hello {
                let mut out = tls::ServerHello::tls13(h, rng).record_bytes();
                out.extend_from_slice(&tls::change_cipher_spec());
                append_app_data(&mut out, usize::from(enc), rng, pool);
                f.cur = out;
            }
        }
        Content::TlsAppData(len) => append_app_data(&mut f.cur, len as usize, rng, pool),
        Content::HttpRequest => f.cur = http::request(&f.host, "/"),
        Content::HttpResponse(len) => f.cur = http::response(len as usize),
        Content::Opaque(len) => append_pool(&mut f.cur, len as usize, rng, pool),
        Content::Text(t) => f.cur.extend_from_slice(t.as_bytes()),
    }
    if f.cur.is_empty() {
        f.cur.push(0);
    }
}

/// Appends application_data records carrying `len` pseudo-random bytes.
fn append_app_data(out: &mut Vec<u8>, len: usize, rng: &mut SplitMix64, pool: &[u8]) {
    let mut left = len;
    while left > 0 {
        let n = left.min(16_384 + 256);
        out.push(tls::content_type::APPLICATION_DATA);
        out.extend_from_slice(&[3, 3]);
        out.extend_from_slice(&(n as u16).to_be_bytes());
        append_pool(out, n, rng, pool);
        left -= n;
    }
}

/// Appends `len` bytes copied from a random place of `pool`.
fn append_pool(out: &mut Vec<u8>, len: usize, rng: &mut SplitMix64, pool: &[u8]) {
    let mut left = len;
    while left > 0 {
        let n = left.min(pool.len() / 2);
        let at = rng.below((pool.len() - n) as u64) as usize;
        out.extend_from_slice(&pool[at..at + n]);
        left -= n;
    }
}

/// A locally administered MAC derived from a host address.
fn host_mac(ip: IpAddr) -> MacAddr {
    let o = match ip {
        IpAddr::V4(a) => a.octets(),
        IpAddr::V6(a) => {
            let o = a.octets();
            [o[12], o[13], o[14], o[15]]
        }
    };
    [0x02, 0x00, o[0], o[1], o[2], o[3]]
}

fn v6_of(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_count_and_deterministic() {
        let cfg = BigConfig {
            packets: 5000,
            seed: 7,
        };
        let mut a = Vec::new();
        let stats = write(&mut a, &cfg).unwrap();
        assert_eq!(stats.packets, 5000);
        let mut b = Vec::new();
        write(&mut b, &cfg).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len() as u64, 24 + 16 * 5000 + stats.frame_bytes);
        let mut c = Vec::new();
        write(&mut c, &BigConfig { seed: 8, ..cfg }).unwrap();
        assert_ne!(a, c);
    }
}
