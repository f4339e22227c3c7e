//! The one module that uses polars: Parquet in and out, with AWS's own column names and types.
//!
//! - [`read_parquet`]: AWS-delivered Parquet (`_` column names such as `log_status`,
//!   `pkt_srcaddr`), read in slices of [`SLICE_ROWS`] rows, each cell turned back into the
//!   token AWS would have written in text (`-` for null) and parsed by the same
//!   [`LineParser`] as text lines, so every check and error is the same.
//! - [`ParquetRecordWriter`] / [`PartitionedWriter`]: records to Parquet in row groups of
//!   [`BATCH_ROWS`] (memory bounded by one batch per open file), typed as AWS types them
//!   (INT_32 version/ports/protocol/tcp-flags/traffic-path, INT_64 packets/bytes/start/end,
//!   strings otherwise), so Athena, Spark and DuckDB read our files and AWS's alike.
//! - [`write_groups`]: a grouping result to Parquet.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{ParseRecordError, ReadError};
use crate::field::{Field, FieldKind, Format};
use crate::parse::{LineParser, Parsed};
use crate::query::{GroupRow, GroupValue};
use crate::read::{ReadOptions, ReadStats, RecordSink};
use crate::record::{FlowRecord, Value};

/// Rows per row group written.
pub const BATCH_ROWS: usize = 1 << 17;

/// Rows read from a Parquet file at a time.
pub const SLICE_ROWS: usize = 1 << 18;

/// A Parquet write failed.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", .path.display())]
pub struct TableError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

fn table_err(path: &Path) -> impl Fn(PolarsError) -> TableError + '_ {
    move |e| TableError {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn dtype(field: &Field) -> DataType {
    match field.kind() {
        FieldKind::Int32 => DataType::Int32,
        FieldKind::Int64 => DataType::Int64,
        _ => DataType::String,
    }
}

/// Reads an AWS-delivered (or our own) Parquet file of flow-log records.
///
/// # Errors
///
/// [`ReadError::Parquet`] when the file cannot be read as Parquet; bad rows are reported like
/// bad lines (row number, field).
pub fn read_parquet(
    path: &Path,
    opts: &ReadOptions,
    sink: &mut dyn RecordSink,
    stats: &mut ReadStats,
) -> Result<(), ReadError> {
    let perr = |message: String| ReadError::Parquet {
        path: path.to_path_buf(),
        message,
    };
    let open = || File::open(path).map_err(|e| perr(e.to_string()));
    let total = ParquetReader::new(open()?)
        .num_rows()
        .map_err(|e| perr(e.to_string()))?;
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let info = crate::read::S3PathInfo::from_path(path);
    let mut parser: Option<LineParser> = None;
    let mut offset = 0;
    let mut cells: Vec<StringChunked> = Vec::new();
    loop {
        let df = ParquetReader::new(open()?)
            .with_slice(Some((offset, SLICE_ROWS)))
            .finish()
            .map_err(|e| perr(e.to_string()))?;
        if parser.is_none() {
            let fields = df
                .columns()
                .iter()
                .map(|c| Field::from_name(c.name().as_str()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|source| ReadError::Format {
                    path: path.to_path_buf(),
                    source,
                })?;
            let format = Format::new(fields).map_err(|source| ReadError::Format {
                path: path.to_path_buf(),
                source,
            })?;
            sink.start_file(path, &format).map_err(ReadError::Sink)?;
            parser = Some(LineParser::new(format));
        }
        let Some(p) = &parser else { break };
        cells.clear();
        for column in df.columns() {
            let s = column
                .as_materialized_series()
                .cast(&DataType::String)
                .map_err(|e| perr(e.to_string()))?;
            let ca = s.str().map_err(|e| perr(e.to_string()))?.clone();
            cells.push(ca);
        }
        let height = df.height();
        let mut iters: Vec<_> = cells.iter().map(|c| c.iter()).collect();
        for row in 0..height {
            let tokens: Vec<&str> = iters
                .iter_mut()
                .map(|it| it.next().flatten().unwrap_or("-"))
                .collect();
            let line_no = (offset + row + 1) as u64;
            match p.parse_tokens(tokens.into_iter(), line_no) {
                Ok(Parsed::Record(mut rec)) => {
                    if rec.account_id.is_none() {
                        rec.account_id = info.account_id.as_deref();
                    }
                    if rec.region.is_none() {
                        rec.region = info.region.as_deref();
                    }
                    stats.count(&rec);
                    sink.record(&rec).map_err(ReadError::Sink)?;
                }
                Ok(Parsed::TransitGateway) => stats.transit_gateway += 1,
                Ok(Parsed::Blank) => {}
                Err(error) => report(path, error, opts, sink, stats)?,
            }
        }
        offset += height;
        if height == 0 || offset >= total {
            break;
        }
    }
    sink.progress(size);
    stats.bytes += size;
    Ok(())
}

fn report(
    path: &Path,
    error: ParseRecordError,
    opts: &ReadOptions,
    sink: &mut dyn RecordSink,
    stats: &mut ReadStats,
) -> Result<(), ReadError> {
    let bad = crate::error::BadLine {
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

enum Builder {
    I32(Vec<Option<i32>>),
    I64(Vec<Option<i64>>),
    Str(Vec<Option<String>>),
}

/// Writes records to one Parquet file (gzip-compressed, like AWS's delivery), in row groups.
pub struct ParquetRecordWriter {
    path: PathBuf,
    columns: Vec<Field>,
    builders: Vec<Builder>,
    rows: usize,
    written: u64,
    writer: polars::io::parquet::write::BatchedWriter<File>,
}

impl std::fmt::Debug for ParquetRecordWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetRecordWriter")
            .field("path", &self.path)
            .field("rows", &self.written)
            .finish()
    }
}

impl ParquetRecordWriter {
    /// Creates `path` with one column per field (AWS Parquet names: `log_status`).
    ///
    /// # Errors
    ///
    /// [`TableError`] when the file cannot be created.
    pub fn create(path: &Path, columns: &[Field]) -> Result<ParquetRecordWriter, TableError> {
        let file = File::create(path).map_err(|e| TableError {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let schema: Schema = columns
            .iter()
            .map(|f| polars::prelude::Field::new(f.parquet_name().into(), dtype(f)))
            .collect();
        let writer = ParquetWriter::new(file)
            .with_compression(ParquetCompression::Gzip(None))
            .batched(&schema)
            .map_err(table_err(path))?;
        let builders = columns.iter().map(new_builder).collect();
        Ok(ParquetRecordWriter {
            path: path.to_path_buf(),
            columns: columns.to_vec(),
            builders,
            rows: 0,
            written: 0,
            writer,
        })
    }

    /// Adds one record (fields not among the columns are dropped).
    ///
    /// # Errors
    ///
    /// [`TableError`] when writing a full row group fails.
    pub fn push(&mut self, rec: &FlowRecord<'_>) -> Result<(), TableError> {
        for (field, builder) in self.columns.iter().zip(&mut self.builders) {
            let value = rec.value(field);
            match builder {
                Builder::I32(v) => v.push(match value {
                    Value::Int(n) => i32::try_from(n).ok(),
                    _ => None,
                }),
                Builder::I64(v) => v.push(match value {
                    Value::Int(n) => Some(n),
                    _ => None,
                }),
                Builder::Str(v) => v.push(match value {
                    Value::Null => None,
                    Value::Int(n) => Some(n.to_string()),
                    Value::Ip(ip) => Some(ip.to_string()),
                    Value::Str(s) => Some(s.to_owned()),
                }),
            }
        }
        self.rows += 1;
        if self.rows >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), TableError> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut cols = Vec::with_capacity(self.columns.len());
        for (field, builder) in self.columns.iter().zip(&mut self.builders) {
            let name: PlSmallStr = field.parquet_name().into();
            let series = match builder {
                Builder::I32(v) => Series::new(name, std::mem::take(v)),
                Builder::I64(v) => Series::new(name, std::mem::take(v)),
                Builder::Str(v) => Series::new(name, std::mem::take(v)),
            };
            cols.push(Column::from(series));
        }
        let df = DataFrame::new(self.rows, cols).map_err(table_err(&self.path))?;
        self.writer
            .write_batch(&df)
            .map_err(table_err(&self.path))?;
        self.written += self.rows as u64;
        self.rows = 0;
        Ok(())
    }

    /// Writes the last row group and the footer; returns the rows written.
    ///
    /// # Errors
    ///
    /// [`TableError`] when writing fails.
    pub fn finish(mut self) -> Result<u64, TableError> {
        self.flush()?;
        self.writer.finish().map_err(table_err(&self.path))?;
        Ok(self.written)
    }
}

fn new_builder(field: &Field) -> Builder {
    match field.kind() {
        FieldKind::Int32 => Builder::I32(Vec::new()),
        FieldKind::Int64 => Builder::I64(Vec::new()),
        _ => Builder::Str(Vec::new()),
    }
}

/// Writes records into a Hive-partitioned tree `DIR/year=YYYY/month=MM/day=DD/part-0.parquet`,
/// by the record's `start` (UTC; records without `start` go to `year=__HIVE_DEFAULT_PARTITION__`).
#[derive(Debug)]
pub struct PartitionedWriter {
    dir: PathBuf,
    columns: Vec<Field>,
    open: BTreeMap<Option<(i64, u32, u32)>, ParquetRecordWriter>,
}

impl PartitionedWriter {
    /// A writer under `dir` (created if needed).
    ///
    /// # Errors
    ///
    /// [`TableError`] when `dir` cannot be created.
    pub fn create(dir: &Path, columns: &[Field]) -> Result<PartitionedWriter, TableError> {
        std::fs::create_dir_all(dir).map_err(|e| TableError {
            path: dir.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(PartitionedWriter {
            dir: dir.to_path_buf(),
            columns: columns.to_vec(),
            open: BTreeMap::new(),
        })
    }

    /// Adds one record to its day's file.
    ///
    /// # Errors
    ///
    /// [`TableError`] when a file cannot be created or written.
    pub fn push(&mut self, rec: &FlowRecord<'_>) -> Result<(), TableError> {
        let day = rec.start.map(civil_date);
        if !self.open.contains_key(&day) {
            let sub = match day {
                Some((y, m, d)) => self
                    .dir
                    .join(format!("year={y:04}"))
                    .join(format!("month={m:02}"))
                    .join(format!("day={d:02}")),
                None => self.dir.join("year=__HIVE_DEFAULT_PARTITION__"),
            };
            std::fs::create_dir_all(&sub).map_err(|e| TableError {
                path: sub.clone(),
                message: e.to_string(),
            })?;
            let writer = ParquetRecordWriter::create(&sub.join("part-0.parquet"), &self.columns)?;
            self.open.insert(day, writer);
        }
        match self.open.get_mut(&day) {
            Some(w) => w.push(rec),
            None => Ok(()),
        }
    }

    /// Finishes every file; returns (files, rows).
    ///
    /// # Errors
    ///
    /// [`TableError`] when writing fails.
    pub fn finish(self) -> Result<(usize, u64), TableError> {
        let files = self.open.len();
        let mut rows = 0;
        for (_, w) in self.open {
            rows += w.finish()?;
        }
        Ok((files, rows))
    }
}

/// UTC (year, month, day) of Unix seconds (Hinnant's `civil_from_days`).
pub fn civil_date(secs: i64) -> (i64, u32, u32) {
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

/// Writes a grouping result: the group columns (AWS names and types), then `records`,
/// `packets`, `bytes` (INT_64).
///
/// # Errors
///
/// [`TableError`] when writing fails.
pub fn write_groups(path: &Path, columns: &[Field], rows: &[GroupRow]) -> Result<(), TableError> {
    let mut cols = Vec::new();
    for (i, field) in columns.iter().enumerate() {
        let name: PlSmallStr = field.parquet_name().into();
        let series = match field.kind() {
            FieldKind::Int32 => Series::new(
                name,
                rows.iter()
                    .map(|r| match r.values.get(i) {
                        Some(GroupValue::Int(n)) => i32::try_from(*n).ok(),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
            FieldKind::Int64 => Series::new(
                name,
                rows.iter()
                    .map(|r| match r.values.get(i) {
                        Some(GroupValue::Int(n)) => Some(*n),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
            _ => Series::new(
                name,
                rows.iter()
                    .map(|r| match r.values.get(i) {
                        None | Some(GroupValue::Null) => None,
                        Some(v) => Some(v.to_string()),
                    })
                    .collect::<Vec<_>>(),
            ),
        };
        cols.push(Column::from(series));
    }
    let total = |f: fn(&GroupRow) -> u64| -> Vec<i64> {
        rows.iter()
            .map(|r| i64::try_from(f(r)).unwrap_or(i64::MAX))
            .collect()
    };
    cols.push(Column::from(Series::new(
        "records".into(),
        total(|r| r.totals.records),
    )));
    cols.push(Column::from(Series::new(
        "packets".into(),
        total(|r| r.totals.packets),
    )));
    cols.push(Column::from(Series::new(
        "bytes".into(),
        total(|r| r.totals.bytes),
    )));
    let mut df = DataFrame::new(rows.len(), cols).map_err(table_err(path))?;
    let file = File::create(path).map_err(|e| TableError {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Gzip(None))
        .finish(&mut df)
        .map_err(table_err(path))?;
    Ok(())
}
