//! `flows` and `tls` with several threads (`--threads`): the same records and the same summary
//! as one thread, in a deterministic order; a broken pipe still stops cleanly; inputs that
//! cannot be split (gzip, standard input, Parquet) take one thread.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{flowsleuth, sample_files};

fn run_threads(cmd: &str, file: &Path, threads: u32, extra: &[&str]) -> Output {
    let out = flowsleuth()
        .args([cmd, "-r", file.to_str().unwrap(), "--threads"])
        .arg(threads.to_string())
        .args(["--format", "jsonl"])
        .args(extra)
        .output()
        .unwrap();
    // Corrupt and truncated samples stop with an error after their good records: `check`
    // compares the exit status between thread counts.
    out
}

fn sorted_lines(out: &Output) -> Vec<String> {
    let mut v: Vec<String> = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    v.sort();
    v
}

/// The closing summary without the "reading from file" line (it names the thread count).
fn summary(out: &Output) -> String {
    String::from_utf8(out.stderr.clone())
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("reading from file"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A generated capture of many rounds (2048 frames each) and blocks, with many connections.
fn big_capture(test: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("flowsleuth-{test}-{}.pcap", std::process::id()));
    let cfg = samplegen::big::BigConfig {
        packets: 30_000,
        seed: 7,
    };
    samplegen::big::write_file(&path, &cfg, false).unwrap();
    path
}

fn check(cmd: &str, file: &Path, extra: &[&str]) {
    let one = run_threads(cmd, file, 1, extra);
    let one_lines = sorted_lines(&one);
    for threads in [2, 3] {
        let many = run_threads(cmd, file, threads, extra);
        assert_eq!(
            sorted_lines(&many),
            one_lines,
            "{cmd} --threads {threads} {}: other records",
            file.display()
        );
        // The summary, and for a corrupt file the error line naming the frame, are the same.
        assert_eq!(summary(&many), summary(&one), "{cmd} {}", file.display());
        assert_eq!(many.status.code(), one.status.code());
        let again = run_threads(cmd, file, threads, extra);
        assert_eq!(many.stdout, again.stdout, "{cmd}: order not deterministic");
    }
}

#[test]
fn same_records_as_one_thread_on_every_sample() {
    // Without --threads a small file is read on one thread.
    let out = common::run(&[
        "flows",
        "-r",
        common::sample("tls12-sni.pcap").to_str().unwrap(),
    ]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success() && !err.contains(" threads"), "{err}");
    for file in sample_files() {
        check("flows", &file, &[]);
        check("tls", &file, &[]);
    }
}

#[test]
fn same_records_as_one_thread_on_a_large_capture() {
    let path = big_capture("large");
    let one = run_threads("flows", &path, 1, &[]);
    assert!(one.status.success());
    assert!(sorted_lines(&one).len() > 1000);
    check("flows", &path, &[]);
    check("tls", &path, &[]);
    // With a filter, and CSV (one header, then the records).
    check("flows", &path, &["tcp"]);
    let csv = |threads: u32| {
        let out = flowsleuth()
            .args([
                "flows",
                "-r",
                path.to_str().unwrap(),
                "--format",
                "csv",
                "--threads",
            ])
            .arg(threads.to_string())
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let header = lines.remove(0);
        lines.sort();
        (header, lines)
    };
    let (h1, l1) = csv(1);
    let (h2, l2) = csv(2);
    assert!(h1.starts_with("flow_id,"), "{h1}");
    assert_eq!((h1, l1), (h2, l2));
    std::fs::remove_file(&path).unwrap();
}

/// gzip, standard input and named pipes are read on one thread (the first line says how many).
#[test]
fn gzip_stdin_and_pipes_take_one_thread() {
    let path = big_capture("gzip");
    let gz = path.with_extension("pcap.gz");
    let bytes = std::fs::read(&path).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &bytes).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let plain = run_threads("flows", &path, 2, &[]);
    let zipped = run_threads("flows", &gz, 2, &[]);
    let err = |o: &Output| String::from_utf8(o.stderr.clone()).unwrap();
    assert!(err(&plain).contains("2 threads"), "{}", err(&plain));
    assert!(!err(&zipped).contains("2 threads"), "{}", err(&zipped));
    assert_eq!(sorted_lines(&plain), sorted_lines(&zipped));
    // A named pipe (as `-r <(zcat x.pcap.gz)` gives): read once, on one thread, nothing lost.
    let fifo = path.with_extension("fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let child = flowsleuth()
        .args([
            "flows",
            "-r",
            fifo.to_str().unwrap(),
            "--threads",
            "2",
            "--format",
            "jsonl",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Written from another thread: flowsleuth's output must be read meanwhile.
    let writer = {
        let (fifo, bytes) = (fifo.clone(), bytes.clone());
        std::thread::spawn(move || std::fs::write(fifo, bytes).unwrap())
    };
    let from_fifo = child.wait_with_output().unwrap();
    writer.join().unwrap();
    std::fs::remove_file(&fifo).unwrap();
    assert!(from_fifo.status.success(), "{}", err(&from_fifo));
    assert!(
        !err(&from_fifo).contains("2 threads"),
        "{}",
        err(&from_fifo)
    );
    assert_eq!(sorted_lines(&from_fifo), sorted_lines(&plain));
    let piped = flowsleuth()
        .args(["flows", "-r", "-", "--threads", "2", "--format", "jsonl"])
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    assert!(piped.status.success(), "{}", err(&piped));
    assert!(!err(&piped).contains("2 threads"), "{}", err(&piped));
    assert_eq!(sorted_lines(&piped), sorted_lines(&plain));
    std::fs::remove_file(&path).unwrap();
    std::fs::remove_file(&gz).unwrap();
}

/// A reader that goes away early ends a threaded run quietly (the workers stop too).
#[test]
fn broken_pipe_with_threads_is_not_an_error() {
    let path = big_capture("pipe");
    let out = common::close_after_first_byte(&[
        "flows",
        "-r",
        path.to_str().unwrap(),
        "--threads",
        "2",
        "--format",
        "jsonl",
    ]);
    std::fs::remove_file(&path).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("flowsleuth:"), "{err}");
}

/// With `-o`, an input error still names the capture and its frame, not the output file, with
/// any thread count.
#[test]
fn input_errors_name_the_capture_with_an_output_file() {
    let file = common::sample("corrupt-record.pcap");
    let dir = std::env::temp_dir();
    let errors: Vec<String> = [1, 2]
        .iter()
        .map(|threads| {
            let out_file = dir.join(format!(
                "flowsleuth-o-{threads}-{}.jsonl",
                std::process::id()
            ));
            let out = flowsleuth()
                .args([
                    "flows",
                    "-r",
                    file.to_str().unwrap(),
                    "--format",
                    "jsonl",
                    "-o",
                ])
                .arg(&out_file)
                .args(["--threads", &threads.to_string()])
                .output()
                .unwrap();
            assert!(!out.status.success());
            std::fs::remove_file(&out_file).unwrap();
            let err = String::from_utf8(out.stderr).unwrap();
            err.lines().last().unwrap().to_owned()
        })
        .collect();
    assert!(
        errors[0].contains("corrupt-record.pcap: frame 6"),
        "{}",
        errors[0]
    );
    assert_eq!(errors[0], errors[1]);
}
