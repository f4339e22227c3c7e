//! One captured frame, borrowed from the source's buffer.

use core::fmt;

use decode::LinkType;

/// A capture timestamp: seconds and nanoseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z (negative before it).
    pub secs: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub nanos: u32,
}

impl Timestamp {
    /// Builds a timestamp, normalising `nanos` above one second into `secs`.
    #[must_use]
    pub const fn new(secs: i64, nanos: u32) -> Self {
        Self {
            secs: secs + (nanos / 1_000_000_000) as i64,
            nanos: nanos % 1_000_000_000,
        }
    }

    /// Nanoseconds since the epoch.
    #[must_use]
    pub const fn as_nanos(self) -> i128 {
        self.secs as i128 * 1_000_000_000 + self.nanos as i128
    }
}

impl fmt::Display for Timestamp {
    /// `seconds.nanoseconds` since the epoch, as `tshark -T fields -e frame.time_epoch` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.secs, self.nanos)
    }
}

/// One captured frame. `data` borrows the source's buffer until the next call to
/// [`crate::PacketSource::next_packet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketRef<'a> {
    /// 1-based frame number within the source, as Wireshark numbers frames.
    pub frame: u64,
    /// When the frame was captured.
    pub ts: Timestamp,
    /// Bytes captured (`data.len()`).
    pub caplen: u32,
    /// Length of the frame on the wire; larger than `caplen` when the snaplen cut it.
    pub origlen: u32,
    /// Link type of the interface the frame came from.
    pub link: LinkType,
    /// Interface index within the file (pcapng), 0 for pcap and live sources.
    pub interface: u32,
    /// The captured bytes.
    pub data: &'a [u8],
}

impl PacketRef<'_> {
    /// Whether the capture cut this frame short.
    #[must_use]
    pub const fn is_truncated(&self) -> bool {
        self.origlen > self.caplen
    }
}
