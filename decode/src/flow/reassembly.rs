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
    /// `range` indexes the segment's own payload (pass-through), not the buffer.
    pub(crate) from_input: bool,
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
    /// Held bytes from `base`; only its first `len()` bytes are initialised, up to the highest
    /// byte stored so far.
    buf: Vec<u8>,
    /// Bytes reserved for `buf` and counted in the budget (`>= buf.len()`, `<= cap`).
    reserved: usize,
    /// One bit per reserved byte: held or not.
    present: Vec<u64>,
    stats: ReassemblyStats,
    /// The caller stopped reassembly ([`Reassembler::stop`]).
    stopped: bool,
    /// In-order segments are delivered without being kept ([`Reassembler::set_pass_through`]).
    pass_through: bool,
}

fn bit(present: &[u64], i: usize) -> bool {
    present
        .get(i / 64)
        .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
}

/// Sets bits `from..to`.
fn set_bits(present: &mut [u64], from: usize, to: usize) {
    let mut i = from;
    while i < to {
        let w = i / 64;
        let lo = i % 64;
        let hi = (to - w * 64).min(64);
        let mask = if hi - lo == 64 {
            u64::MAX
        } else {
            ((1u64 << (hi - lo)) - 1) << lo
        };
        if let Some(word) = present.get_mut(w) {
            *word |= mask;
        }
        i = (w + 1) * 64;
    }
}

/// The end of the run of bits equal to `value` that starts at `from`, at most `to`.
fn run_end(present: &[u64], from: usize, to: usize, value: bool) -> usize {
    let mut i = from;
    while i < to {
        let w = i / 64;
        let word = present.get(w).copied().unwrap_or(0);
        // Bits that differ from `value`, at or above position i % 64.
        let differ = (if value { !word } else { word }) >> (i % 64);
        if differ != 0 {
            return (i + differ.trailing_zeros() as usize).min(to);
        }
        i = (w + 1) * 64;
    }
    to
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
        self.reserved
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
        self.reserved + self.present.len() * 8
    }

    /// Releases the buffer, returning its bytes to `budget`.
    pub fn release(&mut self, budget: &mut MemoryBudget) {
        budget.used = budget.used.saturating_sub(self.mem_size());
        self.buf = Vec::new();
        self.reserved = 0;
        self.present = Vec::new();
        self.base = self.next;
    }

    /// Stops reassembly for good and releases the buffer: the caller has learnt what it needed
    /// from the stream. Later segments are ignored (not counted as dropped).
    pub fn stop(&mut self, budget: &mut MemoryBudget) {
        self.stopped = true;
        self.release(budget);
    }

    /// Pass-through mode, for a caller that still wants the stream but no longer needs
    /// retransmissions compared with the bytes they repeat (e.g. a TLS session past its
    /// handshake, which only reads record headers): a segment that starts exactly at the next
    /// expected byte while nothing is held out of order is delivered straight from the packet,
    /// without being copied or kept. Out-of-order segments are still buffered and delivered in
    /// order; retransmissions of bytes that were passed through are counted as
    /// [`old_bytes`](ReassemblyStats::old_bytes), not compared.
    pub fn set_pass_through(&mut self, budget: &mut MemoryBudget) {
        self.pass_through = true;
        if self.high <= self.next && !self.buf.is_empty() {
            self.release(budget);
        }
    }

    /// Whether [`set_pass_through`](Self::set_pass_through) was called.
    #[must_use]
    pub fn is_pass_through(&self) -> bool {
        self.pass_through
    }

    /// Whether [`stop`](Self::stop) was called.
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        self.stopped
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

    /// Makes the buffer cover at least `len` bytes from `base` (capped by `cap`): reserves
    /// them, and initialises (zeroes) them unless `append` (the caller appends them itself).
    fn grow(&mut self, len: usize, cap: usize, append: bool, budget: &mut MemoryBudget) -> bool {
        if len <= self.buf.len() {
            return true;
        }
        if len > self.reserved {
            // Reserve from 4 KiB (most handshakes fit), doubling: few reallocations per
            // direction. The budget counts the reservation.
            let new_res = len.max(self.reserved.saturating_mul(2)).max(4096).min(cap);
            if new_res < len {
                return false;
            }
            let new_words = new_res.div_ceil(64);
            let extra =
                (new_res - self.reserved) + (new_words.saturating_sub(self.present.len())) * 8;
            if budget.used.saturating_add(extra) > budget.limit {
                budget.refused = budget.refused.saturating_add(1);
                return false;
            }
            budget.used += extra;
            self.buf.reserve_exact(new_res - self.buf.len());
            self.present.resize(new_words, 0);
            self.reserved = new_res;
        }
        // Only up to `len` is initialised (zeroed here, then mostly overwritten by the
        // caller): zeroing the whole reservation was 8 % of a `flows` run's instructions.
        if !append {
            self.buf.resize(len, 0);
        }
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
        data: &'s [u8],
        wire_len: u32,
        cap: usize,
        depth: Option<u64>,
        budget: &mut MemoryBudget,
    ) -> Delivery<'s> {
        let p = self.push(frame, seq, data, wire_len, cap, depth, budget);
        self.delivery(&p, data)
    }

    /// The [`Delivery`] for what [`push`](Self::push) returned for the segment `input`.
    pub(crate) fn delivery<'s>(&'s self, p: &Pushed, input: &'s [u8]) -> Delivery<'s> {
        let from = if p.from_input { input } else { &self.buf };
        Delivery {
            gap: p.gap,
            offset: p.offset,
            data: from.get(p.range.clone()).unwrap_or(&[]),
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
        if self.stats.depth_reached || self.stopped {
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
        // Offset of `data` in the segment's payload (for pass-through delivery).
        let mut in_off = 0usize;
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
            in_off = skip_data;
            start = self.base;
        }
        if start >= end {
            self.check_depth(depth);
            return out;
        }
        // Pass-through: in order, nothing held ahead, nothing cut by the capture.
        if self.pass_through
            && start == self.next
            && self.high <= self.next
            && data.len() as u64 == end - start
        {
            if !self.buf.is_empty() {
                self.release(budget);
            }
            self.next = end;
            self.high = end;
            self.base = end;
            self.stats.delivered += end - start;
            self.check_depth(depth);
            out.range = in_off..in_off + data.len();
            out.from_input = true;
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
        let off = usize::try_from(start - self.base).unwrap_or(usize::MAX);
        let need = off.saturating_add(data.len());
        // The common case, bytes right after the highest held: appended (nothing held there
        // to compare with: the buffer ends at the highest byte stored).
        let append = off == self.buf.len();
        if !data.is_empty() && !self.grow(need, cap, append, budget) {
            self.stats.dropped_bytes += data.len() as u64;
            data = &[];
        }
        if append && !data.is_empty() {
            self.buf.extend_from_slice(data);
            set_bits(&mut self.present, off, need);
            data = &[];
        }
        // Store, comparing with bytes already held: runs of held bytes are compared, runs of
        // missing bytes copied, a word of the bitmap at a time.
        let end_idx = off.saturating_add(data.len()).min(self.buf.len());
        let mut conflict = 0u64;
        let mut same = 0u64;
        let mut i = off;
        while i < end_idx {
            let held = bit(&self.present, i);
            let j = run_end(&self.present, i, end_idx, held);
            let src = data.get(i - off..j - off).unwrap_or(&[]);
            if let Some(dst) = self.buf.get_mut(i..j) {
                if !held {
                    dst.copy_from_slice(src);
                } else if dst == src {
                    same += src.len() as u64;
                } else {
                    let diff = dst.iter().zip(src).filter(|(a, b)| a != b).count() as u64;
                    conflict += diff;
                    same += src.len() as u64 - diff;
                }
            }
            if !held {
                set_bits(&mut self.present, i, j);
            }
            i = j;
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
        let to = if from < self.buf.len() {
            run_end(&self.present, from, self.buf.len(), true)
        } else {
            from
        };
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
    fn bit_runs_match_a_bit_by_bit_walk() {
        // Every (from, to) over a few patterns, against `bit`.
        let patterns = [
            [0u64, 0, 0],
            [u64::MAX; 3],
            [0x00ff_00ff_00ff_00ff, 0x8000_0000_0000_0001, 0],
            [1 << 63, u64::MAX, 1],
        ];
        for p in patterns {
            for from in 0..192 {
                for to in from..=192 {
                    for value in [false, true] {
                        let naive = (from..to).find(|&i| bit(&p, i) != value).unwrap_or(to);
                        assert_eq!(run_end(&p, from, to, value), naive, "{p:x?} {from} {to}");
                    }
                    let mut q = p;
                    set_bits(&mut q, from, to);
                    for i in 0..192 {
                        assert_eq!(bit(&q, i), bit(&p, i) || (from..to).contains(&i));
                    }
                }
            }
        }
    }

    /// From the fuzz target `flow_reassembly`: in pass-through mode, a segment far ahead with
    /// the memory budget exhausted reports the gap up to it, but its own bytes are refused
    /// (counted as dropped) and fall inside the next gap, which starts where the first ended.
    #[test]
    fn gap_with_refused_bytes_moves_the_stream_on() {
        let mut r = Reassembler::new();
        let mut budget = MemoryBudget::new(256);
        r.syn(99);
        assert_eq!(
            r.segment(1, 100, &[1; 3], 3, 64, None, &mut budget)
                .data
                .len(),
            3
        );
        r.set_pass_through(&mut budget);
        budget.used = budget.limit; // other connections hold the whole budget
        let d = r.segment(2, 100 + 253, &[2; 2], 2, 64, None, &mut budget);
        assert_eq!(d.gap, Some((3, 250)));
        assert_eq!(d.offset, 253);
        assert!(d.data.is_empty());
        assert_eq!(r.stats().dropped_bytes, 2);
        assert!(budget.refused > 0);
        let d = r.segment(3, 100 + 1024, &[3; 1], 1, 64, None, &mut budget);
        assert_eq!(d.gap, Some((253, 771)));
        assert_eq!(d.offset, 1024);
        assert_eq!(r.stats().gaps, 2);
    }

    #[test]
    fn pass_through_delivers_from_the_segment_and_still_orders() {
        let mut r = Reassembler::new();
        let mut budget = MemoryBudget::new(1 << 20);
        r.syn(99); // stream starts at seq 100
        let a = [1u8; 10];
        assert_eq!(r.segment(1, 100, &a, 10, 4096, None, &mut budget).data, a);
        assert!(r.buffered_capacity() > 0);
        r.set_pass_through(&mut budget);
        // Nothing was pending: the buffer is released.
        assert_eq!(r.buffered_capacity(), 0);
        assert_eq!(budget.used, 0);
        // In order: delivered without buffering.
        let b = [2u8; 5];
        assert_eq!(r.segment(2, 110, &b, 5, 4096, None, &mut budget).data, b);
        assert_eq!(r.buffered_capacity(), 0);
        // Out of order: held, then delivered in order when the hole fills.
        let d = [4u8; 3];
        assert!(r
            .segment(3, 118, &d, 3, 4096, None, &mut budget)
            .data
            .is_empty());
        let c = [3u8; 3];
        assert_eq!(
            r.segment(4, 115, &c, 3, 4096, None, &mut budget).data,
            [3, 3, 3, 4, 4, 4]
        );
        // A retransmission of passed-through bytes cannot be compared: old bytes.
        let before = r.stats().old_bytes;
        assert!(r
            .segment(5, 110, &[9; 5], 5, 4096, None, &mut budget)
            .data
            .is_empty());
        assert_eq!(r.stats().old_bytes, before + 5);
        assert_eq!(r.stats().overlap_conflicts, 0);
        // A segment that overlaps the delivered end: only its new bytes are delivered.
        let e = [5u8; 4];
        assert_eq!(
            r.segment(6, 119, &e, 4, 4096, None, &mut budget).data,
            [5, 5]
        );
        assert_eq!(r.stats().delivered, 10 + 5 + 6 + 2);
        assert_eq!(r.next_offset(), 23);
    }

    #[test]
    fn stop_releases_and_ignores_later_bytes() {
        let mut r = Reassembler::new();
        let mut budget = MemoryBudget::new(1 << 20);
        r.syn(0);
        let _ = r.segment(1, 5, &[1; 10], 10, 4096, None, &mut budget); // held (hole 1..5)
        assert!(budget.used > 0);
        r.stop(&mut budget);
        assert!(r.is_stopped());
        assert_eq!((r.buffered_capacity(), budget.used), (0, 0));
        assert!(r
            .segment(2, 1, &[1; 4], 4, 4096, None, &mut budget)
            .data
            .is_empty());
        assert_eq!(r.buffered_capacity(), 0);
    }

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
