//! TCP (RFC 9293): header decoding, flags and options.
//!
//! The header goes through etherparse's `TcpHeaderSlice` for the length and data-offset checks.
//! Options are kept as raw bytes in [`TcpInfo::options`](crate::TcpInfo::options) and parsed
//! lazily by [`TcpOptionIter`].

use bitflags::bitflags;
use etherparse::err::tcp::{HeaderError, HeaderSliceError};
use etherparse::TcpHeaderSlice;

use crate::bytes::{be32, byte, tail};
use crate::error::{DecodeError, Layer};
use crate::ip::Segment;
use crate::packet::{TcpInfo, Transport};

/// Length of the TCP header without options.
const MIN_HEADER_LEN: usize = 20;

/// Decodes a TCP header at the start of an IP payload (`wire_len` announced by the IP header).
pub(crate) fn decode(bytes: &[u8], wire_len: usize) -> Result<Segment<'_>, DecodeError> {
    let header = TcpHeaderSlice::from_slice(bytes).map_err(|err| match err {
        HeaderSliceError::Len(len) => DecodeError::Truncated {
            layer: Layer::Tcp,
            needed: len.required_len,
            available: bytes.len(),
        },
        HeaderSliceError::Content(HeaderError::DataOffsetTooSmall { .. }) => {
            DecodeError::Malformed {
                layer: Layer::Tcp,
                what: "data offset below 5",
            }
        }
    })?;
    let raw = header.slice();
    let header_len = raw.len();
    // NS is the low bit of the data-offset byte; the other eight flags are the next byte.
    let ns = u16::from(byte(raw, 12).unwrap_or(0) & 0x01) << 8;
    let flags = TcpFlags::from_bits_truncate(ns | u16::from(byte(raw, 13).unwrap_or(0)));
    let info = TcpInfo {
        src_port: header.source_port(),
        dst_port: header.destination_port(),
        seq: header.sequence_number(),
        ack: header.acknowledgment_number(),
        header_len: header.data_offset() * 4,
        flags,
        window: header.window_size(),
        checksum: header.checksum(),
        urgent: header.urgent_pointer(),
        options: tail(raw, MIN_HEADER_LEN),
    };
    Ok(Segment {
        transport: Transport::Tcp(info),
        payload: tail(bytes, header_len),
        wire_len: wire_len.saturating_sub(header_len),
        stop: None,
    })
}

bitflags! {
    /// TCP header flags, including NS (the ECN nonce bit in the data-offset byte).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct TcpFlags: u16 {
        /// FIN.
        const FIN = 0x001;
        /// SYN.
        const SYN = 0x002;
        /// RST.
        const RST = 0x004;
        /// PSH.
        const PSH = 0x008;
        /// ACK.
        const ACK = 0x010;
        /// URG.
        const URG = 0x020;
        /// ECE.
        const ECE = 0x040;
        /// CWR.
        const CWR = 0x080;
        /// NS (ECN nonce, RFC 3540, historic).
        const NS = 0x100;
    }
}

/// One TCP option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TcpOption<'a> {
    /// End of option list (kind 0).
    EndOfList,
    /// No-operation (kind 1).
    Nop,
    /// Maximum segment size (kind 2).
    Mss(u16),
    /// Window scale shift (kind 3).
    WindowScale(u8),
    /// SACK permitted (kind 4).
    SackPermitted,
    /// SACK blocks (kind 5): raw bytes, 8 per block (left edge, right edge).
    Sack(&'a [u8]),
    /// Timestamps (kind 8).
    Timestamp {
        /// TSval.
        value: u32,
        /// TSecr.
        echo: u32,
    },
    /// Any other option, with its raw data (without kind and length bytes).
    Unknown {
        /// Option kind.
        kind: u8,
        /// Option data.
        data: &'a [u8],
    },
}

/// A malformed TCP option: a length byte that is missing, below 2 or runs past the options, or a
/// known option (MSS, window scale, SACK, timestamps) whose length is wrong for its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadTcpOption {
    /// The option kind.
    pub kind: u8,
    /// Offset of the option inside the options bytes.
    pub offset: usize,
}

/// Iterator over TCP options. Yields `Err` once for a malformed option, then stops.
#[derive(Clone, Debug)]
pub struct TcpOptionIter<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> TcpOptionIter<'a> {
    /// Iterates over raw TCP option bytes.
    #[must_use]
    pub fn new(options: &'a [u8]) -> Self {
        Self {
            rest: options,
            offset: 0,
        }
    }
}

impl<'a> Iterator for TcpOptionIter<'a> {
    type Item = Result<TcpOption<'a>, BadTcpOption>;

    fn next(&mut self) -> Option<Self::Item> {
        let (&kind, after_kind) = self.rest.split_first()?;
        let offset = self.offset;
        match kind {
            0 => {
                // End of list: everything after it is padding.
                self.rest = &[];
                return Some(Ok(TcpOption::EndOfList));
            }
            1 => {
                self.rest = after_kind;
                self.offset += 1;
                return Some(Ok(TcpOption::Nop));
            }
            _ => {}
        }
        let bad = BadTcpOption { kind, offset };
        let Some((&len, _)) = after_kind.split_first() else {
            self.rest = &[];
            return Some(Err(bad));
        };
        let len = usize::from(len);
        if len < 2 || len > self.rest.len() {
            self.rest = &[];
            return Some(Err(bad));
        }
        let Some((opt, rest)) = self.rest.split_at_checked(len) else {
            self.rest = &[];
            return Some(Err(bad));
        };
        self.rest = rest;
        self.offset += len;
        let data = tail(opt, 2);
        let parsed = match (kind, data) {
            (2, &[hi, lo]) => TcpOption::Mss(u16::from_be_bytes([hi, lo])),
            (3, &[shift]) => TcpOption::WindowScale(shift),
            (4, []) => TcpOption::SackPermitted,
            (5, blocks) if blocks.len() % 8 == 0 => TcpOption::Sack(blocks),
            (8, stamps) if stamps.len() == 8 => TcpOption::Timestamp {
                value: be32(stamps, 0).unwrap_or(0),
                echo: be32(stamps, 4).unwrap_or(0),
            },
            (2..=5 | 8, _) => {
                self.rest = &[];
                return Some(Err(bad));
            }
            _ => TcpOption::Unknown { kind, data },
        };
        Some(Ok(parsed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::Net;
    use crate::{decode, LinkType};

    /// Ethernet + IPv4 + TCP SYN 192.168.1.10:50000 -> 93.184.216.34:443 with 20 bytes of
    /// options: MSS 1460, SACK permitted, timestamps 662316/0, NOP, window scale 7.
    static SYN_BYTES: [u8; 74] = [
        0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x5e, 0x3c, 0x22, 0xfb, 0x11, 0x22, 0x33, 0x08, 0x00, //
        0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x26, 0xe9, // len 60, TCP
        192, 168, 1, 10, 93, 184, 216, 34, //
        0xc3, 0x50, 0x01, 0xbb, // 50000 -> 443
        0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x00, // seq, ack
        0xa0, 0x02, 0xfa, 0xf0, 0xab, 0xcd, 0x00, 0x00, // doff 10, SYN, win 64240, sum, urg
        0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x0a, 0x1b, 0x2c, 0x00, 0x00, 0x00,
        0x00, 0x01, 0x03, 0x03, 0x07,
    ];

    #[test]
    fn ethernet_ipv4_tcp_syn_with_options() {
        let pkt = decode(LinkType::Ethernet, &SYN_BYTES);
        let Some(Net::Ipv4(ip)) = &pkt.net else {
            panic!("not IPv4")
        };
        assert_eq!(ip.total_len, 60);
        assert_eq!(ip.id, 0x1c46);
        assert!(ip.dont_fragment && !ip.is_fragment());
        assert!(ip.checksum_ok);
        let Some(Transport::Tcp(tcp)) = pkt.transport else {
            panic!("not TCP")
        };
        assert_eq!((tcp.src_port, tcp.dst_port), (50000, 443));
        assert_eq!((tcp.seq, tcp.ack), (0x1234_5678, 0));
        assert_eq!(tcp.header_len, 40);
        assert_eq!(tcp.flags, TcpFlags::SYN);
        assert_eq!((tcp.window, tcp.checksum, tcp.urgent), (64240, 0xabcd, 0));
        assert_eq!(tcp.options, &SYN_BYTES[54..74]);
        let options: Vec<_> = tcp.options().collect();
        assert_eq!(
            options,
            vec![
                Ok(TcpOption::Mss(1460)),
                Ok(TcpOption::SackPermitted),
                Ok(TcpOption::Timestamp {
                    value: 662_316,
                    echo: 0
                }),
                Ok(TcpOption::Nop),
                Ok(TcpOption::WindowScale(7)),
            ]
        );
        assert!(pkt.payload.is_empty());
        assert_eq!(pkt.payload.as_ptr(), SYN_BYTES.as_ptr().wrapping_add(74));
        assert_eq!(pkt.payload_wire_len, 0);
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn all_nine_flags() {
        let mut frame = SYN_BYTES;
        frame[46] = 0xa1; // doff 10, NS
        frame[47] = 0xff; // CWR ECE URG ACK PSH RST SYN FIN
        let pkt = decode(LinkType::Ethernet, &frame);
        let Some(Transport::Tcp(tcp)) = pkt.transport else {
            panic!("not TCP")
        };
        assert_eq!(tcp.flags, TcpFlags::all());
    }

    #[test]
    fn data_offset_below_five_is_malformed() {
        let mut frame = SYN_BYTES;
        frame[46] = 0x40;
        let pkt = decode(LinkType::Ethernet, &frame);
        assert!(matches!(pkt.net, Some(Net::Ipv4(_))));
        assert_eq!(pkt.transport, None);
        assert_eq!(pkt.payload, &frame[34..]);
        assert_eq!(pkt.payload_wire_len, 40);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Malformed {
                layer: Layer::Tcp,
                what: "data offset below 5"
            })
        );
    }

    #[test]
    fn cut_inside_the_options() {
        let pkt = decode(LinkType::Ethernet, &SYN_BYTES[..60]);
        assert!(matches!(pkt.net, Some(Net::Ipv4(_))));
        assert_eq!(pkt.transport, None);
        assert_eq!(pkt.payload, &SYN_BYTES[34..60]);
        assert_eq!(pkt.payload_wire_len, 40);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Truncated {
                layer: Layer::Tcp,
                needed: 40,
                available: 26
            })
        );
    }

    #[test]
    fn parses_linux_syn_options() {
        // mss 65495, sackOK, TS val 1 ecr 0, nop, wscale 7 (a Linux SYN on loopback).
        let opts = [
            2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
        ];
        let got: Vec<_> = TcpOptionIter::new(&opts).collect();
        assert_eq!(
            got,
            vec![
                Ok(TcpOption::Mss(65495)),
                Ok(TcpOption::SackPermitted),
                Ok(TcpOption::Timestamp { value: 1, echo: 0 }),
                Ok(TcpOption::Nop),
                Ok(TcpOption::WindowScale(7)),
            ]
        );
    }

    #[test]
    fn bad_length_stops_with_error() {
        let opts = [1, 2, 9, 0xff];
        let got: Vec<_> = TcpOptionIter::new(&opts).collect();
        assert_eq!(
            got,
            vec![Ok(TcpOption::Nop), Err(BadTcpOption { kind: 2, offset: 1 })]
        );
        let zero_len = [8, 0, 1, 1];
        assert_eq!(TcpOptionIter::new(&zero_len).count(), 1);
    }
}
