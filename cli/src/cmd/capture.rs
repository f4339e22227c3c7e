//! `flowsleuth capture`: live capture through libpcap.

/// Runs `capture`.
#[cfg(not(feature = "libpcap"))]
pub(crate) fn run(_args: &crate::args::CaptureArgs) -> anyhow::Result<()> {
    anyhow::bail!("live capture needs libpcap: rebuild flowsleuth with the `libpcap` feature")
}

#[cfg(feature = "libpcap")]
pub(crate) use live::run;

#[cfg(feature = "libpcap")]
mod live {
    use std::io::{self, IsTerminal, Write};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use anyhow::Context;
    use capture::{LiveConfig, LiveSource, RotatingWriter, Rotation};

    use crate::args::{filter_expr, CaptureArgs};
    use crate::cmd::{pump, stdout, Sink};
    use crate::output::{PacketFormat, Tally};

    /// Runs `capture`.
    pub(crate) fn run(args: &CaptureArgs) -> anyhow::Result<()> {
        if args.list_interfaces {
            return list_interfaces();
        }
        let Some(interface) = args.interface.clone() else {
            anyhow::bail!("no interface given: use -i IFACE (or -D to list them)");
        };
        let stop = Arc::new(AtomicBool::new(false));
        let handler_flag = Arc::clone(&stop);
        ctrlc::set_handler(move || handler_flag.store(true, Ordering::SeqCst))
            .context("cannot install the Ctrl-C handler")?;

        let config = LiveConfig {
            interface,
            snaplen: args.snaplen,
            promisc: !args.no_promisc,
            filter: filter_expr(&args.filter),
            buffer_size: args.buffer_kib.map(|kib| kib.saturating_mul(1024)),
            // Immediate delivery only when a person watches packets scroll by. Otherwise
            // libpcap batches packets into variable-size blocks (TPACKET_V3); immediate mode
            // uses fixed snaplen-sized slots, so a burst of large loopback segments overflows a
            // 2 MiB ring after a handful of packets.
            immediate: args.write.is_none() && std::io::stdout().is_terminal(),
            ..LiveConfig::default()
        };
        let mut source = LiveSource::open(config, Arc::clone(&stop))?;
        let mut err = io::stderr().lock();
        writeln!(
            err,
            "listening on {}, link-type {}, snapshot length {} bytes",
            source.interface(),
            source.link_type(),
            args.snaplen
        )?;
        drop(err);

        let mut sink = match &args.write {
            Some(path) => {
                let rotation = Rotation {
                    size_bytes: args
                        .file_size_mb
                        .map(|mb| mb.get().saturating_mul(1_000_000)),
                    seconds: args.rotate_seconds.map(std::num::NonZeroU64::get),
                    files: args.file_count,
                };
                let writer = RotatingWriter::new(path, source.link_type(), args.snaplen, rotation)?;
                Sink::Write(Box::new(writer))
            }
            None => Sink::Print {
                out: stdout(),
                format: PacketFormat::from(&args.print),
            },
        };
        let mut tally = Tally::default();
        let result = pump(
            &mut source,
            &mut None,
            &mut sink,
            args.count.map(std::num::NonZeroU64::get),
            &mut tally,
            |_, _| {},
        );
        match &mut sink {
            Sink::Print { out, .. } => out.flush()?,
            Sink::Write(writer) => writer.finish()?,
            Sink::Discard => {}
        }
        let stats = source.stats();
        let mut err = io::stderr().lock();
        writeln!(err, "{} packets captured", tally.matched)?;
        match stats {
            Ok(s) => {
                writeln!(err, "{} packets received by filter", s.received)?;
                writeln!(err, "{} packets dropped by kernel", s.dropped)?;
                writeln!(err, "{} packets dropped by interface", s.if_dropped)?;
            }
            Err(e) => writeln!(err, "statistics unavailable: {e}")?,
        }
        result
    }

    fn list_interfaces() -> anyhow::Result<()> {
        let mut out = stdout();
        for (i, iface) in capture::list_interfaces()?.iter().enumerate() {
            write!(out, "{}.{}", i + 1, iface.name)?;
            if let Some(desc) = &iface.description {
                write!(out, " ({desc})")?;
            }
            writeln!(out)?;
        }
        out.flush()?;
        Ok(())
    }
}
