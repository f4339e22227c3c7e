//! `flows` and `tls` on a capture file with several threads.
//!
//! Every worker reads and decodes the whole file (cheap next to the rest: about a fifth of the
//! single-threaded time) and tracks only the connections of its shard, chosen by a fixed mix
//! of the connection's canonical key, so both directions of a connection, its TLS session and
//! its QUIC state land in the same worker. Each worker has its own flow table (the flow cap
//! and the reassembly memory budget are split between them), its own sessions and its own
//! record writer, writing into memory.
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
use std::path::Path;
use std::rc::Rc;
use std::sync::mpsc::{sync_channel, SyncSender};

use capture::{FileFormat, PacketSource};
use decode::flow::{Endpoint, FlowConfig, FlowId, FlowKey};
use decode::DecodedPacket;
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
    const MIX: u64 = 0x9e37_79b9_7f4a_7c15;
    let fold = |e: &Endpoint| -> u64 {
        let addr = match e.addr {
            std::net::IpAddr::V4(a) => u64::from(u32::from(a)),
            std::net::IpAddr::V6(a) => {
                let v = u128::from(a);
                (v as u64) ^ ((v >> 64) as u64)
            }
        };
        addr ^ (u64::from(e.port) << 40)
    };
    let x = fold(&key.a).wrapping_mul(MIX)
        ^ fold(&key.b)
        ^ (u64::from(key.protocol.0) << 56)
        ^ u64::from(key.vlan.unwrap_or(0));
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
    for (k, end) in ends {
        if let Msg::End {
            tail: t,
            summary: s,
            tally: ta,
            error: e,
        } = end
        {
            summary.add(&s);
            if k == 0 {
                tally = Some(ta);
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
