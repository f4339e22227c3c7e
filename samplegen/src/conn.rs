//! Whole TCP conversations: handshake, data both ways with consistent
//! sequence and acknowledgment numbers, and an orderly close.

use std::io;
use std::net::{IpAddr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::ipv4::Ipv4;
use crate::ipv6::{Ipv6, Ipv6Ext};
use crate::link::LinkPair;
use crate::packet::{FrameBuilder, Ip, Transport};
use crate::sink::{PacketSink, Recorder};
use crate::tcp::{Tcp, TcpFlags, TcpOption};

/// Direction of a segment within a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    /// Client (initiator) to server.
    ToServer,
    /// Server to client.
    ToClient,
}

impl Dir {
    /// The opposite direction.
    #[must_use]
    pub const fn reverse(self) -> Self {
        match self {
            Self::ToServer => Self::ToClient,
            Self::ToClient => Self::ToServer,
        }
    }

    const fn idx(self) -> usize {
        match self {
            Self::ToServer => 0,
            Self::ToClient => 1,
        }
    }
}

/// Parameters of a [`TcpConn`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpConnConfig {
    /// Initial sequence number of the client.
    pub client_isn: u32,
    /// Initial sequence number of the server.
    pub server_isn: u32,
    /// MSS announced by both sides (and used to cut data into segments).
    pub mss: u16,
    /// Window scale shift announced by both sides, if any.
    pub wscale: Option<u8>,
    /// Announce SACK-permitted in the SYNs (and send SACK blocks for holes).
    pub sack: bool,
    /// Use the timestamps option on every segment.
    pub timestamps: bool,
    /// Window field of the SYN and SYN-ACK (never scaled).
    pub syn_window: u16,
    /// Window field of every other segment (scaled by `wscale`).
    pub window: u16,
    /// IP TTL / hop limit of client packets.
    pub client_ttl: u8,
    /// IP TTL / hop limit of server packets (as seen at the capture point).
    pub server_ttl: u8,
    /// First IPv4 identification of each side; incremented per packet.
    pub ip_ident: [u16; 2],
    /// Offsets added to the TCP timestamp clock of each side.
    pub ts_offset: [u32; 2],
    /// One-way delay between the capture point and the peer, in µs: the
    /// time between a segment and its answer is twice this.
    pub half_rtt_micros: u64,
}

impl TcpConnConfig {
    /// Linux-like defaults: MSS 1460, wscale 7, SACK, timestamps, TTL 64,
    /// 1 ms half round trip, and ISNs / idents / timestamp offsets from `seed`.
    #[must_use]
    pub fn linux(seed: u64) -> Self {
        let mut rng = crate::rng::SplitMix64::new(seed);
        Self {
            client_isn: rng.next_u32(),
            server_isn: rng.next_u32(),
            mss: 1460,
            wscale: Some(7),
            sack: true,
            timestamps: true,
            syn_window: 64240,
            window: 502,
            client_ttl: 64,
            server_ttl: 64,
            ip_ident: [rng.next_u16(), rng.next_u16()],
            ts_offset: [rng.next_u32(), rng.next_u32()],
            half_rtt_micros: 1_000,
        }
    }
}

/// One TCP connection between a client and a server.
///
/// Every method emits complete frames into a [`Recorder`] and keeps the
/// sequence numbers of both sides; acknowledgments always acknowledge
/// everything the peer sent so far.
#[derive(Debug)]
pub struct TcpConn {
    links: LinkPair,
    client: SocketAddr,
    server: SocketAddr,
    cfg: TcpConnConfig,
    next_seq: [u32; 2],
    ident: [u16; 2],
    last_tsval: [u32; 2],
    ipv6_ext: Vec<Ipv6Ext>,
    builder: FrameBuilder,
    frame: Vec<u8>,
}

impl TcpConn {
    /// An IPv4 connection from `client` to `server` framed by `links`.
    #[must_use]
    pub fn v4(
        client: SocketAddrV4,
        server: SocketAddrV4,
        links: LinkPair,
        cfg: TcpConnConfig,
    ) -> Self {
        Self::new(client.into(), server.into(), links, cfg)
    }

    /// An IPv6 connection from `client` to `server` framed by `links`.
    #[must_use]
    pub fn v6(
        client: SocketAddrV6,
        server: SocketAddrV6,
        links: LinkPair,
        cfg: TcpConnConfig,
    ) -> Self {
        Self::new(client.into(), server.into(), links, cfg)
    }

    fn new(client: SocketAddr, server: SocketAddr, links: LinkPair, cfg: TcpConnConfig) -> Self {
        Self {
            links,
            client,
            server,
            cfg,
            next_seq: [cfg.client_isn, cfg.server_isn],
            ident: cfg.ip_ident,
            last_tsval: [0, 0],
            ipv6_ext: Vec::new(),
            builder: FrameBuilder::new(),
            frame: Vec::with_capacity(1600),
        }
    }

    /// This connection with `ext` as the IPv6 extension headers of every
    /// segment (both directions; ignored for IPv4).
    #[must_use]
    pub fn with_ipv6_ext(mut self, ext: Vec<Ipv6Ext>) -> Self {
        self.ipv6_ext = ext;
        self
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &TcpConnConfig {
        &self.cfg
    }

    /// The sequence number `dir` will use for its next byte.
    #[must_use]
    pub fn next_seq(&self, dir: Dir) -> u32 {
        self.next_seq[dir.idx()]
    }

    /// The client address.
    #[must_use]
    pub fn client(&self) -> SocketAddr {
        self.client
    }

    /// The server address.
    #[must_use]
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// Largest payload per segment (MSS minus the timestamps option).
    #[must_use]
    pub fn max_payload(&self) -> usize {
        usize::from(self.cfg.mss) - if self.cfg.timestamps { 12 } else { 0 }
    }

    /// Builds the frame of one segment of `dir` with sequence number `seq`.
    fn build(
        &mut self,
        rec_now: crate::Timestamp,
        dir: Dir,
        seq: u32,
        flags: TcpFlags,
        payload: &[u8],
        sack: &[(u32, u32)],
    ) {
        let i = dir.idx();
        let (src, dst) = match dir {
            Dir::ToServer => (self.client, self.server),
            Dir::ToClient => (self.server, self.client),
        };
        let syn = flags.contains(TcpFlags::SYN);
        let mut tcp = Tcp::new(src.port(), dst.port(), flags);
        tcp.seq = seq;
        tcp.ack = if flags.contains(TcpFlags::ACK) {
            self.next_seq[dir.reverse().idx()]
        } else {
            0
        };
        tcp.window = if syn {
            self.cfg.syn_window
        } else {
            self.cfg.window
        };
        let rst = flags.contains(TcpFlags::RST);
        if rst {
            // Like Linux: resets carry no options and a zero window.
            tcp.window = 0;
        }
        let timestamps = self.cfg.timestamps && !rst;
        if syn {
            // Linux order: MSS, SACK_PERM, TS, NOP, WS; without timestamps
            // MSS, NOP, NOP, SACK_PERM, NOP, WS.
            tcp.options.push(TcpOption::Mss(self.cfg.mss));
            if self.cfg.sack && timestamps {
                tcp.options.push(TcpOption::SackPermitted);
            }
        }
        if timestamps {
            let val = rec_now.tcp_tsval().wrapping_add(self.cfg.ts_offset[i]);
            let ecr = self.last_tsval[dir.reverse().idx()];
            if !syn {
                tcp.options.extend([TcpOption::Nop, TcpOption::Nop]);
            }
            tcp.options.push(TcpOption::Timestamps { val, ecr });
            self.last_tsval[i] = val;
        } else if syn && self.cfg.sack {
            tcp.options
                .extend([TcpOption::Nop, TcpOption::Nop, TcpOption::SackPermitted]);
        }
        if syn {
            if let Some(ws) = self.cfg.wscale {
                tcp.options
                    .extend([TcpOption::Nop, TcpOption::WindowScale(ws)]);
            }
        }
        if !sack.is_empty() {
            tcp.options.extend([
                TcpOption::Nop,
                TcpOption::Nop,
                TcpOption::Sack(sack.to_vec()),
            ]);
        }
        let ttl = match dir {
            Dir::ToServer => self.cfg.client_ttl,
            Dir::ToClient => self.cfg.server_ttl,
        };
        let ip = match (src.ip(), dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let h = Ipv4::new(s, d).with_ttl(ttl).with_ident(self.ident[i]);
                self.ident[i] = self.ident[i].wrapping_add(1);
                Ip::V4(h)
            }
            (s, d) => {
                let mut h = Ipv6::new(to_v6(s), to_v6(d));
                h.hop_limit = ttl;
                h.ext.clone_from(&self.ipv6_ext);
                Ip::V6(h)
            }
        };
        let link = match dir {
            Dir::ToServer => &self.links.to_server,
            Dir::ToClient => &self.links.to_client,
        };
        self.builder
            .frame(link, &ip, Transport::Tcp(&tcp, payload), &mut self.frame);
    }

    /// Emits one segment of `dir` at the current sequence number and
    /// advances it by the payload length (plus one for SYN and FIN).
    ///
    /// # Errors
    ///
    /// Any I/O error from the sink.
    pub fn segment<S: PacketSink>(
        &mut self,
        rec: &mut Recorder<S>,
        dir: Dir,
        flags: TcpFlags,
        payload: &[u8],
    ) -> io::Result<()> {
        let seq = self.next_seq[dir.idx()];
        self.build(rec.now(), dir, seq, flags, payload, &[]);
        rec.emit(&self.frame)?;
        let adv = payload.len() as u32
            + u32::from(flags.contains(TcpFlags::SYN))
            + u32::from(flags.contains(TcpFlags::FIN));
        self.next_seq[dir.idx()] = seq.wrapping_add(adv);
        Ok(())
    }

    /// Emits a pure ACK from `dir` acknowledging everything the peer sent.
    ///
    /// # Errors
    ///
    /// Any I/O error from the sink.
    pub fn ack<S: PacketSink>(&mut self, rec: &mut Recorder<S>, dir: Dir) -> io::Result<()> {
        self.segment(rec, dir, TcpFlags::ACK, &[])
    }

    /// Waits one half round trip (the time for a segment to reach the peer
    /// and the answer to come back to the capture point is two of these).
    pub fn wait_half_rtt<S: PacketSink>(&self, rec: &mut Recorder<S>) {
        rec.advance_micros(self.cfg.half_rtt_micros);
    }

    /// The three-way handshake: SYN, SYN-ACK, ACK.
    ///
    /// # Errors
    ///
    /// Any I/O error from the sink.
    pub fn handshake<S: PacketSink>(&mut self, rec: &mut Recorder<S>) -> io::Result<()> {
        self.segment(rec, Dir::ToServer, TcpFlags::SYN, &[])?;
        self.wait_half_rtt(rec);
        self.segment(rec, Dir::ToClient, TcpFlags::SYN | TcpFlags::ACK, &[])?;
        self.wait_half_rtt(rec);
        self.ack(rec, Dir::ToServer)
    }

    /// Sends `data` from `dir` in MSS-sized segments (PSH on the last); the
    /// peer acknowledges every second segment and the end.
    ///
    /// # Errors
    ///
    /// Any I/O error from the sink.
    pub fn send<S: PacketSink>(
        &mut self,
        rec: &mut Recorder<S>,
        dir: Dir,
        data: &[u8],
    ) -> io::Result<()> {
        let max = self.max_payload();
        let n = data.len().div_ceil(max);
        for (k, chunk) in data.chunks(max).enumerate() {
            let last = k + 1 == n;
            let flags = if last {
                TcpFlags::ACK | TcpFlags::PSH
            } else {
                TcpFlags::ACK
            };
            self.segment(rec, dir, flags, chunk)?;
            if last || k % 2 == 1 {
                self.wait_half_rtt(rec);
                self.ack(rec, dir.reverse())?;
                if !last {
                    self.wait_half_rtt(rec);
                }
            }
        }
        Ok(())
    }

    /// Sends `data` from `dir` cut at the byte offsets `cuts` (ascending),
    /// emitting the parts in the order `order` (indices into the parts; every
    /// part exactly once), back to back as if reordered in the network (the
    /// capture point is next to the receiver). While a hole is open the peer
    /// answers each part at once with a duplicate ACK carrying SACK blocks (if
    /// SACK is on); at the end it acknowledges all data.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `order` is not a permutation of the parts; any I/O
    /// error from the sink.
    pub fn send_parts<S: PacketSink>(
        &mut self,
        rec: &mut Recorder<S>,
        dir: Dir,
        data: &[u8],
        cuts: &[usize],
        order: &[usize],
    ) -> io::Result<()> {
        let parts = split_at_offsets(data, cuts);
        let mut seen = vec![false; parts.len()];
        for &i in order {
            match seen.get_mut(i) {
                Some(s) if !*s => *s = true,
                _ => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "order is not a permutation of the parts",
                    ))
                }
            }
        }
        if seen.iter().any(|s| !s) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "order is not a permutation of the parts",
            ));
        }
        let base = self.next_seq[dir.idx()];
        let mut starts = Vec::with_capacity(parts.len());
        let mut off = 0u32;
        for p in &parts {
            starts.push(off);
            off += p.len() as u32;
        }
        let mut received = vec![false; parts.len()];
        let peer = dir.reverse();
        for (k, &i) in order.iter().enumerate() {
            let last_part = i + 1 == parts.len();
            let flags = if last_part {
                TcpFlags::ACK | TcpFlags::PSH
            } else {
                TcpFlags::ACK
            };
            let seq = base.wrapping_add(starts[i]);
            self.build(rec.now(), dir, seq, flags, parts[i], &[]);
            rec.emit(&self.frame)?;
            received[i] = true;
            let contiguous = received.iter().take_while(|r| **r).count();
            let hole = received.iter().skip(contiguous).any(|r| *r);
            if hole && self.cfg.sack && k + 1 < order.len() {
                // Duplicate ACK for the contiguous prefix, SACKing what lies beyond.
                let ack_to = base.wrapping_add(starts.get(contiguous).copied().unwrap_or(off));
                let blocks = sack_blocks(&received, &starts, off, base);
                let saved = self.next_seq[dir.idx()];
                self.next_seq[dir.idx()] = ack_to;
                rec.advance_micros(20);
                let seq = self.next_seq[peer.idx()];
                self.build(rec.now(), peer, seq, TcpFlags::ACK, &[], &blocks);
                rec.emit(&self.frame)?;
                self.next_seq[dir.idx()] = saved;
            }
        }
        self.next_seq[dir.idx()] = base.wrapping_add(off);
        self.wait_half_rtt(rec);
        self.ack(rec, peer)
    }

    /// Orderly close started by `initiator`: FIN-ACK, FIN-ACK, ACK.
    ///
    /// # Errors
    ///
    /// Any I/O error from the sink.
    pub fn close<S: PacketSink>(
        &mut self,
        rec: &mut Recorder<S>,
        initiator: Dir,
    ) -> io::Result<()> {
        self.segment(rec, initiator, TcpFlags::FIN | TcpFlags::ACK, &[])?;
        self.wait_half_rtt(rec);
        self.segment(rec, initiator.reverse(), TcpFlags::FIN | TcpFlags::ACK, &[])?;
        self.wait_half_rtt(rec);
        self.ack(rec, initiator)
    }

    /// Aborts the connection with RST-ACK from `dir`.
    ///
    /// # Errors
    ///
    /// Any I/O error from the sink.
    pub fn reset<S: PacketSink>(&mut self, rec: &mut Recorder<S>, dir: Dir) -> io::Result<()> {
        let isn = match dir {
            Dir::ToServer => self.cfg.client_isn,
            Dir::ToClient => self.cfg.server_isn,
        };
        if self.next_seq[dir.idx()] == isn {
            // This side never sent a SYN (a refused connection): the reset
            // has sequence number 0 and acknowledges the SYN, as on Linux.
            self.next_seq[dir.idx()] = 0;
        }
        self.segment(rec, dir, TcpFlags::RST | TcpFlags::ACK, &[])
    }
}

fn to_v6(ip: IpAddr) -> std::net::Ipv6Addr {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

/// SACK blocks (absolute sequence numbers) for received parts beyond the
/// contiguous prefix, most recent range first is not tracked: ranges are
/// listed in sequence order, at most three.
fn sack_blocks(received: &[bool], starts: &[u32], end: u32, base: u32) -> Vec<(u32, u32)> {
    let contiguous = received.iter().take_while(|r| **r).count();
    let mut blocks = Vec::new();
    let mut i = contiguous;
    while i < received.len() {
        if received[i] {
            let l = starts[i];
            let mut j = i;
            while j < received.len() && received[j] {
                j += 1;
            }
            let r = starts.get(j).copied().unwrap_or(end);
            blocks.push((base.wrapping_add(l), base.wrapping_add(r)));
            i = j;
        } else {
            i += 1;
        }
    }
    blocks.truncate(3);
    blocks
}

/// Splits `data` at the ascending byte offsets `cuts` (out-of-range or
/// non-ascending cuts are ignored).
#[must_use]
pub fn split_at_offsets<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut parts = Vec::with_capacity(cuts.len() + 1);
    let mut prev = 0;
    for &c in cuts {
        if c > prev && c < data.len() {
            parts.push(&data[prev..c]);
            prev = c;
        }
    }
    parts.push(&data[prev..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::Link;
    use std::net::Ipv4Addr;

    fn conn() -> TcpConn {
        let mut cfg = TcpConnConfig::linux(1);
        cfg.client_isn = 1000;
        cfg.server_isn = 5000;
        TcpConn::v4(
            SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 40000),
            SocketAddrV4::new(Ipv4Addr::new(198, 51, 100, 1), 443),
            LinkPair::symmetric(Link::Raw),
            cfg,
        )
    }

    fn seq_ack(frame: &[u8]) -> (u32, u32, u8) {
        let t = &frame[20..];
        (
            u32::from_be_bytes([t[4], t[5], t[6], t[7]]),
            u32::from_be_bytes([t[8], t[9], t[10], t[11]]),
            t[13],
        )
    }

    #[test]
    fn handshake_data_close_numbers() {
        let mut c = conn();
        let mut rec = Recorder::new(Vec::new(), crate::BASE_TIME);
        c.handshake(&mut rec).unwrap();
        c.send(&mut rec, Dir::ToServer, b"hello").unwrap();
        c.send(&mut rec, Dir::ToClient, b"world!").unwrap();
        c.close(&mut rec, Dir::ToServer).unwrap();
        let got: Vec<_> = rec.into_inner().iter().map(|(_, f)| seq_ack(f)).collect();
        assert_eq!(
            got,
            [
                (1000, 0, 0x02),
                (5000, 1001, 0x12),
                (1001, 5001, 0x10),
                (1001, 5001, 0x18),
                (5001, 1006, 0x10),
                (5001, 1006, 0x18),
                (1006, 5007, 0x10),
                (1006, 5007, 0x11),
                (5007, 1007, 0x11),
                (1007, 5008, 0x10),
            ]
        );
    }

    #[test]
    fn out_of_order_parts_and_sack() {
        let mut c = conn();
        let mut rec = Recorder::new(Vec::new(), crate::BASE_TIME);
        c.handshake(&mut rec).unwrap();
        c.send_parts(&mut rec, Dir::ToServer, &[7u8; 30], &[10, 20], &[0, 2, 1])
            .unwrap();
        assert!(c
            .send_parts(&mut rec, Dir::ToServer, b"ab", &[1], &[0, 0])
            .is_err());
        let frames = rec.into_inner();
        let got: Vec<_> = frames[3..].iter().map(|(_, f)| seq_ack(f)).collect();
        assert_eq!(
            got,
            [
                (1001, 5001, 0x10),
                (1021, 5001, 0x18),
                (5001, 1011, 0x10), // dup ACK with SACK 1021-1031
                (1011, 5001, 0x10),
                (5001, 1031, 0x10),
            ]
        );
        // The dup ACK carries NOP NOP TS, NOP NOP SACK(1021, 1031).
        let dup = &frames[5].1[20..];
        assert_eq!(dup[12] >> 4, 11);
        assert_eq!(&dup[32..36], [1, 1, 5, 10]);
        assert_eq!(&dup[36..44], [0, 0, 3, 253, 0, 0, 4, 7]);
    }

    #[test]
    fn split_offsets() {
        let d = b"abcdef";
        assert_eq!(split_at_offsets(d, &[2, 4]), [&b"ab"[..], b"cd", b"ef"]);
        assert_eq!(split_at_offsets(d, &[0, 9]), [&b"abcdef"[..]]);
    }
}
