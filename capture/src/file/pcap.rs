//! Legacy pcap framing: a 24-byte file header, then 16-byte record headers each followed by the
//! captured bytes (<https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/>).

use decode::LinkType;

use super::record::{max_caplen, timestamp, Endian, Frame, Step};

/// Length of the file header.
pub(super) const FILE_HEADER_LEN: usize = 24;

/// Length of a record header.
const RECORD_HEADER_LEN: usize = 16;

/// The parts of the file header the records need.
#[derive(Clone, Copy, Debug)]
pub(super) struct PcapParser {
    pub(super) endian: Endian,
    pub(super) nanos: bool,
    pub(super) snaplen: u32,
    /// The `LINKTYPE_*` number (low 16 bits of the header's link-type field).
    pub(super) linktype: u32,
    pub(super) link: LinkType,
    max_caplen: u32,
}

impl PcapParser {
    /// Reads the file header; `None` if the magic is not a pcap one (or `header` is short).
    pub(super) fn from_header(header: &[u8]) -> Option<Self> {
        let magic: [u8; 4] = header.get(..4)?.try_into().ok()?;
        let (endian, nanos) = match magic {
            [0xd4, 0xc3, 0xb2, 0xa1] => (Endian::Little, false),
            [0x4d, 0x3c, 0xb2, 0xa1] => (Endian::Little, true),
            [0xa1, 0xb2, 0xc3, 0xd4] => (Endian::Big, false),
            [0xa1, 0xb2, 0x3c, 0x4d] => (Endian::Big, true),
            _ => return None,
        };
        let snaplen = endian.u32(header, 16)?;
        // The upper bits may carry an FCS length (LT_FCS_LENGTH); the link type is the low 16.
        let linktype = endian.u32(header, 20)? & 0xffff;
        Some(Self {
            endian,
            nanos,
            snaplen,
            linktype,
            link: LinkType::from_u32(linktype),
            max_caplen: max_caplen(snaplen),
        })
    }

    /// Frames the record at the start of `buf`.
    pub(super) fn step(&self, buf: &[u8]) -> Step {
        let e = self.endian;
        let (Some(ts_sec), Some(ts_frac), Some(caplen), Some(origlen)) =
            (e.u32(buf, 0), e.u32(buf, 4), e.u32(buf, 8), e.u32(buf, 12))
        else {
            return Step::Need(RECORD_HEADER_LEN);
        };
        if caplen > self.max_caplen {
            return Step::Corrupt(format!(
                "record header says {caplen} captured bytes, more than the {} byte limit{}",
                self.max_caplen,
                if self.snaplen > self.max_caplen {
                    String::new()
                } else {
                    format!(" for snaplen {}", self.snaplen)
                }
            ));
        }
        // caplen <= 16 MiB, so this cannot overflow.
        let record_len = RECORD_HEADER_LEN + caplen as usize;
        if buf.len() < record_len {
            return Step::Need(record_len);
        }
        let units = if self.nanos { 1_000_000_000 } else { 1_000_000 };
        Step::Frame(Frame {
            ts: timestamp(i64::from(ts_sec), u64::from(ts_frac), units),
            caplen,
            origlen,
            link: self.link,
            interface: 0,
            data_start: RECORD_HEADER_LEN,
            record_len,
        })
    }
}
