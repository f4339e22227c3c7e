//! Subcommand handlers: open a source, call the libraries, write to stdout/stderr.

pub(crate) mod analyze;
pub(crate) mod capture;
pub(crate) mod flowlogs;
pub(crate) mod read;
pub(crate) mod vpc;

use std::io::{self, BufWriter, Write};

use ::capture::{PacketRef, PacketSource};

use crate::output::{PacketFormat, Tally};

/// Where packets go.
pub(crate) enum Sink<W: Write> {
    /// Printed, one line each.
    Print {
        /// The buffered standard output.
        out: W,
        /// Text or JSON.
        format: PacketFormat,
    },
    /// Decoded and counted, not printed (`read --summary`).
    Discard,
    /// Written raw to pcap files (`capture -w`).
    #[cfg(feature = "libpcap")]
    Write(Box<::capture::RotatingWriter>),
}

/// Stops a capture when a `-c` count or the writer's file limit is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Keep reading.
    Continue,
    /// Stop reading.
    Stop,
}

/// Runs the read → filter → decode → output loop shared by `read` and `capture`.
///
/// `on_packet` is called after each frame read (for progress).
pub(crate) fn pump<S, W>(
    source: &mut S,
    filter: &mut Option<Filter>,
    sink: &mut Sink<W>,
    count: Option<u64>,
    tally: &mut Tally,
    mut on_packet: impl FnMut(&S, u64),
) -> anyhow::Result<()>
where
    S: PacketSource,
    W: Write,
{
    while let Some(pkt) = source.next_packet()? {
        tally.read += 1;
        if !matches_filter(filter, &pkt)? {
            continue;
        }
        let flow = handle(&pkt, sink, tally)?;
        let done = flow == Flow::Stop || count.is_some_and(|c| tally.matched >= c);
        let read = tally.read;
        // `pkt` borrows `source`: it ends here, before `on_packet` looks at the source.
        on_packet(source, read);
        if done {
            break;
        }
    }
    Ok(())
}

fn handle<W: Write>(
    pkt: &PacketRef<'_>,
    sink: &mut Sink<W>,
    tally: &mut Tally,
) -> anyhow::Result<Flow> {
    match sink {
        Sink::Print { out, format } => {
            let decoded = decode::decode(pkt.link, pkt.data);
            tally.count_decoded(pkt, &decoded);
            format.write(out, pkt, &decoded)?;
            Ok(Flow::Continue)
        }
        Sink::Discard => {
            let decoded = decode::decode(pkt.link, pkt.data);
            tally.count_decoded(pkt, &decoded);
            Ok(Flow::Continue)
        }
        #[cfg(feature = "libpcap")]
        Sink::Write(writer) => {
            tally.matched += 1;
            if pkt.is_truncated() {
                tally.snaplen_cut += 1;
            }
            Ok(match writer.write(pkt)? {
                ::capture::WriteOutcome::Done => Flow::Stop,
                _ => Flow::Continue,
            })
        }
    }
}

/// A BPF filter for files; live captures filter in the kernel instead.
#[cfg(feature = "libpcap")]
pub(crate) type Filter = ::capture::BpfFilter;

/// Without libpcap there is no BPF; a filter given on the command line is an error earlier.
#[cfg(not(feature = "libpcap"))]
pub(crate) enum Filter {}

#[cfg_attr(not(feature = "libpcap"), allow(unused_variables))]
fn matches_filter(filter: &mut Option<Filter>, pkt: &PacketRef<'_>) -> anyhow::Result<bool> {
    match filter {
        #[cfg(feature = "libpcap")]
        Some(f) => Ok(f.matches(pkt)?),
        #[cfg(not(feature = "libpcap"))]
        Some(f) => match *f {},
        None => Ok(true),
    }
}

/// Standard output, locked and buffered once for the whole run.
pub(crate) fn stdout() -> BufWriter<io::StdoutLock<'static>> {
    BufWriter::with_capacity(1 << 16, io::stdout().lock())
}
