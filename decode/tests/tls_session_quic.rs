//! QUIC Initial: the client's ClientHello from RFC 9001 Appendix A.2 (the protected 1200-byte
//! client Initial), and the same ClientHello split over CRYPTO frames in several Initial
//! packets delivered out of order.
//!
//! Oracle for the A.2 packet: the hex below put in a pcap (Ethernet/IPv4/UDP to port 443) and
//! `tshark -r a2.pcap -Y tls.handshake.type==1 -T fields -e quic.version
//!   -e tls.handshake.extensions_server_name -e tls.handshake.ciphersuite
//!   -e tls.handshake.extensions_supported_group -e tls.handshake.extensions_alpn_str
//!   -e tls.handshake.ja3 -e tls.handshake.length` (tshark 4.0.17) ->
//! `0x00000001 example.com 0x1301,0x1302 0x001d,0x0017,0x0018 alpn
//!  41bc9ae914d6cb3bd0bd0a5453ab7d7f 237`.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes_gcm::aead::AeadInOut;
use aes_gcm::Aes128Gcm;
use decode::tls::quic::QUIC_V1;
use decode::tls::{client_initial_keys, ja3, QuicError, QuicInitial};

/// RFC 9001 A.2, the protected client Initial (DCID 8394c8f03e515708, packet number 2).
const RFC9001_A2: &str = include_str!("data/rfc9001-a2-client-initial.hex");

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[test]
fn rfc9001_client_initial() {
    let pkt = unhex(RFC9001_A2);
    assert_eq!(pkt.len(), 1200);
    let mut q = QuicInitial::new();
    q.feed_datagram(&pkt).unwrap();
    assert_eq!(q.version(), Some(QUIC_V1));
    assert_eq!(q.original_dcid(), unhex("8394c8f03e515708"));
    assert_eq!(q.counters().initial_packets, 1);
    let ch = q.client_hello().unwrap();
    assert_eq!(ch.sni(), Some(&b"example.com"[..]));
    assert_eq!(ch.cipher_suites().collect::<Vec<_>>(), [0x1301, 0x1302]);
    assert_eq!(
        ch.supported_groups().collect::<Vec<_>>(),
        [0x1d, 0x17, 0x18]
    );
    assert_eq!(ch.alpn().collect::<Vec<_>>(), [&b"alpn"[..]]);
    assert_eq!(ja3(&ch).hex().as_str(), "41bc9ae914d6cb3bd0bd0a5453ab7d7f");
    assert_eq!(q.crypto_prefix().len(), 4 + 237);

    // One bit changed anywhere in the protected payload: authentication fails.
    let mut bad = pkt.clone();
    bad[600] ^= 1;
    let mut q = QuicInitial::new();
    assert_eq!(q.feed_datagram(&bad), Err(QuicError::Decrypt));
    assert!(q.client_hello().is_none());
    // Truncations never panic and never yield a ClientHello.
    for cut in 1..pkt.len() {
        let mut q = QuicInitial::new();
        assert!(q.feed_datagram(&pkt[..cut]).is_err());
        assert!(q.client_hello().is_none());
    }
}

/// Seals an Initial packet (v1, client keys from `dcid`) carrying `frames` as packet `pn`
/// (1-byte packet number), padded to at least 20 bytes of sample room.
fn seal(dcid: &[u8], pn: u8, frames: &[u8]) -> Vec<u8> {
    let keys = client_initial_keys(QUIC_V1, dcid).unwrap();
    let mut payload = frames.to_vec();
    payload.resize(payload.len().max(32), 0); // PADDING frames
    let length = 1 + payload.len() + 16;
    let mut pkt = vec![0xc0, 0, 0, 0, 1, u8::try_from(dcid.len()).unwrap()];
    pkt.extend_from_slice(dcid);
    pkt.push(0); // SCID length
    pkt.push(0); // token length
    pkt.extend_from_slice(&(0x4000 | u16::try_from(length).unwrap()).to_be_bytes());
    let pn_offset = pkt.len();
    pkt.push(pn);
    let mut nonce = keys.iv;
    nonce[11] ^= pn;
    let aead = Aes128Gcm::new_from_slice(&keys.key).unwrap();
    let tag = aead
        .encrypt_inout_detached(&nonce.into(), &pkt, payload.as_mut_slice().into())
        .unwrap();
    pkt.extend_from_slice(&payload);
    pkt.extend_from_slice(&tag);
    let sample: [u8; 16] = pkt[pn_offset + 4..pn_offset + 20].try_into().unwrap();
    let mut mask = aes::Block::from(sample);
    aes::Aes128::new_from_slice(&keys.hp)
        .unwrap()
        .encrypt_block(&mut mask);
    pkt[0] ^= mask[0] & 0x0f;
    pkt[pn_offset] ^= mask[1];
    pkt
}

fn crypto_frame(offset: usize, data: &[u8]) -> Vec<u8> {
    let mut f = vec![0x06];
    f.extend_from_slice(&(0x4000 | u16::try_from(offset).unwrap()).to_be_bytes());
    f.extend_from_slice(&(0x4000 | u16::try_from(data.len()).unwrap()).to_be_bytes());
    f.extend_from_slice(data);
    f
}

#[test]
fn client_hello_split_over_reordered_initials() {
    // The A.2 ClientHello message, re-sent in three CRYPTO frames over two packets, the second
    // part first, as Chrome does for post-quantum hellos.
    let mut q = QuicInitial::new();
    q.feed_datagram(&unhex(RFC9001_A2)).unwrap();
    let msg = q.crypto_prefix().to_vec();
    let dcid = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
    let (a, rest) = msg.split_at(100);
    let (b, c) = rest.split_at(90);
    let p1 = seal(&dcid, 0, &[crypto_frame(0, a), vec![1]].concat()); // CRYPTO + PING
    let p2 = seal(
        &dcid,
        1,
        &[crypto_frame(190, c), crypto_frame(100, b)].concat(),
    );
    let mut q = QuicInitial::new();
    q.feed_datagram(&p2).unwrap();
    assert!(q.client_hello().is_none());
    assert!(q.crypto_prefix().is_empty());
    q.feed_datagram(&p1).unwrap();
    assert_eq!(q.crypto_prefix(), &msg[..]);
    assert_eq!(q.client_hello().unwrap().sni(), Some(&b"example.com"[..]));
    assert_eq!(q.counters().crypto_frames, 3);
    // Coalesced in one datagram, in the other order: the same.
    let mut q = QuicInitial::new();
    q.feed_datagram(&[p1.clone(), p2].concat()).unwrap();
    assert_eq!(q.client_hello().unwrap().sni(), Some(&b"example.com"[..]));
    // A CRYPTO frame past the bound is refused and counted.
    let far = seal(&dcid, 2, &crypto_frame(0x3fff, &[0; 10]));
    let mut q = QuicInitial::new();
    q.feed_datagram(&far).unwrap();
    let huge = [0x06, 0x80, 0x01, 0x00, 0x00, 0x01, 0];
    let mut q = QuicInitial::new();
    assert_eq!(
        q.feed_datagram(&seal(&dcid, 3, &huge)),
        Err(QuicError::CryptoOverflow)
    );
    assert_eq!(q.counters().crypto_dropped, 1);
}
