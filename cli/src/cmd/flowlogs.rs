//! `flowsleuth flowlogs`: VPC Flow Log queries and conversion.
//!
//! `query` streams every input record through the filters into either the record writer
//! (no `--group-by`) or a hash aggregation bounded by the number of groups; `convert` streams
//! records into Parquet. Results go to stdout (or `-o`), the summary and bad lines to stderr.

mod args;
mod explain;
mod out;

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use flowlogs::query::{Aggregator, Filter};
use flowlogs::read::{self, ReadOptions, ReadStats, RecordSink, SinkError};
use flowlogs::table::{ParquetRecordWriter, PartitionedWriter};
use flowlogs::{BadLine, Field, FlowRecord, Format};

pub(crate) use args::FlowlogsArgs;
use args::{ConvertArgs, FlowlogsCommand, InputOpts, OutFormat, QueryArgs};

use crate::progress;

/// Bad lines printed one by one before only counting.
const MAX_BAD_SHOWN: u64 = 50;

/// Runs `flowsleuth flowlogs`.
pub(crate) fn run(args: &FlowlogsArgs) -> anyhow::Result<()> {
    match &args.command {
        FlowlogsCommand::Query(q) => run_query(q),
        FlowlogsCommand::Convert(c) => run_convert(c),
        FlowlogsCommand::Explain(e) => explain::run(e),
    }
}

fn read_options(input: &InputOpts) -> anyhow::Result<ReadOptions> {
    let log_format = match (&input.log_format, &input.log_format_from) {
        (Some(text), _) => Some(Format::from_log_format(text).context("--log-format")?),
        (None, Some(path)) => {
            let json = std::fs::read_to_string(path)
                .with_context(|| format!("--log-format-from {}", path.display()))?;
            Some(
                Format::from_describe_flow_logs(&json, input.flow_log_id.as_deref())
                    .with_context(|| format!("--log-format-from {}", path.display()))?,
            )
        }
        (None, None) => None,
    };
    Ok(ReadOptions {
        log_format,
        strict: input.strict,
    })
}

/// Everything shared by the sinks (also across worker threads): bad-line reporting and the
/// progress bar.
struct Common {
    bar: indicatif::ProgressBar,
    bad_shown: AtomicU64,
}

impl Common {
    fn new(input: &InputOpts) -> anyhow::Result<Self> {
        let files = read::expand_paths(&input.paths)?;
        let total: u64 = files
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        Ok(Common {
            bar: progress::bytes_bar(Some(total)),
            bad_shown: AtomicU64::new(0),
        })
    }

    fn bad_line(&self, bad: &BadLine) {
        let n = self.bad_shown.fetch_add(1, Ordering::Relaxed) + 1;
        if n <= MAX_BAD_SHOWN {
            let msg = format!("flowsleuth: skipped bad line: {bad}");
            self.bar.suspend(|| {
                let _ = writeln!(io::stderr().lock(), "{msg}");
            });
        } else if n == MAX_BAD_SHOWN + 1 {
            self.bar.suspend(|| {
                let _ = writeln!(
                    io::stderr().lock(),
                    "flowsleuth: more bad lines; only counting them now"
                );
            });
        }
    }

    fn summary(&self, stats: &ReadStats, matched: u64, what: &str) -> io::Result<()> {
        self.bar.finish_and_clear();
        let mut err = io::stderr().lock();
        writeln!(
            err,
            "flowlogs: {} files, {} records read ({} NODATA and {} SKIPDATA skipped), {} transit-gateway records kept apart, {} bad lines skipped; {matched} {what}",
            stats.files,
            stats.records,
            stats.nodata,
            stats.skipdata,
            stats.transit_gateway,
            stats.bad_lines,
        )
    }
}

/// Groups matching records (one per worker thread).
struct GroupSink<'f> {
    common: &'f Common,
    filter: &'f Filter,
    agg: Aggregator,
    matched: u64,
}

impl RecordSink for GroupSink<'_> {
    fn record(&mut self, rec: &FlowRecord<'_>) -> Result<(), SinkError> {
        if self.filter.matches(rec) {
            self.matched += 1;
            self.agg.add(rec);
        }
        Ok(())
    }
    fn bad_line(&mut self, bad: &BadLine) {
        self.common.bad_line(bad);
    }
}

/// Writes matching records.
struct ListSink<'f> {
    common: &'f Common,
    filter: &'f Filter,
    out: out::RecordOut,
    matched: u64,
}

impl RecordSink for ListSink<'_> {
    fn start_file(&mut self, _path: &Path, format: &Format) -> Result<(), SinkError> {
        self.out.start(format)
    }
    fn record(&mut self, rec: &FlowRecord<'_>) -> Result<(), SinkError> {
        if self.filter.matches(rec) {
            self.matched += 1;
            self.out.write(rec)?;
        }
        Ok(())
    }
    fn bad_line(&mut self, bad: &BadLine) {
        self.common.bad_line(bad);
    }
    fn progress(&mut self, bytes: u64) {
        self.common.bar.inc(bytes);
    }
}

fn run_query(args: &QueryArgs) -> anyhow::Result<()> {
    let opts = read_options(&args.input)?;
    let mut filter = args.filters.to_filter()?;
    if args.reject_preset() && filter.action.is_none() {
        filter.action = Some(flowlogs::Action::Reject);
    }
    let plan = args.plan()?;
    if plan.format == OutFormat::Parquet && args.output.is_none() {
        anyhow::bail!("--format parquet needs -o OUT");
    }
    let common = Common::new(&args.input)?;
    match plan.group_by {
        Some(columns) => {
            let template = Aggregator::new(columns.clone()).context("--group-by")?;
            let threads = args.threads.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
            });
            let make = || GroupSink {
                common: &common,
                filter: &filter,
                agg: template.clone(),
                matched: 0,
            };
            let (stats, sinks) =
                read::read_paths_parallel(&args.input.paths, &opts, threads, make, &mut |bytes| {
                    common.bar.inc(bytes)
                })?;
            let mut sinks = sinks.into_iter();
            let Some(first) = sinks.next() else {
                anyhow::bail!("no result");
            };
            let mut agg = first.agg;
            let mut matched = first.matched;
            for sink in sinks {
                matched += sink.matched;
                agg.merge(sink.agg);
            }
            let rows = agg.finish(plan.sort, plan.limit);
            out::write_groups(plan.format, args.output.as_deref(), &columns, &rows)?;
            common.summary(&stats, matched, "records matched")?;
        }
        None => {
            let out = out::RecordOut::new(
                plan.format,
                args.output.as_deref(),
                plan.columns.clone(),
                args.initiator,
                plan.limit,
            )?;
            let mut sink = ListSink {
                common: &common,
                filter: &filter,
                out,
                matched: 0,
            };
            let result = read::read_paths(&args.input.paths, &opts, &mut sink);
            let ListSink { out, matched, .. } = sink;
            let stats = match result {
                Ok(stats) => stats,
                Err(flowlogs::ReadError::Sink(e)) if out::is_limit_reached(&*e) => {
                    out.finish()?;
                    common.bar.finish_and_clear();
                    let _ = writeln!(
                        io::stderr().lock(),
                        "flowlogs: stopped after --limit {matched} records"
                    );
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            };
            out.finish()?;
            common.summary(&stats, matched, "records matched")?;
        }
    }
    Ok(())
}

/// Writes every record to Parquet.
struct ConvertSink<'c> {
    common: &'c Common,
    matched: u64,
    partition: bool,
    out: std::path::PathBuf,
    columns: Option<Vec<Field>>,
    file: Option<ParquetRecordWriter>,
    tree: Option<PartitionedWriter>,
}

impl RecordSink for ConvertSink<'_> {
    fn start_file(&mut self, _path: &Path, format: &Format) -> Result<(), SinkError> {
        if self.file.is_some() || self.tree.is_some() {
            return Ok(());
        }
        // --columns, else the first file's known fields.
        let columns: Vec<Field> = match &self.columns {
            Some(c) => c.clone(),
            None => format
                .fields()
                .iter()
                .filter(|f| !matches!(f, Field::Unknown(_)))
                .cloned()
                .collect(),
        };
        if self.partition {
            self.tree = Some(PartitionedWriter::create(&self.out, &columns)?);
        } else {
            self.file = Some(ParquetRecordWriter::create(&self.out, &columns)?);
        }
        Ok(())
    }
    fn record(&mut self, rec: &FlowRecord<'_>) -> Result<(), SinkError> {
        self.matched += 1;
        if let Some(w) = &mut self.file {
            w.push(rec)?;
        }
        if let Some(w) = &mut self.tree {
            w.push(rec)?;
        }
        Ok(())
    }
    fn bad_line(&mut self, bad: &BadLine) {
        self.common.bad_line(bad);
    }
    fn progress(&mut self, bytes: u64) {
        self.common.bar.inc(bytes);
    }
}

fn run_convert(args: &ConvertArgs) -> anyhow::Result<()> {
    let opts = read_options(&args.input)?;
    let common = Common::new(&args.input)?;
    let mut sink = ConvertSink {
        common: &common,
        matched: 0,
        partition: args.partition,
        out: args.output.clone(),
        columns: args.columns()?,
        file: None,
        tree: None,
    };
    let stats = read::read_paths(&args.input.paths, &opts, &mut sink)?;
    let ConvertSink {
        file,
        tree,
        matched,
        ..
    } = sink;
    let mut files = 0;
    if let Some(w) = file {
        w.finish()?;
        files = 1;
    }
    if let Some(w) = tree {
        files = w.finish()?.0;
    }
    common.summary(
        &stats,
        matched,
        &format!(
            "records written to {} Parquet file{} under {}",
            files,
            if files == 1 { "" } else { "s" },
            args.output.display()
        ),
    )?;
    Ok(())
}
