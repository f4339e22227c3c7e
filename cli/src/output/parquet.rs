//! Parquet output (the `parquet` crate without Arrow or codecs: uncompressed, plain columns).
//!
//! One flat column per CSV column: integers as INT64, booleans as BOOLEAN, durations as
//! DOUBLE, times as INT64 `TIMESTAMP(NANOS, UTC)`, text as UTF-8 BYTE_ARRAY; lists, phases and
//! certificate chains as UTF-8 text joined with `;`, exactly as in CSV. Every column is
//! OPTIONAL (absent = null). Rows are buffered column-wise and written as a row group every
//! [`ROW_GROUP`] records, so memory stays bounded.

use std::fmt::Write as _;
use std::fs::File;
use std::io;
use std::sync::Arc;

use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::records::{write_flat, Cell, Kind};

/// Records per row group.
const ROW_GROUP: usize = 65_536;

/// Values of one column for the row group being built.
enum Values {
    I64(Vec<i64>),
    Bool(Vec<bool>),
    F64(Vec<f64>),
    Bytes(Vec<ByteArray>),
}

struct Column {
    values: Values,
    /// Definition levels: 1 present, 0 null.
    defs: Vec<i16>,
}

/// Writes records to one Parquet file.
pub(crate) struct ParquetSink {
    writer: Option<SerializedFileWriter<File>>,
    columns: Vec<Column>,
    rows: usize,
}

fn to_io(e: parquet::errors::ParquetError) -> io::Error {
    io::Error::other(e)
}

impl ParquetSink {
    /// A writer for records with these columns.
    pub(crate) fn new(
        file: File,
        name: &str,
        columns: &[&str],
        kinds: &[Kind],
    ) -> io::Result<Self> {
        let mut schema = String::new();
        let _ = writeln!(schema, "message {name} {{");
        for (col, kind) in columns.iter().zip(kinds) {
            let (ty, logical) = match kind {
                Kind::U64 => ("INT64", ""),
                Kind::Bool => ("BOOLEAN", ""),
                Kind::F64 => ("DOUBLE", ""),
                Kind::Time => ("INT64", " (TIMESTAMP(NANOS,true))"),
                Kind::Text => ("BYTE_ARRAY", " (UTF8)"),
            };
            let _ = writeln!(schema, "  OPTIONAL {ty} {col}{logical};");
        }
        schema.push('}');
        let schema = Arc::new(parse_message_type(&schema).map_err(to_io)?);
        let props = Arc::new(WriterProperties::builder().build());
        let writer = SerializedFileWriter::new(file, schema, props).map_err(to_io)?;
        let columns = kinds
            .iter()
            .map(|k| Column {
                values: match k {
                    Kind::U64 | Kind::Time => Values::I64(Vec::new()),
                    Kind::Bool => Values::Bool(Vec::new()),
                    Kind::F64 => Values::F64(Vec::new()),
                    Kind::Text => Values::Bytes(Vec::new()),
                },
                defs: Vec::new(),
            })
            .collect();
        Ok(Self {
            writer: Some(writer),
            columns,
            rows: 0,
        })
    }

    /// Adds one record.
    pub(crate) fn push(&mut self, cells: &[Cell<'_>]) -> io::Result<()> {
        for (col, cell) in self.columns.iter_mut().zip(cells) {
            let present = match (&mut col.values, cell) {
                (_, Cell::Null) => false,
                (Values::I64(v), Cell::U64(x)) => {
                    v.push(i64::try_from(*x).unwrap_or(i64::MAX));
                    true
                }
                (Values::I64(v), Cell::Time(t)) => {
                    v.push(*t);
                    true
                }
                (Values::Bool(v), Cell::Bool(b)) => {
                    v.push(*b);
                    true
                }
                (Values::F64(v), Cell::F64(x)) => {
                    v.push(*x);
                    true
                }
                (Values::Bytes(v), c) => {
                    let mut s = String::new();
                    write_flat(&mut s, c, ";");
                    v.push(ByteArray::from(s.into_bytes()));
                    true
                }
                // A cell of another type than the column's: a bug; written as null.
                _ => false,
            };
            col.defs.push(i16::from(present));
        }
        self.rows += 1;
        if self.rows >= ROW_GROUP {
            self.flush_group()?;
        }
        Ok(())
    }

    fn flush_group(&mut self) -> io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let Some(writer) = self.writer.as_mut() else {
            return Ok(());
        };
        let mut group = writer.next_row_group().map_err(to_io)?;
        let mut cols = self.columns.iter_mut();
        while let Some(mut cw) = group.next_column().map_err(to_io)? {
            let Some(col) = cols.next() else { break };
            let defs = Some(&col.defs[..]);
            match (cw.untyped(), &col.values) {
                (ColumnWriter::Int64ColumnWriter(w), Values::I64(v)) => {
                    w.write_batch(v, defs, None).map_err(to_io)?;
                }
                (ColumnWriter::BoolColumnWriter(w), Values::Bool(v)) => {
                    w.write_batch(v, defs, None).map_err(to_io)?;
                }
                (ColumnWriter::DoubleColumnWriter(w), Values::F64(v)) => {
                    w.write_batch(v, defs, None).map_err(to_io)?;
                }
                (ColumnWriter::ByteArrayColumnWriter(w), Values::Bytes(v)) => {
                    w.write_batch(v, defs, None).map_err(to_io)?;
                }
                _ => return Err(io::Error::other("parquet column type mismatch")),
            }
            cw.close().map_err(to_io)?;
            col.defs.clear();
            match &mut col.values {
                Values::I64(v) => v.clear(),
                Values::Bool(v) => v.clear(),
                Values::F64(v) => v.clear(),
                Values::Bytes(v) => v.clear(),
            }
        }
        group.close().map_err(to_io)?;
        self.rows = 0;
        Ok(())
    }

    /// Writes the last row group and the footer.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        self.flush_group()?;
        if let Some(w) = self.writer.take() {
            w.close().map_err(to_io)?;
        }
        Ok(())
    }
}
