//! Output of `flowlogs query`: records (streamed) and grouping results.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use flowlogs::query::GroupRow;
use flowlogs::record::Initiator;
use flowlogs::table::ParquetRecordWriter;
use flowlogs::{Field, FlowRecord, Format, Value};

use super::args::OutFormat;

/// The error that stops reading once `--limit` records were written.
#[derive(Debug)]
pub(crate) struct LimitReached;

impl std::fmt::Display for LimitReached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("--limit reached")
    }
}

impl std::error::Error for LimitReached {}

pub(crate) fn is_limit_reached(e: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    e.downcast_ref::<LimitReached>().is_some()
}

fn open_out(path: Option<&Path>) -> io::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) => Box::new(BufWriter::with_capacity(1 << 16, File::create(p)?)),
        None => Box::new(crate::cmd::stdout()),
    })
}

/// CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF.
fn csv_field(w: &mut dyn Write, s: &str) -> io::Result<()> {
    if s.contains([',', '"', '\n', '\r']) {
        write!(w, "\"{}\"", s.replace('"', "\"\""))
    } else {
        w.write_all(s.as_bytes())
    }
}

fn json_str(w: &mut dyn Write, s: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *w, s).map_err(io::Error::from)
}

fn write_value(w: &mut dyn Write, v: Value<'_>) -> io::Result<()> {
    match v {
        Value::Null => Ok(()),
        Value::Int(n) => write!(w, "{n}"),
        Value::Ip(ip) => write!(w, "{ip}"),
        Value::Str(s) => w.write_all(s.as_bytes()),
    }
}

fn initiator_str(rec: &FlowRecord<'_>) -> &'static str {
    match rec.initiator() {
        Some(Initiator::Source) => "src",
        Some(Initiator::Destination) => "dst",
        None => "",
    }
}

/// Streams records out.
pub(crate) struct RecordOut {
    format: OutFormat,
    w: Option<Box<dyn Write>>,
    parquet: Option<ParquetRecordWriter>,
    path: Option<std::path::PathBuf>,
    columns: Option<Vec<Field>>,
    initiator: bool,
    limit: Option<usize>,
    written: usize,
    started: bool,
}

impl RecordOut {
    pub(crate) fn new(
        format: OutFormat,
        path: Option<&Path>,
        columns: Option<Vec<Field>>,
        initiator: bool,
        limit: Option<usize>,
    ) -> io::Result<Self> {
        let w = if format == OutFormat::Parquet {
            None
        } else {
            Some(open_out(path)?)
        };
        Ok(RecordOut {
            format,
            w,
            parquet: None,
            path: path.map(Path::to_path_buf),
            columns,
            initiator,
            limit,
            written: 0,
            started: false,
        })
    }

    /// A file starts: the first one fixes the columns (unknown fields left out).
    pub(crate) fn start(
        &mut self,
        format: &Format,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if self.started {
            return Ok(());
        }
        let columns = match self.columns.take() {
            Some(c) => c,
            None => format
                .fields()
                .iter()
                .filter(|f| !matches!(f, Field::Unknown(_)))
                .cloned()
                .collect(),
        };
        match self.format {
            OutFormat::Parquet => {
                if let Some(path) = &self.path {
                    self.parquet = Some(ParquetRecordWriter::create(path, &columns)?);
                }
            }
            OutFormat::Csv => {
                if let Some(w) = &mut self.w {
                    let mut names: Vec<String> = columns.iter().map(Field::parquet_name).collect();
                    if self.initiator {
                        names.push("initiator".to_owned());
                    }
                    writeln!(w, "{}", names.join(","))?;
                }
            }
            OutFormat::Table => {
                if let Some(w) = &mut self.w {
                    for f in &columns {
                        write!(w, "{:<width$} ", f.parquet_name(), width = width(f))?;
                    }
                    if self.initiator {
                        write!(w, "initiator")?;
                    }
                    writeln!(w)?;
                }
            }
            OutFormat::Jsonl => {}
        }
        self.columns = Some(columns);
        self.started = true;
        Ok(())
    }

    pub(crate) fn write(
        &mut self,
        rec: &FlowRecord<'_>,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if self.limit.is_some_and(|l| self.written >= l) {
            return Err(Box::new(LimitReached));
        }
        self.written += 1;
        let Some(columns) = &self.columns else {
            return Ok(());
        };
        if let Some(p) = &mut self.parquet {
            p.push(rec)?;
            return Ok(());
        }
        let Some(w) = &mut self.w else { return Ok(()) };
        let w: &mut dyn Write = &mut **w;
        match self.format {
            OutFormat::Csv => {
                for (i, f) in columns.iter().enumerate() {
                    if i > 0 {
                        w.write_all(b",")?;
                    }
                    match rec.value(f) {
                        Value::Str(s) => csv_field(w, s)?,
                        v => write_value(w, v)?,
                    }
                }
                if self.initiator {
                    write!(w, ",{}", initiator_str(rec))?;
                }
                w.write_all(b"\n")?;
            }
            OutFormat::Table => {
                for f in columns {
                    let mut cell = Vec::new();
                    match rec.value(f) {
                        Value::Null => cell.push(b'-'),
                        v => write_value(&mut cell, v)?,
                    }
                    w.write_all(&cell)?;
                    let pad = width(f).saturating_sub(cell.len()) + 1;
                    write!(w, "{:pad$}", "")?;
                }
                if self.initiator {
                    w.write_all(initiator_str(rec).as_bytes())?;
                }
                w.write_all(b"\n")?;
            }
            OutFormat::Jsonl => {
                w.write_all(b"{")?;
                for (i, f) in columns.iter().enumerate() {
                    if i > 0 {
                        w.write_all(b",")?;
                    }
                    write!(w, "\"{}\":", f.parquet_name())?;
                    match rec.value(f) {
                        Value::Null => w.write_all(b"null")?,
                        Value::Int(n) => write!(w, "{n}")?,
                        Value::Ip(ip) => write!(w, "\"{ip}\"")?,
                        Value::Str(s) => json_str(w, s)?,
                    }
                }
                if self.initiator {
                    write!(w, ",\"initiator\":")?;
                    match initiator_str(rec) {
                        "" => w.write_all(b"null")?,
                        s => write!(w, "\"{s}\"")?,
                    }
                }
                w.write_all(b"}\n")?;
            }
            OutFormat::Parquet => {}
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> anyhow::Result<()> {
        if let Some(p) = self.parquet {
            p.finish()?;
        }
        if let Some(mut w) = self.w {
            w.flush()?;
        }
        Ok(())
    }
}

fn width(f: &Field) -> usize {
    match f {
        Field::Srcaddr | Field::Dstaddr | Field::PktSrcaddr | Field::PktDstaddr => 15,
        Field::InterfaceId | Field::InstanceId | Field::VpcId | Field::SubnetId => 21,
        Field::AccountId => 12,
        Field::Start | Field::End | Field::Bytes => 10,
        _ => f.parquet_name().len().max(6),
    }
}

/// Writes a grouping result.
pub(crate) fn write_groups(
    format: OutFormat,
    path: Option<&Path>,
    columns: &[Field],
    rows: &[GroupRow],
) -> anyhow::Result<()> {
    let mut names: Vec<String> = columns.iter().map(Field::parquet_name).collect();
    names.extend(["records", "packets", "bytes"].map(str::to_owned));
    let cells = |r: &GroupRow| -> Vec<String> {
        let mut v: Vec<String> = r.values.iter().map(ToString::to_string).collect();
        v.push(r.totals.records.to_string());
        v.push(r.totals.packets.to_string());
        v.push(r.totals.bytes.to_string());
        v
    };
    match format {
        OutFormat::Parquet => {
            let Some(path) = path else {
                anyhow::bail!("--format parquet needs -o OUT");
            };
            flowlogs::table::write_groups(path, columns, rows)?;
        }
        OutFormat::Csv => {
            let mut w = open_out(path)?;
            writeln!(w, "{}", names.join(","))?;
            for r in rows {
                for (i, c) in cells(r).iter().enumerate() {
                    if i > 0 {
                        w.write_all(b",")?;
                    }
                    csv_field(&mut *w, c)?;
                }
                w.write_all(b"\n")?;
            }
            w.flush()?;
        }
        OutFormat::Jsonl => {
            let mut w = open_out(path)?;
            for r in rows {
                let mut obj = serde_json::Map::new();
                for (f, v) in columns.iter().zip(&r.values) {
                    let json = match v {
                        flowlogs::query::GroupValue::Null => serde_json::Value::Null,
                        flowlogs::query::GroupValue::Int(n) => serde_json::Value::from(*n),
                        other => serde_json::Value::from(other.to_string()),
                    };
                    obj.insert(f.parquet_name(), json);
                }
                obj.insert("records".to_owned(), r.totals.records.into());
                obj.insert("packets".to_owned(), r.totals.packets.into());
                obj.insert("bytes".to_owned(), r.totals.bytes.into());
                serde_json::to_writer(&mut *w, &obj)?;
                w.write_all(b"\n")?;
            }
            w.flush()?;
        }
        OutFormat::Table => {
            let mut w = open_out(path)?;
            let table: Vec<Vec<String>> = rows.iter().map(cells).collect();
            let mut widths: Vec<usize> = names.iter().map(String::len).collect();
            for row in &table {
                for (i, c) in row.iter().enumerate() {
                    widths[i] = widths[i].max(c.len());
                }
            }
            let ncols = columns.len();
            let line = |w: &mut dyn Write, row: &[String]| -> io::Result<()> {
                for (i, c) in row.iter().enumerate() {
                    if i > 0 {
                        w.write_all(b"  ")?;
                    }
                    if i < ncols {
                        write!(
                            w,
                            "{:<width$}",
                            if c.is_empty() { "-" } else { c },
                            width = widths[i]
                        )?;
                    } else {
                        write!(w, "{:>width$}", c, width = widths[i])?;
                    }
                }
                w.write_all(b"\n")
            };
            line(&mut *w, &names)?;
            for row in &table {
                line(&mut *w, row)?;
            }
            w.flush()?;
        }
    }
    Ok(())
}
