//! After warm-up, the flow table does not allocate per packet: flows come and go (eviction,
//! timeouts) in reused slots, with allocation forbidden on this thread.
//!
//! Uses `assert_no_alloc`'s counting allocator (as `no_alloc.rs` does); it counts in debug
//! builds, which is what `cargo test` uses.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use assert_no_alloc::{assert_no_alloc, reset_violation_count, violation_count, AllocDisabler};
use decode::flow::{reassemble_all, FlowConfig, FlowRecord, FlowTable};
use decode::{decode, LinkType};

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

fn syn(n: u32) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0];
    p.extend_from_slice(&(0x0a00_0000 | n).to_be_bytes());
    p.extend_from_slice(&[192, 0, 2, 1]);
    p.extend_from_slice(&((n % 50000) as u16 + 1024).to_be_bytes());
    p.extend_from_slice(&80u16.to_be_bytes());
    p.extend_from_slice(&n.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
    p
}

#[test]
fn no_allocation_per_packet_after_warm_up() {
    const CAP: usize = 512;
    let mut table = FlowTable::new(FlowConfig {
        max_flows: CAP,
        // Reassembly on: SYN-only flows must not allocate reassemblers either.
        reassemble: Some(reassemble_all),
        ..FlowConfig::default()
    });
    let frames: Vec<Vec<u8>> = (0..20_000).map(syn).collect();
    let mut emitted = 0u64;
    let mut feed = |table: &mut FlowTable, range: core::ops::Range<usize>| {
        for i in range {
            let pkt = decode(LinkType::Raw, &frames[i]);
            let mut sink = |_: &FlowRecord| emitted += 1;
            table.observe(i as u64 + 1, i as i64 * 1_000_000, &pkt, &mut sink);
        }
    };
    // Warm-up: fill the table and churn through it a few times.
    feed(&mut table, 0..10_000);
    reset_violation_count();
    assert_no_alloc(|| feed(&mut table, 10_000..20_000));
    assert_eq!(violation_count(), 0);
    assert_eq!(table.len(), CAP);
    assert_eq!(emitted, 20_000 - CAP as u64);
}
