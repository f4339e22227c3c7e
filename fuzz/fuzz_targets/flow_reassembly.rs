//! The flow table and the TCP reassembler on synthetic segments.
//!
//! Input: 4 bytes of ISN, 1 byte of settings, then records of 4 bytes + payload:
//! `[ctl, seq_lo, seq_hi, len]` where `ctl` bit 0 picks one of two connections, bit 1 the
//! direction, bits 2..7 the TCP flags (SYN, FIN, RST, ACK, PSH); the sequence number is the
//! ISN plus the 16-bit offset (so wraparound near 2^32 is reached), and `len` payload bytes
//! follow (fewer if the input ends). Small caps: 1 or 2 flows, 64-byte window, 256-byte
//! memory limit. Checks: no panic; reassembly memory within the limit; a standalone
//! reassembler's buffer within its cap; delivered bytes contiguous per connection and
//! direction (each delivery starts where the previous one ended, or right after a reported
//! gap). Settings bits 2/3/4 switch a connection to pass-through, stop its reassembly, or
//! switch its responder side to pass-through, at the third segment; contiguity must still
//! hold.

#![no_main]

use std::collections::HashMap;

use decode::flow::{
    reassemble_all, FlowConfig, FlowRecord, FlowTable, MemoryBudget, Reassembler, Role,
};
use decode::{decode, LinkType};
use libfuzzer_sys::fuzz_target;

const CAP: usize = 64;
const MEM: usize = 256;

fn frame(conn: u8, to_server: bool, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let client = [10, 0, 0, 1 + conn];
    let server = [10, 0, 0, 100];
    let (src, dst, sp, dp) = if to_server {
        (client, server, 40000u16, 443u16)
    } else {
        (server, client, 443, 40000)
    };
    let total = (40 + payload.len()) as u16;
    let mut p = vec![0x45, 0, (total >> 8) as u8, total as u8, 0, 0, 0x40, 0, 64, 6, 0, 0];
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&sp.to_be_bytes());
    p.extend_from_slice(&dp.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    p.extend_from_slice(payload);
    p
}

fuzz_target!(|input: &[u8]| {
    let Some((head, mut rest)) = input.split_first_chunk::<5>() else {
        return;
    };
    let isn = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    let settings = head[4];
    let mut table = FlowTable::new(FlowConfig {
        max_flows: 1 + usize::from(settings & 1),
        reassemble: Some(reassemble_all),
        reassembly_cap_per_direction: CAP,
        reassembly_depth: (settings & 2 != 0).then_some(100),
        reassembly_memory_limit: MEM,
        ..FlowConfig::default()
    });
    let mut alone = Reassembler::new();
    let mut budget = MemoryBudget::new(MEM);
    let mut next: HashMap<(u64, bool), u64> = HashMap::new();
    let mut sink = |_: &FlowRecord| {};
    let mut frame_no = 0u64;
    let mut ts = 0i64;
    while let Some((rec, tail)) = rest.split_first_chunk::<4>() {
        let [ctl, lo, hi, len] = *rec;
        let n = usize::from(len).min(tail.len());
        let (payload, tail) = tail.split_at(n);
        rest = tail;
        let flags = [0x02u8, 0x01, 0x04, 0x10, 0x08]
            .iter()
            .enumerate()
            .filter(|(i, _)| ctl & (4 << i) != 0)
            .fold(0u8, |acc, (_, f)| acc | f);
        let seq = isn.wrapping_add(u32::from(u16::from_le_bytes([lo, hi])));
        let conn = ctl & 1;
        let to_server = ctl & 2 != 0;
        let bytes = frame(conn, to_server, seq, flags, payload);
        let pkt = decode(LinkType::Raw, &bytes);
        frame_no += 1;
        ts += 1_000_000;
        let mut seen = None;
        if let Some(o) = table.observe(frame_no, ts, &pkt, &mut sink) {
            seen = Some((o.key, o.id));
            let key = (o.id.0, to_server);
            let d = o.stream;
            if let Some((at, gap)) = d.gap {
                if let Some(expected) = next.get(&key) {
                    assert_eq!(at, *expected);
                }
                assert_eq!(d.offset, at + gap);
            }
            if !d.data.is_empty() {
                if let (Some(expected), None) = (next.get(&key), d.gap) {
                    assert_eq!(d.offset, *expected);
                }
            }
            // A gap moves the stream on even when the bytes after it are not delivered (the
            // memory budget refused them: they are counted as dropped and fall in the next gap).
            if !d.data.is_empty() || d.gap.is_some() {
                next.insert(key, d.offset + d.data.len() as u64);
            }
        }
        // Settings bits 2 and 3: from the third segment on, pass-through or stopped reassembly
        // (what `flowsleuth tls` does after a handshake, or for a stream that is not TLS); bit
        // 4: pass-through for the responder's side only (a TLS direction once encrypted).
        if frame_no == 3 {
            if let Some((k, id)) = seen {
                if settings & 4 != 0 {
                    assert!(table.pass_through_reassembly(&k, id));
                    alone.set_pass_through(&mut budget);
                } else if settings & 8 != 0 {
                    assert!(table.stop_reassembly(&k, id));
                } else if settings & 16 != 0 {
                    assert!(table.pass_through_side(&k, id, Role::Resp));
                }
            }
        }
        assert!(table.reassembly_memory() <= MEM);
        // The same segments, one direction only, straight into a reassembler.
        if conn == 0 && to_server {
            if flags & 0x02 != 0 {
                alone.syn(seq);
            }
            let _ = alone.segment(frame_no, seq, payload, n as u32, CAP, None, &mut budget);
            assert!(alone.buffered_capacity() <= CAP);
            assert!(budget.used <= MEM);
        }
    }
    table.finish(&mut sink);
    assert_eq!(table.reassembly_memory(), 0);
    assert!(table.is_empty());
});
