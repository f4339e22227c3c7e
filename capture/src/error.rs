//! The one error type of this crate.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while reading, capturing, filtering or writing packets.
///
/// Messages are lowercase, without a trailing period, and are meant to follow `flowsleuth: `.
/// Each names the file (or interface) and, for a record in a file, the 1-based frame number and
/// the byte offset of the record (in the decompressed data for gzip input), for example
/// `capture.pcap: frame 17 at byte 4096: truncated record (record is 1530 bytes, only 216 remain)`.
/// The underlying I/O error, if any, is the [`source`](std::error::Error::source) and is not
/// repeated in the message; print the whole chain.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The file could not be opened (missing, unreadable, a directory...).
    #[error("cannot open {}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },

    /// The input is neither pcap nor pcapng (nor gzip holding one of them).
    #[error("{}: not a pcap or pcapng file ({found})", path.display())]
    NotACapture {
        /// The file.
        path: PathBuf,
        /// What was seen instead, e.g. `starts with 3c 68 74 6d` or `zstd-compressed data`.
        found: String,
    },

    /// The input ends inside the file header.
    #[error(
        "{}: truncated file header ({needed} bytes needed, only {available} present)",
        path.display()
    )]
    TruncatedHeader {
        /// The file.
        path: PathBuf,
        /// Length of the header.
        needed: u64,
        /// Bytes present.
        available: u64,
    },

    /// The input ends in the middle of a record: every earlier frame was returned.
    #[error(
        "{}: frame {frame} at byte {offset}: truncated record (record is {needed} bytes, only {available} remain)",
        path.display()
    )]
    TruncatedRecord {
        /// The file.
        path: PathBuf,
        /// The frame number the record would have had (1-based).
        frame: u64,
        /// Offset of the record's first byte.
        offset: u64,
        /// Length of the whole record (header included), as far as it is known.
        needed: u64,
        /// Bytes left in the file from the start of the record.
        available: u64,
    },

    /// A record or block is inconsistent (impossible length, unknown interface...). Reading
    /// cannot go on past it.
    #[error("{}: frame {frame} at byte {offset}: {what}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The frame number the next packet would have had (1-based).
        frame: u64,
        /// Offset of the bad record or block.
        offset: u64,
        /// What is wrong.
        what: String,
    },

    /// The gzip stream is corrupt or truncated.
    #[error("{}: bad gzip stream after {offset} decompressed bytes (frame {frame})", path.display())]
    Gzip {
        /// The file.
        path: PathBuf,
        /// The frame being read.
        frame: u64,
        /// Decompressed bytes produced before the error.
        offset: u64,
        /// The decompressor's error.
        #[source]
        source: io::Error,
    },

    /// The link type (of the pcap file, or of one pcapng interface) is not one `decode` knows.
    ///
    /// For pcapng the interface is registered anyway: calling `next_packet` again goes on, and
    /// that interface's frames come with [`decode::LinkType::Unknown`].
    #[error("{}: {}unsupported link type {linktype}", path.display(),
        interface.map(|i| format!("interface {i}: ")).unwrap_or_default())]
    UnsupportedLinkType {
        /// The file.
        path: PathBuf,
        /// The `LINKTYPE_*` number.
        linktype: u32,
        /// The pcapng interface (numbered over the whole file), `None` for pcap.
        interface: Option<u32>,
    },

    /// Reading failed.
    #[error("{}: read error", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },

    /// libpcap does not know the interface.
    #[error("{iface}: no such capture interface")]
    NoSuchDevice {
        /// The interface name as given.
        iface: String,
    },

    /// The process may not capture on the interface.
    #[error(
        "{iface}: permission denied: {msg} (capturing needs root, or the CAP_NET_RAW and CAP_NET_ADMIN capabilities: setcap cap_net_raw,cap_net_admin=eip <binary>)"
    )]
    Permission {
        /// The interface.
        iface: String,
        /// libpcap's message.
        msg: String,
    },

    /// Any other libpcap failure while opening or reading a live capture.
    #[error("{iface}: {msg}")]
    Live {
        /// The interface.
        iface: String,
        /// libpcap's message.
        msg: String,
    },

    /// libpcap could not list the interfaces.
    #[error("cannot list capture interfaces: {msg}")]
    ListInterfaces {
        /// libpcap's message.
        msg: String,
    },

    /// The BPF filter expression does not compile.
    #[error("invalid capture filter {expr:?}: {msg}")]
    Filter {
        /// The expression.
        expr: String,
        /// libpcap's message (it names the link type when the expression only fails for one).
        msg: String,
    },

    /// Writing a pcap file failed.
    #[error("cannot write {}", path.display())]
    Write {
        /// The output file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },

    /// A packet cannot be stored in a legacy pcap file (another link type, a timestamp out of
    /// range).
    #[error("{}: cannot write frame {frame}: {what}", path.display())]
    Unwritable {
        /// The output file.
        path: PathBuf,
        /// The frame number of the packet.
        frame: u64,
        /// Why.
        what: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync_static<T: Send + Sync + 'static>() {}

    #[test]
    fn error_is_send_sync_static() {
        assert_send_sync_static::<CaptureError>();
    }

    #[test]
    fn messages_read_well() {
        let e = CaptureError::TruncatedRecord {
            path: "capture.pcap".into(),
            frame: 17,
            offset: 4096,
            needed: 1530,
            available: 216,
        };
        assert_eq!(
            e.to_string(),
            "capture.pcap: frame 17 at byte 4096: truncated record (record is 1530 bytes, only 216 remain)"
        );
        let e = CaptureError::UnsupportedLinkType {
            path: "x.pcapng".into(),
            linktype: 147,
            interface: Some(1),
        };
        assert_eq!(
            e.to_string(),
            "x.pcapng: interface 1: unsupported link type 147"
        );
        let e = CaptureError::UnsupportedLinkType {
            path: "x.pcap".into(),
            linktype: 147,
            interface: None,
        };
        assert_eq!(e.to_string(), "x.pcap: unsupported link type 147");
    }
}
