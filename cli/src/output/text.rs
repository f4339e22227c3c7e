//! tcpdump-style one-line-per-packet text (`tcpdump -nS` conventions: absolute sequence numbers).

use std::io::{self, Write};

use capture::PacketRef;
use decode::{
    ArpInfo, DecodeError, DecodedPacket, IcmpInfo, IpProtocol, Link, Net, TcpFlags, TcpInfo,
    TcpOption, Transport,
};

use crate::time::TimeOfDay;

/// Writes one packet line (with its newline).
pub(crate) fn write_packet<W: Write>(
    w: &mut W,
    pkt: &PacketRef<'_>,
    d: &DecodedPacket<'_>,
    link_level: bool,
) -> io::Result<()> {
    write!(w, "{} ", TimeOfDay(pkt.ts))?;
    if link_level {
        write_link(w, pkt, d)?;
    }
    match &d.net {
        Some(Net::Ipv4(ip)) => {
            w.write_all(b"IP ")?;
            let frag = ip.is_fragment().then_some(Frag {
                id: u32::from(ip.id),
                len: usize::from(ip.total_len.saturating_sub(u16::from(ip.header_len))),
                offset: u32::from(ip.fragment_offset) * 8,
                more: ip.more_fragments,
            });
            write_ip(w, d, ip.src.into(), ip.dst.into(), ip.protocol, frag)?;
        }
        Some(Net::Ipv6(ip)) => {
            w.write_all(b"IP6 ")?;
            let frag = ip.fragment.filter(|_| ip.is_fragment()).map(|f| Frag {
                id: f.id,
                len: usize::from(ip.payload_len),
                offset: u32::from(f.offset) * 8,
                more: f.more_fragments,
            });
            write_ip(w, d, ip.src.into(), ip.dst.into(), ip.protocol, frag)?;
        }
        Some(Net::Arp(arp)) => write_arp(w, arp)?,
        Some(Net::Other { ethertype }) => {
            if !link_level {
                write!(w, "ethertype {ethertype}")?;
            }
            write!(w, ", length {}", pkt.origlen)?;
        }
        // No network layer: an unknown link type, or a frame cut inside the link header.
        None => {
            if let Link::Unknown { linktype } = d.link {
                write!(
                    w,
                    "unsupported link type {linktype}, length {}",
                    pkt.origlen
                )?;
            }
        }
        Some(_) => write!(w, "unknown network layer, length {}", pkt.origlen)?,
    }
    if let Some(stop) = d.stop {
        write_stop(w, stop)?;
    }
    w.write_all(b"\n")
}

/// An IP fragment, for printing.
#[derive(Clone, Copy)]
struct Frag {
    id: u32,
    /// The IP payload length (tcpdump's `size` in `frag id:size@offset`).
    len: usize,
    offset: u32,
    more: bool,
}

fn write_link<W: Write>(w: &mut W, pkt: &PacketRef<'_>, d: &DecodedPacket<'_>) -> io::Result<()> {
    match d.link {
        Link::Ethernet {
            src,
            dst,
            ethertype,
        } => {
            write!(
                w,
                "{src} > {dst}, ethertype {ethertype}, length {}: ",
                pkt.origlen
            )?;
        }
        Link::LinuxSll {
            packet_type,
            addr,
            protocol,
            ..
        } => {
            write!(w, "{} ", sll_direction(packet_type))?;
            write_hw_addr(w, addr)?;
            write!(w, " ethertype {protocol}, length {}: ", pkt.origlen)?;
        }
        Link::LinuxSll2 {
            protocol,
            ifindex,
            packet_type,
            addr,
            ..
        } => {
            write!(
                w,
                "ifindex {ifindex} {} ",
                sll_direction(u16::from(packet_type))
            )?;
            write_hw_addr(w, addr)?;
            write!(w, " ethertype {protocol}, length {}: ", pkt.origlen)?;
        }
        Link::Null { family } => write!(w, "AF {family}, length {}: ", pkt.origlen)?,
        _ => {}
    }
    for vlan in &d.vlans {
        write!(w, "vlan {}, p {}", vlan.vid, vlan.pcp)?;
        if vlan.dei {
            w.write_all(b", DEI")?;
        }
        write!(w, ", ethertype {}, ", vlan.ethertype)?;
    }
    Ok(())
}

/// tcpdump's names for the Linux cooked packet types.
fn sll_direction(packet_type: u16) -> &'static str {
    match packet_type {
        0 => "In",
        1 => "B",
        2 => "M",
        3 => "P",
        4 => "Out",
        _ => "?",
    }
}

fn write_hw_addr<W: Write>(w: &mut W, addr: &[u8]) -> io::Result<()> {
    for (i, b) in addr.iter().enumerate() {
        if i > 0 {
            w.write_all(b":")?;
        }
        write!(w, "{b:02x}")?;
    }
    Ok(())
}

fn write_ip<W: Write>(
    w: &mut W,
    d: &DecodedPacket<'_>,
    src: std::net::IpAddr,
    dst: std::net::IpAddr,
    proto: IpProtocol,
    frag: Option<Frag>,
) -> io::Result<()> {
    match &d.transport {
        Some(Transport::Tcp(tcp)) => {
            write!(w, "{src}.{} > {dst}.{}: ", tcp.src_port, tcp.dst_port)?;
            write_tcp(w, tcp, d.payload_wire_len)?;
        }
        Some(Transport::Udp(udp)) => {
            // The UDP length field, as tcpdump prints it (for a first fragment it covers the
            // whole datagram, not just this fragment).
            let len = udp.length.saturating_sub(8);
            write!(
                w,
                "{src}.{} > {dst}.{}: UDP, length {len}",
                udp.src_port, udp.dst_port
            )?;
        }
        Some(Transport::Icmpv4(icmp)) => {
            write!(w, "{src} > {dst}: ICMP ")?;
            write_icmpv4(w, icmp)?;
            write!(w, ", length {}", d.payload_wire_len + 8)?;
        }
        Some(Transport::Icmpv6(icmp)) => {
            write!(w, "{src} > {dst}: ICMP6, ")?;
            write_icmpv6(w, icmp, d.payload)?;
            write!(w, ", length {}", d.payload_wire_len + 8)?;
        }
        _ => {
            write!(w, "{src} > {dst}: ")?;
            match proto.name() {
                Some(name) => w.write_all(name.as_bytes())?,
                None => write!(w, "ip-proto-{}", proto.0)?,
            }
            write!(w, ", length {}", d.payload_wire_len)?;
        }
    }
    if let Some(f) = frag {
        write!(
            w,
            " (frag {}:{}@{}{})",
            f.id,
            f.len,
            f.offset,
            if f.more { "+" } else { "" }
        )?;
    }
    Ok(())
}

fn write_tcp<W: Write>(w: &mut W, tcp: &TcpInfo<'_>, len: usize) -> io::Result<()> {
    w.write_all(b"Flags [")?;
    write_tcp_flags(w, tcp.flags)?;
    w.write_all(b"]")?;
    let fin_or_syn = tcp
        .flags
        .intersects(TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST);
    if len > 0 {
        let end = u64::from(tcp.seq) + len as u64;
        write!(w, ", seq {}:{}", tcp.seq, end & 0xffff_ffff)?;
    } else if fin_or_syn {
        write!(w, ", seq {}", tcp.seq)?;
    }
    if tcp.flags.contains(TcpFlags::ACK) {
        write!(w, ", ack {}", tcp.ack)?;
    }
    write!(w, ", win {}", tcp.window)?;
    if tcp.flags.contains(TcpFlags::URG) {
        write!(w, ", urg {}", tcp.urgent)?;
    }
    if !tcp.options.is_empty() {
        w.write_all(b", options [")?;
        write_tcp_options(w, tcp)?;
        w.write_all(b"]")?;
    }
    write!(w, ", length {len}")
}

/// tcpdump's flag letters, in tcpdump's order; `.` is ACK.
pub(crate) fn write_tcp_flags<W: Write>(w: &mut W, flags: TcpFlags) -> io::Result<()> {
    const LETTERS: [(TcpFlags, u8); 8] = [
        (TcpFlags::FIN, b'F'),
        (TcpFlags::SYN, b'S'),
        (TcpFlags::RST, b'R'),
        (TcpFlags::PSH, b'P'),
        (TcpFlags::ACK, b'.'),
        (TcpFlags::URG, b'U'),
        (TcpFlags::ECE, b'E'),
        (TcpFlags::CWR, b'W'),
    ];
    let mut any = false;
    for (flag, letter) in LETTERS {
        if flags.contains(flag) {
            w.write_all(&[letter])?;
            any = true;
        }
    }
    if !any {
        w.write_all(b"none")?;
    }
    Ok(())
}

fn write_tcp_options<W: Write>(w: &mut W, tcp: &TcpInfo<'_>) -> io::Result<()> {
    for (i, opt) in tcp.options().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        match opt {
            Ok(TcpOption::EndOfList) => w.write_all(b"eol")?,
            Ok(TcpOption::Nop) => w.write_all(b"nop")?,
            Ok(TcpOption::Mss(mss)) => write!(w, "mss {mss}")?,
            Ok(TcpOption::WindowScale(s)) => write!(w, "wscale {s}")?,
            Ok(TcpOption::SackPermitted) => w.write_all(b"sackOK")?,
            Ok(TcpOption::Sack(blocks)) => {
                write!(w, "sack {}", blocks.len() / 8)?;
                for b in blocks.chunks_exact(8) {
                    let left = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                    let right = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
                    write!(w, " {{{left}:{right}}}")?;
                }
            }
            Ok(TcpOption::Timestamp { value, echo }) => write!(w, "TS val {value} ecr {echo}")?,
            Ok(TcpOption::Unknown { kind, data }) => {
                write!(w, "unknown-{kind} 0x")?;
                for b in data {
                    write!(w, "{b:02x}")?;
                }
            }
            Ok(_) => w.write_all(b"?")?,
            Err(bad) => write!(w, "bad opt {} at {}", bad.kind, bad.offset)?,
        }
    }
    Ok(())
}

fn write_icmpv4<W: Write>(w: &mut W, icmp: &IcmpInfo) -> io::Result<()> {
    let (id, seq) = icmp.echo_id_seq();
    match (icmp.icmp_type, icmp.code) {
        (0, _) => write!(w, "echo reply, id {id}, seq {seq}"),
        (8, _) => write!(w, "echo request, id {id}, seq {seq}"),
        (3, code) => {
            let what = match code {
                0 => "net",
                1 => "host",
                2 => "protocol",
                3 => "port",
                4 => "need to frag",
                9 | 10 => "admin prohibited",
                13 => "communication prohibited by filter",
                _ => "other",
            };
            write!(w, "destination unreachable ({what}, code {code})")
        }
        (5, code) => write!(w, "redirect, code {code}"),
        (11, code) => write!(w, "time exceeded, code {code}"),
        (12, code) => write!(w, "parameter problem, code {code}"),
        (13, _) => w.write_all(b"time stamp request"),
        (14, _) => w.write_all(b"time stamp reply"),
        (t, c) => write!(w, "type {t}, code {c}"),
    }
}

fn write_icmpv6<W: Write>(w: &mut W, icmp: &IcmpInfo, payload: &[u8]) -> io::Result<()> {
    let (id, seq) = icmp.echo_id_seq();
    // Neighbor solicitation/advertisement carry the target address right after the 8-byte header.
    let target = <[u8; 16]>::try_from(payload.get(..16).unwrap_or(&[]))
        .ok()
        .map(std::net::Ipv6Addr::from);
    match icmp.icmp_type {
        1 => write!(w, "destination unreachable, code {}", icmp.code),
        2 => w.write_all(b"packet too big"),
        3 => write!(w, "time exceeded, code {}", icmp.code),
        4 => write!(w, "parameter problem, code {}", icmp.code),
        128 => write!(w, "echo request, id {id}, seq {seq}"),
        129 => write!(w, "echo reply, id {id}, seq {seq}"),
        133 => w.write_all(b"router solicitation"),
        134 => w.write_all(b"router advertisement"),
        135 => match target {
            Some(t) => write!(w, "neighbor solicitation, who has {t}"),
            None => w.write_all(b"neighbor solicitation"),
        },
        136 => match target {
            Some(t) => write!(w, "neighbor advertisement, tgt is {t}"),
            None => w.write_all(b"neighbor advertisement"),
        },
        143 => w.write_all(b"multicast listener report v2"),
        t => write!(w, "type {t}, code {}", icmp.code),
    }
}

fn write_arp<W: Write>(w: &mut W, arp: &ArpInfo<'_>) -> io::Result<()> {
    let len = 8 + 2 * (arp.sender_hw.len() + arp.sender_proto.len());
    w.write_all(b"ARP, ")?;
    match (arp.operation, arp.sender_ipv4(), arp.target_ipv4()) {
        (1, Some(sender), Some(target)) => write!(w, "Request who-has {target} tell {sender}")?,
        (2, Some(sender), _) => {
            write!(w, "Reply {sender} is-at ")?;
            write_hw_addr(w, arp.sender_hw)?;
        }
        (op, _, _) => write!(
            w,
            "operation {op}, hardware type {}, protocol {}",
            arp.hw_type, arp.proto_type
        )?,
    }
    write!(w, ", length {len}")
}

fn write_stop<W: Write>(w: &mut W, stop: DecodeError) -> io::Result<()> {
    match stop {
        DecodeError::Truncated { layer, .. } => write!(w, " [|{layer}]"),
        DecodeError::Malformed { layer, what } => write!(w, " [bad {layer}: {what}]"),
        _ => write!(w, " [{stop}]"),
    }
}
