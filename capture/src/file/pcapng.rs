//! pcapng framing (<https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/>): sections, each
//! starting with a Section Header Block (which sets the byte order) and describing its own
//! interfaces; packets in Enhanced, Simple or (obsolete) Packet Blocks. Other blocks are skipped.

use decode::LinkType;

use super::record::{max_caplen, timestamp, Endian, Frame, Step, MAX_RECORD_LEN};
use crate::packet::Timestamp;

const SHB: u32 = 0x0A0D_0D0A;
const SHB_BYTES: [u8; 4] = [0x0A, 0x0D, 0x0D, 0x0A];
const IDB: u32 = 1;
const PB: u32 = 2;
const SPB: u32 = 3;
const NRB: u32 = 4;
const ISB: u32 = 5;
const EPB: u32 = 6;

/// More interfaces than this in one section is taken as corruption (it bounds memory).
const MAX_INTERFACES: usize = 1 << 20;

/// Option codes of an Interface Description Block.
const OPT_ENDOFOPT: u16 = 0;
const IF_TSRESOL: u16 = 9;
const IF_TSOFFSET: u16 = 14;

/// One Interface Description Block of the current section.
#[derive(Clone, Copy, Debug)]
struct Interface {
    link: LinkType,
    snaplen: u32,
    max_caplen: u32,
    /// Timestamp units per second (`if_tsresol`, default 10^6).
    units: u64,
    /// Seconds added to every timestamp (`if_tsoffset`).
    offset: i64,
}

/// Reading state: the current section's byte order and interfaces.
#[derive(Debug, Default)]
pub(super) struct NgParser {
    endian: Option<Endian>,
    interfaces: Vec<Interface>,
    /// File-wide number of the current section's interface 0.
    base: u32,
    /// Link type of the first interface of the file.
    pub(super) first_link: Option<LinkType>,
}

/// Whether `buf` starts like a pcapng file.
pub(super) fn is_pcapng(buf: &[u8]) -> bool {
    buf.starts_with(&SHB_BYTES)
}

fn block_name(block_type: u32) -> String {
    match block_type {
        SHB => "section header block".to_owned(),
        IDB => "interface description block".to_owned(),
        PB => "packet block".to_owned(),
        SPB => "simple packet block".to_owned(),
        NRB => "name resolution block".to_owned(),
        ISB => "interface statistics block".to_owned(),
        EPB => "enhanced packet block".to_owned(),
        other => format!("block of type 0x{other:08x}"),
    }
}

/// Smallest valid length of the blocks we interpret.
fn min_len(block_type: u32) -> u32 {
    match block_type {
        SHB => 28,
        IDB => 20,
        PB | EPB => 32,
        SPB => 16,
        _ => 12,
    }
}

impl NgParser {
    /// Frames the block at the start of `buf`.
    pub(super) fn step(&mut self, buf: &[u8]) -> Step {
        let Some(head) = buf.get(..12) else {
            return Step::Need(12);
        };
        let endian = if head.starts_with(&SHB_BYTES) {
            match head.get(8..12) {
                Some([0x4d, 0x3c, 0x2b, 0x1a]) => Endian::Little,
                Some([0x1a, 0x2b, 0x3c, 0x4d]) => Endian::Big,
                Some(bom) => {
                    return Step::Corrupt(format!(
                        "section header block with a bad byte-order magic ({})",
                        hex(bom)
                    ))
                }
                None => return Step::Need(12),
            }
        } else {
            match self.endian {
                Some(e) => e,
                None => return Step::Corrupt("block before the first section header block".into()),
            }
        };
        let (Some(block_type), Some(len)) = (endian.u32(head, 0), endian.u32(head, 4)) else {
            return Step::Need(12);
        };
        if len % 4 != 0 || len < min_len(block_type) {
            return Step::Corrupt(format!(
                "{} has length {len}, {}",
                block_name(block_type),
                if len % 4 != 0 {
                    "not a multiple of 4"
                } else {
                    "too short"
                }
            ));
        }
        let interpreted = matches!(block_type, SHB | IDB | PB | SPB | EPB);
        let Ok(ulen) = usize::try_from(len) else {
            return Step::SkipUnread(u64::from(len));
        };
        if ulen > MAX_RECORD_LEN {
            if interpreted {
                return Step::Corrupt(format!(
                    "{} length {len} is more than the {MAX_RECORD_LEN} byte limit",
                    block_name(block_type)
                ));
            }
            return Step::SkipUnread(u64::from(len));
        }
        // Check a packet block's header before buffering all of it.
        if let Some(problem) = self.check_packet_header(block_type, endian, buf, len) {
            return problem;
        }
        if buf.len() < ulen {
            return Step::Need(ulen);
        }
        let trailer = endian.u32(buf, ulen - 4).unwrap_or(0);
        if trailer != len {
            return Step::Corrupt(format!(
                "{} length is {len} at its start but {trailer} at its end",
                block_name(block_type)
            ));
        }
        let Some(body) = buf.get(8..ulen - 4) else {
            return Step::Need(ulen);
        };
        match block_type {
            SHB => self.section(endian, body, ulen),
            IDB => self.interface(endian, body, ulen),
            EPB | PB => self.packet(block_type, endian, buf, ulen),
            SPB => self.simple_packet(endian, buf, ulen),
            _ => Step::Skip(ulen),
        }
    }

    /// For EPB, PB and SPB: the interface exists and the captured length is sane. `None` when
    /// the header is fine (or not a packet block).
    fn check_packet_header(
        &self,
        block_type: u32,
        e: Endian,
        buf: &[u8],
        len: u32,
    ) -> Option<Step> {
        let name = || block_name(block_type);
        match block_type {
            EPB | PB => {
                if buf.len() < 28 {
                    return Some(Step::Need(28));
                }
                let id = if block_type == EPB {
                    e.u32(buf, 8)?
                } else {
                    u32::from(e.u16(buf, 8)?)
                };
                let caplen = e.u32(buf, 20)?;
                let Some(iface) = self.interfaces.get(id as usize) else {
                    return Some(Step::Corrupt(format!(
                        "{} refers to interface {id}, but the section has {} interface description block(s)",
                        name(),
                        self.interfaces.len()
                    )));
                };
                if caplen > iface.max_caplen {
                    return Some(Step::Corrupt(format!(
                        "{} says {caplen} captured bytes, more than the {} byte limit for snaplen {}",
                        name(),
                        iface.max_caplen,
                        iface.snaplen
                    )));
                }
                if caplen > len - 32 {
                    return Some(Step::Corrupt(format!(
                        "{} says {caplen} captured bytes, but the {len}-byte block has room for {}",
                        name(),
                        len - 32
                    )));
                }
                None
            }
            SPB => {
                let Some(iface) = self.interfaces.first() else {
                    return Some(Step::Corrupt(format!(
                        "{} before any interface description block in its section",
                        name()
                    )));
                };
                let origlen = e.u32(buf, 8)?;
                let caplen = origlen.min(len - 16);
                if caplen > iface.max_caplen {
                    return Some(Step::Corrupt(format!(
                        "{} holds {caplen} captured bytes, more than the {} byte limit for snaplen {}",
                        name(),
                        iface.max_caplen,
                        iface.snaplen
                    )));
                }
                None
            }
            _ => None,
        }
    }

    fn section(&mut self, endian: Endian, body: &[u8], len: usize) -> Step {
        let (Some(major), Some(minor)) = (endian.u16(body, 4), endian.u16(body, 6)) else {
            return Step::Corrupt("section header block too short".into());
        };
        if major != 1 {
            return Step::Corrupt(format!("unsupported pcapng version {major}.{minor}"));
        }
        let count = u32::try_from(self.interfaces.len()).unwrap_or(u32::MAX);
        self.base = self.base.saturating_add(count);
        self.interfaces.clear();
        self.endian = Some(endian);
        Step::Skip(len)
    }

    fn interface(&mut self, endian: Endian, body: &[u8], len: usize) -> Step {
        let (Some(linktype), Some(snaplen)) = (endian.u16(body, 0), endian.u32(body, 4)) else {
            return Step::Corrupt("interface description block too short".into());
        };
        if self.interfaces.len() >= MAX_INTERFACES {
            return Step::Corrupt(format!(
                "more than {MAX_INTERFACES} interfaces in one section"
            ));
        }
        let (units, offset) = match interface_options(endian, body.get(8..).unwrap_or_default()) {
            Ok(found) => found,
            Err(what) => return Step::Corrupt(format!("interface description block: {what}")),
        };
        let linktype = u32::from(linktype);
        let link = LinkType::from_u32(linktype);
        let id = u32::try_from(self.interfaces.len()).unwrap_or(u32::MAX);
        self.interfaces.push(Interface {
            link,
            snaplen,
            max_caplen: max_caplen(snaplen),
            units,
            offset,
        });
        self.first_link.get_or_insert(link);
        if link.is_supported() {
            Step::Skip(len)
        } else {
            Step::UnsupportedLink {
                linktype,
                interface: self.base.saturating_add(id),
                len,
            }
        }
    }

    fn packet(&self, block_type: u32, e: Endian, buf: &[u8], len: usize) -> Step {
        // check_packet_header validated the interface and caplen against the block length.
        let id = if block_type == EPB {
            e.u32(buf, 8)
        } else {
            e.u16(buf, 8).map(u32::from)
        };
        let fields = (
            id,
            e.u32(buf, 12),
            e.u32(buf, 16),
            e.u32(buf, 20),
            e.u32(buf, 24),
        );
        let (Some(id), Some(high), Some(low), Some(caplen), Some(origlen)) = fields else {
            return Step::Need(28);
        };
        let Some(iface) = self.interfaces.get(id as usize) else {
            return Step::Corrupt(format!(
                "{} refers to unknown interface {id}",
                block_name(block_type)
            ));
        };
        let ticks = (u64::from(high) << 32) | u64::from(low);
        let secs = i64::try_from(ticks / iface.units)
            .unwrap_or(i64::MAX)
            .saturating_add(iface.offset);
        Step::Frame(Frame {
            ts: timestamp(secs, ticks % iface.units, iface.units),
            caplen,
            origlen,
            link: iface.link,
            interface: self.base.saturating_add(id),
            data_start: 28,
            record_len: len,
        })
    }

    fn simple_packet(&self, e: Endian, buf: &[u8], len: usize) -> Step {
        let (Some(iface), Some(origlen)) = (self.interfaces.first(), e.u32(buf, 8)) else {
            return Step::Corrupt(
                "simple packet block before any interface description block".into(),
            );
        };
        let room = u32::try_from(len - 16).unwrap_or(u32::MAX);
        let mut caplen = origlen.min(room);
        if iface.snaplen != 0 {
            caplen = caplen.min(iface.snaplen);
        }
        Step::Frame(Frame {
            // A Simple Packet Block has no timestamp.
            ts: Timestamp::default(),
            caplen,
            origlen,
            link: iface.link,
            interface: self.base,
            data_start: 12,
            record_len: len,
        })
    }
}

/// `if_tsresol` (as units per second) and `if_tsoffset` from an IDB's options.
fn interface_options(e: Endian, opts: &[u8]) -> Result<(u64, i64), String> {
    let mut units = 1_000_000;
    let mut offset = 0;
    let mut at = 0usize;
    while let (Some(code), Some(len)) = (e.u16(opts, at), e.u16(opts, at + 2)) {
        if code == OPT_ENDOFOPT {
            break;
        }
        let start = at + 4;
        let len = usize::from(len);
        let Some(value) = opts.get(start..start + len) else {
            return Err(format!(
                "option {code} of length {len} runs past the end of the block"
            ));
        };
        match code {
            IF_TSRESOL => {
                let [resol] = value else {
                    return Err(format!("if_tsresol option has length {len}, not 1"));
                };
                units = resolution(*resol)?;
            }
            IF_TSOFFSET => {
                offset = e
                    .i64(value, 0)
                    .filter(|_| len == 8)
                    .ok_or_else(|| format!("if_tsoffset option has length {len}, not 8"))?;
            }
            _ => {}
        }
        // Values are padded to 32 bits.
        at = start + ((len + 3) & !3);
    }
    Ok((units, offset))
}

/// Units per second for an `if_tsresol` byte: 10^-n, or 2^-n when the top bit is set.
fn resolution(resol: u8) -> Result<u64, String> {
    let n = resol & 0x7f;
    if resol & 0x80 == 0 {
        10u64
            .checked_pow(u32::from(n))
            .ok_or_else(|| format!("if_tsresol 10^-{n} is out of range"))
    } else {
        1u64.checked_shl(u32::from(n))
            .filter(|_| n < 64)
            .ok_or_else(|| format!("if_tsresol 2^-{n} is out of range"))
    }
}

/// `3c 68 74 6d`.
pub(super) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolutions() {
        assert_eq!(resolution(6), Ok(1_000_000));
        assert_eq!(resolution(9), Ok(1_000_000_000));
        assert_eq!(resolution(19), Ok(10_000_000_000_000_000_000));
        assert!(resolution(20).is_err());
        assert_eq!(resolution(0x80 | 10), Ok(1024));
        assert_eq!(resolution(0x80 | 63), Ok(1 << 63));
        assert!(resolution(0x80 | 64).is_err());
        assert!(resolution(0xff).is_err());
    }

    #[test]
    fn options_are_bounded() {
        let e = Endian::Little;
        // if_tsresol = 9, then end of options.
        assert_eq!(
            interface_options(e, &[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]),
            Ok((1_000_000_000, 0))
        );
        // An option longer than the block.
        assert!(interface_options(e, &[2, 0, 200, 0, b'e', b't', b'h', 0]).is_err());
        // if_tsoffset of the wrong length.
        assert!(interface_options(e, &[14, 0, 4, 0, 1, 0, 0, 0]).is_err());
        // Trailing bytes shorter than an option header are ignored.
        assert_eq!(interface_options(e, &[0xff]), Ok((1_000_000, 0)));
    }

    #[test]
    fn hex_formats() {
        assert_eq!(hex(&[0x3c, 0x68, 0x74, 0x6d]), "3c 68 74 6d");
        assert_eq!(hex(&[]), "");
    }
}
