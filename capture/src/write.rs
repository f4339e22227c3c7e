//! Writing legacy pcap files: one file ([`PcapWriter`]) or a rotating series like tcpdump's
//! `-w FILE -C MB -G SECONDS -W COUNT` ([`RotatingWriter`]). Pure Rust, no libpcap.

mod strftime;

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use decode::LinkType;

use crate::error::CaptureError;
use crate::packet::PacketRef;

/// Timestamp precision of a pcap file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum TsPrecision {
    /// Microseconds (magic `0xa1b2c3d4`), what every reader understands.
    #[default]
    Micro,
    /// Nanoseconds (magic `0xa1b23c4d`).
    Nano,
}

/// Length of the pcap file header.
const FILE_HEADER_LEN: u64 = 24;
/// Length of a pcap record header.
const RECORD_HEADER_LEN: u64 = 16;

/// Writes packets to one legacy pcap file, in the byte order of this machine.
///
/// A pcap file holds a single link type: a packet of another link type is refused with
/// [`CaptureError::Unwritable`]. Packets are written as they are (captured bytes, original
/// length, timestamp; microsecond files truncate the nanoseconds).
///
/// # Examples
///
/// ```
/// use capture::{FileSource, PacketRef, PacketSource, PcapWriter, Timestamp, TsPrecision};
/// use decode::LinkType;
/// # fn main() -> Result<(), capture::CaptureError> {
/// let mut writer = PcapWriter::new(Vec::new(), "memory", LinkType::Ethernet, 65_535, TsPrecision::Nano)?;
/// let data = [0u8; 14];
/// writer.write(&PacketRef {
///     frame: 1,
///     ts: Timestamp::new(1_700_000_000, 5),
///     caplen: 14,
///     origlen: 60,
///     link: LinkType::Ethernet,
///     interface: 0,
///     data: &data,
/// })?;
/// let bytes = writer.into_inner()?;
/// let mut source = FileSource::from_bytes("memory", bytes)?;
/// let pkt = source.next_packet()?.expect("the frame written");
/// assert_eq!((pkt.ts, pkt.origlen), (Timestamp::new(1_700_000_000, 5), 60));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct PcapWriter<W: Write = BufWriter<File>> {
    out: W,
    path: PathBuf,
    link: LinkType,
    precision: TsPrecision,
    bytes: u64,
    packets: u64,
}

impl PcapWriter<BufWriter<File>> {
    /// Creates (or truncates) `path` and writes the file header.
    ///
    /// # Errors
    /// [`CaptureError::Write`] if the file cannot be created or written.
    pub fn create(
        path: &Path,
        link: LinkType,
        snaplen: u32,
        precision: TsPrecision,
    ) -> Result<Self, CaptureError> {
        let file = File::create(path).map_err(|source| CaptureError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        Self::new(
            BufWriter::with_capacity(1 << 16, file),
            path,
            link,
            snaplen,
            precision,
        )
    }
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header to `out`; `name` is used in error messages.
    ///
    /// # Errors
    /// [`CaptureError::Write`] if writing fails.
    pub fn new(
        mut out: W,
        name: impl Into<PathBuf>,
        link: LinkType,
        snaplen: u32,
        precision: TsPrecision,
    ) -> Result<Self, CaptureError> {
        let path = name.into();
        let magic: u32 = match precision {
            TsPrecision::Micro => 0xa1b2_c3d4,
            TsPrecision::Nano => 0xa1b2_3c4d,
        };
        let mut header = [0u8; FILE_HEADER_LEN as usize];
        header[0..4].copy_from_slice(&magic.to_ne_bytes());
        header[4..6].copy_from_slice(&2u16.to_ne_bytes());
        header[6..8].copy_from_slice(&4u16.to_ne_bytes());
        // thiszone and sigfigs stay 0.
        header[16..20].copy_from_slice(&snaplen.to_ne_bytes());
        header[20..24].copy_from_slice(&link.to_u32().to_ne_bytes());
        out.write_all(&header)
            .map_err(|source| CaptureError::Write {
                path: path.clone(),
                source,
            })?;
        Ok(Self {
            out,
            path,
            link,
            precision,
            bytes: FILE_HEADER_LEN,
            packets: 0,
        })
    }

    /// Appends one packet.
    ///
    /// # Errors
    /// [`CaptureError::Unwritable`] for a packet of another link type or with a timestamp
    /// outside 1970..2106; [`CaptureError::Write`] if writing fails.
    pub fn write(&mut self, pkt: &PacketRef<'_>) -> Result<(), CaptureError> {
        check_link(&self.path, self.link, pkt)?;
        let unwritable = |what: String| CaptureError::Unwritable {
            path: self.path.clone(),
            frame: pkt.frame,
            what,
        };
        let secs = u32::try_from(pkt.ts.secs).map_err(|_| {
            unwritable(format!(
                "timestamp {} is outside what a pcap file can hold (1970 to 2106)",
                pkt.ts
            ))
        })?;
        let frac = match self.precision {
            TsPrecision::Micro => pkt.ts.nanos / 1000,
            TsPrecision::Nano => pkt.ts.nanos,
        };
        let caplen = u32::try_from(pkt.data.len()).map_err(|_| {
            unwritable(format!(
                "{} captured bytes do not fit a pcap record",
                pkt.data.len()
            ))
        })?;
        let mut header = [0u8; RECORD_HEADER_LEN as usize];
        header[0..4].copy_from_slice(&secs.to_ne_bytes());
        header[4..8].copy_from_slice(&frac.to_ne_bytes());
        header[8..12].copy_from_slice(&caplen.to_ne_bytes());
        header[12..16].copy_from_slice(&pkt.origlen.to_ne_bytes());
        let io_err = |source| CaptureError::Write {
            path: self.path.clone(),
            source,
        };
        self.out.write_all(&header).map_err(io_err)?;
        self.out.write_all(pkt.data).map_err(io_err)?;
        self.bytes += record_len(pkt);
        self.packets += 1;
        Ok(())
    }

    /// Bytes written so far, file header included.
    #[must_use]
    pub const fn bytes_written(&self) -> u64 {
        self.bytes
    }

    /// Packets written so far.
    #[must_use]
    pub const fn packets_written(&self) -> u64 {
        self.packets
    }

    /// The link type of the file.
    #[must_use]
    pub const fn link_type(&self) -> LinkType {
        self.link
    }

    /// The file (or the name given to [`PcapWriter::new`]).
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes buffered packets.
    ///
    /// # Errors
    /// [`CaptureError::Write`] if writing fails.
    pub fn flush(&mut self) -> Result<(), CaptureError> {
        self.out.flush().map_err(|source| CaptureError::Write {
            path: self.path.clone(),
            source,
        })
    }

    /// Flushes and gives back the writer.
    ///
    /// # Errors
    /// [`CaptureError::Write`] if flushing fails.
    pub fn into_inner(mut self) -> Result<W, CaptureError> {
        self.flush()?;
        Ok(self.out)
    }
}

/// Bytes a packet takes in a pcap file.
fn record_len(pkt: &PacketRef<'_>) -> u64 {
    RECORD_HEADER_LEN + pkt.data.len() as u64
}

fn check_link(path: &Path, link: LinkType, pkt: &PacketRef<'_>) -> Result<(), CaptureError> {
    if pkt.link == link {
        return Ok(());
    }
    Err(CaptureError::Unwritable {
        path: path.to_path_buf(),
        frame: pkt.frame,
        what: format!(
            "its link type is {} but the file holds {}: a pcap file has a single link type, and \
             this input mixes several (write each interface to its own file)",
            pkt.link, link
        ),
    })
}

/// When [`RotatingWriter`] starts a new file: tcpdump's `-C`, `-G` and `-W`.
///
/// All `None` writes a single file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rotation {
    /// `-C`: start a new file when the current one would grow past this many bytes (tcpdump
    /// counts `-C` in millions of bytes: pass `MB * 1_000_000`). A file always gets at least one
    /// packet.
    pub size_bytes: Option<u64>,
    /// `-G`: start a new file when a packet's timestamp is this many seconds or more after the
    /// first packet of the current file. The file name goes through `strftime` (UTC).
    pub seconds: Option<u64>,
    /// `-W`: with `size_bytes`, keep this many files in a ring (`FILE0`..`FILE{N-1}`,
    /// overwriting the oldest); with `seconds` only, stop after this many files.
    pub files: Option<u32>,
}

/// Whether the caller should keep capturing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub enum WriteOutcome {
    /// The packet was written.
    Continue,
    /// `-G` with `-W`: the file limit was reached. The packet was *not* written and every later
    /// write does nothing: stop the capture (tcpdump exits here).
    Done,
}

/// Writes packets to a series of pcap files, rotating like tcpdump's `-w FILE -C -G -W`.
///
/// Names, as tcpdump makes them:
/// * no rotation: `FILE`;
/// * `-C` without `-W`: `FILE`, `FILE1`, `FILE2`, ...;
/// * `-C` with `-W N`: a ring `FILE0` .. `FILE{N-1}`, numbers zero-padded to the width of
///   `N-1`, overwriting the oldest;
/// * `-G`: `FILE` passed through `strftime` (`%Y %m %d %H %M %S %j %s %y %F %T %%`, in UTC) at
///   the start of each period, then numbered as above within the period if `-C` is also given.
///   Without `%` codes every period overwrites the same file, as with tcpdump.
///
/// One difference from tcpdump: `-G` periods follow the **packet timestamps**, not the wall
/// clock. For a live capture they agree; it makes rotation reproducible (and testable), and a
/// period starts with the first packet after the previous one ended. Because of that, with
/// `-G` the first file is created when the first packet arrives (or by
/// [`RotatingWriter::finish`], named from the wall clock, if none did). Another: `-C` rotates
/// *before* a packet that would make the file exceed the size, while tcpdump rotates after the
/// file has exceeded it.
#[derive(Debug)]
pub struct RotatingWriter {
    template: PathBuf,
    link: LinkType,
    snaplen: u32,
    precision: TsPrecision,
    rotation: Rotation,
    current: Option<PcapWriter>,
    /// `-C` number of the current file.
    size_index: u32,
    /// `-G` periods finished.
    periods: u64,
    /// Start of the current `-G` period (seconds since the epoch).
    period_start: Option<i64>,
    /// Width of the file number (tcpdump's `WflagChars`).
    digits: usize,
    files: Vec<PathBuf>,
    seen: HashSet<PathBuf>,
    done: bool,
}

impl RotatingWriter {
    /// Starts writing to `path` (the first file is created now, unless `-G` is used). `snaplen`
    /// goes into each file header; 0 or less means 262144, as for `LiveConfig::snaplen`.
    ///
    /// # Errors
    /// [`CaptureError::Write`] if the first file cannot be created.
    pub fn new(
        path: impl AsRef<Path>,
        link: LinkType,
        snaplen: i32,
        rotation: Rotation,
    ) -> Result<Self, CaptureError> {
        let rotation = Rotation {
            files: rotation.files.filter(|&n| n > 0),
            ..rotation
        };
        let digits = match (rotation.size_bytes, rotation.files) {
            (Some(_), Some(n)) => digits_of(n - 1),
            _ => 0,
        };
        let mut writer = Self {
            template: path.as_ref().to_path_buf(),
            link,
            snaplen: u32::try_from(snaplen)
                .ok()
                .filter(|&s| s > 0)
                .unwrap_or(262_144),
            precision: TsPrecision::Micro,
            rotation,
            current: None,
            size_index: 0,
            periods: 0,
            period_start: None,
            digits,
            files: Vec::new(),
            seen: HashSet::new(),
            done: false,
        };
        if rotation.seconds.is_none() {
            writer.open(0)?;
        }
        Ok(writer)
    }

    /// Writes nanosecond files instead of microsecond ones (for the files opened from now on).
    #[must_use]
    pub const fn with_precision(mut self, precision: TsPrecision) -> Self {
        self.precision = precision;
        self
    }

    /// Writes one packet, first starting a new file if the rotation says so.
    ///
    /// # Errors
    /// [`CaptureError::Unwritable`] for a packet of another link type (pcap holds one) or with
    /// an out-of-range timestamp, [`CaptureError::Write`] if a file cannot be created or
    /// written.
    pub fn write(&mut self, pkt: &PacketRef<'_>) -> Result<WriteOutcome, CaptureError> {
        if self.done {
            return Ok(WriteOutcome::Done);
        }
        check_link(&self.template, self.link, pkt)?;
        if let Some(period) = self.rotation.seconds {
            let now = pkt.ts.secs;
            match self.period_start {
                None => {
                    self.period_start = Some(now);
                    self.size_index = 0;
                    self.open(0)?;
                }
                Some(start)
                    if now.saturating_sub(start) >= i64::try_from(period).unwrap_or(i64::MAX) =>
                {
                    self.periods += 1;
                    let limit = self
                        .rotation
                        .files
                        .filter(|_| self.rotation.size_bytes.is_none());
                    if limit.is_some_and(|n| self.periods >= u64::from(n)) {
                        self.close()?;
                        self.done = true;
                        return Ok(WriteOutcome::Done);
                    }
                    self.period_start = Some(now);
                    self.size_index = 0;
                    self.open(0)?;
                }
                Some(_) => {}
            }
        }
        if let (Some(limit), Some(current)) = (self.rotation.size_bytes, &self.current) {
            if current.packets_written() > 0 && current.bytes_written() + record_len(pkt) > limit {
                let mut next = self.size_index.saturating_add(1);
                if self.rotation.files.is_some_and(|n| next >= n) {
                    next = 0;
                }
                self.size_index = next;
                self.open(next)?;
            }
        }
        match &mut self.current {
            Some(current) => current.write(pkt)?,
            None => {
                // Unreachable in practice: a file is always open here. Open one rather than lose
                // the packet.
                self.open(self.size_index)?;
                if let Some(current) = &mut self.current {
                    current.write(pkt)?;
                }
            }
        }
        Ok(WriteOutcome::Continue)
    }

    /// Flushes the current file. With `-G`, if no packet came at all, creates the (empty) first
    /// file, named from the wall clock. The writer stays usable; dropping it also flushes, but
    /// silently.
    ///
    /// # Errors
    /// [`CaptureError::Write`] if writing fails.
    pub fn finish(&mut self) -> Result<(), CaptureError> {
        if self.rotation.seconds.is_some() && self.files.is_empty() && !self.done {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            self.period_start = Some(i64::try_from(now).unwrap_or(i64::MAX));
            self.open(0)?;
        }
        match &mut self.current {
            Some(current) => current.flush(),
            None => Ok(()),
        }
    }

    /// Every file created, in order of creation (each once, even when a ring reuses it).
    #[must_use]
    pub fn files_written(&self) -> &[PathBuf] {
        &self.files
    }

    /// The file being written, if any.
    #[must_use]
    pub fn current_path(&self) -> Option<&Path> {
        self.current.as_ref().map(PcapWriter::path)
    }

    fn close(&mut self) -> Result<(), CaptureError> {
        match self.current.take() {
            Some(current) => current.into_inner().map(drop),
            None => Ok(()),
        }
    }

    fn open(&mut self, index: u32) -> Result<(), CaptureError> {
        self.close()?;
        let path = self.file_name(index);
        let writer = PcapWriter::create(&path, self.link, self.snaplen, self.precision)?;
        if self.seen.insert(path.clone()) {
            self.files.push(path);
        }
        self.current = Some(writer);
        Ok(())
    }

    /// tcpdump's `MakeFilename`.
    fn file_name(&self, index: u32) -> PathBuf {
        let mut name: OsString = match (self.rotation.seconds, self.period_start) {
            (Some(_), Some(start)) => {
                strftime::strftime(&self.template.to_string_lossy(), start).into()
            }
            _ => self.template.clone().into_os_string(),
        };
        if self.rotation.size_bytes.is_some() && (index != 0 || self.digits != 0) {
            name.push(format!("{index:0width$}", width = self.digits));
        }
        PathBuf::from(name)
    }
}

/// Number of decimal digits of `n`, 0 for 0 (tcpdump's `getWflagChars(n + 1)`).
fn digits_of(mut n: u32) -> usize {
    let mut digits = 0;
    while n > 0 {
        digits += 1;
        n /= 10;
    }
    digits
}

impl Drop for RotatingWriter {
    fn drop(&mut self) {
        if let Some(current) = &mut self.current {
            if let Err(e) = current.flush() {
                log::warn!("{e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    #[test]
    fn file_number_width_is_tcpdumps() {
        assert_eq!(digits_of(0), 0);
        assert_eq!(digits_of(9), 1);
        assert_eq!(digits_of(10), 2);
        assert_eq!(digits_of(99), 2);
        assert_eq!(digits_of(u32::MAX), 10);
    }

    #[test]
    fn writer_reports_io_errors() {
        #[derive(Debug)]
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let err = PcapWriter::new(Full, "out.pcap", LinkType::Ethernet, 0, TsPrecision::Micro)
            .unwrap_err();
        assert_eq!(err.to_string(), "cannot write out.pcap");
    }
}
