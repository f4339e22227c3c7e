//! Helpers shared by the cli integration tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's sample-pcaps directory.
pub(crate) fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-pcaps")
}

/// Every capture file shipped in sample-pcaps/, sorted.
pub(crate) fn sample_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(samples_dir())
        .expect("sample-pcaps/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.ends_with(".pcap") || name.ends_with(".pcapng") || name.ends_with(".gz")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no captures in sample-pcaps/");
    files
}

/// A sample by file name.
pub(crate) fn sample(name: &str) -> PathBuf {
    let p = samples_dir().join(name);
    assert!(p.exists(), "missing sample {}", p.display());
    p
}

/// The flowsleuth binary.
pub(crate) fn flowsleuth() -> Command {
    Command::new(env!("CARGO_BIN_EXE_flowsleuth"))
}

/// Runs flowsleuth with `args`, returning its output.
pub(crate) fn run(args: &[&str]) -> Output {
    flowsleuth().args(args).output().expect("flowsleuth runs")
}

/// Runs flowsleuth with `args`, reads the first byte of its output and closes the pipe: a
/// reader that goes away early (`| head`).
pub(crate) fn close_after_first_byte(args: &[&str]) -> Output {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = flowsleuth()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("flowsleuth runs");
    let mut stdout = child.stdout.take().expect("piped");
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout);
    child.wait_with_output().expect("flowsleuth ends")
}

/// Parses JSON lines.
pub(crate) fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// Whether a program is on PATH.
pub(crate) fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Skips (loudly) when an external oracle is missing, except under CI, where it fails:
/// CI installs every tool, so a missing one there is a broken CI, not a reason to skip.
pub(crate) fn require(program: &str) -> bool {
    if have(program) {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{program} is required under CI (.ci/run installs it)"
    );
    eprintln!("SKIPPED: {program} is not installed; install it to run this test");
    false
}

/// tshark `-T fields` lines (`-Y filter`, one `-e` per field, `options` before them), split
/// on tabs. A failing tshark fails the test.
pub(crate) fn tshark_fields(
    file: &Path,
    options: &[&str],
    filter: &str,
    fields: &[&str],
) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(file)
        .args(options)
        .args(["-Y", filter, "-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

/// IANA names of the suites the samples use (tshark gives numbers).
pub(crate) fn suite_name(hex: &str) -> &'static str {
    match hex {
        "0x1301" => "TLS_AES_128_GCM_SHA256",
        "0x1302" => "TLS_AES_256_GCM_SHA384",
        "0xc030" => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        other => panic!("add {other} to suite_name"),
    }
}

/// Version names as flowsleuth prints them, from tshark's numbers.
pub(crate) fn version_name(hex: &str) -> &'static str {
    match hex {
        "0x0303" => "TLS 1.2",
        "0x0304" => "TLS 1.3",
        other => panic!("unexpected version {other}"),
    }
}
