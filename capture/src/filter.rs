//! BPF filters for packets read from files, compiled by libpcap (feature `libpcap`).

use decode::LinkType;
use pcap::{BpfProgram, Capture, Linktype};

use crate::error::CaptureError;
use crate::live::pcap_msg;
use crate::packet::PacketRef;

/// Link types tried, in order, when checking an expression before any packet is seen.
const PROBE_LINKS: [LinkType; 8] = [
    LinkType::Ethernet,
    LinkType::LinuxSll2,
    LinkType::LinuxSll,
    LinkType::Raw,
    LinkType::Null,
    LinkType::Loop,
    LinkType::Ipv4,
    LinkType::Ipv6,
];

/// A tcpdump-style filter expression (`tcp port 443 and host 10.0.0.1`), applied in user space.
///
/// BPF code depends on the link type, so the expression is compiled once per link type seen
/// (a pcapng file with Ethernet and Linux SLL2 interfaces gets two programs), on the first
/// packet of that link type, and the programs are kept.
///
/// Caveat: libpcap's `pcap_offline_filter` is given the captured length as the wire length (the
/// `pcap` crate builds the packet header from the slice alone), so `len`, `greater` and `less`
/// compare against the captured bytes: for a packet cut by the snaplen they see the shorter
/// length, unlike tcpdump.
pub struct BpfFilter {
    expr: String,
    snaplen: usize,
    /// One entry per link type seen: the program, or libpcap's error for that link type.
    programs: Vec<(LinkType, Result<BpfProgram, String>)>,
}

impl std::fmt::Debug for BpfFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BpfFilter")
            .field("expr", &self.expr)
            .field("snaplen", &self.snaplen)
            .field(
                "link_types",
                &self.programs.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl BpfFilter {
    /// Checks `expr` by compiling it for the common link types (Ethernet first), so that a typo
    /// is reported before any packet is read. The filter sees at most `snaplen` bytes of each
    /// packet (0 means no limit), as a live capture with that snaplen would.
    ///
    /// # Errors
    /// [`CaptureError::Filter`] with libpcap's message (for Ethernet) if the expression compiles
    /// for none of them.
    pub fn new(expr: &str, snaplen: u32) -> Result<Self, CaptureError> {
        let mut filter = Self {
            expr: expr.to_owned(),
            snaplen: if snaplen == 0 {
                usize::MAX
            } else {
                snaplen as usize
            },
            programs: Vec::new(),
        };
        let mut first_error = None;
        for link in PROBE_LINKS {
            match compile(expr, link) {
                Ok(program) => {
                    filter.programs.push((link, Ok(program)));
                    return Ok(filter);
                }
                Err(msg) => {
                    first_error.get_or_insert(msg);
                }
            }
        }
        Err(CaptureError::Filter {
            expr: expr.to_owned(),
            msg: first_error.unwrap_or_default(),
        })
    }

    /// The expression.
    #[must_use]
    pub fn expr(&self) -> &str {
        &self.expr
    }

    /// Whether `pkt` passes the filter.
    ///
    /// # Errors
    /// [`CaptureError::Filter`] if the expression does not compile for this packet's link type
    /// (`ether host` on raw IP, for instance); the error is kept, and repeated for every packet
    /// of that link type.
    pub fn matches(&mut self, pkt: &PacketRef<'_>) -> Result<bool, CaptureError> {
        let index = match self.programs.iter().position(|(link, _)| *link == pkt.link) {
            Some(i) => i,
            None => {
                self.programs
                    .push((pkt.link, compile(&self.expr, pkt.link)));
                self.programs.len() - 1
            }
        };
        let Some((link, program)) = self.programs.get(index) else {
            return Ok(false);
        };
        match program {
            Ok(program) => {
                let seen = pkt.data.get(..self.snaplen).unwrap_or(pkt.data);
                Ok(program.filter(seen))
            }
            Err(msg) => Err(CaptureError::Filter {
                expr: self.expr.clone(),
                msg: format!("{msg} (link type {link})"),
            }),
        }
    }
}

fn compile(expr: &str, link: LinkType) -> Result<BpfProgram, String> {
    let dead = Capture::dead(dlt(link)?).map_err(|e| pcap_msg(&e))?;
    dead.compile(expr, true).map_err(|e| pcap_msg(&e))
}

/// libpcap compiles for a DLT value, which is not always the `LINKTYPE_*` number written in
/// files (`LINKTYPE_RAW` is 101, `DLT_RAW` is 12 on Linux and 14 on OpenBSD): ask libpcap by
/// name for the link types we know, use the number for the others.
fn dlt(link: LinkType) -> Result<Linktype, String> {
    if link.is_supported() {
        if let Ok(dlt) = Linktype::from_name(link.name()) {
            return Ok(dlt);
        }
    }
    i32::try_from(link.to_u32())
        .map(Linktype)
        .map_err(|_| format!("link type {} is out of range", link.to_u32()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::Timestamp;

    fn packet(link: LinkType, data: &[u8]) -> PacketRef<'_> {
        let len = u32::try_from(data.len()).unwrap();
        PacketRef {
            frame: 1,
            ts: Timestamp::default(),
            caplen: len,
            origlen: len,
            link,
            interface: 0,
            data,
        }
    }

    /// An Ethernet + IPv4 + TCP SYN from 10.0.0.1:1234 to 10.0.0.2:443.
    fn tcp_syn() -> Vec<u8> {
        let mut f = vec![0u8; 14 + 20 + 20];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        let ip = &mut f[14..34];
        ip[0] = 0x45;
        ip[2..4].copy_from_slice(&40u16.to_be_bytes());
        ip[8] = 64;
        ip[9] = 6;
        ip[12..16].copy_from_slice(&[10, 0, 0, 1]);
        ip[16..20].copy_from_slice(&[10, 0, 0, 2]);
        let tcp = &mut f[34..54];
        tcp[0..2].copy_from_slice(&1234u16.to_be_bytes());
        tcp[2..4].copy_from_slice(&443u16.to_be_bytes());
        tcp[12] = 5 << 4;
        tcp[13] = 0x02;
        f
    }

    #[test]
    fn filters_per_link_type() {
        let frame = tcp_syn();
        let mut f = BpfFilter::new("tcp port 443 and host 10.0.0.2", 262_144).unwrap();
        assert!(f.matches(&packet(LinkType::Ethernet, &frame)).unwrap());
        let mut other = BpfFilter::new("udp", 0).unwrap();
        assert!(!other.matches(&packet(LinkType::Ethernet, &frame)).unwrap());
        // The same IP packet without its Ethernet header, as raw IP: a second program.
        assert!(f.matches(&packet(LinkType::Raw, &frame[14..])).unwrap());
        assert_eq!(f.programs.len(), 2);
        // Linux cooked v2, as `-i any` captures.
        assert_eq!(dlt(LinkType::LinuxSll2).unwrap(), Linktype(276));
        assert_eq!(dlt(LinkType::Ethernet).unwrap(), Linktype(1));
    }

    #[test]
    fn bad_expressions_are_errors() {
        let err = BpfFilter::new("tcp port", 0).unwrap_err();
        assert!(matches!(err, CaptureError::Filter { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("invalid capture filter \"tcp port\": "),
            "{err}"
        );
        // Valid for Ethernet, not for raw IP.
        let mut f = BpfFilter::new("ether host 00:11:22:33:44:55", 0).unwrap();
        let frame = tcp_syn();
        let err = f.matches(&packet(LinkType::Raw, &frame[14..])).unwrap_err();
        assert!(err.to_string().contains("link type RAW"), "{err}");
    }
}
