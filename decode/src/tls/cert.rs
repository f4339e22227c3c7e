//! Server (and client) certificates from a plaintext TLS <= 1.2 `Certificate` message.
//!
//! Each certificate is parsed once with [`x509_parser`] into an owned [`CertInfo`]: this is
//! the one place in the TLS layer that allocates per item (a few `String`s per certificate),
//! never per packet. TLS 1.3 and QUIC encrypt the `Certificate` message, so nothing is seen
//! there (the session reports that fact instead).
//!
//! **Self-signed** means: the subject and issuer names are byte-identical (DER) and, when both
//! the authority and subject key identifiers are present, they are equal. The signature is
//! **not** verified (that needs x509-parser's `verify` feature, i.e. `ring`).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::IpAddr;

use sha2::{Digest, Sha256};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::X509Certificate;

use super::fingerprint::hex_byte;
use super::reader::Reader;

/// What one certificate of a chain says. Owned (parsed once per certificate).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// Position in the chain as sent (0 = leaf).
    pub index: usize,
    /// Length of the DER encoding.
    pub der_len: usize,
    /// SHA-256 of the DER encoding (the usual "fingerprint").
    pub sha256: [u8; 32],
    /// `None` when x509-parser accepted the DER; else a short reason, and the fields below are
    /// empty.
    pub parse_error: Option<&'static str>,
    /// Subject distinguished name, x509-parser's RFC 4514-like rendering in DER order
    /// (e.g. `C=US, O=Example, CN=www.example.com`).
    pub subject: String,
    /// Issuer distinguished name, same rendering.
    pub issuer: String,
    /// The subject common names (usually one).
    pub common_names: Vec<String>,
    /// DNS names from the subjectAltName extension.
    pub san_dns: Vec<String>,
    /// IP addresses from the subjectAltName extension.
    pub san_ip: Vec<IpAddr>,
    /// `notBefore`, seconds since the Unix epoch.
    pub not_before: i64,
    /// `notAfter`, seconds since the Unix epoch.
    pub not_after: i64,
    /// Serial number as lowercase hex of its DER content bytes (no separators; a leading `00`
    /// sign byte is kept as encoded, like `openssl x509 -serial` would drop it: compare
    /// case-insensitively and ignore leading zeros).
    pub serial_hex: String,
    /// Subject == issuer (DER) and, when both are present, AKI == SKI. See the module docs.
    pub self_signed: bool,
    /// basicConstraints CA flag (`false` when the extension is absent).
    pub is_ca: bool,
}

impl CertInfo {
    /// The SHA-256 fingerprint as 64 lowercase hex digits.
    #[must_use]
    pub fn sha256_hex(&self) -> String {
        hex(&self.sha256)
    }

    /// Whether `ts_secs` (seconds since the epoch) lies in `[not_before, not_after]`.
    #[must_use]
    pub const fn valid_at(&self, ts_secs: i64) -> bool {
        self.parse_error.is_none() && self.not_before <= ts_secs && ts_secs <= self.not_after
    }

    /// The names a host name is matched against (RFC 6125 / Zeek): the SAN DNS names if there
    /// are any, else the last subject CN.
    fn reference_names(&self) -> impl Iterator<Item = &str> {
        let cn = if self.san_dns.is_empty() {
            self.common_names.last().map(String::as_str)
        } else {
            None
        };
        self.san_dns.iter().map(String::as_str).chain(cn)
    }

    /// Whether `host` (an SNI) matches this certificate's names: SAN DNS names if present, else
    /// the last CN; ASCII case-insensitive, trailing dot ignored; a wildcard only as the whole
    /// left-most label (`*.example.com` matches `a.example.com`, not `example.com` nor
    /// `a.b.example.com`), and never `*.tld`.
    #[must_use]
    pub fn matches_host(&self, host: &str) -> bool {
        self.reference_names().any(|n| host_matches(n, host))
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push_str(&hex_byte(b));
    }
    s
}

/// RFC 6125 6.4 matching of one reference `pattern` (from a certificate) against `host`.
#[must_use]
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.strip_suffix('.').unwrap_or(pattern);
    let host = host.strip_suffix('.').unwrap_or(host);
    if pattern.is_empty() || host.is_empty() {
        return false;
    }
    if let Some(suffix) = pattern.strip_prefix("*.") {
        // The wildcard covers exactly one non-empty label; the rest must have 2+ labels.
        if !suffix.contains('.') || suffix.contains('*') {
            return false;
        }
        return match host.split_once('.') {
            Some((first, rest)) => !first.is_empty() && rest.eq_ignore_ascii_case(suffix),
            None => false,
        };
    }
    !pattern.contains('*') && pattern.eq_ignore_ascii_case(host)
}

/// Parses one DER certificate (never fails: a bad one gives `parse_error`).
#[must_use]
pub fn parse_certificate(index: usize, der: &[u8]) -> CertInfo {
    let mut info = CertInfo {
        index,
        der_len: der.len(),
        sha256: Sha256::digest(der).into(),
        parse_error: None,
        subject: String::new(),
        issuer: String::new(),
        common_names: Vec::new(),
        san_dns: Vec::new(),
        san_ip: Vec::new(),
        not_before: 0,
        not_after: 0,
        serial_hex: String::new(),
        self_signed: false,
        is_ca: false,
    };
    let cert = match x509_parser::parse_x509_certificate(der) {
        Ok((_, c)) => c,
        Err(_) => {
            info.parse_error = Some("x509: cannot parse certificate");
            return info;
        }
    };
    fill(&mut info, &cert);
    info
}

fn fill(info: &mut CertInfo, cert: &X509Certificate<'_>) {
    info.subject = cert.subject().to_string();
    info.issuer = cert.issuer().to_string();
    info.common_names = cert
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok().map(String::from))
        .collect();
    info.not_before = cert.validity().not_before.timestamp();
    info.not_after = cert.validity().not_after.timestamp();
    info.serial_hex = hex(cert.raw_serial());
    info.is_ca = cert.is_ca();
    let mut aki: Option<&[u8]> = None;
    let mut ski: Option<&[u8]> = None;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(d) => info.san_dns.push(String::from(*d)),
                        GeneralName::IPAddress(ip) => {
                            if let Some(a) = ip_from_bytes(ip) {
                                info.san_ip.push(a);
                            }
                        }
                        _ => {}
                    }
                }
            }
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = a.key_identifier.as_ref().map(|k| k.0);
            }
            ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0),
            _ => {}
        }
    }
    let names_equal = cert.subject().as_raw() == cert.issuer().as_raw();
    info.self_signed = names_equal
        && match (aki, ski) {
            (Some(a), Some(s)) => a == s,
            _ => true,
        };
}

fn ip_from_bytes(b: &[u8]) -> Option<IpAddr> {
    if let Ok(a) = <[u8; 4]>::try_from(b) {
        return Some(IpAddr::from(a));
    }
    <[u8; 16]>::try_from(b).ok().map(IpAddr::from)
}

/// Parses the body of a TLS <= 1.2 `Certificate` message (`u24` list of `u24`-prefixed DER
/// certificates), at most `max_certs` certificates, appending to `out`.
///
/// Returns how many entries were skipped because of the cap, and whether the list framing was
/// malformed (the entries before the fault are kept).
pub fn parse_certificate_list(
    body: &[u8],
    max_certs: usize,
    out: &mut Vec<CertInfo>,
) -> (usize, bool) {
    let mut r = Reader::new(body);
    let Some(list) = r.sub_u24_len() else {
        return (0, true);
    };
    let mut r = Reader::new(list);
    let mut skipped = 0;
    let mut index = 0;
    while !r.is_empty() {
        let Some(der) = r.sub_u24_len() else {
            return (skipped, true);
        };
        if index < max_certs {
            out.push(parse_certificate(index, der));
        } else {
            skipped += 1;
        }
        index += 1;
    }
    (skipped, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(host_matches("*.example.com", "a.example.com"));
        assert!(host_matches("*.example.com", "A.Example.COM."));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("*.example.com", "a.b.example.com"));
        assert!(!host_matches("*.com", "example.com"));
        assert!(!host_matches("f*.example.com", "foo.example.com"));
        assert!(host_matches("www.example.com", "WWW.example.com"));
        assert!(!host_matches("", ""));
    }

    #[test]
    fn garbage_certificates() {
        let mut out = Vec::new();
        assert_eq!(
            parse_certificate_list(&[0, 0, 4, 0, 0, 1, 0x30], 10, &mut out),
            (0, false)
        );
        assert_eq!(out.len(), 1);
        assert!(out[0].parse_error.is_some());
        assert!(parse_certificate_list(&[0, 0, 9, 0, 0, 1, 0x30], 10, &mut out).1);
        assert_eq!(parse_certificate_list(&[0, 0], 10, &mut out), (0, true));
    }
}
