//! Packet output: tcpdump-style text or JSON lines, written to one buffered, locked stdout.

mod json;
mod parquet;
pub(crate) mod records;
pub(crate) mod rows;
pub(crate) mod text;

use std::io::{self, Write};

use capture::PacketRef;
use decode::DecodedPacket;

use crate::args::PrintArgs;

/// How each packet is printed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PacketFormat {
    /// One tcpdump-style line; `link_level` adds the link header (`-e`).
    Text {
        /// Print the link-level header.
        link_level: bool,
    },
    /// One JSON object per line.
    Json,
}

impl From<&PrintArgs> for PacketFormat {
    fn from(args: &PrintArgs) -> Self {
        if args.json {
            Self::Json
        } else {
            Self::Text {
                link_level: args.link_level,
            }
        }
    }
}

impl PacketFormat {
    /// Writes one decoded packet.
    pub(crate) fn write<W: Write>(
        self,
        w: &mut W,
        pkt: &PacketRef<'_>,
        d: &DecodedPacket<'_>,
    ) -> io::Result<()> {
        match self {
            Self::Text { link_level } => text::write_packet(w, pkt, d, link_level),
            Self::Json => json::write_packet(w, pkt, d),
        }
    }
}

/// Counts of what a run saw, printed as the closing summary on standard error.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tally {
    /// Frames read from the source.
    pub(crate) read: u64,
    /// Frames that passed the filter.
    pub(crate) matched: u64,
    /// Frames the capture's snaplen cut short (caplen < wire length).
    pub(crate) snaplen_cut: u64,
    /// Frames whose decoding stopped at a truncated header or announced length.
    pub(crate) truncated: u64,
    /// Frames with a malformed header field.
    pub(crate) malformed: u64,
}

impl Tally {
    /// Adds the decoded-frame counts of `other` (a worker that read the same frames: not
    /// `read`).
    pub(crate) fn add_decoded(&mut self, other: &Tally) {
        self.matched += other.matched;
        self.snaplen_cut += other.snaplen_cut;
        self.truncated += other.truncated;
        self.malformed += other.malformed;
    }

    /// Counts one matched, decoded frame.
    pub(crate) fn count_decoded(&mut self, pkt: &PacketRef<'_>, d: &DecodedPacket<'_>) {
        self.matched += 1;
        if pkt.is_truncated() {
            self.snaplen_cut += 1;
        }
        match d.stop {
            Some(decode::DecodeError::Truncated { .. }) => self.truncated += 1,
            Some(_) => self.malformed += 1,
            None => {}
        }
    }

    /// Writes the one-line summary.
    pub(crate) fn write_summary<W: Write>(&self, w: &mut W, filtered: bool) -> io::Result<()> {
        write!(w, "{} packets read", self.read)?;
        if filtered {
            write!(w, ", {} matched filter", self.matched)?;
        }
        writeln!(
            w,
            ", {} cut by snaplen, {} with truncated headers, {} malformed",
            self.snaplen_cut, self.truncated, self.malformed
        )
    }
}
