//! A TLS session over the two reassembled TCP byte streams of one connection.
//!
//! The flow table hands [`TlsSession::feed`] the next in-order bytes of one direction, with the
//! frame number and timestamp of the packet that completed them. Inside, per direction:
//!
//! 1. a **streaming record framer**: the 5-byte header is collected across feeds, then the
//!    record body is consumed as it arrives. No record is ever buffered whole: handshake bodies
//!    go straight on to step 2, alert bodies into a 2-byte buffer, everything else is only
//!    counted. Memory per direction is O(1) here, whatever the record sizes.
//! 2. a **handshake-message reassembler**: messages split across records or feeds are joined
//!    in one growable buffer per direction, bounded by [`TlsConfig::max_message_len`]; a whole
//!    message inside one feed is parsed in place (no copy). Messages go to the parsers in
//!    [`super::handshake`] and to [`super::cert`].
//!
//! Content detection, not ports: the first record of a direction must look like TLS (type 22
//! handshake or 21 alert, version 3.0 to 3.4, sane length, first handshake message a hello),
//! otherwise the direction is [`StreamError::NotTls`] after at most 6 bytes.
//!
//! # Phases
//!
//! [`TlsSummary::phases`] lists what happened, in stream order, each with the direction, frame
//! and time: every plaintext handshake message, each ChangeCipherSpec, alerts (plaintext ones
//! decoded, encrypted ones as [`PhaseKind::EncryptedAlert`]), and:
//!
//! - **TLS <= 1.2**: after a direction's ChangeCipherSpec, its first handshake record is its
//!   (encrypted) [`PhaseKind::Finished`]; later encrypted handshake records (renegotiation) are
//!   [`PhaseKind::EncryptedHandshake`].
//! - **TLS 1.3** (ServerHello selected 0x0304): everything after the ServerHello is in
//!   `application_data` records. Following Zeek, every such record is a probable handshake
//!   record until both sides have sent one: the server's first is recorded as
//!   [`PhaseKind::EncryptedHandshake`] (EncryptedExtensions .. Finished), the client's first as
//!   [`PhaseKind::Finished`]; after that, the first record of each direction is
//!   [`PhaseKind::ApplicationData`]. The server's NewSessionTicket records are
//!   indistinguishable from application data, and so are TLS 1.3 alerts (close_notify), which
//!   are encrypted inside `application_data`.
//! - Client `application_data` before any ServerHello (and before the client's own Finished)
//!   is [`PhaseKind::EarlyData`] (0-RTT).
//! - One-sided captures (only one direction ever fed) work: a TLS <= 1.2 ChangeCipherSpec then
//!   starts encryption even without a ServerHello.
//! - Only the first [`PhaseKind::ApplicationData`] per direction is recorded.
//!
//! The list is bounded ([`MAX_PHASES`]); the rest are counted in
//! [`TlsCounters::phases_dropped`].
//!
//! # Memory and allocation
//!
//! A session is a few KiB inline. It allocates: the handshake-message buffer of a direction,
//! only when a message is split (grown once, reused, freed when the handshake is over), the
//! parsed certificates (once per certificate), and, with [`TlsSession::feed`] only, a
//! temporary 96 KiB JA4 sort scratch once per session; [`TlsSession::feed_with_scratch`]
//! takes the caller's [`Ja4Scratch`] instead. Per-packet work on an established session
//! allocates nothing.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use arrayvec::ArrayVec;

use super::cert::{parse_certificate_list, CertInfo};
use super::fingerprint::{ja3, ja3s, ja4_with, Ja4, Ja4Protocol, Ja4Scratch, Md5Hash};
use super::handshake::{
    ext, parse_handshake_header, ClientHello, HandshakeHeader, HandshakeType, ServerHello,
    HANDSHAKE_HEADER_LEN,
};
use super::names::alert_description_name;
use super::record::{ContentType, ProtocolVersion, MAX_RECORD_LEN, RECORD_HEADER_LEN};
use super::starttls::{Scan, StartTlsProtocol, StartTlsScanner};

/// Most phases kept per session; later ones are counted in [`TlsCounters::phases_dropped`].
pub const MAX_PHASES: usize = 32;
/// Most SNI bytes kept (a DNS name is at most 253 characters).
pub const MAX_SNI_LEN: usize = 255;
/// Most ALPN protocol names kept from the ClientHello.
pub const MAX_ALPN: usize = 8;
/// Most bytes kept of one ALPN protocol name.
pub const MAX_ALPN_LEN: usize = 32;
/// Most entries kept of the offered versions, groups and key-share groups.
pub const MAX_LIST: usize = 32;
/// Most offered cipher suites kept by name ([`TlsSummary::offered_ciphers`]); browsers offer
/// about 16, OpenSSL about 30; the full count is always in `offered_cipher_count`.
pub const MAX_CIPHERS: usize = 64;

/// A direction of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    /// From the side that sent the ClientHello (normally the TCP initiator).
    ClientToServer,
    /// From the server.
    ServerToClient,
}

impl Dir {
    const fn index(self) -> usize {
        match self {
            Self::ClientToServer => 0,
            Self::ServerToClient => 1,
        }
    }

    /// The other direction.
    #[must_use]
    pub const fn reverse(self) -> Self {
        match self {
            Self::ClientToServer => Self::ServerToClient,
            Self::ServerToClient => Self::ClientToServer,
        }
    }
}

/// Limits of a [`TlsSession`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsConfig {
    /// Largest handshake message accepted (header included); a longer one stops handshake
    /// parsing in that direction. Default 64 KiB (certificate chains are usually < 16 KiB).
    pub max_message_len: usize,
    /// Most plaintext handshake bytes parsed per direction; beyond that handshake parsing stops
    /// in that direction (records are still framed, phases still recorded). Default 256 KiB.
    pub max_handshake_bytes: u64,
    /// Most certificates parsed per chain (the rest are counted). Default 10.
    pub max_certs: usize,
    /// Parse certificates at all (x509). Default `true`.
    pub parse_certificates: bool,
    /// Follow plaintext protocols that upgrade with STARTTLS (SMTP, IMAP, POP3, FTP, NNTP,
    /// IRC; see [`super::starttls`]) instead of rejecting a stream that starts as text.
    /// Default `true`.
    pub starttls: bool,
    /// Compute the JA3 and JA3S fingerprints (MD5 over the hello's fields). Default `true`;
    /// a caller that shows neither saves their cost. JA4 is always computed.
    pub ja3: bool,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            max_message_len: 64 * 1024,
            max_handshake_bytes: 256 * 1024,
            max_certs: 10,
            parse_certificates: true,
            starttls: true,
            ja3: true,
        }
    }
}

/// Why a direction stopped being parsed. Returned by [`TlsSession::feed`]; once returned, every
/// later feed of that direction returns it again at once (cheap).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamError {
    /// The first bytes of the direction do not look like TLS.
    NotTls,
    /// A record header with an unknown content type or a non-3.x version (lost framing).
    BadRecordHeader,
    /// A record header announcing more than [`MAX_RECORD_LEN`] bytes.
    RecordTooLong,
    /// Bytes were lost ([`TlsSession::gap`]); framing cannot be trusted after that.
    Gap,
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotTls => "stream does not look like tls",
            Self::BadRecordHeader => "bad tls record header",
            Self::RecordTooLong => "tls record longer than the maximum",
            Self::Gap => "bytes lost in the stream",
        })
    }
}

impl core::error::Error for StreamError {}

/// What a [`Phase`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PhaseKind {
    /// A ClientHello (the second one after a HelloRetryRequest is recorded too).
    ClientHello,
    /// A ServerHello carrying the HelloRetryRequest random.
    HelloRetryRequest,
    /// A ServerHello.
    ServerHello,
    /// A plaintext Certificate message (TLS <= 1.2; either direction).
    Certificate,
    /// CertificateStatus (OCSP stapling, TLS <= 1.2).
    CertificateStatus,
    /// ServerKeyExchange.
    ServerKeyExchange,
    /// CertificateRequest.
    CertificateRequest,
    /// ServerHelloDone.
    ServerHelloDone,
    /// ClientKeyExchange.
    ClientKeyExchange,
    /// CertificateVerify (plaintext, TLS <= 1.2 client authentication).
    CertificateVerify,
    /// NewSessionTicket (plaintext, TLS <= 1.2, before the server's ChangeCipherSpec).
    NewSessionTicket,
    /// Any other plaintext handshake message.
    OtherHandshake(HandshakeType),
    /// A ChangeCipherSpec record (TLS 1.3: the middlebox-compatibility one).
    ChangeCipherSpec,
    /// The direction's Finished: TLS <= 1.2 the first handshake record after its
    /// ChangeCipherSpec; TLS 1.3 the client's first encrypted record (probable).
    Finished,
    /// Encrypted handshake: TLS 1.3 the server's first `application_data` record after the
    /// ServerHello; TLS <= 1.2 a handshake record after the Finished (renegotiation).
    EncryptedHandshake,
    /// Client `application_data` before any ServerHello (TLS 1.3 0-RTT).
    EarlyData,
    /// The first application data of the direction.
    ApplicationData,
    /// A plaintext alert.
    Alert {
        /// 1 warning, 2 fatal.
        level: u8,
        /// The alert description (see [`super::alert_description_name`]).
        description: u8,
    },
    /// An alert record after the direction's ChangeCipherSpec (contents unknown; after the
    /// application data it is usually close_notify).
    EncryptedAlert,
    /// A heartbeat record.
    Heartbeat,
    /// Bytes were lost in this direction ([`TlsSession::gap`]).
    Gap,
    /// A plaintext STARTTLS upgrade: the client's command, and the server's positive reply.
    StartTls,
}

impl PhaseKind {
    /// A Zeek `ssl_history`-like letter (upper-case is for the client direction; see
    /// [`Phase::letter`]).
    #[must_use]
    pub const fn letter(self) -> char {
        match self {
            Self::ClientHello => 'C',
            Self::HelloRetryRequest => 'J',
            Self::ServerHello => 'S',
            Self::Certificate => 'X',
            Self::CertificateStatus => 'U',
            Self::ServerKeyExchange => 'K',
            Self::CertificateRequest => 'R',
            Self::ServerHelloDone => 'N',
            Self::ClientKeyExchange => 'G',
            Self::CertificateVerify => 'Y',
            Self::NewSessionTicket => 'T',
            Self::OtherHandshake(_) => 'Z',
            Self::ChangeCipherSpec => 'I',
            Self::Finished => 'F',
            Self::EncryptedHandshake => 'O',
            Self::EarlyData => 'E',
            Self::ApplicationData => 'D',
            Self::Alert { .. } | Self::EncryptedAlert => 'L',
            Self::Heartbeat => 'B',
            Self::Gap => 'Q',
            Self::StartTls => 'V',
        }
    }
}

impl fmt::Display for PhaseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OtherHandshake(t) => write!(f, "handshake({})", t.0),
            Self::Alert { level, description } => {
                let lvl = match level {
                    1 => "warning",
                    2 => "fatal",
                    _ => "level?",
                };
                match alert_description_name(*description) {
                    Some(n) => write!(f, "alert({lvl} {n})"),
                    None => write!(f, "alert({lvl} {description})"),
                }
            }
            other => f.write_str(match other {
                Self::ClientHello => "client_hello",
                Self::HelloRetryRequest => "hello_retry_request",
                Self::ServerHello => "server_hello",
                Self::Certificate => "certificate",
                Self::CertificateStatus => "certificate_status",
                Self::ServerKeyExchange => "server_key_exchange",
                Self::CertificateRequest => "certificate_request",
                Self::ServerHelloDone => "server_hello_done",
                Self::ClientKeyExchange => "client_key_exchange",
                Self::CertificateVerify => "certificate_verify",
                Self::NewSessionTicket => "new_session_ticket",
                Self::ChangeCipherSpec => "change_cipher_spec",
                Self::Finished => "finished",
                Self::EncryptedHandshake => "encrypted_handshake",
                Self::EarlyData => "early_data",
                Self::ApplicationData => "application_data",
                Self::EncryptedAlert => "encrypted_alert",
                Self::Heartbeat => "heartbeat",
                Self::StartTls => "starttls",
                _ => "gap",
            }),
        }
    }
}

/// One step of the handshake, with where it was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phase {
    /// What happened.
    pub kind: PhaseKind,
    /// In which direction.
    pub dir: Dir,
    /// Frame number of the packet that completed it.
    pub frame: u64,
    /// Timestamp of that packet (nanoseconds since the epoch).
    pub ts_nanos: i128,
}

impl Phase {
    /// The Zeek-like history letter: upper-case from the client, lower-case from the server.
    #[must_use]
    pub const fn letter(&self) -> char {
        let c = self.kind.letter();
        match self.dir {
            Dir::ClientToServer => c,
            Dir::ServerToClient => c.to_ascii_lowercase(),
        }
    }
}

/// Session resumption signals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resumption {
    /// The ClientHello carried a non-empty legacy session id.
    pub client_session_id: bool,
    /// The ClientHello carried a non-empty session_ticket extension (TLS <= 1.2 ticket).
    pub client_ticket: bool,
    /// The ClientHello offered a pre_shared_key (TLS 1.3 resumption).
    pub client_psk: bool,
    /// TLS <= 1.2: the ServerHello echoed the client's non-empty session id (resumption by
    /// id, or by ticket with the RFC 5077 id echo).
    pub session_id_echo: bool,
    /// The ServerHello carried pre_shared_key: the server accepted a PSK (TLS 1.3).
    pub server_psk: bool,
    /// The ServerHello carried session_ticket: the server will send a new ticket.
    pub server_ticket_ext: bool,
    /// TLS <= 1.2 abbreviated handshake: the server's ChangeCipherSpec came without a
    /// Certificate or ServerKeyExchange before it.
    pub abbreviated: bool,
}

/// Counters of what was skipped or wrong. Index `[0]` is client to server, `[1]` server to
/// client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TlsCounters {
    /// Bytes fed.
    pub bytes: [u64; 2],
    /// Complete records.
    pub records: [u64; 2],
    /// Zero-length records.
    pub empty_records: [u64; 2],
    /// Plaintext handshake messages parsed.
    pub handshake_messages: [u64; 2],
    /// Encrypted handshake / application_data records counted as encrypted handshake.
    pub encrypted_handshake_records: [u64; 2],
    /// Application data records.
    pub application_data_records: [u64; 2],
    /// Gaps reported.
    pub gaps: [u64; 2],
    /// Handshake messages longer than [`TlsConfig::max_message_len`] (handshake parsing
    /// stopped in that direction).
    pub oversized_messages: [u64; 2],
    /// Times the per-direction [`TlsConfig::max_handshake_bytes`] was reached.
    pub handshake_cap_reached: [u64; 2],
    /// Plaintext handshake bytes dropped (after a cap, a partial message cut by a
    /// ChangeCipherSpec, or bytes after the TLS 1.3 ServerHello in its record).
    pub handshake_bytes_dropped: [u64; 2],
    /// Hellos and certificate lists that did not parse.
    pub malformed_messages: [u64; 2],
    /// Certificates not parsed because of [`TlsConfig::max_certs`].
    pub certs_skipped: u64,
    /// Phases not kept because the list was full.
    pub phases_dropped: u64,
}

/// Status of one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DirStatus {
    /// Nothing fed yet.
    #[default]
    Empty,
    /// Bytes fed; they look like TLS so far.
    Tls,
    /// Parsing stopped.
    Stopped(StreamError),
}

/// An ALPN protocol name (bounded copy).
pub type AlpnName = ArrayVec<u8, MAX_ALPN_LEN>;

/// Everything learnt about the session. Bounded except [`server_certs`](Self::server_certs)
/// and [`client_certs`](Self::client_certs) (at most [`TlsConfig::max_certs`] each).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsSummary {
    /// Status of each direction (`[client to server, server to client]`).
    pub status: [DirStatus; 2],
    /// The SNI of the first ClientHello (bounded copy; raw bytes, see [`sni_str`](Self::sni_str)).
    pub sni: Option<ArrayVec<u8, MAX_SNI_LEN>>,
    /// The ClientHello's legacy_version.
    pub client_legacy_version: Option<ProtocolVersion>,
    /// Offered versions: supported_versions if present (GREASE included, wire order), else the
    /// legacy version alone.
    pub offered_versions: ArrayVec<u16, MAX_LIST>,
    /// The negotiated version: ServerHello supported_versions, else its legacy version.
    pub negotiated_version: Option<ProtocolVersion>,
    /// Number of cipher suites offered (GREASE included).
    pub offered_cipher_count: u16,
    /// The cipher suites offered, in wire order (GREASE included; first [`MAX_CIPHERS`]).
    pub offered_ciphers: ArrayVec<u16, MAX_CIPHERS>,
    /// The cipher suite the server chose (see [`super::cipher_suite_name`]).
    pub cipher: Option<u16>,
    /// ALPN names offered (first [`MAX_ALPN`], each cut to [`MAX_ALPN_LEN`] bytes).
    pub alpn_offered: ArrayVec<AlpnName, MAX_ALPN>,
    /// ALPN chosen by the server (visible in TLS <= 1.2 only).
    pub alpn_chosen: Option<AlpnName>,
    /// supported_groups offered (wire order, first [`MAX_LIST`]; see [`super::group_name`]).
    pub supported_groups: ArrayVec<u16, MAX_LIST>,
    /// Groups of the client's key shares (wire order, first [`MAX_LIST`]).
    pub key_share_groups: ArrayVec<u16, MAX_LIST>,
    /// Groups of the key shares in the ClientHello sent after a HelloRetryRequest (wire
    /// order, first [`MAX_LIST`]; empty without a retry). The fingerprints and the lists above
    /// stay those of the first ClientHello.
    pub retry_key_share_groups: ArrayVec<u16, MAX_LIST>,
    /// The server's key-share group (TLS 1.3), or the group a HelloRetryRequest asked for.
    pub server_key_share_group: Option<u16>,
    /// JA3 of the first ClientHello.
    pub ja3: Option<Md5Hash>,
    /// JA3S of the ServerHello.
    pub ja3s: Option<Md5Hash>,
    /// JA4 of the first ClientHello.
    pub ja4: Option<Ja4>,
    /// ClientHellos seen (2 after a HelloRetryRequest).
    pub client_hellos: u8,
    /// A HelloRetryRequest was seen.
    pub hello_retry: bool,
    /// The ClientHello carried encrypted_client_hello (ECH): the SNI above is the outer one.
    pub ech_offered: bool,
    /// Resumption signals.
    pub resumption: Resumption,
    /// The connection started in plaintext and upgraded with this STARTTLS variant.
    pub starttls: Option<StartTlsProtocol>,
    /// Both directions reached application data.
    pub established: bool,
    /// A plaintext close_notify was seen (`[client, server]`).
    pub close_notify: [bool; 2],
    /// The handshake phases in order (bounded).
    pub phases: ArrayVec<Phase, MAX_PHASES>,
    /// The server's certificate chain as sent (TLS <= 1.2 only; TLS 1.3 encrypts it).
    pub server_certs: Vec<CertInfo>,
    /// The client's certificate chain (TLS <= 1.2 client authentication).
    pub client_certs: Vec<CertInfo>,
    /// Whether the SNI matches the leaf certificate's names (`None` without SNI or leaf).
    pub sni_matches_cert: Option<bool>,
    /// Whether the leaf certificate was valid at the time of the frame that carried it.
    pub leaf_valid_at_handshake: Option<bool>,
    /// Counters.
    pub counters: TlsCounters,
}

impl TlsSummary {
    /// Fills the client-side fields (SNI, offered versions, suites, ALPN, groups, key shares,
    /// ECH and resumption signals, JA3, JA4) from a ClientHello. Used for the first
    /// ClientHello of a TCP session and for the ClientHello of a QUIC Initial, so both kinds
    /// of record carry the same fields.
    pub fn record_client_hello(
        &mut self,
        ch: &ClientHello<'_>,
        protocol: Ja4Protocol,
        scratch: &mut Ja4Scratch,
    ) {
        self.record_client_hello_with(ch, protocol, scratch, true);
    }

    /// [`record_client_hello`](Self::record_client_hello), JA3 only `with_ja3`.
    fn record_client_hello_with(
        &mut self,
        ch: &ClientHello<'_>,
        protocol: Ja4Protocol,
        scratch: &mut Ja4Scratch,
        with_ja3: bool,
    ) {
        self.client_legacy_version = Some(ch.legacy_version());
        if let Some(name) = ch.sni() {
            self.sni = Some(name.iter().copied().take(MAX_SNI_LEN).collect());
        }
        let mut versions = ch.supported_versions().peekable();
        if versions.peek().is_some() {
            self.offered_versions = versions.take(MAX_LIST).collect();
        } else {
            self.offered_versions.clear();
            self.offered_versions.push(ch.legacy_version().0);
        }
        self.offered_cipher_count = u16::try_from(ch.cipher_suites().len()).unwrap_or(u16::MAX);
        self.offered_ciphers = ch.cipher_suites().take(MAX_CIPHERS).collect();
        self.alpn_offered = ch
            .alpn()
            .take(MAX_ALPN)
            .map(|n| n.iter().copied().take(MAX_ALPN_LEN).collect())
            .collect();
        self.supported_groups = ch.supported_groups().take(MAX_LIST).collect();
        self.key_share_groups = ch.key_share_groups().take(MAX_LIST).collect();
        self.ech_offered = ch.extension(ext::ENCRYPTED_CLIENT_HELLO).is_some();
        self.resumption.client_session_id = !ch.session_id().is_empty();
        self.resumption.client_ticket = ch
            .extension(EXT_SESSION_TICKET)
            .is_some_and(|b| !b.is_empty());
        self.resumption.client_psk = ch.extension(EXT_PRE_SHARED_KEY).is_some();
        self.ja3 = with_ja3.then(|| ja3(ch));
        self.ja4 = Some(ja4_with(ch, protocol, scratch));
    }

    /// The SNI as text, if it is UTF-8.
    #[must_use]
    pub fn sni_str(&self) -> Option<&str> {
        self.sni.as_ref().and_then(|s| core::str::from_utf8(s).ok())
    }

    /// Whether both directions look like TLS so far (or are still empty), and at least one
    /// has bytes.
    #[must_use]
    pub fn is_tls(&self) -> bool {
        let ok = |s: DirStatus| !matches!(s, DirStatus::Stopped(StreamError::NotTls));
        self.status.iter().all(|s| ok(*s)) && self.status.iter().any(|s| *s != DirStatus::Empty)
    }

    /// Whether the version negotiated is TLS 1.3 (certificates are then encrypted).
    #[must_use]
    pub fn is_tls13(&self) -> bool {
        self.negotiated_version == Some(ProtocolVersion::TLS1_3)
    }

    /// Writes the Zeek-like phase history (e.g. `CsxknGIFiF` style) into `w`.
    ///
    /// # Errors
    ///
    /// Only those of `w`.
    pub fn write_history<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        self.phases
            .iter()
            .try_for_each(|p| w.write_char(p.letter()))
    }

    /// The first phase of `kind` in `dir`, if recorded.
    #[must_use]
    pub fn phase(&self, kind: PhaseKind, dir: Dir) -> Option<&Phase> {
        self.phases.iter().find(|p| p.kind == kind && p.dir == dir)
    }
}

/// Per-direction parser state.
#[derive(Clone, Debug, Default)]
struct DirState {
    /// Record header bytes collected so far (only while `hdr_len < 5`).
    hdr: [u8; RECORD_HEADER_LEN],
    hdr_len: u8,
    /// Inside a record body.
    in_body: bool,
    rec_type: u8,
    /// The direction was already encrypted when the current record started.
    rec_encrypted: bool,
    rec_len: u16,
    rec_remaining: usize,
    /// Alert bytes of the current alert record (pairs).
    alert: [u8; 2],
    alert_len: u8,
    /// Records completed in this direction.
    records: u64,
    /// Handshake bytes of this direction are encrypted from now on (after its CCS in <= 1.2,
    /// after the ServerHello in 1.3).
    encrypted: bool,
    /// Encrypted handshake records seen after the encryption started.
    encrypted_hs_records: u64,
    seen_app_data: bool,
    seen_early_data: bool,
    /// Partial handshake message (empty when none pending).
    hs_buf: Vec<u8>,
    /// Handshake parsing stopped (cap reached).
    hs_stopped: bool,
    hs_bytes: u64,
    hs_messages: u64,
    /// Plaintext (before a STARTTLS upgrade).
    plain: bool,
}

/// The TLS state machine of one TCP connection. See the [module docs](self).
#[derive(Clone, Debug, Default)]
pub struct TlsSession {
    config: TlsConfig,
    dirs: [DirState; 2],
    summary: TlsSummary,
    client_session_id: ArrayVec<u8, 32>,
    server_hello_seen: bool,
    /// Certificate or ServerKeyExchange seen before the server's CCS (<= 1.2).
    full_handshake: bool,
    /// STARTTLS line scanner (used only while a direction is plaintext).
    starttls: StartTlsScanner,
    /// A server greeting was seen (the server direction started as plaintext).
    starttls_seen: bool,
}

/// Where the JA4 sorting space comes from.
enum Scratch<'s> {
    Caller(&'s mut Ja4Scratch),
    None,
}

impl TlsSession {
    /// A new session with the given limits.
    #[must_use]
    pub fn new(config: TlsConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// What has been learnt so far.
    #[must_use]
    pub const fn summary(&self) -> &TlsSummary {
        &self.summary
    }

    /// Takes the summary out (e.g. when the connection closes), leaving an empty one.
    pub fn take_summary(&mut self) -> TlsSummary {
        core::mem::take(&mut self.summary)
    }

    /// The status of one direction.
    #[must_use]
    pub fn status(&self, dir: Dir) -> DirStatus {
        self.summary
            .status
            .get(dir.index())
            .copied()
            .unwrap_or_default()
    }

    /// Whether `dir`'s handshake is encrypted from now on (after its ChangeCipherSpec in
    /// TLS <= 1.2, after the ServerHello in TLS 1.3): from here on only its record headers
    /// (and plaintext alerts) are read, so a caller may stop keeping its bytes.
    #[must_use]
    pub fn is_encrypted(&self, dir: Dir) -> bool {
        self.dirs.get(dir.index()).is_some_and(|d| d.encrypted)
    }

    /// Whether a handshake message is pending (partly received) in `dir`.
    #[must_use]
    pub fn message_pending(&self, dir: Dir) -> bool {
        self.dirs
            .get(dir.index())
            .is_some_and(|d| !d.hs_buf.is_empty())
    }

    /// Feeds the next contiguous stream bytes of `dir`, from the packet numbered `frame` at
    /// `ts_nanos`. JA4 uses a temporary heap scratch (once per session); see
    /// [`feed_with_scratch`](Self::feed_with_scratch).
    ///
    /// # Errors
    ///
    /// [`StreamError`] when `dir` is not (or no longer) parsed; later feeds of `dir` return
    /// the same error at once. The other direction is unaffected.
    pub fn feed(
        &mut self,
        dir: Dir,
        bytes: &[u8],
        frame: u64,
        ts_nanos: i128,
    ) -> Result<(), StreamError> {
        self.feed_inner(dir, bytes, frame, ts_nanos, Scratch::None)
    }

    /// [`feed`](Self::feed) with a caller-owned JA4 scratch (keep one per thread or flow table):
    /// nothing is allocated for fingerprints.
    ///
    /// # Errors
    ///
    /// As [`feed`](Self::feed).
    pub fn feed_with_scratch(
        &mut self,
        dir: Dir,
        bytes: &[u8],
        frame: u64,
        ts_nanos: i128,
        scratch: &mut Ja4Scratch,
    ) -> Result<(), StreamError> {
        self.feed_inner(dir, bytes, frame, ts_nanos, Scratch::Caller(scratch))
    }

    /// Says that bytes were lost in `dir` (the reassembler skipped a hole). Record framing is
    /// lost, so the direction stops being parsed ([`StreamError::Gap`]); what was learnt is
    /// kept.
    pub fn gap(&mut self, dir: Dir, frame: u64, ts_nanos: i128) {
        let d = dir.index();
        if let Some(g) = self.summary.counters.gaps.get_mut(d) {
            *g += 1;
        }
        if let Some(st) = self.summary.status.get_mut(d) {
            if !matches!(st, DirStatus::Stopped(_)) {
                *st = DirStatus::Stopped(StreamError::Gap);
                self.push_phase(PhaseKind::Gap, dir, frame, ts_nanos);
            }
        }
        if let Some(ds) = self.dirs.get_mut(d) {
            ds.hs_buf = Vec::new();
        }
    }

    fn stop(&mut self, dir: Dir, e: StreamError) -> Result<(), StreamError> {
        if let Some(st) = self.summary.status.get_mut(dir.index()) {
            *st = DirStatus::Stopped(e);
        }
        if let Some(ds) = self.dirs.get_mut(dir.index()) {
            ds.hs_buf = Vec::new();
        }
        Err(e)
    }

    fn push_phase(&mut self, kind: PhaseKind, dir: Dir, frame: u64, ts_nanos: i128) {
        let p = Phase {
            kind,
            dir,
            frame,
            ts_nanos,
        };
        if self.summary.phases.try_push(p).is_err() {
            self.summary.counters.phases_dropped += 1;
        }
    }

    fn feed_inner(
        &mut self,
        dir: Dir,
        mut input: &[u8],
        frame: u64,
        ts: i128,
        mut scratch: Scratch<'_>,
    ) -> Result<(), StreamError> {
        let d = dir.index();
        match self.summary.status.get(d).copied().unwrap_or_default() {
            DirStatus::Stopped(e) => return Err(e),
            DirStatus::Empty if !input.is_empty() => {
                if let Some(s) = self.summary.status.get_mut(d) {
                    *s = DirStatus::Tls;
                }
                // STARTTLS protocols start with a server greeting; the client's text is
                // followed only after one.
                let plain_ok = match dir {
                    Dir::ServerToClient => looks_like_greeting(input),
                    Dir::ClientToServer => self.starttls_seen,
                };
                if self.config.starttls && plain_ok && self.summary.client_hellos == 0 {
                    if let Some(st) = self.dirs.get_mut(d) {
                        st.plain = true;
                    }
                    self.starttls_seen = true;
                }
            }
            _ => {}
        }
        if let Some(b) = self.summary.counters.bytes.get_mut(d) {
            *b += input.len() as u64;
        }
        if self.dirs.get(d).is_some_and(|st| st.plain) {
            match self.starttls.scan(d, input) {
                Scan::Plain => return Ok(()),
                Scan::GiveUp => return self.stop(dir, StreamError::NotTls),
                Scan::Upgrade(at) => {
                    if let Some(st) = self.dirs.get_mut(d) {
                        st.plain = false;
                    }
                    if dir == Dir::ServerToClient {
                        self.summary.starttls = self.starttls.pending;
                    }
                    self.push_phase(PhaseKind::StartTls, dir, frame, ts);
                    input = input.get(at..).unwrap_or_default();
                }
            }
        }
        while !input.is_empty() {
            let Some(st) = self.dirs.get_mut(d) else {
                break;
            };
            if st.in_body {
                let take = st.rec_remaining.min(input.len());
                let Some((chunk, rest)) = input.split_at_checked(take) else {
                    break;
                };
                input = rest;
                st.rec_remaining -= take;
                let done = st.rec_remaining == 0;
                self.record_body(dir, chunk, frame, ts, &mut scratch)?;
                if done {
                    self.record_end(dir, frame, ts);
                }
                continue;
            }
            // Collect the record header.
            let have = usize::from(st.hdr_len);
            let take = (RECORD_HEADER_LEN - have).min(input.len());
            let Some((head, rest)) = input.split_at_checked(take) else {
                break;
            };
            if let Some(dst) = st.hdr.get_mut(have..have + take) {
                dst.copy_from_slice(head);
            }
            input = rest;
            st.hdr_len += take as u8;
            let first = st.records == 0;
            let filled = usize::from(st.hdr_len);
            let hdr = st.hdr;
            if first && !looks_like_first_record(hdr.get(..filled).unwrap_or_default()) {
                return self.stop(dir, StreamError::NotTls);
            }
            if filled < RECORD_HEADER_LEN {
                break;
            }
            let [ct, major, minor, l0, l1] = hdr;
            let len = u16::from_be_bytes([l0, l1]);
            if !(20..=24).contains(&ct) || major != 3 || minor > 4 {
                return self.stop(dir, StreamError::BadRecordHeader);
            }
            if usize::from(len) > MAX_RECORD_LEN {
                return self.stop(dir, StreamError::RecordTooLong);
            }
            st.hdr_len = 0;
            st.rec_type = ct;
            st.rec_encrypted = st.encrypted;
            st.rec_len = len;
            st.rec_remaining = usize::from(len);
            st.alert_len = 0;
            if len == 0 {
                if let Some(c) = self.summary.counters.empty_records.get_mut(d) {
                    *c += 1;
                }
                self.record_end(dir, frame, ts);
            } else {
                st.in_body = true;
            }
        }
        Ok(())
    }

    /// Part of a record body.
    fn record_body(
        &mut self,
        dir: Dir,
        chunk: &[u8],
        frame: u64,
        ts: i128,
        scratch: &mut Scratch<'_>,
    ) -> Result<(), StreamError> {
        let d = dir.index();
        let Some(st) = self.dirs.get_mut(d) else {
            return Ok(());
        };
        match ContentType(st.rec_type) {
            ContentType::HANDSHAKE if !st.encrypted => {
                self.handshake_bytes(dir, chunk, frame, ts, scratch)?;
            }
            ContentType::ALERT if !st.rec_encrypted || st.rec_len == 2 => {
                for &b in chunk {
                    let Some(st) = self.dirs.get_mut(d) else {
                        break;
                    };
                    if let Some(slot) = st.alert.get_mut(usize::from(st.alert_len)) {
                        *slot = b;
                    }
                    st.alert_len += 1;
                    if st.alert_len == 2 {
                        st.alert_len = 0;
                        let [level, description] = st.alert;
                        if description == 0 {
                            if let Some(c) = self.summary.close_notify.get_mut(d) {
                                *c = true;
                            }
                        }
                        self.push_phase(PhaseKind::Alert { level, description }, dir, frame, ts);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A record is complete.
    fn record_end(&mut self, dir: Dir, frame: u64, ts: i128) {
        let d = dir.index();
        let tls13 = self.summary.is_tls13();
        let server_hello_seen = self.server_hello_seen;
        // One-sided capture: the other direction was never fed, so no ServerHello can come.
        let other_silent =
            self.summary.status.get(dir.reverse().index()) == Some(&DirStatus::Empty);
        let hello_retry = self.summary.hello_retry;
        let other_encrypted_seen = self
            .dirs
            .get(dir.reverse().index())
            .is_some_and(|o| o.encrypted_hs_records > 0 || o.seen_app_data);
        let Some(st) = self.dirs.get_mut(d) else {
            return;
        };
        st.in_body = false;
        st.records += 1;
        if let Some(c) = self.summary.counters.records.get_mut(d) {
            *c += 1;
        }
        let mut kind = None;
        match ContentType(st.rec_type) {
            ContentType::CHANGE_CIPHER_SPEC => {
                kind = Some(PhaseKind::ChangeCipherSpec);
                // Only a TLS <= 1.2 CCS, which always follows the ServerHello, starts
                // encryption; a TLS 1.3 middlebox-compatibility CCS (also the client's one
                // right after its first ClientHello or after a HelloRetryRequest) does not.
                // In a one-sided capture the CCS is the only signal there is.
                if !tls13 && !hello_retry && (server_hello_seen || other_silent) {
                    st.encrypted = true;
                    if !st.hs_buf.is_empty() {
                        if let Some(c) = self.summary.counters.handshake_bytes_dropped.get_mut(d) {
                            *c += st.hs_buf.len() as u64;
                        }
                        st.hs_buf.clear();
                    }
                    if dir == Dir::ServerToClient && server_hello_seen && !self.full_handshake {
                        self.summary.resumption.abbreviated = true;
                    }
                }
            }
            ContentType::HANDSHAKE if st.rec_encrypted => {
                st.encrypted_hs_records += 1;
                if let Some(c) = self.summary.counters.encrypted_handshake_records.get_mut(d) {
                    *c += 1;
                }
                kind = Some(if st.encrypted_hs_records == 1 {
                    PhaseKind::Finished
                } else {
                    PhaseKind::EncryptedHandshake
                });
            }
            ContentType::ALERT if st.rec_encrypted && st.rec_len != 2 => {
                kind = Some(PhaseKind::EncryptedAlert);
            }
            ContentType::APPLICATION_DATA => {
                if tls13
                    && !st.seen_app_data
                    && (st.encrypted_hs_records == 0 || !other_encrypted_seen)
                {
                    // TLS 1.3: a probable handshake record until both sides have sent one.
                    st.encrypted_hs_records += 1;
                    if let Some(c) = self.summary.counters.encrypted_handshake_records.get_mut(d) {
                        *c += 1;
                    }
                    if st.encrypted_hs_records == 1 {
                        kind = Some(if dir == Dir::ClientToServer {
                            PhaseKind::Finished
                        } else {
                            PhaseKind::EncryptedHandshake
                        });
                    }
                } else {
                    if let Some(c) = self.summary.counters.application_data_records.get_mut(d) {
                        *c += 1;
                    }
                    if !server_hello_seen
                        && dir == Dir::ClientToServer
                        && st.encrypted_hs_records == 0
                    {
                        if !st.seen_early_data {
                            st.seen_early_data = true;
                            kind = Some(PhaseKind::EarlyData);
                        }
                    } else if !st.seen_app_data {
                        st.seen_app_data = true;
                        kind = Some(PhaseKind::ApplicationData);
                    }
                }
            }
            ContentType::HEARTBEAT => kind = Some(PhaseKind::Heartbeat),
            _ => {}
        }
        if let Some(k) = kind {
            self.push_phase(k, dir, frame, ts);
        }
        self.summary.established = self.dirs.iter().all(|s| s.seen_app_data);
        self.release_buffers();
    }

    /// Frees the handshake buffers once both directions are past the plaintext handshake.
    fn release_buffers(&mut self) {
        if self.dirs.iter().all(|s| s.encrypted || s.hs_stopped) {
            for s in &mut self.dirs {
                if s.hs_buf.capacity() > 0 {
                    s.hs_buf = Vec::new();
                }
            }
        }
    }

    /// Plaintext handshake record bytes of `dir`.
    fn handshake_bytes(
        &mut self,
        dir: Dir,
        mut chunk: &[u8],
        frame: u64,
        ts: i128,
        scratch: &mut Scratch<'_>,
    ) -> Result<(), StreamError> {
        let d = dir.index();
        let max_msg = self.config.max_message_len;
        let max_bytes = self.config.max_handshake_bytes;
        while !chunk.is_empty() {
            let Some(st) = self.dirs.get_mut(d) else {
                break;
            };
            if st.encrypted || st.hs_stopped {
                if let Some(c) = self.summary.counters.handshake_bytes_dropped.get_mut(d) {
                    *c += chunk.len() as u64;
                }
                break;
            }
            // Content check on the very first handshake byte of the direction.
            if st.hs_bytes == 0 && st.records == 0 {
                if let Some(&t) = chunk.first() {
                    if t != HandshakeType::CLIENT_HELLO.0 && t != HandshakeType::SERVER_HELLO.0 {
                        return self.stop(dir, StreamError::NotTls);
                    }
                }
            }
            if st.hs_bytes.saturating_add(chunk.len() as u64) > max_bytes {
                st.hs_stopped = true;
                st.hs_buf = Vec::new();
                if let Some(c) = self.summary.counters.handshake_cap_reached.get_mut(d) {
                    *c += 1;
                }
                continue;
            }
            if st.hs_buf.is_empty() {
                // Fast path: whole messages straight from the input.
                match parse_handshake_header(chunk) {
                    Ok(h) if h.total_len() > max_msg => {
                        self.oversized(d);
                        continue;
                    }
                    Ok(h) if h.total_len() <= chunk.len() => {
                        let total = h.total_len();
                        let (msg, rest) = chunk.split_at_checked(total).unwrap_or((chunk, &[]));
                        st.hs_bytes += total as u64;
                        chunk = rest;
                        let body = msg.get(HANDSHAKE_HEADER_LEN..).unwrap_or_default();
                        self.message(dir, h, body, frame, ts, scratch);
                    }
                    _ => {
                        // Partial header or body: buffer it.
                        st.hs_bytes += chunk.len() as u64;
                        st.hs_buf.extend_from_slice(chunk);
                        chunk = &[];
                    }
                }
                continue;
            }
            // Continue a buffered message.
            let need_total = if st.hs_buf.len() < HANDSHAKE_HEADER_LEN {
                HANDSHAKE_HEADER_LEN
            } else {
                match parse_handshake_header(&st.hs_buf) {
                    Ok(h) => h.total_len(),
                    Err(_) => HANDSHAKE_HEADER_LEN,
                }
            };
            let take = need_total.saturating_sub(st.hs_buf.len()).min(chunk.len());
            let (part, rest) = chunk.split_at_checked(take).unwrap_or((chunk, &[]));
            st.hs_buf.extend_from_slice(part);
            st.hs_bytes += take as u64;
            chunk = rest;
            if st.hs_buf.len() < HANDSHAKE_HEADER_LEN {
                continue;
            }
            let Ok(h) = parse_handshake_header(&st.hs_buf) else {
                continue;
            };
            if h.total_len() > max_msg {
                self.oversized(d);
                continue;
            }
            if st.hs_buf.len() >= h.total_len() {
                let buf = core::mem::take(&mut st.hs_buf);
                let body = buf
                    .get(HANDSHAKE_HEADER_LEN..h.total_len())
                    .unwrap_or_default();
                self.message(dir, h, body, frame, ts, scratch);
                // Put the (cleared) buffer back to reuse its capacity.
                if let Some(st) = self.dirs.get_mut(d) {
                    let mut buf = buf;
                    buf.clear();
                    st.hs_buf = buf;
                }
            }
        }
        Ok(())
    }

    fn oversized(&mut self, d: usize) {
        if let Some(c) = self.summary.counters.oversized_messages.get_mut(d) {
            *c += 1;
        }
        if let Some(st) = self.dirs.get_mut(d) {
            st.hs_stopped = true;
            st.hs_buf = Vec::new();
        }
    }

    fn malformed(&mut self, dir: Dir) {
        if let Some(c) = self
            .summary
            .counters
            .malformed_messages
            .get_mut(dir.index())
        {
            *c += 1;
        }
    }

    /// One complete plaintext handshake message.
    fn message(
        &mut self,
        dir: Dir,
        h: HandshakeHeader,
        body: &[u8],
        frame: u64,
        ts: i128,
        scratch: &mut Scratch<'_>,
    ) {
        let d = dir.index();
        if let Some(c) = self.summary.counters.handshake_messages.get_mut(d) {
            *c += 1;
        }
        if let Some(st) = self.dirs.get_mut(d) {
            st.hs_messages += 1;
        }
        let kind = match h.msg_type {
            HandshakeType::CLIENT_HELLO => {
                self.client_hello(dir, body, scratch);
                PhaseKind::ClientHello
            }
            HandshakeType::SERVER_HELLO => self.server_hello(dir, body),
            HandshakeType::CERTIFICATE => {
                self.certificate(dir, body, ts);
                PhaseKind::Certificate
            }
            HandshakeType::SERVER_KEY_EXCHANGE => {
                self.full_handshake = true;
                PhaseKind::ServerKeyExchange
            }
            HandshakeType::CERTIFICATE_REQUEST => PhaseKind::CertificateRequest,
            HandshakeType::SERVER_HELLO_DONE => PhaseKind::ServerHelloDone,
            HandshakeType::CLIENT_KEY_EXCHANGE => PhaseKind::ClientKeyExchange,
            HandshakeType::CERTIFICATE_VERIFY => PhaseKind::CertificateVerify,
            HandshakeType::NEW_SESSION_TICKET => PhaseKind::NewSessionTicket,
            HandshakeType(22) => PhaseKind::CertificateStatus,
            other => PhaseKind::OtherHandshake(other),
        };
        self.push_phase(kind, dir, frame, ts);
    }

    fn client_hello(&mut self, dir: Dir, body: &[u8], scratch: &mut Scratch<'_>) {
        self.summary.client_hellos = self.summary.client_hellos.saturating_add(1);
        if self.summary.client_hellos > 1 {
            // Only the first ClientHello is fingerprinted; the retried one after a
            // HelloRetryRequest shows which group the client gave in to.
            if self.summary.client_hellos == 2 && self.summary.hello_retry {
                match ClientHello::parse(body) {
                    Ok(ch) => {
                        self.summary.retry_key_share_groups =
                            ch.key_share_groups().take(MAX_LIST).collect();
                    }
                    Err(_) => self.malformed(dir),
                }
            }
            return;
        }
        let Ok(ch) = ClientHello::parse(body) else {
            self.malformed(dir);
            return;
        };
        self.client_session_id = ch.session_id().iter().copied().take(32).collect();
        let with_ja3 = self.config.ja3;
        match scratch {
            Scratch::Caller(sc) => {
                self.summary
                    .record_client_hello_with(&ch, Ja4Protocol::Tcp, sc, with_ja3);
            }
            Scratch::None => {
                let mut sc = Box::new(Ja4Scratch::new());
                self.summary
                    .record_client_hello_with(&ch, Ja4Protocol::Tcp, &mut sc, with_ja3);
            }
        }
    }

    fn server_hello(&mut self, dir: Dir, body: &[u8]) -> PhaseKind {
        let Ok(sh) = ServerHello::parse(body) else {
            self.malformed(dir);
            return PhaseKind::ServerHello;
        };
        if sh.is_hello_retry_request() {
            self.summary.hello_retry = true;
            self.summary.server_key_share_group = sh.key_share_group();
            return PhaseKind::HelloRetryRequest;
        }
        if self.server_hello_seen {
            return PhaseKind::ServerHello;
        }
        self.server_hello_seen = true;
        let s = &mut self.summary;
        let version = sh.version();
        s.negotiated_version = Some(version);
        s.cipher = Some(sh.cipher_suite());
        s.alpn_chosen = sh
            .alpn()
            .map(|n| n.iter().copied().take(MAX_ALPN_LEN).collect());
        s.server_key_share_group = sh.key_share_group();
        s.ja3s = self.config.ja3.then(|| ja3s(&sh));
        s.resumption.server_psk = sh.extension(EXT_PRE_SHARED_KEY).is_some();
        s.resumption.server_ticket_ext = sh.extension(EXT_SESSION_TICKET).is_some();
        if version.0 <= ProtocolVersion::TLS1_2.0 {
            s.resumption.session_id_echo = !self.client_session_id.is_empty()
                && sh.session_id() == self.client_session_id.as_slice();
        }
        if version == ProtocolVersion::TLS1_3 {
            // Everything after the ServerHello is encrypted, in both directions.
            for st in &mut self.dirs {
                st.encrypted = true;
            }
        }
        PhaseKind::ServerHello
    }

    fn certificate(&mut self, dir: Dir, body: &[u8], ts: i128) {
        if dir == Dir::ServerToClient {
            self.full_handshake = true;
        }
        if !self.config.parse_certificates || self.summary.is_tls13() {
            return;
        }
        let max = self.config.max_certs;
        let list = match dir {
            Dir::ServerToClient => &mut self.summary.server_certs,
            Dir::ClientToServer => &mut self.summary.client_certs,
        };
        if !list.is_empty() {
            return; // Keep the first chain (a renegotiation would be encrypted anyway).
        }
        let (skipped, bad) = parse_certificate_list(body, max, list);
        self.summary.counters.certs_skipped += skipped as u64;
        if bad {
            self.malformed(dir);
        }
        if dir == Dir::ServerToClient {
            self.update_cert_checks(ts);
        }
    }

    fn update_cert_checks(&mut self, ts: i128) {
        let s = &mut self.summary;
        let Some(leaf) = s.server_certs.first() else {
            return;
        };
        if leaf.parse_error.is_some() {
            return;
        }
        let secs = i64::try_from(ts.div_euclid(1_000_000_000)).unwrap_or(i64::MAX);
        s.leaf_valid_at_handshake = Some(leaf.valid_at(secs));
        let sni = s.sni.as_ref().and_then(|v| core::str::from_utf8(v).ok());
        s.sni_matches_cert = sni.map(|h| leaf.matches_host(h));
    }
}

/// session_ticket (RFC 5077).
const EXT_SESSION_TICKET: u16 = 0x0023;
/// pre_shared_key (RFC 8446).
const EXT_PRE_SHARED_KEY: u16 = 0x0029;

/// Whether the first bytes of a server direction can be the greeting of a protocol that
/// upgrades with STARTTLS: `220` (SMTP, FTP), `* OK` (IMAP), `+OK` (POP3), `200`/`201` (NNTP).
/// A short prefix of one of them counts.
fn looks_like_greeting(first: &[u8]) -> bool {
    const GREETINGS: [&[u8]; 5] = [b"220", b"* OK", b"+OK", b"200", b"201"];
    GREETINGS.iter().any(|g| {
        let n = g.len().min(first.len());
        first.get(..n) == g.get(..n)
    })
}

/// Whether the first bytes (1 to 5) of a direction can start a TLS stream: a handshake (22) or
/// alert (21) record, version 3.0 to 3.4, length 1 to [`MAX_RECORD_LEN`].
#[must_use]
pub fn looks_like_first_record(prefix: &[u8]) -> bool {
    let mut ok = true;
    if let Some(&t) = prefix.first() {
        ok &= t == ContentType::HANDSHAKE.0 || t == ContentType::ALERT.0;
    }
    if let Some(&major) = prefix.get(1) {
        ok &= major == 3;
    }
    if let Some(&minor) = prefix.get(2) {
        ok &= minor <= 4;
    }
    if let (Some(&a), Some(&b)) = (prefix.get(3), prefix.get(4)) {
        let len = usize::from(u16::from_be_bytes([a, b]));
        ok &= len > 0 && len <= MAX_RECORD_LEN;
    }
    ok
}
