//! `flows` and `tls` on a capture file with several threads.
//!
//! One reading thread reads the file once, into blocks shared by reference count
//! ([`FileSource::open_shared`]), frames its records, and hands each worker the frames of its
//! shard as (block, offset) pairs, a round of [`BATCH`] frames at a time: no frame is copied.
//! The shard is a fixed mix of the connection's two endpoints, so both directions of a
//! connection, its TLS session and its QUIC state land in the same worker. It is read from the
//! frame's bytes where they are plain enough ([`fast_shard`]: Ethernet with up to three VLAN
//! tags, IPv4 or IPv6, TCP, UDP or ICMP; ARP); any other frame goes to every worker, which
//! decodes it and keeps it only if it is of its shard ([`shard_of`]). Each worker has its own
//! flow table (the flow cap and the reassembly memory budget are split between them), its own
//! sessions and its own record writer, writing into memory, and counts the frames of its
//! shard; the reader counts the frames read.
//!
//! Measured before this design: every worker reading and framing the whole file itself (the
//! page-cache copy and the framing paid once per worker: CPU time 1.18-1.24 s against
//! 1.03-1.07 s with the shared read, medians of 8 runs on the 1M-frame benchmark), and one
//! reader decoding every frame and handing workers copies of their frames (the copies cost
//! what the shared read saved).
//!
//! Output is deterministic: every round, each worker hands over what it wrote (possibly
//! nothing), and the calling thread writes those pieces in a fixed order (round by round,
//! worker 0 first), whatever the threads' timing. The records are the same as with one
//! thread; their order differs within a round, and a connection ended by an idle timeout is
//! written when its own shard next sees a packet. At the end of the input each worker sends
//! the connections still open sorted by first frame, a chunk at a time, and the calling
//! thread merges them, so they come out in the same order as with one thread without every
//! record being held at once. Differences under the flow cap: each worker evicts the least
//! recently seen connection of its own shard.
//!
//! Used for plain pcap/pcapng files (not standard input, not gzip: those are read on one
//! thread) and the text formats (not Parquet).

use std::cell::RefCell;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::Path;
use std::rc::Rc;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

use capture::{FileFormat, FileSource, PacketRef, PacketSource, SharedBlock, Timestamp};
use decode::flow::{Endpoint, FlowConfig, FlowId, FlowKey};
use decode::{DecodedPacket, EtherType, IpProtocol, LinkType};
use indicatif::ProgressBar;

use super::{new_writer, Engine, Mode, Summary, Writer};
use crate::args::{InputArgs, RecordFormat};
use crate::cmd::read;
use crate::output::Tally;
use crate::progress;

/// Frames read per round: the unit in which frames are handed to the workers and their output
/// interleaved. Measured on the 1M-frame benchmark with the same frames in flight: rounds of
/// 1024 frames (four ahead) woke the workers twice as often (7,000 context switches) and
/// were 6 % slower; rounds of 4096 (one ahead) left workers idle more often.
const BATCH: u64 = 2048;
/// Rounds a worker may be ahead of the writer (bounds the memory held in between).
const AHEAD: usize = 16;
/// Rounds the reader may be ahead of a worker (bounds the blocks held in between: about
/// `INPUT_AHEAD + 2` rounds' bytes, some 5 MiB for 560-byte frames; 16 rounds ahead was no
/// faster and took 6 MB more).
const INPUT_AHEAD: usize = 2;
/// Workers by default: the CPUs, at most this many.
const DEFAULT_MAX: usize = 4;
/// Without `--threads`, smaller files are read on one thread (threads would save little, and
/// one thread writes records in the order connections ended).
const DEFAULT_MIN_BYTES: u64 = 32 << 20;

/// The number of threads to use: `--threads`, else the CPUs (at most [`DEFAULT_MAX`]).
fn resolve(threads: Option<usize>) -> usize {
    threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(DEFAULT_MAX)
    })
}

/// How to read a capture with several threads: what [`eligible`] found.
pub(super) struct Plan<'a> {
    path: &'a Path,
    /// Worker threads (2 or more).
    threads: usize,
    /// The file's format, for the first line on standard error.
    format_name: String,
    /// The file's size, for the progress bar.
    total: Option<u64>,
}

/// The plan to read the input with several threads, when it allows it (a plain pcap or pcapng
/// file (a regular file, not a pipe), a text output format, two threads or more, and
/// without `--threads` a file of at least [`DEFAULT_MIN_BYTES`]); `None` for one thread.
pub(super) fn eligible(
    input: &InputArgs,
    format: RecordFormat,
    threads: Option<usize>,
) -> Option<Plan<'_>> {
    let path = input.file.as_deref()?;
    let n = resolve(threads);
    if n < 2 || format == RecordFormat::Parquet || path.as_os_str() == "-" {
        return None;
    }
    // Regular files only: a pipe (`-r <(zcat ...)`) can be read once, and opening it here to
    // look at its format would eat its first bytes. A file that cannot be opened is reported
    // by the one-thread path, as before.
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || (threads.is_none() && meta.len() < DEFAULT_MIN_BYTES) {
        return None;
    }
    let source = read::open(path).ok()?;
    // Unknown future formats: one thread.
    let gzip = match source.format() {
        FileFormat::Pcap { gzip, .. } | FileFormat::PcapNg { gzip } => gzip,
        _ => true,
    };
    (!gzip).then(|| Plan {
        path,
        threads: n,
        format_name: source.format().to_string(),
        total: source.total_bytes(),
    })
}

/// Which of `n` shards a packet's connection belongs to; shard 0 for packets without a
/// connection key (they are only counted). Both directions share the canonical key.
pub(super) fn shard_of(d: &DecodedPacket<'_>, n: usize) -> usize {
    let Some((key, _)) = FlowKey::from_packet(d) else {
        return 0;
    };
    let folded = |e: &Endpoint| match e.addr {
        IpAddr::V4(a) => u64::from(u32::from(a)),
        IpAddr::V6(a) => fold_v6(a.octets()),
    };
    // ICMP "ports" are derived from the type and code: left out, as `fast_shard` does.
    let ports = if is_icmp(key.protocol.0) {
        (0, 0)
    } else {
        (key.a.port, key.b.port)
    };
    shard_mix(
        (folded(&key.a), ports.0),
        (folded(&key.b), ports.1),
        key.protocol.0,
        key.vlan,
        n,
    )
}

/// ICMP or ICMPv6: sharded by addresses alone.
fn is_icmp(protocol: u8) -> bool {
    matches!(IpProtocol(protocol), IpProtocol::ICMP | IpProtocol::ICMPV6)
}

/// [`shard_of`] straight from the frame's bytes, without decoding it, for the common case: an
/// Ethernet frame, untagged or with up to [`decode::MAX_VLANS`] VLAN tags (the outermost id is
/// part of the key), carrying TCP, UDP or ICMP directly in an unfragmented IPv4 packet or
/// TCP, UDP or ICMPv6 in IPv6 without extension headers; and ARP, which has no connection
/// (shard 0). `None` for everything else (decode, then [`shard_of`]).
///
/// Where both give a shard they agree (the same address, port and VLAN bytes go through the
/// same [`shard_mix`]; tested on every sample capture), so a connection never spans two
/// workers. A frame that `shard_of` would call unattributed (a header cut short, say) may get
/// a shard here: it is then counted by that worker instead of worker 0.
pub(super) fn fast_shard(link: LinkType, frame: &[u8], n: usize) -> Option<usize> {
    if link != LinkType::Ethernet {
        return None;
    }
    let be16 = |b: &[u8], at: usize| -> Option<u16> {
        Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
    };
    // The EtherType field, after any VLAN tags.
    let mut at = 12;
    let mut vlan = None;
    let mut ethertype = EtherType(be16(frame, at)?);
    for tags in 1.. {
        if !ethertype.is_vlan() {
            break;
        }
        if tags > decode::MAX_VLANS {
            return None;
        }
        let tci = be16(frame, at + 2)?;
        vlan.get_or_insert(tci & 0x0fff);
        at += 4;
        ethertype = EtherType(be16(frame, at)?);
    }
    let ip = frame.get(at + 2..)?;
    let (src, dst, protocol, l4, v6) = match ethertype {
        EtherType::IPV4 => {
            let ihl = usize::from(ip.first()? & 0x0f) * 4;
            // Version 4, a whole header, not a fragment (MF clear, offset 0).
            if ip.first()? >> 4 != 4 || ihl < 20 || be16(ip, 6)? & 0x3fff != 0 {
                return None;
            }
            let addr = |at: usize| -> Option<u64> {
                Some(u64::from(u32::from_be_bytes(
                    ip.get(at..at + 4)?.try_into().ok()?,
                )))
            };
            (addr(12)?, addr(16)?, *ip.get(9)?, ip.get(ihl..)?, false)
        }
        EtherType::IPV6 => {
            if ip.first()? >> 4 != 6 {
                return None;
            }
            let addr =
                |at: usize| -> Option<u64> { Some(fold_v6(ip.get(at..at + 16)?.try_into().ok()?)) };
            (addr(8)?, addr(24)?, *ip.get(6)?, ip.get(40..)?, true)
        }
        // ARP and RARP: no connection key, so `shard_of` says 0.
        EtherType::ARP | EtherType::RARP => return Some(0),
        _ => return None,
    };
    // ICMP over IPv4, ICMPv6 over IPv6 (any other next header there may be an extension
    // header, after which the key's protocol is another): by addresses alone, as `shard_of`.
    let (sport, dport) = match IpProtocol(protocol) {
        IpProtocol::TCP | IpProtocol::UDP => (be16(l4, 0)?, be16(l4, 2)?),
        IpProtocol::ICMP if !v6 => (0, 0),
        IpProtocol::ICMPV6 if v6 => (0, 0),
        _ => return None,
    };
    Some(shard_mix((src, sport), (dst, dport), protocol, vlan, n))
}

/// An IPv6 address folded to 64 bits.
fn fold_v6(octets: [u8; 16]) -> u64 {
    let v = u128::from_be_bytes(octets);
    (v as u64) ^ ((v >> 64) as u64)
}

/// The shard of a connection from its two endpoints (address folded to 64 bits, port), in
/// either order: each endpoint is mixed alone and the two combined with XOR, so no canonical
/// order is needed.
fn shard_mix(a: (u64, u16), b: (u64, u16), protocol: u8, vlan: Option<u16>, n: usize) -> usize {
    const MIX: u64 = 0x9e37_79b9_7f4a_7c15;
    let end = |(addr, port): (u64, u16)| {
        let x = (addr ^ (u64::from(port) << 40)).wrapping_mul(MIX);
        x ^ (x >> 29)
    };
    let x = end(a) ^ end(b) ^ (u64::from(protocol) << 56) ^ u64::from(vlan.unwrap_or(0));
    let x = x.wrapping_mul(MIX);
    // The high bits are the well-mixed ones.
    ((x >> 32) % n as u64) as usize
}

/// Bytes written by a worker's record writer, taken out a batch at a time.
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A frame handed to a worker: where its bytes are in the round's blocks, and what the file
/// said of it.
#[derive(Clone, Copy)]
struct Routed {
    frame: u64,
    ts: Timestamp,
    caplen: u32,
    origlen: u32,
    link: LinkType,
    interface: u32,
    /// Index of its block in [`Round::blocks`].
    block: u32,
    /// Where its bytes start in that block.
    start: u32,
    /// The reader knew the frame's shard from its bytes (else the worker decodes it to find
    /// out).
    decided: bool,
}

/// The frames of one batch for one worker, with the blocks holding them.
#[derive(Default)]
struct Round {
    blocks: Vec<SharedBlock>,
    frames: Vec<Routed>,
}

impl Round {
    /// Adds a frame whose bytes start at `start` in `block`.
    fn push(&mut self, block: &SharedBlock, start: usize, mut frame: Routed) {
        if !self.blocks.last().is_some_and(|b| b.same(block)) {
            self.blocks.push(block.clone());
        }
        // Blocks are at most 16 MiB and a round holds BATCH frames.
        frame.block = (self.blocks.len() - 1) as u32;
        frame.start = start as u32;
        self.frames.push(frame);
    }
}

/// What a worker sends.
enum Msg {
    /// What it wrote during one round.
    Batch(Vec<u8>),
    /// The records of connections still open at the end of the input, sorted by first frame
    /// then id, a chunk at a time, for the writer to merge with the other workers'.
    Tail(TailChunk),
    /// The end: its numbers, and the error that stopped it, if any.
    End {
        summary: Summary,
        tally: Tally,
        error: Option<anyhow::Error>,
    },
}

/// Records at the end of the input, written one after another in `bytes`.
#[derive(Default)]
struct TailChunk {
    /// Each record's first frame and id (its sort key) and where its bytes end.
    ends: Vec<((u64, FlowId), usize)>,
    bytes: Vec<u8>,
}

/// Records per [`TailChunk`].
const TAIL_CHUNK: usize = 128;

/// Where the writer is with a worker's messages.
enum Stream {
    /// Receiving its rounds.
    Rounds,
    /// Merging its end-of-input records: this chunk, from this record on.
    Tail(TailChunk, usize),
    /// It has ended (or stopped).
    Done,
}

/// Runs `mode` over the plan's file with its workers, writing to `out`.
pub(super) fn run(
    mode: Mode,
    config: FlowConfig,
    plan: &Plan<'_>,
    expr: Option<&str>,
    (mut out, out_path): (Writer, Option<&Path>),
) -> anyhow::Result<()> {
    // Output errors name the output file (`-o`); input errors name the capture.
    let write_err = |e: io::Error| -> anyhow::Error {
        match out_path {
            Some(p) => anyhow::Error::new(e).context(format!("cannot write {}", p.display())),
            None => e.into(),
        }
    };
    let (path, n) = (plan.path, plan.threads);
    let shard_config = FlowConfig {
        max_flows: config.max_flows.div_ceil(n).max(1),
        reassembly_memory_limit: config.reassembly_memory_limit.div_ceil(n),
        ..config
    };
    writeln!(
        io::stderr().lock(),
        "reading from file {}, {}, {n} threads",
        path.display(),
        plan.format_name
    )?;
    let bar = progress::bytes_bar(plan.total);
    let format = out.format();
    super::write_header(&mut out, mode).map_err(write_err)?;
    let mut write_error: Option<io::Error> = None;
    let mut ends = Vec::new();
    let read = std::thread::scope(|scope| {
        let mut rxs = Vec::with_capacity(n);
        let mut inputs = Vec::with_capacity(n);
        let mut returned = Vec::with_capacity(n);
        for k in 0..n {
            let (tx, rx) = sync_channel(AHEAD);
            let (in_tx, in_rx) = sync_channel(INPUT_AHEAD);
            // Rounds go back to the reader for reuse; never more than are in flight.
            let (back_tx, back_rx) = channel();
            let config = shard_config;
            let io = (in_rx, back_tx, tx);
            scope.spawn(move || worker(k, n, mode, config, expr, format, &io));
            rxs.push(rx);
            inputs.push(in_tx);
            returned.push(back_rx);
        }
        let reader = {
            let bar = bar.clone();
            scope.spawn(move || reader(path, &inputs, &returned, &bar))
        };
        // One message from each worker per round, in worker order: the same output whatever
        // the timing. Every worker is sent every round, so all send the same batches. Then
        // the records still open at the end, merged in order of first frame.
        let mut streams: Vec<Stream> = (0..n).map(|_| Stream::Rounds).collect();
        let next = |k: usize, rx: &Receiver<Msg>, ends: &mut Vec<_>| match rx.recv() {
            Ok(Msg::Batch(bytes)) => (Stream::Rounds, Some(bytes)),
            Ok(Msg::Tail(chunk)) => (Stream::Tail(chunk, 0), None),
            Ok(end @ Msg::End { .. }) => {
                ends.push((k, end));
                (Stream::Done, None)
            }
            // The worker stopped without an end message (it panicked): its records are lost;
            // the error below says so.
            Err(_) => (Stream::Done, None),
        };
        'rounds: while streams.iter().any(|s| matches!(s, Stream::Rounds)) {
            for (k, rx) in rxs.iter().enumerate() {
                if !matches!(streams[k], Stream::Rounds) {
                    continue;
                }
                let (stream, bytes) = next(k, rx, &mut ends);
                streams[k] = stream;
                if let Some(e) = bytes.and_then(|b| out.write_raw(&b).err()) {
                    write_error = Some(e);
                    // Stop the workers (their next send fails), and with them the reader.
                    break 'rounds;
                }
            }
        }
        while write_error.is_none() {
            // The worker whose next record comes first.
            let head = |s: &Stream| match s {
                Stream::Tail(c, i) => c.ends.get(*i).map(|(key, _)| *key),
                _ => None,
            };
            let Some(k) = (0..n)
                .filter_map(|k| head(&streams[k]).map(|key| (key, k)))
                .min()
                .map(|(_, k)| k)
            else {
                break;
            };
            if let Stream::Tail(chunk, i) = &mut streams[k] {
                let start = i
                    .checked_sub(1)
                    .and_then(|j| chunk.ends.get(j))
                    .map_or(0, |e| e.1);
                let end = chunk.ends.get(*i).map_or(start, |e| e.1);
                if let Err(e) = out.write_raw(chunk.bytes.get(start..end).unwrap_or_default()) {
                    write_error = Some(e);
                }
                *i += 1;
                if *i == chunk.ends.len() {
                    streams[k] = next(k, &rxs[k], &mut ends).0;
                }
            }
        }
        drop(rxs);
        reader.join().unwrap_or_else(|_| {
            Err((
                0,
                anyhow::anyhow!("the reading thread stopped unexpectedly"),
            ))
        })
    });
    bar.finish_and_clear();
    if let Some(e) = write_error {
        return Err(write_err(e));
    }
    let mut summary = Summary::default();
    let mut error = None;
    let mut tally = Tally::default();
    match read {
        Ok(frames) => tally.read = frames,
        Err((frames, e)) => {
            tally.read = frames;
            error = Some(e);
        }
    }
    ends.sort_by_key(|(k, _)| *k);
    if ends.len() < n && error.is_none() {
        error = Some(anyhow::anyhow!("a worker thread stopped unexpectedly"));
    }
    for (_, end) in ends {
        if let Msg::End {
            summary: s,
            tally: ta,
            error: e,
        } = end
        {
            summary.add(&s);
            // The reader counts the frames read; each worker the decoded frames of its shard.
            tally.add_decoded(&ta);
            if error.is_none() {
                error = e;
            }
        }
    }
    summary.max_flows = config.max_flows;
    out.flush().map_err(write_err)?;
    let mut err = io::stderr().lock();
    tally.write_summary(&mut err, expr.is_some())?;
    summary.write(&mut err, mode)?;
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The reading thread: reads the file once, into shared blocks, and hands each worker the
/// frames of its shard (frames whose shard the bytes do not tell go to every worker), a round
/// of [`BATCH`] frames at a time, every worker getting every round (possibly empty). Returns
/// the frames read, with the error that ended the file if any. Stops early, without error,
/// when a worker has stopped.
fn reader(
    path: &Path,
    workers: &[SyncSender<Round>],
    returned: &[Receiver<Round>],
    bar: &ProgressBar,
) -> Result<u64, (u64, anyhow::Error)> {
    let n = workers.len();
    let mut source = FileSource::open_shared(path).map_err(|e| (0, e.into()))?;
    let mut rounds: Vec<Round> = (0..n).map(|_| Round::default()).collect();
    let mut read = 0;
    // Sends every worker its round; false if one has stopped.
    let send = |rounds: &mut Vec<Round>| {
        rounds
            .iter_mut()
            .zip(workers)
            .zip(returned)
            .all(|((round, tx), back)| {
                // A round the worker is done with, emptied, if one has come back: grown from
                // empty instead, a round's frames were reallocated and copied ten times (10 %
                // of this thread's instructions).
                let next = back.try_recv().unwrap_or_default();
                tx.send(std::mem::replace(round, next)).is_ok()
            })
    };
    loop {
        let (frame, shard) = match source.next_packet() {
            Ok(Some(pkt)) => (
                Routed {
                    frame: pkt.frame,
                    ts: pkt.ts,
                    caplen: pkt.caplen,
                    origlen: pkt.origlen,
                    link: pkt.link,
                    interface: pkt.interface,
                    block: 0,
                    start: 0,
                    decided: false,
                },
                fast_shard(pkt.link, pkt.data, n),
            ),
            Ok(None) => break,
            Err(e) => {
                // The frames before the error are still analysed.
                send(&mut rounds);
                return Err((read, e.into()));
            }
        };
        read += 1;
        let Some((block, start)) = source.frame_block() else {
            let e = anyhow::anyhow!("internal error: frame {} is not in a block", frame.frame);
            return Err((read, e));
        };
        match shard.and_then(|k| rounds.get_mut(k)) {
            Some(round) => round.push(
                block,
                start,
                Routed {
                    decided: true,
                    ..frame
                },
            ),
            None => {
                for round in &mut rounds {
                    round.push(block, start, frame);
                }
            }
        }
        if read % BATCH == 0 {
            bar.set_position(source.bytes_read());
            if !send(&mut rounds) {
                return Ok(read); // a worker stopped: the writer did, or the worker failed
            }
        }
    }
    send(&mut rounds);
    Ok(read)
}

/// One worker: its shard of the connections, its output sent a round at a time.
#[allow(clippy::too_many_arguments)]
fn worker(
    k: usize,
    n: usize,
    mode: Mode,
    config: FlowConfig,
    expr: Option<&str>,
    format: RecordFormat,
    (input, back, tx): &(Receiver<Round>, Sender<Round>, SyncSender<Msg>),
) {
    let buf = Rc::new(RefCell::new(Vec::new()));
    let writer = match new_writer(mode, Box::new(Shared(Rc::clone(&buf))), format, None) {
        Ok(mut w) => {
            w.skip_header();
            w
        }
        Err(e) => {
            let _ = tx.send(Msg::End {
                summary: Summary::default(),
                tally: Tally::default(),
                error: Some(e.into()),
            });
            return;
        }
    };
    let mut engine = Engine::new(mode, config, writer);
    engine.shard = Some((k, n));
    let mut tally = Tally::default();
    let take = |engine: &mut Engine| -> anyhow::Result<Vec<u8>> {
        engine.emit.out.flush_stream()?;
        // The next round's output is probably about as long as this one's.
        let mut b = buf.borrow_mut();
        let next = Vec::with_capacity(b.len());
        Ok(std::mem::replace(&mut *b, next))
    };
    let read = (|| -> anyhow::Result<bool> {
        let mut filter = expr.map(read::compile_filter).transpose()?;
        // Until the reader is done (or stopped).
        while let Ok(round) = input.recv() {
            for f in &round.frames {
                let start = f.start as usize;
                let data = round
                    .blocks
                    .get(f.block as usize)
                    .and_then(|b| b.bytes().get(start..start + f.caplen as usize))
                    .ok_or_else(|| anyhow::anyhow!("internal error: frame {} lost", f.frame))?;
                let pkt = PacketRef {
                    frame: f.frame,
                    ts: f.ts,
                    caplen: f.caplen,
                    origlen: f.origlen,
                    link: f.link,
                    interface: f.interface,
                    data,
                };
                if super::super::matches_filter(&mut filter, &pkt)? {
                    if f.decided {
                        engine.own_packet(&pkt, &mut tally)?;
                    } else {
                        engine.packet(&pkt, &mut tally)?;
                    }
                }
            }
            // Let go of the blocks before waiting on the writer: the reader reuses them, and
            // the round's vectors (a reader that has stopped does not need them).
            let mut round = round;
            round.blocks.clear();
            round.frames.clear();
            let _ = back.send(round);
            if tx.send(Msg::Batch(take(&mut engine)?)).is_err() {
                return Ok(false); // the writer stopped
            }
        }
        Ok(true)
    })();
    // Everything seen before an error is still written: the last batch, then the connections
    // still open.
    let error = match read {
        Ok(false) => return,
        Ok(true) => None,
        Err(e) => Some(e),
    };
    let last = take(&mut engine).unwrap_or_default();
    if tx.send(Msg::Batch(last)).is_err() {
        return;
    }
    let tail = send_tail(&mut engine, &buf, tx);
    let error = match (tail, error) {
        (Ok(false), _) => return, // the writer stopped
        (Ok(true), e) | (Err(_), e @ Some(_)) => e,
        (Err(e), None) => Some(e),
    };
    let _ = tx.send(Msg::End {
        summary: engine.summary(),
        tally,
        error,
    });
}

/// Ends the worker's connections still open and sends their records, sorted by first frame
/// then id, a [`TailChunk`] at a time; `buf` is what its writer writes into. False if the
/// writer has stopped.
fn send_tail(
    engine: &mut Engine,
    buf: &RefCell<Vec<u8>>,
    tx: &SyncSender<Msg>,
) -> anyhow::Result<bool> {
    let (rest, order) = engine.end_all();
    for part in order.chunks(TAIL_CHUNK) {
        let mut chunk = TailChunk::default();
        buf.borrow_mut().clear();
        for r in part.iter().filter_map(|&i| rest.get(i)) {
            engine.emit.emit(r);
            engine.emit.out.flush_stream()?;
            let end = buf.borrow().len();
            // Records that write nothing (`tls` for a connection without TLS) are left out.
            if chunk.ends.last().map_or(0, |e| e.1) < end {
                chunk.ends.push(((r.first_frame, r.id), end));
            }
        }
        if let Some(e) = engine.emit.error.take() {
            return Err(e.into());
        }
        chunk.bytes = std::mem::take(&mut *buf.borrow_mut());
        if !chunk.ends.is_empty() && tx.send(Msg::Tail(chunk)).is_err() {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks every frame of `source`: wherever the bytes give a shard (for 2, 3 and 4
    /// shards), it is the decoded packet's. Returns how many frames the bytes decided, and how
    /// many of those had VLAN tags.
    fn check(source: &mut capture::FileSource, name: &str) -> (usize, usize) {
        let (mut decided, mut tagged) = (0, 0);
        while let Some(pkt) = source.next_packet().unwrap_or(None) {
            let d = decode::decode(pkt.link, pkt.data);
            let arp = matches!(d.net, Some(decode::Net::Arp(_)));
            for n in 2..=4 {
                if let Some(s) = fast_shard(pkt.link, pkt.data, n) {
                    decided += 1;
                    if FlowKey::from_packet(&d).is_some() || arp {
                        assert_eq!(s, shard_of(&d, n), "{name} frame {} n {n}", pkt.frame);
                    }
                    if !d.vlans.is_empty() {
                        tagged += 1;
                    }
                }
            }
        }
        (decided, tagged)
    }

    #[test]
    fn shard_from_bytes_agrees_with_the_decoded_key() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-pcaps");
        let (mut decided, mut tagged) = (0, 0);
        let mut add = |(d, t)| {
            decided += d;
            tagged += t;
        };
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            // The README and the script are not captures.
            if let Ok(mut source) = read::open(&path) {
                add(check(&mut source, &path.display().to_string()));
            }
        }
        // The generated capture: IPv4 and IPv6, TCP, UDP and others, VLAN tags, many
        // connections.
        let mut bytes = Vec::new();
        let cfg = samplegen::big::BigConfig {
            packets: 20_000,
            seed: 11,
        };
        samplegen::big::write(&mut bytes, &cfg).unwrap();
        let mut source = capture::FileSource::from_bytes("big", bytes).unwrap();
        add(check(&mut source, "big"));
        assert!(
            decided > 50_000 && tagged > 5_000,
            "only {decided} frames decided from their bytes, {tagged} with VLAN tags"
        );
    }

    #[test]
    fn shard_from_bytes_leaves_the_rest_to_decoding() {
        // An IPv4 fragment (MF set), ICMPv6 over IPv4, IPv6 extension headers, and more VLAN
        // tags than decode takes: decode decides. ICMP over IPv4: the bytes do.
        let mut v4 = vec![0u8; 14 + 20 + 8];
        v4[12..14].copy_from_slice(&[0x08, 0x00]);
        v4[14] = 0x45;
        v4[23] = 6;
        assert!(fast_shard(LinkType::Ethernet, &v4, 2).is_some());
        let mut frag = v4.clone();
        frag[20] = 0x20;
        assert_eq!(fast_shard(LinkType::Ethernet, &frag, 2), None);
        let mut icmp = v4.clone();
        icmp[23] = 1;
        assert!(fast_shard(LinkType::Ethernet, &icmp, 2).is_some());
        icmp[23] = 58;
        assert_eq!(fast_shard(LinkType::Ethernet, &icmp, 2), None);
        let mut v6 = vec![0u8; 14 + 40 + 8];
        v6[12..14].copy_from_slice(&[0x86, 0xdd]);
        v6[14] = 0x60;
        for (next, decided) in [
            (6, true),
            (17, true),
            (58, true),
            (1, false),
            (0, false),
            (44, false),
        ] {
            v6[14 + 6] = next;
            assert_eq!(
                fast_shard(LinkType::Ethernet, &v6, 2).is_some(),
                decided,
                "{next}"
            );
        }
        // Four VLAN tags: more than decode takes.
        let mut tagged = v4[..12].to_vec();
        for _ in 0..4 {
            tagged.extend_from_slice(&[0x81, 0x00, 0x00, 0x05]);
        }
        tagged.extend_from_slice(&v4[12..]);
        assert_eq!(fast_shard(LinkType::Ethernet, &tagged, 2), None);
        // One tag: decided, and its id is part of the key.
        let mut one = v4[..12].to_vec();
        one.extend_from_slice(&[0x81, 0x00, 0x00, 0x05]);
        one.extend_from_slice(&v4[12..]);
        let shards: Vec<Option<usize>> = (0..64u8)
            .map(|vid| {
                one[15] = vid;
                fast_shard(LinkType::Ethernet, &one, 4)
            })
            .collect();
        assert!(shards.iter().all(Option::is_some));
        assert!(shards.windows(2).any(|w| w[0] != w[1]), "{shards:?}");
        assert_eq!(fast_shard(LinkType::Raw, &v4[14..], 2), None);
        // Cut inside the ports.
        assert_eq!(fast_shard(LinkType::Ethernet, &v4[..14 + 20 + 3], 2), None);
    }
}
