//! Where the bytes of a capture file come from: an owned buffer parsed in place, or a bounded
//! streaming buffer over any reader.
//!
//! Both offer the same small interface to the record parser: a *window* (the unconsumed bytes
//! currently available, starting at a record boundary), `fill(n)` to make it at least `n` bytes
//! long if the input has them, `consume(n)` and `skip(n)`.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::shared::SharedBuf;

/// The first buffer of a streaming input. Large enough for a few hundred typical frames per read.
const INITIAL_STREAM_BUFFER: usize = 256 * 1024;

/// Bytes parsed in place: a buffer handed to us (`FileSource::from_bytes`).
pub(super) enum Backing {
    /// Bytes owned by the source.
    Owned(Vec<u8>),
}

impl Backing {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::Owned(bytes) => bytes,
        }
    }
}

/// A reader that counts the bytes it hands out, for progress reporting.
pub(super) struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> CountingReader<R> {
    /// Wraps `inner`; `count` grows by every byte read.
    pub(super) fn new(inner: R, count: Arc<AtomicU64>) -> Self {
        Self { inner, count }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// An error for a window of `n` bytes asked of a buffer bounded to `max` (the parsers never
/// ask for more than a record's length, itself bounded: a bug if it happens).
pub(super) fn check_request(n: usize, max: usize) -> io::Result<()> {
    if n > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("internal error: {n} bytes requested from a {max} byte buffer"),
        ));
    }
    Ok(())
}

/// One read into `space`, the bytes after `*end`: moves `*end` on, or sets `*eof` when the
/// reader has ended. Interrupted reads are retried by the caller's loop.
pub(super) fn read_more(
    reader: &mut Box<dyn Read + Send>,
    space: &mut [u8],
    end: &mut usize,
    eof: &mut bool,
) -> io::Result<()> {
    match reader.read(space) {
        Ok(0) => *eof = true,
        Ok(k) => *end += k,
        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
        Err(e) => return Err(e),
    }
    Ok(())
}

/// A bounded buffer over a reader. The buffer is allocated once, grows only when a record is
/// longer than it (up to `max`), and is reused for every record.
pub(super) struct StreamBuf {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    /// Start of the unconsumed bytes in `buf`.
    start: usize,
    /// End of the valid bytes in `buf`.
    end: usize,
    /// The reader returned 0.
    eof: bool,
    /// Stream offset of `buf[start]`.
    pub(super) offset: u64,
    /// The buffer never grows beyond this.
    max: usize,
}

impl StreamBuf {
    /// A buffer over `reader` that grows up to `max` bytes.
    pub(super) fn new(reader: Box<dyn Read + Send>, max: usize) -> Self {
        Self {
            reader,
            buf: vec![0; INITIAL_STREAM_BUFFER.min(max)],
            start: 0,
            end: 0,
            eof: false,
            offset: 0,
            max,
        }
    }

    /// Gives back the bytes read but not consumed, and the reader (to put a decompressor
    /// between them).
    pub(super) fn into_parts(mut self) -> (Vec<u8>, Box<dyn Read + Send>) {
        self.buf.truncate(self.end);
        self.buf.drain(..self.start);
        (self.buf, self.reader)
    }

    /// The unconsumed bytes.
    pub(super) fn window(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    /// Reads until the window holds `n` bytes or the reader ends; returns the window length.
    pub(super) fn fill(&mut self, n: usize) -> io::Result<usize> {
        check_request(n, self.max)?;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        while self.end - self.start < n && !self.eof {
            if self.buf.len() - self.start < n {
                // Not enough room after the window: move it to the front, then grow if needed.
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
                if self.buf.len() < n {
                    let new_len = n.max(self.buf.len().saturating_mul(2)).min(self.max);
                    self.buf.resize(new_len, 0);
                }
            }
            let Some(space) = self.buf.get_mut(self.end..) else {
                break;
            };
            read_more(&mut self.reader, space, &mut self.end, &mut self.eof)?;
        }
        Ok(self.end - self.start)
    }

    pub(super) fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.offset += n as u64;
    }

    pub(super) fn skip(&mut self, n: u64) -> io::Result<u64> {
        let buffered = (self.end - self.start) as u64;
        if n <= buffered {
            // n fits in usize because it is at most the buffered length.
            self.consume(n as usize);
            return Ok(n);
        }
        let mut skipped = buffered;
        self.offset += buffered;
        self.start = 0;
        self.end = 0;
        while skipped < n && !self.eof {
            match self.reader.read(&mut self.buf) {
                Ok(0) => self.eof = true,
                Ok(k) => {
                    let left = n - skipped;
                    if (k as u64) > left {
                        // `left` < k, so it fits in usize.
                        let left = left as usize;
                        self.start = left;
                        self.end = k;
                        skipped = n;
                        self.offset += left as u64;
                    } else {
                        skipped += k as u64;
                        self.offset += k as u64;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(skipped)
    }
}

/// The bytes of a capture, in place or streamed.
pub(super) enum Input {
    /// The whole capture in memory; `pos` is the start of the window.
    InPlace {
        /// The bytes.
        backing: Backing,
        /// Start of the unconsumed bytes.
        pos: usize,
    },
    /// A bounded buffer over a reader.
    Stream(StreamBuf),
    /// A bounded buffer over a reader, in blocks that frames can be shared in.
    Shared(SharedBuf),
}

impl Input {
    /// Gives back the bytes read but not consumed, and the reader (to put a decompressor
    /// between them).
    pub(super) fn into_parts(self) -> (Vec<u8>, Box<dyn Read + Send>) {
        match self {
            Self::InPlace { backing, pos } => (
                backing.bytes().get(pos..).unwrap_or_default().to_vec(),
                Box::new(io::empty()),
            ),
            Self::Stream(s) => s.into_parts(),
            Self::Shared(s) => s.into_parts(),
        }
    }

    /// The unconsumed bytes available now.
    pub(super) fn window(&self) -> &[u8] {
        match self {
            Self::InPlace { backing, pos } => backing.bytes().get(*pos..).unwrap_or_default(),
            Self::Stream(s) => s.window(),
            Self::Shared(s) => s.window(),
        }
    }

    /// Makes the window at least `n` bytes long if the input has that many left, and returns
    /// its length (smaller than `n` only at the end of the input).
    pub(super) fn fill(&mut self, n: usize) -> io::Result<usize> {
        match self {
            Self::InPlace { .. } => Ok(self.window().len()),
            Self::Stream(s) => s.fill(n),
            Self::Shared(s) => s.fill(n),
        }
    }

    /// Drops the first `n` bytes of the window (at most the whole window).
    pub(super) fn consume(&mut self, n: usize) {
        match self {
            Self::InPlace { backing, pos } => {
                *pos = pos.saturating_add(n).min(backing.bytes().len());
            }
            Self::Stream(s) => s.consume(n),
            Self::Shared(s) => s.consume(n),
        }
    }

    /// Skips `n` bytes, reading past the window if needed, and returns how many were skipped
    /// (fewer than `n` only at the end of the input).
    pub(super) fn skip(&mut self, n: u64) -> io::Result<u64> {
        match self {
            Self::InPlace { backing, pos } => {
                let left = (backing.bytes().len() - *pos) as u64;
                let k = n.min(left);
                // k <= left, which is a usize.
                *pos += k as usize;
                Ok(k)
            }
            Self::Stream(s) => s.skip(n),
            Self::Shared(s) => s.skip(n),
        }
    }

    /// Offset of the window's first byte from the start of the (decompressed) capture.
    pub(super) fn offset(&self) -> u64 {
        match self {
            Self::InPlace { pos, .. } => *pos as u64,
            Self::Stream(s) => s.offset,
            Self::Shared(s) => s.offset,
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A reader that hands out at most `chunk` bytes per call, then fails with `err` (if set)
    /// instead of ending.
    pub(in crate::file) struct Trickle {
        pub(in crate::file) data: Vec<u8>,
        pub(in crate::file) pos: usize,
        pub(in crate::file) chunk: usize,
        pub(in crate::file) err: Option<io::ErrorKind>,
    }

    impl Trickle {
        /// `data`, at most `chunk` bytes per read, then the end.
        pub(in crate::file) fn boxed(data: Vec<u8>, chunk: usize) -> Box<Self> {
            Box::new(Self {
                data,
                pos: 0,
                chunk,
                err: None,
            })
        }
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.chunk).min(self.data.len() - self.pos);
            if n == 0 && !buf.is_empty() {
                if let Some(kind) = self.err {
                    return Err(io::Error::new(kind, "cut"));
                }
            }
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn stream(data: Vec<u8>, chunk: usize, max: usize) -> Input {
        Input::Stream(StreamBuf::new(Trickle::boxed(data, chunk), max))
    }

    #[test]
    fn stream_fill_consume_skip_track_offsets() {
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let mut input = stream(data.clone(), 7, 1024);
        assert_eq!(input.fill(100).unwrap(), 105);
        assert_eq!(&input.window()[..100], &data[..100]);
        input.consume(60);
        assert_eq!(input.offset(), 60);
        assert!(input.fill(1000).unwrap() >= 1000);
        assert_eq!(&input.window()[..1000], &data[60..1060]);
        assert_eq!(input.skip(5000).unwrap(), 5000);
        assert_eq!(input.offset(), 5060);
        input.fill(10).unwrap();
        assert_eq!(&input.window()[..10], &data[5060..5070]);
        assert_eq!(input.skip(1_000_000).unwrap(), 10_000 - 5060);
        assert_eq!(input.fill(1).unwrap(), 0);
    }

    #[test]
    fn stream_buffer_is_bounded() {
        let mut input = stream(vec![0; 5000], 4096, 1024);
        assert!(input.fill(1025).is_err());
        assert_eq!(input.fill(1024).unwrap(), 1024);
    }

    #[test]
    fn in_place_is_a_slice() {
        let mut input = Input::InPlace {
            backing: Backing::Owned(vec![1, 2, 3, 4, 5]),
            pos: 0,
        };
        assert_eq!(input.fill(100).unwrap(), 5);
        input.consume(2);
        assert_eq!(input.window(), &[3, 4, 5]);
        assert_eq!(input.skip(10).unwrap(), 3);
        assert_eq!(input.offset(), 5);
        assert!(input.window().is_empty());
    }
}
