//! QUIC Initial packets: the client's ClientHello without any key (RFC 9001 5, RFC 9369).
//!
//! Initial packets are protected with keys derived from public constants and the client's
//! first Destination Connection ID, so a passive observer can remove the protection: HKDF-SHA256
//! for the keys, AES-128 for header protection, AES-128-GCM for the payload. [`QuicInitial`]
//! does that for the client's datagrams of one connection, walks the frames (PADDING, PING,
//! ACK, CRYPTO, CONNECTION_CLOSE), reassembles the CRYPTO stream by offset (CRYPTO frames can
//! be split, reordered and spread over several Initial packets, as Chrome does with
//! post-quantum key shares) and exposes the ClientHello once it is whole.
//!
//! Versions: QUIC v1 (`0x00000001`) and v2 (`0x6b3343cf`). Drafts, server Initials (server
//! keys), Handshake and 1-RTT packets are not decrypted; Retry and Version Negotiation packets
//! are skipped.
//!
//! Memory: the CRYPTO buffer grows to the highest offset seen (at most [`MAX_CRYPTO_LEN`]),
//! plus one reused copy of the packet being decrypted. Both are per connection.

use alloc::vec::Vec;
use core::fmt;

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes_gcm::aead::AeadInOut;
use aes_gcm::Aes128Gcm;
use arrayvec::ArrayVec;
use hkdf::Hkdf;
use sha2::Sha256;

use super::handshake::{parse_handshake, ClientHello, HandshakeType};
use super::reader::Reader;

/// QUIC version 1 (RFC 9000).
pub const QUIC_V1: u32 = 0x0000_0001;
/// QUIC version 2 (RFC 9369).
pub const QUIC_V2: u32 = 0x6b33_43cf;
/// Largest CRYPTO stream offset + length kept (Suricata uses the same 64 KiB bound).
pub const MAX_CRYPTO_LEN: usize = 64 * 1024;
/// Most disjoint CRYPTO ranges tracked before the stream is given up.
const MAX_RANGES: usize = 32;
/// AEAD tag length.
const TAG_LEN: usize = 16;

const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];

/// Why a datagram was not (fully) used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QuicError {
    /// Not a long-header packet of a version handled here.
    NotInitial,
    /// A header or packet runs past the datagram.
    Truncated,
    /// The packet did not decrypt with the client Initial keys (server packet, other
    /// connection, corruption).
    Decrypt,
    /// A frame that cannot be parsed or is not allowed in an Initial packet.
    BadFrame,
    /// The CRYPTO stream went past [`MAX_CRYPTO_LEN`] or had too many holes.
    CryptoOverflow,
}

impl fmt::Display for QuicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotInitial => "not a quic initial packet",
            Self::Truncated => "quic packet truncated",
            Self::Decrypt => "quic initial packet did not decrypt",
            Self::BadFrame => "bad frame in quic initial packet",
            Self::CryptoOverflow => "quic crypto stream too large",
        })
    }
}

impl core::error::Error for QuicError {}

/// The client's Initial packet protection keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitialKeys {
    /// AES-128-GCM key.
    pub key: [u8; 16],
    /// AEAD IV.
    pub iv: [u8; 12],
    /// Header protection key.
    pub hp: [u8; 16],
}

/// HKDF-Expand-Label (RFC 8446 7.1) with an empty context.
fn expand_label(prk: &Hkdf<Sha256>, label: &[u8], out: &mut [u8]) -> Option<()> {
    let mut info = ArrayVec::<u8, 64>::new();
    info.try_extend_from_slice(&u16::try_from(out.len()).ok()?.to_be_bytes())
        .ok()?;
    info.try_push(u8::try_from(6 + label.len()).ok()?).ok()?;
    info.try_extend_from_slice(b"tls13 ").ok()?;
    info.try_extend_from_slice(label).ok()?;
    info.try_push(0).ok()?;
    prk.expand(&info, out).ok()
}

/// The client Initial keys for `version` and the client's first Destination Connection ID;
/// `None` for an unknown version.
#[must_use]
pub fn client_initial_keys(version: u32, dcid: &[u8]) -> Option<InitialKeys> {
    let (salt, key_l, iv_l, hp_l): (&[u8], &[u8], &[u8], &[u8]) = match version {
        QUIC_V1 => (&SALT_V1, b"quic key", b"quic iv", b"quic hp"),
        QUIC_V2 => (&SALT_V2, b"quicv2 key", b"quicv2 iv", b"quicv2 hp"),
        _ => return None,
    };
    let initial = Hkdf::<Sha256>::new(Some(salt), dcid);
    let mut client_secret = [0u8; 32];
    expand_label(&initial, b"client in", &mut client_secret)?;
    let secret = Hkdf::<Sha256>::from_prk(&client_secret).ok()?;
    let mut keys = InitialKeys {
        key: [0; 16],
        iv: [0; 12],
        hp: [0; 16],
    };
    expand_label(&secret, key_l, &mut keys.key)?;
    expand_label(&secret, iv_l, &mut keys.iv)?;
    expand_label(&secret, hp_l, &mut keys.hp)?;
    Some(keys)
}

/// Reads a QUIC variable-length integer.
fn varint(r: &mut Reader<'_>) -> Option<u64> {
    let first = r.u8()?;
    let mut v = u64::from(first & 0x3f);
    let extra = (1usize << (first >> 6)) - 1;
    for _ in 0..extra {
        v = (v << 8) | u64::from(r.u8()?);
    }
    Some(v)
}

fn varint_usize(r: &mut Reader<'_>) -> Option<usize> {
    varint(r).and_then(|v| usize::try_from(v).ok())
}

/// Counters of a [`QuicInitial`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QuicCounters {
    /// Datagrams fed.
    pub datagrams: u64,
    /// Initial packets decrypted.
    pub initial_packets: u64,
    /// Packets that did not decrypt.
    pub decrypt_failures: u64,
    /// Packets skipped (not Initial, unknown version).
    pub skipped_packets: u64,
    /// CRYPTO frames seen.
    pub crypto_frames: u64,
    /// CRYPTO bytes dropped (past [`MAX_CRYPTO_LEN`] or too many holes).
    pub crypto_dropped: u64,
}

/// The client side of one QUIC connection's Initial packets. See the [module docs](self).
#[derive(Clone, Debug, Default)]
pub struct QuicInitial {
    version: Option<u32>,
    dcid: ArrayVec<u8, 20>,
    keys: Option<InitialKeys>,
    crypto: Vec<u8>,
    /// Received CRYPTO ranges, sorted and merged.
    ranges: ArrayVec<(usize, usize), MAX_RANGES>,
    packet: Vec<u8>,
    counters: QuicCounters,
}

impl QuicInitial {
    /// An empty reassembler.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The version of the first Initial packet.
    #[must_use]
    pub const fn version(&self) -> Option<u32> {
        self.version
    }

    /// The client's first Destination Connection ID (the key derivation input).
    #[must_use]
    pub fn original_dcid(&self) -> &[u8] {
        &self.dcid
    }

    /// Counters.
    #[must_use]
    pub const fn counters(&self) -> &QuicCounters {
        &self.counters
    }

    /// The contiguous CRYPTO bytes from offset 0.
    #[must_use]
    pub fn crypto_prefix(&self) -> &[u8] {
        match self.ranges.first() {
            Some(&(0, end)) => self.crypto.get(..end).unwrap_or_default(),
            _ => &[],
        }
    }

    /// The ClientHello, once its whole message has arrived.
    #[must_use]
    pub fn client_hello(&self) -> Option<ClientHello<'_>> {
        let (h, body, _) = parse_handshake(self.crypto_prefix()).ok()?;
        if h.msg_type != HandshakeType::CLIENT_HELLO {
            return None;
        }
        ClientHello::parse(body).ok()
    }

    /// Feeds one UDP payload sent by the client. Coalesced packets are walked; each client
    /// Initial packet is decrypted and its frames used.
    ///
    /// # Errors
    ///
    /// The first problem met; packets before it were used.
    pub fn feed_datagram(&mut self, datagram: &[u8]) -> Result<(), QuicError> {
        self.counters.datagrams += 1;
        let mut rest = datagram;
        while !rest.is_empty() {
            let used = self.packet(rest)?;
            rest = rest.get(used..).unwrap_or_default();
        }
        Ok(())
    }

    /// One packet at the start of `data`; returns its length.
    fn packet(&mut self, data: &[u8]) -> Result<usize, QuicError> {
        let mut r = Reader::new(data);
        let first = r.u8().ok_or(QuicError::Truncated)?;
        if first & 0x80 == 0 {
            return Err(QuicError::NotInitial); // short header: 1-RTT
        }
        let version = r.u32().ok_or(QuicError::Truncated)?;
        let ty = (first >> 4) & 3;
        let initial = match version {
            QUIC_V1 => ty == 0,
            QUIC_V2 => ty == 1,
            _ => return Err(QuicError::NotInitial),
        };
        let retry = match version {
            QUIC_V1 => ty == 3,
            _ => ty == 0,
        };
        if retry {
            self.counters.skipped_packets += 1;
            return Ok(data.len()); // a Retry has no length field and ends the datagram
        }
        let dcid = r.sub_u8_len().ok_or(QuicError::Truncated)?;
        let _scid = r.sub_u8_len().ok_or(QuicError::Truncated)?;
        if dcid.len() > 20 {
            return Err(QuicError::NotInitial);
        }
        if initial {
            let token_len = varint_usize(&mut r).ok_or(QuicError::Truncated)?;
            r.take(token_len).ok_or(QuicError::Truncated)?;
        }
        let length = varint_usize(&mut r).ok_or(QuicError::Truncated)?;
        let pn_offset = data.len() - r.len();
        let end = pn_offset.checked_add(length).ok_or(QuicError::Truncated)?;
        if end > data.len() {
            return Err(QuicError::Truncated);
        }
        if !initial {
            self.counters.skipped_packets += 1;
            return Ok(end);
        }
        if self.version.is_none() {
            self.version = Some(version);
            self.dcid = dcid.iter().copied().collect();
            self.keys = client_initial_keys(version, dcid);
        }
        let keys = self.keys.ok_or(QuicError::NotInitial)?;
        let packet = data.get(..end).ok_or(QuicError::Truncated)?;
        match self.decrypt(&keys, packet, pn_offset) {
            Some(()) => self.counters.initial_packets += 1,
            None => {
                self.counters.decrypt_failures += 1;
                return Err(QuicError::Decrypt);
            }
        }
        self.frames()?;
        Ok(end)
    }

    /// Removes header protection and decrypts `packet` into `self.packet`, leaving only the
    /// plaintext frames there.
    fn decrypt(&mut self, keys: &InitialKeys, packet: &[u8], pn_offset: usize) -> Option<()> {
        let sample: [u8; 16] = packet.get(pn_offset + 4..pn_offset + 20)?.try_into().ok()?;
        let hp = aes::Aes128::new_from_slice(&keys.hp).ok()?;
        let mut mask = aes::Block::from(sample);
        hp.encrypt_block(&mut mask);
        let buf = &mut self.packet;
        buf.clear();
        buf.extend_from_slice(packet);
        let first = buf.first_mut()?;
        *first ^= mask.first()? & 0x0f;
        let pn_len = usize::from(*first & 3) + 1;
        let mut pn = 0u64;
        for i in 0..pn_len {
            let b = buf.get_mut(pn_offset + i)?;
            *b ^= mask.get(1 + i)?;
            pn = (pn << 8) | u64::from(*b);
        }
        let mut nonce = keys.iv;
        for (n, p) in nonce.iter_mut().skip(4).zip(pn.to_be_bytes()) {
            *n ^= p;
        }
        let header_len = pn_offset + pn_len;
        let tag_at = buf.len().checked_sub(TAG_LEN)?;
        if tag_at < header_len {
            return None;
        }
        let (head, tag) = buf.split_at_mut(tag_at);
        let tag: [u8; TAG_LEN] = (&*tag).try_into().ok()?;
        let (aad, payload) = head.split_at_mut(header_len);
        let aead = Aes128Gcm::new_from_slice(&keys.key).ok()?;
        aead.decrypt_inout_detached(&nonce.into(), aad, payload.into(), &tag.into())
            .ok()?;
        // Keep the plaintext only.
        buf.truncate(tag_at);
        buf.drain(..header_len);
        Some(())
    }

    /// Walks the frames of the decrypted payload in `self.packet`.
    fn frames(&mut self) -> Result<(), QuicError> {
        let payload = core::mem::take(&mut self.packet);
        let result = self.walk_frames(&payload);
        self.packet = payload;
        result
    }

    fn walk_frames(&mut self, payload: &[u8]) -> Result<(), QuicError> {
        let mut r = Reader::new(payload);
        while !r.is_empty() {
            let ty = varint(&mut r).ok_or(QuicError::BadFrame)?;
            match ty {
                0x00 | 0x01 => {} // PADDING, PING
                0x02 | 0x03 => {
                    // ACK: largest, delay, range count, first range, ranges, [ECN counts]
                    let _ = (varint(&mut r), varint(&mut r));
                    let count = varint(&mut r).ok_or(QuicError::BadFrame)?;
                    varint(&mut r).ok_or(QuicError::BadFrame)?;
                    if count > r.len() as u64 {
                        return Err(QuicError::BadFrame);
                    }
                    for _ in 0..count * 2 + if ty == 0x03 { 3 } else { 0 } {
                        varint(&mut r).ok_or(QuicError::BadFrame)?;
                    }
                }
                0x06 => {
                    let offset = varint_usize(&mut r).ok_or(QuicError::BadFrame)?;
                    let len = varint_usize(&mut r).ok_or(QuicError::BadFrame)?;
                    let data = r.take(len).ok_or(QuicError::BadFrame)?;
                    self.counters.crypto_frames += 1;
                    self.crypto(offset, data)?;
                }
                0x1c | 0x1d => return Ok(()), // CONNECTION_CLOSE ends the packet's use
                _ => return Err(QuicError::BadFrame),
            }
        }
        Ok(())
    }

    fn crypto(&mut self, offset: usize, data: &[u8]) -> Result<(), QuicError> {
        let end = offset
            .checked_add(data.len())
            .ok_or(QuicError::CryptoOverflow)?;
        if end > MAX_CRYPTO_LEN {
            self.counters.crypto_dropped += data.len() as u64;
            return Err(QuicError::CryptoOverflow);
        }
        if data.is_empty() {
            return Ok(());
        }
        if self.crypto.len() < end {
            self.crypto.resize(end, 0);
        }
        if let Some(dst) = self.crypto.get_mut(offset..end) {
            dst.copy_from_slice(data);
        }
        // Insert and merge the range.
        let mut merged = (offset, end);
        let mut out = ArrayVec::<(usize, usize), MAX_RANGES>::new();
        let mut placed = false;
        for &(a, b) in &self.ranges {
            if b < merged.0 {
                out.push((a, b));
            } else if a > merged.1 {
                if !placed {
                    if out.try_push(merged).is_err() {
                        return self.overflow(data.len());
                    }
                    placed = true;
                }
                if out.try_push((a, b)).is_err() {
                    return self.overflow(data.len());
                }
            } else {
                merged = (merged.0.min(a), merged.1.max(b));
            }
        }
        if !placed && out.try_push(merged).is_err() {
            return self.overflow(data.len());
        }
        self.ranges = out;
        Ok(())
    }

    fn overflow(&mut self, n: usize) -> Result<(), QuicError> {
        self.counters.crypto_dropped += n as u64;
        Err(QuicError::CryptoOverflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 9001 A.1 (client keys for DCID 8394c8f03e515708).
    #[test]
    fn rfc9001_keys() {
        let k = client_initial_keys(QUIC_V1, &unhex("8394c8f03e515708")).unwrap();
        assert_eq!(k.key.to_vec(), unhex("1f369613dd76d5467730efcbe3b1a22d"));
        assert_eq!(k.iv.to_vec(), unhex("fa044b2f42a3fd3b46fb255c"));
        assert_eq!(k.hp.to_vec(), unhex("9f50449e04a0e810283a1e9933adedd2"));
        assert!(client_initial_keys(0xff00_001d, &[]).is_none());
    }

    #[test]
    fn hostile_frames() {
        let mut q = QuicInitial::new();
        assert_eq!(q.walk_frames(&[0, 0, 1, 0x02]), Err(QuicError::BadFrame));
        // ACK announcing 2^62-1 ranges: refused before looping.
        let ack = [
            0x02, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0,
        ];
        assert_eq!(q.walk_frames(&ack), Err(QuicError::BadFrame));
        assert_eq!(q.walk_frames(&[0x02, 5, 0, 1, 0, 1, 1]), Ok(()));
        assert_eq!(q.walk_frames(&[0x06, 0, 5, 1]), Err(QuicError::BadFrame));
        assert_eq!(q.walk_frames(&[0x08]), Err(QuicError::BadFrame)); // STREAM: not in Initial
        assert_eq!(q.walk_frames(&[0x1c, 0xff]), Ok(()));
        // 40 disjoint one-byte CRYPTO pieces: the range list is bounded.
        let mut r = Ok(());
        for i in 0..40 {
            r = q.crypto(i * 2 + 1, &[1]);
        }
        assert_eq!(r, Err(QuicError::CryptoOverflow));
        assert_eq!(q.ranges.len(), MAX_RANGES);
    }

    #[test]
    fn crypto_ranges_merge() {
        let mut q = QuicInitial::new();
        q.crypto(10, &[2; 5]).unwrap();
        assert!(q.crypto_prefix().is_empty());
        q.crypto(0, &[1; 4]).unwrap();
        assert_eq!(q.crypto_prefix(), &[1; 4]);
        q.crypto(4, &[3; 6]).unwrap();
        assert_eq!(q.crypto_prefix().len(), 15);
        assert_eq!(q.ranges.as_slice(), &[(0, 15)]);
        assert_eq!(
            q.crypto(MAX_CRYPTO_LEN, &[0]),
            Err(QuicError::CryptoOverflow)
        );
    }
}
