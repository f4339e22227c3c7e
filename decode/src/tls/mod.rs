//! TLS: records, handshake messages, a per-connection session state machine, certificates,
//! and JA3/JA3S/JA4 fingerprints.
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
//! - [`TlsSession`] ([`session`]): the TLS layer of one TCP connection. The flow table feeds
//!   each direction's in-order reassembled bytes ([`TlsSession::feed`], [`TlsSession::gap`]);
//!   inside, a streaming record framer (no record is buffered whole) and a bounded
//!   handshake-message reassembler (messages split across records and feeds, several per
//!   record) drive the hello parsers, and the session records the handshake [`Phase`]s with
//!   frame numbers and times (TLS 1.2 and 1.3, including the TLS 1.3 encrypted handshake
//!   heuristic, encrypted Finished, alerts, first application data per direction) and a
//!   [`TlsSummary`] (SNI, versions, ciphers, ALPN, groups with post-quantum names, key shares,
//!   fingerprints, resumption signals, `established`, counters). TLS is detected by content,
//!   on any port ([`looks_like_first_record`]).
//! - [`cert`]: the server (and client) certificate chain of TLS <= 1.2 via `x509-parser`:
//!   subject, issuer, SAN DNS/IP, validity, serial, SHA-256 of the DER, self-signed (names and
//!   key identifiers; the signature is not verified), SNI match with RFC 6125 wildcards.
//! - [`names`]: cipher suite, group (incl. X25519MLKEM768 and friends) and alert names.
//! - [`quic`]: QUIC v1/v2 client Initial packets without keys ([`QuicInitial`]): header
//!   protection removed, payload decrypted (AES-128-GCM), CRYPTO frames reassembled by offset
//!   across packets and datagrams (bounded), ClientHello exposed for SNI and fingerprints
//!   (`ja4` with [`Ja4Protocol::Quic`]). Not yet wired to a session or the flow table.
//!
//! # What is not done yet
//!
//! - **No TCP reassembly here**: that is the flow table's job (`crate::flow`); the session
//!   expects in-order bytes and stops a direction at a gap (no resynchronisation).
//! - STARTTLS only for line protocols ([`starttls`]: SMTP, IMAP, POP3, FTP, NNTP, IRC); not
//!   XMPP, LDAP, PostgreSQL, MySQL, RDP. No mid-stream pickup (a direction must start with a
//!   handshake or alert record, or STARTTLS text), no SSLv2-format hellos.
//! - QUIC: only the client's Initial packets (no server Initial / ServerHello, no Handshake or
//!   1-RTT packets, no draft versions); there is no QUIC session/phase tracking.
//! - No DTLS record layer, no ECH decryption (only
//!   [`TlsSummary::ech_offered`]), no certificate signature verification, no chain validation
//!   against a root store. TLS 1.3 certificates are encrypted and therefore absent.
//! - TLS 1.3 NewSessionTicket and alerts travel in `application_data` records and cannot be
//!   told apart from application data.
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
//! Same as the rest of the crate: no `unsafe`, no panic on any input, every loop bounded by the
//! input length, every returned slice borrows the input. The parsers and fingerprints do not
//! allocate (fingerprint strings go into caller-supplied [`core::fmt::Write`] sinks,
//! fixed-size [`arrayvec::ArrayString`]s, or straight into the hasher). JA4 sorts with
//! [`slice::sort_unstable`] in a caller-owned [`Ja4Scratch`], so a hostile hello with thousands
//! of entries costs `O(n log n)`.
//!
//! The session layer uses `alloc`, boundedly: a direction's handshake-message buffer (only for
//! a message split across records or feeds; at most [`TlsConfig::max_message_len`], reused,
//! freed when both directions are encrypted), the parsed certificates (once per certificate,
//! at most [`TlsConfig::max_certs`] per chain), and with [`TlsSession::feed`] a temporary JA4
//! scratch once per session ([`TlsSession::feed_with_scratch`] avoids it). Records and
//! established traffic never allocate.

use core::fmt;

pub mod cert;
pub mod fingerprint;
pub mod grease;
pub mod handshake;
pub mod names;
pub mod quic;
pub mod reader;
pub mod record;
pub mod session;
pub mod starttls;

pub use cert::{host_matches, CertInfo};
pub use fingerprint::{
    ja3, ja3s, ja4, ja4_with, write_ja3, write_ja3s, Ja4, Ja4Protocol, Ja4Scratch, Md5Hash,
};
pub use grease::is_grease;
pub use handshake::{
    ext, parse_handshake, parse_handshake_header, ClientHello, Extensions, HandshakeHeader,
    HandshakeType, KeyShareGroups, ProtocolNames, ServerHello, U16List, HANDSHAKE_HEADER_LEN,
    HRR_RANDOM,
};
pub use names::{alert_description_name, cipher_suite_name, group_name, is_post_quantum_group};
pub use quic::{client_initial_keys, QuicError, QuicInitial};
pub use reader::Reader;
pub use record::{
    parse_record, parse_record_header, ContentType, ProtocolVersion, RecordHeader, MAX_RECORD_LEN,
    RECORD_HEADER_LEN,
};
pub use session::{
    looks_like_first_record, AlpnName, Dir, DirStatus, Phase, PhaseKind, Resumption, StreamError,
    TlsConfig, TlsCounters, TlsSession, TlsSummary, MAX_ALPN, MAX_ALPN_LEN, MAX_CIPHERS, MAX_LIST,
    MAX_PHASES, MAX_SNI_LEN,
};
pub use starttls::StartTlsProtocol;

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
