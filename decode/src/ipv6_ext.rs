//! IPv6 extension headers: walked in order, listed in [`Ipv6Info::extensions`].
//!
//! Walked: hop-by-hop options (0), routing (43), fragment (44), destination options (60),
//! authentication (51), mobility (135), HIP (139), shim6 (140) and the experimental 253 and 254.
//! All but fragment and AH use the RFC 6564 layout (next header, length in 8-byte units not
//! counting the first 8), read with etherparse's `Ipv6RawExtHeaderSlice`; etherparse's own walker
//! is not used because it stops at mobility, HIP, shim6 and the experimental numbers and
//! rejects a hop-by-hop header that is not first (this walker accepts it, as tcpdump does).
//!
//! The walk ends at the first other number (the upper-layer protocol, including ESP 50 and
//! "no next header" 59), after a fragment header with a non-zero offset (what follows is the
//! middle of a payload, not a header), or when a header is cut or malformed. More than
//! [`MAX_IPV6_EXTS`] headers is malformed.

use etherparse::err::ip_auth::HeaderSliceError as AuthError;
use etherparse::{IpAuthHeaderSlice, Ipv6FragmentHeaderSlice, Ipv6RawExtHeaderSlice};

use crate::bytes::tail;
use crate::error::{DecodeError, Layer};
use crate::packet::{Ipv6Fragment, Ipv6Info, MAX_IPV6_EXTS};
use crate::types::IpProtocol;

const TOO_MANY: DecodeError = DecodeError::Malformed {
    layer: Layer::Ipv6Ext,
    what: "too many extension headers",
};

/// How the walk ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WalkEnd {
    /// At an upper-layer protocol: `Ipv6Info::protocol`, starting at `Walk::rest`.
    Upper,
    /// After a fragment header with a non-zero offset: no transport header follows.
    NonFirstFragment,
    /// At a header that was cut or malformed; `Ipv6Info::protocol` is its number.
    Stopped(DecodeError),
}

/// Where the walk ended.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Walk<'a> {
    /// The bytes after the last extension header decoded.
    pub(crate) rest: &'a [u8],
    /// Their announced length: the IPv6 payload length minus the extension headers.
    pub(crate) wire_len: usize,
    /// How the walk ended.
    pub(crate) end: WalkEnd,
}

/// The layout of an extension header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// RFC 6564 layout: length in 8-byte units after the first 8.
    Generic,
    /// Fragment header: 8 bytes.
    Fragment,
    /// Authentication header: length in 4-byte units after the first 8.
    Auth,
}

impl Kind {
    fn of(protocol: IpProtocol) -> Option<Self> {
        match protocol.0 {
            0 | 43 | 60 | 135 | 139 | 140 | 253 | 254 => Some(Self::Generic),
            44 => Some(Self::Fragment),
            51 => Some(Self::Auth),
            _ => None,
        }
    }
}

/// One decoded extension header.
struct Ext {
    /// Its length in bytes.
    len: usize,
    /// Its next-header field.
    next: IpProtocol,
    /// Its fields, for a fragment header.
    fragment: Option<Ipv6Fragment>,
}

/// Walks the extension headers at the start of `bytes` (the IPv6 payload, `wire_len` announced),
/// recording them in `info.extensions`, `info.fragment` and `info.protocol`.
pub(crate) fn walk<'a>(info: &mut Ipv6Info, bytes: &'a [u8], wire_len: usize) -> Walk<'a> {
    let mut rest = bytes;
    let mut wire_len = wire_len;
    let mut next = info.next_header;
    // Each pass records a header or returns, so the loop ends by itself before its bound.
    for _ in 0..=MAX_IPV6_EXTS {
        info.protocol = next;
        let Some(kind) = Kind::of(next) else {
            return Walk {
                rest,
                wire_len,
                end: WalkEnd::Upper,
            };
        };
        if info.extensions.is_full() {
            return Walk {
                rest,
                wire_len,
                end: WalkEnd::Stopped(TOO_MANY),
            };
        }
        let ext = match parse(kind, rest) {
            Ok(ext) => ext,
            Err(err) => {
                return Walk {
                    rest,
                    wire_len,
                    end: WalkEnd::Stopped(err),
                }
            }
        };
        if info.extensions.try_push(next).is_err() {
            return Walk {
                rest,
                wire_len,
                end: WalkEnd::Stopped(TOO_MANY),
            };
        }
        rest = tail(rest, ext.len);
        wire_len = wire_len.saturating_sub(ext.len);
        next = ext.next;
        if let Some(fragment) = ext.fragment {
            // Keep the first fragment header; a second one is listed but not recorded.
            info.fragment.get_or_insert(fragment);
            if fragment.offset != 0 {
                info.protocol = next;
                return Walk {
                    rest,
                    wire_len,
                    end: WalkEnd::NonFirstFragment,
                };
            }
        }
    }
    Walk {
        rest,
        wire_len,
        end: WalkEnd::Stopped(TOO_MANY),
    }
}

fn parse(kind: Kind, bytes: &[u8]) -> Result<Ext, DecodeError> {
    let truncated = |needed| DecodeError::Truncated {
        layer: Layer::Ipv6Ext,
        needed,
        available: bytes.len(),
    };
    match kind {
        Kind::Generic => {
            let ext = Ipv6RawExtHeaderSlice::from_slice(bytes)
                .map_err(|err| truncated(err.required_len))?;
            Ok(Ext {
                len: ext.slice().len(),
                next: IpProtocol(ext.next_header().0),
                fragment: None,
            })
        }
        Kind::Fragment => {
            let ext = Ipv6FragmentHeaderSlice::from_slice(bytes)
                .map_err(|err| truncated(err.required_len))?;
            Ok(Ext {
                len: ext.slice().len(),
                next: IpProtocol(ext.next_header().0),
                fragment: Some(Ipv6Fragment {
                    offset: ext.fragment_offset().value(),
                    more_fragments: ext.more_fragments(),
                    id: ext.identification(),
                }),
            })
        }
        Kind::Auth => {
            let ext = IpAuthHeaderSlice::from_slice(bytes).map_err(|err| match err {
                AuthError::Len(err) => truncated(err.required_len),
                AuthError::Content(_) => DecodeError::Malformed {
                    layer: Layer::Ipv6Ext,
                    what: "authentication header length is zero",
                },
            })?;
            Ok(Ext {
                len: ext.slice().len(),
                next: IpProtocol(ext.next_header().0),
                fragment: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use core::net::Ipv6Addr;

    use super::*;
    use crate::packet::{Net, Transport};
    use crate::{decode, LinkType};

    /// Ethernet + IPv6 (traffic class 0xab, flow label 0x12345) with hop-by-hop options,
    /// destination options and a fragment header (offset 0, M, id 0xdeadbeef) in front of the
    /// first fragment of a UDP datagram (0x1234 -> 0x5678, length 256).
    static EXTS_BYTES: [u8; 94] = [
        0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x86, 0xdd, //
        0x6a, 0xb1, 0x23, 0x45, 0x00, 0x28, 0x00, 0x40, // payload length 40, hop-by-hop, 64
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, //
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, //
        0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, // hop-by-hop -> dest opts, PadN
        0x2c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, // dest opts -> fragment, PadN
        0x11, 0x00, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef, // fragment -> UDP, offset 0, M
        0x12, 0x34, 0x56, 0x78, 0x01, 0x00, 0x00, 0x00, // UDP length 256
        0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
    ];

    fn ipv6_info(pkt: &crate::DecodedPacket<'_>) -> Ipv6Info {
        match &pkt.net {
            Some(Net::Ipv6(ip)) => ip.clone(),
            other => panic!("not IPv6: {other:?}"),
        }
    }

    #[test]
    fn hop_by_hop_dest_opts_fragment() {
        let pkt = decode(LinkType::Ethernet, &EXTS_BYTES);
        let ip = ipv6_info(&pkt);
        assert_eq!(ip.src, Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
        assert_eq!(ip.dst, Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2));
        assert_eq!((ip.traffic_class, ip.flow_label), (0xab, 0x12345));
        assert_eq!((ip.payload_len, ip.hop_limit), (40, 64));
        assert_eq!(ip.next_header, IpProtocol::HOPOPT);
        assert_eq!(
            ip.extensions.as_slice(),
            &[
                IpProtocol::HOPOPT,
                IpProtocol::IPV6_OPTS,
                IpProtocol::IPV6_FRAG
            ]
        );
        assert_eq!(ip.protocol, IpProtocol::UDP);
        assert_eq!(
            ip.fragment,
            Some(Ipv6Fragment {
                offset: 0,
                more_fragments: true,
                id: 0xdead_beef
            })
        );
        assert!(ip.is_fragment());
        let Some(Transport::Udp(udp)) = pkt.transport else {
            panic!("not UDP")
        };
        assert_eq!(
            (udp.src_port, udp.dst_port, udp.length),
            (0x1234, 0x5678, 256)
        );
        assert_eq!(pkt.payload, &EXTS_BYTES[86..]);
        assert_eq!(pkt.payload_wire_len, 8);
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn later_fragment_has_no_transport() {
        let mut frame = EXTS_BYTES;
        frame[72..74].copy_from_slice(&[0x01, 0x00]); // offset 32 (256 bytes), no M
        let pkt = decode(LinkType::Ethernet, &frame);
        let ip = ipv6_info(&pkt);
        assert_eq!(
            ip.fragment,
            Some(Ipv6Fragment {
                offset: 32,
                more_fragments: false,
                id: 0xdead_beef
            })
        );
        assert_eq!(ip.protocol, IpProtocol::UDP);
        assert_eq!(pkt.transport, None);
        assert_eq!(pkt.payload, &frame[78..]);
        assert_eq!(pkt.payload_wire_len, 16);
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn cut_inside_an_extension_header() {
        let pkt = decode(LinkType::Ethernet, &EXTS_BYTES[..66]);
        let ip = ipv6_info(&pkt);
        assert_eq!(ip.extensions.as_slice(), &[IpProtocol::HOPOPT]);
        assert_eq!(ip.protocol, IpProtocol::IPV6_OPTS);
        assert_eq!(pkt.transport, None);
        assert_eq!(pkt.payload, &EXTS_BYTES[62..66]);
        assert_eq!(pkt.payload_wire_len, 32);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Truncated {
                layer: Layer::Ipv6Ext,
                needed: 8,
                available: 4
            })
        );
    }

    /// A raw IPv6 packet (2001:db8::1 -> 2001:db8::2) with `next` and `payload`.
    fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
        let mut packet = vec![0x60, 0, 0, 0];
        packet.extend_from_slice(&u16::try_from(payload.len()).unwrap().to_be_bytes());
        packet.extend_from_slice(&[next, 64]);
        packet.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        packet.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        packet.extend_from_slice(payload);
        packet
    }

    #[test]
    fn eight_headers_fit_nine_do_not() {
        let chain = |n: usize| {
            let mut exts = Vec::new();
            for i in 0..n {
                let next = if i + 1 == n { 59 } else { 60 };
                exts.extend_from_slice(&[next, 0, 1, 4, 0, 0, 0, 0]);
            }
            ipv6(60, &exts)
        };
        let packet = chain(8);
        let pkt = decode(LinkType::Ipv6, &packet);
        let ip = ipv6_info(&pkt);
        assert_eq!(ip.extensions.len(), 8);
        assert_eq!(ip.protocol, IpProtocol::IPV6_NONXT);
        assert_eq!(pkt.stop, None);

        let packet = chain(9);
        let pkt = decode(LinkType::Ipv6, &packet);
        let ip = ipv6_info(&pkt);
        assert_eq!(ip.extensions.len(), 8);
        assert_eq!(ip.protocol, IpProtocol::IPV6_OPTS);
        assert_eq!(pkt.payload, &packet[40 + 64..]);
        assert_eq!(pkt.payload_wire_len, 8);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Malformed {
                layer: Layer::Ipv6Ext,
                what: "too many extension headers"
            })
        );
    }

    #[test]
    fn authentication_header_then_tcp() {
        let mut payload = vec![
            6, 4, 0, 0, // next TCP, length (4 + 2) * 4 = 24
            0, 0, 1, 0, 0, 0, 0, 1, // SPI 256, sequence 1
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // ICV
        ];
        payload.extend_from_slice(&[
            0, 22, 0xc3, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x04, 0, 0, 0, 0, 0, 0,
        ]);
        let packet = ipv6(51, &payload);
        let pkt = decode(LinkType::Raw, &packet);
        let ip = ipv6_info(&pkt);
        assert_eq!(ip.extensions.as_slice(), &[IpProtocol::AH]);
        assert_eq!(ip.protocol, IpProtocol::TCP);
        let Some(Transport::Tcp(tcp)) = pkt.transport else {
            panic!("not TCP")
        };
        assert_eq!((tcp.src_port, tcp.dst_port), (22, 50000));
        assert_eq!(pkt.stop, None);

        payload[1] = 0;
        let packet = ipv6(51, &payload);
        let pkt = decode(LinkType::Raw, &packet);
        assert_eq!(ipv6_info(&pkt).protocol, IpProtocol::AH);
        assert_eq!(pkt.transport, None);
        assert_eq!(
            pkt.stop,
            Some(DecodeError::Malformed {
                layer: Layer::Ipv6Ext,
                what: "authentication header length is zero",
            })
        );
    }

    #[test]
    fn routing_then_mobility_header() {
        let payload = [
            135, 0, 0, 0, 0, 0, 0, 0, // routing -> mobility, type 0, segments left 0
            59, 0, 0, 0, 0, 0, 0, 0, // mobility -> no next header
        ];
        let packet = ipv6(43, &payload);
        let pkt = decode(LinkType::Ipv6, &packet);
        let ip = ipv6_info(&pkt);
        assert_eq!(
            ip.extensions.as_slice(),
            &[IpProtocol::IPV6_ROUTE, IpProtocol(135)]
        );
        assert_eq!(ip.protocol, IpProtocol::IPV6_NONXT);
        assert_eq!(pkt.transport, None);
        assert!(pkt.payload.is_empty());
        assert_eq!(pkt.stop, None);
    }

    #[test]
    fn hop_by_hop_out_of_place_is_walked() {
        // Destination options, then hop-by-hop (which RFC 8200 wants first), then ESP.
        let payload = [0, 0, 1, 4, 0, 0, 0, 0, 50, 0, 1, 4, 0, 0, 0, 0, 0, 0, 0, 1];
        let packet = ipv6(60, &payload);
        let pkt = decode(LinkType::Ipv6, &packet);
        let ip = ipv6_info(&pkt);
        assert_eq!(
            ip.extensions.as_slice(),
            &[IpProtocol::IPV6_OPTS, IpProtocol::HOPOPT]
        );
        assert_eq!(ip.protocol, IpProtocol::ESP);
        assert_eq!(pkt.payload, &[0, 0, 0, 1]);
        assert_eq!(pkt.stop, None);
    }
}
