//! AWS VPC Flow Logs and an offline security-group / network-ACL evaluator.
//!
//! - Flow-log records: every version (2 to 11, and transit-gateway version 6 records kept
//!   apart), custom formats, text/gzip/CloudWatch JSON/Parquet delivery shapes.
//! - [`vpc`]: security groups and network ACLs from `aws ec2 describe-*` JSON dumps, compiled
//!   once into an index, evaluated per flow with the deciding rules named.
//!
//! Polars is used in one module only (`table`, feature `polars`); nothing else imports it.

pub mod vpc;
