//! A minimal little-endian pcapng writer: one Section Header Block, any
//! number of Interface Description Blocks (each with its own link type,
//! snaplen and `if_tsresol`) and Enhanced Packet Blocks.
//!
//! Format: <https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/>.

use std::io::{self, Write};

use crate::link::LinkType;
use crate::pcap::TsResolution;
use crate::sink::PacketSink;
use crate::time::Timestamp;

/// Block type of the Section Header Block.
pub const BLOCK_SHB: u32 = 0x0A0D_0D0A;
/// Block type of the Interface Description Block.
pub const BLOCK_IDB: u32 = 0x0000_0001;
/// Block type of the Enhanced Packet Block.
pub const BLOCK_EPB: u32 = 0x0000_0006;
/// Byte-order magic of the SHB.
pub const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

/// One interface (IDB) of a pcapng file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// Link type of the packets captured on it.
    pub link_type: LinkType,
    /// Snapshot length (0 = unlimited).
    pub snaplen: u32,
    /// `if_name` option, if any.
    pub name: Option<String>,
    /// Timestamp resolution, written as the `if_tsresol` option (6 or 9).
    pub resolution: TsResolution,
}

fn option(code: u16, value: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend_from_slice(value);
    out.resize(out.len().next_multiple_of(4), 0);
}

fn end_of_options(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0, 0, 0, 0]);
}

/// Frames `body` as a block of type `block_type` (type, length, body, length).
fn block(block_type: u32, body: &[u8]) -> Vec<u8> {
    let len = (12 + body.len()) as u32;
    let mut b = Vec::with_capacity(len as usize);
    b.extend_from_slice(&block_type.to_le_bytes());
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(body);
    b.extend_from_slice(&len.to_le_bytes());
    b
}

/// The Section Header Block bytes, with an optional `shb_userappl` option.
#[must_use]
pub fn section_header(user_appl: Option<&str>) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&u64::MAX.to_le_bytes()); // section length: unspecified
    if let Some(app) = user_appl {
        option(4, app.as_bytes(), &mut body);
        end_of_options(&mut body);
    }
    block(BLOCK_SHB, &body)
}

/// The Interface Description Block bytes of `iface`.
#[must_use]
pub fn interface_description(iface: &Interface) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&(iface.link_type.0 as u16).to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&iface.snaplen.to_le_bytes());
    if let Some(name) = &iface.name {
        option(2, name.as_bytes(), &mut body);
    }
    let tsresol = match iface.resolution {
        TsResolution::Micros => 6u8,
        TsResolution::Nanos => 9u8,
    };
    option(9, &[tsresol], &mut body);
    end_of_options(&mut body);
    block(BLOCK_IDB, &body)
}

/// Writes a pcapng file. Interfaces may be added at any point before their
/// first packet.
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    w: W,
    interfaces: Vec<Interface>,
    body: Vec<u8>,
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the Section Header Block (with `shb_userappl` = `user_appl`).
    ///
    /// # Errors
    ///
    /// Any I/O error from `w`.
    pub fn new(mut w: W, user_appl: Option<&str>) -> io::Result<Self> {
        w.write_all(&section_header(user_appl))?;
        Ok(Self {
            w,
            interfaces: Vec::new(),
            body: Vec::new(),
        })
    }

    /// Writes an Interface Description Block and returns its interface id.
    ///
    /// # Errors
    ///
    /// Any I/O error from the writer.
    pub fn add_interface(&mut self, iface: Interface) -> io::Result<u32> {
        self.w.write_all(&interface_description(&iface))?;
        self.interfaces.push(iface);
        Ok((self.interfaces.len() - 1) as u32)
    }

    /// Writes an Enhanced Packet Block for `frame` on interface `iface`,
    /// applying its snaplen, with an optional `opt_comment`.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `iface` was never added, or any I/O error.
    pub fn write_packet_on(
        &mut self,
        iface: u32,
        ts: Timestamp,
        frame: &[u8],
        comment: Option<&str>,
    ) -> io::Result<()> {
        let Some(info) = self.interfaces.get(iface as usize) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("pcapng interface {iface} was not added"),
            ));
        };
        let units = match info.resolution {
            TsResolution::Micros => ts.as_nanos() / 1_000,
            TsResolution::Nanos => ts.as_nanos(),
        };
        let cap = match info.snaplen {
            0 => frame.len(),
            s => frame.len().min(s as usize),
        };
        let body = &mut self.body;
        body.clear();
        body.extend_from_slice(&iface.to_le_bytes());
        body.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(units as u32).to_le_bytes());
        body.extend_from_slice(&(cap as u32).to_le_bytes());
        body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        body.extend_from_slice(&frame[..cap]);
        body.resize(body.len().next_multiple_of(4), 0);
        if let Some(c) = comment {
            option(1, c.as_bytes(), body);
            end_of_options(body);
        }
        let b = block(BLOCK_EPB, body);
        self.w.write_all(&b)
    }

    /// A [`PacketSink`] that writes onto interface `iface`.
    pub fn interface(&mut self, iface: u32) -> InterfaceSink<'_, W> {
        InterfaceSink {
            writer: self,
            iface,
        }
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

/// Writes packets onto one interface of a [`PcapngWriter`].
#[derive(Debug)]
pub struct InterfaceSink<'a, W: Write> {
    writer: &'a mut PcapngWriter<W>,
    iface: u32,
}

impl<W: Write> PacketSink for InterfaceSink<'_, W> {
    fn write_packet(&mut self, ts: Timestamp, frame: &[u8]) -> io::Result<()> {
        self.writer.write_packet_on(self.iface, ts, frame, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shb_bytes() {
        assert_eq!(
            section_header(None),
            [
                0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff,
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0
            ]
        );
    }

    #[test]
    fn idb_bytes_with_tsresol() {
        let b = interface_description(&Interface {
            link_type: LinkType::LINUX_SLL2,
            snaplen: 65535,
            name: None,
            resolution: TsResolution::Nanos,
        });
        assert_eq!(
            b,
            [
                1, 0, 0, 0, 32, 0, 0, 0, // type, length
                0x14, 0x01, 0, 0, 0xff, 0xff, 0, 0, // linktype 276, reserved, snaplen
                9, 0, 1, 0, 9, 0, 0, 0, // if_tsresol = 9, padded
                0, 0, 0, 0, // opt_endofopt
                32, 0, 0, 0
            ]
        );
    }

    #[test]
    fn epb_bytes() {
        let mut w = PcapngWriter::new(Vec::new(), None).unwrap();
        let id = w
            .add_interface(Interface {
                link_type: LinkType::ETHERNET,
                snaplen: 0,
                name: None,
                resolution: TsResolution::Micros,
            })
            .unwrap();
        w.write_packet_on(
            id,
            Timestamp::from_nanos(0x1_0000_0002 * 1_000),
            &[0xAB; 5],
            None,
        )
        .unwrap();
        let out = w.finish().unwrap();
        let epb = &out[28 + 32..]; // after the SHB (28) and the IDB (32)
        assert_eq!(
            epb,
            [
                6, 0, 0, 0, 40, 0, 0, 0, // type, length 40
                0, 0, 0, 0, // interface 0
                1, 0, 0, 0, 2, 0, 0, 0, // ts high = 1, low = 2 (µs)
                5, 0, 0, 0, 5, 0, 0, 0, // caplen, origlen
                0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0, 0, 0, // data, padded
                40, 0, 0, 0
            ]
        );
        assert!(w_err_unknown_iface());
    }

    fn w_err_unknown_iface() -> bool {
        let mut w = PcapngWriter::new(Vec::new(), None).unwrap();
        w.write_packet_on(3, Timestamp::default(), &[], None)
            .is_err()
    }
}
