//! Handshake framing and zero-copy ClientHello / ServerHello views.
//!
//! The parsers here take a **complete** handshake message body (the caller reassembles records
//! and messages). Inside a complete body, a length that runs past the end is a
//! [`TlsError::Malformed`], not "incomplete".
//!
//! The extension list is walked by our own TLV iterator ([`Extensions`]) over the raw bytes, in
//! wire order, duplicates and unknown types included. Accessors such as [`ClientHello::sni`]
//! use the **first** extension of their type and read it laxly: a malformed extension body
//! gives `None` or an iterator that stops where the body stops making sense.

use core::iter::FusedIterator;

use super::reader::Reader;
use super::record::ProtocolVersion;
use super::{Status, TlsError};

/// Extension type numbers used by the accessors and fingerprints (IANA "TLS ExtensionType
/// Values").
pub mod ext {
    /// `server_name` (RFC 6066).
    pub const SERVER_NAME: u16 = 0x0000;
    /// `supported_groups`, formerly `elliptic_curves` (RFC 8422, RFC 7919).
    pub const SUPPORTED_GROUPS: u16 = 0x000a;
    /// `ec_point_formats` (RFC 8422).
    pub const EC_POINT_FORMATS: u16 = 0x000b;
    /// `signature_algorithms` (RFC 8446).
    pub const SIGNATURE_ALGORITHMS: u16 = 0x000d;
    /// `application_layer_protocol_negotiation` (RFC 7301).
    pub const ALPN: u16 = 0x0010;
    /// `supported_versions` (RFC 8446).
    pub const SUPPORTED_VERSIONS: u16 = 0x002b;
    /// `key_share` (RFC 8446).
    pub const KEY_SHARE: u16 = 0x0033;
    /// `quic_transport_parameters` (RFC 9001).
    pub const QUIC_TRANSPORT_PARAMETERS: u16 = 0x0039;
    /// `encrypted_client_hello` (RFC 9849).
    pub const ENCRYPTED_CLIENT_HELLO: u16 = 0xfe0d;
    /// `renegotiation_info` (RFC 5746).
    pub const RENEGOTIATION_INFO: u16 = 0xff01;
}

/// The `random` of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 4.1.3).
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Length of a handshake message header: type (1), length (3).
pub const HANDSHAKE_HEADER_LEN: usize = 4;

/// A handshake message type. Unknown values are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandshakeType(pub u8);

impl HandshakeType {
    /// `hello_request` (0, TLS 1.2 and earlier).
    pub const HELLO_REQUEST: Self = Self(0);
    /// `client_hello` (1).
    pub const CLIENT_HELLO: Self = Self(1);
    /// `server_hello` (2; also HelloRetryRequest in TLS 1.3).
    pub const SERVER_HELLO: Self = Self(2);
    /// `new_session_ticket` (4).
    pub const NEW_SESSION_TICKET: Self = Self(4);
    /// `end_of_early_data` (5).
    pub const END_OF_EARLY_DATA: Self = Self(5);
    /// `encrypted_extensions` (8).
    pub const ENCRYPTED_EXTENSIONS: Self = Self(8);
    /// `certificate` (11).
    pub const CERTIFICATE: Self = Self(11);
    /// `server_key_exchange` (12).
    pub const SERVER_KEY_EXCHANGE: Self = Self(12);
    /// `certificate_request` (13).
    pub const CERTIFICATE_REQUEST: Self = Self(13);
    /// `server_hello_done` (14).
    pub const SERVER_HELLO_DONE: Self = Self(14);
    /// `certificate_verify` (15).
    pub const CERTIFICATE_VERIFY: Self = Self(15);
    /// `client_key_exchange` (16).
    pub const CLIENT_KEY_EXCHANGE: Self = Self(16);
    /// `finished` (20).
    pub const FINISHED: Self = Self(20);
    /// `key_update` (24).
    pub const KEY_UPDATE: Self = Self(24);
    /// `message_hash` (254).
    pub const MESSAGE_HASH: Self = Self(254);

    /// The RFC name, or `None` for a value this crate does not know.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "hello_request",
            1 => "client_hello",
            2 => "server_hello",
            4 => "new_session_ticket",
            5 => "end_of_early_data",
            8 => "encrypted_extensions",
            11 => "certificate",
            12 => "server_key_exchange",
            13 => "certificate_request",
            14 => "server_hello_done",
            15 => "certificate_verify",
            16 => "client_key_exchange",
            20 => "finished",
            24 => "key_update",
            254 => "message_hash",
            _ => return None,
        })
    }
}

/// A parsed handshake message header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandshakeHeader {
    /// The message type.
    pub msg_type: HandshakeType,
    /// The body length announced by the header (24 bits).
    pub len: u32,
}

impl HandshakeHeader {
    /// Header plus body length: the bytes the whole message occupies.
    #[must_use]
    pub const fn total_len(&self) -> usize {
        HANDSHAKE_HEADER_LEN + self.len as usize
    }
}

/// Parses the 4-byte handshake header at the start of `data`. The body need not be there.
///
/// # Errors
///
/// [`Status::Incomplete`] with `needed: 4` when `data` is shorter than a header.
pub fn parse_handshake_header(data: &[u8]) -> Result<HandshakeHeader, Status> {
    let mut r = Reader::new(data);
    match (r.u8(), r.u24()) {
        (Some(t), Some(len)) => Ok(HandshakeHeader {
            msg_type: HandshakeType(t),
            len,
        }),
        _ => Err(Status::Incomplete {
            needed: HANDSHAKE_HEADER_LEN,
        }),
    }
}

/// Parses one whole handshake message at the start of `data`: its header, its body and the
/// bytes after it (the next message, if the record carried several).
///
/// # Errors
///
/// [`Status::Incomplete`] with `needed` = 4 + the announced length when the header or the body
/// is not all there. A partial message is never an error.
pub fn parse_handshake(data: &[u8]) -> Result<(HandshakeHeader, &[u8], &[u8]), Status> {
    let header = parse_handshake_header(data)?;
    let mut r = Reader::new(data);
    let _ = r.take(HANDSHAKE_HEADER_LEN);
    let needed = header.total_len();
    let body = r
        .take(usize::try_from(header.len).unwrap_or(usize::MAX))
        .ok_or(Status::Incomplete { needed })?;
    Ok((header, body, r.rest()))
}

const fn malformed(what: &'static str) -> TlsError {
    TlsError::Malformed { what }
}

/// The extension block after the fixed hello fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ExtBlock<'a> {
    /// The extension bytes (after the 2-byte length), clamped to the message.
    bytes: &'a [u8],
    /// The announced block length ran past the message (or the length itself was cut).
    overlong: bool,
    /// The message has an extension block at all (absent in old SSL 3.0 / TLS 1.0 hellos).
    present: bool,
}

impl<'a> ExtBlock<'a> {
    fn parse(r: &mut Reader<'a>) -> Self {
        if r.is_empty() {
            return Self {
                bytes: r.rest(),
                overlong: false,
                present: false,
            };
        }
        let Some(len) = r.u16() else {
            // One stray byte: a cut length field.
            return Self {
                bytes: r.take_rest().get(1..).unwrap_or_default(),
                overlong: true,
                present: true,
            };
        };
        match r.take(usize::from(len)) {
            Some(bytes) => Self {
                bytes,
                overlong: false,
                present: true,
            },
            None => Self {
                bytes: r.take_rest(),
                overlong: true,
                present: true,
            },
        }
    }

    fn iter(self) -> Extensions<'a> {
        Extensions {
            r: Reader::new(self.bytes),
            overlong: self.overlong,
            done: false,
        }
    }

    /// The body of the first well-formed extension of type `ty`, scanning until the first
    /// malformed entry.
    fn find(self, ty: u16) -> Option<&'a [u8]> {
        self.iter()
            .map_while(Result::ok)
            .find_map(|(t, d)| (t == ty).then_some(d))
    }
}

/// Iterator over the raw extension list of a hello: `(type, body)` in wire order.
///
/// A truncated entry, or a list whose announced length runs past the end of the message,
/// yields one `Err` item, after which the iterator is exhausted. Each step is `O(1)`.
#[derive(Clone, Debug)]
pub struct Extensions<'a> {
    r: Reader<'a>,
    overlong: bool,
    done: bool,
}

impl<'a> Iterator for Extensions<'a> {
    type Item = Result<(u16, &'a [u8]), TlsError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.r.is_empty() {
            self.done = true;
            return self
                .overlong
                .then_some(Err(malformed("extension list length exceeds the message")));
        }
        let mut r = self.r;
        if let (Some(ty), Some(body)) = (r.u16(), r.sub_u16_len()) {
            self.r = r;
            Some(Ok((ty, body)))
        } else {
            self.done = true;
            Some(Err(malformed("extension runs past the end of the list")))
        }
    }
}

impl FusedIterator for Extensions<'_> {}

/// Iterator over a list of big-endian `u16` values (cipher suites, groups, signature schemes,
/// versions). A trailing odd byte is ignored.
#[derive(Clone, Debug, Default)]
pub struct U16List<'a> {
    r: Reader<'a>,
}

impl<'a> U16List<'a> {
    /// An iterator over the `u16` values in `bytes`.
    #[must_use]
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self {
            r: Reader::new(bytes),
        }
    }
}

impl Iterator for U16List<'_> {
    type Item = u16;

    fn next(&mut self) -> Option<u16> {
        self.r.u16()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.r.len() / 2;
        (n, Some(n))
    }
}

impl ExactSizeIterator for U16List<'_> {}
impl FusedIterator for U16List<'_> {}

/// Iterator over the protocol names of an ALPN extension (`ProtocolName<1..2^8-1>` entries).
/// Stops at the first entry that runs past the list.
#[derive(Clone, Debug, Default)]
pub struct ProtocolNames<'a> {
    r: Reader<'a>,
}

impl<'a> Iterator for ProtocolNames<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let name = self.r.sub_u8_len();
        if name.is_none() {
            let _ = self.r.take_rest();
        }
        name
    }
}

impl FusedIterator for ProtocolNames<'_> {}

/// Iterator over the groups of a ClientHello `key_share` extension (`KeyShareEntry` list).
/// Stops at the first entry that runs past the list.
#[derive(Clone, Debug, Default)]
pub struct KeyShareGroups<'a> {
    r: Reader<'a>,
}

impl Iterator for KeyShareGroups<'_> {
    type Item = u16;

    fn next(&mut self) -> Option<u16> {
        let mut r = self.r;
        if let (Some(group), Some(_key)) = (r.u16(), r.sub_u16_len()) {
            self.r = r;
            Some(group)
        } else {
            let _ = self.r.take_rest();
            None
        }
    }
}

impl FusedIterator for KeyShareGroups<'_> {}

/// The contents of a length-prefixed list in an extension body, or an empty slice.
fn u16_prefixed(body: Option<&[u8]>) -> &[u8] {
    body.and_then(|b| Reader::new(b).sub_u16_len())
        .unwrap_or_default()
}

/// A ClientHello, viewed over a complete handshake message body (after the 4-byte header).
///
/// Construction checks the fixed fields; the extension list is walked lazily. Nothing allocates
/// and no accessor panics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientHello<'a> {
    legacy_version: ProtocolVersion,
    random: &'a [u8; 32],
    session_id: &'a [u8],
    cipher_suites: &'a [u8],
    compression_methods: &'a [u8],
    exts: ExtBlock<'a>,
}

impl<'a> ClientHello<'a> {
    /// Parses a ClientHello body.
    ///
    /// Lax where it costs nothing: a session id longer than 32 bytes is accepted, bytes after
    /// the extension block are ignored, and an extension block that runs past the message is
    /// reported by [`extensions`](Self::extensions) rather than here.
    ///
    /// # Errors
    ///
    /// [`TlsError::Malformed`] when a fixed field (version, random, session id, cipher suites,
    /// compression methods) is cut or the cipher suite list has an odd length.
    pub fn parse(body: &'a [u8]) -> Result<Self, TlsError> {
        let mut r = Reader::new(body);
        let legacy_version = r.u16().ok_or(malformed("client hello: version cut"))?;
        let random = r
            .array::<32>()
            .ok_or(malformed("client hello: random cut"))?;
        let session_id = r
            .sub_u8_len()
            .ok_or(malformed("client hello: session id cut"))?;
        let cipher_suites = r
            .sub_u16_len()
            .ok_or(malformed("client hello: cipher suites cut"))?;
        if cipher_suites.len() % 2 != 0 {
            return Err(malformed("client hello: odd cipher suites length"));
        }
        let compression_methods = r
            .sub_u8_len()
            .ok_or(malformed("client hello: compression methods cut"))?;
        let exts = ExtBlock::parse(&mut r);
        Ok(Self {
            legacy_version: ProtocolVersion(legacy_version),
            random,
            session_id,
            cipher_suites,
            compression_methods,
            exts,
        })
    }

    /// `legacy_version` (0x0303 for TLS 1.2 and 1.3 clients).
    #[inline]
    #[must_use]
    pub const fn legacy_version(&self) -> ProtocolVersion {
        self.legacy_version
    }

    /// The 32-byte client random.
    #[inline]
    #[must_use]
    pub const fn random(&self) -> &'a [u8; 32] {
        self.random
    }

    /// The legacy session id (0 to 32 bytes normally).
    #[inline]
    #[must_use]
    pub const fn session_id(&self) -> &'a [u8] {
        self.session_id
    }

    /// The raw cipher suite list (an even number of bytes).
    #[inline]
    #[must_use]
    pub const fn cipher_suites_raw(&self) -> &'a [u8] {
        self.cipher_suites
    }

    /// The cipher suites in wire order, GREASE and SCSVs included.
    #[inline]
    #[must_use]
    pub const fn cipher_suites(&self) -> U16List<'a> {
        U16List::new(self.cipher_suites)
    }

    /// The compression methods (normally just `0`, null).
    #[inline]
    #[must_use]
    pub const fn compression_methods(&self) -> &'a [u8] {
        self.compression_methods
    }

    /// Whether the message has an extension block at all (SSL 3.0-era hellos may not).
    #[inline]
    #[must_use]
    pub const fn has_extensions(&self) -> bool {
        self.exts.present
    }

    /// The raw extension block (after its length field), clamped to the message.
    #[inline]
    #[must_use]
    pub const fn extensions_raw(&self) -> &'a [u8] {
        self.exts.bytes
    }

    /// The extensions in wire order: `(type, body)`; an error item ends a malformed list.
    #[inline]
    #[must_use]
    pub fn extensions(&self) -> Extensions<'a> {
        self.exts.iter()
    }

    /// The body of the first extension of type `ty` (see [`ext`] for numbers).
    #[must_use]
    pub fn extension(&self, ty: u16) -> Option<&'a [u8]> {
        self.exts.find(ty)
    }

    /// The first `host_name` (type 0) in the `server_name` extension, as raw bytes (normally
    /// ASCII; not validated).
    #[must_use]
    pub fn sni(&self) -> Option<&'a [u8]> {
        let mut list = Reader::new(u16_prefixed(self.extension(ext::SERVER_NAME)));
        while let (Some(name_type), Some(name)) = (list.u8(), list.sub_u16_len()) {
            if name_type == 0 {
                return Some(name);
            }
        }
        None
    }

    /// The ALPN protocol names offered, in wire order (empty without the extension).
    #[must_use]
    pub fn alpn(&self) -> ProtocolNames<'a> {
        ProtocolNames {
            r: Reader::new(u16_prefixed(self.extension(ext::ALPN))),
        }
    }

    /// The versions in `supported_versions`, in wire order (empty without the extension).
    #[must_use]
    pub fn supported_versions(&self) -> U16List<'a> {
        let list = self
            .extension(ext::SUPPORTED_VERSIONS)
            .and_then(|b| Reader::new(b).sub_u8_len())
            .unwrap_or_default();
        U16List::new(list)
    }

    /// The named groups in `supported_groups` (JA3's "elliptic curves"), in wire order.
    #[must_use]
    pub fn supported_groups(&self) -> U16List<'a> {
        U16List::new(u16_prefixed(self.extension(ext::SUPPORTED_GROUPS)))
    }

    /// The groups of the key shares the client sent, in wire order.
    #[must_use]
    pub fn key_share_groups(&self) -> KeyShareGroups<'a> {
        KeyShareGroups {
            r: Reader::new(u16_prefixed(self.extension(ext::KEY_SHARE))),
        }
    }

    /// The signature schemes in `signature_algorithms`, in wire order.
    #[must_use]
    pub fn signature_algorithms(&self) -> U16List<'a> {
        U16List::new(u16_prefixed(self.extension(ext::SIGNATURE_ALGORITHMS)))
    }

    /// The point formats in `ec_point_formats` (one byte each), or `None` without the
    /// extension (or when its list is cut).
    #[must_use]
    pub fn ec_point_formats(&self) -> Option<&'a [u8]> {
        self.extension(ext::EC_POINT_FORMATS)
            .and_then(|b| Reader::new(b).sub_u8_len())
    }
}

/// A ServerHello (or TLS 1.3 HelloRetryRequest), viewed over a complete message body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerHello<'a> {
    legacy_version: ProtocolVersion,
    random: &'a [u8; 32],
    session_id: &'a [u8],
    cipher_suite: u16,
    compression_method: u8,
    exts: ExtBlock<'a>,
}

impl<'a> ServerHello<'a> {
    /// Parses a ServerHello body. Any legacy version value is accepted.
    ///
    /// # Errors
    ///
    /// [`TlsError::Malformed`] when a fixed field (version, random, session id, cipher suite,
    /// compression method) is cut.
    pub fn parse(body: &'a [u8]) -> Result<Self, TlsError> {
        let mut r = Reader::new(body);
        let legacy_version = r.u16().ok_or(malformed("server hello: version cut"))?;
        let random = r
            .array::<32>()
            .ok_or(malformed("server hello: random cut"))?;
        let session_id = r
            .sub_u8_len()
            .ok_or(malformed("server hello: session id cut"))?;
        let cipher_suite = r.u16().ok_or(malformed("server hello: cipher suite cut"))?;
        let compression_method = r
            .u8()
            .ok_or(malformed("server hello: compression method cut"))?;
        let exts = ExtBlock::parse(&mut r);
        Ok(Self {
            legacy_version: ProtocolVersion(legacy_version),
            random,
            session_id,
            cipher_suite,
            compression_method,
            exts,
        })
    }

    /// `legacy_version` (0x0303 for TLS 1.3; see [`selected_version`](Self::selected_version)).
    #[inline]
    #[must_use]
    pub const fn legacy_version(&self) -> ProtocolVersion {
        self.legacy_version
    }

    /// The negotiated version: `supported_versions` if present (TLS 1.3), else `legacy_version`.
    #[must_use]
    pub fn version(&self) -> ProtocolVersion {
        self.selected_version().unwrap_or(self.legacy_version)
    }

    /// The 32-byte server random.
    #[inline]
    #[must_use]
    pub const fn random(&self) -> &'a [u8; 32] {
        self.random
    }

    /// Whether this is a TLS 1.3 HelloRetryRequest ([`HRR_RANDOM`], RFC 8446 4.1.3).
    #[inline]
    #[must_use]
    pub fn is_hello_retry_request(&self) -> bool {
        *self.random == HRR_RANDOM
    }

    /// The legacy session id echo.
    #[inline]
    #[must_use]
    pub const fn session_id(&self) -> &'a [u8] {
        self.session_id
    }

    /// The chosen cipher suite.
    #[inline]
    #[must_use]
    pub const fn cipher_suite(&self) -> u16 {
        self.cipher_suite
    }

    /// The chosen compression method.
    #[inline]
    #[must_use]
    pub const fn compression_method(&self) -> u8 {
        self.compression_method
    }

    /// Whether the message has an extension block at all.
    #[inline]
    #[must_use]
    pub const fn has_extensions(&self) -> bool {
        self.exts.present
    }

    /// The raw extension block (after its length field), clamped to the message.
    #[inline]
    #[must_use]
    pub const fn extensions_raw(&self) -> &'a [u8] {
        self.exts.bytes
    }

    /// The extensions in wire order: `(type, body)`; an error item ends a malformed list.
    #[inline]
    #[must_use]
    pub fn extensions(&self) -> Extensions<'a> {
        self.exts.iter()
    }

    /// The body of the first extension of type `ty`.
    #[must_use]
    pub fn extension(&self, ty: u16) -> Option<&'a [u8]> {
        self.exts.find(ty)
    }

    /// The version in the `supported_versions` extension (a single `u16` in a ServerHello).
    #[must_use]
    pub fn selected_version(&self) -> Option<ProtocolVersion> {
        self.extension(ext::SUPPORTED_VERSIONS)
            .and_then(|b| Reader::new(b).u16())
            .map(ProtocolVersion)
    }

    /// The ALPN protocol the server selected (TLS 1.2 and earlier; TLS 1.3 sends it encrypted).
    #[must_use]
    pub fn alpn(&self) -> Option<&'a [u8]> {
        ProtocolNames {
            r: Reader::new(u16_prefixed(self.extension(ext::ALPN))),
        }
        .next()
    }

    /// The group of the server's key share, or for a HelloRetryRequest the group it asks for.
    #[must_use]
    pub fn key_share_group(&self) -> Option<u16> {
        self.extension(ext::KEY_SHARE)
            .and_then(|b| Reader::new(b).u16())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a ClientHello body from parts; extensions are `(type, body)`.
    pub(crate) fn client_hello(ciphers: &[u16], exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut b = vec![3, 3];
        b.extend_from_slice(&[7; 32]);
        b.push(0);
        b.extend_from_slice(&u16::try_from(ciphers.len() * 2).unwrap().to_be_bytes());
        for c in ciphers {
            b.extend_from_slice(&c.to_be_bytes());
        }
        b.extend_from_slice(&[1, 0]);
        let mut e = Vec::new();
        for (t, d) in exts {
            e.extend_from_slice(&t.to_be_bytes());
            e.extend_from_slice(&u16::try_from(d.len()).unwrap().to_be_bytes());
            e.extend_from_slice(d);
        }
        b.extend_from_slice(&u16::try_from(e.len()).unwrap().to_be_bytes());
        b.extend_from_slice(&e);
        b
    }

    fn sni_ext(name: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&u16::try_from(name.len() + 3).unwrap().to_be_bytes());
        v.push(0);
        v.extend_from_slice(&u16::try_from(name.len()).unwrap().to_be_bytes());
        v.extend_from_slice(name);
        v
    }

    #[test]
    fn client_hello_accessors() {
        let body = client_hello(
            &[0x1301, 0x0a0a, 0xc02f],
            &[
                (ext::SERVER_NAME, sni_ext(b"example.com")),
                (
                    ext::ALPN,
                    vec![
                        0, 12, 2, b'h', b'2', 8, b'h', b't', b't', b'p', b'/', b'1', b'.', b'1',
                    ],
                ),
                (ext::SUPPORTED_VERSIONS, vec![4, 0x03, 0x04, 0x03, 0x03]),
                (ext::SUPPORTED_GROUPS, vec![0, 4, 0, 0x1d, 0, 0x17]),
                (ext::KEY_SHARE, vec![0, 8, 0, 0x1d, 0, 4, 1, 2, 3, 4]),
                (ext::SIGNATURE_ALGORITHMS, vec![0, 4, 4, 3, 8, 4]),
                (ext::EC_POINT_FORMATS, vec![1, 0]),
                (0xabcd, vec![]),
            ],
        );
        let ch = ClientHello::parse(&body).unwrap();
        assert_eq!(ch.legacy_version(), ProtocolVersion::TLS1_2);
        assert_eq!(ch.random(), &[7; 32]);
        assert!(ch.session_id().is_empty());
        assert_eq!(
            ch.cipher_suites().collect::<Vec<_>>(),
            [0x1301, 0x0a0a, 0xc02f]
        );
        assert_eq!(ch.compression_methods(), &[0]);
        assert_eq!(ch.sni(), Some(&b"example.com"[..]));
        assert_eq!(ch.alpn().collect::<Vec<_>>(), [&b"h2"[..], b"http/1.1"]);
        assert_eq!(
            ch.supported_versions().collect::<Vec<_>>(),
            [0x0304, 0x0303]
        );
        assert_eq!(ch.supported_groups().collect::<Vec<_>>(), [0x1d, 0x17]);
        assert_eq!(ch.key_share_groups().collect::<Vec<_>>(), [0x1d]);
        assert_eq!(
            ch.signature_algorithms().collect::<Vec<_>>(),
            [0x0403, 0x0804]
        );
        assert_eq!(ch.ec_point_formats(), Some(&[0u8][..]));
        let types: Vec<u16> = ch.extensions().map(|e| e.unwrap().0).collect();
        assert_eq!(types, [0, 16, 43, 10, 51, 13, 11, 0xabcd]);
    }

    #[test]
    fn overlong_and_truncated_extension_lists() {
        let mut body = client_hello(&[1], &[(1, vec![9]), (2, vec![])]);
        // Announce two more extension bytes than there are.
        let at = body.len() - 9 - 2;
        let len = u16::from_be_bytes([body[at], body[at + 1]]);
        body[at..at + 2].copy_from_slice(&(len + 2).to_be_bytes());
        let ch = ClientHello::parse(&body).unwrap();
        let items: Vec<_> = ch.extensions().collect();
        assert_eq!(items.len(), 3);
        assert!(items[0].is_ok() && items[1].is_ok() && items[2].is_err());
        // Cut inside the last extension: one error, then nothing.
        let ch = ClientHello::parse(&body[..body.len() - 1]).unwrap();
        let items: Vec<_> = ch.extensions().collect();
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok() && items[1].is_err());
        // A single stray byte where the extension length should be.
        let no_ext = client_hello(&[1], &[]);
        let mut one = no_ext[..no_ext.len() - 2].to_vec();
        let ch = ClientHello::parse(&one).unwrap();
        assert!(!ch.has_extensions());
        assert_eq!(ch.extensions().count(), 0);
        one.push(0);
        let ch = ClientHello::parse(&one).unwrap();
        assert_eq!(ch.extensions().collect::<Vec<_>>().len(), 1);
    }

    #[test]
    fn fixed_fields_errors() {
        let body = client_hello(&[1, 2], &[]);
        for cut in 0..body.len() - 2 {
            assert!(ClientHello::parse(&body[..cut]).is_err(), "cut {cut}");
        }
        let mut odd = body;
        odd[36] = 3; // cipher suites length 3
        assert!(ClientHello::parse(&odd).is_err());
    }

    #[test]
    fn server_hello_and_hrr() {
        let mut b = vec![3, 3];
        b.extend_from_slice(&HRR_RANDOM);
        b.extend_from_slice(&[0, 0x13, 0x01, 0]);
        b.extend_from_slice(&[0, 12, 0, 0x2b, 0, 2, 3, 4, 0, 0x33, 0, 2, 0, 0x17]);
        let sh = ServerHello::parse(&b).unwrap();
        assert!(sh.is_hello_retry_request());
        assert_eq!(sh.selected_version(), Some(ProtocolVersion::TLS1_3));
        assert_eq!(sh.version(), ProtocolVersion::TLS1_3);
        assert_eq!(sh.cipher_suite(), 0x1301);
        assert_eq!(sh.key_share_group(), Some(0x17));
        assert_eq!(sh.alpn(), None);
        b[2] ^= 1;
        let sh = ServerHello::parse(&b).unwrap();
        assert!(!sh.is_hello_retry_request());
    }

    #[test]
    fn handshake_framing() {
        let d = [1, 0, 0, 2, 0xaa, 0xbb, 0x0e];
        let (h, body, rest) = parse_handshake(&d).unwrap();
        assert_eq!(h.msg_type, HandshakeType::CLIENT_HELLO);
        assert_eq!(body, &[0xaa, 0xbb]);
        assert_eq!(rest, &[0x0e]);
        for cut in 0..4 {
            assert_eq!(
                parse_handshake(&d[..cut]),
                Err(Status::Incomplete { needed: 4 })
            );
        }
        for cut in 4..6 {
            assert_eq!(
                parse_handshake(&d[..cut]),
                Err(Status::Incomplete { needed: 6 })
            );
        }
        assert_eq!(
            parse_handshake(&[2, 0xff, 0xff, 0xff]),
            Err(Status::Incomplete {
                needed: 4 + 0xff_ffff
            })
        );
    }
}
