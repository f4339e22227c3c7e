//! The TLS session state machine on two arbitrary byte streams.
//!
//! Input format: a sequence of chunks, each a header byte `h` then `h & 0x7f` bytes (fewer at
//! the end of the input). Chunks alternate between the client and server directions; bit 7 of
//! `h` keeps the previous direction instead. `h == 0xff` reports a gap in the current direction
//! (and carries no bytes). Checks: no panic, a stopped direction stays stopped, and the summary
//! invariants (bounded lists, `established` only with application data in both directions,
//! certificate count within the cap, byte counters equal to what was fed). The whole input is
//! also fed to [`QuicInitial`] as one datagram.

#![no_main]

use decode::tls::quic::MAX_CRYPTO_LEN;
use decode::tls::{
    Dir, DirStatus, Ja4Scratch, PhaseKind, QuicInitial, TlsConfig, TlsSession, MAX_PHASES,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Box<Ja4Scratch>> =
            std::cell::RefCell::new(Box::new(Ja4Scratch::new()));
    }
    let config = TlsConfig {
        max_certs: 3,
        ..TlsConfig::default()
    };
    let mut s = TlsSession::new(config);
    let mut rest = input;
    let mut dir = Dir::ServerToClient;
    let mut fed = [0u64; 2];
    let mut frame = 0u64;
    while let Some((&h, tail)) = rest.split_first() {
        frame += 1;
        if h == 0xff {
            s.gap(dir, frame, 0);
            rest = tail;
            continue;
        }
        if h & 0x80 == 0 {
            dir = dir.reverse();
        }
        let n = usize::from(h & 0x7f).min(tail.len());
        let (chunk, after) = tail.split_at(n);
        rest = after;
        let before = s.status(dir);
        let r = SCRATCH.with(|sc| {
            s.feed_with_scratch(dir, chunk, frame, i128::from(frame), &mut sc.borrow_mut())
        });
        if let DirStatus::Stopped(e) = before {
            assert_eq!(r, Err(e), "a stopped direction stays stopped");
        } else {
            fed[usize::from(dir == Dir::ServerToClient)] += chunk.len() as u64;
        }
        if let Err(e) = r {
            assert_eq!(s.status(dir), DirStatus::Stopped(e));
        }
    }
    let sum = s.summary();
    assert_eq!(sum.counters.bytes, fed);
    assert!(sum.phases.len() <= MAX_PHASES);
    assert!(sum.server_certs.len() <= 3 && sum.client_certs.len() <= 3);
    assert!(sum.sni.as_ref().map_or(0, |v| v.len()) <= 255);
    if sum.established && sum.counters.phases_dropped == 0 {
        for d in [Dir::ClientToServer, Dir::ServerToClient] {
            assert!(sum.phase(PhaseKind::ApplicationData, d).is_some());
        }
    }
    if sum.client_hellos == 0 {
        assert!(sum.ja3.is_none() && sum.ja4.is_none() && sum.sni.is_none());
    }
    // The same bytes as a QUIC datagram (header parsing; decryption fails on random bytes).
    let mut q = QuicInitial::new();
    let _ = q.feed_datagram(input);
    assert!(q.crypto_prefix().len() <= MAX_CRYPTO_LEN);
    let _ = q.client_hello();

    let mut history = String::new();
    sum.write_history(&mut history).unwrap();
    assert_eq!(history.chars().count(), sum.phases.len());
});
