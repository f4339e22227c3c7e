//! The flow table: lookup, per-connection state, timeouts, the cap and eviction.

use core::hash::Hasher;
use core::net::IpAddr;
use core::time::Duration;

use super::conn::{ConnState, History, Kind, Seg, TcpState, Tracker};
use super::index::Index;
use super::key::{Direction, Endpoint, FlowKey};
use super::reassembly::{Delivery, MemoryBudget, Pushed, Reassembler, ReassemblyStats};
use crate::packet::{DecodedPacket, Net, Transport};
use crate::tcp::TcpFlags;
use crate::types::IpProtocol;
use alloc::boxed::Box;
use alloc::vec::Vec;

/// Packet time in nanoseconds since the Unix epoch (any monotonic origin works).
pub type Nanos = i64;

/// Which flows get TCP reassembly.
pub type ReassemblePredicate = fn(&FlowKey) -> bool;

/// Reassembles every TCP flow (subject to the depth and caps).
#[must_use]
pub fn reassemble_all(_key: &FlowKey) -> bool {
    true
}

/// Flow table settings. [`FlowConfig::default`] follows Zeek's timeouts.
#[derive(Clone, Copy, Debug)]
pub struct FlowConfig {
    /// Hard cap on live flows; at the cap the least recently seen flow is evicted. At least 1.
    /// Each slot costs about 400 bytes plus 8-32 bytes of index (64-bit targets).
    pub max_flows: usize,
    /// Idle time after which a TCP flow ends (Zeek `tcp_inactivity_timeout`: 5 min).
    pub tcp_idle_timeout: Duration,
    /// Idle time after which a UDP flow ends (Zeek `udp_inactivity_timeout`: 1 min).
    pub udp_idle_timeout: Duration,
    /// Idle time after which an ICMP or other-protocol flow ends (Zeek: 1 min).
    pub other_idle_timeout: Duration,
    /// How long a closed TCP connection (both FINs, or a RST) lingers to absorb its last ACKs
    /// and retransmissions before its record is emitted (Zeek `tcp_close_delay`: 5 s). A SYN
    /// without ACK on a closed connection ends it at once and starts a new one.
    pub tcp_close_linger: Duration,
    /// Which TCP flows are reassembled (`None`: none).
    pub reassemble: Option<ReassemblePredicate>,
    /// Hard cap on the reassembly buffer of one direction, in bytes (the window).
    pub reassembly_cap_per_direction: usize,
    /// Reassemble only the first `depth` bytes of each direction (`None`: the whole stream,
    /// through the sliding window).
    pub reassembly_depth: Option<u64>,
    /// Hard cap on all reassembly buffers together, in bytes.
    pub reassembly_memory_limit: usize,
    /// Key of the SipHash used for the table. Pass random bits (e.g. from
    /// `std::collections::hash_map::RandomState`) when the input may be hostile, so that
    /// crafted addresses cannot force collisions.
    pub hash_seed: (u64, u64),
}

impl Default for FlowConfig {
    fn default() -> Self {
        Self {
            max_flows: 1 << 18,
            tcp_idle_timeout: Duration::from_secs(300),
            udp_idle_timeout: Duration::from_secs(60),
            other_idle_timeout: Duration::from_secs(60),
            tcp_close_linger: Duration::from_secs(5),
            reassemble: None,
            reassembly_cap_per_direction: 64 * 1024,
            reassembly_depth: Some(64 * 1024),
            reassembly_memory_limit: 256 * 1024 * 1024,
            hash_seed: (0x736f_6d65_7073_6575, 0x646f_7261_6e64_6f6d),
        }
    }
}

/// A connection's identity, unique within one table (a creation counter, from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(pub u64);

/// The side of a connection a packet comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The originator (who sent the first SYN, or the first packet; see [`FlowRecord::flipped`]).
    Orig,
    /// The responder.
    Resp,
}

/// Why a record was emitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EndReason {
    /// The connection closed (FIN both ways or RST) and the linger time passed, or a new SYN
    /// reused the 5-tuple.
    Closed,
    /// No packet for the idle timeout.
    IdleTimeout,
    /// Evicted to make room at the table cap.
    Evicted,
    /// Still open at the end of the input ([`FlowTable::finish`]).
    EndOfInput,
}

/// Packet and byte counts of one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DirStats {
    /// Packets.
    pub packets: u64,
    /// IP bytes as announced by the IP header (IPv4 total length, IPv6 40 + payload length),
    /// as Zeek's `orig_ip_bytes`.
    pub ip_bytes: u64,
    /// Transport payload bytes as announced by the headers.
    pub payload_bytes: u64,
}

/// One finished connection, as emitted to a [`FlowSink`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowRecord {
    /// The connection's id (as given in every [`Observation`]).
    pub id: FlowId,
    /// The canonical key.
    pub key: FlowKey,
    /// The originator endpoint.
    pub orig: Endpoint,
    /// The responder endpoint.
    pub resp: Endpoint,
    /// A SYN without ACK from the originator was seen: who initiated is known, not guessed.
    pub initiator_known: bool,
    /// The roles were flipped from "first packet's sender" by the heuristic (history `^`).
    pub flipped: bool,
    /// Time of the first packet.
    pub first_ts: Nanos,
    /// Time of the last packet (the latest seen).
    pub last_ts: Nanos,
    /// Frame number of the first packet.
    pub first_frame: u64,
    /// Frame number of the last packet.
    pub last_frame: u64,
    /// Originator-to-responder counts.
    pub orig_stats: DirStats,
    /// Responder-to-originator counts.
    pub resp_stats: DirStats,
    /// Zeek `conn_state`.
    pub conn_state: ConnState,
    /// Zeek `history`.
    pub history: History,
    /// Zeek's endpoint states (originator, responder), for TCP.
    pub tcp_states: Option<(TcpState, TcpState)>,
    /// Outer VLAN id.
    pub vlan: Option<u16>,
    /// Why the record was emitted.
    pub end: EndReason,
    /// Originator-direction reassembly counters (`None`: not reassembled).
    pub orig_reassembly: Option<ReassemblyStats>,
    /// Responder-direction reassembly counters.
    pub resp_reassembly: Option<ReassemblyStats>,
}

impl FlowRecord {
    /// `last_ts - first_ts`, in nanoseconds.
    #[must_use]
    pub fn duration_nanos(&self) -> i64 {
        self.last_ts.saturating_sub(self.first_ts)
    }

    /// The record was emitted because the table was full.
    #[must_use]
    pub fn evicted(&self) -> bool {
        self.end == EndReason::Evicted
    }

    /// The record was emitted by the idle timeout.
    #[must_use]
    pub fn timed_out(&self) -> bool {
        self.end == EndReason::IdleTimeout
    }

    /// Total reassembly gaps over both directions.
    #[must_use]
    pub fn gaps(&self) -> u32 {
        let g = |s: &Option<ReassemblyStats>| s.map_or(0, |s| s.gaps);
        g(&self.orig_reassembly).saturating_add(g(&self.resp_reassembly))
    }

    /// Total segments with overlap conflicts (different bytes for the same sequence numbers).
    #[must_use]
    pub fn overlap_conflicts(&self) -> u32 {
        let g = |s: &Option<ReassemblyStats>| s.map_or(0, |s| s.overlap_conflicts);
        g(&self.orig_reassembly).saturating_add(g(&self.resp_reassembly))
    }

    /// The frame number of the first overlap conflict, in either direction.
    #[must_use]
    pub fn first_conflict_frame(&self) -> Option<u64> {
        let g = |s: &Option<ReassemblyStats>| s.and_then(|s| s.first_conflict_frame);
        match (g(&self.orig_reassembly), g(&self.resp_reassembly)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Receives ended connections. Implemented for every `FnMut(&FlowRecord)`.
pub trait FlowSink {
    /// Called once per connection, when it ends.
    fn flow_ended(&mut self, record: &FlowRecord);
}

impl<F: FnMut(&FlowRecord)> FlowSink for F {
    fn flow_ended(&mut self, record: &FlowRecord) {
        self(record);
    }
}

/// Table-wide counters: one for every cap hit, for the summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlowCounters {
    /// Packets attributed to a flow.
    pub packets: u64,
    /// Packets that could not be attributed (non-IP, TCP/UDP without a transport header).
    pub unattributed: u64,
    /// Flows created.
    pub created: u64,
    /// Records emitted (all reasons).
    pub ended: u64,
    /// Records emitted after a close.
    pub closed: u64,
    /// Closed connections ended early by a new SYN on the same 5-tuple.
    pub reused: u64,
    /// Records emitted by an idle timeout.
    pub timed_out: u64,
    /// Records emitted by eviction at the `max_flows` cap.
    pub evicted: u64,
    /// Records emitted by [`FlowTable::finish`].
    pub end_of_input: u64,
    /// The most flows live at once.
    pub peak_flows: u64,
    /// Reassembly bytes dropped by the per-direction cap or the memory limit.
    pub reassembly_dropped_bytes: u64,
    /// Times the reassembly memory limit refused a buffer.
    pub reassembly_memory_refused: u64,
    /// Reassembly gaps reported.
    pub reassembly_gaps: u64,
    /// Segments whose bytes differed from bytes already held for the same sequence numbers.
    pub overlap_conflicts: u64,
}

/// What [`FlowTable::observe`] says about one attributed packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observation<'a> {
    /// The connection.
    pub id: FlowId,
    /// Its canonical key.
    pub key: FlowKey,
    /// The packet's direction relative to the key.
    pub direction: Direction,
    /// The packet's side of the connection.
    pub role: Role,
    /// This packet created the connection.
    pub new_flow: bool,
    /// Reassembly output for this direction (empty when not reassembled). The bytes borrow the
    /// table until the next call.
    pub stream: Delivery<'a>,
}

const NIL: u32 = u32::MAX;
const LISTS: usize = 4;
const L_TCP: usize = 0;
const L_UDP: usize = 1;
const L_OTHER: usize = 2;
const L_CLOSING: usize = 3;

#[derive(Debug)]
struct Flow {
    id: FlowId,
    key: FlowKey,
    hash: u64,
    /// Direction (in key terms) of originator -> responder packets.
    orig_dir: Direction,
    initiator_known: bool,
    flipped: bool,
    first_ts: Nanos,
    last_ts: Nanos,
    first_frame: u64,
    last_frame: u64,
    stats: [DirStats; 2],
    tracker: Tracker,
    /// Orig and resp reassemblers, allocated only for reassembled flows, at their first
    /// payload byte (so a SYN flood allocates nothing here).
    reasm: Option<Box<[Reassembler; 2]>>,
    /// The last SYN sequence number of each side, until the reassemblers exist.
    syn_seq: [Option<u32>; 2],
}

#[derive(Debug)]
struct Slot {
    flow: Option<Flow>,
    prev: u32,
    next: u32,
    list: usize,
    /// The flow's `last_ts` when it was last moved to the tail of its list.
    moved_ts: Nanos,
}

/// A flow seen again within this time of its last move to the tail of its list stays where
/// it is, which saves the cache misses on its list neighbours for most packets of a burst.
/// So a list is in `last_ts` order only to within this time: an idle timeout can fire up to
/// this much late, and eviction picks a flow idle within this much of the longest-idle one.
pub const LRU_GRANULARITY: Nanos = 250_000_000;

/// A bounded table of connections. See the [module docs](super).
#[derive(Debug)]
pub struct FlowTable {
    config: FlowConfig,
    timeouts: [Nanos; LISTS],
    index: Index,
    slots: Vec<Slot>,
    free: Vec<u32>,
    heads: [u32; LISTS],
    tails: [u32; LISTS],
    live: usize,
    next_id: u64,
    budget: MemoryBudget,
    counters: FlowCounters,
}

fn nanos(d: Duration) -> Nanos {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

fn hash_key(seed: (u64, u64), key: &FlowKey) -> u64 {
    let vlan = key.vlan.map_or([0; 3], |v| {
        let [hi, lo] = v.to_be_bytes();
        [1, hi, lo]
    });
    let ([pa0, pa1], [pb0, pb1]) = (key.a.port.to_be_bytes(), key.b.port.to_be_bytes());
    let [v0, v1, v2] = vlan;
    // Keys of one family (every key made from a packet) are hashed as a whole number of
    // 64-bit words by `sip_words` with SipHash-1-3's rounds (those of Rust's `HashMap`; a 40 %
    // shorter hash than SipHash-2-4, still keyed against hash flooding): IPv4 as 16 bytes,
    // IPv6 as 40 (two and five words instead of six blocks of a byte stream). SipHash hashes
    // the length too, so the encodings never give the same message.
    match (key.a.addr, key.b.addr) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let ([a0, a1, a2, a3], [b0, b1, b2, b3]) = (a.octets(), b.octets());
            let m0 = u64::from_le_bytes([a0, a1, a2, a3, pa0, pa1, b0, b1]);
            let m1 = u64::from_le_bytes([b2, b3, pb0, pb1, key.protocol.0, v0, v1, v2]);
            return sip_words::<1, 3, 2>(seed, [m0, m1]);
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let (a, b) = (a.to_bits().to_be_bytes(), b.to_bits().to_be_bytes());
            let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().unwrap_or_default());
            let tail = [pa0, pa1, pb0, pb1, key.protocol.0, v0, v1, v2];
            let words = [
                word(a.get(..8).unwrap_or_default()),
                word(a.get(8..).unwrap_or_default()),
                word(b.get(..8).unwrap_or_default()),
                word(b.get(8..).unwrap_or_default()),
                u64::from_le_bytes(tail),
            ];
            return sip_words::<1, 3, 5>(seed, words);
        }
        _ => {}
    }
    // Mixed families (no packet makes such a key): a 42-byte encoding.
    #[allow(deprecated)]
    // core's SipHasher is the only keyed hash in core; it is still SipHash-2-4.
    let mut h = core::hash::SipHasher::new_with_keys(seed.0, seed.1);
    // One write of a fixed, injective byte encoding: much cheaper than the derived `Hash`,
    // which feeds the hasher field by field (discriminants, lengths, ports).
    let mut buf = [0u8; 42];
    let mut put = |at: usize, bytes: &[u8]| {
        if let Some(dst) = buf.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    };
    for (at, e) in [(0, &key.a), (19, &key.b)] {
        match e.addr {
            IpAddr::V4(a) => {
                put(at, &[4]);
                put(at + 1, &a.octets());
            }
            IpAddr::V6(a) => {
                put(at, &[6]);
                put(at + 1, &a.octets());
            }
        }
        put(at + 17, &e.port.to_be_bytes());
    }
    put(38, &[key.protocol.0]);
    put(39, &vlan);
    h.write(&buf);
    h.finish()
}

/// SipHash-C-D of a message of whole little-endian 64-bit words (the final word carries the
/// byte count mod 256, as SipHash specifies), with C compression rounds per word and D
/// finalization rounds.
/// With C = 2, D = 4 it is the value `core::hash::SipHasher::new_with_keys(k0, k1)` gives for
/// those bytes (a test checks), in a third of its instructions (no byte-stream
/// bookkeeping); the table uses C = 1, D = 3.
fn sip_words<const C: usize, const D: usize, const N: usize>(
    (k0, k1): (u64, u64),
    words: [u64; N],
) -> u64 {
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    let round = |v: &mut [u64; 4]| {
        let [mut v0, mut v1, mut v2, mut v3] = *v;
        v0 = v0.wrapping_add(v1);
        v1 = v1.rotate_left(13) ^ v0;
        v0 = v0.rotate_left(32);
        v2 = v2.wrapping_add(v3);
        v3 = v3.rotate_left(16) ^ v2;
        v0 = v0.wrapping_add(v3);
        v3 = v3.rotate_left(21) ^ v0;
        v2 = v2.wrapping_add(v1);
        v1 = v1.rotate_left(17) ^ v2;
        v2 = v2.rotate_left(32);
        *v = [v0, v1, v2, v3];
    };
    // The message words, then the final word: the length in bytes in the top byte.
    let mut compress = |m: u64| {
        v[3] ^= m;
        for _ in 0..C {
            round(&mut v);
        }
        v[0] ^= m;
    };
    for m in words {
        compress(m);
    }
    compress(((N as u64 * 8) & 0xff) << 56);
    v[2] ^= 0xff;
    for _ in 0..D {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

fn kind_of(protocol: IpProtocol) -> Kind {
    match protocol {
        IpProtocol::TCP => Kind::Tcp,
        IpProtocol::UDP => Kind::Udp,
        _ => Kind::Other,
    }
}

fn ip_len(pkt: &DecodedPacket<'_>) -> u64 {
    match &pkt.net {
        Some(Net::Ipv4(ip)) => u64::from(ip.total_len),
        Some(Net::Ipv6(ip)) => 40 + u64::from(ip.payload_len),
        _ => 0,
    }
}

impl FlowTable {
    /// An empty table. Nothing is allocated until packets arrive.
    #[must_use]
    pub fn new(config: FlowConfig) -> Self {
        let config = FlowConfig {
            max_flows: config.max_flows.clamp(1, NIL as usize - 1),
            ..config
        };
        Self {
            timeouts: [
                nanos(config.tcp_idle_timeout),
                nanos(config.udp_idle_timeout),
                nanos(config.other_idle_timeout),
                nanos(config.tcp_close_linger),
            ],
            budget: MemoryBudget::new(config.reassembly_memory_limit),
            config,
            index: Index::default(),
            slots: Vec::new(),
            free: Vec::new(),
            heads: [NIL; LISTS],
            tails: [NIL; LISTS],
            live: 0,
            next_id: 1,
            counters: FlowCounters::default(),
        }
    }

    /// The settings in force.
    #[must_use]
    pub fn config(&self) -> &FlowConfig {
        &self.config
    }

    /// The counters so far.
    #[must_use]
    pub fn counters(&self) -> &FlowCounters {
        &self.counters
    }

    /// Live (not yet emitted) flows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.live
    }

    /// No live flows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Flow slots allocated so far (never above `max_flows`).
    #[must_use]
    pub fn slots_allocated(&self) -> usize {
        self.slots.len()
    }

    /// Bytes held by reassembly buffers now (never above `reassembly_memory_limit`).
    #[must_use]
    pub fn reassembly_memory(&self) -> usize {
        self.budget.used
    }

    fn slot(&self, i: u32) -> Option<&Slot> {
        self.slots.get(i as usize)
    }

    fn flow_mut(&mut self, i: u32) -> Option<&mut Flow> {
        self.slots.get_mut(i as usize)?.flow.as_mut()
    }

    fn unlink(&mut self, i: u32) {
        let Some(s) = self.slot(i) else { return };
        let (prev, next, list) = (s.prev, s.next, s.list);
        match self.slots.get_mut(prev as usize) {
            Some(p) => p.next = next,
            None => {
                if let Some(h) = self.heads.get_mut(list) {
                    *h = next;
                }
            }
        }
        match self.slots.get_mut(next as usize) {
            Some(n) => n.prev = prev,
            None => {
                if let Some(t) = self.tails.get_mut(list) {
                    *t = prev;
                }
            }
        }
    }

    fn push_tail(&mut self, i: u32, list: usize) {
        let tail = self.tails.get(list).copied().unwrap_or(NIL);
        if let Some(s) = self.slots.get_mut(i as usize) {
            s.prev = tail;
            s.next = NIL;
            s.list = list;
            if let Some(f) = &s.flow {
                s.moved_ts = f.last_ts;
            }
        }
        match self.slots.get_mut(tail as usize) {
            Some(t) => t.next = i,
            None => {
                if let Some(h) = self.heads.get_mut(list) {
                    *h = i;
                }
            }
        }
        if let Some(t) = self.tails.get_mut(list) {
            *t = i;
        }
    }

    /// Ends every flow idle for longer than its timeout at time `now` (closed TCP
    /// connections: the linger time). [`observe`](Self::observe) calls this with each packet's
    /// time; call it on a live capture when no packet arrives for a while.
    pub fn expire<S: FlowSink + ?Sized>(&mut self, now: Nanos, sink: &mut S) {
        for list in 0..LISTS {
            let timeout = self.timeouts.get(list).copied().unwrap_or(0);
            loop {
                let head = self.heads.get(list).copied().unwrap_or(NIL);
                let Some(f) = self.slot(head).and_then(|s| s.flow.as_ref()) else {
                    break;
                };
                if now.saturating_sub(f.last_ts) <= timeout {
                    break;
                }
                let reason = if list == L_CLOSING {
                    EndReason::Closed
                } else {
                    EndReason::IdleTimeout
                };
                self.end(head, reason, sink);
            }
        }
    }

    /// Ends every live flow (reason [`EndReason::EndOfInput`], or `Closed` for closed TCP
    /// connections still lingering). Call at the end of the input.
    pub fn finish<S: FlowSink + ?Sized>(&mut self, sink: &mut S) {
        for i in 0..self.slots.len() {
            let i = i as u32;
            let Some(s) = self.slot(i) else { continue };
            if s.flow.is_none() {
                continue;
            }
            let reason = if s.list == L_CLOSING {
                EndReason::Closed
            } else {
                EndReason::EndOfInput
            };
            self.end(i, reason, sink);
        }
    }

    fn end<S: FlowSink + ?Sized>(&mut self, i: u32, reason: EndReason, sink: &mut S) {
        self.unlink(i);
        let Some(mut flow) = self.slots.get_mut(i as usize).and_then(|s| s.flow.take()) else {
            return;
        };
        if let Some((pos, _)) = self.index.find(flow.hash as u32, |j| j == i) {
            self.index.remove_at(pos);
        }
        self.free.push(i);
        self.live -= 1;
        let mut reasm_stats = [None, None];
        if let Some(r) = flow.reasm.as_mut() {
            for (k, side) in r.iter_mut().enumerate() {
                if side.finish(&mut self.budget).is_some() {
                    self.counters.reassembly_gaps += 1;
                    flow.tracker.gap(k == 0);
                }
                if let Some(s) = reasm_stats.get_mut(k) {
                    *s = Some(*side.stats());
                }
            }
        }
        let [orig_stats, resp_stats] = flow.stats;
        let [orig_reassembly, resp_reassembly] = reasm_stats;
        let (orig, resp) = flow.key.endpoints(flow.orig_dir);
        let record = FlowRecord {
            id: flow.id,
            key: flow.key,
            orig,
            resp,
            initiator_known: flow.initiator_known,
            flipped: flow.flipped,
            first_ts: flow.first_ts,
            last_ts: flow.last_ts,
            first_frame: flow.first_frame,
            last_frame: flow.last_frame,
            orig_stats,
            resp_stats,
            conn_state: flow.tracker.conn_state(),
            history: flow.tracker.history(),
            tcp_states: (flow.key.protocol == IpProtocol::TCP).then(|| flow.tracker.tcp_states()),
            vlan: flow.key.vlan,
            end: reason,
            orig_reassembly,
            resp_reassembly,
        };
        let c = &mut self.counters;
        c.ended += 1;
        match reason {
            EndReason::Closed => c.closed += 1,
            EndReason::IdleTimeout => c.timed_out += 1,
            EndReason::Evicted => c.evicted += 1,
            EndReason::EndOfInput => c.end_of_input += 1,
        }
        sink.flow_ended(&record);
    }

    /// Evicts one flow: a lingering closed connection if any, else the least recently seen.
    fn evict<S: FlowSink + ?Sized>(&mut self, sink: &mut S) {
        let mut victim = self.heads.get(L_CLOSING).copied().unwrap_or(NIL);
        if self.slot(victim).is_none() {
            let mut best = Nanos::MAX;
            for list in [L_TCP, L_UDP, L_OTHER] {
                let h = self.heads.get(list).copied().unwrap_or(NIL);
                if let Some(f) = self.slot(h).and_then(|s| s.flow.as_ref()) {
                    if f.last_ts < best || victim == NIL {
                        best = f.last_ts;
                        victim = h;
                    }
                }
            }
        }
        if victim != NIL {
            self.end(victim, EndReason::Evicted, sink);
        }
    }

    fn create(
        &mut self,
        key: FlowKey,
        hash: u64,
        dir: Direction,
        frame: u64,
        ts: Nanos,
        pkt: &DecodedPacket<'_>,
    ) -> u32 {
        let kind = kind_of(key.protocol);
        let (syn, ack) = match &pkt.transport {
            Some(Transport::Tcp(t)) => (
                t.flags.contains(TcpFlags::SYN),
                t.flags.contains(TcpFlags::ACK),
            ),
            _ => (false, false),
        };
        let flipped = match (kind, pkt.ports()) {
            (Kind::Tcp, _) if syn => ack,
            (Kind::Tcp | Kind::Udp, Some((sp, dp))) => sp < 1024 && dp >= 1024,
            _ => false,
        };
        let flow = Flow {
            id: FlowId(self.next_id),
            key,
            hash,
            orig_dir: if flipped { dir.reverse() } else { dir },
            initiator_known: kind == Kind::Tcp && syn && !ack,
            flipped,
            first_ts: ts,
            last_ts: ts,
            first_frame: frame,
            last_frame: frame,
            stats: [DirStats::default(); 2],
            tracker: Tracker::new(kind, flipped),
            reasm: None,
            syn_seq: [None, None],
        };
        self.next_id += 1;
        let i = match self.free.pop() {
            Some(i) => {
                if let Some(s) = self.slots.get_mut(i as usize) {
                    s.flow = Some(flow);
                }
                i
            }
            None => {
                self.slots.push(Slot {
                    flow: Some(flow),
                    prev: NIL,
                    next: NIL,
                    list: L_OTHER,
                    moved_ts: ts,
                });
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(hash as u32, i);
        self.live += 1;
        self.counters.created += 1;
        self.counters.peak_flows = self.counters.peak_flows.max(self.live as u64);
        let list = match kind {
            Kind::Tcp => L_TCP,
            Kind::Udp => L_UDP,
            Kind::Other => L_OTHER,
        };
        self.push_tail(i, list);
        i
    }

    /// Attributes one packet to its connection, updates the connection, and returns what
    /// happened; `None` for packets that belong to no flow (see [`FlowKey::from_packet`]).
    ///
    /// Before that, flows idle past their timeout at `ts` are ended, and if the packet needs a
    /// new flow while the table is full, one flow is evicted; both go to `sink`. `frame` is the
    /// caller's frame number (1-based, as Wireshark), kept as evidence. Timestamps should not
    /// go backwards; if they do, timeouts are judged by the latest time seen per flow.
    pub fn observe<'s, 'p: 's, S: FlowSink + ?Sized>(
        &'s mut self,
        frame: u64,
        ts: Nanos,
        pkt: &DecodedPacket<'p>,
        sink: &mut S,
    ) -> Option<Observation<'s>> {
        let Some((key, dir)) = FlowKey::from_packet(pkt) else {
            self.counters.unattributed += 1;
            return None;
        };
        self.counters.packets += 1;
        self.expire(ts, sink);
        let tcp = match &pkt.transport {
            Some(Transport::Tcp(t)) => Some(*t),
            _ => None,
        };
        let hash = hash_key(self.config.hash_seed, &key);
        let slots = &self.slots;
        let mut found = self
            .index
            .find(hash as u32, |j| {
                slots
                    .get(j as usize)
                    .and_then(|s| s.flow.as_ref())
                    .is_some_and(|f| f.key == key)
            })
            .map(|(_, j)| j);
        // A new SYN on a closed connection starts a new one.
        if let (Some(i), Some(t)) = (found, tcp) {
            let closed = self
                .slot(i)
                .and_then(|s| s.flow.as_ref())
                .is_some_and(|f| f.tracker.is_closed());
            if closed && t.flags.contains(TcpFlags::SYN) && !t.flags.contains(TcpFlags::ACK) {
                self.counters.reused += 1;
                self.end(i, EndReason::Closed, sink);
                found = None;
            }
        }
        let new_flow = found.is_none();
        let i = match found {
            Some(i) => i,
            None => {
                if self.live >= self.config.max_flows {
                    self.evict(sink);
                }
                self.create(key, hash, dir, frame, ts, pkt)
            }
        };
        let want_reasm = tcp.is_some() && self.config.reassemble.is_some_and(|p| p(&key));
        let ip_bytes = ip_len(pkt);
        let flow = self.flow_mut(i)?;
        let role = if dir == flow.orig_dir {
            Role::Orig
        } else {
            Role::Resp
        };
        let is_orig = role == Role::Orig;
        flow.last_ts = flow.last_ts.max(ts);
        flow.last_frame = frame;
        if let Some(st) = flow.stats.get_mut(usize::from(!is_orig)) {
            st.packets += 1;
            st.ip_bytes += ip_bytes;
            st.payload_bytes += pkt.payload_wire_len as u64;
        }
        let wire_len = u32::try_from(pkt.payload_wire_len).unwrap_or(u32::MAX);
        match tcp {
            Some(t) => flow.tracker.tcp(
                is_orig,
                Seg {
                    flags: t.flags,
                    seq: t.seq,
                    ack: t.ack,
                    window: t.window,
                    len: wire_len,
                },
            ),
            None => flow.tracker.packet(is_orig, wire_len),
        }
        let closed = flow.tracker.is_closed();
        let (current, moved_ts) = self.slot(i).map_or((L_OTHER, 0), |s| (s.list, s.moved_ts));
        let list = if closed { L_CLOSING } else { current };
        if list != current || ts.saturating_sub(moved_ts) >= LRU_GRANULARITY {
            self.unlink(i);
            self.push_tail(i, list);
        }

        // Reassembly last: its output borrows the table.
        let mut pushed = Pushed::default();
        let mut side_idx = 0usize;
        if let (true, Some(t)) = (want_reasm, tcp) {
            let cap = self.config.reassembly_cap_per_direction;
            let depth = self.config.reassembly_depth;
            let Self {
                slots,
                budget,
                counters,
                ..
            } = self;
            let flow = slots.get_mut(i as usize).and_then(|s| s.flow.as_mut())?;
            side_idx = usize::from(!is_orig);
            let syn = t.flags.contains(TcpFlags::SYN);
            let data = !t.flags.contains(TcpFlags::RST) && wire_len > 0;
            if syn && flow.reasm.is_none() {
                if let Some(s) = flow.syn_seq.get_mut(side_idx) {
                    *s = Some(t.seq);
                }
            }
            if data && flow.reasm.is_none() {
                let mut r: Box<[Reassembler; 2]> = Box::default();
                for (side, isn) in r.iter_mut().zip(flow.syn_seq) {
                    if let Some(isn) = isn {
                        side.syn(isn);
                    }
                }
                flow.reasm = Some(r);
            }
            if let Some(side) = flow.reasm.as_mut().and_then(|r| r.get_mut(side_idx)) {
                if syn {
                    side.syn(t.seq);
                }
                if data {
                    let seq = if syn { t.seq.wrapping_add(1) } else { t.seq };
                    let before = *side.stats();
                    let refused = budget.refused;
                    pushed = side.push(frame, seq, pkt.payload, wire_len, cap, depth, budget);
                    let after = side.stats();
                    counters.reassembly_dropped_bytes += after.dropped_bytes - before.dropped_bytes;
                    counters.reassembly_memory_refused += budget.refused - refused;
                    counters.overlap_conflicts +=
                        u64::from(after.overlap_conflicts - before.overlap_conflicts);
                    if pushed.gap.is_some() {
                        counters.reassembly_gaps += 1;
                        flow.tracker.gap(is_orig);
                    }
                }
            }
        }
        let flow = self.slot(i).and_then(|s| s.flow.as_ref())?;
        let stream = match flow.reasm.as_ref().and_then(|r| r.get(side_idx)) {
            Some(side) if want_reasm => side.delivery(&pushed, pkt.payload),
            _ => Delivery::default(),
        };
        Some(Observation {
            id: flow.id,
            key,
            direction: dir,
            role,
            new_flow,
            stream,
        })
    }

    /// Stops reassembling connection `id` (both directions) and frees its buffers, for a caller
    /// that has learnt what it needs from the stream (e.g. it is not TLS). The connection is
    /// still tracked; its later segments are not reassembled. Returns whether the connection
    /// was found. Costs one hash lookup.
    pub fn stop_reassembly(&mut self, key: &FlowKey, id: FlowId) -> bool {
        self.each_reassembler(key, id, true, None, Reassembler::stop)
    }

    /// Switches connection `id` (both directions) to [pass-through
    /// reassembly](Reassembler::set_pass_through): in-order bytes are delivered without being
    /// kept, for a caller that still reads the stream but no longer needs retransmissions
    /// compared (a TLS session past its handshake). Returns whether the connection was found.
    pub fn pass_through_reassembly(&mut self, key: &FlowKey, id: FlowId) -> bool {
        self.each_reassembler(key, id, false, None, Reassembler::set_pass_through)
    }

    /// [`pass_through_reassembly`](Self::pass_through_reassembly) for one side's bytes only
    /// (e.g. a TLS direction whose handshake is encrypted from now on: only record headers
    /// are read, so retransmitted bytes need not be kept to compare).
    pub fn pass_through_side(&mut self, key: &FlowKey, id: FlowId, role: Role) -> bool {
        self.each_reassembler(key, id, false, Some(role), Reassembler::set_pass_through)
    }

    fn each_reassembler(
        &mut self,
        key: &FlowKey,
        id: FlowId,
        create: bool,
        only: Option<Role>,
        f: impl Fn(&mut Reassembler, &mut MemoryBudget),
    ) -> bool {
        let hash = hash_key(self.config.hash_seed, key);
        let Self {
            index,
            slots,
            budget,
            ..
        } = self;
        let found = index
            .find(hash as u32, |j| {
                slots
                    .get(j as usize)
                    .and_then(|s| s.flow.as_ref())
                    .is_some_and(|f| f.key == *key && f.id == id)
            })
            .map(|(_, j)| j);
        let Some(flow) = found
            .and_then(|j| slots.get_mut(j as usize))
            .and_then(|s| s.flow.as_mut())
        else {
            return false;
        };
        if flow.reasm.is_none() && create {
            flow.reasm = Some(Box::default());
        }
        if let Some(r) = flow.reasm.as_mut() {
            for (side, role) in r.iter_mut().zip([Role::Orig, Role::Resp]) {
                if only.is_none_or(|o| o == role) {
                    f(side, budget);
                }
            }
        }
        true
    }

    /// The conn_state a live flow would be reported with now, by id (linear search; for
    /// tests and status displays, not per packet).
    #[must_use]
    pub fn peek_state(&self, id: FlowId) -> Option<(ConnState, History)> {
        self.slots
            .iter()
            .filter_map(|s| s.flow.as_ref())
            .find(|f| f.id == id)
            .map(|f| (f.tracker.conn_state(), f.tracker.history()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of a key reaches the hash: changing any one of them (or the address family
    /// alone) changes it.
    #[test]
    fn every_key_field_is_hashed() {
        use core::net::{Ipv4Addr, Ipv6Addr};
        let seed = (1, 2);
        let ep = |addr: IpAddr, port| Endpoint { addr, port };
        let base = FlowKey {
            a: ep(Ipv4Addr::new(10, 0, 0, 1).into(), 1234),
            b: ep(Ipv4Addr::new(10, 0, 0, 2).into(), 443),
            protocol: IpProtocol::TCP,
            vlan: None,
        };
        let mut variants = vec![base];
        let mut k = base;
        k.a.addr = Ipv4Addr::new(10, 0, 0, 3).into();
        variants.push(k);
        let mut k = base;
        k.b.addr = Ipv4Addr::new(11, 0, 0, 2).into();
        variants.push(k);
        let mut k = base;
        k.a.port = 1235;
        variants.push(k);
        let mut k = base;
        k.b.port = 444;
        variants.push(k);
        let mut k = base;
        k.protocol = IpProtocol::UDP;
        variants.push(k);
        let mut k = base;
        k.vlan = Some(0);
        variants.push(k);
        let mut k = base;
        k.vlan = Some(7);
        variants.push(k);
        // The same address bytes as IPv4-mapped IPv6.
        let mut k = base;
        k.a.addr = Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped().into();
        k.b.addr = Ipv4Addr::new(10, 0, 0, 2).to_ipv6_mapped().into();
        variants.push(k);
        k.a.addr = Ipv6Addr::LOCALHOST.into();
        variants.push(k);
        let hashes: Vec<u64> = variants.iter().map(|k| hash_key(seed, k)).collect();
        for (i, x) in hashes.iter().enumerate() {
            for (j, y) in hashes.iter().enumerate().skip(i + 1) {
                assert_ne!(x, y, "keys {i} and {j} hash the same");
            }
        }
        // Keyed: another seed, another hash.
        assert_ne!(hash_key((3, 4), &base), hashes[0]);
    }

    /// The word-wise SipHash with 2-4 rounds against core's SipHasher, on arbitrary words and
    /// keys, two and five words (the rounds are the only difference with the 1-3 the table
    /// uses); and IPv4 and IPv6 keys' hashes are those of their byte encodings.
    #[test]
    #[allow(deprecated)]
    fn sip_words_is_siphash() {
        use core::hash::Hasher as _;
        let core_sip = |k: (u64, u64), bytes: &[u8]| {
            let mut h = core::hash::SipHasher::new_with_keys(k.0, k.1);
            h.write(bytes);
            h.finish()
        };
        let mut x = 0x0123_4567_89ab_cdefu64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let bytes =
            |words: &[u64]| -> Vec<u8> { words.iter().flat_map(|w| w.to_le_bytes()).collect() };
        for _ in 0..5_000 {
            let k = (next(), next());
            let two = [next(), next()];
            assert_eq!(sip_words::<2, 4, 2>(k, two), core_sip(k, &bytes(&two)));
            let five = [next(), next(), next(), next(), next()];
            assert_eq!(sip_words::<2, 4, 5>(k, five), core_sip(k, &bytes(&five)));
        }
        assert_eq!(sip_words::<2, 4, 0>((1, 2), []), core_sip((1, 2), &[]));
        // An IPv4 key: the words are its bytes in order (addresses and ports big-endian).
        let key = FlowKey {
            a: Endpoint {
                addr: core::net::Ipv4Addr::new(192, 168, 1, 2).into(),
                port: 0x1234,
            },
            b: Endpoint {
                addr: core::net::Ipv4Addr::new(10, 20, 30, 40).into(),
                port: 443,
            },
            protocol: IpProtocol::TCP,
            vlan: Some(0x0abc),
        };
        let bytes = [
            192, 168, 1, 2, 0x12, 0x34, 10, 20, 30, 40, 0x01, 0xbb, 6, 1, 0x0a, 0xbc,
        ];
        let word = |b: &[u8], i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap());
        let words2 = [word(&bytes, 0), word(&bytes, 1)];
        assert_eq!(hash_key((5, 6), &key), sip_words::<1, 3, 2>((5, 6), words2));
        assert_ne!(hash_key((5, 6), &key), core_sip((5, 6), &bytes));
        // An IPv6 key: both addresses, then ports, protocol and VLAN as for IPv4.
        let a6: core::net::Ipv6Addr = "2001:db8::1".parse().unwrap();
        let b6: core::net::Ipv6Addr = "fe80::abcd:2".parse().unwrap();
        let key6 = FlowKey {
            a: Endpoint {
                addr: a6.into(),
                port: 0x1234,
            },
            b: Endpoint {
                addr: b6.into(),
                port: 443,
            },
            protocol: IpProtocol::UDP,
            vlan: None,
        };
        let mut bytes6 = [a6.octets(), b6.octets()].concat();
        bytes6.extend_from_slice(&[0x12, 0x34, 0x01, 0xbb, 17, 0, 0, 0]);
        let words5 = [0, 1, 2, 3, 4].map(|i| word(&bytes6, i));
        assert_eq!(
            hash_key((5, 6), &key6),
            sip_words::<1, 3, 5>((5, 6), words5)
        );
    }

    /// Memory per flow slot, so `max_flows` translates into bytes: about 400 bytes per slot
    /// (on 64-bit targets) plus 8-32 bytes of index per flow (8-byte entries, between a
    /// quarter and half full), so the default cap of 2^18 flows is about 115 MB at most.
    /// Guards against silent growth.
    #[test]
    fn slot_size() {
        let n = core::mem::size_of::<Slot>();
        assert!(n <= 448, "{n}");
    }
}
