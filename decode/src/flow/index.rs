//! The flow table's index: from a key's hash to the flow's slot.
//!
//! Open addressing with linear probing over one array of 8-byte entries (the hash's low 32
//! bits and the slot number), at most half full, deletion by backward shift (no tombstones,
//! so probe runs stay short however many flows come and go). One entry per flow, so a lookup
//! usually reads one cache line of the index and then the slot; a general-purpose map keeps
//! its control bytes and its entries apart (two lines). Because the position of a hash's entry
//! is a plain function of the hash, a caller could load the entries of a group of packets before
//! looking any of them up; tried (a worker decoding eight frames, loading their entries and
//! slots, then observing them): slower, the decoded packets' moves cost more than it saved.
//!
//! The hash is keyed (SipHash under the table's seed), so an attacker cannot aim flows at one
//! probe run.

use alloc::vec;
use alloc::vec::Vec;

/// An empty entry (slot `u32::MAX` is never a slot: the table caps flows below it).
const EMPTY: u64 = u64::MAX;
/// Entries in a new index.
const MIN_CAPACITY: usize = 16;

/// See the [module docs](self).
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// `(hash low 32 bits) << 32 | slot`, or [`EMPTY`]; the length is a power of two (or 0).
    entries: Vec<u64>,
    len: usize,
}

fn entry(h: u32, slot: u32) -> u64 {
    (u64::from(h) << 32) | u64::from(slot)
}

fn hash_of(e: u64) -> u32 {
    (e >> 32) as u32
}

fn slot_of(e: u64) -> u32 {
    e as u32
}

impl Index {
    fn mask(&self) -> usize {
        self.entries.len().wrapping_sub(1)
    }

    /// Where the probe for hash `h` starts.
    fn home(&self, h: u32) -> usize {
        h as usize & self.mask()
    }

    /// Entries stored.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The slots stored under hash `h`, in probe order, with their positions; the caller
    /// checks which one holds its key.
    pub(crate) fn candidates(&self, h: u32) -> impl Iterator<Item = (usize, u32)> + '_ {
        let mask = self.mask();
        let mut pos = self.home(h);
        let mut left = self.entries.len();
        core::iter::from_fn(move || loop {
            if left == 0 {
                return None;
            }
            left -= 1;
            let e = self.entries.get(pos).copied().unwrap_or(EMPTY);
            if e == EMPTY {
                return None;
            }
            let here = pos;
            pos = (pos + 1) & mask;
            if hash_of(e) == h {
                return Some((here, slot_of(e)));
            }
        })
    }

    /// The first slot stored under hash `h` whose number satisfies `is`, with its position.
    pub(crate) fn find(&self, h: u32, mut is: impl FnMut(u32) -> bool) -> Option<(usize, u32)> {
        self.candidates(h).find(|&(_, s)| is(s))
    }

    /// Adds `slot` under hash `h` (the caller knows it is not there yet).
    pub(crate) fn insert(&mut self, h: u32, slot: u32) {
        if (self.len + 1) * 2 > self.entries.len() {
            self.grow();
        }
        let mask = self.mask();
        let mut pos = self.home(h);
        while self.entries.get(pos).is_some_and(|&e| e != EMPTY) {
            pos = (pos + 1) & mask;
        }
        if let Some(e) = self.entries.get_mut(pos) {
            *e = entry(h, slot);
            self.len += 1;
        }
    }

    /// Removes the entry at position `pos` (from [`find`](Self::find)), shifting later
    /// entries of the probe run back so that no lookup stops early at the hole.
    pub(crate) fn remove_at(&mut self, pos: usize) {
        let mask = self.mask();
        let Some(e) = self.entries.get_mut(pos) else {
            return;
        };
        if *e == EMPTY {
            return;
        }
        *e = EMPTY;
        self.len -= 1;
        let mut hole = pos;
        let mut next = (pos + 1) & mask;
        loop {
            let e = self.entries.get(next).copied().unwrap_or(EMPTY);
            if e == EMPTY {
                return;
            }
            // The entry may move into the hole if its home is not in (hole, next], cyclically:
            // then its probe passes the hole.
            let home = self.home(hash_of(e));
            let passes_hole = if hole <= next {
                home <= hole || home > next
            } else {
                home <= hole && home > next
            };
            if passes_hole {
                if let Some(h) = self.entries.get_mut(hole) {
                    *h = e;
                }
                if let Some(n) = self.entries.get_mut(next) {
                    *n = EMPTY;
                }
                hole = next;
            }
            next = (next + 1) & mask;
        }
    }

    /// Doubles the entries (at least [`MIN_CAPACITY`]) and reinserts what is stored.
    fn grow(&mut self) {
        let cap = (self.entries.len() * 2).max(MIN_CAPACITY);
        let old = core::mem::replace(&mut self.entries, vec![EMPTY; cap]);
        self.len = 0;
        for e in old.into_iter().filter(|&e| e != EMPTY) {
            self.insert(hash_of(e), slot_of(e));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use alloc::collections::BTreeMap;
    use proptest::prelude::*;

    #[test]
    fn colliding_hashes_and_removal_in_the_middle_of_a_run() {
        let mut ix = Index::default();
        // Same home (low bits), different hashes; and two slots under one hash.
        for (h, s) in [(0x10, 1), (0x20, 2), (0x30, 3), (0x10, 4)] {
            ix.insert(h, s);
        }
        assert_eq!(ix.find(0x10, |s| s == 4).map(|x| x.1), Some(4));
        let (pos, _) = ix.find(0x20, |_| true).unwrap();
        ix.remove_at(pos);
        assert_eq!(ix.find(0x20, |_| true), None);
        // Entries after the hole are still found.
        assert_eq!(ix.find(0x30, |_| true).map(|x| x.1), Some(3));
        assert_eq!(ix.find(0x10, |s| s == 4).map(|x| x.1), Some(4));
        assert_eq!(ix.len(), 3);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u32),
        Remove(usize),
    }

    proptest! {
        /// Against a map: every stored slot is found under its hash, every removed one is
        /// gone, whatever the collisions (hashes drawn from a small set, so runs wrap and
        /// cluster), and the index stays at most half full.
        #[test]
        fn behaves_as_a_map(ops in proptest::collection::vec(
            prop_oneof![
                (0u32..64).prop_map(|h| Op::Insert(h.wrapping_mul(0x0101_0101) | h)),
                any::<usize>().prop_map(Op::Remove),
            ],
            0..400,
        )) {
            let mut ix = Index::default();
            let mut model: BTreeMap<u32, u32> = BTreeMap::new(); // slot -> hash
            let mut next_slot = 0u32;
            for op in ops {
                match op {
                    Op::Insert(h) => {
                        ix.insert(h, next_slot);
                        model.insert(next_slot, h);
                        next_slot += 1;
                    }
                    Op::Remove(k) => {
                        if model.is_empty() {
                            continue;
                        }
                        let (&slot, &h) = model.iter().nth(k % model.len()).unwrap();
                        let (pos, s) = ix.find(h, |s| s == slot).unwrap();
                        prop_assert_eq!(s, slot);
                        ix.remove_at(pos);
                        model.remove(&slot);
                    }
                }
                prop_assert_eq!(ix.len(), model.len());
                prop_assert!(ix.len() * 2 <= ix.entries.len().max(1));
                for (&slot, &h) in &model {
                    prop_assert!(ix.find(h, |s| s == slot).is_some(), "slot {} lost", slot);
                }
            }
            let stored = ix.entries.iter().filter(|&&e| e != EMPTY).count();
            prop_assert_eq!(stored, model.len());
        }
    }
}
