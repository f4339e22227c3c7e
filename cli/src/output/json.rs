//! One JSON object per packet. Field names are stable (documented in the README); absent
//! layers leave their fields out rather than writing `null`.

use std::io::{self, Write};
use std::net::IpAddr;

use capture::PacketRef;
use decode::{DecodeError, DecodedPacket, Link, MacAddr, Net, TcpOption, Transport};
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use crate::time::Rfc3339;

/// Writes one packet as a JSON object followed by a newline.
pub(crate) fn write_packet<W: Write>(
    w: &mut W,
    pkt: &PacketRef<'_>,
    d: &DecodedPacket<'_>,
) -> io::Result<()> {
    let repr = PacketJson::new(pkt, d);
    serde_json::to_writer(&mut *w, &repr).map_err(io::Error::from)?;
    w.write_all(b"\n")
}

/// Displays through `collect_str`, so no `String` is built.
struct Str<T>(T);

impl<T: std::fmt::Display> Serialize for Str<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

#[derive(Serialize)]
struct PacketJson<'a> {
    frame: u64,
    ts: Str<capture::Timestamp>,
    time: Str<Rfc3339>,
    #[serde(skip_serializing_if = "is_zero")]
    interface: u32,
    caplen: u32,
    len: u32,
    link: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    eth_src: Option<Str<MacAddr>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    eth_dst: Option<Str<MacAddr>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sll_ifindex: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sll_pkttype: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ethertype: Option<u16>,
    #[serde(
        skip_serializing_if = "<[_]>::is_empty",
        serialize_with = "serialize_vlans"
    )]
    vlans: &'a [decode::Vlan],
    #[serde(skip_serializing_if = "Option::is_none")]
    net: Option<&'static str>,
    #[serde(flatten)]
    ip: Option<IpJson<'a>>,
    #[serde(flatten)]
    arp: Option<ArpJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    proto: Option<ProtoName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    src_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dst_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    udp_len: Option<u16>,
    #[serde(flatten)]
    tcp: Option<TcpJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    icmp_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    icmp_code: Option<u8>,
    payload_len: usize,
    captured_payload_len: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    truncated: Option<TruncJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    malformed: Option<MalformedJson>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(v: &u32) -> bool {
    *v == 0
}

#[derive(Serialize)]
struct IpJson<'a> {
    src: IpAddr,
    dst: IpAddr,
    ip_proto: u8,
    ttl: u8,
    ip_len: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip_checksum_ok: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frag_offset: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    more_fragments: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ipv6_ext: Option<ExtList<'a>>,
}

/// IPv6 extension header numbers, in order.
struct ExtList<'a>(&'a [decode::IpProtocol]);

impl Serialize for ExtList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|p| p.0))
    }
}

#[derive(Serialize)]
struct ArpJson<'a> {
    arp_op: u16,
    #[serde(serialize_with = "hex_colon")]
    arp_sender_mac: &'a [u8],
    #[serde(skip_serializing_if = "Option::is_none")]
    arp_sender_ip: Option<std::net::Ipv4Addr>,
    #[serde(serialize_with = "hex_colon")]
    arp_target_mac: &'a [u8],
    #[serde(skip_serializing_if = "Option::is_none")]
    arp_target_ip: Option<std::net::Ipv4Addr>,
}

fn hex_colon<S: Serializer>(bytes: &&[u8], s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&HexColon(bytes))
}

struct HexColon<'a>(&'a [u8]);

impl std::fmt::Display for HexColon<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct TcpJson<'a> {
    tcp_flags: Str<FlagLetters>,
    tcp_flags_raw: u16,
    seq: u32,
    ack: u32,
    win: u16,
    tcp_header_len: u8,
    tcp_options: TcpOptionsJson<'a>,
}

struct FlagLetters(decode::TcpFlags);

impl std::fmt::Display for FlagLetters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buf = [0u8; 16];
        let mut cursor = io::Cursor::new(&mut buf[..]);
        super::text::write_tcp_flags(&mut cursor, self.0).map_err(|_| std::fmt::Error)?;
        let n = usize::try_from(cursor.position()).map_err(|_| std::fmt::Error)?;
        f.write_str(std::str::from_utf8(&buf[..n]).map_err(|_| std::fmt::Error)?)
    }
}

struct TcpOptionsJson<'a>(decode::TcpInfo<'a>);

impl Serialize for TcpOptionsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for opt in self.0.options() {
            match opt {
                Ok(TcpOption::EndOfList) => seq.serialize_element("eol")?,
                Ok(TcpOption::Nop) => seq.serialize_element("nop")?,
                Ok(TcpOption::Mss(v)) => seq.serialize_element(&Kv("mss", v))?,
                Ok(TcpOption::WindowScale(v)) => seq.serialize_element(&Kv("wscale", v))?,
                Ok(TcpOption::SackPermitted) => seq.serialize_element("sackOK")?,
                Ok(TcpOption::Sack(b)) => seq.serialize_element(&Kv("sack_blocks", b.len() / 8))?,
                Ok(TcpOption::Timestamp { value, echo }) => {
                    seq.serialize_element(&Kv("ts", [value, echo]))?;
                }
                Ok(TcpOption::Unknown { kind, .. }) => seq.serialize_element(&Kv("kind", kind))?,
                Ok(_) => seq.serialize_element("other")?,
                Err(bad) => seq.serialize_element(&Kv("bad_option", bad.kind))?,
            }
        }
        seq.end()
    }
}

/// A one-key object `{"k": v}`.
struct Kv<T>(&'static str, T);

impl<T: Serialize> Serialize for Kv<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(self.0, &self.1)?;
        m.end()
    }
}

/// `tcp`, `udp`, `icmp`, `icmp6`, a known name, or `ip-proto-N`.
struct ProtoName(decode::IpProtocol);

impl Serialize for ProtoName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

#[derive(Serialize)]
struct TruncJson {
    layer: &'static str,
    needed: usize,
    available: usize,
}

#[derive(Serialize)]
struct MalformedJson {
    layer: &'static str,
    what: &'static str,
}

impl<'a> PacketJson<'a> {
    fn new(pkt: &PacketRef<'a>, d: &'a DecodedPacket<'a>) -> Self {
        let (link, eth_src, eth_dst, sll_ifindex, sll_pkttype, ethertype) = match d.link {
            Link::Ethernet {
                src,
                dst,
                ethertype,
            } => (
                "ethernet",
                Some(Str(src)),
                Some(Str(dst)),
                None,
                None,
                Some(ethertype.0),
            ),
            Link::LinuxSll {
                packet_type,
                protocol,
                ..
            } => (
                "linux_sll",
                None,
                None,
                None,
                Some(packet_type),
                Some(protocol.0),
            ),
            Link::LinuxSll2 {
                protocol,
                ifindex,
                packet_type,
                ..
            } => (
                "linux_sll2",
                None,
                None,
                Some(ifindex),
                Some(u16::from(packet_type)),
                Some(protocol.0),
            ),
            Link::Null { .. } => ("null", None, None, None, None, None),
            Link::Raw => ("raw", None, None, None, None, None),
            _ => ("unknown", None, None, None, None, None),
        };
        let (net, ip, arp) = match &d.net {
            Some(Net::Ipv4(ip)) => (
                Some("ipv4"),
                Some(IpJson {
                    src: ip.src.into(),
                    dst: ip.dst.into(),
                    ip_proto: ip.protocol.0,
                    ttl: ip.ttl,
                    ip_len: u32::from(ip.total_len),
                    ip_id: Some(u32::from(ip.id)),
                    ip_checksum_ok: Some(ip.checksum_ok),
                    frag_offset: ip
                        .is_fragment()
                        .then_some(u32::from(ip.fragment_offset) * 8),
                    more_fragments: ip.is_fragment().then_some(ip.more_fragments),
                    ipv6_ext: None,
                }),
                None,
            ),
            Some(Net::Ipv6(ip)) => (
                Some("ipv6"),
                Some(IpJson {
                    src: ip.src.into(),
                    dst: ip.dst.into(),
                    ip_proto: ip.protocol.0,
                    ttl: ip.hop_limit,
                    ip_len: u32::from(ip.payload_len) + 40,
                    ip_id: ip.fragment.map(|f| f.id),
                    ip_checksum_ok: None,
                    frag_offset: ip
                        .fragment
                        .filter(|_| ip.is_fragment())
                        .map(|f| u32::from(f.offset) * 8),
                    more_fragments: ip
                        .fragment
                        .filter(|_| ip.is_fragment())
                        .map(|f| f.more_fragments),
                    ipv6_ext: (!ip.extensions.is_empty()).then(|| ExtList(&ip.extensions)),
                }),
                None,
            ),
            Some(Net::Arp(a)) => (
                Some("arp"),
                None,
                Some(ArpJson {
                    arp_op: a.operation,
                    arp_sender_mac: a.sender_hw,
                    arp_sender_ip: a.sender_ipv4(),
                    arp_target_mac: a.target_hw,
                    arp_target_ip: a.target_ipv4(),
                }),
            ),
            Some(Net::Other { .. }) => (Some("other"), None, None),
            Some(_) => (Some("unknown"), None, None),
            None => (None, None, None),
        };
        let proto = match &d.net {
            Some(Net::Ipv4(ip)) => Some(ProtoName(ip.protocol)),
            Some(Net::Ipv6(ip)) => Some(ProtoName(ip.protocol)),
            _ => None,
        };
        let (src_port, dst_port) = d.ports().unzip();
        let tcp = match &d.transport {
            Some(Transport::Tcp(t)) => Some(TcpJson {
                tcp_flags: Str(FlagLetters(t.flags)),
                tcp_flags_raw: t.flags.bits(),
                seq: t.seq,
                ack: t.ack,
                win: t.window,
                tcp_header_len: t.header_len,
                tcp_options: TcpOptionsJson(*t),
            }),
            _ => None,
        };
        let udp_len = match &d.transport {
            Some(Transport::Udp(u)) => Some(u.length),
            _ => None,
        };
        let (icmp_type, icmp_code) = match &d.transport {
            Some(Transport::Icmpv4(i) | Transport::Icmpv6(i)) => (Some(i.icmp_type), Some(i.code)),
            _ => (None, None),
        };
        let (truncated, malformed) = match d.stop {
            Some(DecodeError::Truncated {
                layer,
                needed,
                available,
            }) => (
                Some(TruncJson {
                    layer: layer.name(),
                    needed,
                    available,
                }),
                None,
            ),
            Some(DecodeError::Malformed { layer, what }) => (
                None,
                Some(MalformedJson {
                    layer: layer.name(),
                    what,
                }),
            ),
            _ => (None, None),
        };
        Self {
            frame: pkt.frame,
            ts: Str(pkt.ts),
            time: Str(Rfc3339(pkt.ts)),
            interface: pkt.interface,
            caplen: pkt.caplen,
            len: pkt.origlen,
            link,
            eth_src,
            eth_dst,
            sll_ifindex,
            sll_pkttype,
            ethertype,
            vlans: &d.vlans,
            net,
            ip,
            arp,
            proto,
            src_port,
            dst_port,
            udp_len,
            tcp,
            icmp_type,
            icmp_code,
            payload_len: d.payload_wire_len,
            captured_payload_len: d.payload.len(),
            truncated,
            malformed,
        }
    }
}

/// Serializes VLAN tags as `{"vid":100,"pcp":0,"dei":false,"tpid":33024}`.
fn serialize_vlans<S: Serializer>(vlans: &&[decode::Vlan], s: S) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(vlans.len()))?;
    for v in *vlans {
        seq.serialize_element(&VlanJson {
            vid: v.vid,
            pcp: v.pcp,
            dei: v.dei,
            tpid: v.tpid.0,
        })?;
    }
    seq.end()
}

#[derive(Serialize)]
struct VlanJson {
    vid: u16,
    pcp: u8,
    dei: bool,
    tpid: u16,
}
