//! TCP segments with options.

use std::net::IpAddr;
use std::ops::BitOr;

use crate::checksum::Checksum;
use crate::ipv4::protocol;

/// TCP header flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// FIN.
    pub const FIN: Self = Self(0x01);
    /// SYN.
    pub const SYN: Self = Self(0x02);
    /// RST.
    pub const RST: Self = Self(0x04);
    /// PSH.
    pub const PSH: Self = Self(0x08);
    /// ACK.
    pub const ACK: Self = Self(0x10);
    /// URG.
    pub const URG: Self = Self(0x20);
    /// ECE.
    pub const ECE: Self = Self(0x40);
    /// CWR.
    pub const CWR: Self = Self(0x80);

    /// Whether every flag of `other` is set in `self`.
    #[must_use]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for TcpFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// A TCP option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TcpOption {
    /// End of option list (kind 0).
    Eol,
    /// No-operation (kind 1).
    Nop,
    /// Maximum segment size (kind 2).
    Mss(u16),
    /// Window scale shift (kind 3).
    WindowScale(u8),
    /// SACK permitted (kind 4).
    SackPermitted,
    /// SACK blocks, left and right edges (kind 5; at most 4 blocks).
    Sack(Vec<(u32, u32)>),
    /// Timestamps (kind 8).
    Timestamps {
        /// TSval.
        val: u32,
        /// TSecr.
        ecr: u32,
    },
}

impl TcpOption {
    /// Appends the encoded option to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Self::Eol => out.push(0),
            Self::Nop => out.push(1),
            Self::Mss(mss) => {
                out.extend_from_slice(&[2, 4]);
                out.extend_from_slice(&mss.to_be_bytes());
            }
            Self::WindowScale(shift) => out.extend_from_slice(&[3, 3, *shift]),
            Self::SackPermitted => out.extend_from_slice(&[4, 2]),
            Self::Sack(blocks) => {
                let blocks = &blocks[..blocks.len().min(4)];
                out.extend_from_slice(&[5, (2 + 8 * blocks.len()) as u8]);
                for (l, r) in blocks {
                    out.extend_from_slice(&l.to_be_bytes());
                    out.extend_from_slice(&r.to_be_bytes());
                }
            }
            Self::Timestamps { val, ecr } => {
                out.extend_from_slice(&[8, 10]);
                out.extend_from_slice(&val.to_be_bytes());
                out.extend_from_slice(&ecr.to_be_bytes());
            }
        }
    }
}

/// A TCP header description. Data offset and checksum are computed on write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tcp {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (written even when ACK is not set).
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// Window.
    pub window: u16,
    /// Urgent pointer.
    pub urgent: u16,
    /// Options in wire order; the list is padded with EOL bytes to a multiple
    /// of 4 (at most 40 bytes are written).
    pub options: Vec<TcpOption>,
}

impl Tcp {
    /// A header with the given ports, `flags`, zero seq/ack, window 65535.
    #[must_use]
    pub fn new(src_port: u16, dst_port: u16, flags: TcpFlags) -> Self {
        Self {
            src_port,
            dst_port,
            seq: 0,
            ack: 0,
            flags,
            window: 65535,
            urgent: 0,
            options: Vec::new(),
        }
    }

    /// Appends the segment (header and `payload`) to `out`. `src` and `dst`
    /// are the pseudo-header addresses (for IPv6, the final destination).
    pub fn write(&self, src: IpAddr, dst: IpAddr, payload: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&self.src_port.to_be_bytes());
        out.extend_from_slice(&self.dst_port.to_be_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.ack.to_be_bytes());
        out.extend_from_slice(&[0, self.flags.0]);
        out.extend_from_slice(&self.window.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.urgent.to_be_bytes());
        for o in &self.options {
            o.write(out);
        }
        let opt_len = (out.len() - start - 20).min(40);
        out.truncate(start + 20 + opt_len);
        out.resize(start + 20 + opt_len.next_multiple_of(4), 0);
        let hlen = out.len() - start;
        out[start + 12] = ((hlen / 4) as u8) << 4;
        out.extend_from_slice(payload);
        let mut c = Checksum::pseudo_header(src, dst, protocol::TCP, (out.len() - start) as u32);
        c.add(&out[start..]);
        let sum = c.finish();
        out[start + 16..start + 18].copy_from_slice(&sum.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn matches_etherparse() {
        let src = Ipv4Addr::new(192, 0, 2, 10);
        let dst = Ipv4Addr::new(198, 51, 100, 7);
        let mut t = Tcp::new(40000, 443, TcpFlags::SYN);
        t.seq = 0x0102_0304;
        t.window = 64240;
        t.options = vec![
            TcpOption::Mss(1460),
            TcpOption::SackPermitted,
            TcpOption::Timestamps { val: 1, ecr: 0 },
            TcpOption::Nop,
            TcpOption::WindowScale(7),
        ];
        let mut ours = Vec::new();
        t.write(src.into(), dst.into(), b"hi", &mut ours);
        assert_eq!(ours.len(), 40 + 2);
        assert_eq!(ours[12], 0xa0);

        let mut theirs = etherparse::TcpHeader::new(40000, 443, 0x0102_0304, 64240);
        theirs.syn = true;
        theirs
            .set_options(&[
                etherparse::TcpOptionElement::MaximumSegmentSize(1460),
                etherparse::TcpOptionElement::SelectiveAcknowledgementPermitted,
                etherparse::TcpOptionElement::Timestamp(1, 0),
                etherparse::TcpOptionElement::Noop,
                etherparse::TcpOptionElement::WindowScale(7),
            ])
            .unwrap();
        theirs.checksum = theirs
            .calc_checksum_ipv4_raw(src.octets(), dst.octets(), b"hi")
            .unwrap();
        let mut expected = theirs.to_bytes().to_vec();
        expected.extend_from_slice(b"hi");
        assert_eq!(ours, expected);
    }
}
