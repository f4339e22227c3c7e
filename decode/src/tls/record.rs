//! The TLS record layer: the 5-byte header and the length check.

use core::fmt;

use super::reader::Reader;
use super::{Status, TlsError};

/// Length of a TLS record header: content type (1), legacy version (2), length (2).
pub const RECORD_HEADER_LEN: usize = 5;

/// The largest record payload accepted: 2^14 + 2048, the TLS 1.2 `TLSCiphertext` limit
/// (RFC 5246 6.2.3). TLS 1.3 allows only 2^14 + 256, so this is the lax bound of the two.
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;

/// A record's content type. Unknown values are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentType(pub u8);

impl ContentType {
    /// `change_cipher_spec` (20).
    pub const CHANGE_CIPHER_SPEC: Self = Self(20);
    /// `alert` (21).
    pub const ALERT: Self = Self(21);
    /// `handshake` (22).
    pub const HANDSHAKE: Self = Self(22);
    /// `application_data` (23).
    pub const APPLICATION_DATA: Self = Self(23);
    /// `heartbeat` (24, RFC 6520).
    pub const HEARTBEAT: Self = Self(24);

    /// The RFC name, or `None` for a value this crate does not know.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            20 => "change_cipher_spec",
            21 => "alert",
            22 => "handshake",
            23 => "application_data",
            24 => "heartbeat",
            _ => return None,
        })
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "unknown({})", self.0),
        }
    }
}

/// A protocol version as it appears on the wire (record, hello or `supported_versions`).
/// Unknown values (including GREASE) are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProtocolVersion(pub u16);

impl ProtocolVersion {
    /// SSL 2.0 (0x0002).
    pub const SSL2: Self = Self(0x0002);
    /// SSL 3.0 (0x0300).
    pub const SSL3: Self = Self(0x0300);
    /// TLS 1.0 (0x0301).
    pub const TLS1_0: Self = Self(0x0301);
    /// TLS 1.1 (0x0302).
    pub const TLS1_1: Self = Self(0x0302);
    /// TLS 1.2 (0x0303).
    pub const TLS1_2: Self = Self(0x0303);
    /// TLS 1.3 (0x0304).
    pub const TLS1_3: Self = Self(0x0304);
    /// DTLS 1.0 (0xfeff).
    pub const DTLS1_0: Self = Self(0xfeff);
    /// DTLS 1.2 (0xfefd).
    pub const DTLS1_2: Self = Self(0xfefd);
    /// DTLS 1.3 (0xfefc).
    pub const DTLS1_3: Self = Self(0xfefc);

    /// A readable name ("TLS 1.2"), or `None` for a value this crate does not know.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0002 => "SSL 2.0",
            0x0300 => "SSL 3.0",
            0x0301 => "TLS 1.0",
            0x0302 => "TLS 1.1",
            0x0303 => "TLS 1.2",
            0x0304 => "TLS 1.3",
            0xfeff => "DTLS 1.0",
            0xfefd => "DTLS 1.2",
            0xfefc => "DTLS 1.3",
            _ => return None,
        })
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "0x{:04x}", self.0),
        }
    }
}

/// A parsed TLS record header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    /// The content type.
    pub content_type: ContentType,
    /// The legacy record version (ignored by TLS 1.3 peers; 0x0301 in many ClientHellos).
    pub version: ProtocolVersion,
    /// The payload length announced by the header (at most [`MAX_RECORD_LEN`]).
    pub len: u16,
}

/// Parses the 5-byte record header at the start of `data`.
///
/// # Errors
///
/// [`Status::Incomplete`] with `needed: 5` when `data` is shorter than a header;
/// [`TlsError::RecordTooLong`] when the length exceeds [`MAX_RECORD_LEN`] (a sign that the
/// bytes are not TLS, or that the stream is out of sync).
pub fn parse_record_header(data: &[u8]) -> Result<RecordHeader, Status> {
    let mut r = Reader::new(data);
    let (Some(ct), Some(version), Some(len)) = (r.u8(), r.u16(), r.u16()) else {
        return Err(Status::Incomplete {
            needed: RECORD_HEADER_LEN,
        });
    };
    if usize::from(len) > MAX_RECORD_LEN {
        return Err(Status::Error(TlsError::RecordTooLong {
            len: usize::from(len),
        }));
    }
    Ok(RecordHeader {
        content_type: ContentType(ct),
        version: ProtocolVersion(version),
        len,
    })
}

/// Parses one whole record at the start of `data`: its header, its payload (fragment) and the
/// bytes after it.
///
/// # Errors
///
/// As [`parse_record_header`], and [`Status::Incomplete`] with `needed` = 5 + the announced
/// length when the payload is not all there.
pub fn parse_record(data: &[u8]) -> Result<(RecordHeader, &[u8], &[u8]), Status> {
    let header = parse_record_header(data)?;
    let mut r = Reader::new(data);
    let _ = r.take(RECORD_HEADER_LEN);
    let needed = RECORD_HEADER_LEN + usize::from(header.len);
    let payload = r
        .take(usize::from(header.len))
        .ok_or(Status::Incomplete { needed })?;
    Ok((header, payload, r.rest()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_record() {
        let d = [22, 3, 1, 0, 2, 0xaa, 0xbb, 0xcc];
        let (h, payload, rest) = parse_record(&d).unwrap();
        assert_eq!(h.content_type, ContentType::HANDSHAKE);
        assert_eq!(h.version, ProtocolVersion::TLS1_0);
        assert_eq!(payload, &[0xaa, 0xbb]);
        assert_eq!(rest, &[0xcc]);
        for cut in 0..5 {
            assert_eq!(
                parse_record(&d[..cut]),
                Err(Status::Incomplete { needed: 5 })
            );
        }
        assert_eq!(parse_record(&d[..6]), Err(Status::Incomplete { needed: 7 }));
        assert_eq!(ContentType(99).name(), None);
        assert_eq!(ContentType(99).to_string(), "unknown(99)");
    }

    #[test]
    fn length_limit() {
        let max = u16::try_from(MAX_RECORD_LEN).unwrap();
        let [a, b] = max.to_be_bytes();
        assert!(parse_record_header(&[23, 3, 3, a, b]).is_ok());
        let [a, b] = (max + 1).to_be_bytes();
        assert_eq!(
            parse_record_header(&[23, 3, 3, a, b]),
            Err(Status::Error(TlsError::RecordTooLong {
                len: MAX_RECORD_LEN + 1
            }))
        );
    }
}
