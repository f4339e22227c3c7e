//! Arbitrary bytes as a capture file: never a panic, frames numbered 1, 2, 3..., `caplen` equal
//! to the data length, and the in-place parser (used for memory maps) agreeing exactly with the
//! streaming one, errors included.
#![no_main]

use capture::{CaptureError, FileSource, PacketSource};
use libfuzzer_sys::fuzz_target;

type Frame = (u64, i64, u32, u32, u32, u32, u32, Vec<u8>);

fn drain(src: Result<FileSource, CaptureError>) -> (Vec<Frame>, Vec<String>) {
    let mut src = match src {
        Ok(src) => src,
        Err(e) => return (Vec::new(), vec![e.to_string()]),
    };
    let (mut frames, mut errors) = (Vec::new(), Vec::new());
    loop {
        match src.next_packet() {
            Ok(Some(p)) => {
                assert_eq!(p.caplen as usize, p.data.len());
                assert_eq!(p.frame, frames.len() as u64 + 1);
                assert!(p.ts.nanos < 1_000_000_000);
                frames.push((
                    p.frame,
                    p.ts.secs,
                    p.ts.nanos,
                    p.caplen,
                    p.origlen,
                    p.link.to_u32(),
                    p.interface,
                    p.data.to_vec(),
                ));
            }
            Ok(None) => break,
            // Reading may go on after an interface with an unknown link type.
            Err(e @ CaptureError::UnsupportedLinkType { .. }) => errors.push(e.to_string()),
            Err(e) => {
                errors.push(e.to_string());
                assert!(matches!(src.next_packet(), Ok(None)), "the source must end after {e}");
                break;
            }
        }
    }
    (frames, errors)
}

fuzz_target!(|data: &[u8]| {
    let in_place = drain(FileSource::from_bytes("fuzz", data.to_vec()));
    let streamed = drain(FileSource::from_reader("fuzz", std::io::Cursor::new(data.to_vec())));
    assert_eq!(in_place, streamed);
});
