//! `flowsleuth`: the command-line front end. The only crate that prints or exits.
//!
//! Exit codes:
//!
//! | code | meaning |
//! |------|---------|
//! | 0    | success (also when the reader of standard output went away, e.g. `| head`) |
//! | 1    | an input or runtime error: unreadable or corrupt file, bad filter, missing interface or privilege |
//! | 2    | bad command line (from clap) |

mod args;
mod cmd;
mod output;
mod progress;
mod time;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

/// Exit code for runtime and input errors.
const EXIT_ERROR: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // One line: "flowsleuth: <what>: <why>".
            let _ = writeln!(io::stderr().lock(), "flowsleuth: {err:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Read(args) => cmd::read::run(&args),
        Command::Capture(args) => cmd::capture::run(&args),
        Command::Flows(args) => cmd::analyze::run_flows(&args),
        Command::Tls(args) => cmd::analyze::run_tls(&args),
        Command::Flowlogs(args) => cmd::flowlogs::run(&args),
        Command::Explain(args) => cmd::vpc::run_explain(&args),
        Command::Reach(args) => cmd::vpc::run_reach(&args),
    }
}

/// Whether the error chain bottoms out in a broken pipe (stdout closed by `head`, `less`...).
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
