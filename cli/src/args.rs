//! Command-line arguments (clap derive). Typed values only; validation that clap cannot do
//! happens in the command handlers, before any packet is read.

use std::num::NonZeroU64;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Packet-level network forensics and flow analysis.
#[derive(Debug, Parser)]
#[command(name = "flowsleuth", version, about, long_about = None)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print the packets of a pcap or pcapng file (plain or gzip), one line each, like `tcpdump -nr`.
    Read(ReadArgs),
    /// Capture live from an interface through libpcap, printing like `read` or writing pcap files.
    Capture(CaptureArgs),
    /// One record per connection (TCP, UDP, ICMP, other IP): Zeek-style conn_state and
    /// history, packets and bytes per direction, reassembly evidence, and TLS names.
    Flows(FlowsArgs),
    /// One record per TLS connection: SNI, versions, ciphers, ALPN, groups, JA3/JA3S/JA4,
    /// handshake phases and the server certificate chain.
    Tls(TlsArgs),
    /// AWS VPC Flow Logs: query (top talkers, rejects, who reached what) and convert to Parquet.
    Flowlogs(crate::cmd::flowlogs::FlowlogsArgs),
    /// Which security-group and network-ACL rules allow or deny a flow, from `aws ec2
    /// describe-*` JSON dumps, step by step in both directions.
    Explain(crate::cmd::vpc::ExplainArgs),
    /// Which sources can reach a target (ENI, IP or security group), through which rules.
    Reach(crate::cmd::vpc::ReachArgs),
}

/// How packets are printed.
#[derive(Debug, Args)]
pub(crate) struct PrintArgs {
    /// Print the link-level header (MAC addresses, VLAN tags, SLL fields) on each line.
    #[arg(short = 'e')]
    pub(crate) link_level: bool,
    /// Print one JSON object per packet (stable field names, see README) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Accepted for tcpdump compatibility: flowsleuth never resolves names.
    #[arg(short = 'n')]
    pub(crate) numeric: bool,
}

/// `flowsleuth read`.
#[derive(Debug, Args)]
pub(crate) struct ReadArgs {
    /// The capture to read: pcap or pcapng, optionally gzip-compressed; `-` reads standard input.
    #[arg(short = 'r', value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Stop after printing this many packets (after the filter).
    #[arg(short = 'c', value_name = "COUNT")]
    pub(crate) count: Option<NonZeroU64>,
    #[command(flatten)]
    pub(crate) print: PrintArgs,
    /// Decode every packet but print only the closing summary (counts of packets, truncated
    /// and malformed frames).
    #[arg(long, conflicts_with_all = ["json", "link_level"])]
    pub(crate) summary: bool,
    /// A BPF filter expression, as tcpdump takes it (compiled by libpcap).
    #[arg(
        value_name = "FILTER",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub(crate) filter: Vec<String>,
}

/// `flowsleuth capture`.
#[derive(Debug, Args)]
pub(crate) struct CaptureArgs {
    /// Interface to capture on (`any` for all interfaces, Linux cooked SLL2).
    #[arg(
        short = 'i',
        value_name = "IFACE",
        required_unless_present = "list_interfaces"
    )]
    pub(crate) interface: Option<String>,
    /// List the interfaces libpcap can capture on, and exit.
    #[arg(short = 'D', long = "list-interfaces")]
    pub(crate) list_interfaces: bool,
    /// Write raw packets to this pcap file instead of printing them.
    #[arg(short = 'w', value_name = "FILE")]
    pub(crate) write: Option<PathBuf>,
    /// Stop after this many packets.
    #[arg(short = 'c', value_name = "COUNT")]
    pub(crate) count: Option<NonZeroU64>,
    /// Snapshot length: bytes kept of each packet.
    #[arg(short = 's', value_name = "SNAPLEN", default_value_t = 262_144,
          value_parser = clap::value_parser!(i32).range(1..=262_144))]
    pub(crate) snaplen: i32,
    /// Kernel capture buffer size in KiB (libpcap's default is 2 MiB); raise it when the
    /// closing statistics report packets dropped by the kernel.
    #[arg(short = 'B', value_name = "KIB", value_parser = clap::value_parser!(i32).range(1..=4_194_304))]
    pub(crate) buffer_kib: Option<i32>,
    /// Do not put the interface into promiscuous mode.
    #[arg(short = 'p')]
    pub(crate) no_promisc: bool,
    /// With -w: start a new file when the current one would exceed this many millions of bytes.
    #[arg(short = 'C', value_name = "MB", requires = "write")]
    pub(crate) file_size_mb: Option<NonZeroU64>,
    /// With -w: start a new file every this many seconds (the file name may hold strftime codes).
    #[arg(short = 'G', value_name = "SECONDS", requires = "write")]
    pub(crate) rotate_seconds: Option<NonZeroU64>,
    /// With -C: keep at most this many files (a ring); with -G: stop after this many files.
    #[arg(short = 'W', value_name = "FILES", requires = "write",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) file_count: Option<u32>,
    #[command(flatten)]
    pub(crate) print: PrintArgs,
    /// A BPF filter expression, as tcpdump takes it (compiled by libpcap, applied in the kernel).
    #[arg(
        value_name = "FILTER",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub(crate) filter: Vec<String>,
}

/// Where packets come from (`flows`, `tls`): a file or a live interface.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct InputArgs {
    /// The capture to read: pcap or pcapng, optionally gzip-compressed; `-` reads standard input.
    #[arg(short = 'r', value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
    /// Capture live from this interface (libpcap) until Ctrl-C.
    #[arg(short = 'i', value_name = "IFACE")]
    pub(crate) interface: Option<String>,
}

/// Record output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum RecordFormat {
    /// Aligned columns for a terminal (a subset of the fields).
    Table,
    /// One JSON object per line, every field (stable names, see README).
    Jsonl,
    /// RFC 4180 CSV with a header line: every scalar field; lists joined with `;`.
    Csv,
    /// One Parquet file (needs -o): the CSV columns, typed.
    Parquet,
}

/// Where and how records are written.
#[derive(Debug, Args)]
pub(crate) struct RecordOutArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RecordFormat::Table)]
    pub(crate) format: RecordFormat,
    /// Write the records to this file instead of standard output.
    #[arg(short = 'o', value_name = "OUT")]
    pub(crate) output: Option<PathBuf>,
}

/// What `flows` and `tls` share: input, output, threads and the filter.
#[derive(Debug, Args)]
pub(crate) struct AnalyzeArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    #[command(flatten)]
    pub(crate) out: RecordOutArgs,
    /// Threads for a capture file (plain pcap or pcapng; not standard input, pipes, gzip or
    /// `--format parquet`): connections are split between them by address pair, output is
    /// deterministic. Default: the number of CPUs, at most 4, for files of 32 MiB or more;
    /// 1 reads on one thread.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16))]
    pub(crate) threads: Option<u16>,
    /// A BPF filter expression, as tcpdump takes it (compiled by libpcap).
    #[arg(
        value_name = "FILTER",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub(crate) filter: Vec<String>,
}

/// `flowsleuth flows`.
#[derive(Debug, Args)]
pub(crate) struct FlowsArgs {
    #[command(flatten)]
    pub(crate) common: AnalyzeArgs,
    /// Seconds without a packet after which a TCP connection ends (Zeek's default: 300).
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub(crate) idle_timeout_tcp: u64,
    /// Seconds without a packet after which a UDP flow ends (Zeek's default: 60).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub(crate) idle_timeout_udp: u64,
    /// Seconds without a packet after which an ICMP or other-protocol flow ends (default: 60).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub(crate) idle_timeout_other: u64,
    /// Most connections tracked at once; at the cap the least recently seen one is ended
    /// early (end reason `evicted`).
    #[arg(long, value_name = "N", default_value_t = 1 << 18,
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub(crate) max_flows: u64,
}

/// `flowsleuth tls`.
#[derive(Debug, Args)]
pub(crate) struct TlsArgs {
    #[command(flatten)]
    pub(crate) common: AnalyzeArgs,
}

/// Joins the filter words as tcpdump does (`tcp port 443` may come as one or three words).
pub(crate) fn filter_expr(words: &[String]) -> Option<String> {
    let expr = words.join(" ");
    let trimmed = expr.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}
