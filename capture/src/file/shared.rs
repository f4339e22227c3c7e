//! A streaming buffer whose blocks can be shared: frames read through it can be handed to
//! other threads by reference (a [`SharedBlock`] and an offset) instead of being copied.
//!
//! It behaves as [`StreamBuf`](super::input::StreamBuf) (a window starting at a record
//! boundary, `fill`, `consume`, `skip`), with one difference: a block that has been handed out
//! is never written again. When the window must grow or move and its block is shared, the
//! unconsumed bytes (the start of one record, typically a few hundred bytes) are copied into
//! another block and reading goes on there. Blocks handed out earlier are reused once every
//! other holder has dropped them, so a steady run allocates a handful of blocks in all.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read};
use std::sync::Arc;

use super::input::{check_request, read_more};

/// Size of a block: large enough for a few hundred typical frames per read, small enough that
/// the blocks held by frames in flight between threads stay a few MiB.
pub(super) const BLOCK_LEN: usize = 256 * 1024;

/// Blocks kept for reuse at most (others are freed when their last holder drops them).
const MAX_SPARE: usize = 64;

/// Bytes of a capture file as read, shared by reference count. Cloning is cheap (no copy);
/// the bytes never change once a clone exists.
#[derive(Clone)]
pub struct SharedBlock(Arc<Vec<u8>>);

impl SharedBlock {
    /// The block's bytes. Frames lie at the offsets [`FileSource::frame_block`] gave for them
    /// (the bytes after the last frame may be unused).
    ///
    /// [`FileSource::frame_block`]: crate::FileSource::frame_block
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether `self` and `other` are the same block (not a comparison of bytes).
    #[must_use]
    pub fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for SharedBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedBlock")
            .field("len", &self.0.len())
            .finish_non_exhaustive()
    }
}

/// A bounded streaming buffer over a reader, in shareable blocks.
pub(super) struct SharedBuf {
    reader: Box<dyn Read + Send>,
    block: SharedBlock,
    /// Start of the unconsumed bytes in the block.
    pub(super) start: usize,
    /// End of the valid bytes in the block.
    end: usize,
    /// The reader returned 0.
    eof: bool,
    /// Stream offset of `block[start]`.
    pub(super) offset: u64,
    /// No block grows beyond this.
    max: usize,
    /// Blocks replaced while shared, oldest first: reused once nobody else holds them.
    spare: VecDeque<SharedBlock>,
}

impl SharedBuf {
    /// A buffer over `reader` whose blocks grow up to `max` bytes (for records that long).
    pub(super) fn new(reader: Box<dyn Read + Send>, max: usize) -> Self {
        Self {
            reader,
            block: SharedBlock(Arc::new(vec![0; BLOCK_LEN.min(max)])),
            start: 0,
            end: 0,
            eof: false,
            offset: 0,
            max,
            spare: VecDeque::new(),
        }
    }

    /// The block holding the window.
    pub(super) const fn block(&self) -> &SharedBlock {
        &self.block
    }

    /// Gives back the bytes read but not consumed, and the reader.
    pub(super) fn into_parts(self) -> (Vec<u8>, Box<dyn Read + Send>) {
        (self.window().to_vec(), self.reader)
    }

    /// The unconsumed bytes.
    pub(super) fn window(&self) -> &[u8] {
        self.block.0.get(self.start..self.end).unwrap_or_default()
    }

    /// Reads until the window holds `n` bytes or the reader ends; returns the window length.
    pub(super) fn fill(&mut self, n: usize) -> io::Result<usize> {
        check_request(n, self.max)?;
        while self.end - self.start < n && !self.eof {
            let unique = Arc::get_mut(&mut self.block.0).is_some();
            if unique && self.start == self.end {
                self.start = 0;
                self.end = 0;
            }
            if !unique || self.block.0.len() - self.start < n || self.end == self.block.0.len() {
                self.move_window(n);
            }
            let Some(space) = Arc::get_mut(&mut self.block.0).and_then(|b| b.get_mut(self.end..))
            else {
                break; // not reached: move_window leaves an unshared block with room
            };
            read_more(&mut self.reader, space, &mut self.end, &mut self.eof)?;
        }
        Ok(self.end - self.start)
    }

    /// Puts the window at the front of an unshared block with room for at least `n` bytes and
    /// more to read: the same block if nobody else holds it, else a spare or a new one.
    fn move_window(&mut self, n: usize) {
        let len = self.end - self.start;
        let want = n.max(BLOCK_LEN).min(self.max).max(len + 1);
        if let Some(buf) = Arc::get_mut(&mut self.block.0) {
            buf.copy_within(self.start..self.end, 0);
            if buf.len() < want {
                buf.resize(want, 0);
            }
        } else {
            let mut buf = self.take_spare().unwrap_or_default();
            if buf.len() < want {
                buf.resize(want, 0);
            }
            if let (Some(to), Some(from)) =
                (buf.get_mut(..len), self.block.0.get(self.start..self.end))
            {
                to.copy_from_slice(from);
            }
            let old = std::mem::replace(&mut self.block, SharedBlock(Arc::new(buf)));
            self.spare.push_back(old);
            if self.spare.len() > MAX_SPARE {
                self.spare.pop_front();
            }
        }
        self.start = 0;
        self.end = len;
    }

    /// The oldest spare block nobody else holds any more.
    fn take_spare(&mut self) -> Option<Vec<u8>> {
        let oldest = self.spare.pop_front()?;
        match Arc::try_unwrap(oldest.0) {
            Ok(buf) => Some(buf),
            Err(held) => {
                // Still held, and so probably are the younger ones.
                self.spare.push_front(SharedBlock(held));
                None
            }
        }
    }

    pub(super) fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.offset += n as u64;
    }

    pub(super) fn skip(&mut self, n: u64) -> io::Result<u64> {
        let mut skipped = 0;
        while skipped < n {
            let have = self.end - self.start;
            if have == 0 {
                if self.fill(1)? == 0 {
                    break;
                }
                continue;
            }
            // At most `have`, a usize.
            let k = (n - skipped).min(have as u64) as usize;
            self.consume(k);
            skipped += k as u64;
        }
        Ok(skipped)
    }
}

#[cfg(test)]
mod tests {
    use super::super::input::tests::Trickle;
    use super::super::input::StreamBuf;
    use super::*;
    use proptest::prelude::*;

    fn shared(data: Vec<u8>, chunk: usize, max: usize) -> SharedBuf {
        SharedBuf::new(Trickle::boxed(data, chunk), max)
    }

    #[test]
    fn handed_out_bytes_never_change() {
        // Read 300 KiB in records of 1000 bytes, holding a clone of the block of every tenth
        // record with where it was: the bytes there must still be that record's at the end.
        let data: Vec<u8> = (0..300 * 1024).map(|i| (i * 7 % 251) as u8).collect();
        let mut input = shared(data.clone(), 100_000, 16 << 20);
        let mut held = Vec::new();
        let mut at = 0;
        while input.fill(1000).unwrap() >= 1000 {
            if at % 10_000 == 0 {
                held.push((input.block().clone(), input.start, at));
            }
            input.consume(1000);
            at += 1000;
        }
        assert_eq!(at, 307_000);
        assert!(held.len() > 20);
        let blocks = held.windows(2).filter(|w| !w[0].0.same(&w[1].0)).count();
        assert!(blocks >= 1, "the records spanned more than one block");
        for (block, start, at) in &held {
            assert_eq!(
                &block.bytes()[*start..*start + 1000],
                &data[*at..*at + 1000]
            );
        }
        // A holder that lets go of a block once the reading has moved past it (as a worker
        // thread does): the blocks are reused, not piled up or allocated anew.
        let big: Vec<u8> = (0..4 << 20).map(|i| (i % 253) as u8).collect();
        let mut again = shared(big, 100_000, 16 << 20);
        let mut holding = None;
        while again.fill(1000).unwrap() >= 1000 {
            holding = Some(again.block().clone());
            again.consume(1000);
        }
        assert!(holding.is_some());
        assert_eq!(again.offset, (4 << 20) / 1000 * 1000);
        assert!(
            again.spare.len() <= 2,
            "spares piled up: {}",
            again.spare.len()
        );
    }

    #[test]
    fn records_longer_than_a_block_grow_it() {
        let data: Vec<u8> = (0..=255u8).cycle().take(BLOCK_LEN * 3).collect();
        let mut input = shared(data.clone(), 64 * 1024, 16 << 20);
        input.fill(10).unwrap();
        let held = input.block().clone();
        input.consume(10);
        assert!(input.fill(BLOCK_LEN * 2).unwrap() >= BLOCK_LEN * 2);
        assert_eq!(
            &input.window()[..BLOCK_LEN * 2],
            &data[10..10 + BLOCK_LEN * 2]
        );
        assert_eq!(&held.bytes()[..10], &data[..10]);
    }

    proptest! {
        /// Any sequence of fills, consumes and skips over any chunking: the same windows,
        /// offsets and results as the plain streaming buffer, while a clone of every block
        /// seen is held (so that blocks are replaced) and checked unchanged at the end.
        #[test]
        fn behaves_as_the_plain_streaming_buffer(
            len in 0usize..600_000,
            chunk in 1usize..300_000,
            ops in proptest::collection::vec((0u8..3, 0usize..300_000), 1..60),
        ) {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 % 253) as u8).collect();
            let trickle = || Trickle::boxed(data.clone(), chunk);
            let max = 256 * 1024;
            let mut plain = StreamBuf::new(trickle(), max);
            let mut shared = SharedBuf::new(trickle(), max);
            let mut held: Vec<(SharedBlock, usize, u64, usize)> = Vec::new();
            for (op, n) in ops {
                match op {
                    0 => {
                        let (a, b) = (plain.fill(n), shared.fill(n));
                        prop_assert_eq!(a.is_ok(), b.is_ok());
                        if let (Ok(a), Ok(b)) = (a, b) {
                            // Both hold at least what was asked for (or all that is left).
                            prop_assert_eq!(a.min(n), b.min(n));
                        }
                    }
                    1 => {
                        let k = n.min(plain.window().len()).min(shared.window().len());
                        plain.consume(k);
                        shared.consume(k);
                    }
                    _ => {
                        let n = n as u64;
                        prop_assert_eq!(plain.skip(n).unwrap(), shared.skip(n).unwrap());
                    }
                }
                prop_assert_eq!(plain.offset, shared.offset);
                let k = plain.window().len().min(shared.window().len());
                prop_assert_eq!(&plain.window()[..k], &shared.window()[..k]);
                let at = shared.offset as usize;
                prop_assert_eq!(shared.window(), &data[at..at + shared.window().len()]);
                held.push((shared.block().clone(), shared.start, shared.offset, k));
            }
            for (block, start, offset, k) in &held {
                let at = *offset as usize;
                prop_assert_eq!(&block.bytes()[*start..*start + *k], &data[at..at + *k]);
            }
        }
    }
}
