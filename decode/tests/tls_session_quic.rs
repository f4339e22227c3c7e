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
const RFC9001_A2: &str = "\
    c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11d242b123dc9bd8bab936b47d92ec356c\
    0bab7df5976d27cd449f63300099f3991c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c\
    8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df621230c83711b39343fa028cea7f7fb5ff89\
    eac2308249a02252155e2347b63d58c5457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208\
    4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec4e15daf8500a6ef69ec4e3feb6b1d98e\
    610ac8b7ec3faf6ad760b7bad1db4ba3485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db\
    059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c7b4378e846d29f37ed7b4ea9ec5d82e7\
    961b7f25a9323851f681d582363aa5f89937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556\
    be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c7468449a13d8e3b95811a198f3491de3e7\
    fe942b330407abf82a4ed7c1b311663ac69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00\
    f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632291d6a418211cc2962e20fe47feb3edf\
    330f2c603a9d48c0fcb5699dbfe5896425c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd\
    14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ffef132eef2fa09346aee33c28eb130ff2\
    8f5b766953334113211996d20011a198e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd\
    c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73203a4a13e96f5432ec0fd4a1ee65accd\
    d5e3904df54c1da510b0ff20dcc0c77fcb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e\
    fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03adea2e1fbc5aa463d08ca19896d2bf59a07\
    1b851e6c239052172f296bfb5e72404790a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2\
    162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f440591f355e12d439ff150aab7613499d\
    bd49adabc8676eef023b15b65bfc5ca06948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e\
    8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0be79e2fb8f5d5fbbe2e30ecadd220723\
    c8c0aea8078cdfcb3868263ff8f0940054da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab\
    760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9f96f3ca9ec1dde434da7d2d392b905dd\
    f3d1f9af93d1af5950bd493f5aa731b4056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064\
    7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241e221af44860018ab0856972e194cd934
";

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
