//! A minimal writer for the classic libpcap file format.
//!
//! Format: <https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/>. A
//! 24-byte file header (magic, version 2.4, thiszone, sigfigs, snaplen,
//! link type), then per packet a 16-byte record header (seconds,
//! sub-second, captured length, original length) and the captured bytes.

use std::io::{self, Write};

use crate::link::LinkType;
use crate::sink::PacketSink;
use crate::time::Timestamp;

/// Magic number of microsecond-resolution files.
pub const MAGIC_MICROS: u32 = 0xA1B2_C3D4;
/// Magic number of nanosecond-resolution files.
pub const MAGIC_NANOS: u32 = 0xA1B2_3C4D;

/// Timestamp resolution of a capture file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TsResolution {
    /// Microseconds (pcap magic `a1b2c3d4`, pcapng `if_tsresol` 6).
    Micros,
    /// Nanoseconds (pcap magic `a1b23c4d`, pcapng `if_tsresol` 9).
    Nanos,
}

/// Byte order of a capture file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    /// Little-endian (what x86 and ARM hosts write).
    Little,
    /// Big-endian (SPARC, PowerPC, some appliances).
    Big,
}

impl Endian {
    pub(crate) fn u16(self, v: u16) -> [u8; 2] {
        match self {
            Self::Little => v.to_le_bytes(),
            Self::Big => v.to_be_bytes(),
        }
    }

    pub(crate) fn u32(self, v: u32) -> [u8; 4] {
        match self {
            Self::Little => v.to_le_bytes(),
            Self::Big => v.to_be_bytes(),
        }
    }
}

/// The parameters of a pcap file header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PcapHeader {
    /// Link type of every packet.
    pub link_type: LinkType,
    /// Snapshot length: frames longer than this are cut (origlen keeps the
    /// real length).
    pub snaplen: u32,
    /// Timestamp resolution (selects the magic number).
    pub resolution: TsResolution,
    /// Byte order of every header field.
    pub endian: Endian,
}

impl PcapHeader {
    /// Little-endian, microseconds, snaplen 262144 (tcpdump's default).
    #[must_use]
    pub const fn new(link_type: LinkType) -> Self {
        Self {
            link_type,
            snaplen: 262_144,
            resolution: TsResolution::Micros,
            endian: Endian::Little,
        }
    }

    /// The 24 header bytes.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 24] {
        let e = self.endian;
        let magic = match self.resolution {
            TsResolution::Micros => MAGIC_MICROS,
            TsResolution::Nanos => MAGIC_NANOS,
        };
        let mut b = [0u8; 24];
        b[0..4].copy_from_slice(&e.u32(magic));
        b[4..6].copy_from_slice(&e.u16(2));
        b[6..8].copy_from_slice(&e.u16(4));
        // thiszone and sigfigs stay 0.
        b[16..20].copy_from_slice(&e.u32(self.snaplen));
        b[20..24].copy_from_slice(&e.u32(self.link_type.0));
        b
    }
}

/// Writes a pcap file: the header on creation, then one record per packet.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    w: W,
    header: PcapHeader,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header to `w`.
    ///
    /// # Errors
    ///
    /// Any I/O error from `w`.
    pub fn new(mut w: W, header: PcapHeader) -> io::Result<Self> {
        w.write_all(&header.to_bytes())?;
        Ok(Self { w, header })
    }

    /// The file header.
    pub fn header(&self) -> &PcapHeader {
        &self.header
    }

    /// Writes a record with `captured` bytes and original length `orig_len`,
    /// exactly as given (no snaplen applied).
    ///
    /// # Errors
    ///
    /// Any I/O error from the writer.
    pub fn write_record(
        &mut self,
        ts: Timestamp,
        captured: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        self.write_record_header(ts, captured.len() as u32, orig_len)?;
        self.w.write_all(captured)
    }

    /// Writes only a 16-byte record header with arbitrary lengths; follow it
    /// with [`write_raw`](Self::write_raw) (for deliberately broken files).
    ///
    /// # Errors
    ///
    /// Any I/O error from the writer.
    pub fn write_record_header(
        &mut self,
        ts: Timestamp,
        incl_len: u32,
        orig_len: u32,
    ) -> io::Result<()> {
        let e = self.header.endian;
        let sub = match self.header.resolution {
            TsResolution::Micros => ts.subsec_micros(),
            TsResolution::Nanos => ts.subsec_nanos(),
        };
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&e.u32(ts.secs() as u32));
        h[4..8].copy_from_slice(&e.u32(sub));
        h[8..12].copy_from_slice(&e.u32(incl_len));
        h[12..16].copy_from_slice(&e.u32(orig_len));
        self.w.write_all(&h)
    }

    /// Writes arbitrary bytes (for deliberately corrupt files).
    ///
    /// # Errors
    ///
    /// Any I/O error from the writer.
    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.w.write_all(bytes)
    }

    /// Flushes and returns the underlying writer.
    ///
    /// # Errors
    ///
    /// Any I/O error from the final flush.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}

impl<W: Write> PacketSink for PcapWriter<W> {
    fn write_packet(&mut self, ts: Timestamp, frame: &[u8]) -> io::Result<()> {
        let cap = frame.len().min(self.header.snaplen as usize);
        self.write_record(ts, &frame[..cap], frame.len() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_le_micros() {
        let h = PcapHeader::new(LinkType::ETHERNET).to_bytes();
        assert_eq!(
            h,
            [
                0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x04, 0x00,
                1, 0, 0, 0
            ]
        );
    }

    #[test]
    fn header_be_nanos() {
        let h = PcapHeader {
            link_type: LinkType::LINUX_SLL2,
            snaplen: 65535,
            resolution: TsResolution::Nanos,
            endian: Endian::Big,
        }
        .to_bytes();
        assert_eq!(
            h,
            [
                0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0,
                0x01, 0x14
            ]
        );
    }

    #[test]
    fn record_with_snaplen() {
        let mut hdr = PcapHeader::new(LinkType::RAW);
        hdr.snaplen = 4;
        let mut w = PcapWriter::new(Vec::new(), hdr).unwrap();
        let ts = Timestamp::from_nanos(1_704_067_200_000_001_999);
        w.write_packet(ts, &[1, 2, 3, 4, 5, 6]).unwrap();
        let out = w.finish().unwrap();
        assert_eq!(
            &out[24..],
            [
                0x80, 0x00, 0x92, 0x65, // 1704067200 = 0x65920080
                1, 0, 0, 0, // 1 µs (the 999 ns are dropped)
                4, 0, 0, 0, 6, 0, 0, 0, 1, 2, 3, 4
            ]
        );
    }
}
