//! AWS VPC Flow Logs and an offline security-group / network-ACL evaluator.
//!
//! - Flow-log records: every version (2 to 11, and transit-gateway version 6 records kept
//!   apart), custom formats, text/gzip/CloudWatch JSON/Parquet delivery shapes.
//!   [`Format`] says what each token of a line is (from a header line, a `${...}` format
//!   string or a `describe-flow-logs` dump; never guessed from the token count),
//!   [`LineParser`] turns a line into a typed [`FlowRecord`] without allocating, [`read`]
//!   streams files and S3 trees into a [`read::RecordSink`], and [`query`] filters and groups.
//! - [`vpc`]: security groups and network ACLs from `aws ec2 describe-*` JSON dumps, compiled
//!   once into an index, evaluated per flow with the deciding rules named.
//!
//! Polars is used in one module only (`table`, feature `polars`); nothing else imports it.
//!
//! ```
//! use flowlogs::{Format, LineParser, Parsed, Action};
//!
//! let parser = LineParser::new(Format::default_v2());
//! let line = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
//! let Parsed::Record(rec) = parser.parse_line(line, 1)? else { panic!() };
//! assert_eq!(rec.dstport, Some(22));
//! assert_eq!(rec.action, Some(Action::Accept));
//! # Ok::<(), flowlogs::ParseRecordError>(())
//! ```

pub mod error;
pub mod field;
mod groupmap;
pub mod parse;
pub mod query;
pub mod read;
pub mod record;
#[cfg(feature = "polars")]
pub mod table;
pub mod vpc;

pub use error::{BadLine, FormatError, ParseErrorKind, ParseRecordError, ReadError};
pub use field::{Field, FieldKind, Format, ALL_FIELDS};
pub use parse::{LineKind, LineParser, Parsed};
pub use record::{
    Action, FlowDirection, FlowRecord, Initiator, LogStatus, TcpFlags, TrafficPath, TrafficType,
    Value,
};
