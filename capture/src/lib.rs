//! Packet sources and sinks for flowsleuth: frames in, frames out, nothing in between.
//!
//! What this crate does:
//! * reads capture files ([`FileSource`]): legacy pcap (either byte order, microsecond or
//!   nanosecond timestamps) and pcapng (several sections, several interfaces with different link
//!   types and timestamp resolutions, Enhanced, Simple and obsolete Packet Blocks), plain or
//!   gzip-compressed (recognised by content), from a path, standard input, a reader or memory.
//!   Frames borrow one bounded, reused buffer ([`FileSource::open_shared`] instead reads into
//!   reference-counted blocks, so that frames can be handed to other threads without copying).
//!   No allocation per frame, no record longer than 16 MiB buffered;
//! * captures live through libpcap ([`LiveSource`], feature `libpcap`, on by default), with a
//!   stop flag for a clean Ctrl-C;
//! * filters frames read from files with libpcap-compiled BPF ([`BpfFilter`], feature
//!   `libpcap`);
//! * writes legacy pcap files, alone ([`PcapWriter`]) or rotated like tcpdump's `-C -G -W`
//!   ([`RotatingWriter`]).
//!
//! What it does not do: parse protocols (that is the `decode` crate; this crate only uses its
//! [`LinkType`](decode::LinkType)), print anything (diagnostics go through `log`), or decide
//! what to do with an error. Every source implements [`PacketSource`], a lending read where the
//! end of input is `Ok(None)`.
//!
//! # Examples
//!
//! ```
//! use capture::{FileSource, PacketRef, PacketSource, PcapWriter, Timestamp, TsPrecision};
//! use decode::LinkType;
//!
//! # fn main() -> Result<(), capture::CaptureError> {
//! // Write two frames to an in-memory pcap file...
//! let mut writer = PcapWriter::new(Vec::new(), "two.pcap", LinkType::Ethernet, 65_535, TsPrecision::Micro)?;
//! for (i, data) in [&[1u8, 2, 3][..], &[4, 5]].into_iter().enumerate() {
//!     let len = data.len() as u32;
//!     writer.write(&PacketRef {
//!         frame: i as u64 + 1,
//!         ts: Timestamp::new(1_700_000_000 + i as i64, 0),
//!         caplen: len,
//!         origlen: len,
//!         link: LinkType::Ethernet,
//!         interface: 0,
//!         data,
//!     })?;
//! }
//! // ...and read them back.
//! let mut source = FileSource::from_bytes("two.pcap", writer.into_inner()?)?;
//! let mut lengths = Vec::new();
//! while let Some(pkt) = source.next_packet()? {
//!     lengths.push((pkt.frame, pkt.data.len()));
//! }
//! assert_eq!(lengths, [(1, 3), (2, 2)]);
//! # Ok(())
//! # }
//! ```
#![deny(unsafe_code)]

pub mod error;
pub mod file;
#[cfg(feature = "libpcap")]
pub mod filter;
#[cfg(feature = "libpcap")]
pub mod live;
pub mod packet;
pub mod source;
pub mod write;

pub use error::CaptureError;
pub use file::{FileFormat, FileSource, SharedBlock};
#[cfg(feature = "libpcap")]
pub use filter::BpfFilter;
#[cfg(feature = "libpcap")]
pub use live::{
    list_interfaces, InterfaceFlags, InterfaceInfo, LiveConfig, LiveSource, LiveStats, Poll,
};
pub use packet::{PacketRef, Timestamp};
pub use source::PacketSource;
pub use write::{PcapWriter, RotatingWriter, Rotation, TsPrecision, WriteOutcome};

#[cfg(test)]
mod tests {
    fn assert_send<T: Send>() {}

    #[test]
    fn sources_and_writers_can_move_between_threads() {
        assert_send::<crate::FileSource>();
        assert_send::<crate::RotatingWriter>();
        assert_send::<crate::PcapWriter>();
        #[cfg(feature = "libpcap")]
        {
            assert_send::<crate::LiveSource>();
            assert_send::<crate::BpfFilter>();
        }
    }
}
