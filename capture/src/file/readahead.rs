//! Reading ahead on a thread of its own, so that gzip decompression runs beside packet
//! processing instead of in front of it.
//!
//! Measured with `flowsleuth flows` on a 560 MB capture (1M packets) on 2 cores, alternating
//! runs: gzip-compressed (337 MB), 2.67-2.90 s read directly, 2.27-2.61 s behind a
//! [`ReadAhead`]. For the plain file the gain was about 5 % of wall time for a third more CPU
//! time (the kernel's copy into blocks that the other core last touched is slower), so plain
//! files are read directly.

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// Bytes per block read ahead.
const BLOCK: usize = 1 << 20;
/// Blocks read ahead at most (memory: this many + 2 blocks).
const AHEAD: usize = 4;

/// A reader whose input is read by a background thread, at most [`AHEAD`] blocks of [`BLOCK`]
/// bytes ahead of the consumer. Errors arrive in order, after the bytes read before them. The
/// thread ends at the end of the input, at an error, or when the `ReadAhead` is dropped (after
/// its current read).
pub(super) struct ReadAhead {
    rx: Receiver<io::Result<Vec<u8>>>,
    back: SyncSender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
    done: bool,
    thread: Option<JoinHandle<()>>,
}

impl ReadAhead {
    /// Starts reading `inner` on a new thread.
    ///
    /// # Errors
    /// The operating system's error when the thread cannot be started.
    pub(super) fn spawn<R: Read + Send + 'static>(inner: R) -> io::Result<Self> {
        let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(AHEAD);
        let (back, back_rx) = sync_channel::<Vec<u8>>(AHEAD + 2);
        let thread = std::thread::Builder::new()
            .name("capture-read".into())
            .spawn(move || fill(inner, &tx, &back_rx))?;
        Ok(ReadAhead {
            rx,
            back,
            cur: Vec::new(),
            pos: 0,
            done: false,
            thread: Some(thread),
        })
    }
}

/// The thread: reads blocks until the end, an error, or a consumer that is gone.
fn fill<R: Read>(mut inner: R, tx: &SyncSender<io::Result<Vec<u8>>>, back: &Receiver<Vec<u8>>) {
    loop {
        // Recycled blocks come back with their length: resizing zeroes only the rest.
        let mut buf = back.try_recv().unwrap_or_default();
        buf.resize(BLOCK, 0);
        let n = loop {
            match inner.read(&mut buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        match n {
            Ok(0) => {
                let _ = tx.send(Ok(Vec::new()));
                return;
            }
            Ok(n) => {
                buf.truncate(n);
                if tx.send(Ok(buf)).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(avail) = self.cur.get(self.pos..).filter(|a| !a.is_empty()) {
                let n = avail.len().min(out.len());
                out[..n].copy_from_slice(&avail[..n]);
                self.pos += n;
                return Ok(n);
            }
            if self.done || out.is_empty() {
                return Ok(0);
            }
            let used = std::mem::take(&mut self.cur);
            if used.capacity() > 0 {
                let _ = self.back.try_send(used);
            }
            self.pos = 0;
            match self.rx.recv() {
                Ok(Ok(block)) if !block.is_empty() => self.cur = block,
                Ok(Ok(_)) | Err(_) => self.done = true,
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
            }
        }
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        // Unblock the thread (its sends now fail) and wait for its current read to end, so no
        // thread outlives the source.
        let (_, rx) = sync_channel(0);
        drop(std::mem::replace(&mut self.rx, rx));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::input::tests::Trickle;
    use super::*;

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[test]
    fn same_bytes_in_order_then_the_error() {
        let want = data(3 * BLOCK + 12_345);
        for (chunk, err) in [
            (BLOCK, None),
            (70_001, None),
            (4096, Some(io::ErrorKind::UnexpectedEof)),
        ] {
            let src = Trickle {
                data: want.clone(),
                pos: 0,
                chunk,
                err,
            };
            let Ok(mut r) = ReadAhead::spawn(src) else {
                panic!("no thread");
            };
            let mut got = Vec::new();
            let mut buf = vec![0; 65_537];
            let end = loop {
                match r.read(&mut buf) {
                    Ok(0) => break None,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) => break Some(e.kind()),
                }
            };
            assert_eq!(got.len(), want.len());
            assert!(got == want);
            assert_eq!(end, err);
            // After the end or the error: the end.
            assert_eq!(r.read(&mut buf).unwrap(), 0);
        }
    }

    /// Dropping the reader early ends the thread (the drop joins it, so this would hang).
    #[test]
    fn drop_mid_stream_ends_the_thread() {
        let src = Trickle {
            data: data(20 * BLOCK),
            pos: 0,
            chunk: BLOCK,
            err: None,
        };
        let Ok(mut r) = ReadAhead::spawn(src) else {
            panic!("no thread");
        };
        let mut buf = [0u8; 10];
        assert_eq!(r.read(&mut buf).unwrap(), 10);
        drop(r);
    }
}
