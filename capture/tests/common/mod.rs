//! Helpers shared by the integration tests: capture files built byte by byte, a temporary
//! directory, and a way to drain a source into owned frames.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use capture::{CaptureError, FileSource, PacketRef, PacketSource, Timestamp};
use decode::LinkType;

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "flowsleuth-capture-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A frame copied out of a source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owned {
    pub frame: u64,
    pub ts: Timestamp,
    pub caplen: u32,
    pub origlen: u32,
    pub link: LinkType,
    pub interface: u32,
    pub data: Vec<u8>,
}

impl From<&PacketRef<'_>> for Owned {
    fn from(p: &PacketRef<'_>) -> Self {
        Self {
            frame: p.frame,
            ts: p.ts,
            caplen: p.caplen,
            origlen: p.origlen,
            link: p.link,
            interface: p.interface,
            data: p.data.to_vec(),
        }
    }
}

/// Reads every frame; returns them and the error that ended the source, if any. Checks the
/// invariants every source must keep on the way.
pub fn drain(src: &mut impl PacketSource) -> (Vec<Owned>, Option<CaptureError>) {
    let mut out: Vec<Owned> = Vec::new();
    loop {
        match src.next_packet() {
            Ok(Some(p)) => {
                assert_eq!(p.caplen as usize, p.data.len(), "caplen must be data.len()");
                // Frames are numbered 1, 2, 3... (a drain may start after an earlier error).
                let want = out.last().map_or(p.frame, |l: &Owned| l.frame + 1);
                assert!(
                    p.frame >= 1 && p.frame == want,
                    "frame {} after {want}",
                    p.frame
                );
                out.push(Owned::from(&p));
            }
            Ok(None) => return (out, None),
            Err(e) => {
                // After an error other than an unsupported link type, the source is over.
                if !matches!(e, CaptureError::UnsupportedLinkType { .. }) {
                    assert!(
                        matches!(src.next_packet(), Ok(None)),
                        "source must end after {e}"
                    );
                }
                return (out, Some(e));
            }
        }
    }
}

/// Like [`drain`], but goes on after `UnsupportedLinkType` errors, collecting them.
pub fn drain_all(src: &mut impl PacketSource) -> (Vec<Owned>, Vec<String>) {
    let mut frames = Vec::new();
    let mut errors = Vec::new();
    loop {
        let (mut got, err) = drain(src);
        frames.append(&mut got);
        match err {
            Some(e @ CaptureError::UnsupportedLinkType { .. }) => errors.push(e.to_string()),
            Some(e) => {
                errors.push(e.to_string());
                return (frames, errors);
            }
            None => return (frames, errors),
        }
    }
}

/// Frame numbers restart in each `drain`: renumber for comparisons.
pub fn frames_of(src: &mut FileSource) -> (Vec<Owned>, Option<String>) {
    let (f, e) = drain(src);
    (f, e.map(|e| e.to_string()))
}

/// [`frames_of`] for a source from [`FileSource::open_shared`]: also checks that every
/// frame's block holds its bytes, and still holds them at the end although the reading went on
/// (every block is kept until then).
pub fn shared_frames_of(src: &mut FileSource) -> (Vec<Owned>, Option<String>) {
    let gzip = src.format().is_gzip();
    let mut held: Vec<(capture::SharedBlock, usize, usize)> = Vec::new();
    let mut out = Vec::new();
    let error = loop {
        let (frame, len) = match src.next_packet() {
            Ok(Some(p)) => {
                out.push(Owned::from(&p));
                (p.frame, p.data.len())
            }
            Ok(None) => break None,
            Err(e) => break Some(e.to_string()),
        };
        match src.frame_block() {
            Some((block, start)) => {
                assert!(!gzip, "frame {frame} of a gzip file has a block");
                held.push((block.clone(), start, len));
            }
            None => assert!(gzip, "frame {frame} has no block"),
        }
    };
    for ((block, start, len), frame) in held.iter().zip(&out) {
        assert_eq!(
            &block.bytes()[*start..*start + *len],
            &frame.data[..],
            "frame {} changed in its block",
            frame.frame
        );
    }
    (out, error)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    Little,
    Big,
}

impl Endian {
    pub fn u16(self, v: u16) -> [u8; 2] {
        match self {
            Self::Little => v.to_le_bytes(),
            Self::Big => v.to_be_bytes(),
        }
    }
    pub fn u32(self, v: u32) -> [u8; 4] {
        match self {
            Self::Little => v.to_le_bytes(),
            Self::Big => v.to_be_bytes(),
        }
    }
    pub fn i64(self, v: i64) -> [u8; 8] {
        match self {
            Self::Little => v.to_le_bytes(),
            Self::Big => v.to_be_bytes(),
        }
    }
}

/// A legacy pcap file, built by hand.
pub struct Pcap {
    pub bytes: Vec<u8>,
    e: Endian,
}

impl Pcap {
    pub fn new(e: Endian, nanos: bool, linktype: u32, snaplen: u32) -> Self {
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let mut bytes = Vec::new();
        bytes.extend(e.u32(magic));
        bytes.extend(e.u16(2));
        bytes.extend(e.u16(4));
        bytes.extend(e.u32(0));
        bytes.extend(e.u32(0));
        bytes.extend(e.u32(snaplen));
        bytes.extend(e.u32(linktype));
        Self { bytes, e }
    }

    /// A record with an explicit caplen (which may lie).
    pub fn raw_record(
        mut self,
        secs: u32,
        frac: u32,
        caplen: u32,
        origlen: u32,
        data: &[u8],
    ) -> Self {
        let e = self.e;
        self.bytes.extend(e.u32(secs));
        self.bytes.extend(e.u32(frac));
        self.bytes.extend(e.u32(caplen));
        self.bytes.extend(e.u32(origlen));
        self.bytes.extend_from_slice(data);
        self
    }

    pub fn record(self, secs: u32, frac: u32, origlen: u32, data: &[u8]) -> Self {
        self.raw_record(secs, frac, data.len() as u32, origlen, data)
    }
}

pub const SHB: u32 = 0x0A0D_0D0A;
pub const IDB: u32 = 1;
pub const PB: u32 = 2;
pub const SPB: u32 = 3;
pub const EPB: u32 = 6;

/// A pcapng file, built block by block (each section in its own byte order).
pub struct Ng {
    pub bytes: Vec<u8>,
    e: Endian,
}

fn pad4(v: &mut Vec<u8>) {
    while v.len() % 4 != 0 {
        v.push(0);
    }
}

impl Ng {
    pub fn new(e: Endian) -> Self {
        Self {
            bytes: Vec::new(),
            e,
        }
        .section(e)
    }

    /// Appends a block with `body` (padded to 32 bits).
    pub fn block(mut self, block_type: u32, body: &[u8]) -> Self {
        let e = self.e;
        let mut body = body.to_vec();
        pad4(&mut body);
        let len = 12 + body.len() as u32;
        self.bytes.extend(e.u32(block_type));
        self.bytes.extend(e.u32(len));
        self.bytes.extend(body);
        self.bytes.extend(e.u32(len));
        self
    }

    /// Starts a new section in byte order `e`.
    pub fn section(mut self, e: Endian) -> Self {
        self.e = e;
        let mut body = Vec::new();
        body.extend(e.u32(0x1A2B_3C4D));
        body.extend(e.u16(1));
        body.extend(e.u16(0));
        body.extend(e.i64(-1));
        self.block(SHB, &body)
    }

    /// An IDB; `options` are `(code, value)`.
    pub fn idb(self, linktype: u16, snaplen: u32, options: &[(u16, Vec<u8>)]) -> Self {
        let e = self.e;
        let mut body = Vec::new();
        body.extend(e.u16(linktype));
        body.extend(e.u16(0));
        body.extend(e.u32(snaplen));
        if !options.is_empty() {
            for (code, value) in options {
                body.extend(e.u16(*code));
                body.extend(e.u16(value.len() as u16));
                body.extend(value);
                pad4(&mut body);
            }
            body.extend([0, 0, 0, 0]);
        }
        self.block(IDB, &body)
    }

    pub fn epb(self, if_id: u32, ticks: u64, origlen: u32, data: &[u8]) -> Self {
        self.epb_raw(if_id, ticks, data.len() as u32, origlen, data)
    }

    pub fn epb_raw(self, if_id: u32, ticks: u64, caplen: u32, origlen: u32, data: &[u8]) -> Self {
        let e = self.e;
        let mut body = Vec::new();
        body.extend(e.u32(if_id));
        body.extend(e.u32((ticks >> 32) as u32));
        body.extend(e.u32(ticks as u32));
        body.extend(e.u32(caplen));
        body.extend(e.u32(origlen));
        body.extend(data);
        pad4(&mut body);
        // An epb_flags option, to make sure options are skipped.
        body.extend(e.u16(2));
        body.extend(e.u16(4));
        body.extend(e.u32(1));
        body.extend([0, 0, 0, 0]);
        self.block(EPB, &body)
    }

    /// An obsolete Packet Block.
    pub fn pb(self, if_id: u16, ticks: u64, origlen: u32, data: &[u8]) -> Self {
        let e = self.e;
        let mut body = Vec::new();
        body.extend(e.u16(if_id));
        body.extend(e.u16(0));
        body.extend(e.u32((ticks >> 32) as u32));
        body.extend(e.u32(ticks as u32));
        body.extend(e.u32(data.len() as u32));
        body.extend(e.u32(origlen));
        body.extend(data);
        self.block(PB, &body)
    }

    pub fn spb(self, origlen: u32, data: &[u8]) -> Self {
        let e = self.e;
        let mut body = Vec::new();
        body.extend(e.u32(origlen));
        body.extend(data);
        self.block(SPB, &body)
    }

    /// Option value helpers.
    pub fn tsresol(v: u8) -> (u16, Vec<u8>) {
        (9, vec![v])
    }

    pub fn tsoffset(&self, secs: i64) -> (u16, Vec<u8>) {
        (14, self.e.i64(secs).to_vec())
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A reader handing out bytes in chunks of the given sizes (cycled), to exercise buffer edges.
pub struct Chunked {
    data: Vec<u8>,
    pos: usize,
    sizes: Vec<usize>,
    next: usize,
}

impl Chunked {
    pub fn new(data: Vec<u8>, sizes: Vec<usize>) -> Self {
        let sizes = if sizes.is_empty() {
            vec![1 << 16]
        } else {
            sizes
        };
        Self {
            data,
            pos: 0,
            sizes,
            next: 0,
        }
    }
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = self.sizes[self.next % self.sizes.len()].max(1);
        self.next += 1;
        let n = buf.len().min(want).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The same capture through every path: parsed in place, streamed in odd chunks, and (when
/// `dir` is given) memory-mapped and streamed from a file. Asserts they agree and returns the
/// frames and the final error message.
pub fn read_every_way(
    bytes: &[u8],
    chunks: Vec<usize>,
    dir: Option<&TempDir>,
) -> (Vec<Owned>, Option<String>) {
    let outcome = |r: Result<FileSource, CaptureError>| match r {
        Ok(mut src) => frames_of(&mut src),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let in_place = outcome(FileSource::from_bytes("cap", bytes.to_vec()));
    let streamed = outcome(FileSource::from_reader(
        "cap",
        Chunked::new(bytes.to_vec(), chunks),
    ));
    assert_eq!(in_place, streamed, "in-place and streamed reads differ");
    if let Some(dir) = dir {
        let path = dir.file("cap", bytes);
        // Same name in messages: run from the directory's file, compare without the path.
        let strip = |(f, e): (Vec<Owned>, Option<String>)| {
            (f, e.map(|e| e.replace(&path.display().to_string(), "cap")))
        };
        let stream = strip(outcome(FileSource::open(&path)));
        assert_eq!(in_place, stream, "in-place and file-stream reads differ");
        let shared = match FileSource::open_shared(&path) {
            Ok(mut src) => shared_frames_of(&mut src),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        assert_eq!(
            in_place,
            strip(shared),
            "in-place and shared-block reads differ"
        );
    }
    in_place
}
