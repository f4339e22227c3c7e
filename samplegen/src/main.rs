//! `samplegen`: writes the sample captures of `sample-pcaps/` and large
//! mixed captures for benchmarks.
//!
//! ```text
//! samplegen samples OUTDIR
//! samplegen big --packets N [--seed S] [--gzip] -o FILE
//! samplegen flowlogs --records N --log-format default|v5 [--gzip] [--seed S] [--no-double-spaces] -o FILE
//! ```

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use samplegen::big::{self, BigConfig};
use samplegen::flowlogs::{self, FlowLogConfig, LogFormat};

const USAGE: &str = "\
usage:
  samplegen samples OUTDIR
      write every sample capture (the contents of sample-pcaps/) into OUTDIR
  samplegen big --packets N [--seed S] [--gzip] -o FILE
      write a mixed Ethernet capture of exactly N packets (default seed 1);
      --gzip compresses it (gzip level 1)
  samplegen flowlogs --records N --log-format default|v5 [--gzip] [--seed S]
                     [--no-double-spaces] -o FILE
      write a VPC Flow Log text file as S3 delivers it: a header line, then N
      records (default seed 1); default = the 14 version-2 fields, v5 = AWS's
      29-field version-5 example format; about 1 line in 512 has a double space
      between two fields unless --no-double-spaces; --gzip compresses it
      (gzip level 1, e.g. FILE.log.gz)
";

/// A parsed command line.
enum Command {
    Samples {
        out_dir: PathBuf,
    },
    Big {
        cfg: BigConfig,
        gzip: bool,
        out: PathBuf,
    },
    Flowlogs {
        cfg: FlowLogConfig,
        gzip: bool,
        out: PathBuf,
    },
    Help,
}

fn parse_u64(flag: &str, v: Option<String>) -> Result<u64, String> {
    let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
    v.replace('_', "")
        .parse()
        .map_err(|_| format!("{flag}: not a non-negative integer: {v}"))
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    match args.next().as_deref() {
        None | Some("-h" | "--help" | "help") => Ok(Command::Help),
        Some("samples") => {
            let out_dir = args.next().ok_or("samples: missing OUTDIR")?;
            if let Some(extra) = args.next() {
                return Err(format!("samples: unexpected argument {extra}"));
            }
            Ok(Command::Samples {
                out_dir: out_dir.into(),
            })
        }
        Some("big") => {
            let (mut packets, mut seed, mut gzip, mut out) = (None, 1, false, None);
            while let Some(a) = args.next() {
                match a.as_str() {
                    "--packets" | "-n" => packets = Some(parse_u64(&a, args.next())?),
                    "--seed" => seed = parse_u64(&a, args.next())?,
                    "--gzip" => gzip = true,
                    "-o" | "--output" => {
                        out = Some(PathBuf::from(args.next().ok_or("-o needs a value")?))
                    }
                    other => return Err(format!("big: unexpected argument {other}")),
                }
            }
            Ok(Command::Big {
                cfg: BigConfig {
                    packets: packets.ok_or("big: missing --packets N")?,
                    seed,
                },
                gzip,
                out: out.ok_or("big: missing -o FILE")?,
            })
        }
        Some("flowlogs") => {
            let (mut records, mut format, mut seed, mut gzip, mut doubles, mut out) =
                (None, None, 1, false, true, None);
            while let Some(a) = args.next() {
                match a.as_str() {
                    "--records" | "-n" => records = Some(parse_u64(&a, args.next())?),
                    "--log-format" => {
                        let v = args.next().ok_or("--log-format needs a value")?;
                        format = Some(LogFormat::parse(&v).ok_or_else(|| {
                            format!("--log-format: expected default or v5, got {v}")
                        })?);
                    }
                    "--seed" => seed = parse_u64(&a, args.next())?,
                    "--gzip" => gzip = true,
                    "--no-double-spaces" => doubles = false,
                    "-o" | "--output" => {
                        out = Some(PathBuf::from(args.next().ok_or("-o needs a value")?))
                    }
                    other => return Err(format!("flowlogs: unexpected argument {other}")),
                }
            }
            Ok(Command::Flowlogs {
                cfg: FlowLogConfig {
                    records: records.ok_or("flowlogs: missing --records N")?,
                    format: format.ok_or("flowlogs: missing --log-format default|v5")?,
                    seed,
                    double_spaces: doubles,
                },
                gzip,
                out: out.ok_or("flowlogs: missing -o FILE")?,
            })
        }
        Some(other) => Err(format!("unknown command {other}")),
    }
}

fn run(cmd: Command, out: &mut impl Write) -> io::Result<()> {
    match cmd {
        Command::Help => out.write_all(USAGE.as_bytes()),
        Command::Samples { out_dir } => {
            for p in samplegen::samples::write_all(&out_dir)? {
                writeln!(out, "wrote {}", p.display())?;
            }
            Ok(())
        }
        Command::Big {
            cfg,
            gzip,
            out: path,
        } => {
            let t = Instant::now();
            let stats = big::write_file(&path, &cfg, gzip)?;
            writeln!(
                out,
                "wrote {}: {} packets, {} frame bytes, {} TCP connections, in {:.2?}",
                path.display(),
                stats.packets,
                stats.frame_bytes,
                stats.tcp_connections,
                t.elapsed()
            )
        }
        Command::Flowlogs {
            cfg,
            gzip,
            out: path,
        } => {
            let t = Instant::now();
            let s = flowlogs::write_file(&path, &cfg, gzip)?;
            writeln!(
                out,
                "wrote {}: {} records ({} OK, {} REJECT, {} NODATA, {} SKIPDATA, {} IPv6, \
                 {} lines with a double space), {} bytes of text, in {:.2?}",
                path.display(),
                s.records,
                s.ok,
                s.rejects,
                s.nodata,
                s.skipdata,
                s.ipv6,
                s.double_spaces,
                s.text_bytes,
                t.elapsed()
            )
        }
    }
}

fn main() -> ExitCode {
    let cmd = match parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(msg) => {
            let _ = write!(io::stderr().lock(), "samplegen: {msg}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let stdout = io::stdout();
    match run(cmd, &mut stdout.lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr().lock(), "samplegen: {e}");
            ExitCode::FAILURE
        }
    }
}
