//! `flowsleuth flows` and `flowsleuth tls`: packets → flow table → TLS sessions → records.
//!
//! For each packet: decode, [`FlowTable::observe`], and when the observation delivers
//! reassembled stream bytes, feed them to that connection's [`TlsSession`] (created on the
//! first delivered bytes, kept in a map by [`FlowId`]). A connection that turns out not to be
//! TLS keeps a tombstone (no session) until it ends. When the table ends a connection (close,
//! idle timeout, eviction) the sink writes its record at once and drops its session, so memory
//! stays bounded on any capture. At the end of the input the remaining connections are written
//! sorted by their first frame.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use capture::{PacketRef, PacketSource};
use decode::flow::{reassemble_all, FlowConfig, FlowCounters, FlowId, FlowRecord, FlowSink};
use decode::flow::{FlowKey, FlowTable, Nanos};
use decode::tls::{
    ClientHello, Dir, DirStatus, Ja4Protocol, Ja4Scratch, Phase, PhaseKind, QuicInitial, TlsConfig,
    TlsSession, TlsSummary,
};
use decode::DecodedPacket;

use crate::args::{filter_expr, AnalyzeArgs, FlowsArgs, RecordFormat, TlsArgs};
use crate::cmd::{read, stdout};
use crate::output::records::RecordWriter;
use crate::output::rows::{is_tls_record, tls_dir, FlowRow, TlsRow};
use crate::output::Tally;
use crate::progress;

mod sharded;

/// Which records are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Flows,
    Tls,
}

/// Runs `flows`.
pub(crate) fn run_flows(args: &FlowsArgs) -> anyhow::Result<()> {
    let secs = Duration::from_secs;
    let config = FlowConfig {
        tcp_idle_timeout: secs(args.idle_timeout_tcp),
        udp_idle_timeout: secs(args.idle_timeout_udp),
        other_idle_timeout: secs(args.idle_timeout_other),
        max_flows: usize::try_from(args.max_flows).unwrap_or(usize::MAX),
        ..FlowConfig::default()
    };
    run(Mode::Flows, config, &args.common)
}

/// Runs `tls`.
pub(crate) fn run_tls(args: &TlsArgs) -> anyhow::Result<()> {
    run(Mode::Tls, FlowConfig::default(), &args.common)
}

/// Random SipHash keys for the flow table, from std's per-process random state.
fn random_seed() -> (u64, u64) {
    let state = RandomState::new();
    (state.hash_one(0x5eed_u64), state.hash_one(0xf10e_u64))
}

fn run(mode: Mode, config: FlowConfig, args: &AnalyzeArgs) -> anyhow::Result<()> {
    let (input, out_args) = (&args.input, &args.out);
    let (filter_words, threads) = (&args.filter, args.threads.map(usize::from));
    let config = FlowConfig {
        reassemble: Some(reassemble_all),
        hash_seed: random_seed(),
        ..config
    };
    let parquet = out_args.format == RecordFormat::Parquet;
    if parquet && out_args.output.is_none() {
        anyhow::bail!("--format parquet needs an output file: add -o OUT");
    }
    let create = |path: &Path| {
        File::create(path).with_context(|| format!("cannot create {}", path.display()))
    };
    let (out, parquet_file): (Box<dyn Write>, Option<File>) = match &out_args.output {
        Some(path) if parquet => (Box::new(io::sink()), Some(create(path)?)),
        Some(path) => (
            Box::new(BufWriter::with_capacity(1 << 16, create(path)?)),
            None,
        ),
        None => (Box::new(stdout()), None),
    };
    let format = out_args.format;
    let writer = new_writer(mode, out, format, parquet_file).context("cannot start the output")?;
    let expr = filter_expr(filter_words);
    if let Some(plan) = sharded::eligible(input, format, threads) {
        let output = out_args.output.as_deref();
        return sharded::run(mode, config, &plan, expr.as_deref(), (writer, output));
    }
    let mut engine = Engine::new(mode, config, writer);
    let mut tally = Tally::default();
    let result = match (&input.file, &input.interface) {
        (Some(path), _) => from_file(path, expr.as_deref(), &mut engine, &mut tally),
        (None, Some(iface)) => live::from_interface(iface, expr.clone(), &mut engine, &mut tally),
        (None, None) => Err(anyhow::anyhow!("no input: use -r FILE or -i IFACE")),
    };
    // Everything seen before an error is still written.
    let finished = engine.finish();
    let mut err = io::stderr().lock();
    tally.write_summary(&mut err, expr.is_some())?;
    engine.summary().write(&mut err, mode)?;
    if let Some(path) = &out_args.output {
        finished.with_context(|| format!("cannot write {}", path.display()))?;
    } else {
        finished?;
    }
    result
}

fn from_file(
    path: &Path,
    expr: Option<&str>,
    engine: &mut Engine,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let mut source = read::open(path)?;
    let mut filter = expr.map(read::compile_filter).transpose()?;
    writeln!(
        io::stderr().lock(),
        "reading from file {}, {}",
        source.path().display(),
        source.format()
    )?;
    let bar = progress::bytes_bar(source.total_bytes());
    let result = (|| {
        while let Some(pkt) = source.next_packet()? {
            tally.read += 1;
            if !super::matches_filter(&mut filter, &pkt)? {
                continue;
            }
            engine.packet(&pkt, tally)?;
            if tally.read % progress::UPDATE_EVERY == 0 {
                bar.set_position(source.bytes_read());
            }
        }
        Ok(())
    })();
    bar.finish_and_clear();
    result
}

#[cfg(not(feature = "libpcap"))]
mod live {
    /// Live capture needs libpcap.
    pub(super) fn from_interface(
        _iface: &str,
        _expr: Option<String>,
        _engine: &mut super::Engine,
        _tally: &mut crate::output::Tally,
    ) -> anyhow::Result<()> {
        anyhow::bail!("live capture needs libpcap: rebuild flowsleuth with the `libpcap` feature")
    }
}

#[cfg(feature = "libpcap")]
mod live {
    use std::io::{self, Write};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use std::time::{Duration, Instant, SystemTime};

    use anyhow::Context;
    use capture::{LiveConfig, LiveSource, Poll};

    use super::Engine;
    use crate::output::Tally;

    /// Now, in nanoseconds since the epoch (the kernel stamps packets with the same clock).
    fn wall_clock_nanos() -> super::Nanos {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| {
                super::Nanos::try_from(d.as_nanos()).unwrap_or(super::Nanos::MAX)
            })
    }

    /// Captures on `iface` (the filter runs in the kernel) until Ctrl-C.
    pub(super) fn from_interface(
        iface: &str,
        expr: Option<String>,
        engine: &mut Engine,
        tally: &mut Tally,
    ) -> anyhow::Result<()> {
        let stop = Arc::new(AtomicBool::new(false));
        let handler_flag = Arc::clone(&stop);
        ctrlc::set_handler(move || handler_flag.store(true, Ordering::SeqCst))
            .context("cannot install the Ctrl-C handler")?;
        let config = LiveConfig {
            interface: iface.to_owned(),
            filter: expr,
            ..LiveConfig::default()
        };
        let snaplen = config.snaplen;
        let mut source = LiveSource::open(config, Arc::clone(&stop))?;
        writeln!(
            io::stderr().lock(),
            "listening on {}, link-type {}, snapshot length {} bytes",
            source.interface(),
            source.link_type(),
            snaplen
        )?;
        // Records must come out while the capture runs, also on a quiet interface: idle
        // connections are expired by the wall clock and output flushed at least every second.
        let mut last_tick = Instant::now();
        loop {
            let idle = match source.poll()? {
                Poll::Packet(pkt) => {
                    tally.read += 1;
                    engine.packet(&pkt, tally)?;
                    false
                }
                Poll::Idle => true,
                Poll::End => break,
            };
            if idle || last_tick.elapsed() >= Duration::from_secs(1) {
                engine.tick(wall_clock_nanos())?;
                last_tick = Instant::now();
            }
        }
        match source.stats() {
            Ok(s) => writeln!(
                io::stderr().lock(),
                "{} packets received by filter, {} dropped by kernel",
                s.received,
                s.dropped
            )?,
            Err(e) => writeln!(io::stderr().lock(), "statistics unavailable: {e}")?,
        }
        Ok(())
    }
}

/// A record writer over any output.
type Writer = RecordWriter<Box<dyn Write>>;

fn new_writer(
    mode: Mode,
    out: Box<dyn Write>,
    format: RecordFormat,
    parquet_file: Option<File>,
) -> io::Result<Writer> {
    match mode {
        Mode::Flows => RecordWriter::new::<FlowRow<'_>>(out, format, parquet_file),
        Mode::Tls => RecordWriter::new::<TlsRow<'_>>(out, format, parquet_file),
    }
}

/// Writes the header of `mode`'s records (CSV, table), if not written yet.
fn write_header(out: &mut Writer, mode: Mode) -> io::Result<()> {
    match mode {
        Mode::Flows => out.header::<FlowRow<'_>>(),
        Mode::Tls => out.header::<TlsRow<'_>>(),
    }
}

/// The flow table, the TLS sessions and the record writer.
struct Engine {
    table: FlowTable,
    emit: Emitter,
    /// With `Some((k, n))` only the connections of shard `k` of `n` are tracked (see
    /// [`sharded`]); packets of other shards are skipped before the table.
    shard: Option<(usize, usize)>,
    /// `tls` only: packets that cannot belong to a TLS or QUIC connection (not TCP; UDP that
    /// is neither a QUIC long-header packet nor on a connection that began with one), not
    /// tracked at all.
    skipped: u64,
    /// One JA4 sort scratch for the whole run.
    scratch: Box<Ja4Scratch>,
}

/// Receives ended connections from the table and writes their records.
struct Emitter {
    mode: Mode,
    /// TLS sessions by connection; `None` once the connection is known not to be TLS.
    sessions: IdMap<Option<Box<Tracked>>>,
    /// QUIC client Initials of UDP connections.
    quic: IdMap<Quic>,
    /// `tls` only: the live UDP connections that began with a QUIC long-header packet.
    quic_keys: HashSet<FlowKey>,
    out: RecordWriter<Box<dyn Write>>,
    /// The first write error (the sink cannot return one).
    error: Option<io::Error>,
    /// At the end of input: records collected here, then sorted by first frame.
    deferred: Option<Vec<FlowRecord>>,
    /// Connections that carried TLS.
    tls_records: u64,
}

/// A map keyed by the flow table's ids, looked up for every packet that carries bytes.
type IdMap<V> = HashMap<FlowId, V, BuildHasherDefault<IdHasher>>;

/// Hashes a [`FlowId`] with one multiply. The ids are the flow table's creation counter, not
/// bytes from the input, so nobody can choose them to collide, and SipHash (std's default)
/// would only cost time on every packet.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        // Fibonacci hashing: an odd constant near 2^64 / phi spreads consecutive ids over the
        // high bits (hashbrown's tag) and the low bits (its bucket index).
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The TLS session of a connection and how its bytes are reassembled.
struct Tracked {
    session: TlsSession,
    /// The connection's reassembly was switched to pass-through (handshake over), per
    /// direction (client, server).
    pass_through: [bool; 2],
}

/// QUIC state of a UDP connection whose client sent a long-header packet.
enum Quic {
    /// Collecting the client's Initial packets.
    Pending(Box<QuicInitial>),
    /// The ClientHello was whole: what it said.
    Done(Box<TlsSummary>),
}

/// QUIC v1 and v2 long-header packets (the only ones [`QuicInitial`] decrypts).
fn looks_like_quic_initial(payload: &[u8]) -> bool {
    match payload {
        [b0, v @ ..] if b0 & 0xc0 == 0xc0 && v.len() >= 4 => {
            let version = u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
            matches!(
                version,
                decode::tls::quic::QUIC_V1 | decode::tls::quic::QUIC_V2
            )
        }
        _ => false,
    }
}

/// A session summary from a QUIC client's ClientHello (only the client side is visible).
fn quic_summary(
    ch: &ClientHello<'_>,
    frame: u64,
    ts: Nanos,
    scratch: &mut Ja4Scratch,
) -> TlsSummary {
    let mut t = TlsSummary {
        client_hellos: 1,
        ..TlsSummary::default()
    };
    t.record_client_hello(ch, Ja4Protocol::Quic, scratch);
    t.status[0] = DirStatus::Tls;
    t.phases.push(Phase {
        kind: PhaseKind::ClientHello,
        dir: Dir::ClientToServer,
        frame,
        ts_nanos: i128::from(ts),
    });
    t
}

impl FlowSink for Emitter {
    fn flow_ended(&mut self, record: &FlowRecord) {
        match &mut self.deferred {
            Some(v) => v.push(*record),
            None => self.emit(record),
        }
    }
}

impl Emitter {
    /// `tls`: whether a packet can belong to a TLS (TCP) or QUIC connection.
    fn may_carry_tls(&self, d: &decode::DecodedPacket<'_>) -> bool {
        match d.transport {
            Some(decode::Transport::Tcp(_)) => true,
            Some(decode::Transport::Udp(_)) => {
                looks_like_quic_initial(d.payload)
                    || (!self.quic_keys.is_empty()
                        && FlowKey::from_packet(d)
                            .is_some_and(|(k, _)| self.quic_keys.contains(&k)))
            }
            _ => false,
        }
    }

    fn emit(&mut self, rec: &FlowRecord) {
        if !self.quic_keys.is_empty() {
            self.quic_keys.remove(&rec.key);
        }
        let session = self.sessions.remove(&rec.id).flatten();
        let session = session.as_deref().map(|t| &t.session);
        let quic = match self.quic.remove(&rec.id) {
            Some(Quic::Done(t)) => Some(t),
            _ => None,
        };
        let transport = if quic.is_some() { "quic" } else { "tcp" };
        let tls = session
            .map(TlsSession::summary)
            .or(quic.as_deref())
            .filter(|t| is_tls_record(t));
        if tls.is_some() {
            self.tls_records += 1;
        }
        if self.error.is_some() {
            return;
        }
        let written = match (self.mode, tls) {
            (Mode::Flows, tls) => self.out.write(&FlowRow { rec, tls }),
            (Mode::Tls, Some(tls)) => self.out.write(&TlsRow {
                rec,
                tls,
                transport,
            }),
            (Mode::Tls, None) => Ok(()),
        };
        if let Err(e) = written {
            self.error = Some(e);
        }
    }
}

fn nanos(ts: capture::Timestamp) -> Nanos {
    ts.secs
        .saturating_mul(1_000_000_000)
        .saturating_add(i64::from(ts.nanos))
}

impl Engine {
    fn new(mode: Mode, config: FlowConfig, out: Writer) -> Engine {
        Engine {
            table: FlowTable::new(config),
            emit: Emitter {
                mode,
                sessions: IdMap::default(),
                quic: IdMap::default(),
                quic_keys: HashSet::new(),
                out,
                error: None,
                deferred: None,
                tls_records: 0,
            },
            shard: None,
            scratch: Box::new(Ja4Scratch::new()),
            skipped: 0,
        }
    }

    /// One packet through the table and, for reassembled bytes, the TLS session. With shards
    /// (a worker of [`sharded`], for a frame whose bytes did not tell its shard), the packet
    /// is decoded and followed only if it is of this engine's shard.
    fn packet(&mut self, pkt: &PacketRef<'_>, tally: &mut Tally) -> anyhow::Result<()> {
        let decoded = decode::decode(pkt.link, pkt.data);
        if let Some((k, n)) = self.shard {
            if sharded::shard_of(&decoded, n) != k {
                return Ok(());
            }
        }
        self.track(pkt, &decoded, tally)
    }

    /// [`packet`](Self::packet) for a packet known to be of this engine's shard.
    fn own_packet(&mut self, pkt: &PacketRef<'_>, tally: &mut Tally) -> anyhow::Result<()> {
        let decoded = decode::decode(pkt.link, pkt.data);
        self.track(pkt, &decoded, tally)
    }

    /// Counts a decoded packet of this engine's shard and follows its connection.
    fn track(
        &mut self,
        pkt: &PacketRef<'_>,
        decoded: &DecodedPacket<'_>,
        tally: &mut Tally,
    ) -> anyhow::Result<()> {
        tally.count_decoded(pkt, decoded);
        let ts = nanos(pkt.ts);
        let Self {
            table,
            emit,
            scratch,
            skipped,
            ..
        } = self;
        if emit.mode == Mode::Tls && !emit.may_carry_tls(decoded) {
            *skipped += 1;
            return Ok(());
        }
        if let Some(obs) = table.observe(pkt.frame, ts, decoded, emit) {
            if matches!(decoded.transport, Some(decode::Transport::Udp(_)))
                && obs.role == decode::flow::Role::Orig
            {
                let payload = decoded.payload;
                if obs.new_flow && looks_like_quic_initial(payload) {
                    emit.quic
                        .insert(obs.id, Quic::Pending(Box::new(QuicInitial::new())));
                    if emit.mode == Mode::Tls {
                        emit.quic_keys.insert(obs.key);
                    }
                }
                if let Some(Quic::Pending(q)) = emit.quic.get_mut(&obs.id) {
                    // Errors (server packets, other versions) keep what was learnt.
                    let _ = q.feed_datagram(payload);
                    let done = q
                        .client_hello()
                        .map(|ch| quic_summary(&ch, pkt.frame, ts, scratch));
                    if let Some(t) = done {
                        emit.quic.insert(obs.id, Quic::Done(Box::new(t)));
                    }
                }
            }
            let (key, id) = (obs.key, obs.id);
            let stream = obs.stream;
            let (mut not_tls, mut pass_through) = (false, None);
            if stream.gap.is_some() || !stream.data.is_empty() {
                // `flows` shows no certificate and no JA3/JA3S: not computing them.
                let all = emit.mode == Mode::Tls;
                let slot = emit.sessions.entry(obs.id).or_insert_with(|| {
                    Some(Box::new(Tracked {
                        session: TlsSession::new(TlsConfig {
                            parse_certificates: all,
                            ja3: all,
                            ..TlsConfig::default()
                        }),
                        pass_through: [false; 2],
                    }))
                });
                if let Some(tracked) = slot {
                    let session = &mut tracked.session;
                    let dir = tls_dir(obs.role);
                    let ts = i128::from(ts);
                    if stream.gap.is_some() {
                        session.gap(dir, pkt.frame, ts);
                    }
                    if !stream.data.is_empty()
                        && session
                            .feed_with_scratch(dir, stream.data, pkt.frame, ts, scratch)
                            .is_err()
                        && !session.summary().is_tls()
                    {
                        *slot = None;
                        not_tls = true;
                    } else if tracked.pass_through != [true; 2] {
                        // Past the plaintext handshake only record headers are read: no need
                        // to keep the bytes to compare retransmissions with. Each direction
                        // once it is encrypted; both once the session is established.
                        let side = usize::from(obs.role == decode::flow::Role::Resp);
                        if session.summary().established {
                            tracked.pass_through = [true; 2];
                            pass_through = Some(None);
                        } else if !tracked.pass_through[side] && session.is_encrypted(dir) {
                            tracked.pass_through[side] = true;
                            pass_through = Some(Some(obs.role));
                        }
                    }
                }
            }
            // Nothing more to learn from the bytes of a connection that is not TLS.
            if not_tls {
                table.stop_reassembly(&key, id);
            } else if let Some(side) = pass_through {
                match side {
                    Some(role) => table.pass_through_side(&key, id, role),
                    None => table.pass_through_reassembly(&key, id),
                };
            }
        }
        match emit.error.take() {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    /// Live capture, also when no packet arrives: ends the connections idle at `now` and
    /// pushes the records written so far to the output.
    fn tick(&mut self, now: Nanos) -> anyhow::Result<()> {
        self.table.expire(now, &mut self.emit);
        if let Some(e) = self.emit.error.take() {
            return Err(e.into());
        }
        self.emit.out.flush_stream()?;
        Ok(())
    }

    /// Ends every connection and flushes the output.
    fn finish(&mut self) -> anyhow::Result<()> {
        let (rest, order) = self.end_all();
        for r in order.iter().filter_map(|&i| rest.get(i)) {
            self.emit.emit(r);
        }
        let header = write_header(&mut self.emit.out, self.emit.mode);
        if let Some(e) = self.emit.error.take() {
            return Err(e.into());
        }
        header?;
        self.emit.out.flush()?;
        Ok(())
    }

    /// Ends every connection still open; returns their records and, in order of first frame
    /// then id, their indices. (Sorting the keys, then taking each record from where it is:
    /// sorting the records themselves moved a few hundred bytes each, many times, 5 % of a
    /// run's instructions; gathering them in order copied them all once more.)
    fn end_all(&mut self) -> (Vec<FlowRecord>, Vec<usize>) {
        self.emit.deferred = Some(Vec::new());
        self.table.finish(&mut self.emit);
        let rest = self.emit.deferred.take().unwrap_or_default();
        let mut keys: Vec<(u64, FlowId, usize)> = rest
            .iter()
            .enumerate()
            .map(|(i, r)| (r.first_frame, r.id, i))
            .collect();
        keys.sort_unstable();
        (rest, keys.into_iter().map(|(_, _, i)| i).collect())
    }

    /// The numbers of the closing summary.
    fn summary(&self) -> Summary {
        Summary {
            counters: *self.table.counters(),
            max_flows: self.table.config().max_flows,
            skipped: self.skipped,
            tls_records: self.emit.tls_records,
            written: self.emit.out.written,
        }
    }
}

/// What the closing summary says: flows, TLS sessions and every cap hit.
#[derive(Clone, Copy, Debug, Default)]
struct Summary {
    counters: FlowCounters,
    max_flows: usize,
    skipped: u64,
    tls_records: u64,
    written: u64,
}

impl Summary {
    /// Adds another shard's numbers (the flow cap is the caller's to set).
    fn add(&mut self, o: &Summary) {
        let (c, d) = (&mut self.counters, &o.counters);
        for (x, y) in [
            (&mut c.packets, d.packets),
            (&mut c.unattributed, d.unattributed),
            (&mut c.created, d.created),
            (&mut c.ended, d.ended),
            (&mut c.closed, d.closed),
            (&mut c.reused, d.reused),
            (&mut c.timed_out, d.timed_out),
            (&mut c.evicted, d.evicted),
            (&mut c.end_of_input, d.end_of_input),
            (&mut c.peak_flows, d.peak_flows),
            (&mut c.reassembly_dropped_bytes, d.reassembly_dropped_bytes),
            (
                &mut c.reassembly_memory_refused,
                d.reassembly_memory_refused,
            ),
            (&mut c.reassembly_gaps, d.reassembly_gaps),
            (&mut c.overlap_conflicts, d.overlap_conflicts),
        ] {
            *x += y;
        }
        self.skipped += o.skipped;
        self.tls_records += o.tls_records;
        self.written += o.written;
    }

    fn write<W: Write>(&self, w: &mut W, mode: Mode) -> io::Result<()> {
        let c = &self.counters;
        if mode == Mode::Tls {
            writeln!(
                w,
                "{} packets skipped (neither TCP nor QUIC: no TLS there)",
                self.skipped
            )?;
        }
        writeln!(
            w,
            "{} flows ({} closed, {} timed out, {} evicted at the {}-flow cap, {} open at end), \
             {} TLS sessions, {} records written",
            c.created,
            c.closed,
            c.timed_out,
            c.evicted,
            self.max_flows,
            c.end_of_input,
            self.tls_records,
            self.written
        )?;
        writeln!(
            w,
            "{} packets unattributed (non-IP or no transport header), {} reassembly gaps, \
             {} overlap conflicts, {} reassembly bytes dropped by caps, {} reassembly memory \
             refusals",
            c.unattributed,
            c.reassembly_gaps,
            c.overlap_conflicts,
            c.reassembly_dropped_bytes,
            c.reassembly_memory_refused
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::records::Row;

    #[test]
    fn seeds_differ_between_states() {
        assert_ne!(random_seed(), random_seed());
    }

    /// Every row type has one cell per column and its table columns exist.
    #[test]
    fn columns_consistent() {
        fn check<R: Row>() {
            for (name, _) in R::TABLE {
                assert!(R::COLUMNS.iter().any(|(c, _)| c == name), "{name}");
            }
        }
        check::<FlowRow<'_>>();
        check::<TlsRow<'_>>();
    }
}
