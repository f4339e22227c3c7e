//! Names for TLS code points: cipher suites and named groups (IANA registries, plus the
//! post-quantum hybrid groups from draft-ietf-tls-ecdhe-mlkem and the obsolete Kyber draft).
//!
//! Lookups are `match` tables: no allocation, unknown values give `None`.

use super::grease::is_grease;

/// The IANA name of a cipher suite, for the common suites (TLS 1.3, the ECDHE/DHE/RSA AEAD and
/// CBC suites, the signalling values). `None` for anything else; GREASE values give `"GREASE"`.
#[must_use]
pub fn cipher_suite_name(suite: u16) -> Option<&'static str> {
    if is_grease(suite) {
        return Some("GREASE");
    }
    Some(match suite {
        0x0000 => "TLS_NULL_WITH_NULL_NULL",
        0x0004 => "TLS_RSA_WITH_RC4_128_MD5",
        0x0005 => "TLS_RSA_WITH_RC4_128_SHA",
        0x000a => "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0033 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x0039 => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        0x003c => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        0x003d => "TLS_RSA_WITH_AES_256_CBC_SHA256",
        0x0067 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
        0x006b => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
        0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x009e => "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        0x009f => "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        0x1304 => "TLS_AES_128_CCM_SHA256",
        0x1305 => "TLS_AES_128_CCM_8_SHA256",
        0x5600 => "TLS_FALLBACK_SCSV",
        0xc009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        0xc00a => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xc011 => "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        0xc012 => "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xc023 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        0xc024 => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        0xc027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        0xc028 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        0xccaa => "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        _ => return None,
    })
}

/// The IANA name of a supported group / key-share group, including the post-quantum hybrids
/// (`X25519MLKEM768` = 0x11ec, `SecP256r1MLKEM768` = 0x11eb, `SecP384r1MLKEM1024` = 0x11ed,
/// the obsolete `X25519Kyber768Draft00` = 0x6399) and the pure ML-KEM groups. GREASE values give
/// `"GREASE"`; unknown values `None`.
#[must_use]
pub fn group_name(group: u16) -> Option<&'static str> {
    if is_grease(group) {
        return Some("GREASE");
    }
    Some(match group {
        0x0015 => "secp224r1",
        0x0017 => "secp256r1",
        0x0018 => "secp384r1",
        0x0019 => "secp521r1",
        0x001a => "brainpoolP256r1",
        0x001b => "brainpoolP384r1",
        0x001c => "brainpoolP512r1",
        0x001d => "x25519",
        0x001e => "x448",
        0x0100 => "ffdhe2048",
        0x0101 => "ffdhe3072",
        0x0102 => "ffdhe4096",
        0x0103 => "ffdhe6144",
        0x0104 => "ffdhe8192",
        0x0200 => "MLKEM512",
        0x0201 => "MLKEM768",
        0x0202 => "MLKEM1024",
        0x11eb => "SecP256r1MLKEM768",
        0x11ec => "X25519MLKEM768",
        0x11ed => "SecP384r1MLKEM1024",
        0x6399 => "X25519Kyber768Draft00",
        0x639a => "SecP256r1Kyber768Draft00",
        _ => return None,
    })
}

/// Whether `group` is a post-quantum (hybrid or pure ML-KEM / Kyber) key-exchange group.
#[must_use]
pub const fn is_post_quantum_group(group: u16) -> bool {
    matches!(
        group,
        0x0200..=0x0202 | 0x11eb..=0x11ed | 0x6399 | 0x639a
    )
}

/// The name of an alert description (RFC 8446 6, RFC 5246 7.2), or `None` when unassigned.
#[must_use]
pub const fn alert_description_name(desc: u8) -> Option<&'static str> {
    Some(match desc {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        121 => "ech_required",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(group_name(0x11ec), Some("X25519MLKEM768"));
        assert_eq!(group_name(0x6399), Some("X25519Kyber768Draft00"));
        assert_eq!(group_name(0x0a0a), Some("GREASE"));
        assert_eq!(group_name(0x1234), None);
        assert!(is_post_quantum_group(0x11ed));
        assert!(!is_post_quantum_group(0x001d));
        assert_eq!(cipher_suite_name(0x1301), Some("TLS_AES_128_GCM_SHA256"));
        assert_eq!(cipher_suite_name(0xfefe), None);
        assert_eq!(alert_description_name(0), Some("close_notify"));
    }
}
