//! The TLS parsers and fingerprints must not allocate: parse real hellos and compute JA3, JA3S
//! and JA4 with allocation counted on this thread (see `no_alloc.rs` for the mechanism).

#![allow(clippy::unwrap_used)]

use assert_no_alloc::{assert_no_alloc, reset_violation_count, violation_count, AllocDisabler};
use decode::tls::{
    ja3, ja3s, ja4_with, parse_handshake, parse_record, write_ja3, ClientHello, Ja4Protocol,
    Ja4Scratch, ServerHello,
};

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

/// A hand-built TLS record carrying a ClientHello with SNI, ALPN, groups and sig algs.
fn record() -> Vec<u8> {
    let exts: &[u8] = &[
        0, 0, 0, 8, 0, 6, 0, 0, 3, b'a', b'.', b'b', // server_name "a.b"
        0, 16, 0, 5, 0, 3, 2, b'h', b'2', // ALPN h2
        0, 10, 0, 4, 0, 2, 0, 0x1d, // supported_groups x25519
        0, 13, 0, 4, 0, 2, 4, 3, // signature_algorithms
        0, 43, 0, 3, 2, 3, 4, // supported_versions 1.3
    ];
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0; 32]);
    body.extend_from_slice(&[0, 0, 4, 0x13, 0x01, 0x0a, 0x0a, 1, 0]);
    body.extend_from_slice(&u16::try_from(exts.len()).unwrap().to_be_bytes());
    body.extend_from_slice(exts);
    let mut msg = vec![1, 0];
    msg.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    msg.extend_from_slice(&body);
    let mut rec = vec![22, 3, 1];
    rec.extend_from_slice(&u16::try_from(msg.len()).unwrap().to_be_bytes());
    rec.extend_from_slice(&msg);
    rec
}

/// A `fmt::Write` that only counts, so writing the JA3 string needs no `String`.
struct Count(usize);

impl core::fmt::Write for Count {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

#[test]
fn tls_does_not_allocate() {
    let rec = record();
    let mut scratch = Box::new(Ja4Scratch::new());
    reset_violation_count();
    let (ja4, len, sni) = assert_no_alloc(|| {
        let (_, fragment, _) = parse_record(&rec).unwrap();
        let (_, body, _) = parse_handshake(fragment).unwrap();
        let ch = ClientHello::parse(body).unwrap();
        let mut count = Count(0);
        write_ja3(&ch, &mut count).unwrap();
        let _ = ja3(&ch).hex();
        // A ClientHello body also parses as a ServerHello shape; fingerprint it too.
        if let Ok(sh) = ServerHello::parse(body) {
            let _ = ja3s(&sh);
        }
        let fp = ja4_with(&ch, Ja4Protocol::Tcp, &mut scratch);
        (fp, count.0, ch.sni())
    });
    assert_eq!(violation_count(), 0, "tls allocated");
    assert_eq!(sni, Some(&b"a.b"[..]));
    assert_eq!(len, "771,4865,0-16-10-13-43,29,".len());
    assert_eq!(ja4.a(), "t13d0105h2");
}
