//! What the format parsers tell the reader about the record at the start of a window, plus the
//! limits and byte-order helpers both formats share.

use decode::LinkType;

use crate::packet::Timestamp;

/// Captured lengths up to this are always accepted (Wireshark's `WTAP_MAX_PACKET_SIZE_STANDARD`).
pub(super) const DEFAULT_MAX_CAPLEN: u32 = 256 * 1024;

/// Never accept a captured length above this, whatever the snaplen says.
pub(super) const HARD_MAX_CAPLEN: u32 = 16 * 1024 * 1024;

/// The longest record (pcap record or pcapng block we read) the reader buffers.
pub(super) const MAX_RECORD_LEN: usize = HARD_MAX_CAPLEN as usize + 64 * 1024;

/// The largest captured length accepted for an interface with this snaplen: 256 KiB, or the
/// snaplen if larger, but never more than 16 MiB.
pub(super) fn max_caplen(snaplen: u32) -> u32 {
    DEFAULT_MAX_CAPLEN.max(snaplen.min(HARD_MAX_CAPLEN))
}

/// A packet record, located relative to the start of the window.
#[derive(Clone, Copy, Debug)]
pub(super) struct Frame {
    pub(super) ts: Timestamp,
    pub(super) caplen: u32,
    pub(super) origlen: u32,
    pub(super) link: LinkType,
    pub(super) interface: u32,
    /// Offset of the packet bytes from the start of the record.
    pub(super) data_start: usize,
    /// Length of the whole record, to consume before the next one.
    pub(super) record_len: usize,
}

/// What the record at the start of a window is.
#[derive(Debug)]
pub(super) enum Step {
    /// The record is longer than the window: call again with at least this many bytes.
    Need(usize),
    /// A packet.
    Frame(Frame),
    /// A block without a packet (already applied to the parser's state), this many bytes long.
    Skip(usize),
    /// A block we do not interpret and that is too big to buffer: skip it unread.
    SkipUnread(u64),
    /// A new interface whose link type `decode` does not know. It is registered; the caller
    /// consumes `len` bytes and reports the error.
    UnsupportedLink {
        /// The `LINKTYPE_*` number.
        linktype: u32,
        /// The interface, numbered over the whole file.
        interface: u32,
        /// Length of the block.
        len: usize,
    },
    /// The record is inconsistent; reading cannot go on.
    Corrupt(String),
}

/// Byte order of a pcap file or pcapng section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Endian {
    Little,
    Big,
}

impl Endian {
    /// Reads a `u32` at `at`, `None` past the end.
    pub(super) fn u32(self, buf: &[u8], at: usize) -> Option<u32> {
        let bytes: [u8; 4] = buf.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(match self {
            Self::Little => u32::from_le_bytes(bytes),
            Self::Big => u32::from_be_bytes(bytes),
        })
    }

    /// Reads a `u16` at `at`, `None` past the end.
    pub(super) fn u16(self, buf: &[u8], at: usize) -> Option<u16> {
        let bytes: [u8; 2] = buf.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            Self::Little => u16::from_le_bytes(bytes),
            Self::Big => u16::from_be_bytes(bytes),
        })
    }

    /// Reads an `i64` at `at`, `None` past the end.
    pub(super) fn i64(self, buf: &[u8], at: usize) -> Option<i64> {
        let bytes: [u8; 8] = buf.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(match self {
            Self::Little => i64::from_le_bytes(bytes),
            Self::Big => i64::from_be_bytes(bytes),
        })
    }
}

/// Builds a timestamp from whole seconds and a sub-second count in `units_per_sec` units,
/// carrying overflowing fractions (a `ts_usec` of 1,500,000 happens in broken files).
pub(super) fn timestamp(secs: i64, frac: u64, units_per_sec: u64) -> Timestamp {
    // The usual resolutions, in range: no division (three per frame otherwise, one of them
    // 128-bit, on the reading thread of every frame).
    match (units_per_sec, u32::try_from(frac)) {
        (1_000_000, Ok(f)) if f < 1_000_000 => Timestamp {
            secs,
            nanos: f * 1000,
        },
        (1_000_000_000, Ok(f)) if f < 1_000_000_000 => Timestamp { secs, nanos: f },
        _ => timestamp_any(secs, frac, units_per_sec),
    }
}

/// [`timestamp`] for any resolution and any fraction.
fn timestamp_any(secs: i64, frac: u64, units_per_sec: u64) -> Timestamp {
    let units = units_per_sec.max(1);
    let extra_secs = frac / units;
    let frac = frac % units;
    let nanos = (u128::from(frac) * 1_000_000_000 / u128::from(units)) as u32;
    let extra = i64::try_from(extra_secs).unwrap_or(i64::MAX);
    Timestamp {
        secs: secs.saturating_add(extra),
        nanos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_normalise() {
        assert_eq!(
            timestamp(10, 1_500_000, 1_000_000),
            Timestamp {
                secs: 11,
                nanos: 500_000_000
            }
        );
        assert_eq!(
            timestamp(10, 999_999_999, 1_000_000_000),
            Timestamp {
                secs: 10,
                nanos: 999_999_999
            }
        );
        assert_eq!(
            timestamp(i64::MAX, u64::MAX, 1),
            Timestamp {
                secs: i64::MAX,
                nanos: 0
            }
        );
        assert_eq!(
            timestamp(0, 1 << 31, 1 << 32),
            Timestamp {
                secs: 0,
                nanos: 500_000_000
            }
        );
    }

    /// The shortcut for microsecond and nanosecond files gives what the general conversion
    /// gives, at and around the edges of its range.
    #[test]
    fn usual_resolutions_take_a_shortcut_to_the_same_time() {
        for units in [1_000_000u64, 1_000_000_000] {
            for frac in [
                0,
                1,
                999,
                units / 2,
                units - 1,
                units,
                units + 1,
                5 * units + 7,
            ] {
                for secs in [0, -1, 1_704_067_200, i64::MAX] {
                    assert_eq!(
                        timestamp(secs, frac, units),
                        timestamp_any(secs, frac, units),
                        "{secs} {frac} {units}"
                    );
                }
            }
        }
    }

    #[test]
    fn caplen_bounds() {
        assert_eq!(max_caplen(0), 262_144);
        assert_eq!(max_caplen(65_535), 262_144);
        assert_eq!(max_caplen(1 << 20), 1 << 20);
        assert_eq!(max_caplen(u32::MAX), 16 << 20);
    }
}
