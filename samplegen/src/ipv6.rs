//! IPv6 headers, extension headers and fragmentation.

use std::net::Ipv6Addr;

use crate::ipv4::protocol;

/// One option inside a hop-by-hop or destination options header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ipv6Option {
    /// Router Alert (type 5) with its 16-bit value (0 = MLD).
    RouterAlert(u16),
    /// Any option: type and data (at most 255 bytes).
    Other {
        /// Option type.
        option_type: u8,
        /// Option data.
        data: Vec<u8>,
    },
}

/// An IPv6 extension header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ipv6Ext {
    /// Hop-by-hop options (next header 0). Padded with Pad1/PadN to 8 bytes.
    HopByHop(Vec<Ipv6Option>),
    /// Destination options (next header 60). Padded with Pad1/PadN to 8 bytes.
    DestinationOptions(Vec<Ipv6Option>),
    /// A routing header of any type with raw type-specific data (zero-padded
    /// to make the header a multiple of 8 bytes). The upper-layer checksum uses
    /// the IPv6 destination address, so use `segments_left == 0` unless the
    /// data carries no addresses.
    Routing {
        /// Routing type.
        routing_type: u8,
        /// Segments left.
        segments_left: u8,
        /// Type-specific data after the first four bytes.
        data: Vec<u8>,
    },
    /// A Segment Routing Header (routing type 4, RFC 8754). `segments[0]` is the
    /// final destination, which the upper-layer checksum uses.
    SegmentRouting {
        /// Segments left.
        segments_left: u8,
        /// Segment list in SRH order (reverse path order: final destination first).
        segments: Vec<Ipv6Addr>,
    },
    /// A fragment header (next header 44).
    Fragment {
        /// Fragment offset in bytes (a multiple of 8).
        offset: u16,
        /// The M (more fragments) flag.
        more: bool,
        /// Identification.
        ident: u32,
    },
}

impl Ipv6Ext {
    /// The next-header value that announces this extension.
    #[must_use]
    pub fn protocol(&self) -> u8 {
        match self {
            Self::HopByHop(_) => protocol::HOP_BY_HOP,
            Self::DestinationOptions(_) => protocol::DESTINATION_OPTIONS,
            Self::Routing { .. } | Self::SegmentRouting { .. } => protocol::ROUTING,
            Self::Fragment { .. } => protocol::FRAGMENT,
        }
    }

    /// Appends this header with next header `next` to `out`.
    pub fn write(&self, next: u8, out: &mut Vec<u8>) {
        let start = out.len();
        match self {
            Self::HopByHop(opts) | Self::DestinationOptions(opts) => {
                out.extend_from_slice(&[next, 0]);
                for o in opts {
                    match o {
                        Ipv6Option::RouterAlert(v) => {
                            out.extend_from_slice(&[5, 2]);
                            out.extend_from_slice(&v.to_be_bytes());
                        }
                        Ipv6Option::Other { option_type, data } => {
                            let data = &data[..data.len().min(255)];
                            out.extend_from_slice(&[*option_type, data.len() as u8]);
                            out.extend_from_slice(data);
                        }
                    }
                }
                let len = out.len() - start;
                match len.next_multiple_of(8) - len {
                    0 => {}
                    1 => out.push(0),
                    n => {
                        out.extend_from_slice(&[1, (n - 2) as u8]);
                        out.resize(out.len() + n - 2, 0);
                    }
                }
            }
            Self::Routing {
                routing_type,
                segments_left,
                data,
            } => {
                out.extend_from_slice(&[next, 0, *routing_type, *segments_left]);
                out.extend_from_slice(data);
                let len = out.len() - start;
                out.resize(start + len.next_multiple_of(8), 0);
            }
            Self::SegmentRouting {
                segments_left,
                segments,
            } => {
                let last_entry = segments.len().saturating_sub(1) as u8;
                out.extend_from_slice(&[next, 0, 4, *segments_left, last_entry, 0, 0, 0]);
                for s in segments {
                    out.extend_from_slice(&s.octets());
                }
            }
            Self::Fragment {
                offset,
                more,
                ident,
            } => {
                out.extend_from_slice(&[next, 0]);
                out.extend_from_slice(&((offset & !7) | u16::from(*more)).to_be_bytes());
                out.extend_from_slice(&ident.to_be_bytes());
            }
        }
        if !matches!(self, Self::Fragment { .. }) {
            out[start + 1] = ((out.len() - start) / 8 - 1) as u8;
        }
    }
}

/// An IPv6 header description with its extension headers. The payload length
/// is computed on write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ipv6 {
    /// Source address.
    pub src: Ipv6Addr,
    /// Destination address.
    pub dst: Ipv6Addr,
    /// Hop limit.
    pub hop_limit: u8,
    /// Traffic class.
    pub traffic_class: u8,
    /// Flow label (20 bits).
    pub flow_label: u32,
    /// Extension headers in wire order.
    pub ext: Vec<Ipv6Ext>,
}

impl Ipv6 {
    /// A header from `src` to `dst` with hop limit 64 and no extension headers.
    #[must_use]
    pub fn new(src: Ipv6Addr, dst: Ipv6Addr) -> Self {
        Self {
            src,
            dst,
            hop_limit: 64,
            traffic_class: 0,
            flow_label: 0,
            ext: Vec::new(),
        }
    }

    /// This header with `ext` appended to its extension headers.
    #[must_use]
    pub fn with_ext(mut self, ext: Ipv6Ext) -> Self {
        self.ext.push(ext);
        self
    }

    /// The destination the upper-layer checksum uses (RFC 8200 §8.1): the
    /// final segment of a Segment Routing Header, else the destination address.
    #[must_use]
    pub fn final_destination(&self) -> Ipv6Addr {
        self.ext
            .iter()
            .find_map(|e| match e {
                Ipv6Ext::SegmentRouting { segments, .. } => segments.first().copied(),
                _ => None,
            })
            .unwrap_or(self.dst)
    }

    /// Appends the fixed header, the extension headers and `payload`
    /// (upper-layer protocol `protocol`) to `out`.
    pub fn write(&self, protocol: u8, payload: &[u8], out: &mut Vec<u8>) {
        self.write_with(&self.ext, protocol, payload, out);
    }

    fn write_with(&self, ext: &[Ipv6Ext], protocol: u8, payload: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        let first = ext.first().map_or(protocol, Ipv6Ext::protocol);
        let vtf =
            (6u32 << 28) | (u32::from(self.traffic_class) << 20) | (self.flow_label & 0xfffff);
        out.extend_from_slice(&vtf.to_be_bytes());
        out.extend_from_slice(&[0, 0, first, self.hop_limit]);
        out.extend_from_slice(&self.src.octets());
        out.extend_from_slice(&self.dst.octets());
        for (i, e) in ext.iter().enumerate() {
            let next = ext.get(i + 1).map_or(protocol, Ipv6Ext::protocol);
            e.write(next, out);
        }
        out.extend_from_slice(payload);
        let plen = (out.len() - start - 40) as u16;
        out[start + 4..start + 6].copy_from_slice(&plen.to_be_bytes());
    }

    /// Splits `payload` (a complete upper-layer message, checksum included)
    /// into fragments of at most `max_fragment_payload` bytes (rounded down to
    /// a multiple of 8, at least 8). Every fragment carries this header's
    /// extension headers (the unfragmentable part) followed by a fragment
    /// header with identification `ident`. Returns whole IPv6 packets.
    #[must_use]
    pub fn fragments(
        &self,
        protocol: u8,
        payload: &[u8],
        max_fragment_payload: usize,
        ident: u32,
    ) -> Vec<Vec<u8>> {
        let step = (max_fragment_payload / 8).max(1) * 8;
        let mut packets = Vec::new();
        let mut offset = 0;
        for chunk in payload.chunks(step) {
            let mut ext = self.ext.clone();
            ext.push(Ipv6Ext::Fragment {
                offset: offset as u16,
                more: offset + chunk.len() < payload.len(),
                ident,
            });
            let mut p = Vec::new();
            self.write_with(&ext, protocol, chunk, &mut p);
            packets.push(p);
            offset += chunk.len();
        }
        packets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    #[test]
    fn chain_and_lengths() {
        let h = Ipv6::new(a("2001:db8::1"), a("2001:db8::2"))
            .with_ext(Ipv6Ext::HopByHop(vec![Ipv6Option::RouterAlert(0)]))
            .with_ext(Ipv6Ext::DestinationOptions(vec![]));
        let mut out = Vec::new();
        h.write(protocol::UDP, &[9; 8], &mut out);
        assert_eq!(out.len(), 40 + 8 + 8 + 8);
        assert_eq!(out[6], protocol::HOP_BY_HOP);
        assert_eq!(u16::from_be_bytes([out[4], out[5]]), 24);
        // Hop-by-hop: next=60, len=0, RA(5,2,0,0), PadN(1,0).
        assert_eq!(&out[40..48], [60, 0, 5, 2, 0, 0, 1, 0]);
        // Destination options: next=17, len=0, PadN(1,4,0,0,0,0).
        assert_eq!(&out[48..56], [17, 0, 1, 4, 0, 0, 0, 0]);
    }

    #[test]
    fn srh_final_destination() {
        let h = Ipv6::new(a("2001:db8::1"), a("2001:db8:1::1")).with_ext(Ipv6Ext::SegmentRouting {
            segments_left: 1,
            segments: vec![a("2001:db8:2::2"), a("2001:db8:1::1")],
        });
        assert_eq!(h.final_destination(), a("2001:db8:2::2"));
        let mut out = Vec::new();
        h.write(protocol::TCP, &[], &mut out);
        assert_eq!(&out[40..48], [6, 4, 4, 1, 1, 0, 0, 0]);
        assert_eq!(out.len(), 40 + 40);
    }

    #[test]
    fn fragment_headers() {
        let h = Ipv6::new(a("2001:db8::1"), a("2001:db8::2"));
        let frags = h.fragments(protocol::UDP, &[0; 20], 16, 0xabcd);
        assert_eq!(frags.len(), 2);
        assert_eq!(frags[0][6], protocol::FRAGMENT);
        assert_eq!(&frags[0][40..48], [17, 0, 0, 1, 0, 0, 0xab, 0xcd]);
        assert_eq!(&frags[1][40..48], [17, 0, 0, 16, 0, 0, 0xab, 0xcd]);
        assert_eq!(frags[1].len(), 48 + 4);
    }
}
