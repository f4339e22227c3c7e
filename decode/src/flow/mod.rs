//! Connection tracking: a bounded flow table, Zeek-style connection states and history, and
//! bounded TCP reassembly.
//!
//! Feed every decoded packet to [`FlowTable::observe`]. It attributes the packet to a
//! connection keyed by a canonical bidirectional 5-tuple plus the outer VLAN id
//! ([`FlowKey`]), updates the connection's Zeek state machine ([`ConnState`], [`History`]) and
//! counters, and, for TCP flows selected by [`FlowConfig::reassemble`], returns the newly
//! in-order payload bytes of that direction ([`Delivery`]) for a protocol parser such as TLS.
//! Finished connections are pushed as [`FlowRecord`]s to a caller-provided [`FlowSink`] as soon
//! as they end (close plus linger, idle timeout, eviction), so output streams on arbitrarily
//! long captures; [`FlowTable::finish`] flushes the rest.
//!
//! # Guarantees
//!
//! - **No I/O, no printing**, no clock: time is the packet time the caller passes.
//! - **Bounded memory.** At most [`FlowConfig::max_flows`] live flows; at the cap the least
//!   recently seen flow (a lingering closed one first; "least recently" to within
//!   [`LRU_GRANULARITY`], which also bounds how late an idle timeout can fire) is evicted
//!   and emitted with [`EndReason::Evicted`]. Reassembly buffers exist only for reassembled flows that saw
//!   payload, never exceed [`FlowConfig::reassembly_cap_per_direction`] per direction, and
//!   all together never exceed [`FlowConfig::reassembly_memory_limit`]. Every cap hit is
//!   counted in [`FlowCounters`].
//! - **No per-packet allocation after warm-up**: flow slots, the index (open addressing, `index.rs`) and free lists
//!   grow to the cap and are then reused. Per-flow allocations: the reassembler pair of a
//!   reassembled flow, and its buffers (growing by doubling up to the cap).
//! - **No panic on any input**; no `unsafe`. The table is keyed with SipHash-1-3 (the rounds
//!   of Rust's `HashMap`) under a caller-provided seed ([`FlowConfig::hash_seed`]).
//! - **Reassembly only as long as it is needed.** A caller that has learnt what it needs
//!   stops a connection's reassembly ([`FlowTable::stop_reassembly`], e.g. the stream is not
//!   TLS) or switches it, or one side of it, to pass-through
//!   ([`FlowTable::pass_through_reassembly`], [`FlowTable::pass_through_side`], e.g. a TLS
//!   direction whose handshake is encrypted): in-order bytes are then handed over from the
//!   packet without a copy, and retransmissions are no longer compared.
//! - Evidence is kept, not smoothed: reassembly gaps are reported, overlapping bytes that
//!   differ are counted with the frame number of the first conflict, the first-seen bytes are
//!   kept.
//!
//! This module uses `alloc` (the crate stays `no_std`): a flow table needs a heap.
//!
//! # Not done
//!
//! - IP fragments are not reassembled: TCP/UDP fragments without a transport header are
//!   counted as unattributed (tshark reassembles them, so its counts can differ there).
//! - Tunnels (GRE, VXLAN, IP-in-IP) are one flow of the outer protocol.
//! - IPv6 routing headers: the key uses the next segment, not the final destination (see
//!   [`FlowKey`]); tshark splits such flows differently.
//! - Zeek details left out are listed in [`conn`]: `C` and `x` history letters, the
//!   `likely_server_ports` flip heuristic, and SYN-SYN-ACK reversal.
//! - Timeouts are checked against the head of four least-recently-seen lists (TCP, UDP,
//!   other, closed TCP), so they assume roughly increasing packet times.
//!
//! # Example
//!
//! ```
//! use decode::flow::{FlowConfig, FlowRecord, FlowTable};
//! use decode::{decode, LinkType};
//!
//! // A raw IPv4 UDP packet 10.0.0.1:5000 -> 10.0.0.2:53 with 4 bytes of payload.
//! let pkt = [
//!     0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
//!     0x13, 0x88, 0, 53, 0, 12, 0, 0, b'a', b'b', b'c', b'd',
//! ];
//! let mut table = FlowTable::new(FlowConfig::default());
//! let mut ended = Vec::new();
//! let mut sink = |r: &FlowRecord| ended.push(*r);
//! let obs = table.observe(1, 0, &decode(LinkType::Raw, &pkt), &mut sink);
//! assert!(obs.is_some_and(|o| o.new_flow));
//! table.finish(&mut sink);
//! assert_eq!(ended.len(), 1);
//! assert_eq!(ended[0].conn_state.as_str(), "S0");
//! assert_eq!(ended[0].history.as_str(), "D");
//! ```

pub mod conn;
mod index;
pub mod key;
pub mod reassembly;
pub mod table;

pub use conn::{ConnState, History, TcpState, MAX_HISTORY};
pub use key::{Direction, Endpoint, FlowKey};
pub use reassembly::{Delivery, MemoryBudget, Reassembler, ReassemblyStats};
pub use table::{
    reassemble_all, DirStats, EndReason, FlowConfig, FlowCounters, FlowId, FlowRecord, FlowSink,
    FlowTable, Nanos, Observation, ReassemblePredicate, Role, LRU_GRANULARITY,
};
