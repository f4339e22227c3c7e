//! Bounded TCP reassembly: order, retransmissions, overlaps, gaps, wraparound, caps, depth,
//! memory budget, and a property test over random segmentations and orders.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use decode::flow::{MemoryBudget, Reassembler};
use proptest::prelude::*;

const BIG: usize = 1 << 30;

struct R {
    r: Reassembler,
    budget: MemoryBudget,
    cap: usize,
    depth: Option<u64>,
    out: Vec<u8>,
    gaps: Vec<(u64, u64)>,
    frame: u64,
}

impl R {
    fn new(isn: u32, cap: usize) -> Self {
        let mut r = Reassembler::new();
        r.syn(isn);
        Self {
            r,
            budget: MemoryBudget::new(BIG),
            cap,
            depth: None,
            out: Vec::new(),
            gaps: Vec::new(),
            frame: 0,
        }
    }

    /// Pushes `data` at stream offset `off` (relative to ISN + 1); returns the delivered bytes.
    fn seg(&mut self, isn: u32, off: u32, data: &[u8]) -> Vec<u8> {
        self.seg_wire(isn, off, data, data.len() as u32)
    }

    fn seg_wire(&mut self, isn: u32, off: u32, data: &[u8], wire: u32) -> Vec<u8> {
        self.frame += 1;
        let seq = isn.wrapping_add(1).wrapping_add(off);
        let d = self.r.segment(
            self.frame,
            seq,
            data,
            wire,
            self.cap,
            self.depth,
            &mut self.budget,
        );
        if let Some(g) = d.gap {
            self.gaps.push(g);
        }
        // Delivered bytes are contiguous with what came before (after any reported gap).
        let expected_offset = self.out.len() as u64 + self.gaps.iter().map(|g| g.1).sum::<u64>();
        if !d.data.is_empty() {
            assert_eq!(d.offset, expected_offset);
        }
        let v = d.data.to_vec();
        self.out.extend_from_slice(&v);
        assert!(self.r.buffered_capacity() <= self.cap);
        v
    }
}

#[test]
fn in_order() {
    let mut r = R::new(100, 1024);
    assert_eq!(r.seg(100, 0, b"abc"), b"abc");
    assert_eq!(r.seg(100, 3, b"def"), b"def");
    assert_eq!(r.r.stats().delivered, 6);
    assert!(!r.r.stats().midstream);
}

#[test]
fn out_of_order_3_1_2() {
    // As in sample-pcaps/tls-split-clienthello.pcap: the third segment first.
    let mut r = R::new(7, 1024);
    assert_eq!(r.seg(7, 6, b"ghi"), b"");
    assert_eq!(r.r.pending(), 9);
    assert_eq!(r.seg(7, 0, b"abc"), b"abc");
    assert_eq!(r.seg(7, 3, b"def"), b"defghi");
    assert_eq!(r.r.pending(), 0);
    assert_eq!(r.out, b"abcdefghi");
}

#[test]
fn identical_retransmission_is_not_flagged() {
    let mut r = R::new(0, 1024);
    r.seg(0, 0, b"hello");
    assert_eq!(r.seg(0, 0, b"hello"), b"");
    // Partial overlap with new bytes: only the new part is delivered.
    assert_eq!(r.seg(0, 3, b"lo world"), b" world");
    let s = r.r.stats();
    assert_eq!(s.overlap_conflicts, 0);
    assert_eq!(s.retransmitted_bytes, 7);
    assert_eq!(r.out, b"hello world");
}

#[test]
fn overlap_with_different_bytes_is_flagged_and_first_bytes_kept() {
    let mut r = R::new(0, 1024);
    // Out-of-order data held, then a conflicting copy arrives before the hole fills.
    r.seg(0, 4, b"WXYZ"); // frame 1
    r.seg(0, 4, b"WXYZ"); // frame 2: identical
    r.seg(0, 5, b"zz"); // frame 3: conflicts on 2 bytes ("XY")
    assert_eq!(r.seg(0, 0, b"abcd"), b"abcdWXYZ");
    // Already delivered bytes are compared too (injection after delivery).
    r.seg(0, 0, b"abcX"); // frame 5
    let s = r.r.stats();
    assert_eq!(s.overlap_conflicts, 2);
    assert_eq!(s.overlap_conflict_bytes, 3);
    assert_eq!(s.first_conflict_frame, Some(3));
    assert_eq!(r.out, b"abcdWXYZ");
}

#[test]
fn gap_is_reported_when_the_window_forces_a_skip() {
    let mut r = R::new(0, 16);
    r.seg(0, 0, b"0123");
    // Bytes 4..8 are lost; 8..16 held; a segment at 16..24 does not fit.
    assert_eq!(r.seg(0, 8, b"89abcdef"), b"");
    let d = r.seg(0, 16, b"ghijklmn");
    assert_eq!(r.gaps, vec![(4, 4)]);
    assert_eq!(d, b"89abcdefghijklmn");
    let s = r.r.stats();
    assert_eq!((s.gaps, s.gap_bytes), (1, 4));
    assert!(r.r.buffered_capacity() <= 16);
}

#[test]
fn gap_left_open_is_reported_at_finish() {
    let mut r = R::new(0, 1024);
    r.seg(0, 0, b"ab");
    r.seg(0, 5, b"fg");
    let mut budget = MemoryBudget::new(BIG);
    assert_eq!(r.r.finish(&mut budget), Some((2, 5)));
    assert_eq!(r.r.stats().gaps, 1);
    // Nothing open: no gap.
    let mut ok = R::new(0, 1024);
    ok.seg(0, 0, b"ab");
    assert_eq!(ok.r.finish(&mut budget), None);
}

#[test]
fn snaplen_cut_bytes_are_a_hole() {
    let mut r = R::new(0, 1024);
    // 10 bytes on the wire, 4 captured.
    assert_eq!(r.seg_wire(0, 0, b"abcd", 10), b"abcd");
    assert_eq!(r.seg(0, 10, b"k"), b"");
    let mut budget = MemoryBudget::new(BIG);
    assert_eq!(r.r.finish(&mut budget), Some((4, 7)));
}

#[test]
fn sequence_wraparound() {
    let isn = u32::MAX - 2; // stream offset 0 is at seq u32::MAX - 1
    let mut r = R::new(isn, 1024);
    // Offsets 4..8 cross 2^32 in sequence space; deliver out of order.
    assert_eq!(r.seg(isn, 4, b"efgh"), b"");
    assert_eq!(r.seg(isn, 0, b"abcd"), b"abcdefgh");
    assert_eq!(r.r.next_offset(), 8);
    // A segment before the stream start is old.
    r.seg(isn, u32::MAX - 9, b"zz");
    assert_eq!(r.r.stats().old_bytes, 2);
}

#[test]
fn cap_hit_is_counted_and_the_buffer_never_exceeds_it() {
    let mut r = R::new(0, 64);
    let big = vec![b'x'; 200];
    let d = r.seg(0, 0, &big);
    assert_eq!(d.len(), 64);
    assert_eq!(r.r.stats().dropped_bytes, 136);
    assert!(r.r.buffered_capacity() <= 64);
    // Far beyond the window, with nothing held: a gap, then the data.
    let d = r.seg(0, 1000, b"far");
    assert_eq!(d, b"far");
    assert_eq!(r.gaps.last(), Some(&(64, 936)));
}

#[test]
fn depth_limits_reassembly_and_releases_the_buffer() {
    let mut r = R::new(0, 1024);
    r.depth = Some(6);
    assert_eq!(r.seg(0, 0, b"abcd"), b"abcd");
    assert_eq!(r.seg(0, 4, b"efgh"), b"ef");
    assert!(r.r.stats().depth_reached);
    assert_eq!(r.seg(0, 8, b"ijkl"), b"");
    assert_eq!(r.r.buffered_capacity(), 0);
    assert_eq!(r.budget.used, 0);
}

#[test]
fn midstream_start() {
    let mut r = Reassembler::new();
    let mut budget = MemoryBudget::new(BIG);
    let d = r.segment(1, 5000, b"mid", 3, 1024, None, &mut budget);
    assert_eq!(d.data, b"mid");
    assert!(r.stats().midstream);
}

#[test]
fn memory_budget_refuses_and_counts() {
    let mut r = Reassembler::new();
    let mut budget = MemoryBudget::new(100);
    r.syn(0);
    let d = r.segment(1, 1, b"abc", 3, 1 << 16, None, &mut budget);
    assert_eq!(d.data, b"");
    assert_eq!(budget.refused, 1);
    assert_eq!(r.stats().dropped_bytes, 3);
    assert_eq!(budget.used, 0);
}

proptest! {
    /// Any segmentation of a stream, delivered in any order with duplicates, reassembles to
    /// exactly the stream when the window holds it, with no gaps and no conflicts.
    #[test]
    fn any_order_reassembles(
        stream in proptest::collection::vec(any::<u8>(), 1..600),
        cuts in proptest::collection::vec(any::<u16>(), 0..20),
        order in proptest::collection::vec(any::<u32>(), 0..40),
        isn in any::<u32>(),
    ) {
        let len = stream.len();
        let mut bounds: Vec<usize> = cuts.iter().map(|c| *c as usize % len).collect();
        bounds.push(0);
        bounds.push(len);
        bounds.sort_unstable();
        bounds.dedup();
        let segs: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
        let mut idx: Vec<usize> = (0..segs.len()).collect();
        for (i, o) in order.iter().enumerate() {
            let a = i % idx.len();
            let b = *o as usize % idx.len();
            idx.swap(a, b);
        }
        // Duplicates of a few segments.
        let extra: Vec<usize> = order.iter().take(3).map(|o| *o as usize % segs.len()).collect();
        idx.extend(extra);
        let mut r = R::new(isn, 1024);
        for i in idx {
            let (a, b) = segs[i];
            r.seg(isn, a as u32, &stream[a..b]);
        }
        prop_assert_eq!(&r.out, &stream);
        prop_assert_eq!(r.r.stats().gaps, 0);
        prop_assert_eq!(r.r.stats().overlap_conflicts, 0);
    }

    /// Random segments (any offsets, lengths, bytes) against a small window: never panics,
    /// the buffer stays within the cap, delivered bytes are contiguous (checked in `seg`).
    #[test]
    fn random_segments_stay_bounded(
        segs in proptest::collection::vec((0u32..400, proptest::collection::vec(any::<u8>(), 0..80)), 0..60),
        isn in any::<u32>(),
        cap in 1usize..128,
    ) {
        let mut r = R::new(isn, cap);
        for (off, data) in &segs {
            r.seg(isn, *off, data);
        }
        prop_assert!(r.r.buffered_capacity() <= cap);
        let mut budget = MemoryBudget::new(BIG);
        r.r.finish(&mut budget);
    }
}
