//! Arguments of `flowsleuth flowlogs`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use flowlogs::query::{Filter, IpNet, SortKey};
use flowlogs::{Action, Field};

/// `flowsleuth flowlogs`.
#[derive(Debug, Args)]
pub(crate) struct FlowlogsArgs {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: FlowlogsCommand,
}

/// `flowsleuth flowlogs` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum FlowlogsCommand {
    /// Filter, group and rank flow-log records (top talkers, rejects, who reached what).
    Query(Box<QueryArgs>),
    /// Convert flow logs to Parquet with AWS's column names (one file, or a Hive tree by day).
    Convert(Box<ConvertArgs>),
    /// Evaluate every record against today's security groups and network ACLs (`--aws DIR`):
    /// verdict, deciding rule, and records whose logged action disagrees (drift).
    Explain(Box<ExplainArgs>),
}

/// Where records come from and how lines are read.
#[derive(Debug, Args)]
pub(crate) struct InputOpts {
    /// Files or directories (S3 export trees, plain or Hive-style): `.log`, `.log.gz`, Parquet,
    /// CloudWatch Logs JSON (subscription envelopes, `aws logs filter-log-events` output).
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    /// The record format of lines without a header line (CloudWatch Logs, headerless files):
    /// `'${version} ${account-id} ...'`, as given to `aws ec2 create-flow-logs --log-format`.
    #[arg(
        long,
        value_name = "'${FIELD} ...'",
        conflicts_with = "log_format_from"
    )]
    pub(crate) log_format: Option<String>,
    /// Take the record format from `aws ec2 describe-flow-logs` JSON output (the first flow
    /// log's LogFormat, or the one chosen with --flow-log-id).
    #[arg(long, value_name = "JSON")]
    pub(crate) log_format_from: Option<PathBuf>,
    /// With --log-format-from: which flow log.
    #[arg(long, value_name = "fl-...", requires = "log_format_from")]
    pub(crate) flow_log_id: Option<String>,
    /// Stop at the first bad line instead of reporting and skipping it.
    #[arg(long)]
    pub(crate) strict: bool,
}

/// Output format of `query`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OutFormat {
    /// Aligned columns.
    Table,
    /// One JSON object per line.
    Jsonl,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// Parquet (needs -o).
    Parquet,
}

fn parse_out_format(s: &str) -> Result<OutFormat, String> {
    if s.contains("${") {
        return Err(
            "--format is the output format (table, jsonl, csv, parquet); give the record format with --log-format '${...}'"
                .to_owned(),
        );
    }
    match s {
        "table" => Ok(OutFormat::Table),
        "jsonl" => Ok(OutFormat::Jsonl),
        "csv" => Ok(OutFormat::Csv),
        "parquet" => Ok(OutFormat::Parquet),
        _ => Err("expected table, jsonl, csv or parquet".to_owned()),
    }
}

/// Which records a query keeps.
#[derive(Debug, Args)]
pub(crate) struct FilterArgs {
    /// Only ACCEPT or REJECT records.
    #[arg(long, value_name = "accept|reject")]
    pub(crate) action: Option<String>,
    /// srcaddr inside this CIDR (or equal to this address).
    #[arg(long, value_name = "CIDR")]
    pub(crate) src: Option<String>,
    /// dstaddr inside this CIDR (or equal to this address).
    #[arg(long, value_name = "CIDR")]
    pub(crate) dst: Option<String>,
    /// srcport or dstport equals P.
    #[arg(long, value_name = "P")]
    pub(crate) port: Option<u16>,
    /// dstport equals P.
    #[arg(long, value_name = "P")]
    pub(crate) dst_port: Option<u16>,
    /// Protocol: tcp, udp, icmp, icmpv6 or a number.
    #[arg(long, value_name = "tcp|udp|icmp|N")]
    pub(crate) proto: Option<String>,
    /// interface-id equals this.
    #[arg(long, value_name = "eni-...")]
    pub(crate) eni: Option<String>,
    /// Records whose end is at or after this time (RFC 3339, a date, or Unix seconds).
    #[arg(long, value_name = "TIME")]
    pub(crate) since: Option<String>,
    /// Records whose start is at or before this time (RFC 3339, a date, or Unix seconds).
    #[arg(long, value_name = "TIME")]
    pub(crate) until: Option<String>,
    /// Public packet source (pkt-srcaddr, else srcaddr) to a private dstaddr.
    #[arg(long)]
    pub(crate) from_internet: bool,
    /// Traffic to or from AWS services (pkt-src/dst-aws-service set), or one service (S3).
    #[arg(long, value_name = "SERVICE", num_args = 0..=1, default_missing_value = "")]
    pub(crate) aws_service: Option<String>,
}

fn parse_net(s: &str) -> anyhow::Result<IpNet> {
    if let Ok(net) = s.parse::<IpNet>() {
        return Ok(net);
    }
    let addr: std::net::IpAddr = s
        .parse()
        .with_context(|| format!("{s:?} is not a CIDR or an address"))?;
    Ok(IpNet::from(addr))
}

impl FilterArgs {
    pub(crate) fn to_filter(&self) -> anyhow::Result<Filter> {
        let action = match self
            .action
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None => None,
            Some("accept") => Some(Action::Accept),
            Some("reject") => Some(Action::Reject),
            Some(other) => anyhow::bail!("--action {other}: expected accept or reject"),
        };
        let protocol = match self
            .proto
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None => None,
            Some("tcp") => Some(6),
            Some("udp") => Some(17),
            Some("icmp") => Some(1),
            Some("icmpv6") => Some(58),
            Some(n) => Some(
                n.parse::<u8>()
                    .with_context(|| format!("--proto {n}: expected tcp, udp, icmp or 0-255"))?,
            ),
        };
        Ok(Filter {
            action,
            src: self
                .src
                .as_deref()
                .map(parse_net)
                .transpose()
                .context("--src")?,
            dst: self
                .dst
                .as_deref()
                .map(parse_net)
                .transpose()
                .context("--dst")?,
            port: self.port,
            dst_port: self.dst_port,
            protocol,
            eni: self.eni.clone(),
            since: self
                .since
                .as_deref()
                .map(parse_time)
                .transpose()
                .context("--since")?,
            until: self
                .until
                .as_deref()
                .map(parse_time)
                .transpose()
                .context("--until")?,
            from_internet: self.from_internet,
            aws_service: self.aws_service.as_ref().map(|s| {
                if s.is_empty() {
                    None
                } else {
                    Some(s.clone())
                }
            }),
        })
    }
}

/// Unix seconds from `1700000000`, `2024-01-02`, `2024-01-02T03:04:05Z` or with an offset.
pub(crate) fn parse_time(s: &str) -> anyhow::Result<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    let bad = || {
        anyhow::anyhow!("{s:?}: expected RFC 3339 (2024-01-02T03:04:05Z), a date or Unix seconds")
    };
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> anyhow::Result<i64> {
        s.get(r).and_then(|t| t.parse::<i64>().ok()).ok_or_else(bad)
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let mut secs = days_from_civil(y, m, d) * 86_400;
    if b.len() == 10 {
        return Ok(secs);
    }
    if b.len() < 19 || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    secs += num(11..13)? * 3600 + num(14..16)? * 60 + num(17..19)?;
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[digits..];
    }
    match rest {
        "Z" | "z" | "" => Ok(secs),
        tz if tz.len() == 6 && (tz.starts_with('+') || tz.starts_with('-')) && &tz[3..4] == ":" => {
            let h: i64 = tz[1..3].parse().map_err(|_| bad())?;
            let mi: i64 = tz[4..6].parse().map_err(|_| bad())?;
            let off = h * 3600 + mi * 60;
            Ok(if tz.starts_with('+') {
                secs - off
            } else {
                secs + off
            })
        }
        _ => Err(bad()),
    }
}

/// Days since 1970-01-01 (Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_sort(s: &str) -> Result<SortKey, String> {
    match s {
        "bytes" => Ok(SortKey::Bytes),
        "packets" => Ok(SortKey::Packets),
        "records" => Ok(SortKey::Records),
        _ => Err("expected bytes, packets or records".to_owned()),
    }
}

/// `flowsleuth flowlogs query`.
#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    #[command(flatten)]
    pub(crate) input: InputOpts,
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
    /// Group by these columns (AWS Parquet names: srcaddr, dstaddr, dstport, interface_id,
    /// action, ...) and print records, packets and bytes per group. Without it, records are
    /// printed.
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    pub(crate) group_by: Vec<String>,
    /// Rank groups by this, descending (ties by the group columns ascending). Default: bytes.
    #[arg(long, value_name = "bytes|packets|records", value_parser = parse_sort)]
    pub(crate) sort: Option<SortKey>,
    /// At most N rows (groups, or records without --group-by).
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
    /// Output format: table, jsonl, csv or parquet (parquet needs -o).
    #[arg(long, value_name = "table|jsonl|csv|parquet", default_value = "table", value_parser = parse_out_format)]
    pub(crate) format: OutFormat,
    /// Write the result to this file instead of standard output.
    #[arg(short = 'o', value_name = "OUT")]
    pub(crate) output: Option<PathBuf>,
    /// Record columns to print without --group-by (default: the first file's fields).
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    pub(crate) columns: Vec<String>,
    /// Worker threads parsing text for --group-by (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    pub(crate) threads: Option<usize>,
    /// Add an `initiator` column to printed records: `src` (SYN), `dst` (SYN-ACK) or empty.
    #[arg(long)]
    pub(crate) initiator: bool,
    /// Preset: --group-by srcaddr,dstaddr --sort bytes --limit 10 (unless given).
    #[arg(long, conflicts_with_all = ["rejects_by_port", "rejects_by_source", "rejects_by_eni", "top_enis"])]
    pub(crate) top_talkers: bool,
    /// Preset: --group-by interface_id --sort bytes --limit 10.
    #[arg(long)]
    pub(crate) top_enis: bool,
    /// Preset: --action reject --group-by dstport --sort records --limit 10.
    #[arg(long)]
    pub(crate) rejects_by_port: bool,
    /// Preset: --action reject --group-by srcaddr --sort records --limit 10.
    #[arg(long)]
    pub(crate) rejects_by_source: bool,
    /// Preset: --action reject --group-by interface_id --sort records --limit 10.
    #[arg(long)]
    pub(crate) rejects_by_eni: bool,
}

/// A query after presets are applied.
pub(crate) struct Plan {
    pub(crate) group_by: Option<Vec<Field>>,
    pub(crate) sort: SortKey,
    pub(crate) limit: Option<usize>,
    pub(crate) format: OutFormat,
    pub(crate) columns: Option<Vec<Field>>,
}

fn fields(names: &[String], what: &str) -> anyhow::Result<Vec<Field>> {
    names
        .iter()
        .map(|n| {
            let f = Field::from_name(n.trim()).with_context(|| format!("{what} {n}"))?;
            if let Field::Unknown(name) = &f {
                anyhow::bail!("{what} {name}: not a flow-log field");
            }
            Ok(f)
        })
        .collect()
}

impl QueryArgs {
    pub(crate) fn plan(&self) -> anyhow::Result<Plan> {
        let preset: Option<(&[&str], SortKey)> = if self.top_talkers {
            Some((&["srcaddr", "dstaddr"], SortKey::Bytes))
        } else if self.top_enis {
            Some((&["interface-id"], SortKey::Bytes))
        } else if self.rejects_by_port {
            Some((&["dstport"], SortKey::Records))
        } else if self.rejects_by_source {
            Some((&["srcaddr"], SortKey::Records))
        } else if self.rejects_by_eni {
            Some((&["interface-id"], SortKey::Records))
        } else {
            None
        };
        let mut group_by = if self.group_by.is_empty() {
            None
        } else {
            Some(fields(&self.group_by, "--group-by")?)
        };
        let mut sort = self.sort.unwrap_or_default();
        let mut limit = self.limit;
        if let Some((cols, preset_sort)) = preset {
            if group_by.is_none() {
                let names: Vec<String> = cols.iter().map(|s| (*s).to_owned()).collect();
                group_by = Some(fields(&names, "preset")?);
            }
            sort = self.sort.unwrap_or(preset_sort);
            limit = limit.or(Some(10));
        }
        let columns = if self.columns.is_empty() {
            None
        } else {
            Some(fields(&self.columns, "--columns")?)
        };
        Ok(Plan {
            group_by,
            sort,
            limit,
            format: self.format,
            columns,
        })
    }

    /// Whether a reject preset is on (it sets --action reject).
    pub(crate) fn reject_preset(&self) -> bool {
        self.rejects_by_port || self.rejects_by_source || self.rejects_by_eni
    }
}

/// `flowsleuth flowlogs convert`.
#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    #[command(flatten)]
    pub(crate) input: InputOpts,
    /// The Parquet file to write, or with --partition the directory of the Hive tree.
    #[arg(short = 'o', value_name = "OUT", required = true)]
    pub(crate) output: PathBuf,
    /// Write a Hive-partitioned tree `OUT/year=YYYY/month=MM/day=DD/part-0.parquet` by `start`.
    #[arg(long)]
    pub(crate) partition: bool,
    /// Columns to write (default: the first file's fields).
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    pub(crate) columns: Vec<String>,
}

/// `flowsleuth flowlogs explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    #[command(flatten)]
    pub(crate) input: InputOpts,
    /// AWS CLI `describe-*` JSON (security groups, NACLs, interfaces, subnets, route tables):
    /// a directory (read recursively) or a file; repeat for more.
    #[arg(long = "aws", value_name = "DIR|FILE", required = true)]
    pub(crate) aws: Vec<PathBuf>,
    /// Output format: table, jsonl or csv.
    #[arg(long, value_name = "table|jsonl|csv", default_value = "table", value_parser = parse_out_format)]
    pub(crate) format: OutFormat,
    /// Write the result to this file instead of standard output.
    #[arg(short = 'o', value_name = "OUT")]
    pub(crate) output: Option<PathBuf>,
}

impl ConvertArgs {
    pub(crate) fn columns(&self) -> anyhow::Result<Option<Vec<Field>>> {
        if self.columns.is_empty() {
            Ok(None)
        } else {
            Ok(Some(fields(&self.columns, "--columns")?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        // 2024-01-02T03:04:05Z: 19724 days after the epoch (2024-01-02), worked out as
        // 54 years * 365 + 13 leap days (1972..2020) + 1 = 19724; then 3*3600 + 4*60 + 5.
        assert_eq!(
            parse_time("2024-01-02T03:04:05Z").unwrap(),
            19_724 * 86_400 + 11_045
        );
        assert_eq!(parse_time("2024-01-02").unwrap(), 19_724 * 86_400);
        assert_eq!(
            parse_time("2024-01-02T05:04:05+02:00").unwrap(),
            19_724 * 86_400 + 11_045
        );
        assert_eq!(parse_time("1418530010").unwrap(), 1_418_530_010);
        assert!(parse_time("yesterday").is_err());
    }
}
