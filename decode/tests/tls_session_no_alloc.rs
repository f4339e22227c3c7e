//! The session's per-packet path must not allocate: a TLS 1.3 handshake whose messages each
//! arrive whole, and every record after it, with allocation counted on this thread (see
//! `no_alloc.rs` for the mechanism). Only split messages (buffer growth, once), certificates
//! (once each) and `feed` without a scratch (once per session) allocate.

#![allow(clippy::unwrap_used)]

use assert_no_alloc::{assert_no_alloc, reset_violation_count, violation_count, AllocDisabler};
use decode::tls::{Dir, Ja4Scratch, TlsConfig, TlsSession};

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

fn record(ct: u8, payload: &[u8]) -> Vec<u8> {
    let mut r = vec![ct, 3, 3];
    r.extend_from_slice(&u16::try_from(payload.len()).unwrap().to_be_bytes());
    r.extend_from_slice(payload);
    r
}

fn hello(msg_type: u8, cipher_part: &[u8], exts: &[u8]) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0; 32]);
    body.push(0);
    body.extend_from_slice(cipher_part);
    body.extend_from_slice(&u16::try_from(exts.len()).unwrap().to_be_bytes());
    body.extend_from_slice(exts);
    let mut msg = vec![msg_type, 0];
    msg.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    msg.extend_from_slice(&body);
    record(22, &msg)
}

#[test]
fn session_does_not_allocate_per_packet() {
    let ch = hello(
        1,
        &[0, 2, 0x13, 0x01, 1, 0],
        &[
            0, 0, 0, 8, 0, 6, 0, 0, 3, b'a', b'.', b'b', 0, 43, 0, 3, 2, 3, 4,
        ],
    );
    let sh = hello(2, &[0x13, 0x01, 0], &[0, 43, 0, 2, 3, 4]);
    let app = record(23, &[0; 100]);
    let mut scratch = Box::new(Ja4Scratch::new());
    let mut s = TlsSession::new(TlsConfig::default());
    reset_violation_count();
    assert_no_alloc(|| {
        let c = Dir::ClientToServer;
        let sv = Dir::ServerToClient;
        s.feed_with_scratch(c, &ch, 1, 1, &mut scratch).unwrap();
        s.feed_with_scratch(sv, &sh, 2, 2, &mut scratch).unwrap();
        s.feed_with_scratch(sv, &app, 2, 2, &mut scratch).unwrap();
        s.feed_with_scratch(c, &app, 3, 3, &mut scratch).unwrap();
        for i in 0..1000 {
            // Records split at every position across feeds: still nothing allocated.
            let cut = i % app.len();
            s.feed_with_scratch(c, &app[..cut], 4, 4, &mut scratch)
                .unwrap();
            s.feed_with_scratch(c, &app[cut..], 4, 4, &mut scratch)
                .unwrap();
            s.feed_with_scratch(sv, &app, 5, 5, &mut scratch).unwrap();
        }
    });
    assert_eq!(violation_count(), 0, "the session allocated");
    assert!(s.summary().established);
    assert_eq!(s.summary().sni_str(), Some("a.b"));
}
