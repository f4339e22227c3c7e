//! Record output shared by `flows` and `tls`: one definition of a record's fields ([`Row`]:
//! column names plus [`Cell`]s), written as an aligned table, JSON lines or RFC 4180 CSV.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use decode::tls::{CertInfo, Dir, Phase};
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use super::parquet::ParquetSink;
use crate::args::RecordFormat;
use crate::time::Rfc3339;

/// One field value.
#[derive(Clone, Debug)]
pub(crate) enum Cell<'a> {
    /// Absent: left out of JSON, empty in CSV, `-` in the table.
    Null,
    /// A boolean.
    Bool(bool),
    /// An unsigned integer.
    U64(u64),
    /// A float (durations in seconds).
    F64(f64),
    /// Text.
    Str(Cow<'a, str>),
    /// An address, as text (dotted quad, or RFC 5952 for IPv6).
    Ip(IpAddr),
    /// A time in nanoseconds since the epoch, written as RFC 3339 UTC.
    Time(i64),
    /// A list of strings: a JSON array; joined with `;` in CSV and `,` in the table.
    List(Vec<Cow<'a, str>>),
    /// Handshake phases: JSON objects; `name@frame;...` in CSV.
    Phases(&'a [Phase]),
    /// A certificate chain: JSON objects; the SHA-256 fingerprints joined with `;` in CSV.
    Certs(&'a [CertInfo]),
}

impl<'a> Cell<'a> {
    /// Text borrowed for the record's lifetime.
    pub(crate) fn str(s: &'a str) -> Self {
        Self::Str(Cow::Borrowed(s))
    }

    /// Whether the cell fits a column of type `k` (null fits every column).
    pub(crate) fn is_kind(&self, k: Kind) -> bool {
        matches!(
            (self, k),
            (Self::Null, _)
                | (Self::U64(_), Kind::U64)
                | (Self::Bool(_), Kind::Bool)
                | (Self::F64(_), Kind::F64)
                | (Self::Time(_), Kind::Time)
                | (
                    Self::Str(_) | Self::Ip(_) | Self::List(_) | Self::Phases(_) | Self::Certs(_),
                    Kind::Text
                )
        )
    }

    /// An optional value.
    pub(crate) fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> Self) -> Self {
        v.map_or(Self::Null, f)
    }
}

/// The type of a column (Parquet schema; the cells of a column are of this type or null).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// [`Cell::U64`].
    U64,
    /// [`Cell::Bool`].
    Bool,
    /// [`Cell::F64`].
    F64,
    /// [`Cell::Time`].
    Time,
    /// Text: strings, lists, phases, certificates.
    Text,
}

/// A record type: its column names and, per record, one cell per column.
pub(crate) trait Row {
    /// Column names and types, in output order (stable: documented in the README).
    const COLUMNS: &'static [(&'static str, Kind)];
    /// The name of the record type (Parquet schema name).
    const NAME: &'static str;
    /// The columns shown by `--format table`, with their widths.
    const TABLE: &'static [(&'static str, usize)];
    /// One cell per entry of [`COLUMNS`](Self::COLUMNS) (an array where the count is fixed:
    /// no allocation per record).
    fn cells(&self) -> impl AsRef<[Cell<'_>]>;

    /// The record as one JSON object (null cells left out), given the column keys from
    /// [`json_keys`]. A row type may write its own, faster; it must be this text (tested).
    fn json(&self, out: &mut Vec<u8>, keys: &[Box<[u8]>]) -> io::Result<()> {
        write_json_row(out, keys, self.cells().as_ref())
    }
}

/// Writes records in one format to one buffered writer (or a Parquet file).
pub(crate) struct RecordWriter<W: Write> {
    out: W,
    parquet: Option<ParquetSink>,
    format: RecordFormat,
    header_done: bool,
    /// Records written.
    pub(crate) written: u64,
    /// Indices of the table columns in `COLUMNS` (resolved once).
    table_idx: Vec<usize>,
    /// One JSON line, reused.
    line: Vec<u8>,
    /// `"name":` for each column (JSON lines).
    keys: Vec<Box<[u8]>>,
}

impl<W: Write> RecordWriter<W> {
    /// A writer for records of type `R`; `parquet_file` is required for (and only used by)
    /// [`RecordFormat::Parquet`].
    pub(crate) fn new<R: Row>(
        out: W,
        format: RecordFormat,
        parquet_file: Option<File>,
    ) -> io::Result<Self> {
        let parquet = match (format, parquet_file) {
            (RecordFormat::Parquet, Some(f)) => {
                let names: Vec<&str> = R::COLUMNS.iter().map(|(n, _)| *n).collect();
                let kinds: Vec<Kind> = R::COLUMNS.iter().map(|(_, k)| *k).collect();
                Some(ParquetSink::new(f, R::NAME, &names, &kinds)?)
            }
            (RecordFormat::Parquet, None) => {
                return Err(io::Error::other("parquet output needs a file (-o OUT)"))
            }
            _ => None,
        };
        let table_idx = R::TABLE
            .iter()
            .filter_map(|(name, _)| R::COLUMNS.iter().position(|(c, _)| c == name))
            .collect();
        Ok(Self {
            out,
            parquet,
            format,
            header_done: false,
            written: 0,
            table_idx,
            line: Vec::with_capacity(4096),
            keys: json_keys(R::COLUMNS),
        })
    }

    /// The output format.
    pub(crate) fn format(&self) -> RecordFormat {
        self.format
    }

    /// Never writes a header (a worker's share of an output whose header is written once,
    /// elsewhere).
    pub(crate) fn skip_header(&mut self) {
        self.header_done = true;
    }

    /// Writes records already formatted by another writer of the same format.
    pub(crate) fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)
    }

    /// Writes the header (CSV, table) if not written yet; called for empty outputs too.
    pub(crate) fn header<R: Row>(&mut self) -> io::Result<()> {
        if self.header_done {
            return Ok(());
        }
        self.header_done = true;
        match self.format {
            RecordFormat::Jsonl | RecordFormat::Parquet => Ok(()),
            RecordFormat::Csv => {
                for (i, (name, _)) in R::COLUMNS.iter().enumerate() {
                    if i > 0 {
                        self.out.write_all(b",")?;
                    }
                    write_csv_field(&mut self.out, name)?;
                }
                self.out.write_all(b"\r\n")
            }
            RecordFormat::Table => {
                for (i, (name, width)) in R::TABLE.iter().enumerate() {
                    let last = i + 1 == R::TABLE.len();
                    write_padded(&mut self.out, name, if last { 0 } else { *width })?;
                }
                self.out.write_all(b"\n")
            }
        }
    }

    /// Writes one record.
    pub(crate) fn write<R: Row>(&mut self, row: &R) -> io::Result<()> {
        self.header::<R>()?;
        if self.format == RecordFormat::Jsonl {
            // Built in a reused buffer, then one write: cheaper than many small writes
            // through the boxed writer.
            self.written += 1;
            self.line.clear();
            row.json(&mut self.line, &self.keys)?;
            // Debug builds (every test, the CLI tests on every sample included) check a row
            // type's own JSON against the generic text of its cells.
            #[cfg(debug_assertions)]
            {
                let mut generic = Vec::new();
                write_json_row(&mut generic, &self.keys, row.cells().as_ref())?;
                debug_assert!(
                    self.line == generic,
                    "a row's own JSON differs from its cells':\n{}\n{}",
                    String::from_utf8_lossy(&self.line),
                    String::from_utf8_lossy(&generic)
                );
            }
            self.line.push(b'\n');
            return self.out.write_all(&self.line);
        }
        let cells = row.cells();
        let cells = cells.as_ref();
        debug_assert_eq!(cells.len(), R::COLUMNS.len());
        debug_assert!(
            cells
                .iter()
                .zip(R::COLUMNS)
                .all(|(c, (_, k))| c.is_kind(*k)),
            "a cell does not match its column's type"
        );
        self.written += 1;
        match self.format {
            RecordFormat::Parquet => match &mut self.parquet {
                Some(p) => p.push(cells),
                None => Ok(()),
            },
            RecordFormat::Jsonl => Ok(()), // above
            RecordFormat::Csv => {
                let mut text = String::new();
                for (i, cell) in cells.iter().enumerate() {
                    if i > 0 {
                        self.out.write_all(b",")?;
                    }
                    text.clear();
                    write_flat(&mut text, cell, ";");
                    write_csv_field(&mut self.out, &text)?;
                }
                self.out.write_all(b"\r\n")
            }
            RecordFormat::Table => {
                let mut text = String::new();
                for (i, (&idx, (_, width))) in self.table_idx.iter().zip(R::TABLE).enumerate() {
                    text.clear();
                    match cells.get(idx) {
                        Some(Cell::Null) | None => text.push('-'),
                        Some(c) => write_flat(&mut text, c, ","),
                    }
                    let last = i + 1 == self.table_idx.len();
                    write_padded(&mut self.out, &text, if last { 0 } else { *width })?;
                }
                self.out.write_all(b"\n")
            }
        }
    }

    /// Pushes the text written so far to the output (not Parquet: its row groups are
    /// written when full and at the end).
    pub(crate) fn flush_stream(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes the output (writes the Parquet footer: call once, at the end).
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        if let Some(p) = &mut self.parquet {
            p.finish()?;
        }
        self.out.flush()
    }
}

/// Writes `text` then spaces up to `width` (at least one space after a non-last column).
fn write_padded<W: Write>(w: &mut W, text: &str, width: usize) -> io::Result<()> {
    if width == 0 {
        return w.write_all(text.as_bytes());
    }
    let n = text.chars().count();
    write!(w, "{text}")?;
    let pad = width.saturating_sub(n).max(1);
    write!(w, "{:pad$}", "")
}

/// One CSV field, quoted when it holds a comma, quote, CR or LF (RFC 4180; quotes doubled).
fn write_csv_field<W: Write>(w: &mut W, text: &str) -> io::Result<()> {
    if text.contains([',', '"', '\r', '\n']) {
        w.write_all(b"\"")?;
        for (i, part) in text.split('"').enumerate() {
            if i > 0 {
                w.write_all(b"\"\"")?;
            }
            w.write_all(part.as_bytes())?;
        }
        w.write_all(b"\"")
    } else {
        w.write_all(text.as_bytes())
    }
}

/// Direction name of a phase.
pub(crate) fn dir_name(d: Dir) -> &'static str {
    match d {
        Dir::ClientToServer => "client",
        Dir::ServerToClient => "server",
    }
}

/// A cell as one line of text (CSV, table); lists joined with `sep`.
pub(crate) fn write_flat(out: &mut String, cell: &Cell<'_>, sep: &str) {
    use std::fmt::Write as _;
    match cell {
        Cell::Null => {}
        Cell::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Cell::U64(v) => {
            let _ = write!(out, "{v}");
        }
        Cell::F64(v) => {
            let _ = write!(out, "{v:.6}");
        }
        Cell::Str(s) => out.push_str(s),
        Cell::Ip(a) => {
            let _ = write!(out, "{a}");
        }
        Cell::Time(ns) => {
            let _ = write!(out, "{}", Rfc3339(timestamp(*ns)));
        }
        Cell::List(items) => {
            for (i, s) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                out.push_str(s);
            }
        }
        Cell::Phases(phases) => {
            for (i, p) in phases.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                let _ = write!(out, "{}@{}", p.kind, p.frame);
            }
        }
        Cell::Certs(certs) => {
            for (i, c) in certs.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                out.push_str(&c.sha256_hex());
            }
        }
    }
}

/// Nanoseconds since the epoch as a capture timestamp.
pub(crate) fn timestamp(ns: i64) -> capture::Timestamp {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = u32::try_from(ns.rem_euclid(1_000_000_000)).unwrap_or(0);
    capture::Timestamp { secs, nanos }
}

/// `"name":` for each column, written before its value.
pub(crate) fn json_keys(names: &[(&'static str, Kind)]) -> Vec<Box<[u8]>> {
    names
        .iter()
        .map(|(name, _)| {
            // Column names are plain ASCII identifiers: no escaping needed.
            debug_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
            format!("\"{name}\":").into_bytes().into_boxed_slice()
        })
        .collect()
}

/// One record as a JSON object, null cells left out; `keys` from [`json_keys`]. The same text
/// as serializing [`JsonRow`] with serde_json (a test checks), written directly: keys,
/// numbers, times, addresses and strings that need no escaping without the formatting
/// machinery, the rest through serde_json.
pub(crate) fn write_json_row(
    out: &mut Vec<u8>,
    keys: &[Box<[u8]>],
    cells: &[Cell<'_>],
) -> io::Result<()> {
    out.push(b'{');
    let mut first = true;
    for (key, cell) in keys.iter().zip(cells) {
        if matches!(cell, Cell::Null) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(key);
        write_json_value(out, cell)?;
    }
    out.push(b'}');
    Ok(())
}

/// A JSON object written a field at a time, for a row type that writes its own
/// ([`Row::json`]): the same text as [`write_json_row`] for the same names and cells.
pub(crate) struct JsonObject<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> JsonObject<'o> {
    pub(crate) fn new(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    /// One field (left out when null); `key` is `,"name":` (a column name: no escaping), the
    /// comma left out before the first field.
    #[inline(always)]
    pub(crate) fn field(&mut self, key: &str, cell: &Cell<'_>) -> io::Result<()> {
        if matches!(cell, Cell::Null) {
            return Ok(());
        }
        let key = if self.first {
            key.get(1..).unwrap_or_default()
        } else {
            key
        };
        self.first = false;
        self.out.extend_from_slice(key.as_bytes());
        write_json_value(self.out, cell)
    }

    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}

/// A cell's JSON value (not null: the caller leaves null cells out).
#[inline(always)]
fn write_json_value(out: &mut Vec<u8>, cell: &Cell<'_>) -> io::Result<()> {
    match cell {
        Cell::Null => {}
        Cell::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Cell::U64(v) => out.extend_from_slice(itoa::Buffer::new().format(*v).as_bytes()),
        // As serde_json writes an f64 (through the same formatter), without its machinery.
        Cell::F64(v) if v.is_finite() => {
            out.extend_from_slice(zmij::Buffer::new().format_finite(*v).as_bytes());
        }
        Cell::F64(_) => out.extend_from_slice(b"null"),
        Cell::Time(ns) => match Rfc3339(timestamp(*ns)).to_bytes() {
            Some(b) => {
                out.push(b'"');
                out.extend_from_slice(&b);
                out.push(b'"');
            }
            None => serde_json::to_writer(&mut *out, cell).map_err(io::Error::from)?,
        },
        Cell::Str(s) => write_json_str(out, s)?,
        Cell::Ip(a) => {
            out.push(b'"');
            match a {
                IpAddr::V4(a) => ipv4_text(out, *a),
                IpAddr::V6(a) => ipv6_text(out, *a),
            }
            out.push(b'"');
        }
        Cell::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json_str(out, item)?;
            }
            out.push(b']');
        }
        _ => serde_json::to_writer(&mut *out, cell).map_err(io::Error::from)?,
    }
    Ok(())
}

/// A JSON string: copied as it is when it needs no escape (serde_json escapes only `"`, `\`
/// and control characters below U+0020), else through serde_json.
fn write_json_str(out: &mut Vec<u8>, s: &str) -> io::Result<()> {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        serde_json::to_writer(out, s).map_err(io::Error::from)
    }
}

/// Dotted-quad text of `a`, as `Ipv4Addr`'s `Display` writes it.
fn ipv4_text(out: &mut Vec<u8>, a: Ipv4Addr) {
    for (i, o) in a.octets().into_iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        if o >= 100 {
            out.push(b'0' + o / 100);
        }
        if o >= 10 {
            out.push(b'0' + o / 10 % 10);
        }
        out.push(b'0' + o % 10);
    }
}

/// RFC 5952 text of `a`, as `Ipv6Addr`'s `Display` writes it (a test checks): IPv4-mapped
/// addresses as `::ffff:a.b.c.d`, else lowercase hexadecimal groups without leading zeros,
/// the first longest run of two or more zero groups written `::`.
fn ipv6_text(out: &mut Vec<u8>, a: Ipv6Addr) {
    if let Some(v4) = a.to_ipv4_mapped() {
        out.extend_from_slice(b"::ffff:");
        ipv4_text(out, v4);
        return;
    }
    let groups = a.segments();
    // The first longest run of zero groups: (start, length).
    let (mut best, mut run) = ((0, 0), (0, 0));
    for (i, &g) in groups.iter().enumerate() {
        if g == 0 {
            if run.1 == 0 {
                run.0 = i;
            }
            run.1 += 1;
            if run.1 > best.1 {
                best = run;
            }
        } else {
            run = (0, 0);
        }
    }
    let hex = |out: &mut Vec<u8>, part: &[u16]| {
        for (i, &g) in part.iter().enumerate() {
            if i > 0 {
                out.push(b':');
            }
            let digits = (16 - g.leading_zeros()).div_ceil(4).max(1);
            for d in (0..digits).rev() {
                let nibble = usize::from((g >> (d * 4)) & 0xf);
                out.push(b"0123456789abcdef".get(nibble).copied().unwrap_or(b'0'));
            }
        }
    };
    if best.1 > 1 {
        hex(out, groups.get(..best.0).unwrap_or_default());
        out.extend_from_slice(b"::");
        hex(out, groups.get(best.0 + best.1..).unwrap_or_default());
    } else {
        hex(out, &groups);
    }
}

#[cfg(test)]
struct JsonRow<'r, 'a> {
    names: &'static [(&'static str, Kind)],
    cells: &'r [Cell<'a>],
}

#[cfg(test)]
impl Serialize for JsonRow<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = s.serialize_map(None)?;
        for ((name, _), cell) in self.names.iter().zip(self.cells) {
            if !matches!(cell, Cell::Null) {
                map.serialize_entry(name, cell)?;
            }
        }
        map.end()
    }
}

/// Displays through `collect_str`, so no `String` is built.
struct Str<T>(T);

impl<T: std::fmt::Display> Serialize for Str<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl Serialize for Cell<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => s.serialize_none(),
            Self::Bool(b) => s.serialize_bool(*b),
            Self::U64(v) => s.serialize_u64(*v),
            Self::F64(v) => s.serialize_f64(*v),
            Self::Str(v) => s.serialize_str(v),
            Self::Ip(a) => s.collect_str(a),
            Self::Time(ns) => s.collect_str(&Rfc3339(timestamp(*ns))),
            Self::List(items) => s.collect_seq(items.iter()),
            Self::Phases(phases) => {
                let mut seq = s.serialize_seq(Some(phases.len()))?;
                for p in *phases {
                    seq.serialize_element(&PhaseJson {
                        phase: Str(p.kind),
                        dir: dir_name(p.dir),
                        frame: p.frame,
                        time: Str(Rfc3339(timestamp(
                            i64::try_from(p.ts_nanos).unwrap_or(i64::MAX),
                        ))),
                    })?;
                }
                seq.end()
            }
            Self::Certs(certs) => {
                let mut seq = s.serialize_seq(Some(certs.len()))?;
                for c in *certs {
                    seq.serialize_element(&CertJson::new(c))?;
                }
                seq.end()
            }
        }
    }
}

#[derive(Serialize)]
struct PhaseJson {
    phase: Str<decode::tls::PhaseKind>,
    dir: &'static str,
    frame: u64,
    time: Str<Rfc3339>,
}

#[derive(Serialize)]
struct CertJson<'a> {
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    parse_error: Option<&'static str>,
    subject: &'a str,
    issuer: &'a str,
    common_names: &'a [String],
    san_dns: &'a [String],
    san_ip: &'a [std::net::IpAddr],
    not_before: Str<Rfc3339>,
    not_after: Str<Rfc3339>,
    serial: &'a str,
    sha256: String,
    self_signed: bool,
    is_ca: bool,
    der_len: usize,
}

impl<'a> CertJson<'a> {
    fn new(c: &'a CertInfo) -> Self {
        let secs = |s: i64| Rfc3339(capture::Timestamp { secs: s, nanos: 0 });
        Self {
            index: c.index,
            parse_error: c.parse_error,
            subject: &c.subject,
            issuer: &c.issuer,
            common_names: &c.common_names,
            san_dns: &c.san_dns,
            san_ip: &c.san_ip,
            not_before: Str(secs(c.not_before)),
            not_after: Str(secs(c.not_after)),
            serial: &c.serial_hex,
            sha256: c.sha256_hex(),
            self_signed: c.self_signed,
            is_ca: c.is_ca,
            der_len: c.der_len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        let mut v = Vec::new();
        for s in ["plain", "a,b", "say \"hi\"", "two\nlines", ""] {
            write_csv_field(&mut v, s).unwrap_or_default();
            v.push(b'|');
        }
        assert_eq!(
            String::from_utf8_lossy(&v),
            "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"||"
        );
    }

    /// The direct JSON writer prints exactly what serde_json prints for the same row.
    #[test]
    fn direct_json_equals_serde_json() {
        const NAMES: &[(&str, Kind)] = &[
            ("a", Kind::U64),
            ("b", Kind::Bool),
            ("c", Kind::Text),
            ("d", Kind::Time),
            ("e", Kind::F64),
            ("f", Kind::Text),
            ("g", Kind::U64),
            ("h", Kind::Text),
        ];
        let times = [
            0,
            1_704_067_200_123_456_789,
            -1,
            -1_000_000_000_000_000_000,
            i64::MAX,
            i64::MIN,
        ];
        for (k, t) in times.into_iter().enumerate() {
            let cells = [
                Cell::U64([0, 7, 10, 99, 100, u64::MAX][k]),
                if k % 2 == 0 {
                    Cell::Bool(true)
                } else {
                    Cell::Null
                },
                Cell::str(
                    [
                        "plain",
                        "quote \" and \\ back",
                        "tab\tand\u{1}",
                        "ünï",
                        "",
                        "/ and del \u{7f}",
                    ][k],
                ),
                Cell::Time(t),
                Cell::F64([0.0, 0.5, 1e-9, 123_456.789, f64::NAN, 3.0][k]),
                Cell::List(vec!["x".into(), "y\"z".into()]),
                Cell::Null,
                Cell::Ip(
                    [
                        "0.0.0.0",
                        "192.168.100.9",
                        "255.255.255.255",
                        "::",
                        "2001:db8::1",
                        "::ffff:10.0.0.1",
                    ][k]
                        .parse()
                        .unwrap(),
                ),
            ];
            let mut direct = Vec::new();
            write_json_row(&mut direct, &json_keys(NAMES), &cells).unwrap();
            let serde = serde_json::to_vec(&JsonRow {
                names: NAMES,
                cells: &cells,
            })
            .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&direct),
                String::from_utf8_lossy(&serde)
            );
        }
        // More numbers, one cell at a time.
        let floats = [
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            1e300,
            5e-324,
            0.1 + 0.2,
            0.032_981,
            86_400.000_000_001,
        ];
        let ints = [9, 10, 1_000_000, 4_294_967_296, 12_345_678_901_234_567_890];
        let cells = floats
            .into_iter()
            .map(|f| [Cell::F64(f)])
            .chain(ints.into_iter().map(|v| [Cell::U64(v)]));
        for (cell, names) in cells.zip([&NAMES[4..5]; 8].into_iter().chain([&NAMES[..1]; 5])) {
            let mut direct = Vec::new();
            write_json_row(&mut direct, &json_keys(names), &cell).unwrap();
            let serde = serde_json::to_vec(&JsonRow {
                names,
                cells: &cell,
            })
            .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&direct),
                String::from_utf8_lossy(&serde)
            );
        }
    }

    /// Addresses with zero runs of every length and position (ties too), IPv4-mapped and
    /// -compatible forms, and random ones, against std's `Display`.
    #[test]
    fn ipv6_text_matches_display() {
        let mut rng = samplegen::rng::SplitMix64::new(7);
        let mut next = || rng.next_u64();
        let mut cases: Vec<[u16; 8]> = Vec::new();
        // Every pattern of zero and non-zero groups, with varied non-zero values.
        let values = [1, 0xf, 0x10, 0xab, 0x100, 0xfff, 0x1000, 0xffff];
        for mask in 0..256usize {
            let mut g = [0u16; 8];
            for (i, v) in g.iter_mut().enumerate() {
                if mask & (1 << i) != 0 {
                    *v = values[(i + mask) % 8];
                }
            }
            cases.push(g);
        }
        cases.push([0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001]); // mapped
        cases.push([0, 0, 0, 0, 0, 0, 0x0a00, 0x0001]); // compatible (deprecated)
        cases.push([0, 0, 0, 0, 0, 0xfffe, 0x0a00, 0x0001]);
        cases.push([0, 0, 0, 0, 0xffff, 0, 0x0a00, 0x0001]);
        for _ in 0..5_000 {
            let v = (u128::from(next()) << 64) | u128::from(next());
            cases.push(Ipv6Addr::from(v).segments());
        }
        for g in cases {
            let a = Ipv6Addr::from(g);
            let mut text = Vec::new();
            ipv6_text(&mut text, a);
            assert_eq!(String::from_utf8(text).unwrap(), a.to_string());
        }
    }

    /// Every octet value in every position, against std's `Display`.
    #[test]
    fn ipv4_text_matches_display() {
        for o in 0..=255u8 {
            for a in [
                [o, 0, 0, 0],
                [1, o, 10, 100],
                [255, 99, o, 9],
                [10, 200, 5, o],
                [o, o, o, o],
            ] {
                let a = Ipv4Addr::from(a);
                let mut text = Vec::new();
                ipv4_text(&mut text, a);
                assert_eq!(String::from_utf8(text).unwrap(), a.to_string());
            }
        }
    }

    #[test]
    fn negative_times() {
        let t = timestamp(-1);
        assert_eq!((t.secs, t.nanos), (-1, 999_999_999));
    }
}
