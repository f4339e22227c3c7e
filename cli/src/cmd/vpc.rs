//! `flowsleuth explain` and `flowsleuth reach`: security groups and network ACLs.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use flowlogs::vpc::{
    open_to_world, reach, Dump, Explanation, Network, Query, ReachQuery, ReachSource,
};

/// `flowsleuth explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// AWS CLI `describe-*` JSON: a directory (read recursively) or a file; repeat for more.
    #[arg(long = "aws", value_name = "DIR|FILE", required = true)]
    pub(crate) aws: Vec<PathBuf>,
    /// The flow: `tcp 10.0.1.5:43512 -> 10.0.2.7:22`, `udp [2001:db8::1]:5353 -> [2001:db8::2]:53`,
    /// `icmp 10.0.1.5 -> 10.0.2.7 8/0` (type/code; default echo request).
    #[arg(value_name = "QUERY", value_parser = parse_query, conflicts_with = "queries",
          required_unless_present = "queries")]
    pub(crate) query: Option<Query>,
    /// Batch: a JSON-lines file of queries (`{"proto":"tcp","src":..,"src_port":..,"dst":..,
    /// "dst_port":..}`; `-` = standard input); one verdict per line, in order.
    #[arg(long, value_name = "FILE")]
    pub(crate) queries: Option<PathBuf>,
    /// One JSON document per query instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Detail every blocking step, not only the first.
    #[arg(long)]
    pub(crate) all_blockers: bool,
}

fn parse_query(s: &str) -> Result<Query, String> {
    s.parse::<Query>().map_err(|e| e.to_string())
}

fn parse_proto(s: &str) -> Result<u8, String> {
    match s.to_ascii_lowercase().as_str() {
        "tcp" => Ok(6),
        "udp" => Ok(17),
        "icmp" => Ok(1),
        "icmpv6" => Ok(58),
        n => n
            .parse()
            .map_err(|_| format!("unknown protocol {s:?} (tcp, udp, icmp, icmpv6 or 0-255)")),
    }
}

fn parse_from(s: &str) -> Result<ReachSource, String> {
    s.parse::<ReachSource>()
}

/// `flowsleuth reach`.
#[derive(Debug, Args)]
pub(crate) struct ReachArgs {
    /// AWS CLI `describe-*` JSON: a directory (read recursively) or a file; repeat for more.
    #[arg(long = "aws", value_name = "DIR|FILE", required = true)]
    pub(crate) aws: Vec<PathBuf>,
    /// The target: `eni-…`, `sg-…` (every interface in the group) or a private IP address.
    #[arg(
        long,
        value_name = "ENI|IP|SG",
        required_unless_present = "open_to_world"
    )]
    pub(crate) to: Option<String>,
    /// Only rules covering this port (with ICMP: this type).
    #[arg(long)]
    pub(crate) port: Option<u16>,
    /// Only rules covering this protocol (tcp, udp, icmp, icmpv6 or a number).
    #[arg(long, value_parser = parse_proto)]
    pub(crate) proto: Option<u8>,
    /// Only sources overlapping this CIDR, or `internet` (any public address).
    #[arg(long, value_parser = parse_from)]
    pub(crate) from: Option<ReachSource>,
    /// List every rule open to 0.0.0.0/0 or ::/0, worst first (all traffic, SSH/RDP,
    /// databases, ...); `--to` narrows it to one target.
    #[arg(long)]
    pub(crate) open_to_world: bool,
    /// JSON lines instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

fn load(paths: &[PathBuf]) -> anyhow::Result<Network> {
    let dump = Dump::load(paths)?;
    let net = Network::compile(dump);
    let mut err = io::stderr().lock();
    for n in net.notes() {
        writeln!(err, "flowsleuth: warning: {n}")?;
    }
    Ok(net)
}

/// Runs `flowsleuth explain`.
pub(crate) fn run_explain(args: &ExplainArgs) -> anyhow::Result<()> {
    let net = load(&args.aws)?;
    let mut out = BufWriter::new(io::stdout().lock());
    let emit = |out: &mut BufWriter<io::StdoutLock<'_>>, q: &Query| -> anyhow::Result<()> {
        let x = Explanation::new(&net, &net.evaluate(q));
        if args.json {
            serde_json::to_writer(&mut *out, &x)?;
            writeln!(out)?;
        } else {
            let mut s = String::new();
            x.write_text(&mut s, args.all_blockers)?;
            writeln!(out, "{s}")?;
        }
        Ok(())
    };
    if let Some(q) = &args.query {
        emit(&mut out, q)?;
    } else if let Some(path) = &args.queries {
        let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
            Box::new(BufReader::new(io::stdin().lock()))
        } else {
            Box::new(BufReader::new(
                File::open(path).with_context(|| path.display().to_string())?,
            ))
        };
        for (i, line) in reader.lines().enumerate() {
            let line = line.with_context(|| path.display().to_string())?;
            if line.trim().is_empty() {
                continue;
            }
            let where_ = || format!("{}:{}", path.display(), i + 1);
            let v: serde_json::Value = serde_json::from_str(&line).with_context(where_)?;
            let q = Query::from_json(&v).with_context(where_)?;
            emit(&mut out, &q)?;
        }
    } else {
        bail!("give a QUERY or --queries FILE");
    }
    out.flush()?;
    Ok(())
}

/// Runs `flowsleuth reach`.
pub(crate) fn run_reach(args: &ReachArgs) -> anyhow::Result<()> {
    let net = load(&args.aws)?;
    let mut out = BufWriter::new(io::stdout().lock());
    if args.open_to_world {
        let rows = open_to_world(&net, args.to.as_deref(), args.proto, args.port)?;
        for r in &rows {
            if args.json {
                serde_json::to_writer(&mut out, r)?;
                writeln!(out)?;
            } else {
                let services = if r.services.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", r.services.join(", "))
                };
                writeln!(
                    out,
                    "{} {} {} from {}{}  ({}; interfaces: {}; NACL also open: {})",
                    r.group_id,
                    r.protocol,
                    r.ports,
                    r.source,
                    services,
                    r.rule_source,
                    list(&r.interfaces),
                    list(&r.interfaces_nacl_open)
                )?;
            }
        }
        if rows.is_empty() && !args.json {
            writeln!(out, "no security-group rule is open to 0.0.0.0/0 or ::/0")?;
        }
    } else {
        let Some(to) = &args.to else {
            bail!("--to is required unless --open-to-world is given");
        };
        let q = ReachQuery {
            target: to.clone(),
            proto: args.proto,
            port: args.port,
            from: args.from.unwrap_or(ReachSource::Any),
        };
        let rows = reach(&net, &q)?;
        for r in &rows {
            if args.json {
                serde_json::to_writer(&mut out, r)?;
                writeln!(out)?;
            } else {
                let nacl = r
                    .nacl_rule
                    .as_ref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{} <- {} {} {} via {}; NACL: {}{}",
                    r.interface.as_deref().unwrap_or("-"),
                    r.source,
                    r.protocol,
                    r.ports,
                    r.group_id,
                    r.nacl,
                    nacl
                )?;
            }
        }
        if rows.is_empty() && !args.json {
            writeln!(out, "no security-group rule admits such traffic to {to}")?;
        }
    }
    out.flush()?;
    Ok(())
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}
