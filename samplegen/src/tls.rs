//! Synthetic TLS handshake messages: a realistic ClientHello (SNI, ALPN,
//! supported_versions, supported_groups, key_share, signature_algorithms),
//! a ServerHello, and opaque records for the rest of a session.
//!
//! The bytes are well-formed TLS but carry random keys: they decode in any
//! dissector, and no real handshake can complete with them.

use crate::rng::SplitMix64;

/// TLS record content types.
pub mod content_type {
    /// change_cipher_spec.
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    /// alert.
    pub const ALERT: u8 = 21;
    /// handshake.
    pub const HANDSHAKE: u8 = 22;
    /// application_data.
    pub const APPLICATION_DATA: u8 = 23;
}

/// Extension type numbers.
pub mod extension {
    /// server_name (RFC 6066).
    pub const SERVER_NAME: u16 = 0;
    /// supported_groups (RFC 8422).
    pub const SUPPORTED_GROUPS: u16 = 10;
    /// ec_point_formats (RFC 8422).
    pub const EC_POINT_FORMATS: u16 = 11;
    /// signature_algorithms (RFC 8446).
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    /// application_layer_protocol_negotiation (RFC 7301).
    pub const ALPN: u16 = 16;
    /// extended_master_secret (RFC 7627).
    pub const EXTENDED_MASTER_SECRET: u16 = 23;
    /// supported_versions (RFC 8446).
    pub const SUPPORTED_VERSIONS: u16 = 43;
    /// psk_key_exchange_modes (RFC 8446).
    pub const PSK_KEY_EXCHANGE_MODES: u16 = 45;
    /// key_share (RFC 8446).
    pub const KEY_SHARE: u16 = 51;
    /// renegotiation_info (RFC 5746).
    pub const RENEGOTIATION_INFO: u16 = 0xff01;
}

/// Named groups.
pub mod group {
    /// x25519.
    pub const X25519: u16 = 0x001d;
    /// secp256r1.
    pub const SECP256R1: u16 = 0x0017;
    /// secp384r1.
    pub const SECP384R1: u16 = 0x0018;
}

/// A key share entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShare {
    /// Named group.
    pub group: u16,
    /// Public key bytes.
    pub key_exchange: Vec<u8>,
}

/// A ClientHello description. [`ClientHello::new`] gives a modern
/// browser-like hello; every field can be changed before encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// Version in the record header (0x0301, as real clients send).
    pub record_version: u16,
    /// `legacy_version` of the hello (0x0303).
    pub legacy_version: u16,
    /// Client random.
    pub random: [u8; 32],
    /// Legacy session id (32 random bytes for TLS 1.3 middlebox compatibility).
    pub session_id: Vec<u8>,
    /// Cipher suites.
    pub cipher_suites: Vec<u16>,
    /// Server name for the SNI extension (omitted if `None`).
    pub server_name: Option<String>,
    /// ALPN protocols (extension omitted if empty).
    pub alpn: Vec<String>,
    /// supported_versions (extension omitted if empty).
    pub supported_versions: Vec<u16>,
    /// supported_groups (extension omitted if empty).
    pub supported_groups: Vec<u16>,
    /// key_share entries (extension omitted if empty).
    pub key_shares: Vec<KeyShare>,
    /// signature_algorithms (extension omitted if empty).
    pub signature_algorithms: Vec<u16>,
}

/// Cipher suites of a modern client (TLS 1.3 suites first).
pub const MODERN_CIPHER_SUITES: [u16; 9] = [
    0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
];

/// Signature algorithms of a modern client.
pub const MODERN_SIGNATURE_ALGORITHMS: [u16; 8] = [
    0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
];

impl ClientHello {
    /// A TLS 1.3-capable hello for `server_name` with ALPN `h2`,
    /// `http/1.1`, an x25519 key share and randoms drawn from `rng`.
    #[must_use]
    pub fn new(server_name: &str, rng: &mut SplitMix64) -> Self {
        Self {
            record_version: 0x0301,
            legacy_version: 0x0303,
            random: rng.bytes(),
            session_id: rng.bytes::<32>().to_vec(),
            cipher_suites: MODERN_CIPHER_SUITES.to_vec(),
            server_name: Some(server_name.to_owned()),
            alpn: vec!["h2".to_owned(), "http/1.1".to_owned()],
            supported_versions: vec![0x0304, 0x0303],
            supported_groups: vec![group::X25519, group::SECP256R1, group::SECP384R1],
            key_shares: vec![KeyShare {
                group: group::X25519,
                key_exchange: rng.bytes::<32>().to_vec(),
            }],
            signature_algorithms: MODERN_SIGNATURE_ALGORITHMS.to_vec(),
        }
    }

    /// The extensions block (without its 2-byte length).
    fn extensions(&self) -> Vec<u8> {
        let mut e = Vec::new();
        if let Some(name) = &self.server_name {
            let mut list = Vec::new();
            list.push(0); // host_name
            put_vec16(&mut list, name.as_bytes());
            let mut body = Vec::new();
            put_vec16(&mut body, &list);
            put_ext(&mut e, extension::SERVER_NAME, &body);
        }
        put_ext(&mut e, extension::EXTENDED_MASTER_SECRET, &[]);
        put_ext(&mut e, extension::RENEGOTIATION_INFO, &[0]);
        if !self.supported_groups.is_empty() {
            put_ext(
                &mut e,
                extension::SUPPORTED_GROUPS,
                &u16_list16(&self.supported_groups),
            );
        }
        put_ext(&mut e, extension::EC_POINT_FORMATS, &[1, 0]);
        if !self.alpn.is_empty() {
            let mut list = Vec::new();
            for p in &self.alpn {
                let p = &p.as_bytes()[..p.len().min(255)];
                list.push(p.len() as u8);
                list.extend_from_slice(p);
            }
            let mut body = Vec::new();
            put_vec16(&mut body, &list);
            put_ext(&mut e, extension::ALPN, &body);
        }
        if !self.signature_algorithms.is_empty() {
            put_ext(
                &mut e,
                extension::SIGNATURE_ALGORITHMS,
                &u16_list16(&self.signature_algorithms),
            );
        }
        if !self.key_shares.is_empty() {
            let mut list = Vec::new();
            for ks in &self.key_shares {
                list.extend_from_slice(&ks.group.to_be_bytes());
                put_vec16(&mut list, &ks.key_exchange);
            }
            let mut body = Vec::new();
            put_vec16(&mut body, &list);
            put_ext(&mut e, extension::KEY_SHARE, &body);
        }
        put_ext(&mut e, extension::PSK_KEY_EXCHANGE_MODES, &[1, 1]);
        if !self.supported_versions.is_empty() {
            let mut body = vec![(self.supported_versions.len() * 2) as u8];
            for v in &self.supported_versions {
                body.extend_from_slice(&v.to_be_bytes());
            }
            put_ext(&mut e, extension::SUPPORTED_VERSIONS, &body);
        }
        e
    }

    /// The handshake message: type 1, 24-bit length, body.
    #[must_use]
    pub fn handshake_bytes(&self) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&self.legacy_version.to_be_bytes());
        body.extend_from_slice(&self.random);
        body.push(self.session_id.len().min(32) as u8);
        body.extend_from_slice(&self.session_id[..self.session_id.len().min(32)]);
        put_vec16(&mut body, &u16_list(&self.cipher_suites));
        body.extend_from_slice(&[1, 0]); // compression: null only
        put_vec16(&mut body, &self.extensions());
        handshake(1, &body)
    }

    /// The whole TLS record: 5-byte header (type 22) plus the handshake.
    #[must_use]
    pub fn record_bytes(&self) -> Vec<u8> {
        record(
            content_type::HANDSHAKE,
            self.record_version,
            &self.handshake_bytes(),
        )
    }
}

/// A ServerHello description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// Server random.
    pub random: [u8; 32],
    /// Echoed session id.
    pub session_id: Vec<u8>,
    /// Selected cipher suite.
    pub cipher_suite: u16,
    /// Selected version for the supported_versions extension (0x0304 for
    /// TLS 1.3; `None` omits it, i.e. TLS 1.2).
    pub selected_version: Option<u16>,
    /// Server key share (TLS 1.3).
    pub key_share: Option<KeyShare>,
    /// Selected ALPN protocol (TLS 1.2 style, in the ServerHello).
    pub alpn: Option<String>,
}

impl ServerHello {
    /// A TLS 1.3 ServerHello answering `hello` (`TLS_AES_128_GCM_SHA256`,
    /// x25519) with randoms from `rng`.
    #[must_use]
    pub fn tls13(hello: &ClientHello, rng: &mut SplitMix64) -> Self {
        Self {
            random: rng.bytes(),
            session_id: hello.session_id.clone(),
            cipher_suite: 0x1301,
            selected_version: Some(0x0304),
            key_share: Some(KeyShare {
                group: group::X25519,
                key_exchange: rng.bytes::<32>().to_vec(),
            }),
            alpn: None,
        }
    }

    /// The handshake message: type 2, 24-bit length, body.
    #[must_use]
    pub fn handshake_bytes(&self) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&0x0303u16.to_be_bytes());
        body.extend_from_slice(&self.random);
        body.push(self.session_id.len().min(32) as u8);
        body.extend_from_slice(&self.session_id[..self.session_id.len().min(32)]);
        body.extend_from_slice(&self.cipher_suite.to_be_bytes());
        body.push(0);
        let mut e = Vec::new();
        if let Some(alpn) = &self.alpn {
            let mut list = vec![alpn.len().min(255) as u8];
            list.extend_from_slice(&alpn.as_bytes()[..alpn.len().min(255)]);
            let mut b = Vec::new();
            put_vec16(&mut b, &list);
            put_ext(&mut e, extension::ALPN, &b);
        }
        if let Some(ks) = &self.key_share {
            let mut b = ks.group.to_be_bytes().to_vec();
            put_vec16(&mut b, &ks.key_exchange);
            put_ext(&mut e, extension::KEY_SHARE, &b);
        }
        if let Some(v) = self.selected_version {
            put_ext(&mut e, extension::SUPPORTED_VERSIONS, &v.to_be_bytes());
        }
        put_vec16(&mut body, &e);
        handshake(2, &body)
    }

    /// The whole TLS record (type 22, version 0x0303).
    #[must_use]
    pub fn record_bytes(&self) -> Vec<u8> {
        record(content_type::HANDSHAKE, 0x0303, &self.handshake_bytes())
    }
}

/// The server's first flight of a TLS 1.3 handshake as it appears on the
/// wire: ServerHello, ChangeCipherSpec, then `encrypted_len` bytes of
/// opaque application_data (EncryptedExtensions, Certificate, ... encrypted).
#[must_use]
pub fn tls13_server_flight(
    hello: &ClientHello,
    encrypted_len: usize,
    rng: &mut SplitMix64,
) -> Vec<u8> {
    let mut out = ServerHello::tls13(hello, rng).record_bytes();
    out.extend_from_slice(&change_cipher_spec());
    out.extend_from_slice(&application_data(encrypted_len, rng));
    out
}

/// A ChangeCipherSpec record (`14 03 03 00 01 01`).
#[must_use]
pub fn change_cipher_spec() -> Vec<u8> {
    record(content_type::CHANGE_CIPHER_SPEC, 0x0303, &[1])
}

/// An application_data record with `len` random bytes (split into several
/// records if `len` exceeds 16 KiB + 256).
#[must_use]
pub fn application_data(len: usize, rng: &mut SplitMix64) -> Vec<u8> {
    let mut payload = vec![0u8; len];
    rng.fill(&mut payload);
    let mut out = Vec::with_capacity(len + 5);
    for chunk in payload.chunks(16_384 + 256) {
        out.extend_from_slice(&record(content_type::APPLICATION_DATA, 0x0303, chunk));
    }
    if len == 0 {
        out.extend_from_slice(&record(content_type::APPLICATION_DATA, 0x0303, &[]));
    }
    out
}

/// A TLS record: type, version, 16-bit length, fragment.
#[must_use]
pub fn record(content_type: u8, version: u16, fragment: &[u8]) -> Vec<u8> {
    let mut r = Vec::with_capacity(5 + fragment.len());
    r.push(content_type);
    r.extend_from_slice(&version.to_be_bytes());
    put_vec16(&mut r, fragment);
    r
}

/// A handshake message: type, 24-bit length, body.
#[must_use]
pub fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let mut h = Vec::with_capacity(4 + body.len());
    h.push(msg_type);
    h.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    h.extend_from_slice(body);
    h
}

/// Splits `data` into `parts` nearly equal consecutive pieces (at least one;
/// never more pieces than bytes, except that empty input gives one piece).
#[must_use]
pub fn split_evenly(data: &[u8], parts: usize) -> Vec<&[u8]> {
    let parts = parts.clamp(1, data.len().max(1));
    let base = data.len() / parts;
    let extra = data.len() % parts;
    let mut out = Vec::with_capacity(parts);
    let mut at = 0;
    for i in 0..parts {
        let len = base + usize::from(i < extra);
        out.push(&data[at..at + len]);
        at += len;
    }
    out
}

fn put_vec16(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
}

fn put_ext(out: &mut Vec<u8>, ext_type: u16, body: &[u8]) {
    out.extend_from_slice(&ext_type.to_be_bytes());
    put_vec16(out, body);
}

fn u16_list(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

fn u16_list16(values: &[u16]) -> Vec<u8> {
    let mut b = Vec::new();
    put_vec16(&mut b, &u16_list(values));
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny cursor for hand-parsing in tests.
    struct Cur<'a>(&'a [u8]);

    impl<'a> Cur<'a> {
        fn take(&mut self, n: usize) -> &'a [u8] {
            let (a, b) = self.0.split_at(n);
            self.0 = b;
            a
        }
        fn u8(&mut self) -> usize {
            usize::from(self.take(1)[0])
        }
        fn u16(&mut self) -> usize {
            let b = self.take(2);
            usize::from(u16::from_be_bytes([b[0], b[1]]))
        }
        fn u24(&mut self) -> usize {
            let b = self.take(3);
            (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2])
        }
    }

    fn parse_extensions(hello: &[u8]) -> Vec<(usize, Vec<u8>)> {
        let mut c = Cur(hello);
        c.take(2 + 32);
        let sid = c.u8();
        c.take(sid);
        let cs = c.u16();
        c.take(cs);
        let comp = c.u8();
        c.take(comp);
        let ext_len = c.u16();
        assert_eq!(ext_len, c.0.len(), "extensions length covers the rest");
        let mut out = Vec::new();
        while !c.0.is_empty() {
            let t = c.u16();
            let l = c.u16();
            out.push((t, c.take(l).to_vec()));
        }
        out
    }

    #[test]
    fn client_hello_lengths_are_consistent() {
        let ch = ClientHello::new("split.example.com", &mut SplitMix64::new(3));
        let rec = ch.record_bytes();
        let mut c = Cur(&rec);
        assert_eq!(c.u8(), 22);
        assert_eq!(c.u16(), 0x0301);
        let record_len = c.u16();
        assert_eq!(record_len, rec.len() - 5);
        assert_eq!(c.u8(), 1, "client_hello");
        let hs_len = c.u24();
        assert_eq!(record_len, hs_len + 4);
        assert_eq!(hs_len, c.0.len());
        assert_eq!(c.u16(), 0x0303);
        assert_eq!(ch.handshake_bytes(), rec[5..]);
        assert_eq!(ch.cipher_suites.len(), 9);
    }

    #[test]
    fn client_hello_extensions_hand_parsed() {
        let ch = ClientHello::new("split.example.com", &mut SplitMix64::new(3));
        let hs = ch.handshake_bytes();
        let exts = parse_extensions(&hs[4..]);
        let get = |t: u16| {
            exts.iter()
                .find(|(ty, _)| *ty == usize::from(t))
                .map(|(_, b)| b.clone())
                .unwrap()
        };
        // server_name: list len, type 0, name len, name.
        let sni = get(extension::SERVER_NAME);
        let mut c = Cur(&sni);
        assert_eq!(c.u16(), sni.len() - 2);
        assert_eq!(c.u8(), 0);
        let n = c.u16();
        assert_eq!(c.take(n), b"split.example.com");
        // ALPN: list len, then u8-prefixed names.
        let alpn = get(extension::ALPN);
        assert_eq!(alpn, b"\x00\x0c\x02h2\x08http/1.1");
        // supported_versions: u8 length then versions.
        assert_eq!(get(extension::SUPPORTED_VERSIONS), [4, 3, 4, 3, 3]);
        assert_eq!(
            get(extension::SUPPORTED_GROUPS),
            [0, 6, 0, 0x1d, 0, 0x17, 0, 0x18]
        );
        let ks = get(extension::KEY_SHARE);
        let mut c = Cur(&ks);
        assert_eq!(c.u16(), 36);
        assert_eq!(c.u16(), 0x1d);
        assert_eq!(c.u16(), 32);
        let sa = get(extension::SIGNATURE_ALGORITHMS);
        assert_eq!(sa.len(), 2 + 16);
        assert_eq!(usize::from(u16::from_be_bytes([sa[0], sa[1]])), 16);
    }

    #[test]
    fn server_hello_and_records() {
        let mut rng = SplitMix64::new(9);
        let ch = ClientHello::new("a.example", &mut rng);
        let sh = ServerHello::tls13(&ch, &mut rng).record_bytes();
        assert_eq!(sh[0], 22);
        assert_eq!(
            usize::from(u16::from_be_bytes([sh[3], sh[4]])),
            sh.len() - 5
        );
        assert_eq!(sh[5], 2);
        assert_eq!(change_cipher_spec(), [20, 3, 3, 0, 1, 1]);
        let ad = application_data(20_000, &mut rng);
        assert_eq!(ad.len(), 20_000 + 10);
        assert_eq!(&ad[..5], [23, 3, 3, 0x41, 0x00]);
    }

    #[test]
    fn split_evenly_parts() {
        let d = [0u8; 10];
        let p = split_evenly(&d, 3);
        assert_eq!(p.iter().map(|p| p.len()).collect::<Vec<_>>(), [4, 3, 3]);
        assert_eq!(split_evenly(&d, 0).len(), 1);
        assert_eq!(split_evenly(&[], 4).len(), 1);
    }
}
