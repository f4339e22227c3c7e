//! The fields of a `flows` record and of a `tls` record (names documented in the README).

use std::borrow::Cow;

use decode::flow::{EndReason, FlowRecord, ReassemblyStats};
use decode::tls::{
    cipher_suite_name, group_name, is_grease, Dir, DirStatus, PhaseKind, ProtocolVersion,
    StartTlsProtocol, TlsSummary,
};
use decode::IpProtocol;

use super::records::{Cell, Cells, Kind, Row};

/// A connection, with the TLS session of the same connection when there was one.
pub(crate) struct FlowRow<'a> {
    /// The flow table's record.
    pub(crate) rec: &'a FlowRecord,
    /// The TLS summary, if the connection carried TLS.
    pub(crate) tls: Option<&'a TlsSummary>,
}

/// A TLS connection.
pub(crate) struct TlsRow<'a> {
    /// The flow table's record of the TCP connection.
    pub(crate) rec: &'a FlowRecord,
    /// What the session learnt.
    pub(crate) tls: &'a TlsSummary,
    /// `tcp` or `quic`.
    pub(crate) transport: &'static str,
}

/// `tcp`, `udp`, `icmp`, `icmpv6`, or the protocol number.
fn proto_name(p: IpProtocol) -> Cow<'static, str> {
    match p {
        IpProtocol::TCP => Cow::Borrowed("tcp"),
        IpProtocol::UDP => Cow::Borrowed("udp"),
        IpProtocol::ICMP => Cow::Borrowed("icmp"),
        IpProtocol::ICMPV6 => Cow::Borrowed("icmpv6"),
        other => Cow::Owned(other.0.to_string()),
    }
}

fn end_name(e: EndReason) -> &'static str {
    match e {
        EndReason::Closed => "closed",
        EndReason::IdleTimeout => "idle",
        EndReason::Evicted => "evicted",
        _ => "end",
    }
}

fn sum(rec: &FlowRecord, f: impl Fn(&ReassemblyStats) -> u64) -> u64 {
    [rec.orig_reassembly, rec.resp_reassembly]
        .iter()
        .flatten()
        .map(f)
        .sum()
}

fn version_name(v: u16) -> Cow<'static, str> {
    if is_grease(v) {
        return Cow::Borrowed("GREASE");
    }
    match ProtocolVersion(v).name() {
        Some(n) => Cow::Borrowed(n),
        None => Cow::Owned(format!("0x{v:04x}")),
    }
}

fn group(g: u16) -> Cow<'static, str> {
    match group_name(g) {
        Some(n) => Cow::Borrowed(n),
        None => Cow::Owned(format!("0x{g:04x}")),
    }
}

fn cipher(c: u16) -> Cow<'static, str> {
    if is_grease(c) {
        return Cow::Borrowed("GREASE");
    }
    match cipher_suite_name(c) {
        Some(n) => Cow::Borrowed(n),
        None => Cow::Owned(format!("0x{c:04x}")),
    }
}

fn bytes_text(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// An address as text: IPv4 digit by digit (its `Display` goes through `fmt`, which cost more
/// than all the other cells of a flow record together), IPv6 through `Display` (RFC 5952).
fn addr(a: std::net::IpAddr) -> Cell<'static> {
    Cell::Ip(a)
}

fn duration_secs(rec: &FlowRecord) -> f64 {
    // Exact to the nanosecond for any realistic duration (< 104 days fits 2^53 ns).
    #[allow(clippy::cast_precision_loss)]
    let secs = rec.duration_nanos() as f64 / 1e9;
    secs
}

fn history(tls: &TlsSummary) -> Cell<'static> {
    let mut h = String::new();
    let _ = tls.write_history(&mut h);
    Cell::Str(Cow::Owned(h))
}

/// The version, or `None` for sessions that never got that far.
fn negotiated(tls: &TlsSummary) -> Cell<'static> {
    Cell::opt(tls.negotiated_version, |v| version_name(v.0).into())
}

impl<'a> From<Cow<'a, str>> for Cell<'a> {
    fn from(s: Cow<'a, str>) -> Self {
        Cell::Str(s)
    }
}

impl Row for FlowRow<'_> {
    const NAME: &'static str = "flows";

    const COLUMNS: &'static [(&'static str, Kind)] = &[
        ("flow_id", Kind::U64),
        ("start", Kind::Time),
        ("end", Kind::Time),
        ("duration", Kind::F64),
        ("proto", Kind::Text),
        ("orig_h", Kind::Text),
        ("orig_p", Kind::U64),
        ("resp_h", Kind::Text),
        ("resp_p", Kind::U64),
        ("vlan", Kind::U64),
        ("initiator_known", Kind::Bool),
        ("flipped", Kind::Bool),
        ("conn_state", Kind::Text),
        ("history", Kind::Text),
        ("orig_pkts", Kind::U64),
        ("orig_ip_bytes", Kind::U64),
        ("orig_bytes", Kind::U64),
        ("resp_pkts", Kind::U64),
        ("resp_ip_bytes", Kind::U64),
        ("resp_bytes", Kind::U64),
        ("end_reason", Kind::Text),
        ("first_frame", Kind::U64),
        ("last_frame", Kind::U64),
        ("midstream", Kind::Bool),
        ("gaps", Kind::U64),
        ("gap_bytes", Kind::U64),
        ("overlap_conflicts", Kind::U64),
        ("first_conflict_frame", Kind::U64),
        ("reassembly_dropped_bytes", Kind::U64),
        ("tls_sni", Kind::Text),
        ("tls_version", Kind::Text),
        ("tls_alpn", Kind::Text),
        ("tls_ja4", Kind::Text),
        ("tls_established", Kind::Bool),
    ];

    const TABLE: &'static [(&'static str, usize)] = &[
        ("start", 31),
        ("proto", 6),
        ("orig_h", 16),
        ("orig_p", 7),
        ("resp_h", 16),
        ("resp_p", 7),
        ("conn_state", 7),
        ("history", 12),
        ("orig_pkts", 10),
        ("orig_bytes", 11),
        ("resp_pkts", 10),
        ("resp_bytes", 11),
        ("duration", 11),
        ("end_reason", 11),
        ("tls_sni", 0),
    ];

    fn cells(&self) -> impl AsRef<[Cell<'_>]> {
        let r = self.rec;
        let tls = self.tls;
        let midstream = [r.orig_reassembly, r.resp_reassembly]
            .iter()
            .flatten()
            .any(|s| s.midstream);
        let alpn = tls.map(|t| match &t.alpn_chosen {
            Some(a) => vec![bytes_text(a)],
            None => t.alpn_offered.iter().map(|a| bytes_text(a)).collect(),
        });
        Cells::new([
            Cell::U64(r.first_frame),
            Cell::Time(r.first_ts),
            Cell::Time(r.last_ts),
            Cell::F64(duration_secs(r)),
            Cell::Str(proto_name(r.key.protocol)),
            addr(r.orig.addr),
            Cell::U64(r.orig.port.into()),
            addr(r.resp.addr),
            Cell::U64(r.resp.port.into()),
            Cell::opt(r.vlan, |v| Cell::U64(v.into())),
            Cell::Bool(r.initiator_known),
            Cell::Bool(r.flipped),
            Cell::str(r.conn_state.as_str()),
            Cell::str(r.history.as_str()),
            Cell::U64(r.orig_stats.packets),
            Cell::U64(r.orig_stats.ip_bytes),
            Cell::U64(r.orig_stats.payload_bytes),
            Cell::U64(r.resp_stats.packets),
            Cell::U64(r.resp_stats.ip_bytes),
            Cell::U64(r.resp_stats.payload_bytes),
            Cell::str(end_name(r.end)),
            Cell::U64(r.first_frame),
            Cell::U64(r.last_frame),
            Cell::Bool(midstream),
            Cell::U64(r.gaps().into()),
            Cell::U64(sum(r, |s| s.gap_bytes)),
            Cell::U64(r.overlap_conflicts().into()),
            Cell::opt(r.first_conflict_frame(), Cell::U64),
            Cell::U64(sum(r, |s| s.dropped_bytes)),
            Cell::opt(tls.and_then(TlsSummary::sni_str), Cell::str),
            tls.map_or(Cell::Null, negotiated),
            Cell::opt(alpn.filter(|a| !a.is_empty()), Cell::List),
            Cell::opt(tls.and_then(|t| t.ja4.as_ref()), |j| Cell::str(j.as_str())),
            Cell::opt(tls, |t| Cell::Bool(t.established)),
        ])
    }
}

fn status_name(s: DirStatus) -> Cow<'static, str> {
    match s {
        DirStatus::Empty => Cow::Borrowed("empty"),
        DirStatus::Tls => Cow::Borrowed("tls"),
        DirStatus::Stopped(e) => Cow::Owned(format!("stopped: {e}")),
    }
}

fn starttls_name(p: StartTlsProtocol) -> &'static str {
    match p {
        StartTlsProtocol::Starttls => "starttls",
        StartTlsProtocol::Imap => "imap",
        StartTlsProtocol::Pop3 => "pop3",
        StartTlsProtocol::Ftp => "ftp",
        _ => "other",
    }
}

impl Row for TlsRow<'_> {
    const NAME: &'static str = "tls";

    const COLUMNS: &'static [(&'static str, Kind)] = &[
        ("flow_id", Kind::U64),
        ("start", Kind::Time),
        ("client", Kind::Text),
        ("client_port", Kind::U64),
        ("server", Kind::Text),
        ("server_port", Kind::U64),
        ("transport", Kind::Text),
        ("vlan", Kind::U64),
        ("sni", Kind::Text),
        ("version", Kind::Text),
        ("offered_versions", Kind::Text),
        ("client_legacy_version", Kind::Text),
        ("cipher", Kind::Text),
        ("offered_cipher_count", Kind::U64),
        ("offered_ciphers", Kind::Text),
        ("alpn_offered", Kind::Text),
        ("alpn_chosen", Kind::Text),
        ("supported_groups", Kind::Text),
        ("key_share_groups", Kind::Text),
        ("retry_key_share_groups", Kind::Text),
        ("server_key_share_group", Kind::Text),
        ("ja3", Kind::Text),
        ("ja3s", Kind::Text),
        ("ja4", Kind::Text),
        ("established", Kind::Bool),
        ("history", Kind::Text),
        ("phases", Kind::Text),
        ("alerts", Kind::Text),
        ("hello_retry", Kind::Bool),
        ("resumed", Kind::Bool),
        ("ech_offered", Kind::Bool),
        ("starttls", Kind::Text),
        ("client_status", Kind::Text),
        ("server_status", Kind::Text),
        ("gaps", Kind::U64),
        ("server_certs", Kind::Text),
        ("cert_subject", Kind::Text),
        ("cert_issuer", Kind::Text),
        ("cert_san_dns", Kind::Text),
        ("cert_san_ip", Kind::Text),
        ("cert_not_before", Kind::Time),
        ("cert_not_after", Kind::Time),
        ("cert_serial", Kind::Text),
        ("cert_sha256", Kind::Text),
        ("cert_self_signed", Kind::Bool),
        ("sni_matches_cert", Kind::Bool),
        ("cert_valid_at_handshake", Kind::Bool),
    ];

    const TABLE: &'static [(&'static str, usize)] = &[
        ("start", 31),
        ("client", 16),
        ("client_port", 12),
        ("server", 16),
        ("server_port", 12),
        ("version", 8),
        ("cipher", 40),
        ("established", 12),
        ("ja4", 37),
        ("history", 16),
        ("sni", 0),
    ];

    fn cells(&self) -> impl AsRef<[Cell<'_>]> {
        let r = self.rec;
        let t = self.tls;
        let leaf = t.server_certs.first().filter(|c| c.parse_error.is_none());
        let alerts: Vec<Cow<'_, str>> = t
            .phases
            .iter()
            .filter(|p| matches!(p.kind, PhaseKind::Alert { .. } | PhaseKind::EncryptedAlert))
            .map(|p| Cow::Owned(format!("{} {}", super::records::dir_name(p.dir), p.kind)))
            .collect();
        let list = |v: Vec<Cow<'static, str>>| {
            if v.is_empty() {
                Cell::Null
            } else {
                Cell::List(v)
            }
        };
        let res = t.resumption;
        let secs = |s: i64| Cell::Time(s.saturating_mul(1_000_000_000));
        vec![
            Cell::U64(r.first_frame),
            Cell::Time(r.first_ts),
            addr(r.orig.addr),
            Cell::U64(r.orig.port.into()),
            addr(r.resp.addr),
            Cell::U64(r.resp.port.into()),
            Cell::str(self.transport),
            Cell::opt(r.vlan, |v| Cell::U64(v.into())),
            Cell::opt(t.sni.as_ref(), |s| Cell::Str(bytes_text(s))),
            negotiated(t),
            list(
                t.offered_versions
                    .iter()
                    .map(|v| version_name(*v))
                    .collect(),
            ),
            Cell::opt(t.client_legacy_version, |v| version_name(v.0).into()),
            Cell::opt(t.cipher, |c| cipher(c).into()),
            Cell::U64(t.offered_cipher_count.into()),
            list(t.offered_ciphers.iter().map(|c| cipher(*c)).collect()),
            if t.alpn_offered.is_empty() {
                Cell::Null
            } else {
                Cell::List(t.alpn_offered.iter().map(|a| bytes_text(a)).collect())
            },
            Cell::opt(t.alpn_chosen.as_ref(), |a| Cell::Str(bytes_text(a))),
            list(t.supported_groups.iter().map(|g| group(*g)).collect()),
            list(t.key_share_groups.iter().map(|g| group(*g)).collect()),
            list(t.retry_key_share_groups.iter().map(|g| group(*g)).collect()),
            Cell::opt(t.server_key_share_group, |g| group(g).into()),
            Cell::opt(t.ja3, |h| Cell::Str(Cow::Owned(h.hex().to_string()))),
            Cell::opt(t.ja3s, |h| Cell::Str(Cow::Owned(h.hex().to_string()))),
            Cell::opt(t.ja4.as_ref(), |j| Cell::str(j.as_str())),
            Cell::Bool(t.established),
            history(t),
            Cell::Phases(&t.phases),
            if alerts.is_empty() {
                Cell::Null
            } else {
                Cell::List(alerts)
            },
            Cell::Bool(t.hello_retry),
            Cell::Bool(res.abbreviated || res.server_psk),
            Cell::Bool(t.ech_offered),
            Cell::opt(t.starttls, |p| Cell::str(starttls_name(p))),
            status_name(t.status[0]).into(),
            status_name(t.status[1]).into(),
            Cell::U64(t.counters.gaps.iter().sum()),
            if t.server_certs.is_empty() {
                Cell::Null
            } else {
                Cell::Certs(&t.server_certs)
            },
            Cell::opt(leaf, |c| Cell::str(&c.subject)),
            Cell::opt(leaf, |c| Cell::str(&c.issuer)),
            Cell::opt(leaf.filter(|c| !c.san_dns.is_empty()), |c| {
                Cell::List(
                    c.san_dns
                        .iter()
                        .map(|s| Cow::Borrowed(s.as_str()))
                        .collect(),
                )
            }),
            Cell::opt(leaf.filter(|c| !c.san_ip.is_empty()), |c| {
                Cell::List(c.san_ip.iter().map(|a| Cow::Owned(a.to_string())).collect())
            }),
            Cell::opt(leaf, |c| secs(c.not_before)),
            Cell::opt(leaf, |c| secs(c.not_after)),
            Cell::opt(leaf, |c| Cell::str(&c.serial_hex)),
            Cell::opt(leaf, |c| Cell::Str(Cow::Owned(c.sha256_hex()))),
            Cell::opt(leaf, |c| Cell::Bool(c.self_signed)),
            Cell::opt(t.sni_matches_cert, Cell::Bool),
            Cell::opt(t.leaf_valid_at_handshake, Cell::Bool),
        ]
    }
}

/// Whether a session is worth a `tls` record: it saw a hello (either side).
pub(crate) fn is_tls_record(t: &TlsSummary) -> bool {
    t.is_tls() && (t.client_hellos > 0 || t.negotiated_version.is_some())
}

/// The direction of the TLS session for a packet from `role`.
pub(crate) fn tls_dir(role: decode::flow::Role) -> Dir {
    match role {
        decode::flow::Role::Orig => Dir::ClientToServer,
        decode::flow::Role::Resp => Dir::ServerToClient,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(version_name(0x0304), "TLS 1.3");
        assert_eq!(version_name(0x0a0a), "GREASE");
        assert_eq!(group(0x11ec), "X25519MLKEM768");
        assert_eq!(group(0x9999), "0x9999");
        assert_eq!(cipher(0x1301), "TLS_AES_128_GCM_SHA256");
    }
}
