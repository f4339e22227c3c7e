//! TLS hello parsing on arbitrary bytes: the input is one handshake message (4-byte header and
//! body); when it parses as a ClientHello or ServerHello, every iterator and accessor is walked
//! and every fingerprint computed. Checks: no panic, and every returned slice lies inside the
//! input.

#![no_main]

use decode::tls::{
    ja3, ja3s, ja4_with, parse_handshake, parse_record, write_ja3, write_ja3s, ClientHello,
    HandshakeType, Ja4Protocol, Ja4Scratch, ServerHello, Status,
};
use libfuzzer_sys::fuzz_target;

/// A `fmt::Write` that discards (the strings are unbounded; only their production is tested).
struct Sink;

impl core::fmt::Write for Sink {
    fn write_str(&mut self, _: &str) -> core::fmt::Result {
        Ok(())
    }
}

fuzz_target!(|input: &[u8]| {
    let start = input.as_ptr() as usize;
    let inside = |s: &[u8]| {
        s.as_ptr() as usize >= start && s.as_ptr() as usize + s.len() <= start + input.len()
    };

    // The same bytes as a record, for the framing checks.
    match parse_record(input) {
        Ok((_, payload, rest)) => assert!(inside(payload) && inside(rest)),
        Err(Status::Incomplete { needed }) => assert!(needed > input.len()),
        Err(Status::Error(_)) => {}
    }

    let (header, body) = match parse_handshake(input) {
        Ok((h, body, rest)) => {
            assert!(inside(body) && inside(rest));
            (h, body)
        }
        Err(Status::Incomplete { needed }) => {
            assert!(needed > input.len());
            return;
        }
        Err(Status::Error(e)) => panic!("handshake framing never errors: {e}"),
    };
    thread_local! {
        static SCRATCH: std::cell::RefCell<Box<Ja4Scratch>> =
            std::cell::RefCell::new(Box::new(Ja4Scratch::new()));
    }

    // Both views are tried whatever the type byte says, so every input exercises both parsers;
    // the type only has to be consistent with itself.
    assert_eq!(header.msg_type, HandshakeType(input[0]));
    {
        if let Ok(ch) = ClientHello::parse(body) {
            assert!(inside(ch.random()) && inside(ch.session_id()));
            assert!(inside(ch.cipher_suites_raw()) && inside(ch.compression_methods()));
            assert!(inside(ch.extensions_raw()));
            let _ = ch.cipher_suites().count();
            for e in ch.extensions().flatten() {
                assert!(inside(e.1));
            }
            assert!(ch.extensions().filter(Result::is_err).count() <= 1);
            assert!(ch.sni().map_or(true, inside));
            assert!(ch.alpn().all(inside));
            assert!(ch.ec_point_formats().map_or(true, inside));
            let _ = ch.supported_versions().count();
            let _ = ch.supported_groups().count();
            let _ = ch.key_share_groups().count();
            let _ = ch.signature_algorithms().count();
            let _ = write_ja3(&ch, &mut Sink);
            let _ = ja3(&ch);
            SCRATCH.with(|s| {
                let mut s = s.borrow_mut();
                for proto in [Ja4Protocol::Tcp, Ja4Protocol::Quic, Ja4Protocol::Dtls] {
                    let fp = ja4_with(&ch, proto, &mut s);
                    assert_eq!(fp.as_str().len(), 36);
                    assert!(fp.as_str().is_ascii());
                }
            });
        }
    }
    {
        if let Ok(sh) = ServerHello::parse(body) {
            assert!(inside(sh.random()) && inside(sh.session_id()));
            assert!(inside(sh.extensions_raw()));
            for e in sh.extensions().flatten() {
                assert!(inside(e.1));
            }
            assert!(sh.alpn().map_or(true, inside));
            let _ = (sh.selected_version(), sh.version(), sh.key_share_group());
            let _ = (sh.is_hello_retry_request(), sh.cipher_suite(), sh.compression_method());
            let _ = write_ja3s(&sh, &mut Sink);
            let _ = ja3s(&sh);
        }
    }
});
