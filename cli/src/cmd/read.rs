//! `flowsleuth read`: print the packets of a capture file.

use std::io::{self, Write};
use std::path::Path;

use capture::FileSource;

use crate::args::{filter_expr, ReadArgs};
use crate::cmd::{pump, stdout, Filter, Sink};
use crate::output::{PacketFormat, Tally};
use crate::progress;

/// Runs `read`.
pub(crate) fn run(args: &ReadArgs) -> anyhow::Result<()> {
    let mut source = open(&args.file)?;
    let expr = filter_expr(&args.filter);
    let mut filter = expr.as_deref().map(compile_filter).transpose()?;
    let mut err = io::stderr().lock();
    writeln!(
        err,
        "reading from file {}, {}",
        source.path().display(),
        source.format()
    )?;

    let mut sink = if args.summary {
        Sink::Discard
    } else {
        Sink::Print {
            out: stdout(),
            format: PacketFormat::from(&args.print),
        }
    };
    let mut tally = Tally::default();
    let bar = progress::bytes_bar(source.total_bytes());
    let result = pump(
        &mut source,
        &mut filter,
        &mut sink,
        args.count.map(std::num::NonZeroU64::get),
        &mut tally,
        |src, read| {
            if read % progress::UPDATE_EVERY == 0 {
                bar.set_position(src.bytes_read());
            }
        },
    );
    bar.finish_and_clear();
    // Everything decoded before an error is printed before the error is reported.
    if let Sink::Print { out, .. } = &mut sink {
        out.flush()?;
    }
    tally.write_summary(&mut err, filter.is_some())?;
    result
}

/// Opens a capture file (`-` is standard input).
pub(crate) fn open(path: &Path) -> anyhow::Result<FileSource> {
    if path.as_os_str() == "-" {
        return Ok(FileSource::stdin()?);
    }
    Ok(FileSource::open(path)?)
}

#[cfg(feature = "libpcap")]
pub(crate) fn compile_filter(expr: &str) -> anyhow::Result<Filter> {
    // Files can hold packets up to 256 KiB; the snaplen only bounds what BPF may look at.
    Ok(capture::BpfFilter::new(expr, 262_144)?)
}

#[cfg(not(feature = "libpcap"))]
pub(crate) fn compile_filter(expr: &str) -> anyhow::Result<Filter> {
    anyhow::bail!("cannot apply filter {expr:?}: flowsleuth was built without libpcap")
}
