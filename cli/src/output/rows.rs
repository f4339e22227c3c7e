//! The fields of a `flows` record and of a `tls` record (names documented in the README).

use std::borrow::Cow;
use std::io;

use decode::flow::{EndReason, FlowRecord, ReassemblyStats};
use decode::tls::{
    cipher_suite_name, group_name, is_grease, Dir, DirStatus, PhaseKind, ProtocolVersion,
    StartTlsProtocol, TlsSummary,
};
use decode::IpProtocol;

use super::records::{Cell, JsonObject, Kind, Row};

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
        /// Fills the cells in order.
        struct Fill<'c, 'a>(std::slice::IterMut<'c, Cell<'a>>);
        impl<'a> FieldSink<'a> for Fill<'_, 'a> {
            fn field(&mut self, _: Column, cell: Cell<'a>) {
                if let Some(slot) = self.0.next() {
                    *slot = cell;
                }
            }
        }
        let mut cells: [Cell<'_>; FLOW_FIELDS] = std::array::from_fn(|_| Cell::Null);
        self.fields(&mut Fill(cells.iter_mut()));
        cells
    }

    fn json(&self, out: &mut Vec<u8>, _keys: &[Box<[u8]>]) -> io::Result<()> {
        /// Writes each field as it comes; the first error stops the writing.
        struct Json<'o>(JsonObject<'o>, io::Result<()>);
        impl<'a> FieldSink<'a> for Json<'_> {
            // Inlined into each field's call: its type and key are then known there.
            #[inline(always)]
            fn field(&mut self, column: Column, cell: Cell<'a>) {
                if self.1.is_ok() {
                    self.1 = self.0.field(column.json_key, &cell);
                }
            }
        }
        let mut json = Json(JsonObject::new(out), Ok(()));
        self.fields(&mut json);
        let Json(object, result) = json;
        result?;
        object.end();
        Ok(())
    }
}

/// Where [`FlowRow::fields`] sends each field.
trait FieldSink<'a> {
    fn field(&mut self, column: Column, cell: Cell<'a>);
}

/// A column, as its JSON key with a comma before it: `,"name":` (a constant).
#[derive(Clone, Copy)]
struct Column {
    json_key: &'static str,
}

/// The [`Column`] named `$name`.
macro_rules! col {
    ($name:literal) => {
        Column {
            json_key: concat!(",\"", $name, "\":"),
        }
    };
}

/// Fields of a `flows` record.
const FLOW_FIELDS: usize = 34;

impl FlowRow<'_> {
    /// Every field, in column order, with its name: the one list both the cells (CSV, table,
    /// Parquet) and the JSON object are made from. Inlined into each, so JSON gets its keys as
    /// constants and each field's type known (a cell per field and a key looked up per field
    /// were two thirds of the cost of a JSON line). A test checks the names are
    /// [`COLUMNS`](Row::COLUMNS)'.
    #[inline(always)]
    fn fields<'s>(&'s self, sink: &mut impl FieldSink<'s>) {
        let mut f = |column, cell| sink.field(column, cell);
        let r = self.rec;
        let tls = self.tls;
        let midstream = [r.orig_reassembly, r.resp_reassembly]
            .iter()
            .flatten()
            .any(|s| s.midstream);
        f(col!("flow_id"), Cell::U64(r.first_frame));
        f(col!("start"), Cell::Time(r.first_ts));
        f(col!("end"), Cell::Time(r.last_ts));
        f(col!("duration"), Cell::F64(duration_secs(r)));
        f(col!("proto"), Cell::Str(proto_name(r.key.protocol)));
        f(col!("orig_h"), Cell::Ip(r.orig.addr));
        f(col!("orig_p"), Cell::U64(r.orig.port.into()));
        f(col!("resp_h"), Cell::Ip(r.resp.addr));
        f(col!("resp_p"), Cell::U64(r.resp.port.into()));
        f(col!("vlan"), Cell::opt(r.vlan, |v| Cell::U64(v.into())));
        f(col!("initiator_known"), Cell::Bool(r.initiator_known));
        f(col!("flipped"), Cell::Bool(r.flipped));
        f(col!("conn_state"), Cell::str(r.conn_state.as_str()));
        f(col!("history"), Cell::str(r.history.as_str()));
        f(col!("orig_pkts"), Cell::U64(r.orig_stats.packets));
        f(col!("orig_ip_bytes"), Cell::U64(r.orig_stats.ip_bytes));
        f(col!("orig_bytes"), Cell::U64(r.orig_stats.payload_bytes));
        f(col!("resp_pkts"), Cell::U64(r.resp_stats.packets));
        f(col!("resp_ip_bytes"), Cell::U64(r.resp_stats.ip_bytes));
        f(col!("resp_bytes"), Cell::U64(r.resp_stats.payload_bytes));
        f(col!("end_reason"), Cell::str(end_name(r.end)));
        f(col!("first_frame"), Cell::U64(r.first_frame));
        f(col!("last_frame"), Cell::U64(r.last_frame));
        f(col!("midstream"), Cell::Bool(midstream));
        f(col!("gaps"), Cell::U64(r.gaps().into()));
        f(col!("gap_bytes"), Cell::U64(sum(r, |s| s.gap_bytes)));
        f(
            col!("overlap_conflicts"),
            Cell::U64(r.overlap_conflicts().into()),
        );
        f(
            col!("first_conflict_frame"),
            Cell::opt(r.first_conflict_frame(), Cell::U64),
        );
        f(
            col!("reassembly_dropped_bytes"),
            Cell::U64(sum(r, |s| s.dropped_bytes)),
        );
        f(
            col!("tls_sni"),
            Cell::opt(tls.and_then(TlsSummary::sni_str), Cell::str),
        );
        f(col!("tls_version"), tls.map_or(Cell::Null, negotiated));
        let alpn = tls.map(|t| match &t.alpn_chosen {
            Some(a) => vec![bytes_text(a)],
            None => t.alpn_offered.iter().map(|a| bytes_text(a)).collect(),
        });
        f(
            col!("tls_alpn"),
            Cell::opt(alpn.filter(|a| !a.is_empty()), Cell::List),
        );
        f(
            col!("tls_ja4"),
            Cell::opt(tls.and_then(|t| t.ja4.as_ref()), |j| Cell::str(j.as_str())),
        );
        f(
            col!("tls_established"),
            Cell::opt(tls, |t| Cell::Bool(t.established)),
        );
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
            Cell::Ip(r.orig.addr),
            Cell::U64(r.orig.port.into()),
            Cell::Ip(r.resp.addr),
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
    use super::super::records::{json_keys, write_json_row};
    use super::*;
    use decode::flow::{ConnState, DirStats, Endpoint, FlowId, FlowKey, History};
    use decode::tls::{TlsConfig, TlsSession};

    /// The names `fields` gives are the columns, in order.
    #[test]
    fn fields_are_the_columns() {
        let rec = record(0);
        let row = FlowRow {
            rec: &rec,
            tls: None,
        };
        struct Names(Vec<&'static str>);
        impl FieldSink<'_> for Names {
            fn field(&mut self, column: Column, _: Cell<'_>) {
                let name = column.json_key.strip_prefix(",\"").unwrap();
                self.0.push(name.strip_suffix("\":").unwrap());
            }
        }
        let mut names = Names(Vec::new());
        row.fields(&mut names);
        let names = names.0;
        let columns: Vec<&str> = FlowRow::COLUMNS.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, columns);
        assert_eq!(names.len(), FLOW_FIELDS);
    }

    /// A varied record: IPv4 or IPv6, VLAN or not, reassembly counters or none, odd protocols,
    /// times before 1970 and after 9999.
    fn record(i: u64) -> FlowRecord {
        let v6 = i % 3 == 1;
        let addr = |n: u8| -> std::net::IpAddr {
            if v6 {
                std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(n)).into()
            } else {
                std::net::Ipv4Addr::new(10, n, 0, 200).into()
            }
        };
        let (orig, resp) = (
            Endpoint {
                addr: addr(1),
                port: 40_000 + i as u16,
            },
            Endpoint {
                addr: addr(2),
                port: 443,
            },
        );
        let protocol = [
            IpProtocol::TCP,
            IpProtocol::UDP,
            IpProtocol(47),
            IpProtocol::ICMPV6,
        ][i as usize % 4];
        let stats = |k: u64| DirStats {
            packets: k,
            ip_bytes: k * 1500,
            payload_bytes: k * 1460,
        };
        let reasm = ReassemblyStats {
            midstream: i % 2 == 0,
            gaps: (i % 3) as u32,
            gap_bytes: i * 7,
            overlap_conflicts: (i % 2) as u32,
            first_conflict_frame: (i % 2 == 1).then_some(i + 3),
            dropped_bytes: i,
            ..ReassemblyStats::default()
        };
        let first_ts = [0, -1_500_000_000, 1_704_067_200_123_456_789, i64::MAX][i as usize % 4];
        FlowRecord {
            id: FlowId(i),
            key: FlowKey::new(orig, resp, protocol, None).0,
            orig,
            resp,
            initiator_known: i % 2 == 0,
            flipped: i % 5 == 0,
            first_ts,
            last_ts: first_ts.saturating_add(i as i64 * 1_234_567),
            first_frame: i * 10 + 1,
            last_frame: i * 10 + 9,
            orig_stats: stats(i),
            resp_stats: stats(i / 2),
            conn_state: [
                ConnState::S0,
                ConnState::SF,
                ConnState::Rej,
                ConnState::Rstr,
            ][i as usize % 4],
            history: History::default(),
            tcp_states: None,
            vlan: (i % 4 == 2).then_some(42),
            end: [
                EndReason::Closed,
                EndReason::IdleTimeout,
                EndReason::Evicted,
                EndReason::EndOfInput,
            ][i as usize % 4],
            orig_reassembly: (i % 3 != 0).then_some(reasm),
            resp_reassembly: (i % 4 == 1).then_some(reasm),
        }
    }

    /// A session that saw a real ClientHello (SNI, ALPN offered, JA4), then varied: a chosen
    /// ALPN or not, a known or unknown version, an SNI needing escapes, bytes not UTF-8.
    fn session(i: u64) -> TlsSummary {
        let mut rng = samplegen::rng::SplitMix64::new(i);
        let hello = samplegen::tls::ClientHello::new("sni.example", &mut rng).record_bytes();
        let mut s = TlsSession::new(TlsConfig::default());
        s.feed(Dir::ClientToServer, &hello, 1, 0).unwrap();
        let mut t = s.take_summary();
        if i % 2 == 0 {
            t.alpn_chosen = Some(b"h2".iter().copied().collect());
        }
        if i % 3 == 0 {
            t.alpn_offered.clear();
        }
        if i % 5 == 1 {
            t.alpn_chosen = Some(b"x\xff\"y".iter().copied().collect());
        }
        t.negotiated_version = [
            None,
            Some(ProtocolVersion(0x0304)),
            Some(ProtocolVersion(0x7f1c)),
        ][i as usize % 3];
        if i % 4 == 3 {
            t.sni = Some(b"a\"b\\c\x01".iter().copied().collect());
        }
        if i % 7 == 0 {
            t.ja4 = None;
        }
        t.established = i % 2 == 1;
        t
    }

    /// A `flows` row's own JSON is the generic text of its cells, with and without TLS.
    #[test]
    fn own_json_equals_the_cells_json() {
        let keys = json_keys(FlowRow::COLUMNS);
        for i in 0..200 {
            let rec = record(i);
            let tls = session(i);
            for tls in [None, Some(&tls)] {
                let row = FlowRow { rec: &rec, tls };
                let (mut own, mut generic) = (Vec::new(), Vec::new());
                row.json(&mut own, &keys).unwrap();
                write_json_row(&mut generic, &keys, row.cells().as_ref()).unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&own),
                    String::from_utf8_lossy(&generic)
                );
            }
        }
    }

    #[test]
    fn names() {
        assert_eq!(version_name(0x0304), "TLS 1.3");
        assert_eq!(version_name(0x0a0a), "GREASE");
        assert_eq!(group(0x11ec), "X25519MLKEM768");
        assert_eq!(group(0x9999), "0x9999");
        assert_eq!(cipher(0x1301), "TLS_AES_128_GCM_SHA256");
    }
}
