//! `flowsleuth flowlogs explain`: every flow-log record evaluated against today's security
//! groups and network ACLs (`flowlogs::vpc`), with the deciding rule and, where the logged
//! action disagrees with the evaluation, the likely cause.
//!
//! Streaming: one row per record, in input order; the network is compiled once and each record
//! costs one allocation-free evaluation plus the output it writes.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::Path;

use anyhow::Context;
use flowlogs::read::{self, RecordSink, SinkError};
use flowlogs::record::{Action, LogStatus, TcpFlags};
use flowlogs::vpc::{
    proto, Decision, Dump, Evaluation, Missing, Network, Outcome, Query, RouteDest, RuleAction,
    StepKind,
};
use flowlogs::{BadLine, Field, FlowRecord, Format};

use super::args::{ExplainArgs, OutFormat};
use super::{read_options, Common};

/// How the record was oriented (who initiated the connection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Orientation {
    /// From `tcp-flags`: SYN alone (request) or SYN-ACK (reply).
    TcpFlags,
    /// From the ports: the lower port is the server's (when it is below 32768).
    Ports,
    /// Taken as logged: the record's source is the initiator.
    AsLogged,
}

impl Orientation {
    fn as_str(self) -> &'static str {
        match self {
            Orientation::TcpFlags => "tcp-flags",
            Orientation::Ports => "ports",
            Orientation::AsLogged => "as-logged",
        }
    }
}

/// Start of the ephemeral range most clients use (Linux 32768-60999, Windows 49152-65535).
const EPHEMERAL_START: u16 = 32768;

/// The query for a record, whether the record is the reply direction, and how that was
/// decided. `None` when the record lacks addresses or protocol.
fn orient(rec: &FlowRecord<'_>) -> Option<(Query, bool, Orientation)> {
    // Packet addresses when logged (reference fact 8): srcaddr/dstaddr show the interface's
    // primary address, which is not what a rule saw for secondary addresses, NAT or TGW ENIs.
    let src = rec.packet_source()?;
    let dst = rec.packet_destination()?;
    let p = rec.protocol?;
    if p == proto::ICMP || p == proto::ICMPV6 {
        // Flow logs carry no reliable ICMP type (ports are 0): take it as an echo request from
        // the record's source unless a type is logged in srcport.
        let (t, c) = match (rec.srcport, rec.dstport) {
            (Some(t @ 1..=255), Some(c)) => (t as u8, c.min(255) as u8),
            _ => (if p == proto::ICMP { 8 } else { 128 }, 0),
        };
        return Some((Query::icmp(src, dst, t, c), false, Orientation::AsLogged));
    }
    if p != proto::TCP && p != proto::UDP {
        return Some((Query::new(p, src, 0, dst, 0), false, Orientation::AsLogged));
    }
    let (sp, dp) = (rec.srcport?, rec.dstport?);
    let as_logged = Query::new(p, src, sp, dst, dp);
    let swapped = Query::new(p, dst, dp, src, sp);
    if p == proto::TCP {
        if let Some(flags) = rec.tcp_flags {
            if flags.contains(TcpFlags::SYN) {
                return Some(if flags.contains(TcpFlags::ACK) {
                    (swapped, true, Orientation::TcpFlags)
                } else {
                    (as_logged, false, Orientation::TcpFlags)
                });
            }
        }
    }
    if sp != dp && sp.min(dp) < EPHEMERAL_START {
        return Some(if sp < dp {
            // The source holds the service port: this record is the server's reply.
            (swapped, true, Orientation::Ports)
        } else {
            (as_logged, false, Orientation::Ports)
        });
    }
    Some((as_logged, false, Orientation::AsLogged))
}

/// Steps the record's packets depend on: a request crosses the forward path; a reply passes
/// only if the request did (connection tracking), so it depends on every step.
fn relevant_steps(reply: bool) -> usize {
    if reply {
        9
    } else {
        5
    }
}

/// `ALLOW`, `DENY`, `UNKNOWN` over the relevant steps, and the index of the deciding step.
fn decide(ev: &Evaluation<'_>, n: usize) -> (&'static str, Option<usize>) {
    let steps = &ev.steps[..n];
    if let Some(i) = steps.iter().position(|d| d.outcome() == Outcome::Block) {
        return ("DENY", Some(i));
    }
    if let Some(i) = steps.iter().position(|d| d.outcome() == Outcome::Unknown) {
        return ("UNKNOWN", Some(i));
    }
    // Allowed: the destination's security-group rule when one admits the request, else the
    // last step that passes by a rule.
    if let Decision::SgAllow(_) = steps[4] {
        return ("ALLOW", Some(4));
    }
    let i = steps.iter().rposition(|d| {
        matches!(
            d,
            Decision::SgAllow(_) | Decision::SgUntracked(_) | Decision::Route(..)
        ) || matches!(d, Decision::Nacl(e) if e.action == RuleAction::Allow)
    });
    ("ALLOW", i)
}

fn is_egress_step(k: StepKind) -> bool {
    matches!(k, StepKind::SrcSgEgress | StepKind::ReplyDstSgEgress)
}

fn is_nacl_step(k: StepKind) -> bool {
    matches!(
        k,
        StepKind::SrcNaclOut
            | StepKind::DstNaclIn
            | StepKind::ReplyDstNaclOut
            | StepKind::ReplySrcNaclIn
    )
}

/// The explanation code of a step (Reachability Analyzer's names where they match).
fn code(d: &Decision<'_>) -> Option<&'static str> {
    match d {
        Decision::SgNoMatch(_) => Some("ENI_SG_RULES_MISMATCH"),
        Decision::Nacl(e) if e.action == RuleAction::Deny => Some("SUBNET_ACL_RESTRICTION"),
        Decision::NaclDefault(..) => Some("SUBNET_ACL_RESTRICTION"),
        Decision::NoRoute(_) => Some("CANNOT_ROUTE"),
        Decision::Route(_, r) if r.state == "blackhole" => Some("BAD_STATE_ROUTE"),
        Decision::Unknown(m) => Some(match m {
            Missing::PrefixList(_) => "PREFIX_LIST_NOT_IN_DUMP",
            Missing::Group(_) => "SECURITY_GROUP_MEMBERS_UNKNOWN",
            Missing::Interface => "ENI_NOT_IN_DUMP",
            Missing::InterfaceGroup(_) => "SECURITY_GROUP_NOT_IN_DUMP",
            Missing::Nacl(_) => "NACL_NOT_IN_DUMP",
        }),
        _ => None,
    }
}

/// The deciding rule as text, in the words of `flowsleuth explain`.
fn write_rule(s: &mut String, k: StepKind, d: &Decision<'_>, q: &Query) -> std::fmt::Result {
    match d {
        Decision::SgAllow(r) => write!(s, "{r}"),
        Decision::SgUntracked(r) => write!(s, "{r} (untracked flow)"),
        Decision::SgTracked => s.write_str("connection tracking"),
        Decision::SgNoMatch(e) => {
            write!(s, "{} [", e.id)?;
            for (i, g) in e.groups.iter().enumerate() {
                if i > 0 {
                    s.write_str(", ")?;
                }
                s.write_str(g)?;
            }
            write!(
                s,
                "]: no {} rule matches",
                if is_egress_step(k) {
                    "egress"
                } else {
                    "ingress"
                }
            )
        }
        Decision::Nacl(e) => write!(s, "{e}"),
        Decision::NaclDefault(a, n) => {
            // Worded like an entry the dump lists (`NaclEntry`'s Display), so an implicit `*`
            // reads the same as an explicit one.
            let (dir, peer) = if matches!(k, StepKind::SrcNaclOut | StepKind::ReplyDstNaclOut) {
                ("outbound", "to")
            } else {
                ("inbound", "from")
            };
            let cidr = if *n == 32768 { "::/0" } else { "0.0.0.0/0" };
            write!(
                s,
                "{} {dir} rule * ({n}): deny all traffic {peer} {cidr}",
                a.id
            )
        }
        Decision::Route(t, r) => {
            s.write_str(&t.id)?;
            s.write_str(": route ")?;
            match &r.dest {
                RouteDest::Cidr(n) => write!(s, "{n}")?,
                RouteDest::PrefixList(p) => s.write_str(p)?,
            }
            write!(s, " -> {}", r.target)?;
            if r.state == "blackhole" {
                s.write_str(" (blackhole)")?;
            }
            Ok(())
        }
        Decision::NoRoute(t) => write!(s, "{}: no route matches {}", t.id, q.dst),
        Decision::Skipped(_) => Ok(()),
        Decision::Unknown(m) => match m {
            Missing::PrefixList(r) => write!(s, "{r}: entries of {} not in the dump", r.peer),
            Missing::Group(r) => write!(s, "{r}: members of {} unknown", r.peer),
            Missing::Interface => s.write_str("no interface in the dump holds the address"),
            Missing::InterfaceGroup(g) => write!(s, "{g} not in the dump"),
            Missing::Nacl(sn) => write!(s, "no network ACL for {} in the dump", sn.id),
        },
    }
}

/// Why a logged action may differ from today's evaluation (reference sections 1.8 and 2.6).
fn drift_cause(logged: Action, step: Option<StepKind>, rec: &FlowRecord<'_>) -> &'static str {
    match logged {
        Action::Accept => match step {
            Some(k) if is_nacl_step(k) => {
                "network ACL entry added or changed since the record (NACLs are stateless: a \
                 change applies at once, also to tracked connections; reference 2.6)"
            }
            Some(StepKind::Route) => "route changed since the record",
            _ => {
                "security-group rule removed or changed since the record, or a tracked \
                 connection outlived the rule removal (tracked connections survive until they \
                 time out; reference 2.6)"
            }
        },
        Action::Reject => {
            if rec.reject_reason.is_some() {
                "reject-reason set: rejected by a control outside security groups and network \
                 ACLs (e.g. VPC Block Public Access)"
            } else if rec
                .tcp_flags
                .is_some_and(|f| f.intersects(TcpFlags::FIN | TcpFlags::RST))
            {
                "late packets after the connection closed (FIN/RST stragglers; reference 1.8), \
                 or a rule added since the record"
            } else {
                "rule added since the record, late packets after the connection closed \
                 (FIN/RST stragglers; reference 1.8), or a cause outside security groups and \
                 network ACLs (VPC Block Public Access, Network Firewall: see reject-reason)"
            }
        }
    }
}

/// Counts for the summary.
#[derive(Default)]
struct Counts {
    evaluated: u64,
    agree: u64,
    accept_denied: u64,
    reject_allowed: u64,
    undecided: u64,
    no_address: u64,
}

/// One output row, borrowed.
struct Row<'r, 'a> {
    rec: &'r FlowRecord<'a>,
    orientation: Orientation,
    query: &'r Query,
    evaluated: &'static str,
    step: Option<StepKind>,
    rule: &'r str,
    code: Option<&'static str>,
    agrees: Option<bool>,
    drift: Option<&'static str>,
}

const KEY_COLUMNS: [&str; 8] = [
    "start",
    "interface_id",
    "srcaddr",
    "srcport",
    "dstaddr",
    "dstport",
    "protocol",
    "action",
];
const EXPLAIN_COLUMNS: [&str; 8] = [
    "orientation",
    "flow",
    "evaluated",
    "deciding_step",
    "deciding_rule",
    "code",
    "agrees",
    "drift_cause",
];

/// A cell value.
enum Cell<'c> {
    Null,
    Int(i64),
    Ip(IpAddr),
    Str(&'c str),
    Bool(bool),
    Flow(&'c Query),
}

fn write_flow(w: &mut dyn Write, q: &Query) -> io::Result<()> {
    let name = match q.proto {
        proto::TCP => "tcp",
        proto::UDP => "udp",
        proto::ICMP => "icmp",
        proto::ICMPV6 => "icmpv6",
        _ => "",
    };
    let ep = |w: &mut dyn Write, a: IpAddr, p: u16| -> io::Result<()> {
        match a {
            IpAddr::V6(_) => write!(w, "[{a}]:{p}"),
            IpAddr::V4(_) => write!(w, "{a}:{p}"),
        }
    };
    if name.is_empty() {
        write!(w, "{} {} -> {}", q.proto, q.src, q.dst)
    } else if q.is_icmp() {
        write!(
            w,
            "{name} {} -> {} {}/{}",
            q.src, q.dst, q.src_port, q.dst_port
        )
    } else {
        write!(w, "{name} ")?;
        ep(w, q.src, q.src_port)?;
        w.write_all(b" -> ")?;
        ep(w, q.dst, q.dst_port)
    }
}

/// Writes rows as table, JSON lines or CSV.
struct RowWriter {
    format: OutFormat,
    w: Box<dyn Write>,
    flow_direction: bool,
    header_done: bool,
    buf: Vec<u8>,
}

impl RowWriter {
    fn header(&mut self) -> io::Result<()> {
        if self.header_done {
            return Ok(());
        }
        self.header_done = true;
        let names = KEY_COLUMNS
            .iter()
            .chain(self.flow_direction.then_some(&"flow_direction"))
            .chain(EXPLAIN_COLUMNS.iter());
        match self.format {
            OutFormat::Csv => {
                for (i, n) in names.enumerate() {
                    if i > 0 {
                        self.w.write_all(b",")?;
                    }
                    self.w.write_all(n.as_bytes())?;
                }
                self.w.write_all(b"\n")
            }
            OutFormat::Table => {
                for (i, n) in names.enumerate() {
                    if i > 0 {
                        self.w.write_all(b" ")?;
                    }
                    if *n == "drift_cause" {
                        self.w.write_all(n.as_bytes())?;
                    } else {
                        write!(self.w, "{n:<width$}", width = table_width(n))?;
                    }
                }
                self.w.write_all(b"\n")
            }
            OutFormat::Jsonl | OutFormat::Parquet => Ok(()),
        }
    }

    fn row(&mut self, r: &Row<'_, '_>) -> io::Result<()> {
        self.header()?;
        let rec = r.rec;
        let opt_int = |v: Option<i64>| v.map_or(Cell::Null, Cell::Int);
        let opt_str = |v: Option<&'static str>| v.map_or(Cell::Null, Cell::Str);
        let mut cells: [(&str, Cell<'_>); 17] = [
            ("start", opt_int(rec.start)),
            (
                "interface_id",
                rec.interface_id.map_or(Cell::Null, Cell::Str),
            ),
            ("srcaddr", rec.srcaddr.map_or(Cell::Null, Cell::Ip)),
            ("srcport", opt_int(rec.srcport.map(i64::from))),
            ("dstaddr", rec.dstaddr.map_or(Cell::Null, Cell::Ip)),
            ("dstport", opt_int(rec.dstport.map(i64::from))),
            ("protocol", opt_int(rec.protocol.map(i64::from))),
            ("action", opt_str(rec.action.map(Action::as_str))),
            (
                "flow_direction",
                opt_str(rec.flow_direction.map(|d| d.as_str())),
            ),
            ("orientation", Cell::Str(r.orientation.as_str())),
            ("flow", Cell::Flow(r.query)),
            ("evaluated", Cell::Str(r.evaluated)),
            ("deciding_step", opt_str(r.step.map(StepKind::as_str))),
            (
                "deciding_rule",
                if r.rule.is_empty() {
                    Cell::Null
                } else {
                    Cell::Str(r.rule)
                },
            ),
            ("code", opt_str(r.code)),
            ("agrees", r.agrees.map_or(Cell::Null, Cell::Bool)),
            ("drift_cause", opt_str(r.drift)),
        ];
        if !self.flow_direction {
            cells[8].0 = "";
        }
        let w: &mut dyn Write = &mut *self.w;
        let mut first = true;
        match self.format {
            OutFormat::Jsonl => w.write_all(b"{")?,
            OutFormat::Csv | OutFormat::Table | OutFormat::Parquet => {}
        }
        for (name, cell) in &cells {
            if name.is_empty() {
                continue;
            }
            if !first {
                w.write_all(match self.format {
                    OutFormat::Table => b" ",
                    _ => b",",
                })?;
            }
            first = false;
            match self.format {
                OutFormat::Jsonl => {
                    write!(w, "\"{name}\":")?;
                    match cell {
                        Cell::Null => w.write_all(b"null")?,
                        Cell::Int(n) => write!(w, "{n}")?,
                        Cell::Bool(b) => write!(w, "{b}")?,
                        Cell::Ip(ip) => write!(w, "\"{ip}\"")?,
                        Cell::Str(s) => serde_json::to_writer(&mut *w, s)?,
                        Cell::Flow(q) => {
                            w.write_all(b"\"")?;
                            write_flow(w, q)?;
                            w.write_all(b"\"")?;
                        }
                    }
                }
                OutFormat::Csv | OutFormat::Parquet => match cell {
                    Cell::Null => {}
                    Cell::Int(n) => write!(w, "{n}")?,
                    Cell::Bool(b) => write!(w, "{b}")?,
                    Cell::Ip(ip) => write!(w, "{ip}")?,
                    Cell::Str(s) => csv_field(w, s)?,
                    Cell::Flow(q) => write_flow(w, q)?,
                },
                OutFormat::Table => {
                    self.buf.clear();
                    match cell {
                        Cell::Null => self.buf.push(b'-'),
                        Cell::Int(n) => write!(self.buf, "{n}")?,
                        Cell::Bool(b) => write!(self.buf, "{b}")?,
                        Cell::Ip(ip) => write!(self.buf, "{ip}")?,
                        Cell::Str(s) => self.buf.extend_from_slice(s.as_bytes()),
                        Cell::Flow(q) => write_flow(&mut self.buf, q)?,
                    }
                    w.write_all(&self.buf)?;
                    if *name != "drift_cause" {
                        let pad = table_width(name).saturating_sub(self.buf.len());
                        write!(w, "{:pad$}", "")?;
                    }
                }
            }
        }
        match self.format {
            OutFormat::Jsonl => w.write_all(b"}\n"),
            _ => w.write_all(b"\n"),
        }
    }
}

/// CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF.
fn csv_field(w: &mut dyn Write, s: &str) -> io::Result<()> {
    if s.contains([',', '"', '\n', '\r']) {
        w.write_all(b"\"")?;
        for part in s.split('"').enumerate() {
            if part.0 > 0 {
                w.write_all(b"\"\"")?;
            }
            w.write_all(part.1.as_bytes())?;
        }
        w.write_all(b"\"")
    } else {
        w.write_all(s.as_bytes())
    }
}

fn table_width(name: &str) -> usize {
    match name {
        "srcaddr" | "dstaddr" => 15,
        "interface_id" => 21,
        "start" => 10,
        "flow" => 44,
        "deciding_step" => 31,
        "code" => 22,
        "orientation" => 11,
        "evaluated" => 9,
        "deciding_rule" => 60,
        _ => name.len().max(6),
    }
}

struct ExplainSink<'s> {
    common: &'s Common,
    net: &'s Network,
    out: RowWriter,
    counts: Counts,
    rule: String,
}

impl ExplainSink<'_> {
    fn explain(&mut self, rec: &FlowRecord<'_>) -> Result<(), SinkError> {
        let Some((q, reply, orientation)) = orient(rec) else {
            self.counts.no_address += 1;
            return Ok(());
        };
        let ev = self.net.evaluate_on(&q, rec.interface_id);
        let (evaluated, at) = decide(&ev, relevant_steps(reply));
        let step = at.map(|i| StepKind::ALL[i]);
        self.rule.clear();
        let mut code_ = None;
        if let (Some(i), Some(k)) = (at, step) {
            let d = &ev.steps[i];
            write_rule(&mut self.rule, k, d, &q)?;
            code_ = code(d);
        }
        self.counts.evaluated += 1;
        let agrees = match (rec.action, evaluated) {
            (Some(Action::Accept), "ALLOW") | (Some(Action::Reject), "DENY") => Some(true),
            (Some(Action::Accept), "DENY") | (Some(Action::Reject), "ALLOW") => Some(false),
            _ => None,
        };
        let drift = match (agrees, rec.action) {
            (Some(false), Some(a)) => Some(drift_cause(a, step, rec)),
            _ => None,
        };
        match (agrees, rec.action) {
            (Some(true), _) => self.counts.agree += 1,
            (Some(false), Some(Action::Accept)) => self.counts.accept_denied += 1,
            (Some(false), _) => self.counts.reject_allowed += 1,
            (None, _) => self.counts.undecided += 1,
        }
        self.out.row(&Row {
            rec,
            orientation,
            query: &q,
            evaluated,
            step,
            rule: &self.rule,
            code: code_,
            agrees,
            drift,
        })?;
        Ok(())
    }
}

impl RecordSink for ExplainSink<'_> {
    fn start_file(&mut self, _path: &Path, format: &Format) -> Result<(), SinkError> {
        if !self.out.header_done {
            self.out.flow_direction = format.fields().contains(&Field::FlowDirection);
        }
        Ok(())
    }
    fn record(&mut self, rec: &FlowRecord<'_>) -> Result<(), SinkError> {
        // NODATA/SKIPDATA are counted by the reader; they carry no flow.
        if matches!(
            rec.log_status,
            Some(LogStatus::NoData | LogStatus::SkipData)
        ) {
            return Ok(());
        }
        self.explain(rec)
    }
    fn bad_line(&mut self, bad: &BadLine) {
        self.common.bad_line(bad);
    }
    fn progress(&mut self, bytes: u64) {
        self.common.bar.inc(bytes);
    }
}

/// Runs `flowsleuth flowlogs explain`.
pub(crate) fn run(args: &ExplainArgs) -> anyhow::Result<()> {
    if args.format == OutFormat::Parquet {
        anyhow::bail!("flowlogs explain writes table, jsonl or csv");
    }
    let opts = read_options(&args.input)?;
    let dump = Dump::load(&args.aws).context("--aws")?;
    let net = Network::compile(dump);
    {
        let mut err = io::stderr().lock();
        for n in net.notes() {
            writeln!(err, "flowsleuth: warning: {n}")?;
        }
    }
    let w: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(io::BufWriter::with_capacity(
            1 << 16,
            std::fs::File::create(p).with_context(|| p.display().to_string())?,
        )),
        None => Box::new(crate::cmd::stdout()),
    };
    let common = Common::new(&args.input)?;
    let mut sink = ExplainSink {
        common: &common,
        net: &net,
        out: RowWriter {
            format: args.format,
            w,
            flow_direction: false,
            header_done: false,
            buf: Vec::with_capacity(128),
        },
        counts: Counts::default(),
        rule: String::with_capacity(256),
    };
    let stats = read::read_paths(&args.input.paths, &opts, &mut sink)?;
    sink.out.w.flush()?;
    common.bar.finish_and_clear();
    let c = &sink.counts;
    writeln!(
        io::stderr().lock(),
        "flowlogs explain: {} files, {} records read ({} NODATA, {} SKIPDATA and {} without addresses skipped), {} transit-gateway records kept apart, {} bad lines skipped; {} evaluated: {} agree, {} disagree ({} logged ACCEPT but denied today, {} logged REJECT but allowed today), {} undecided",
        stats.files,
        stats.records,
        stats.nodata,
        stats.skipdata,
        c.no_address,
        stats.transit_gateway,
        stats.bad_lines,
        c.evaluated,
        c.agree,
        c.accept_denied + c.reject_allowed,
        c.accept_denied,
        c.reject_allowed,
        c.undecided,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(sp: u16, dp: u16, flags: Option<u16>) -> FlowRecord<'static> {
        FlowRecord {
            srcaddr: Some([10, 0, 0, 1].into()),
            dstaddr: Some([10, 0, 0, 2].into()),
            srcport: Some(sp),
            dstport: Some(dp),
            protocol: Some(6),
            tcp_flags: flags.map(TcpFlags::from_bits_retain),
            ..FlowRecord::default()
        }
    }

    #[test]
    fn orientation_rules() {
        // SYN alone: as logged; SYN-ACK (18) and SYN-ACK+FIN (19): swapped.
        let (q, reply, o) = orient(&rec(40000, 22, Some(2))).unwrap();
        assert_eq!(
            (q.src_port, q.dst_port, reply, o),
            (40000, 22, false, Orientation::TcpFlags)
        );
        let (q, reply, o) = orient(&rec(22, 40000, Some(19))).unwrap();
        assert_eq!(
            (q.src_port, q.dst_port, reply, o),
            (40000, 22, true, Orientation::TcpFlags)
        );
        // FIN/ACK-only: ports; the lower (below 32768) is the server.
        let (q, reply, o) = orient(&rec(443, 51000, Some(1))).unwrap();
        assert_eq!(
            (q.src_port, q.dst_port, reply, o),
            (51000, 443, true, Orientation::Ports)
        );
        let (q, reply, o) = orient(&rec(51000, 8080, None)).unwrap();
        assert_eq!(
            (q.src_port, q.dst_port, reply, o),
            (51000, 8080, false, Orientation::Ports)
        );
        // Both ephemeral, or equal: as logged.
        let (q, reply, o) = orient(&rec(50000, 40000, None)).unwrap();
        assert_eq!(
            (q.src_port, q.dst_port, reply, o),
            (50000, 40000, false, Orientation::AsLogged)
        );
        let (_, _, o) = orient(&rec(53, 53, None)).unwrap();
        assert_eq!(o, Orientation::AsLogged);
        // No protocol: not evaluable.
        let mut r = rec(1, 2, None);
        r.protocol = None;
        assert!(orient(&r).is_none());
    }
}
