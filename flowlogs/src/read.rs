//! Readers for every delivery shape: S3 text files (plain or gzip, header line naming the
//! fields), S3 export trees (plain and Hive-compatible prefixes; account and region from the
//! path), CloudWatch Logs JSON (subscription envelopes and `aws logs filter-log-events`
//! output) and, with the `polars` feature, Parquet as AWS delivers it.
//!
//! Records are handed to a [`RecordSink`] one by one and never collected, so memory does not
//! grow with the input. A bad line is reported to the sink with file, line and field, counted,
//! and skipped; with [`ReadOptions::strict`] the first one is an error.

use std::cell::Cell;
use std::error::Error;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::error::{BadLine, ParseErrorKind, ParseRecordError, ReadError};
use crate::field::Format;
use crate::parse::{LineKind, LineParser};
use crate::record::{FlowRecord, LogStatus};

/// An error from a [`RecordSink`], passed through as [`ReadError::Sink`].
pub type SinkError = Box<dyn Error + Send + Sync + 'static>;

/// Receives what a reader finds.
pub trait RecordSink {
    /// A file starts, with the format its records use.
    ///
    /// # Errors
    ///
    /// Whatever the sink fails with; reading stops.
    fn start_file(&mut self, _path: &Path, _format: &Format) -> Result<(), SinkError> {
        Ok(())
    }

    /// One VPC record (any log-status; transit-gateway records are only counted).
    ///
    /// # Errors
    ///
    /// Whatever the sink fails with; reading stops.
    fn record(&mut self, rec: &FlowRecord<'_>) -> Result<(), SinkError>;

    /// A bad line, already counted; reading goes on (unless strict).
    fn bad_line(&mut self, _bad: &BadLine) {}

    /// `bytes` more bytes of input (as stored, compressed or not) were read.
    fn progress(&mut self, _bytes: u64) {}
}

/// How to read.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// The format of lines without a header (CloudWatch Logs, headerless files). A file's own
    /// header line always wins for that file.
    pub log_format: Option<Format>,
    /// The first bad line is an error.
    pub strict: bool,
}

/// What was read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Files read.
    pub files: u64,
    /// VPC records parsed (all log-statuses).
    pub records: u64,
    /// Records with log-status NODATA.
    pub nodata: u64,
    /// Records with log-status SKIPDATA.
    pub skipdata: u64,
    /// Transit-gateway (version 6) records, recognised and kept apart.
    pub transit_gateway: u64,
    /// Bad lines (skipped).
    pub bad_lines: u64,
    /// Input bytes (as stored).
    pub bytes: u64,
}

impl ReadStats {
    /// Adds another reader's counts.
    pub fn merge(&mut self, other: &ReadStats) {
        self.files += other.files;
        self.records += other.records;
        self.nodata += other.nodata;
        self.skipdata += other.skipdata;
        self.transit_gateway += other.transit_gateway;
        self.bad_lines += other.bad_lines;
        self.bytes += other.bytes;
    }

    pub(crate) fn count(&mut self, rec: &FlowRecord<'_>) {
        self.records += 1;
        match rec.log_status {
            Some(LogStatus::NoData) => self.nodata += 1,
            Some(LogStatus::SkipData) => self.skipdata += 1,
            _ => {}
        }
    }
}

/// What an S3 key says about the records in the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct S3PathInfo {
    /// From `AWSLogs/{account}/` or `aws-account-id={account}/`.
    pub account_id: Option<String>,
    /// From `vpcflowlogs/{region}/` or `aws-region={region}/`.
    pub region: Option<String>,
    /// `yyyy`, `mm`, `dd` from the date folders (plain or `year=`/`month=`/`day=`).
    pub date: Option<(u16, u8, u8)>,
    /// `HH` from per-hour partitions.
    pub hour: Option<u8>,
    /// `fl-...` from the file name.
    pub flow_log_id: Option<String>,
}

impl S3PathInfo {
    /// Parses the S3 layout out of a local path:
    /// `.../AWSLogs/{account}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}/[{HH}/]file` or
    /// `.../AWSLogs/aws-account-id={a}/aws-service=vpcflowlogs/aws-region={r}/year={y}/month={m}/day={d}/[hour={h}/]file`.
    pub fn from_path(path: &Path) -> S3PathInfo {
        let parts: Vec<&str> = path.iter().filter_map(|p| p.to_str()).collect();
        let mut info = S3PathInfo::default();
        let (mut y, mut m, mut d) = (None, None, None);
        for (i, part) in parts.iter().enumerate() {
            if let Some((key, value)) = part.split_once('=') {
                match key {
                    "aws-account-id" => info.account_id = Some(value.to_owned()),
                    "aws-region" => info.region = Some(value.to_owned()),
                    "year" => y = value.parse().ok(),
                    "month" => m = value.parse().ok(),
                    "day" => d = value.parse().ok(),
                    "hour" => info.hour = value.parse().ok(),
                    _ => {}
                }
            } else if *part == "AWSLogs" && parts.get(i + 2) == Some(&"vpcflowlogs") {
                info.account_id = parts.get(i + 1).map(|s| (*s).to_owned());
                info.region = parts.get(i + 3).map(|s| (*s).to_owned());
                y = parts.get(i + 4).and_then(|s| s.parse().ok());
                m = parts.get(i + 5).and_then(|s| s.parse().ok());
                d = parts.get(i + 6).and_then(|s| s.parse().ok());
                // The hour folder exists only if there is a folder between the day and the file.
                if i + 8 < parts.len() {
                    info.hour = parts.get(i + 7).and_then(|s| s.parse().ok());
                }
            }
        }
        if let (Some(y), Some(m), Some(d)) = (y, m, d) {
            info.date = Some((y, m, d));
        }
        if let Some(name) = parts.last() {
            info.flow_log_id = name
                .split('_')
                .find(|p| p.starts_with("fl-"))
                .map(str::to_owned);
        }
        info
    }
}

/// Expands directories into the files under them (recursively, sorted by path); hidden files
/// and names starting with `_` (`_SUCCESS`) are skipped. Files given by name are kept as given.
///
/// # Errors
///
/// [`ReadError::Io`] when a directory cannot be listed.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ReadError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out)?;
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ReadError> {
    let io_err = |source| ReadError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io_err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io_err)?;
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.') || n.starts_with('_'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// The shape of one input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// Space-separated lines, optional header (plain or gzip).
    Text,
    /// CloudWatch Logs JSON (plain or gzip).
    CloudWatchJson,
    /// Parquet.
    Parquet,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const PARQUET_MAGIC: &[u8; 4] = b"PAR1";

/// Counts the bytes read through it (for progress and statistics).
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Reads every file under `paths` (directories walked), handing records to `sink`.
///
/// # Errors
///
/// [`ReadError`] for a file that cannot be opened or has no usable format, for a bad line in
/// strict mode, or when the sink fails. Bad lines otherwise only count.
pub fn read_paths(
    paths: &[PathBuf],
    opts: &ReadOptions,
    sink: &mut dyn RecordSink,
) -> Result<ReadStats, ReadError> {
    let mut stats = ReadStats::default();
    for path in expand_paths(paths)? {
        read_file(&path, opts, sink, &mut stats)?;
    }
    Ok(stats)
}

/// Reads one file of any supported shape.
///
/// # Errors
///
/// As [`read_paths`].
pub fn read_file(
    path: &Path,
    opts: &ReadOptions,
    sink: &mut dyn RecordSink,
    stats: &mut ReadStats,
) -> Result<(), ReadError> {
    let io_err = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = BufReader::with_capacity(1 << 18, File::open(path).map_err(io_err)?);
    let head = file.fill_buf().map_err(io_err)?;
    stats.files += 1;
    if head.starts_with(PARQUET_MAGIC) {
        drop(file);
        return read_parquet(path, opts, sink, stats);
    }
    let gz = head.starts_with(&GZIP_MAGIC);
    let counter = Rc::new(Cell::new(0));
    let counting = Counting {
        inner: file,
        count: Rc::clone(&counter),
    };
    let decoded: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(counting))
    } else {
        Box::new(counting)
    };
    let mut reader = BufReader::with_capacity(1 << 18, decoded);
    let first = reader.fill_buf().map_err(io_err_gz(path))?;
    let kind = match first.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{' | b'[') => InputKind::CloudWatchJson,
        _ => InputKind::Text,
    };
    let mut progress = Progress {
        counter: Some(counter),
        reported: 0,
    };
    match kind {
        InputKind::CloudWatchJson => read_cloudwatch_json(path, reader, opts, sink, stats)?,
        _ => read_text(path, reader, opts, sink, stats, &mut progress, gz)?,
    }
    progress.report(sink, stats);
    Ok(())
}

fn io_err_gz(path: &Path) -> impl Fn(io::Error) -> ReadError + '_ {
    move |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn bad(
    path: &Path,
    error: ParseRecordError,
    opts: &ReadOptions,
    sink: &mut dyn RecordSink,
    stats: &mut ReadStats,
) -> Result<(), ReadError> {
    let bad = BadLine {
        path: path.to_path_buf(),
        error,
    };
    if opts.strict {
        return Err(ReadError::Strict(bad));
    }
    stats.bad_lines += 1;
    sink.bad_line(&bad);
    Ok(())
}

/// Applies the S3 path's account and region to records whose format lacks them.
fn fill_from_path<'a>(rec: &mut FlowRecord<'a>, info: &'a S3PathInfo) {
    if rec.account_id.is_none() {
        rec.account_id = info.account_id.as_deref();
    }
    if rec.region.is_none() {
        rec.region = info.region.as_deref();
    }
}

/// Handles one parsed line (`rec` holds the record when `kind` says so): counts it and passes
/// records on.
fn deliver<'a, S: RecordSink + ?Sized>(
    kind: LineKind,
    rec: &mut FlowRecord<'a>,
    info: &'a S3PathInfo,
    sink: &mut S,
    stats: &mut ReadStats,
) -> Result<(), ReadError> {
    match kind {
        LineKind::Record => {
            fill_from_path(rec, info);
            stats.count(rec);
            sink.record(rec).map_err(ReadError::Sink)
        }
        LineKind::TransitGateway => {
            stats.transit_gateway += 1;
            Ok(())
        }
        LineKind::Blank => Ok(()),
    }
}

/// Reports stored bytes read to the sink.
struct Progress {
    counter: Option<Rc<Cell<u64>>>,
    reported: u64,
}

impl Progress {
    fn report(&mut self, sink: &mut dyn RecordSink, stats: &mut ReadStats) {
        if let Some(counter) = &self.counter {
            let now = counter.get();
            if now > self.reported {
                sink.progress(now - self.reported);
                stats.bytes += now - self.reported;
                self.reported = now;
            }
        }
    }
}

/// Reads space-separated lines with an optional header line.
fn read_text(
    path: &Path,
    mut reader: impl BufRead,
    opts: &ReadOptions,
    sink: &mut dyn RecordSink,
    stats: &mut ReadStats,
    progress: &mut Progress,
    gz: bool,
) -> Result<(), ReadError> {
    let info = S3PathInfo::from_path(path);
    let mut buf = Vec::with_capacity(1024);
    let mut line_no: u64 = 0;
    let mut parser: Option<LineParser> = None;
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                let kind = if gz || e.kind() == io::ErrorKind::UnexpectedEof {
                    ParseErrorKind::Truncated
                } else {
                    return Err(ReadError::Io {
                        path: path.to_path_buf(),
                        source: e,
                    });
                };
                let err = ParseRecordError {
                    line: line_no + 1,
                    field: None,
                    kind,
                    value: Some(e.to_string()),
                };
                bad(path, err, opts, sink, stats)?;
                break;
            }
        }
        line_no += 1;
        if line_no & 8191 == 0 {
            progress.report(sink, stats);
        }
        let Ok(text) = std::str::from_utf8(&buf) else {
            let err = ParseRecordError {
                line: line_no,
                field: None,
                kind: ParseErrorKind::NotUtf8,
                value: None,
            };
            bad(path, err, opts, sink, stats)?;
            continue;
        };
        let text = text.trim_end_matches(['\n', '\r']);
        let p = match &parser {
            Some(p) => p,
            None => {
                if text.trim().is_empty() {
                    continue;
                }
                let format = if Format::is_header(text) {
                    let f = Format::from_header(text).map_err(|source| ReadError::Format {
                        path: path.to_path_buf(),
                        source,
                    })?;
                    sink.start_file(path, &f).map_err(ReadError::Sink)?;
                    parser = Some(LineParser::new(f));
                    continue;
                } else if let Some(f) = &opts.log_format {
                    f.clone()
                } else {
                    return Err(ReadError::NoFormat {
                        path: path.to_path_buf(),
                    });
                };
                sink.start_file(path, &format).map_err(ReadError::Sink)?;
                parser.insert(LineParser::new(format))
            }
        };
        let mut rec = FlowRecord::default();
        match p.parse_line_into(text, line_no, &mut rec) {
            Ok(kind) => deliver(kind, &mut rec, &info, sink, stats)?,
            Err(err) => {
                // A second header inside the file (concatenated files) switches the format.
                if Format::is_header(text) {
                    if let Ok(f) = Format::from_header(text) {
                        sink.start_file(path, &f).map_err(ReadError::Sink)?;
                        parser = Some(LineParser::new(f));
                        continue;
                    }
                }
                bad(path, err, opts, sink, stats)?;
            }
        }
    }
    Ok(())
}

/// Reads CloudWatch Logs JSON: subscription envelopes (`logEvents`), `filter-log-events`
/// output (`events`), or an array of either; several JSON documents may follow each other.
fn read_cloudwatch_json(
    path: &Path,
    mut reader: impl Read,
    opts: &ReadOptions,
    sink: &mut dyn RecordSink,
    stats: &mut ReadStats,
) -> Result<(), ReadError> {
    let mut text = String::new();
    reader
        .read_to_string(&mut text)
        .map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let format = opts.log_format.clone().ok_or_else(|| ReadError::NoFormat {
        path: path.to_path_buf(),
    })?;
    sink.start_file(path, &format).map_err(ReadError::Sink)?;
    let parser = LineParser::new(format);
    let info = S3PathInfo::from_path(path);
    let json_err = |message: String| ReadError::Json {
        path: path.to_path_buf(),
        message,
    };
    let mut event_no: u64 = 0;
    let mut docs = Vec::new();
    for doc in serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>() {
        let doc = doc.map_err(|e| json_err(format!("not JSON: {e}")))?;
        match doc {
            serde_json::Value::Array(items) => docs.extend(items),
            other => docs.push(other),
        }
    }
    for doc in &docs {
        if doc.get("messageType").and_then(|v| v.as_str()) == Some("CONTROL_MESSAGE") {
            continue;
        }
        let events = doc
            .get("logEvents")
            .or_else(|| doc.get("events"))
            .and_then(|v| v.as_array());
        let single;
        let events: &[serde_json::Value] = match events {
            Some(events) => events,
            None if doc.get("message").is_some() => {
                single = [doc.clone()];
                &single
            }
            None => return Err(json_err(
                "neither a subscription envelope (logEvents) nor filter-log-events output (events)"
                    .to_owned(),
            )),
        };
        for event in events {
            event_no += 1;
            let Some(message) = event.get("message").and_then(|v| v.as_str()) else {
                let err = ParseRecordError {
                    line: event_no,
                    field: None,
                    kind: ParseErrorKind::BadValue,
                    value: Some("event without a message".to_owned()),
                };
                bad(path, err, opts, sink, stats)?;
                continue;
            };
            let mut rec = FlowRecord::default();
            match parser.parse_line_into(message, event_no, &mut rec) {
                Ok(kind) => deliver(kind, &mut rec, &info, sink, stats)?,
                Err(err) => bad(path, err, opts, sink, stats)?,
            }
        }
    }
    Ok(())
}

#[cfg(feature = "polars")]
fn read_parquet(
    path: &Path,
    opts: &ReadOptions,
    sink: &mut dyn RecordSink,
    stats: &mut ReadStats,
) -> Result<(), ReadError> {
    crate::table::read_parquet(path, opts, sink, stats)
}

#[cfg(not(feature = "polars"))]
fn read_parquet(
    path: &Path,
    _opts: &ReadOptions,
    _sink: &mut dyn RecordSink,
    _stats: &mut ReadStats,
) -> Result<(), ReadError> {
    Err(ReadError::Parquet {
        path: path.to_path_buf(),
        message: "Parquet input needs the `polars` feature".to_owned(),
    })
}

/// Parses a whole in-memory text (header line optional) with the same rules as a file; used by
/// tests and the fuzz target.
///
/// # Errors
///
/// As [`read_paths`].
pub fn read_str(
    text: &str,
    opts: &ReadOptions,
    sink: &mut dyn RecordSink,
) -> Result<ReadStats, ReadError> {
    let mut stats = ReadStats::default();
    let mut progress = Progress {
        counter: None,
        reported: 0,
    };
    read_text(
        Path::new("<memory>"),
        text.as_bytes(),
        opts,
        sink,
        &mut stats,
        &mut progress,
        false,
    )?;
    Ok(stats)
}

/// Bytes per block handed to a worker by [`read_paths_parallel`].
const BLOCK: usize = 4 << 20;

/// One block of whole lines of a text file.
struct Block {
    bytes: Vec<u8>,
    first_line: u64,
    parser: std::sync::Arc<LineParser>,
    path: std::sync::Arc<Path>,
    info: std::sync::Arc<S3PathInfo>,
}

/// Like [`read_paths`], with the parsing of text files spread over `threads` worker threads,
/// each feeding its own sink from `make_sink` (records arrive in no particular order across
/// sinks; use it for aggregations, and merge the sinks afterwards). The calling thread reads
/// and decompresses, cuts the text into blocks of whole lines and handles JSON and Parquet
/// files itself, into the first sink of the returned list. `progress` gets stored bytes read.
///
/// With [`ReadOptions::strict`], or `threads` below 2, this is [`read_paths`] into one sink.
/// A header line in the middle of a file (concatenated files) is skipped when it repeats the
/// file's format and is a bad line otherwise.
///
/// # Errors
///
/// As [`read_paths`].
pub fn read_paths_parallel<S, F>(
    paths: &[PathBuf],
    opts: &ReadOptions,
    threads: usize,
    make_sink: F,
    progress: &mut dyn FnMut(u64),
) -> Result<(ReadStats, Vec<S>), ReadError>
where
    S: RecordSink + Send,
    F: Fn() -> S + Sync,
{
    let files = expand_paths(paths)?;
    let mut main_sink = make_sink();
    if opts.strict || threads < 2 {
        let mut wrapped = WithProgress {
            sink: &mut main_sink,
            progress,
        };
        let mut stats = ReadStats::default();
        for path in &files {
            read_file(path, opts, &mut wrapped, &mut stats)?;
        }
        return Ok((stats, vec![main_sink]));
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<Block>(threads * 2);
    let rx = std::sync::Mutex::new(rx);
    let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let rx = &rx;
                let back_tx = back_tx.clone();
                let make_sink = &make_sink;
                scope.spawn(move || worker(rx, back_tx, make_sink()))
            })
            .collect();
        drop(back_tx);
        let mut stats = ReadStats::default();
        let mut result = Ok(());
        for path in &files {
            result = feed_file(
                path,
                opts,
                &tx,
                &back_rx,
                &mut main_sink,
                &mut stats,
                progress,
            );
            if result.is_err() {
                break;
            }
        }
        drop(tx);
        let mut sinks = vec![main_sink];
        for w in workers {
            match w.join() {
                Ok(Ok((sink, s))) => {
                    stats.merge(&s);
                    sinks.push(sink);
                }
                Ok(Err(e)) => {
                    if result.is_ok() {
                        result = Err(e);
                    }
                }
                Err(_) => {
                    if result.is_ok() {
                        result = Err(ReadError::Sink("a worker thread panicked".into()));
                    }
                }
            }
        }
        result.map(|()| (stats, sinks))
    })
}

struct WithProgress<'s, S: RecordSink> {
    sink: &'s mut S,
    progress: &'s mut dyn FnMut(u64),
}

impl<S: RecordSink> RecordSink for WithProgress<'_, S> {
    fn start_file(&mut self, path: &Path, format: &Format) -> Result<(), SinkError> {
        self.sink.start_file(path, format)
    }
    fn record(&mut self, rec: &FlowRecord<'_>) -> Result<(), SinkError> {
        self.sink.record(rec)
    }
    fn bad_line(&mut self, bad: &BadLine) {
        self.sink.bad_line(bad);
    }
    fn progress(&mut self, bytes: u64) {
        (self.progress)(bytes);
    }
}

fn worker<S: RecordSink>(
    rx: &std::sync::Mutex<std::sync::mpsc::Receiver<Block>>,
    back: std::sync::mpsc::Sender<Vec<u8>>,
    mut sink: S,
) -> Result<(S, ReadStats), ReadError> {
    let mut stats = ReadStats::default();
    let opts = ReadOptions::default();
    loop {
        let block = {
            let Ok(guard) = rx.lock() else { break };
            match guard.recv() {
                Ok(b) => b,
                Err(_) => break,
            }
        };
        // One UTF-8 check for the whole block (the common case); line by line only when it
        // fails, to name the bad lines.
        {
            let mut rec = FlowRecord::default();
            if let Ok(text) = std::str::from_utf8(&block.bytes) {
                let mut start = 0;
                let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain([text.len()]);
                for (this, nl) in (block.first_line..).zip(ends) {
                    // `\n` is ASCII: both ends are character boundaries.
                    let line = text.get(start..nl).unwrap_or_default();
                    parse_block_line(&block, line, &mut rec, this, &opts, &mut sink, &mut stats)?;
                    start = nl + 1;
                }
            } else {
                for (this, raw) in (block.first_line..).zip(block.bytes.split(|&b| b == b'\n')) {
                    let Ok(line) = std::str::from_utf8(raw) else {
                        let err = ParseRecordError {
                            line: this,
                            field: None,
                            kind: ParseErrorKind::NotUtf8,
                            value: None,
                        };
                        bad(&block.path, err, &opts, &mut sink, &mut stats)?;
                        continue;
                    };
                    parse_block_line(&block, line, &mut rec, this, &opts, &mut sink, &mut stats)?;
                }
            }
        }
        // Sent back with its length: the reader overwrites it without zeroing it again.
        let _ = back.send(block.bytes);
    }
    Ok((sink, stats))
}

/// One line of a block, without its `\n`.
fn parse_block_line<'b, S: RecordSink>(
    block: &'b Block,
    line: &'b str,
    rec: &mut FlowRecord<'b>,
    line_no: u64,
    opts: &ReadOptions,
    sink: &mut S,
    stats: &mut ReadStats,
) -> Result<(), ReadError> {
    let text = line.strip_suffix('\r').unwrap_or(line);
    match block.parser.parse_line_into(text, line_no, rec) {
        Ok(kind) => deliver(kind, rec, &block.info, sink, stats),
        Err(err) => {
            if Format::from_header(text).is_ok_and(|f| &f == block.parser.format()) {
                return Ok(());
            }
            bad(&block.path, err, opts, sink, stats)
        }
    }
}

/// Whether a gzip file's decompressed text starts with `{` or `[` (CloudWatch JSON).
fn gz_starts_json(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let mut head = [0u8; 256];
    let mut dec = flate2::read::MultiGzDecoder::new(file);
    let n = dec.read(&mut head).unwrap_or(0);
    matches!(
        head[..n].iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

/// Reads one file on the calling thread and sends its text in blocks of whole lines.
fn feed_file<S: RecordSink>(
    path: &Path,
    opts: &ReadOptions,
    tx: &std::sync::mpsc::SyncSender<Block>,
    back: &std::sync::mpsc::Receiver<Vec<u8>>,
    main_sink: &mut S,
    stats: &mut ReadStats,
    progress: &mut dyn FnMut(u64),
) -> Result<(), ReadError> {
    let io_err = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = BufReader::with_capacity(1 << 16, File::open(path).map_err(io_err)?);
    let head = file.fill_buf().map_err(io_err)?;
    let gz = head.starts_with(&GZIP_MAGIC);
    let looks_json = if gz {
        gz_starts_json(path)
    } else {
        matches!(
            head.iter().find(|b| !b.is_ascii_whitespace()),
            Some(b'{' | b'[')
        )
    };
    if head.starts_with(PARQUET_MAGIC) || looks_json {
        drop(file);
        let mut wrapped = WithProgress {
            sink: main_sink,
            progress,
        };
        return read_file(path, opts, &mut wrapped, stats);
    }
    let counter = Rc::new(Cell::new(0));
    let counting = Counting {
        inner: file,
        count: Rc::clone(&counter),
    };
    let mut input: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(counting))
    } else {
        Box::new(counting)
    };
    stats.files += 1;
    let info = std::sync::Arc::new(S3PathInfo::from_path(path));
    let shared_path: std::sync::Arc<Path> = std::sync::Arc::from(path);
    let mut parser: Option<std::sync::Arc<LineParser>> = None;
    let mut carry: Vec<u8> = Vec::new();
    let mut line_no: u64 = 1;
    let mut reported = 0;
    let mut eof = false;
    while !eof {
        // A recycled block keeps its length, so `resize` below zeroes only what was never
        // written.
        let mut buf = back
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BLOCK + 65536));
        let mut len = carry.len();
        if buf.len() < len {
            buf.resize(len, 0);
        }
        buf[..len].copy_from_slice(&carry);
        carry.clear();
        // Fill up to BLOCK bytes.
        while len < BLOCK {
            let start = len;
            if buf.len() < BLOCK.max(start + 65536) {
                buf.resize(BLOCK.max(start + 65536), 0);
            }
            match input.read(&mut buf[start..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => len = start + n,
                Err(e) => {
                    buf.truncate(start);
                    eof = true;
                    if !(gz || e.kind() == io::ErrorKind::UnexpectedEof) {
                        return Err(io_err(e));
                    }
                    // Lines before the cut are used; the cut is one bad line after them.
                    let complete = buf.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
                    let lines = buf[..complete].iter().filter(|&&b| b == b'\n').count() as u64;
                    let err = ParseRecordError {
                        line: line_no + lines,
                        field: None,
                        kind: ParseErrorKind::Truncated,
                        value: Some(e.to_string()),
                    };
                    buf.truncate(complete);
                    let mut wrapped = WithProgress {
                        sink: main_sink,
                        progress,
                    };
                    bad(path, err, opts, &mut wrapped, stats)?;
                    break;
                }
            }
        }
        buf.truncate(len);
        let now = counter.get();
        progress(now - reported);
        stats.bytes += now - reported;
        reported = now;
        // Keep the unfinished last line for the next block.
        if !eof {
            match memchr::memrchr(b'\n', &buf) {
                Some(p) => carry.extend_from_slice(&buf[p + 1..]),
                None => {
                    // A line longer than a block: keep growing it.
                    carry = buf;
                    continue;
                }
            }
            let keep = buf.len() - carry.len();
            buf.truncate(keep.saturating_sub(1));
        } else if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        if buf.is_empty() && parser.is_some() {
            continue;
        }
        let mut first_line = line_no;
        line_no += memchr::memchr_iter(b'\n', &buf).count() as u64 + 1;
        if parser.is_none() {
            // The format: this file's header line, or the given one.
            let skip_blank = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            let first_end = buf[skip_blank..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(buf.len(), |p| p + skip_blank);
            let first = std::str::from_utf8(&buf[skip_blank..first_end]).unwrap_or("");
            let first = first.strip_suffix('\r').unwrap_or(first);
            let format = if Format::is_header(first) {
                let f = Format::from_header(first).map_err(|source| ReadError::Format {
                    path: path.to_path_buf(),
                    source,
                })?;
                first_line += buf[..first_end].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
                buf.drain(..(first_end + 1).min(buf.len()));
                f
            } else if let Some(f) = &opts.log_format {
                f.clone()
            } else if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            } else {
                return Err(ReadError::NoFormat {
                    path: path.to_path_buf(),
                });
            };
            main_sink
                .start_file(path, &format)
                .map_err(ReadError::Sink)?;
            parser = Some(std::sync::Arc::new(LineParser::new(format)));
        }
        let Some(p) = &parser else { continue };
        let block = Block {
            bytes: buf,
            first_line,
            parser: std::sync::Arc::clone(p),
            path: std::sync::Arc::clone(&shared_path),
            info: std::sync::Arc::clone(&info),
        };
        if tx.send(block).is_err() {
            return Err(ReadError::Sink("worker threads stopped".into()));
        }
    }
    Ok(())
}
