//! TLS fingerprints: JA3 and JA3S (Salesforce, BSD-3) and JA4 (FoxIO, client only, BSD-3).
//!
//! The FoxIO-licensed JA4+ methods (JA4S, JA4X, JA4T, JA4H, ...) are non-commercial and are
//! deliberately not implemented here.
//!
//! Every function reads the hello through its raw extension walk ([`ClientHello::extensions`]);
//! when the extension list is malformed, the well-formed extensions before the error are used.
//! Nothing allocates: the strings are written into any [`fmt::Write`] (for display) or fed
//! straight into the hash while being written, so a JA3 string of any length is hashed in full
//! without being stored.

use core::fmt::{self, Write as _};

use arrayvec::ArrayString;
use md5::{Digest, Md5};
use sha2::Sha256;

use super::grease::{is_grease, is_grease_alpn};
use super::handshake::{ext, ClientHello, ServerHello};

/// A `fmt::Write` sink that hashes what is written instead of storing it.
struct HashWriter<D>(D);

impl<D: Digest> fmt::Write for HashWriter<D> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

/// An MD5 digest (JA3, JA3S). `Display` prints the usual 32 lower-case hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Md5Hash(pub [u8; 16]);

impl Md5Hash {
    /// The 32 lower-case hex digits.
    #[must_use]
    pub fn hex(&self) -> ArrayString<32> {
        let mut s = ArrayString::new();
        // 16 bytes are exactly 32 digits: the capacity is never exceeded.
        let _ = write!(s, "{self}");
        s
    }
}

impl fmt::Display for Md5Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|&b| f.write_str(&hex_byte(b)))
    }
}

// The list writers below format digits by hand and hand each value (with its separator) to
// the writer in one call: through `write!` the formatting machinery cost more than the
// hashing (JA3 and JA4 were 12 % of `flowsleuth flows`' instructions, two thirds of it `fmt`).

/// The lower-case hex digit of the low four bits of `n`.
fn hex_digit(n: u16) -> char {
    char::from_digit(u32::from(n & 0xf), 16).unwrap_or('0')
}

/// Two lower-case hex digits (also the certificate fingerprints' and serials' digits).
pub(super) fn hex_byte(b: u8) -> ArrayString<2> {
    let mut s = ArrayString::new();
    // Two pushes into room for two: `try_push` never fails here.
    let _ = s.try_push(hex_digit(u16::from(b >> 4)));
    let _ = s.try_push(hex_digit(u16::from(b)));
    s
}

/// Writes `values` in decimal joined by `-` (the JA3 list format).
fn write_dec_list<W: fmt::Write>(w: &mut W, values: impl Iterator<Item = u16>) -> fmt::Result {
    for (i, v) in values.enumerate() {
        // Digits from the end of a 6-byte buffer: at most 5 digits, and the separator.
        let mut digits = [0u8; 6];
        let mut at = digits.len();
        let mut rest = v;
        loop {
            at -= 1;
            if let Some(d) = digits.get_mut(at) {
                *d = b'0' + (rest % 10) as u8;
            }
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if i > 0 {
            at -= 1;
            if let Some(d) = digits.get_mut(at) {
                *d = b'-';
            }
        }
        let text = digits.get(at..).unwrap_or_default();
        w.write_str(core::str::from_utf8(text).unwrap_or_default())?;
    }
    Ok(())
}

/// Extension types of a hello in wire order, up to the first malformed entry.
fn ext_types<'a, I: Iterator<Item = Result<(u16, &'a [u8]), super::TlsError>>>(
    exts: I,
) -> impl Iterator<Item = u16> + use<'a, I> {
    exts.map_while(Result::ok).map(|(t, _)| t)
}

/// Writes the JA3 string of a ClientHello:
/// `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`.
///
/// Per salesforce/ja3: decimal values, lists in wire order joined by `-`, GREASE (RFC 8701)
/// removed from ciphers, extensions and curves; `SSLVersion` is the hello's legacy version
/// (771 for TLS 1.3 too); an absent list is an empty field.
///
/// # Errors
///
/// Only those of `w`.
pub fn write_ja3<W: fmt::Write>(ch: &ClientHello<'_>, w: &mut W) -> fmt::Result {
    let not_grease = |v: &u16| !is_grease(*v);
    write!(w, "{},", ch.legacy_version().0)?;
    write_dec_list(w, ch.cipher_suites().filter(not_grease))?;
    w.write_char(',')?;
    write_dec_list(w, ext_types(ch.extensions()).filter(not_grease))?;
    w.write_char(',')?;
    write_dec_list(w, ch.supported_groups().filter(not_grease))?;
    w.write_char(',')?;
    let formats = ch.ec_point_formats().unwrap_or_default();
    write_dec_list(w, formats.iter().map(|&b| u16::from(b)))
}

/// The JA3 hash: MD5 of the full [`write_ja3`] string (hashed while written, never stored).
#[must_use]
pub fn ja3(ch: &ClientHello<'_>) -> Md5Hash {
    let mut h = HashWriter(Md5::new());
    // HashWriter never fails.
    let _ = write_ja3(ch, &mut h);
    Md5Hash(h.0.finalize().into())
}

/// Writes the JA3S string of a ServerHello: `SSLVersion,Cipher,Extensions`.
///
/// Decimal values; extensions in wire order joined by `-`. As in the reference script
/// (salesforce/ja3 `python/ja3s.py`), GREASE is **not** removed on the server side.
///
/// # Errors
///
/// Only those of `w`.
pub fn write_ja3s<W: fmt::Write>(sh: &ServerHello<'_>, w: &mut W) -> fmt::Result {
    write!(w, "{},{},", sh.legacy_version().0, sh.cipher_suite())?;
    write_dec_list(w, ext_types(sh.extensions()))
}

/// The JA3S hash: MD5 of the [`write_ja3s`] string.
#[must_use]
pub fn ja3s(sh: &ServerHello<'_>) -> Md5Hash {
    let mut h = HashWriter(Md5::new());
    let _ = write_ja3s(sh, &mut h);
    Md5Hash(h.0.finalize().into())
}

/// The transport a ClientHello came over: the first character of JA4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ja4Protocol {
    /// TLS over TCP: `t`.
    Tcp,
    /// QUIC: `q`.
    Quic,
    /// DTLS: `d`.
    Dtls,
}

/// Most cipher suites a ClientHello can carry (a `u16`-length list of 2-byte values).
const MAX_CIPHERS: usize = 0xffff / 2;
/// Most extensions a hello can carry (a `u16`-length block of entries of at least 4 bytes).
const MAX_EXTS: usize = 0xffff / 4;

/// Sorting space for [`ja4_with`]: room for the largest cipher and extension lists the wire
/// format allows (about 96 KiB), so JA4 is exact for every input without allocating.
/// Keep one per thread or per flow table and reuse it.
#[derive(Clone, Debug)]
pub struct Ja4Scratch {
    ciphers: [u16; MAX_CIPHERS],
    exts: [u16; MAX_EXTS],
}

impl Ja4Scratch {
    /// Zeroed scratch space.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            ciphers: [0; MAX_CIPHERS],
            exts: [0; MAX_EXTS],
        }
    }
}

impl Default for Ja4Scratch {
    fn default() -> Self {
        Self::new()
    }
}

/// A JA4 fingerprint, e.g. `t13d1516h2_8daaf6152771_e5627efa2ab1` (always 36 ASCII chars).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ja4(ArrayString<36>);

impl Ja4 {
    /// The whole fingerprint.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// `ja4_a`: protocol, version, SNI, counts and ALPN (10 chars).
    #[must_use]
    pub fn a(&self) -> &str {
        self.0.get(..10).unwrap_or_default()
    }

    /// `ja4_b`: truncated SHA-256 of the sorted cipher list (12 hex digits).
    #[must_use]
    pub fn b(&self) -> &str {
        self.0.get(11..23).unwrap_or_default()
    }

    /// `ja4_c`: truncated SHA-256 of the sorted extensions and signature algorithms.
    #[must_use]
    pub fn c(&self) -> &str {
        self.0.get(24..).unwrap_or_default()
    }
}

impl fmt::Display for Ja4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// JA4's two-character version code.
fn ja4_version(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// JA4's two ALPN characters for the first ALPN value.
///
/// Spec (FoxIO `technical_details/JA4.md`): first and last character; none or empty gives
/// `00`; a single character is repeated; if the first or last byte is not ASCII alphanumeric,
/// the first hex digit of the first byte and the last hex digit of the last byte (`0xab` ->
/// `ab`, `0x30 0xab` -> `3b`). FoxIO's own Rust/Python code differs (`99`, `a0`); we follow the
/// spec, as the maintainer and Suricata do (tls.md 3.4).
fn alpn_chars(name: Option<&[u8]>) -> [char; 2] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hex = |nibble: u8| char::from(HEX.get(usize::from(nibble & 0x0f)).copied().unwrap_or(b'0'));
    match name {
        Some(&[first, ..]) => {
            let last = name.and_then(<[u8]>::last).copied().unwrap_or(first);
            if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
                [char::from(first), char::from(last)]
            } else {
                [hex(first >> 4), hex(last)]
            }
        }
        _ => ['0', '0'],
    }
}

/// Writes `values` as 4-digit lower-case hex joined by `,` (the JA4 list format).
fn write_hex_list<W: fmt::Write>(w: &mut W, values: impl Iterator<Item = u16>) -> fmt::Result {
    for (i, v) in values.enumerate() {
        let mut text = ArrayString::<5>::new();
        // At most five characters into room for five: `try_push` never fails here.
        if i > 0 {
            let _ = text.try_push(',');
        }
        for shift in [12, 8, 4, 0] {
            let _ = text.try_push(hex_digit(v >> shift));
        }
        w.write_str(&text)?;
    }
    Ok(())
}

/// Writes the first 12 hex digits of the SHA-256 of what `f` writes, or `000000000000` when
/// `empty` (JA4's rule for an empty list).
fn write_trunc_sha256(
    out: &mut ArrayString<36>,
    empty: bool,
    f: impl FnOnce(&mut HashWriter<Sha256>) -> fmt::Result,
) {
    if empty {
        let _ = out.try_push_str("000000000000");
        return;
    }
    let mut h = HashWriter(Sha256::new());
    let _ = f(&mut h);
    let digest: [u8; 32] = h.0.finalize().into();
    for &b in digest.iter().take(6) {
        let _ = out.try_push_str(&hex_byte(b));
    }
}

/// [`ja4_with`] using a [`Ja4Scratch`] on the stack (about 96 KiB of stack). Prefer
/// [`ja4_with`] with a reused scratch on small-stack threads or hot paths.
#[must_use]
pub fn ja4(ch: &ClientHello<'_>, protocol: Ja4Protocol) -> Ja4 {
    let mut scratch = Ja4Scratch::new();
    ja4_with(ch, protocol, &mut scratch)
}

/// The JA4 fingerprint of a ClientHello, per FoxIO `technical_details/JA4.md` (see tls.md 3.4):
///
/// - `a`: protocol (`t`/`q`/`d`), version (highest non-GREASE `supported_versions` value, else
///   the legacy version; the record version is ignored), `d` if the SNI extension is present
///   else `i`, cipher count and extension count (GREASE excluded, SNI/ALPN and SCSVs counted,
///   capped at 99, two digits), ALPN first/last characters (hex digits when the first or last
///   byte is not ASCII alphanumeric, `00` without ALPN).
/// - `b`: the first 12 hex digits of the SHA-256 of the non-GREASE cipher suites as 4-digit
///   hex, sorted, `,`-joined.
/// - `c`: the same hash of the non-GREASE extensions minus SNI (0000) and ALPN (0010), sorted,
///   `,`-joined, then `_` and the non-GREASE signature algorithms in wire order (no `_` when
///   there are none).
///
/// An empty list hashes to `000000000000`. Uses `scratch` to sort; `O(n log n)`.
#[must_use]
pub fn ja4_with(ch: &ClientHello<'_>, protocol: Ja4Protocol, scratch: &mut Ja4Scratch) -> Ja4 {
    let mut out = ArrayString::<36>::new();

    // Ciphers: every non-GREASE suite fits in scratch (the wire format bounds the count).
    let mut n_ciphers = 0usize;
    for c in ch.cipher_suites().filter(|c| !is_grease(*c)) {
        if let Some(slot) = scratch.ciphers.get_mut(n_ciphers) {
            *slot = c;
            n_ciphers += 1;
        }
    }
    let ciphers = scratch.ciphers.get_mut(..n_ciphers).unwrap_or_default();
    ciphers.sort_unstable();

    // Extensions: the count includes SNI and ALPN; the hashed list excludes them.
    let mut n_ext_total = 0usize;
    let mut n_exts = 0usize;
    let mut sni = false;
    for t in ext_types(ch.extensions()).filter(|t| !is_grease(*t)) {
        n_ext_total += 1;
        match t {
            ext::SERVER_NAME => sni = true,
            ext::ALPN => {}
            _ => {
                if let Some(slot) = scratch.exts.get_mut(n_exts) {
                    *slot = t;
                    n_exts += 1;
                }
            }
        }
    }
    let exts = scratch.exts.get_mut(..n_exts).unwrap_or_default();
    exts.sort_unstable();

    let proto = match protocol {
        Ja4Protocol::Tcp => 't',
        Ja4Protocol::Quic => 'q',
        Ja4Protocol::Dtls => 'd',
    };
    // "Highest" version: numeric maximum for TLS. DTLS numbers count down (0xfefd, DTLS 1.2,
    // is newer than 0xfeff, DTLS 1.0), an edge case the spec does not address; we take the
    // numeric minimum there.
    let supported = ch.supported_versions().filter(|v| !is_grease(*v));
    let best = match protocol {
        Ja4Protocol::Dtls => supported.min(),
        Ja4Protocol::Tcp | Ja4Protocol::Quic => supported.max(),
    };
    let version = ja4_version(best.unwrap_or(ch.legacy_version().0));
    // "Ignore GREASE values anywhere": a GREASE ALPN name (RFC 8701 section 3) is skipped, as
    // Suricata does; the spec's "first ALPN value" is then the first non-GREASE one.
    let [alpn_first, alpn_last] = alpn_chars(ch.alpn().find(|name| !is_grease_alpn(name)));
    let _ = write!(
        out,
        "{proto}{version}{}{:02}{:02}{}{}_",
        if sni { 'd' } else { 'i' },
        n_ciphers.min(99),
        n_ext_total.min(99),
        alpn_first,
        alpn_last,
    );

    let ciphers = &*ciphers;
    write_trunc_sha256(&mut out, ciphers.is_empty(), |h| {
        write_hex_list(h, ciphers.iter().copied())
    });
    let _ = out.try_push('_');

    let exts = &*exts;
    let mut sigs = ch
        .signature_algorithms()
        .filter(|v| !is_grease(*v))
        .peekable();
    let has_sigs = sigs.peek().is_some();
    // Signature algorithms come from extension 0x000d, which is itself in `exts`, so "no
    // extensions but some signature algorithms" cannot happen: empty means both are empty.
    write_trunc_sha256(&mut out, exts.is_empty() && !has_sigs, |h| {
        write_hex_list(h, exts.iter().copied())?;
        if has_sigs {
            h.write_char('_')?;
            write_hex_list(h, sigs)?;
        }
        Ok(())
    });
    Ja4(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpn_rules_from_the_spec() {
        assert_eq!(alpn_chars(None), ['0', '0']);
        assert_eq!(alpn_chars(Some(b"")), ['0', '0']);
        assert_eq!(alpn_chars(Some(b"h2")), ['h', '2']);
        assert_eq!(alpn_chars(Some(b"http/1.1")), ['h', '1']);
        assert_eq!(alpn_chars(Some(b"spdy/3.1")), ['s', '1']);
        assert_eq!(alpn_chars(Some(b"h")), ['h', 'h']);
        assert_eq!(alpn_chars(Some(&[0xab])), ['a', 'b']);
        assert_eq!(alpn_chars(Some(&[0x30, 0xab])), ['3', 'b']);
        assert_eq!(alpn_chars(Some(&[0x61, 0x20])), ['6', '0']);
    }

    #[test]
    fn versions() {
        assert_eq!(ja4_version(0x0304), "13");
        assert_eq!(ja4_version(0x0300), "s3");
        assert_eq!(ja4_version(0xfefc), "d3");
        assert_eq!(ja4_version(0x0a0a), "00");
    }

    #[test]
    fn md5_hex() {
        let h = Md5Hash([0xab; 16]);
        assert_eq!(h.hex().as_str(), "abababababababababababababababab");
        assert_eq!(h.to_string(), h.hex().as_str());
    }
}
