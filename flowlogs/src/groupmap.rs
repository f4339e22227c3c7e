//! The hash map behind grouping: fixed-size keys to [`Totals`], open addressing with linear
//! probing in one flat array, and inserts taken in batches.
//!
//! Why not `HashMap`: with millions of groups the table is far larger than the caches and
//! every insert costs a cache miss (two with hashbrown: the control bytes and the slot). Here
//! a slot holds key and sums together (one miss), and inserts wait in a small queue: when it
//! is full, one pass loads the home slot of every queued key (independent loads, so the misses
//! overlap) and a second pass inserts, now from cache. The same idea as DuckDB's and
//! ClickHouse's batched aggregation, without prefetch intrinsics (no `unsafe`).
//!
//! A slot is empty when its record count is 0: every group has at least one record.

use std::hash::{BuildHasher, Hash};

use arrayvec::ArrayVec;

use crate::query::Totals;

/// Keys queued before a batch is inserted.
const BATCH: usize = 32;

/// Grow when more than 7/10 of the slots would be used.
const LOAD_NUM: usize = 7;
const LOAD_DEN: usize = 10;

/// A fixed-size key: plain words, compared whole.
pub(crate) trait Key: Copy + Eq + Hash {
    /// The key of an empty slot (any value would do: emptiness is in the sums).
    const EMPTY: Self;
}

impl<const N: usize> Key for [u32; N] {
    const EMPTY: Self = [0; N];
}

impl<const N: usize> Key for [u64; N] {
    const EMPTY: Self = [0; N];
}

#[derive(Clone, Copy, Debug)]
struct Slot<K> {
    key: K,
    totals: Totals,
}

/// Fixed-size keys (`Copy`, compared whole) to sums.
#[derive(Clone, Debug)]
pub(crate) struct GroupMap<K> {
    slots: Vec<Slot<K>>,
    /// Occupied slots.
    used: usize,
    queue: ArrayVec<(K, u64, Totals), BATCH>,
    state: foldhash::fast::RandomState,
}

impl<K> Default for GroupMap<K> {
    fn default() -> Self {
        GroupMap {
            slots: Vec::new(),
            used: 0,
            queue: ArrayVec::new(),
            state: foldhash::fast::RandomState::default(),
        }
    }
}

impl<K: Key> GroupMap<K> {
    /// Adds `totals` to `key`'s group (queued; see [`GroupMap::flush`]). `totals.records`
    /// must be at least 1.
    #[inline]
    pub(crate) fn add(&mut self, key: K, totals: Totals) {
        debug_assert!(totals.records > 0);
        let hash = self.state.hash_one(key);
        // Cannot fail: the queue is flushed as soon as it is full.
        let _ = self.queue.try_push((key, hash, totals));
        if self.queue.is_full() {
            self.flush();
        }
    }

    /// Inserts every queued key.
    pub(crate) fn flush(&mut self) {
        if self.queue.is_empty() {
            return;
        }
        self.reserve(self.queue.len());
        let mask = self.slots.len() - 1;
        // Touch every home slot first: the loads do not depend on each other, so their cache
        // misses are in flight together; the inserts below then mostly hit the cache.
        let mut touched = 0u64;
        for &(_, hash, _) in &self.queue {
            touched ^= self.slots[hash as usize & mask].totals.records;
        }
        std::hint::black_box(touched);
        let queue = std::mem::take(&mut self.queue);
        for (key, hash, totals) in queue {
            self.insert(key, hash, &totals);
        }
    }

    /// Room for `more` new groups without passing the load limit.
    fn reserve(&mut self, more: usize) {
        let need = self.used + more;
        if need * LOAD_DEN <= self.slots.len() * LOAD_NUM {
            return;
        }
        let mut cap = self.slots.len().max(64);
        while need * LOAD_DEN > cap * LOAD_NUM {
            cap *= 2;
        }
        let old = std::mem::replace(
            &mut self.slots,
            vec![
                Slot {
                    key: K::EMPTY,
                    totals: Totals::default()
                };
                cap
            ],
        );
        self.used = 0;
        for slot in old {
            if slot.totals.records > 0 {
                let hash = self.state.hash_one(slot.key);
                self.insert(slot.key, hash, &slot.totals);
            }
        }
    }

    #[inline]
    fn insert(&mut self, key: K, hash: u64, totals: &Totals) {
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let slot = &mut self.slots[i];
            if slot.totals.records == 0 {
                slot.key = key;
                slot.totals = *totals;
                self.used += 1;
                return;
            }
            if slot.key == key {
                slot.totals.add(totals);
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Number of groups, queued keys included.
    pub(crate) fn len(&self) -> usize {
        let mut fresh = 0;
        for (n, (key, hash, _)) in self.queue.iter().enumerate() {
            let seen_in_queue = self.queue[..n].iter().any(|(k, _, _)| k == key);
            if !seen_in_queue && self.get(key, *hash).is_none() {
                fresh += 1;
            }
        }
        self.used + fresh
    }

    fn get(&self, key: &K, hash: u64) -> Option<&Totals> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let slot = &self.slots[i];
            if slot.totals.records == 0 {
                return None;
            }
            if slot.key == *key {
                return Some(&slot.totals);
            }
            i = (i + 1) & mask;
        }
    }

    /// Every group, after a [`GroupMap::flush`] (queued keys are not visited).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &Totals)> {
        debug_assert!(self.queue.is_empty());
        self.slots
            .iter()
            .filter(|s| s.totals.records > 0)
            .map(|s| (&s.key, &s.totals))
    }

    /// Every group's sums, after a [`GroupMap::flush`].
    pub(crate) fn values(&self) -> impl Iterator<Item = &Totals> {
        self.iter().map(|(_, t)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn t(records: u64, bytes: u64) -> Totals {
        Totals {
            records,
            packets: records,
            bytes,
        }
    }

    /// Against `HashMap` over keys that collide in the low bits, through several growths, with
    /// `len` checked while keys are still queued.
    #[test]
    fn agrees_with_hashmap() {
        let mut map = GroupMap::<[u32; 2]>::default();
        let mut want: HashMap<[u32; 2], Totals> = HashMap::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..50_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = [(x % 3000) as u32 * 1024, (x >> 40) as u32 % 3];
            let add = t(1 + i % 3, x % 1000);
            map.add(key, add);
            want.entry(key).or_default().add(&add);
            if i % 997 == 0 {
                assert_eq!(map.len(), want.len());
            }
        }
        map.flush();
        assert_eq!(map.len(), want.len());
        let got: HashMap<[u32; 2], Totals> = map.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(got, want);
        assert_eq!(
            map.values().map(|t| t.records).sum::<u64>(),
            want.values().map(|t| t.records).sum::<u64>()
        );
    }

    #[test]
    fn a_zero_key_is_a_key() {
        let mut map = GroupMap::<[u64; 1]>::default();
        map.add([0], t(1, 5));
        map.add([0], t(2, 6));
        assert_eq!(map.len(), 1);
        map.flush();
        let all: Vec<_> = map.iter().collect();
        assert_eq!(all, vec![(&[0u64], &t(3, 11))]);
    }
}
