//! `flows` and `tls` on a capture file with several threads.
//!
//! Every worker reads the whole file and tracks only the connections of its shard, chosen by a
//! fixed mix of the connection's two endpoints, so both directions of a connection, its TLS
//! session and its QUIC state land in the same worker. Another shard's frame is skipped
//! without being decoded when its bytes say whose it is ([`fast_shard`]: plain Ethernet, IPv4
//! or IPv6, TCP or UDP), and decoded first otherwise. Each worker counts the frames of its own
//! shard. Each has its own flow table (the flow cap and the reassembly memory budget are
//! split between them), its own sessions and its own record writer, writing into memory.
//!
//! Tried and measured slower: one reader thread that reads and decodes every frame once and
//! hands each worker copies of its frames (the copies and the third thread cost as much CPU
//! as the second read saved, 0.70-0.83 s against 0.72-0.80 s on the 1M-frame benchmark).
//!
//! Output is deterministic: every [`BATCH`] frames read, each worker hands over what it wrote
//! (possibly nothing), and the calling thread writes those pieces in a fixed order (batch by
//! batch, worker 0 first), whatever the threads' timing. The records are the same as with one
//! thread; their order differs within a batch, and a connection ended by an idle timeout is
//! written when its own shard next sees a packet. At the end of the input the connections
//! still open are written sorted by first frame, as with one thread. Differences under the
//! flow cap: each worker evicts the least recently seen connection of its own shard.
//!
//! Used for plain pcap/pcapng files (not standard input, not gzip: every worker would
//! decompress the whole file) and the text formats (not Parquet).

use std::cell::RefCell;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::Path;
use std::rc::Rc;
use std::sync::mpsc::{sync_channel, SyncSender};

use capture::{FileFormat, PacketSource};
use decode::flow::{Endpoint, FlowConfig, FlowId, FlowKey};
use decode::{DecodedPacket, LinkType};
use indicatif::ProgressBar;

use super::{new_writer, Engine, Mode, Summary, Writer};
use crate::args::{InputArgs, RecordFormat};
use crate::cmd::read;
use crate::output::Tally;
use crate::progress;

/// Frames read per batch: the unit in which the workers' output is interleaved.
const BATCH: u64 = 4096;
/// Batches a worker may be ahead of the writer (bounds the memory held in between).
const AHEAD: usize = 16;
/// Threads by default: the CPUs, at most this many (each worker reads the whole file).
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
    shard_mix(
        (folded(&key.a), key.a.port),
        (folded(&key.b), key.b.port),
        key.protocol.0,
        key.vlan,
        n,
    )
}

/// [`shard_of`] straight from the frame's bytes, without decoding it, for the common case: an
/// untagged Ethernet frame carrying TCP or UDP directly in an unfragmented IPv4 packet or in
/// IPv6 without extension headers. `None` for everything else (decode, then [`shard_of`]).
///
/// Where both give a shard they agree (the same address and port bytes go through the same
/// [`shard_mix`]; tested on every sample capture), so a connection never spans two workers.
/// A frame that `shard_of` would call unattributed (a header cut short, say) may get a shard
/// here: it is then counted by that worker instead of worker 0.
pub(super) fn fast_shard(link: LinkType, frame: &[u8], n: usize) -> Option<usize> {
    if link != LinkType::Ethernet {
        return None;
    }
    let be16 = |b: &[u8], at: usize| -> Option<u16> {
        Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
    };
    let ip = frame.get(14..)?;
    let (src, dst, protocol, l4) = match be16(frame, 12)? {
        0x0800 => {
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
            (addr(12)?, addr(16)?, *ip.get(9)?, ip.get(ihl..)?)
        }
        0x86dd => {
            if ip.first()? >> 4 != 6 {
                return None;
            }
            let addr =
                |at: usize| -> Option<u64> { Some(fold_v6(ip.get(at..at + 16)?.try_into().ok()?)) };
            (addr(8)?, addr(24)?, *ip.get(6)?, ip.get(40..)?)
        }
        _ => return None,
    };
    if protocol != 6 && protocol != 17 {
        return None;
    }
    let (sport, dport) = (be16(l4, 0)?, be16(l4, 2)?);
    Some(shard_mix((src, sport), (dst, dport), protocol, None, n))
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

/// What a worker sends.
enum Msg {
    /// What it wrote during one batch of frames.
    Batch(Vec<u8>),
    /// The end: the connections still open (first frame, id, their record), its numbers, and
    /// the error that stopped it, if any.
    End {
        tail: Vec<(u64, FlowId, Vec<u8>)>,
        summary: Summary,
        tally: Tally,
        error: Option<anyhow::Error>,
    },
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
    std::thread::scope(|scope| {
        let mut rxs = Vec::with_capacity(n);
        for k in 0..n {
            let (tx, rx) = sync_channel(AHEAD);
            let bar = (k == 0).then(|| bar.clone());
            let config = shard_config;
            scope.spawn(move || worker(k, n, mode, config, path, expr, format, &tx, bar));
            rxs.push(rx);
        }
        // One message from each worker per round, in worker order: the same output whatever
        // the timing. Every worker reads the same frames, so all send the same batches.
        let mut done = vec![false; n];
        while done.iter().any(|d| !d) {
            for (k, rx) in rxs.iter().enumerate() {
                if done[k] {
                    continue;
                }
                match rx.recv() {
                    Ok(Msg::Batch(bytes)) => {
                        if write_error.is_none() {
                            if let Err(e) = out.write_raw(&bytes) {
                                write_error = Some(e);
                            }
                        }
                    }
                    Ok(end @ Msg::End { .. }) => {
                        done[k] = true;
                        ends.push((k, end));
                    }
                    // The worker stopped without an end message (it panicked): its records
                    // are lost; the error below says so.
                    Err(_) => done[k] = true,
                }
            }
            if write_error.is_some() {
                // Stop the workers: their next send fails.
                break;
            }
        }
        drop(rxs);
    });
    bar.finish_and_clear();
    if let Some(e) = write_error {
        return Err(write_err(e));
    }
    let mut summary = Summary::default();
    let mut tally = None;
    let mut error = None;
    let mut tail = Vec::new();
    ends.sort_by_key(|(k, _)| *k);
    if ends.len() < n {
        error = Some(anyhow::anyhow!("a worker thread stopped unexpectedly"));
    }
    for (_, end) in ends {
        if let Msg::End {
            tail: t,
            summary: s,
            tally: ta,
            error: e,
        } = end
        {
            summary.add(&s);
            // Every worker reads every frame (`read` is worker 0's) and counts the decoded
            // frames of its own shard.
            match &mut tally {
                None => tally = Some(ta),
                Some(t) => t.add_decoded(&ta),
            }
            if error.is_none() {
                error = e;
            }
            tail.extend(t);
        }
    }
    summary.max_flows = config.max_flows;
    tail.sort_by_key(|(first, id, _)| (*first, *id));
    for (_, _, bytes) in &tail {
        out.write_raw(bytes).map_err(write_err)?;
    }
    out.flush().map_err(write_err)?;
    let mut err = io::stderr().lock();
    if let Some(t) = tally {
        t.write_summary(&mut err, expr.is_some())?;
    }
    summary.write(&mut err, mode)?;
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// One worker: its shard of the connections, its output sent a batch at a time.
#[allow(clippy::too_many_arguments)]
fn worker(
    k: usize,
    n: usize,
    mode: Mode,
    config: FlowConfig,
    path: &Path,
    expr: Option<&str>,
    format: RecordFormat,
    tx: &SyncSender<Msg>,
    bar: Option<ProgressBar>,
) {
    let buf = Rc::new(RefCell::new(Vec::new()));
    let writer = match new_writer(mode, Box::new(Shared(Rc::clone(&buf))), format, None) {
        Ok(mut w) => {
            w.skip_header();
            w
        }
        Err(e) => {
            let _ = tx.send(Msg::End {
                tail: Vec::new(),
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
        Ok(std::mem::take(&mut *buf.borrow_mut()))
    };
    let read = (|| -> anyhow::Result<bool> {
        let mut source = read::open(path)?;
        let mut filter = expr.map(read::compile_filter).transpose()?;
        while let Some(pkt) = source.next_packet()? {
            tally.read += 1;
            if super::super::matches_filter(&mut filter, &pkt)? {
                engine.packet(&pkt, &mut tally)?;
            }
            if tally.read % BATCH == 0 {
                if let Some(bar) = &bar {
                    bar.set_position(source.bytes_read());
                }
                if tx.send(Msg::Batch(take(&mut engine)?)).is_err() {
                    return Ok(false); // the writer stopped
                }
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
    let tail = engine.finish_tail(|engine| take(engine));
    let (tail, error) = match (tail, error) {
        (Ok(t), e) => (t, e),
        (Err(e), None) => (Vec::new(), Some(e)),
        (Err(_), Some(e)) => (Vec::new(), Some(e)),
    };
    let _ = tx.send(Msg::End {
        tail,
        summary: engine.summary(),
        tally,
        error,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks every frame of `source`: wherever the bytes give a shard (for 2, 3 and 4
    /// shards), it is the decoded packet's. Returns how many frames the bytes decided.
    fn check(source: &mut capture::FileSource, name: &str) -> usize {
        let mut decided = 0;
        while let Some(pkt) = source.next_packet().unwrap_or(None) {
            let d = decode::decode(pkt.link, pkt.data);
            for n in 2..=4 {
                if let Some(s) = fast_shard(pkt.link, pkt.data, n) {
                    decided += 1;
                    if FlowKey::from_packet(&d).is_some() {
                        assert_eq!(s, shard_of(&d, n), "{name} frame {} n {n}", pkt.frame);
                    }
                }
            }
        }
        decided
    }

    #[test]
    fn shard_from_bytes_agrees_with_the_decoded_key() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-pcaps");
        let mut decided = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            // The README and the script are not captures.
            if let Ok(mut source) = read::open(&path) {
                decided += check(&mut source, &path.display().to_string());
            }
        }
        // The generated capture: IPv4 and IPv6, TCP, UDP and others, many connections.
        let mut bytes = Vec::new();
        let cfg = samplegen::big::BigConfig {
            packets: 20_000,
            seed: 11,
        };
        samplegen::big::write(&mut bytes, &cfg).unwrap();
        let mut source = capture::FileSource::from_bytes("big", bytes).unwrap();
        decided += check(&mut source, "big");
        assert!(
            decided > 40_000,
            "only {decided} frames decided from their bytes"
        );
    }

    #[test]
    fn shard_from_bytes_leaves_the_rest_to_decoding() {
        // An IPv4 fragment (MF set), a VLAN-tagged frame and ICMP: decode decides.
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
        assert_eq!(fast_shard(LinkType::Ethernet, &icmp, 2), None);
        let mut tagged = v4.clone();
        tagged[12..14].copy_from_slice(&[0x81, 0x00]);
        assert_eq!(fast_shard(LinkType::Ethernet, &tagged, 2), None);
        assert_eq!(fast_shard(LinkType::Raw, &v4[14..], 2), None);
        // Cut inside the ports.
        assert_eq!(fast_shard(LinkType::Ethernet, &v4[..14 + 20 + 3], 2), None);
    }
}
