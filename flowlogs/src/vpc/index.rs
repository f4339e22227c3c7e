//! The compiled index: first matching rule for (address, protocol, port) in O(log rules).
//!
//! Rules are reduced to conditions `(CIDR, protocol or all, key range)` listed in priority
//! order (NACL: rule number; security group: dump order; routes: longest prefix first). The key
//! is the port for TCP/UDP and `type << 8 | code` for ICMP.
//!
//! Build: the CIDR boundaries split each address family into elementary intervals (a sweep);
//! every interval gets the priority-ordered list of conditions covering it, cut after the first
//! condition that matches everything (nothing behind it can win). Equal lists are interned and
//! each distinct list is compiled once into a table over `protocol << 16 | key` (elementary
//! intervals, each with its winning condition), stored as one run of two flat arrays; equal
//! runs are stored once. Query: binary search on the address (which yields the run), binary
//! search in the run. No allocation.

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;

/// "No condition".
const NONE: u32 = u32::MAX;

/// One condition. Its priority is its position in the slice given to [`Matcher::build`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cond {
    /// Address block (IPv4 conditions never match IPv6 addresses and vice versa).
    pub(crate) net: IpNet,
    /// Protocol number, `None` = all protocols and all keys.
    pub(crate) proto: Option<u8>,
    /// Inclusive key range.
    pub(crate) lo: u16,
    /// Inclusive key range.
    pub(crate) hi: u16,
    /// What the lookup returns.
    pub(crate) id: u32,
}

impl Cond {
    fn matches_all(&self) -> bool {
        self.proto.is_none()
    }
}

/// First-match index over [`Cond`]s.
///
/// Layout (contiguous, no per-set allocation): each distinct condition list (a "set") is one
/// run of the flat arrays `keys`/`wins`, and each address interval holds its run's
/// `(offset, length)` directly (length 0: no condition). A run maps the combined key
/// `protocol << 16 | key` to the winning condition: one binary search answers both the protocol
/// and the port, where a scan of the protocols and a second search used to.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    v4: Axis<u32>,
    v6: Axis<u128>,
    /// Sorted starts of elementary `(protocol, key)` intervals; each run starts at 0.
    keys: Vec<u32>,
    /// The winning condition id of each interval ([`NONE`] = no condition).
    wins: Vec<u32>,
    len: usize,
}

#[derive(Debug, Clone)]
struct Axis<T> {
    starts: Vec<T>,
    /// While building: the set of each interval ([`NONE`] = none). Then replaced by `runs`.
    sets: Vec<u32>,
    /// Per interval: (offset, length) of its set's run in `keys`/`wins`; (0, 0) = none.
    runs: Vec<(u32, u32)>,
}

#[derive(Debug, Clone, Default)]
struct ProtoTable {
    specific: Vec<(u8, PortTable)>,
    any: u32,
}

#[derive(Debug, Clone, Default)]
struct PortTable {
    starts: Vec<u16>,
    win: Vec<u32>,
}

impl PortTable {
    fn build(conds: &[&Cond]) -> Self {
        let mut bounds: Vec<u16> = vec![0];
        for c in conds {
            bounds.push(c.lo);
            if let Some(n) = c.hi.checked_add(1) {
                bounds.push(n);
            }
        }
        bounds.sort_unstable();
        bounds.dedup();
        let mut t = PortTable::default();
        for b in bounds {
            let w = conds
                .iter()
                .find(|c| c.lo <= b && b <= c.hi)
                .map_or(NONE, |c| c.id);
            if t.win.last() != Some(&w) {
                t.starts.push(b);
                t.win.push(w);
            }
        }
        t
    }
}

impl ProtoTable {
    fn build(conds: &[&Cond]) -> Self {
        let any = conds
            .iter()
            .find(|c| c.proto.is_none())
            .map_or(NONE, |c| c.id);
        let mut protos: Vec<u8> = conds.iter().filter_map(|c| c.proto).collect();
        protos.sort_unstable();
        protos.dedup();
        let specific = protos
            .into_iter()
            .map(|p| {
                let sub: Vec<&Cond> = conds
                    .iter()
                    .copied()
                    .filter(|c| c.proto.is_none_or(|q| q == p))
                    .collect();
                (p, PortTable::build(&sub))
            })
            .collect();
        ProtoTable { specific, any }
    }

    /// Appends the run for `protocol << 16 | key` to `keys`/`wins`: `any` for protocols
    /// without a table of their own, each table's intervals inside its protocol's block.
    fn flatten(&self, keys: &mut Vec<u32>, wins: &mut Vec<u32>) -> (u32, u32) {
        let off = keys.len();
        let mut push = |k: u32, w: u32| {
            if keys.len() == off || wins.last() != Some(&w) {
                keys.push(k);
                wins.push(w);
            }
        };
        push(0, self.any);
        for (p, t) in &self.specific {
            let base = u32::from(*p) << 16;
            for (s, w) in t.starts.iter().zip(&t.win) {
                push(base | u32::from(*s), *w);
            }
            // The port table covers its whole block (its first start is 0); the next
            // protocol's block falls back to `any`.
            push((u32::from(*p) + 1) << 16, self.any);
        }
        (off as u32, (keys.len() - off) as u32)
    }
}

trait Bits: Copy + Ord + std::hash::Hash + std::fmt::Debug {
    const ZERO: Self;
    fn succ(self) -> Option<Self>;
}
impl Bits for u32 {
    const ZERO: Self = 0;
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
}
impl Bits for u128 {
    const ZERO: Self = 0;
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
}

impl<T: Bits> Axis<T> {
    /// `ranges[i]` = (start, end, priority).
    fn build(
        ranges: &[(T, T, usize)],
        conds: &[Cond],
        interned: &mut HashMap<Vec<u32>, u32>,
        sets: &mut Vec<ProtoTable>,
    ) -> Self {
        let mut bounds: Vec<T> = vec![T::ZERO];
        for &(s, e, _) in ranges {
            bounds.push(s);
            if let Some(n) = e.succ() {
                bounds.push(n);
            }
        }
        bounds.sort_unstable();
        bounds.dedup();
        let mut by_start: Vec<&(T, T, usize)> = ranges.iter().collect();
        by_start.sort_unstable_by_key(|r| r.0);
        let mut next = 0;
        // Active conditions (priority, end), kept sorted by priority.
        let mut active: Vec<(usize, T)> = Vec::new();
        let mut axis = Axis {
            starts: Vec::new(),
            sets: Vec::new(),
            runs: Vec::new(),
        };
        let mut key: Vec<u32> = Vec::new();
        for b in bounds {
            while next < by_start.len() && by_start[next].0 <= b {
                let (_, e, prio) = *by_start[next];
                let at = active.partition_point(|a| a.0 < prio);
                active.insert(at, (prio, e));
                next += 1;
            }
            active.retain(|a| a.1 >= b);
            key.clear();
            for &(prio, _) in &active {
                key.push(prio as u32);
                if conds[prio].matches_all() && conds[prio].lo == 0 && conds[prio].hi == u16::MAX {
                    break;
                }
            }
            let set = if key.is_empty() {
                NONE
            } else if let Some(&id) = interned.get(&key) {
                id
            } else {
                let members: Vec<&Cond> = key.iter().map(|&p| &conds[p as usize]).collect();
                let id = sets.len() as u32;
                sets.push(ProtoTable::build(&members));
                interned.insert(key.clone(), id);
                id
            };
            if axis.sets.last() != Some(&set) {
                axis.starts.push(b);
                axis.sets.push(set);
            }
        }
        axis
    }

    /// Replaces set ids by their runs.
    fn resolve(&mut self, tables: &[(u32, u32)]) {
        self.runs = std::mem::take(&mut self.sets)
            .into_iter()
            .map(|s| tables.get(s as usize).copied().unwrap_or((0, 0)))
            .collect();
    }

    /// The run of the interval holding `a`; (0, 0) when no condition covers it.
    #[inline]
    fn get(&self, a: T) -> (u32, u32) {
        let i = self.starts.partition_point(|&s| s <= a);
        match i.checked_sub(1) {
            Some(j) => self.runs.get(j).copied().unwrap_or((0, 0)),
            None => (0, 0),
        }
    }
}

impl Default for Matcher {
    fn default() -> Self {
        Matcher::build(&[])
    }
}

impl Matcher {
    /// Compiles `conds` (highest priority first).
    pub(crate) fn build(conds: &[Cond]) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (prio, c) in conds.iter().enumerate() {
            match c.net {
                IpNet::V4(n) => v4.push((u32::from(n.network()), u32::from(n.broadcast()), prio)),
                IpNet::V6(n) => v6.push((u128::from(n.network()), u128::from(n.broadcast()), prio)),
            }
        }
        let mut interned = HashMap::new();
        let mut sets = Vec::new();
        let mut v4 = Axis::build(&v4, conds, &mut interned, &mut sets);
        let mut v6 = Axis::build(&v6, conds, &mut interned, &mut sets);
        let mut keys = Vec::new();
        let mut wins = Vec::new();
        // Different condition lists often compile to the same run (a narrow rule shadowed by a
        // broader one): store each distinct run once.
        let mut runs: HashMap<(Vec<u32>, Vec<u32>), (u32, u32)> = HashMap::new();
        let (mut k, mut w) = (Vec::new(), Vec::new());
        let tables: Vec<(u32, u32)> = sets
            .iter()
            .map(|t| {
                k.clear();
                w.clear();
                let (_, n) = t.flatten(&mut k, &mut w);
                *runs.entry((k.clone(), w.clone())).or_insert_with(|| {
                    let off = keys.len() as u32;
                    keys.extend_from_slice(&k);
                    wins.extend_from_slice(&w);
                    (off, n)
                })
            })
            .collect();
        v4.resolve(&tables);
        v6.resolve(&tables);
        keys.shrink_to_fit();
        wins.shrink_to_fit();
        Matcher {
            v4,
            v6,
            keys,
            wins,
            len: conds.len(),
        }
    }

    /// The id of the first condition matching, if any.
    #[inline]
    pub(crate) fn first(&self, addr: IpAddr, proto: u8, key: u16) -> Option<u32> {
        let (off, n) = match addr {
            IpAddr::V4(a) => self.v4.get(u32::from(a)),
            IpAddr::V6(a) => self.v6.get(u128::from(a)),
        };
        let (off, n) = (off as usize, n as usize);
        let k = (u32::from(proto) << 16) | u32::from(key);
        let keys = self.keys.get(off..off + n)?;
        // `keys[0] == 0 <= k`, so at least one start qualifies.
        let i = keys.partition_point(|&s| s <= k);
        let w = *self.wins.get(off + i.checked_sub(1)?)?;
        (w != NONE).then_some(w)
    }

    /// Number of conditions compiled.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(net: &str, proto: Option<u8>, lo: u16, hi: u16, id: u32) -> Cond {
        Cond {
            net: net.parse().unwrap(),
            proto,
            lo,
            hi,
            id,
        }
    }

    #[test]
    fn first_match_wins_over_overlaps() {
        let m = Matcher::build(&[
            c("10.0.0.0/24", Some(6), 22, 22, 1),
            c("10.0.0.0/8", Some(6), 0, 1000, 2),
            c("0.0.0.0/0", None, 0, u16::MAX, 3),
        ]);
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(m.first(a("10.0.0.9"), 6, 22), Some(1));
        assert_eq!(m.first(a("10.0.0.9"), 6, 23), Some(2));
        assert_eq!(m.first(a("10.9.0.9"), 6, 22), Some(2));
        assert_eq!(m.first(a("10.9.0.9"), 6, 1001), Some(3));
        assert_eq!(m.first(a("10.9.0.9"), 17, 22), Some(3));
        assert_eq!(m.first(a("11.0.0.0"), 6, 22), Some(3));
        assert_eq!(m.first(a("255.255.255.255"), 6, 22), Some(3));
        assert_eq!(m.first(a("::1"), 6, 22), None);
    }
}
