//! Capture files: legacy pcap and pcapng, plain or gzip-compressed, from a path, standard
//! input, any reader, or bytes in memory.
//!
//! Framing is our own small parser (`file/pcap.rs`, `file/pcapng.rs`), written once against a
//! byte window so that the memory-mapped and the streaming paths share every check. We do not
//! use pcap-parser's block parsers because they allocate a `Vec` of options for every packet
//! block, report a captured length that overruns a complete block as "incomplete" (so a corrupt
//! file looks truncated), and give no byte offsets; pcap-parser is used in the tests instead, as
//! an independent oracle.

mod input;
mod pcap;
mod pcapng;
mod readahead;
mod record;
mod shared;

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use decode::LinkType;
use flate2::read::MultiGzDecoder;

use self::input::{Backing, CountingReader, Input, StreamBuf};
use self::pcap::{PcapParser, FILE_HEADER_LEN};
use self::pcapng::{hex, is_pcapng, NgParser};
use self::readahead::ReadAhead;
use self::record::{Step, MAX_RECORD_LEN};
pub use self::shared::SharedBlock;
use self::shared::SharedBuf;
use crate::error::CaptureError;
use crate::packet::PacketRef;
use crate::source::PacketSource;

/// The container format of a capture file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileFormat {
    /// Legacy pcap (libpcap's savefile format).
    Pcap {
        /// Nanosecond timestamps (magic `0xa1b23c4d`) instead of microseconds (`0xa1b2c3d4`).
        nanos: bool,
        /// Written big-endian.
        big_endian: bool,
        /// The file was gzip-compressed.
        gzip: bool,
    },
    /// pcapng. The byte order may differ from one section to the next.
    PcapNg {
        /// The file was gzip-compressed.
        gzip: bool,
    },
}

impl FileFormat {
    /// Whether the capture was gzip-compressed.
    #[must_use]
    pub const fn is_gzip(self) -> bool {
        match self {
            Self::Pcap { gzip, .. } | Self::PcapNg { gzip } => gzip,
        }
    }
}

impl fmt::Display for FileFormat {
    /// `pcap (microsecond timestamps, little-endian)`, `pcapng, gzip-compressed`...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Pcap {
                nanos, big_endian, ..
            } => write!(
                f,
                "pcap ({} timestamps, {}-endian)",
                if nanos { "nanosecond" } else { "microsecond" },
                if big_endian { "big" } else { "little" }
            )?,
            Self::PcapNg { .. } => f.write_str("pcapng")?,
        }
        if self.is_gzip() {
            f.write_str(", gzip-compressed")?;
        }
        Ok(())
    }
}

/// Bytes looked at to recognise the format: a pcap file header, or the smallest section header
/// block.
const PROBE_LEN: usize = 28;

/// The smallest pcapng Section Header Block.
const SHB_MIN_LEN: usize = 28;

enum Parser {
    Pcap(PcapParser),
    PcapNg(NgParser),
}

/// A capture file read frame by frame.
///
/// Frames are numbered from 1 over the whole file. Timestamps are UTC; frames from pcapng Simple
/// Packet Blocks, which have none, get 0 (1970-01-01). [`PacketRef::interface`] numbers pcapng
/// interfaces over the whole file (a second section's first interface comes after the first
/// section's last), and is 0 for pcap. Each frame borrows the source until the next call to
/// [`PacketSource::next_packet`]; no memory is allocated per frame.
///
/// Errors: a record that goes past the end of the input gives
/// [`CaptureError::TruncatedRecord`] after every earlier frame was returned; an inconsistent
/// record gives [`CaptureError::Corrupt`]. After either, the source is finished and returns
/// `Ok(None)`. A pcapng interface with a link type `decode` does not know gives
/// [`CaptureError::UnsupportedLinkType`] when its description block is read; reading may go on
/// after that one.
///
/// # Examples
///
/// ```
/// use capture::{FileSource, PacketSource};
/// # fn main() -> Result<(), capture::CaptureError> {
/// // A pcap file header (microseconds, Ethernet) and one 4-byte frame.
/// let mut bytes = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
/// bytes.extend_from_slice(&[0; 8]);
/// bytes.extend_from_slice(&65535u32.to_le_bytes());
/// bytes.extend_from_slice(&1u32.to_le_bytes());
/// for field in [1_700_000_000u32, 250_000, 4, 60] {
///     bytes.extend_from_slice(&field.to_le_bytes());
/// }
/// bytes.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
///
/// let mut source = FileSource::from_bytes("example.pcap", bytes)?;
/// let frame = source.next_packet()?.expect("one frame");
/// assert_eq!(frame.frame, 1);
/// assert_eq!(frame.ts.to_string(), "1700000000.250000000");
/// assert_eq!((frame.caplen, frame.origlen), (4, 60));
/// assert_eq!(frame.data, &[0xde, 0xad, 0xbe, 0xef]);
/// assert!(source.next_packet()?.is_none());
/// # Ok(())
/// # }
/// ```
pub struct FileSource {
    /// The path as given (`-` for standard input).
    path: PathBuf,
    /// The name used in error messages (`<stdin>` for standard input).
    name: PathBuf,
    input: Input,
    parser: Parser,
    format: FileFormat,
    /// Frames returned so far.
    frames: u64,
    /// Length of the last frame's record, consumed at the start of the next call.
    pending: usize,
    /// Where the last frame's bytes start in its record.
    pending_data: usize,
    /// An error ended the file.
    done: bool,
    total: Option<u64>,
    /// Raw (compressed) bytes read, for streams.
    raw_read: Option<Arc<AtomicU64>>,
}

impl fmt::Debug for FileSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSource")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl FileSource {
    /// Opens a capture file, read through a bounded buffer (256 KiB, growing only for records
    /// longer than that, up to 16 MiB) reused for every frame. (A memory-mapped mode was
    /// measured slower than this in `benches/benches/capture_file.rs`, and made peak memory as
    /// large as the file, so it was removed with the crate's only `unsafe`.)
    ///
    /// The format is recognised from the content, not the name: pcap (either byte order,
    /// microsecond or nanosecond), pcapng, or either of them gzip-compressed.
    ///
    /// # Errors
    /// [`CaptureError::Open`] if the file cannot be opened, [`CaptureError::NotACapture`],
    /// [`CaptureError::TruncatedHeader`], [`CaptureError::Gzip`], or
    /// [`CaptureError::UnsupportedLinkType`] for a pcap file whose link type `decode` does not
    /// know.
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        Self::open_file(path, false)
    }

    /// Opens a capture file as [`FileSource::open`] does, reading it into blocks that frames
    /// can be handed to other threads in without copying: after each frame,
    /// [`FileSource::frame_block`] gives its block and offset. A block is never written once
    /// handed out; it is reused when every holder has dropped it, so holders should let go
    /// soon (each one held keeps 256 KiB, or the length of a longer record, alive).
    ///
    /// A gzip-compressed file is decompressed as with `open`, and its frames have no block.
    ///
    /// # Errors
    /// As [`FileSource::open`].
    pub fn open_shared(path: &Path) -> Result<Self, CaptureError> {
        Self::open_file(path, true)
    }

    /// [`open`](Self::open), or with `shared` [`open_shared`](Self::open_shared).
    fn open_file(path: &Path, shared: bool) -> Result<Self, CaptureError> {
        let open_err = |source| CaptureError::Open {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(open_err)?;
        let meta = file.metadata().map_err(open_err)?;
        if meta.is_dir() {
            return Err(open_err(io::Error::other("is a directory")));
        }
        let total = meta.is_file().then_some(meta.len());
        Self::open_input(
            path.to_path_buf(),
            path.to_path_buf(),
            Box::new(file),
            total,
            true,
            shared,
        )
    }

    /// Reads a capture from standard input (streamed). [`FileSource::path`] is `-`; errors say
    /// `<stdin>`.
    ///
    /// # Errors
    /// As [`FileSource::open`], except `Open`.
    pub fn stdin() -> Result<Self, CaptureError> {
        Self::stream(
            PathBuf::from("-"),
            PathBuf::from("<stdin>"),
            Box::new(io::stdin()),
            None,
        )
    }

    /// Reads a capture from any reader (streamed); `name` is used as the path. Wrap the reader
    /// to observe progress; [`FileSource::total_bytes`] is `None`.
    ///
    /// # Errors
    /// As [`FileSource::open`], except `Open`.
    pub fn from_reader<R: Read + Send + 'static>(
        name: impl Into<PathBuf>,
        reader: R,
    ) -> Result<Self, CaptureError> {
        let name = name.into();
        Self::stream(name.clone(), name, Box::new(reader), None)
    }

    /// Reads a capture held in memory, parsed in place (streamed through the decompressor if it
    /// is gzip); `name` is used as the path. Used by tests and the fuzzer.
    ///
    /// # Errors
    /// As [`FileSource::open`], except `Open`.
    pub fn from_bytes(name: impl Into<PathBuf>, bytes: Vec<u8>) -> Result<Self, CaptureError> {
        let name = name.into();
        let total = Some(bytes.len() as u64);
        if bytes.starts_with(&[0x1f, 0x8b]) {
            return Self::stream(name.clone(), name, Box::new(io::Cursor::new(bytes)), total);
        }
        let input = Input::InPlace {
            backing: Backing::Owned(bytes),
            pos: 0,
        };
        Self::start(name.clone(), name, input, total, None)
    }

    /// Sets up a streaming source, putting a gzip decompressor in front if the data is gzip.
    fn stream(
        path: PathBuf,
        name: PathBuf,
        reader: Box<dyn Read + Send>,
        total: Option<u64>,
    ) -> Result<Self, CaptureError> {
        Self::stream_ahead(path, name, reader, total, false)
    }

    /// [`stream`](Self::stream); with `ahead`, a gzip file is read and decompressed on a thread
    /// of its own, a few MiB ahead ([`ReadAhead`]). Files only: a thread blocked on a pipe or a
    /// terminal would outlive the source. Plain files are read directly: reading ahead gained
    /// about 5 % wall time there and cost a third more CPU time (`flows` on 560 MB), while
    /// decompression in parallel gains 12-15 % wall time.
    fn stream_ahead(
        path: PathBuf,
        name: PathBuf,
        reader: Box<dyn Read + Send>,
        total: Option<u64>,
        ahead: bool,
    ) -> Result<Self, CaptureError> {
        Self::open_input(path, name, reader, total, ahead, false)
    }

    /// [`stream_ahead`](Self::stream_ahead); with `shared`, plain (not gzip) bytes are read
    /// into shareable blocks ([`FileSource::open_shared`]).
    fn open_input(
        path: PathBuf,
        name: PathBuf,
        reader: Box<dyn Read + Send>,
        total: Option<u64>,
        ahead: bool,
        shared: bool,
    ) -> Result<Self, CaptureError> {
        let raw_read = Arc::new(AtomicU64::new(0));
        let io_err = |name: &PathBuf| {
            let name = name.clone();
            move |source| CaptureError::Io { path: name, source }
        };
        let counted = Box::new(CountingReader::new(reader, Arc::clone(&raw_read)));
        let mut plain = if shared {
            Input::Shared(SharedBuf::new(counted, MAX_RECORD_LEN))
        } else {
            Input::Stream(StreamBuf::new(counted, MAX_RECORD_LEN))
        };
        if let Err(source) = plain.fill(2) {
            return Err(CaptureError::Io { path: name, source });
        }
        if !plain.window().starts_with(&[0x1f, 0x8b]) {
            return Self::start(path, name, plain, total, Some(raw_read));
        }
        // Gzip: decompress the bytes already buffered, then the rest of the reader.
        let (head, rest) = plain.into_parts();
        let gz = MultiGzDecoder::new(io::Cursor::new(head).chain(rest));
        let gz: Box<dyn Read + Send> = if ahead {
            Box::new(ReadAhead::spawn(gz).map_err(io_err(&name))?)
        } else {
            Box::new(gz)
        };
        let mut unzipped = StreamBuf::new(gz, MAX_RECORD_LEN);
        if let Err(source) = unzipped.fill(PROBE_LEN) {
            return Err(CaptureError::Gzip {
                path: name,
                frame: 1,
                offset: 0,
                source,
            });
        }
        let mut src = Self::start(path, name, Input::Stream(unzipped), total, Some(raw_read))?;
        match &mut src.format {
            FileFormat::Pcap { gzip, .. } | FileFormat::PcapNg { gzip } => *gzip = true,
        }
        Ok(src)
    }

    /// Recognises the format from the first bytes and reads the pcap file header.
    fn start(
        path: PathBuf,
        name: PathBuf,
        mut input: Input,
        total: Option<u64>,
        raw_read: Option<Arc<AtomicU64>>,
    ) -> Result<Self, CaptureError> {
        let available = match input.fill(PROBE_LEN) {
            Ok(n) => n,
            Err(source) => return Err(CaptureError::Io { path: name, source }),
        };
        let head = input.window();
        let (parser, format) = if is_pcapng(head) {
            if available < SHB_MIN_LEN {
                return Err(CaptureError::TruncatedHeader {
                    path: name,
                    needed: SHB_MIN_LEN as u64,
                    available: available as u64,
                });
            }
            (
                Parser::PcapNg(NgParser::default()),
                FileFormat::PcapNg { gzip: false },
            )
        } else if let Some(p) = PcapParser::from_header(head) {
            if !p.link.is_supported() {
                return Err(CaptureError::UnsupportedLinkType {
                    path: name,
                    linktype: p.linktype,
                    interface: None,
                });
            }
            let format = FileFormat::Pcap {
                nanos: p.nanos,
                big_endian: p.endian == record::Endian::Big,
                gzip: false,
            };
            input.consume(FILE_HEADER_LEN);
            (Parser::Pcap(p), format)
        } else if available < FILE_HEADER_LEN && is_pcap_magic(head) {
            return Err(CaptureError::TruncatedHeader {
                path: name,
                needed: FILE_HEADER_LEN as u64,
                available: available as u64,
            });
        } else {
            return Err(CaptureError::NotACapture {
                path: name,
                found: describe_magic(head),
            });
        };
        Ok(Self {
            path,
            name,
            input,
            parser,
            format,
            frames: 0,
            pending: 0,
            pending_data: 0,
            done: false,
            total,
            raw_read,
        })
    }

    /// The path as given (`-` for standard input).
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The container format, and whether it was gzip-compressed.
    #[must_use]
    pub const fn format(&self) -> FileFormat {
        self.format
    }

    /// Whether the bytes are read through the streaming buffer (files, pipes, gzip), not
    /// parsed in place ([`FileSource::from_bytes`] of uncompressed bytes).
    #[must_use]
    pub const fn is_streamed(&self) -> bool {
        matches!(self.input, Input::Stream(_) | Input::Shared(_))
    }

    /// The link type of a pcap file; for pcapng, the link type of the file's first interface
    /// once its description block has been read (`None` before).
    #[must_use]
    pub fn link_type(&self) -> Option<LinkType> {
        match &self.parser {
            Parser::Pcap(p) => Some(p.link),
            Parser::PcapNg(p) => p.first_link,
        }
    }

    /// The snapshot length in a pcap file header (`None` for pcapng, where each interface has
    /// its own).
    #[must_use]
    pub const fn snaplen(&self) -> Option<u32> {
        match &self.parser {
            Parser::Pcap(p) => Some(p.snaplen),
            Parser::PcapNg(_) => None,
        }
    }

    /// The block holding the bytes of the frame last returned by
    /// [`next_packet`](PacketSource::next_packet), and where they start in it: the frame's
    /// `data` is `block.bytes()[start..start + caplen]`, for as long as the block is held.
    /// `None` unless the source was opened with [`FileSource::open_shared`] (and is not gzip),
    /// or before the first frame.
    #[must_use]
    pub fn frame_block(&self) -> Option<(&SharedBlock, usize)> {
        match &self.input {
            Input::Shared(s) if self.pending > 0 => Some((s.block(), s.start + self.pending_data)),
            _ => None,
        }
    }

    /// Number of frames returned so far.
    #[must_use]
    pub const fn frames_read(&self) -> u64 {
        self.frames
    }

    /// Bytes of the file read so far, comparable with [`FileSource::total_bytes`] (compressed
    /// bytes for gzip; for streams this includes read-ahead).
    #[must_use]
    pub fn bytes_read(&self) -> u64 {
        match &self.raw_read {
            Some(count) => count.load(Ordering::Relaxed),
            None => self.input.offset() + self.pending as u64,
        }
    }

    /// Size of the file in bytes (compressed size for gzip), `None` for standard input, pipes
    /// and readers.
    #[must_use]
    pub const fn total_bytes(&self) -> Option<u64> {
        self.total
    }

    fn corrupt(&mut self, what: String) -> CaptureError {
        self.done = true;
        CaptureError::Corrupt {
            path: self.name.clone(),
            frame: self.frames + 1,
            offset: self.input.offset(),
            what,
        }
    }

    fn read_error(&mut self, source: io::Error) -> CaptureError {
        self.done = true;
        let path = self.name.clone();
        let gzip_data = matches!(
            source.kind(),
            io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
        );
        if self.format.is_gzip() && gzip_data {
            CaptureError::Gzip {
                path,
                frame: self.frames + 1,
                offset: self.input.offset(),
                source,
            }
        } else {
            CaptureError::Io { path, source }
        }
    }

    /// The record at `offset` needs `needed` bytes but only `available` are left.
    fn truncated(&mut self, offset: u64, needed: u64, available: u64) -> CaptureError {
        self.done = true;
        CaptureError::TruncatedRecord {
            path: self.name.clone(),
            frame: self.frames + 1,
            offset,
            needed,
            available,
        }
    }

    /// Parses the record at the start of the window, reading more as the parser asks.
    /// `Ok(None)` at the end of the input.
    fn next_step(&mut self) -> Result<Option<Step>, CaptureError> {
        // Most frames are already in the window: read only when it is empty or the parser
        // asks for more.
        let mut have = self.input.window().len();
        if have == 0 {
            have = match self.input.fill(1) {
                Ok(n) => n,
                Err(e) => return Err(self.read_error(e)),
            };
        }
        if have == 0 {
            return Ok(None);
        }
        loop {
            let window = self.input.window();
            let step = match &mut self.parser {
                Parser::Pcap(p) => p.step(window),
                Parser::PcapNg(p) => p.step(window),
            };
            let Step::Need(need) = step else {
                return Ok(Some(step));
            };
            if need <= have {
                return Err(self.corrupt(format!(
                    "internal error: parser asked for {need} bytes with {have} available"
                )));
            }
            have = match self.input.fill(need) {
                Ok(n) => n,
                Err(e) => return Err(self.read_error(e)),
            };
            if have < need {
                let offset = self.input.offset();
                return Err(self.truncated(offset, need as u64, have as u64));
            }
        }
    }
}

impl PacketSource for FileSource {
    fn next_packet(&mut self) -> Result<Option<PacketRef<'_>>, CaptureError> {
        if self.pending > 0 {
            self.input.consume(self.pending);
            self.pending = 0;
        }
        loop {
            if self.done {
                return Ok(None);
            }
            let Some(step) = self.next_step()? else {
                return Ok(None);
            };
            match step {
                Step::Frame(f) => {
                    let range = f.data_start..f.data_start.saturating_add(f.caplen as usize);
                    if self.input.window().get(range.clone()).is_none() {
                        return Err(self.corrupt("internal error: frame outside its record".into()));
                    }
                    self.pending = f.record_len;
                    self.pending_data = f.data_start;
                    self.frames += 1;
                    let data = self.input.window().get(range).unwrap_or_default();
                    return Ok(Some(PacketRef {
                        frame: self.frames,
                        ts: f.ts,
                        caplen: f.caplen,
                        origlen: f.origlen,
                        link: f.link,
                        interface: f.interface,
                        data,
                    }));
                }
                Step::Skip(len) => self.input.consume(len),
                Step::SkipUnread(len) => {
                    let start = self.input.offset();
                    match self.input.skip(len) {
                        Ok(skipped) if skipped == len => {}
                        Ok(skipped) => return Err(self.truncated(start, len, skipped)),
                        Err(e) => return Err(self.read_error(e)),
                    }
                }
                Step::UnsupportedLink {
                    linktype,
                    interface,
                    len,
                } => {
                    self.input.consume(len);
                    return Err(CaptureError::UnsupportedLinkType {
                        path: self.name.clone(),
                        linktype,
                        interface: Some(interface),
                    });
                }
                Step::Corrupt(what) => return Err(self.corrupt(what)),
                Step::Need(_) => {
                    return Err(self.corrupt("internal error: unexpected parser state".into()))
                }
            }
        }
    }
}

/// Whether `head` starts with one of the four pcap magics.
fn is_pcap_magic(head: &[u8]) -> bool {
    matches!(
        head.get(..4),
        Some(
            [0xd4, 0xc3, 0xb2, 0xa1]
                | [0x4d, 0x3c, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0xc3, 0xd4]
                | [0xa1, 0xb2, 0x3c, 0x4d]
        )
    )
}

/// Says what the start of a non-capture looks like.
fn describe_magic(head: &[u8]) -> String {
    let compressed = |what: &str, tool: &str| {
        format!("{what}-compressed data: decompress it first, e.g. with `{tool}`")
    };
    match head {
        [] => "the file is empty".to_owned(),
        [0x1f, 0x8b, ..] => "gzip data inside gzip data".to_owned(),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => compressed("zstd", "zstd -d"),
        [0xfd, b'7', b'z', b'X', b'Z', ..] => compressed("xz", "xz -d"),
        [b'B', b'Z', b'h', ..] => compressed("bzip2", "bzip2 -d"),
        [0x04, 0x22, 0x4d, 0x18, ..] => compressed("lz4", "lz4 -d"),
        [0x34, 0xcd, 0xb2, 0xa1, ..] | [0xa1, 0xb2, 0xcd, 0x34, ..] => {
            "a modified (Kuznetzov) pcap file, which is not supported".to_owned()
        }
        short if short.len() < 4 => {
            format!("only {} byte(s): {}", short.len(), hex(short))
        }
        _ => format!("starts with {}", hex(head.get(..4).unwrap_or_default())),
    }
}
