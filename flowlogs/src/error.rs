//! Errors: format strings, record lines, and reading files.

use std::path::PathBuf;

use crate::field::Field;

/// A format string, header line or `describe-flow-logs` dump that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// No fields at all.
    #[error("format names no fields")]
    Empty,
    /// A `--log-format` token that is not `${name}`.
    #[error("format token {0:?} is not ${{field-name}}")]
    BadToken(String),
    /// A field name with characters a field name cannot have.
    #[error("{0:?} is not a field name")]
    BadFieldName(String),
    /// More unknown fields than [`crate::field::MAX_UNKNOWN_FIELDS`].
    #[error("format has {0} unknown fields (at most 16 are kept)")]
    TooManyUnknown(usize),
    /// The `describe-flow-logs` JSON lacks what is needed.
    #[error("describe-flow-logs: {0}")]
    DescribeFlowLogs(String),
}

/// Why one value or line could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The line has fewer tokens than the format has fields.
    TooFewFields {
        /// Fields in the format.
        expected: usize,
        /// Tokens in the line.
        found: usize,
    },
    /// The line has more tokens than the format has fields.
    TooManyFields {
        /// Fields in the format.
        expected: usize,
        /// Tokens in the line.
        found: usize,
    },
    /// Not a number where a number belongs (or out of range).
    BadNumber,
    /// Not an IPv4 or IPv6 address.
    BadAddress,
    /// Not one of the values the field can take (e.g. action other than ACCEPT/REJECT).
    BadValue,
    /// The line is not UTF-8.
    NotUtf8,
    /// The input ended in the middle of the line or of a compressed stream.
    Truncated,
}

impl std::fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseErrorKind::TooFewFields { expected, found } => {
                write!(f, "too few fields: {found} of {expected}")
            }
            ParseErrorKind::TooManyFields { expected, found } => {
                write!(f, "too many fields: {found}, format has {expected}")
            }
            ParseErrorKind::BadNumber => f.write_str("not a number"),
            ParseErrorKind::BadAddress => f.write_str("not an IP address"),
            ParseErrorKind::BadValue => f.write_str("not a valid value"),
            ParseErrorKind::NotUtf8 => f.write_str("not UTF-8"),
            ParseErrorKind::Truncated => f.write_str("input truncated"),
        }
    }
}

/// A record line that cannot be parsed: where and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}{}: {kind}{}",
    .field.as_ref().map(|f| format!(", field {f}")).unwrap_or_default(),
    .value.as_ref().map(|v| format!(" ({v:?})")).unwrap_or_default())]
pub struct ParseRecordError {
    /// 1-based line number in its file (event number for CloudWatch JSON, row for Parquet).
    pub line: u64,
    /// The field at fault, when one is.
    pub field: Option<Field>,
    /// What is wrong.
    pub kind: ParseErrorKind,
    /// The offending token (at most 64 bytes of it), when there is one.
    pub value: Option<String>,
}

/// A bad line with the file it is in.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {error}", .path.display())]
pub struct BadLine {
    /// The file.
    pub path: PathBuf,
    /// The line and why.
    #[source]
    pub error: ParseRecordError,
}

/// Reading flow logs failed as a whole (not one bad line).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// Opening or reading a file failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file has no header line and no format was given.
    #[error("{}: no header line naming the fields; give the format with --log-format or --log-format-from (field order is never guessed)", .path.display())]
    NoFormat {
        /// The file.
        path: PathBuf,
    },
    /// A header line or format is unusable.
    #[error("{}: {source}", .path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: FormatError,
    },
    /// A JSON file is neither a CloudWatch Logs subscription envelope nor filter-log-events output.
    #[error("{}: {message}", .path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A Parquet file cannot be read (or Parquet support is not built in).
    #[error("{}: {message}", .path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A bad line in strict mode.
    #[error("{0} (strict mode)")]
    Strict(#[source] BadLine),
    /// The consumer of the records failed (e.g. writing output).
    #[error(transparent)]
    Sink(Box<dyn std::error::Error + Send + Sync + 'static>),
}
