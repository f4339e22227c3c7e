//! TLS: records, handshake headers, ClientHello/ServerHello views and JA3/JA3S/JA4 fingerprints.
//!
//! # What is here
//!
//! - [`Reader`]: a bounds-checked cursor (rustls style) that every parser below reads through.
//! - [`parse_record_header`] / [`parse_record`]: the 5-byte record header with the
//!   [`MAX_RECORD_LEN`] check.
//! - [`parse_handshake_header`] / [`parse_handshake`]: the 4-byte handshake header and one whole
//!   handshake message.
//! - [`ClientHello`] and [`ServerHello`]: zero-copy views over a complete message body, with
//!   iterators over cipher suites and the **raw** extension list (our own TLV walk: a truncated
//!   or overlong list yields one error item and stops) and accessors for SNI, ALPN,
//!   supported_versions, supported_groups, key_share, signature_algorithms, ec_point_formats.
//! - [`is_grease`]: the exact RFC 8701 GREASE test (16 values, not a bit mask).
//! - Fingerprints: [`ja3`], [`ja3s`] (MD5) and [`ja4`] (client, BSD-3). The FoxIO-licensed
//!   JA4+ methods (JA4S, JA4X, JA4T, ...) are deliberately **not** implemented.
//!
//! # What is not done yet
//!
//! - **No TCP reassembly and no record or handshake-message reassembly.** Callers pass
//!   complete records and complete handshake messages; a ClientHello split over two segments
//!   or two records must be joined first. That comes with the flow table. "Need more bytes" is
//!   [`Status::Incomplete`], never an error, so a reassembler can feed prefixes and wait.
//! - No QUIC Initial decryption, no DTLS record layer, no ECH, no certificates, no other
//!   handshake message bodies.
//!
//! # Example
//!
//! ```
//! use decode::tls::{ja3, ja4, parse_handshake, parse_record, ClientHello, Ja4Protocol, Status};
//!
//! // A record carrying a ClientHello with one cipher suite and SNI "a".
//! let mut rec = vec![22, 3, 1, 0, 57, 1, 0, 0, 53, 3, 3];
//! rec.extend([0; 32]); // random
//! rec.extend([0, 0, 2, 0x13, 0x01, 1, 0]); // session id, cipher suites, compression
//! rec.extend([0, 10, 0, 0, 0, 6, 0, 4, 0, 0, 1, b'a']); // extensions: server_name
//!
//! // A prefix is not an error: the caller waits for more bytes.
//! assert_eq!(parse_record(&rec[..3]), Err(Status::Incomplete { needed: 5 }));
//! let (_header, fragment, _rest) = parse_record(&rec)?;
//! let (_hs, body, _next) = parse_handshake(fragment)?;
//! let hello = ClientHello::parse(body)?;
//! assert_eq!(hello.sni(), Some(&b"a"[..]));
//! assert_eq!(ja4(&hello, Ja4Protocol::Tcp).a(), "t12d010100");
//! let _md5 = ja3(&hello).hex(); // of "771,4865,0,,"
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Guarantees
//!
//! Same as the rest of the crate: no allocation (fingerprint strings go into caller-supplied
//! [`core::fmt::Write`] sinks, fixed-size [`arrayvec::ArrayString`]s, or straight into the
//! hasher), no `unsafe`, no panic on any input, every loop bounded by the input length, every
//! returned slice borrows the input. JA4 sorts with [`slice::sort_unstable`] in a caller-owned
//! [`Ja4Scratch`], so a hostile hello with thousands of entries costs `O(n log n)`.

use core::fmt;

pub mod fingerprint;
pub mod grease;
pub mod handshake;
pub mod reader;
pub mod record;

pub use fingerprint::{
    ja3, ja3s, ja4, ja4_with, write_ja3, write_ja3s, Ja4, Ja4Protocol, Ja4Scratch, Md5Hash,
};
pub use grease::is_grease;
pub use handshake::{
    ext, parse_handshake, parse_handshake_header, ClientHello, Extensions, HandshakeHeader,
    HandshakeType, KeyShareGroups, ProtocolNames, ServerHello, U16List, HANDSHAKE_HEADER_LEN,
    HRR_RANDOM,
};
pub use reader::Reader;
pub use record::{
    parse_record, parse_record_header, ContentType, ProtocolVersion, RecordHeader, MAX_RECORD_LEN,
    RECORD_HEADER_LEN,
};

/// Something wrong with TLS bytes that more bytes cannot fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsError {
    /// A record header announces more than [`MAX_RECORD_LEN`] bytes.
    RecordTooLong {
        /// The announced length.
        len: usize,
    },
    /// A field inside a complete message is inconsistent (a length that runs past the end of
    /// the message, an odd-length cipher list, ...).
    Malformed {
        /// What is wrong, as a short fixed phrase.
        what: &'static str,
    },
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RecordTooLong { len } => write!(
                f,
                "TLS record length {len} exceeds the maximum {MAX_RECORD_LEN}"
            ),
            Self::Malformed { what } => write!(f, "malformed TLS: {what}"),
        }
    }
}

impl core::error::Error for TlsError {}

/// Why a streaming parse (record or handshake framing) did not return a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The input is a valid prefix so far; at least `needed` bytes in total (counted from the
    /// start of the input given) are required. Not an error: feed more bytes and retry.
    Incomplete {
        /// Total input length required, from the start of the slice that was passed.
        needed: usize,
    },
    /// The bytes are not valid TLS framing.
    Error(TlsError),
}

impl From<TlsError> for Status {
    fn from(e: TlsError) -> Self {
        Self::Error(e)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Incomplete { needed } => write!(f, "incomplete: need {needed} bytes"),
            Self::Error(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for Status {}
