//! Bounded per-direction TCP reassembly.
//!
//! One [`Reassembler`] turns the TCP segments of one direction into an in-order byte stream.
//!
//! - **Start.** Stream offset 0 is the byte after the SYN's sequence number. Without a SYN,
//!   the first segment with payload starts the stream and the direction is marked
//!   [`midstream`](ReassemblyStats::midstream); bytes that later arrive before that start are
//!   dropped and counted.
//! - **Window.** The buffer covers at most `cap` consecutive stream offsets: recently
//!   delivered bytes (kept to compare retransmissions against) followed by out-of-order bytes
//!   waiting for a hole to fill. It is allocated on first use and grows (doubling) up to `cap`,
//!   never beyond, and the caller's [`MemoryBudget`] can refuse growth.
//! - **Overlaps.** Retransmitted bytes are compared with the bytes already held. Equal bytes
//!   are silently deduplicated. Different bytes are an *overlap conflict* (evidence of
//!   injection or a broken stack): counted, with the frame number of the first one, and the
//!   **first-seen bytes are kept** (what Suricata's default "first" policy and most IDSs do;
//!   the target OS may have used the other copy). Bytes older than the window cannot be
//!   compared and are counted as `old_bytes`.
//! - **Gaps.** When a segment does not fit in the window because of a hole that never filled,
//!   the hole is skipped and reported as a gap (offset and length) before the data after it is
//!   delivered: a gap is never papered over. Holes still open when the direction ends (FIN or
//!   end of flow) are reported by [`Reassembler::finish`]. Bytes the capture cut (snaplen) are
//!   holes too.
//! - **Depth.** With a depth, only stream offsets below it are reassembled (e.g. the first
//!   64 KiB, for TLS handshakes); once reached, the buffer is released.
//! - **Sequence wraparound** is handled with wrapping arithmetic relative to the next expected
//!   byte; stream offsets are `u64`.
//!
//! No allocation happens per segment once the buffer has reached its final size.

use alloc::vec::Vec;
use core::ops::Range;

/// A global limit on the bytes all reassembly buffers may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryBudget {
    /// The limit in bytes.
    pub limit: usize,
    /// Bytes currently allocated to buffers (data plus bitmap).
    pub used: usize,
    /// How many times growth was refused.
    pub refused: u64,
}

impl MemoryBudget {
    /// A budget of `limit` bytes.
    #[must_use]
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            used: 0,
            refused: 0,
        }
    }
}

/// Counters of one direction's reassembly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReassemblyStats {
    /// No SYN was seen before the first data: the stream starts mid-connection.
    pub midstream: bool,
    /// Bytes delivered in order.
    pub delivered: u64,
    /// Gaps reported (holes skipped or left open at the end).
    pub gaps: u32,
    /// Bytes skipped in gaps (for a hole left open at the end: up to the highest byte seen).
    pub gap_bytes: u64,
    /// Overlapping bytes that differed from the bytes already held.
    pub overlap_conflict_bytes: u64,
    /// Segments that contained at least one conflicting byte.
    pub overlap_conflicts: u32,
    /// Frame number of the first segment with a conflict.
    pub first_conflict_frame: Option<u64>,
    /// Retransmitted bytes identical to the bytes held.
    pub retransmitted_bytes: u64,
    /// Bytes that could not be compared or stored because they were older than the window
    /// or before the start of the stream.
    pub old_bytes: u64,
    /// Bytes dropped because they did not fit in the window (the cap) or the memory budget.
    pub dropped_bytes: u64,
    /// The depth was reached; later bytes are ignored.
    pub depth_reached: bool,
}

/// What one segment produced: an optional gap, then newly in-order bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivery<'a> {
    /// A hole skipped just before `data`: (stream offset, length).
    pub gap: Option<(u64, u64)>,
    /// Stream offset of the first byte of `data`.
    pub offset: u64,
    /// Newly in-order bytes (may be empty).
    pub data: &'a [u8],
    /// This segment carried bytes that differ from bytes already held.
    pub conflict: bool,
}

/// [`Delivery`] with a buffer range instead of a borrow.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pushed {
    pub(crate) gap: Option<(u64, u64)>,
    pub(crate) offset: u64,
    pub(crate) range: Range<usize>,
    pub(crate) conflict: bool,
}

/// Bounded reassembler for one TCP direction. See the [module docs](self).
#[derive(Clone, Debug, Default)]
pub struct Reassembler {
    /// Sequence number of stream offset 0, once known.
    isn1: Option<u32>,
    /// Next stream offset to deliver.
    next: u64,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Highest stream offset + 1 held (or seen, for end-of-stream gap accounting).
    high: u64,
    buf: Vec<u8>,
    present: Vec<u64>,
    stats: ReassemblyStats,
}

fn bit(present: &[u64], i: usize) -> bool {
    present
        .get(i / 64)
        .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
}

fn set_bit(present: &mut [u64], i: usize) {
    if let Some(w) = present.get_mut(i / 64) {
        *w |= 1u64 << (i % 64);
    }
}

/// Shifts a bitmap left (towards index 0) by `k` bits.
fn shift_bits(present: &mut [u64], k: usize) {
    let words = k / 64;
    let bits = k % 64;
    let n = present.len();
    for i in 0..n {
        let lo = present.get(i + words).copied().unwrap_or(0);
        let hi = present.get(i + words + 1).copied().unwrap_or(0);
        let v = if bits == 0 {
            lo
        } else {
            (lo >> bits) | (hi << (64 - bits))
        };
        if let Some(w) = present.get_mut(i) {
            *w = v;
        }
    }
}

impl Reassembler {
    /// A reassembler with nothing seen yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> &ReassemblyStats {
        &self.stats
    }

    /// Bytes of the data buffer currently allocated (never above the cap).
    #[must_use]
    pub fn buffered_capacity(&self) -> usize {
        self.buf.len()
    }

    /// Bytes held out of order, waiting for a hole to fill.
    #[must_use]
    pub fn pending(&self) -> u64 {
        self.high.saturating_sub(self.next)
    }

    /// Next stream offset to deliver.
    #[must_use]
    pub fn next_offset(&self) -> u64 {
        self.next
    }

    fn mem_size(&self) -> usize {
        self.buf.len() + self.present.len() * 8
    }

    /// Releases the buffer, returning its bytes to `budget`.
    pub fn release(&mut self, budget: &mut MemoryBudget) {
        budget.used = budget.used.saturating_sub(self.mem_size());
        self.buf = Vec::new();
        self.present = Vec::new();
        self.base = self.next;
    }

    /// Records a SYN: the stream starts at `seq + 1`. Ignored once data has been seen.
    pub fn syn(&mut self, seq: u32) {
        if self.next == 0 && self.high == 0 && self.buf.is_empty() {
            self.isn1 = Some(seq.wrapping_add(1));
            self.stats.midstream = false;
        }
    }

    /// Ends the direction: a hole still open (held data after it, or bytes seen but not
    /// delivered) is reported as a gap. Returns the gap (offset, length), if any.
    pub fn finish(&mut self, budget: &mut MemoryBudget) -> Option<(u64, u64)> {
        let gap = (self.high > self.next).then(|| {
            let len = self.high - self.next;
            self.stats.gaps = self.stats.gaps.saturating_add(1);
            self.stats.gap_bytes = self.stats.gap_bytes.saturating_add(len);
            (self.next, len)
        });
        self.next = self.high.max(self.next);
        self.release(budget);
        gap
    }

    /// Makes the buffer cover at least `len` bytes from `base` (capped by `cap`).
    fn grow(&mut self, len: usize, cap: usize, budget: &mut MemoryBudget) -> bool {
        if len <= self.buf.len() {
            return true;
        }
        let new_len = len.max(self.buf.len().saturating_mul(2)).max(512).min(cap);
        if new_len < len {
            return false;
        }
        let new_words = new_len.div_ceil(64);
        let extra = (new_len - self.buf.len()) + (new_words.saturating_sub(self.present.len())) * 8;
        if budget.used.saturating_add(extra) > budget.limit {
            budget.refused = budget.refused.saturating_add(1);
            return false;
        }
        budget.used += extra;
        self.buf.resize(new_len, 0);
        self.present.resize(new_words, 0);
        true
    }

    /// Moves `base` forward to `new_base` (at most `next`), discarding retained bytes.
    fn slide(&mut self, new_base: u64) {
        let new_base = new_base.min(self.next).max(self.base);
        let k = new_base - self.base;
        if k == 0 {
            return;
        }
        let len = self.buf.len();
        match usize::try_from(k) {
            Ok(k) if k < len => {
                self.buf.copy_within(k.., 0);
                shift_bits(&mut self.present, k);
            }
            _ => self.present.iter_mut().for_each(|w| *w = 0),
        }
        self.base = new_base;
    }

    /// First held offset at or after `from`, if any.
    fn first_present(&self, from: u64) -> Option<u64> {
        let start = usize::try_from(from.checked_sub(self.base)?).ok()?;
        (start..self.buf.len())
            .find(|&i| bit(&self.present, i))
            .map(|i| self.base + i as u64)
    }

    /// Adds one segment.
    ///
    /// `seq` is the sequence number of the first payload byte (for a SYN with data: SYN seq + 1),
    /// `data` the captured payload, `wire_len` the payload length the headers announce
    /// (`>= data.len()`; the difference is bytes the capture cut, a hole). `cap` is the window
    /// size in bytes, `depth` the optional stream-offset limit. Returns the newly in-order
    /// bytes, borrowed from the buffer until the next call.
    #[allow(clippy::too_many_arguments)]
    pub fn segment<'s>(
        &'s mut self,
        frame: u64,
        seq: u32,
        data: &[u8],
        wire_len: u32,
        cap: usize,
        depth: Option<u64>,
        budget: &mut MemoryBudget,
    ) -> Delivery<'s> {
        let p = self.push(frame, seq, data, wire_len, cap, depth, budget);
        self.delivery(&p)
    }

    /// The [`Delivery`] for what [`push`](Self::push) returned.
    pub(crate) fn delivery(&self, p: &Pushed) -> Delivery<'_> {
        Delivery {
            gap: p.gap,
            offset: p.offset,
            data: self.buf.get(p.range.clone()).unwrap_or(&[]),
            conflict: p.conflict,
        }
    }

    /// [`segment`](Self::segment) without the borrow: the delivered bytes as a buffer range.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn push(
        &mut self,
        frame: u64,
        seq: u32,
        data: &[u8],
        wire_len: u32,
        cap: usize,
        depth: Option<u64>,
        budget: &mut MemoryBudget,
    ) -> Pushed {
        let mut out = Pushed {
            offset: self.next,
            ..Pushed::default()
        };
        if self.stats.depth_reached {
            if !self.buf.is_empty() {
                self.release(budget);
            }
            return out;
        }
        if wire_len == 0 || cap == 0 {
            return out;
        }
        let isn1 = match self.isn1 {
            Some(s) => s,
            None => {
                self.stats.midstream = true;
                self.isn1 = Some(seq);
                seq
            }
        };
        // Stream offset of the segment, relative to `next` with wrapping arithmetic.
        let next_seq = isn1.wrapping_add(self.next as u32);
        let delta = i64::from(seq.wrapping_sub(next_seq) as i32);
        let Some(start) = self.next.checked_add_signed(delta) else {
            // Before the start of the stream.
            self.stats.old_bytes += u64::from(wire_len);
            return out;
        };
        let mut data = data
            .get(..data.len().min(wire_len as usize))
            .unwrap_or(data);
        let mut start = start;
        let mut end = start + u64::from(wire_len);
        // Depth limit.
        if let Some(d) = depth {
            if end > d {
                end = d;
                let keep = usize::try_from(d.saturating_sub(start)).unwrap_or(usize::MAX);
                data = data.get(..keep.min(data.len())).unwrap_or(&[]);
            }
        }
        // Bytes older than the retained window cannot be compared.
        if start < self.base {
            let skip = self.base - start;
            self.stats.old_bytes += skip.min(end.saturating_sub(start));
            let skip_data = usize::try_from(skip).unwrap_or(usize::MAX).min(data.len());
            data = data.get(skip_data..).unwrap_or(&[]);
            start = self.base;
        }
        if start >= end {
            self.check_depth(depth);
            return out;
        }
        let data_end = start + data.len() as u64;
        self.high = self.high.max(end);
        // Make room: first discard retained (already delivered) bytes, then skip holes.
        let cap64 = cap as u64;
        if data_end > self.base + cap64 {
            let keep_from = self.next.saturating_sub(cap64 / 4);
            self.slide((data_end - cap64).max(keep_from));
        }
        if data_end > self.base + cap64 && start > self.next {
            // The window is full of out-of-order data behind a hole that never filled.
            let to = self.first_present(self.next).unwrap_or(start).min(start);
            if to > self.next {
                out.gap = Some((self.next, to - self.next));
                self.stats.gaps = self.stats.gaps.saturating_add(1);
                self.stats.gap_bytes += to - self.next;
                self.next = to;
                out.offset = to;
            }
            self.slide(self.next);
        }
        // Sliding may have passed the (already delivered) front of a segment longer than the
        // window: those bytes can no longer be compared.
        if start < self.base {
            let skip = self.base - start;
            self.stats.old_bytes += skip;
            let skip_data = usize::try_from(skip).unwrap_or(usize::MAX).min(data.len());
            data = data.get(skip_data..).unwrap_or(&[]);
            start = self.base;
        }
        // Whatever still does not fit is dropped.
        let room_end = self.base + cap64;
        if data_end > room_end {
            let keep = usize::try_from(room_end.saturating_sub(start)).unwrap_or(0);
            self.stats.dropped_bytes += data.len().saturating_sub(keep) as u64;
            data = data.get(..keep.min(data.len())).unwrap_or(&[]);
        }
        let need = usize::try_from(start - self.base).unwrap_or(usize::MAX) + data.len();
        if !data.is_empty() && !self.grow(need, cap, budget) {
            self.stats.dropped_bytes += data.len() as u64;
            data = &[];
        }
        // Store, comparing with bytes already held.
        let off = usize::try_from(start - self.base).unwrap_or(usize::MAX);
        let mut conflict = 0u64;
        let mut same = 0u64;
        for (i, &b) in data.iter().enumerate() {
            let j = off + i;
            if bit(&self.present, j) {
                if self.buf.get(j) == Some(&b) {
                    same += 1;
                } else {
                    conflict += 1;
                }
            } else if let Some(slot) = self.buf.get_mut(j) {
                *slot = b;
                set_bit(&mut self.present, j);
            }
        }
        self.stats.retransmitted_bytes += same;
        if conflict > 0 {
            out.conflict = true;
            self.stats.overlap_conflict_bytes += conflict;
            self.stats.overlap_conflicts = self.stats.overlap_conflicts.saturating_add(1);
            self.stats.first_conflict_frame.get_or_insert(frame);
        }
        // Deliver the in-order run.
        let from = usize::try_from(self.next - self.base).unwrap_or(usize::MAX);
        let mut to = from;
        while to < self.buf.len() && bit(&self.present, to) {
            to += 1;
        }
        self.next = self.base + to as u64;
        self.stats.delivered += (to - from) as u64;
        self.check_depth(depth);
        out.range = from..to;
        out
    }

    /// Marks the depth reached once everything below it is delivered. The buffer is released
    /// on the next call (the delivered bytes borrow it until then).
    fn check_depth(&mut self, depth: Option<u64>) {
        if depth.is_some_and(|d| self.next >= d) {
            self.stats.depth_reached = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_bits_edges() {
        let mut v = [0b1011u64, 1, 1 << 63];
        shift_bits(&mut v, 0);
        assert_eq!(v, [0b1011, 1, 1 << 63]);
        shift_bits(&mut v, 1);
        assert_eq!(v, [0b101 | (1 << 63), 0, 1 << 62]);
        let mut v = [0u64, 0b11, 0];
        shift_bits(&mut v, 65);
        assert_eq!(v, [0b1, 0, 0]);
        let mut v = [u64::MAX; 2];
        shift_bits(&mut v, 128);
        assert_eq!(v, [0, 0]);
        shift_bits(&mut v, 1000);
        assert_eq!(v, [0, 0]);
    }

    #[test]
    fn slide_keeps_bytes_and_bits_aligned() {
        let mut r = Reassembler::new();
        let mut budget = MemoryBudget::new(1 << 20);
        r.syn(0);
        // Deliver 100 bytes, hold 10 out of order, then force slides with a 128-byte window.
        let a: Vec<u8> = (0..100).collect();
        assert_eq!(
            r.segment(1, 1, &a, 100, 128, None, &mut budget).data.len(),
            100
        );
        assert!(r
            .segment(2, 111, &[7; 10], 10, 128, None, &mut budget)
            .data
            .is_empty());
        let d = r.segment(3, 101, &[5; 10], 10, 128, None, &mut budget);
        assert_eq!(d.data, [[5u8; 10], [7; 10]].concat());
        // A retransmission of recent delivered bytes is still compared after the slide.
        let d = r.segment(4, 121, &[9; 30], 30, 128, None, &mut budget);
        assert_eq!(d.data.len(), 30);
        let _ = r.segment(5, 111, &[7; 10], 10, 128, None, &mut budget);
        assert_eq!(r.stats().overlap_conflicts, 0);
        let _ = r.segment(6, 111, &[8; 10], 10, 128, None, &mut budget);
        assert_eq!(r.stats().overlap_conflicts, 1);
        assert!(r.buffered_capacity() <= 128);
    }
}
