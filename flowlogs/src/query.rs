//! Filters and grouping over records, in plain Rust: a streaming hash aggregation whose memory
//! is bounded by the number of groups, not by the number of records.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::net::IpAddr;

use arrayvec::ArrayVec;
pub use ipnet::IpNet;

use crate::field::Field;
use crate::groupmap::GroupMap;
use crate::record::{is_private, Action, FlowRecord, Value};

/// Which records a query keeps. Every condition given must hold. Records whose log-status is
/// not OK never match (they carry no traffic).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// `action` equals this.
    pub action: Option<Action>,
    /// `srcaddr` inside this network.
    pub src: Option<IpNet>,
    /// `dstaddr` inside this network.
    pub dst: Option<IpNet>,
    /// `srcport` or `dstport` equals this.
    pub port: Option<u16>,
    /// `dstport` equals this.
    pub dst_port: Option<u16>,
    /// `protocol` equals this.
    pub protocol: Option<u8>,
    /// `interface-id` equals this.
    pub eni: Option<String>,
    /// Unix seconds: the record's `end` is at or after this.
    pub since: Option<i64>,
    /// Unix seconds: the record's `start` is at or before this.
    pub until: Option<i64>,
    /// Packet source (`pkt-srcaddr`, else `srcaddr`) public and `dstaddr` private.
    pub from_internet: bool,
    /// `pkt-src-aws-service` or `pkt-dst-aws-service` present (`Some(None)`), or equal to the
    /// given name (`Some(Some(name))`, case-insensitive).
    pub aws_service: Option<Option<String>>,
}

fn in_net(net: &Option<IpNet>, addr: Option<IpAddr>) -> bool {
    match net {
        None => true,
        Some(net) => addr.is_some_and(|a| net.contains(&a)),
    }
}

impl Filter {
    /// Whether the record passes every condition.
    pub fn matches(&self, rec: &FlowRecord<'_>) -> bool {
        if !rec.is_ok() {
            return false;
        }
        if self.action.is_some() && rec.action != self.action {
            return false;
        }
        if !in_net(&self.src, rec.srcaddr) || !in_net(&self.dst, rec.dstaddr) {
            return false;
        }
        if let Some(p) = self.port {
            if rec.srcport != Some(p) && rec.dstport != Some(p) {
                return false;
            }
        }
        if self.dst_port.is_some() && rec.dstport != self.dst_port {
            return false;
        }
        if self.protocol.is_some() && rec.protocol != self.protocol {
            return false;
        }
        if let Some(eni) = &self.eni {
            if rec.interface_id != Some(eni.as_str()) {
                return false;
            }
        }
        if let Some(since) = self.since {
            if rec.end.or(rec.start).is_none_or(|t| t < since) {
                return false;
            }
        }
        if let Some(until) = self.until {
            if rec.start.or(rec.end).is_none_or(|t| t > until) {
                return false;
            }
        }
        if self.from_internet {
            let public_src = rec.packet_source().is_some_and(|a| !is_private(a));
            let private_dst = rec.dstaddr.is_some_and(is_private);
            if !(public_src && private_dst) {
                return false;
            }
        }
        if let Some(service) = &self.aws_service {
            let hit = |s: Option<&str>| match (s, service) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(s), Some(want)) => s.eq_ignore_ascii_case(want),
            };
            if !hit(rec.pkt_src_aws_service) && !hit(rec.pkt_dst_aws_service) {
                return false;
            }
        }
        true
    }
}

/// What groups are ranked by (descending).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    /// Sum of bytes.
    #[default]
    Bytes,
    /// Sum of packets.
    Packets,
    /// Number of records.
    Records,
}

/// The most group columns.
pub const MAX_GROUP_COLUMNS: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum KeyPart {
    Null,
    Int(i64),
    Ip(IpAddr),
    Str(u32),
}

type Parts = ArrayVec<KeyPart, MAX_GROUP_COLUMNS>;

/// Words of a wide key: two per column (128 bits of value) and one of tags (3 bits a column).
const WIDE_WORDS: usize = 2 * MAX_GROUP_COLUMNS + 1;

// Compact slot (one word per column): 0 is null, else the top two bits say what the low 62 hold.
const C_INT: u64 = 1 << 62;
const C_IP4: u64 = 2 << 62;
const C_STR: u64 = 3 << 62;
const C_MASK: u64 = (1 << 62) - 1;

// Wide tags.
const W_NULL: u64 = 0;
const W_INT: u64 = 1;
const W_IP4: u64 = 2;
const W_IP6: u64 = 3;
const W_STR: u64 = 4;

/// One word per column, when every value fits in 62 bits (IPv4, ports, interned strings, ...).
fn encode_compact(parts: &Parts, out: &mut [u64; MAX_GROUP_COLUMNS]) -> bool {
    for (slot, part) in out.iter_mut().zip(parts) {
        *slot = match *part {
            KeyPart::Null => 0,
            KeyPart::Int(v) => match u64::try_from(v) {
                Ok(v) if v <= C_MASK => C_INT | v,
                _ => return false,
            },
            KeyPart::Ip(IpAddr::V4(a)) => C_IP4 | u64::from(u32::from(a)),
            KeyPart::Ip(IpAddr::V6(_)) => return false,
            KeyPart::Str(id) => C_STR | u64::from(id),
        };
    }
    true
}

fn decode_compact(words: &[u64], columns: usize) -> Parts {
    words[..columns]
        .iter()
        .map(|&w| {
            let v = w & C_MASK;
            match w & !C_MASK {
                _ if w == 0 => KeyPart::Null,
                C_INT => KeyPart::Int(v as i64),
                C_IP4 => KeyPart::Ip(IpAddr::V4((v as u32).into())),
                _ => KeyPart::Str(v as u32),
            }
        })
        .collect()
}

/// Two words per column and a tag word after them: any value.
fn encode_wide(parts: &Parts, out: &mut [u64; WIDE_WORDS]) -> usize {
    let n = parts.len();
    let mut tags = 0u64;
    for (i, part) in parts.iter().enumerate() {
        let (tag, v): (u64, u128) = match *part {
            KeyPart::Null => (W_NULL, 0),
            KeyPart::Int(v) => (W_INT, u128::from(v as u64)),
            KeyPart::Ip(IpAddr::V4(a)) => (W_IP4, u128::from(u32::from(a))),
            KeyPart::Ip(IpAddr::V6(a)) => (W_IP6, u128::from(a)),
            KeyPart::Str(id) => (W_STR, u128::from(id)),
        };
        out[2 * i] = v as u64;
        out[2 * i + 1] = (v >> 64) as u64;
        tags |= tag << (3 * i);
    }
    out[2 * n] = tags;
    2 * n + 1
}

fn decode_wide(words: &[u64], columns: usize) -> Parts {
    let tags = words[2 * columns];
    (0..columns)
        .map(|i| {
            let v = u128::from(words[2 * i]) | (u128::from(words[2 * i + 1]) << 64);
            match (tags >> (3 * i)) & 7 {
                W_INT => KeyPart::Int(v as u64 as i64),
                W_IP4 => KeyPart::Ip(IpAddr::V4((v as u32).into())),
                W_IP6 => KeyPart::Ip(IpAddr::V6(v.into())),
                W_STR => KeyPart::Str(v as u32),
                _ => KeyPart::Null,
            }
        })
        .collect()
}

type Map<K> = GroupMap<K>;

/// The groups of one aggregator, keyed by fixed-size arrays of words: a key goes to the tiny
/// table (`C` 32-bit words) when it has no null and every value fits in 32 bits (the usual
/// case: IPv4 addresses, ports, interned strings), else to the compact one (`C` 64-bit words)
/// when every value fits in 62 bits, else to the wide one (`W` words: IPv6). Which table a key
/// belongs to depends only on the key, so a group is never in two.
#[derive(Debug, Clone)]
struct Tables<const C: usize, const W: usize> {
    /// Per column, the value kind of the tiny table (0 until seen, then 1 int, 2 IPv4, 3 text).
    kinds: [u8; MAX_GROUP_COLUMNS],
    /// Keys without nulls whose values all fit in 32 bits (IPv4, ports, interned strings).
    tiny: Map<[u32; C]>,
    compact: Map<[u64; C]>,
    wide: Map<[u64; W]>,
}

/// 32 bits per column, when no value is null and every one fits; a column's kind is fixed by
/// its field, learned from the first value seen (`kinds`), so decoding needs nothing else.
#[inline]
fn encode_tiny(
    parts: &Parts,
    kinds: &mut [u8; MAX_GROUP_COLUMNS],
    out: &mut [u32; MAX_GROUP_COLUMNS],
) -> bool {
    for (i, part) in parts.iter().enumerate() {
        let (kind, v) = match *part {
            KeyPart::Int(v) => match u32::try_from(v) {
                Ok(v) => (1, v),
                Err(_) => return false,
            },
            KeyPart::Ip(IpAddr::V4(a)) => (2, u32::from(a)),
            KeyPart::Str(id) => (3, id),
            KeyPart::Null | KeyPart::Ip(IpAddr::V6(_)) => return false,
        };
        if kinds[i] == 0 {
            kinds[i] = kind;
        } else if kinds[i] != kind {
            return false;
        }
        out[i] = v;
    }
    true
}

fn decode_tiny(words: &[u32], kinds: &[u8; MAX_GROUP_COLUMNS], columns: usize) -> Parts {
    words[..columns]
        .iter()
        .zip(kinds)
        .map(|(&v, &kind)| match kind {
            1 => KeyPart::Int(i64::from(v)),
            2 => KeyPart::Ip(IpAddr::V4(v.into())),
            _ => KeyPart::Str(v),
        })
        .collect()
}

impl<const C: usize, const W: usize> Default for Tables<C, W> {
    fn default() -> Self {
        Tables {
            kinds: [0; MAX_GROUP_COLUMNS],
            tiny: GroupMap::default(),
            compact: GroupMap::default(),
            wide: GroupMap::default(),
        }
    }
}

impl<const C: usize, const W: usize> Tables<C, W> {
    #[inline]
    fn add(&mut self, parts: &Parts, totals: &Totals) {
        let mut t = [0u32; MAX_GROUP_COLUMNS];
        let mut c = [0u64; MAX_GROUP_COLUMNS];
        if encode_tiny(parts, &mut self.kinds, &mut t) {
            let key: [u32; C] = std::array::from_fn(|i| t[i]);
            self.tiny.add(key, *totals);
        } else if encode_compact(parts, &mut c) {
            let key: [u64; C] = std::array::from_fn(|i| c[i]);
            self.compact.add(key, *totals);
        } else {
            let mut w = [0u64; WIDE_WORDS];
            encode_wide(parts, &mut w);
            let key: [u64; W] = std::array::from_fn(|i| w[i]);
            self.wide.add(key, *totals);
        }
    }

    /// Inserts queued keys; before visiting groups.
    fn flush(&mut self) {
        self.tiny.flush();
        self.compact.flush();
        self.wide.flush();
    }

    fn len(&self) -> usize {
        self.tiny.len() + self.compact.len() + self.wide.len()
    }

    fn for_each(&self, columns: usize, f: &mut dyn FnMut(Parts, &Totals)) {
        for (k, t) in self.tiny.iter() {
            f(decode_tiny(k, &self.kinds, columns), t);
        }
        for (k, t) in self.compact.iter() {
            f(decode_compact(k, columns), t);
        }
        for (k, t) in self.wide.iter() {
            f(decode_wide(k, columns), t);
        }
    }

    fn totals(&self) -> impl Iterator<Item = &Totals> {
        self.tiny
            .values()
            .chain(self.compact.values())
            .chain(self.wide.values())
    }
}

/// Key sizes by the number of group columns (1, 2, up to 4, up to 8); boxed, as each holds
/// its tables' insert queues (up to a few KiB).
#[derive(Debug, Clone)]
enum Groups {
    One(Box<Tables<1, 3>>),
    Two(Box<Tables<2, 5>>),
    Four(Box<Tables<4, 9>>),
    Eight(Box<Tables<8, 17>>),
}

macro_rules! each {
    ($groups:expr, $t:ident => $body:expr) => {
        match $groups {
            Groups::One($t) => $body,
            Groups::Two($t) => $body,
            Groups::Four($t) => $body,
            Groups::Eight($t) => $body,
        }
    };
}

impl Groups {
    fn new(columns: usize) -> Groups {
        match columns {
            0 | 1 => Groups::One(Box::default()),
            2 => Groups::Two(Box::default()),
            3 | 4 => Groups::Four(Box::default()),
            _ => Groups::Eight(Box::default()),
        }
    }
}

/// Sums for one group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Records.
    pub records: u64,
    /// Sum of `packets` (`-` counts 0).
    pub packets: u64,
    /// Sum of `bytes` (`-` counts 0).
    pub bytes: u64,
}

impl Totals {
    pub(crate) fn add(&mut self, other: &Totals) {
        self.records += other.records;
        self.packets += other.packets;
        self.bytes += other.bytes;
    }

    fn key(&self, sort: SortKey) -> u64 {
        match sort {
            SortKey::Bytes => self.bytes,
            SortKey::Packets => self.packets,
            SortKey::Records => self.records,
        }
    }
}

/// An owned group value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupValue {
    /// `-` or absent.
    Null,
    /// A number.
    Int(i64),
    /// An address.
    Ip(IpAddr),
    /// Text.
    Str(String),
}

impl std::fmt::Display for GroupValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GroupValue::Null => Ok(()),
            GroupValue::Int(v) => write!(f, "{v}"),
            GroupValue::Ip(v) => write!(f, "{v}"),
            GroupValue::Str(v) => f.write_str(v),
        }
    }
}

/// One result row of a grouping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRow {
    /// The group's values, one per group column.
    pub values: Vec<GroupValue>,
    /// Its sums.
    pub totals: Totals,
}

/// Streams records into groups: `GROUP BY columns`, summing records, packets and bytes.
#[derive(Debug, Clone)]
pub struct Aggregator {
    columns: Vec<Field>,
    groups: Groups,
    strings: HashMap<Box<str>, u32, foldhash::fast::RandomState>,
    names: Vec<Box<str>>,
}

/// Too many or unusable group columns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GroupError {
    /// More than [`MAX_GROUP_COLUMNS`].
    #[error("at most {MAX_GROUP_COLUMNS} group columns")]
    TooManyColumns,
    /// No columns.
    #[error("no group columns")]
    NoColumns,
    /// A field flowsleuth does not know cannot be grouped on.
    #[error("unknown field {0}")]
    UnknownField(String),
}

impl Aggregator {
    /// An aggregator grouping on `columns`.
    ///
    /// # Errors
    ///
    /// [`GroupError`] for no columns, too many, or an unknown field.
    pub fn new(columns: Vec<Field>) -> Result<Aggregator, GroupError> {
        if columns.is_empty() {
            return Err(GroupError::NoColumns);
        }
        if columns.len() > MAX_GROUP_COLUMNS {
            return Err(GroupError::TooManyColumns);
        }
        if let Some(Field::Unknown(name)) = columns.iter().find(|c| matches!(c, Field::Unknown(_)))
        {
            return Err(GroupError::UnknownField(name.to_string()));
        }
        Ok(Aggregator {
            groups: Groups::new(columns.len()),
            columns,
            strings: HashMap::default(),
            names: Vec::new(),
        })
    }

    /// The group columns.
    pub fn columns(&self) -> &[Field] {
        &self.columns
    }

    /// Number of groups so far.
    pub fn len(&self) -> usize {
        each!(&self.groups, t => t.len())
    }

    /// Whether there are no groups yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.strings.get(s) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(s.into());
        self.strings.insert(s.into(), id);
        id
    }

    /// Adds one record to its group (no filtering here).
    pub fn add(&mut self, rec: &FlowRecord<'_>) {
        let mut parts = Parts::new();
        for i in 0..self.columns.len() {
            let part = match rec.value(&self.columns[i]) {
                Value::Null => KeyPart::Null,
                Value::Int(v) => KeyPart::Int(v),
                Value::Ip(v) => KeyPart::Ip(v),
                Value::Str(s) => KeyPart::Str(self.intern(s)),
            };
            parts.push(part);
        }
        let totals = Totals {
            records: 1,
            packets: rec.packets.unwrap_or(0),
            bytes: rec.bytes.unwrap_or(0),
        };
        each!(&mut self.groups, t => t.add(&parts, &totals));
    }

    /// Adds another aggregator's groups (same columns) into this one. The smaller of the two
    /// is folded into the larger, whose table is kept.
    pub fn merge(&mut self, mut other: Aggregator) {
        each!(&mut self.groups, t => t.flush());
        each!(&mut other.groups, t => t.flush());
        if other.len() > self.len() {
            std::mem::swap(self, &mut other);
        }
        let columns = other.columns.len();
        let Aggregator {
            groups: other_groups,
            names: other_names,
            ..
        } = other;
        each!(&other_groups, t => t.for_each(columns, &mut |parts, totals| {
            let parts: Parts = parts
                .into_iter()
                .map(|p| match p {
                    KeyPart::Str(id) => KeyPart::Str(self.intern(&other_names[id as usize])),
                    p => p,
                })
                .collect();
            each!(&mut self.groups, mine => mine.add(&parts, totals));
        }));
    }

    fn owned(&self, part: KeyPart) -> GroupValue {
        match part {
            KeyPart::Null => GroupValue::Null,
            KeyPart::Int(v) => GroupValue::Int(v),
            KeyPart::Ip(v) => GroupValue::Ip(v),
            KeyPart::Str(id) => GroupValue::Str(self.names[id as usize].to_string()),
        }
    }

    /// The top `limit` groups (all with `None`) by `sort` descending, ties broken by the group
    /// values ascending (numbers numerically, addresses and text as text, `-` last).
    pub fn finish(mut self, sort: SortKey, limit: Option<usize>) -> Vec<GroupRow> {
        if limit == Some(0) {
            return Vec::new();
        }
        each!(&mut self.groups, t => t.flush());
        // Only what can make the top `limit` is decoded: everything at or above the limit-th
        // sort value (found over a vector of the sort values alone, 8 bytes a group).
        let threshold = match limit {
            Some(limit) if limit < self.len() => {
                let mut keys: Vec<u64> =
                    each!(&self.groups, t => t.totals().map(|t| t.key(sort)).collect());
                let (_, nth, _) = keys.select_nth_unstable_by(limit - 1, |a, b| b.cmp(a));
                *nth
            }
            _ => 0,
        };
        let mut rows: Vec<GroupRow> = Vec::new();
        each!(&self.groups, t => t.for_each(self.columns.len(), &mut |parts, totals| {
            if totals.key(sort) >= threshold {
                rows.push(GroupRow {
                    values: parts.into_iter().map(|p| self.owned(p)).collect(),
                    totals: *totals,
                });
            }
        }));
        rows.sort_by(|a, b| {
            b.totals
                .key(sort)
                .cmp(&a.totals.key(sort))
                .then_with(|| compare_values(&a.values, &b.values))
        });
        if let Some(limit) = limit {
            rows.truncate(limit);
        }
        rows
    }
}

fn compare_values(a: &[GroupValue], b: &[GroupValue]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (GroupValue::Null, GroupValue::Null) => Ordering::Equal,
            (GroupValue::Null, _) => Ordering::Greater,
            (_, GroupValue::Null) => Ordering::Less,
            (GroupValue::Int(x), GroupValue::Int(y)) => x.cmp(y),
            (GroupValue::Str(x), GroupValue::Str(y)) => x.cmp(y),
            _ => x.to_string().cmp(&y.to_string()),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec<'a>(src: &str, port: Option<u16>, start: Option<i64>, iface: &'a str) -> FlowRecord<'a> {
        FlowRecord {
            srcaddr: src.parse().ok(),
            dstport: port,
            start,
            interface_id: Some(iface),
            bytes: Some(10),
            packets: Some(1),
            ..FlowRecord::default()
        }
    }

    /// Keys in the tiny, compact and wide tables (null, IPv6, values over 32 and 62 bits) stay
    /// distinct, decode back to what went in, and merge with the same key from another table.
    #[test]
    fn every_key_width_round_trips_and_merges() {
        let cols = vec![
            Field::Srcaddr,
            Field::Dstport,
            Field::Start,
            Field::InterfaceId,
        ];
        let records = [
            rec("10.0.0.1", Some(22), Some(5), "eni-a"),
            rec("10.0.0.1", None, Some(5), "eni-a"),
            rec("10.0.0.1", Some(22), Some(1 << 40), "eni-a"),
            rec("10.0.0.1", Some(22), Some(i64::MAX), "eni-b"),
            rec("2001:db8::1", Some(22), Some(5), "eni-a"),
            rec("bad", Some(22), Some(5), "eni-a"),
        ];
        let mut a = Aggregator::new(cols.clone()).unwrap();
        let mut b = Aggregator::new(cols).unwrap();
        for r in &records {
            a.add(r);
            a.add(r);
        }
        for r in records.iter().rev() {
            b.add(r);
        }
        assert_eq!(a.len(), records.len());
        a.merge(b);
        assert_eq!(a.len(), records.len());
        let rows = a.finish(SortKey::Bytes, None);
        assert_eq!(rows.len(), records.len());
        for r in &records {
            let want: Vec<GroupValue> = [
                r.srcaddr.map_or(GroupValue::Null, GroupValue::Ip),
                r.dstport
                    .map_or(GroupValue::Null, |p| GroupValue::Int(p.into())),
                r.start.map_or(GroupValue::Null, GroupValue::Int),
                GroupValue::Str(r.interface_id.unwrap_or_default().to_owned()),
            ]
            .into();
            let row = rows.iter().find(|row| row.values == want).unwrap();
            assert_eq!(row.totals.records, 3);
            assert_eq!(row.totals.bytes, 30);
        }
    }
}
