//! Zeek's connection states (`conn_state`) and `history` letters.
//!
//! This follows Zeek's TCP session adapter (`TCPSessionAdapter::UpdateStateMachine` and
//! `update_history`) and `conn_state()` in `scripts/base/protocols/conn/main.zeek`:
//!
//! - Per-endpoint TCP states: inactive, SYN sent, SYN-ACK sent, partial, established, closed,
//!   reset, with Zeek's transitions (including "FIN then RST is still a normal close" and "an
//!   ACK after a SYN-ACK whose SYN we missed establishes").
//! - History letters, upper case for the originator and lower case for the responder: `S` SYN
//!   without ACK, `H` SYN-ACK, `A` pure ACK, `D` data, `F` FIN, `R` RST, `I` FIN+RST, `Q` other
//!   multi-flag (SYN+FIN, SYN+RST), `T` retransmitted payload, `W` zero window, `G` content gap
//!   (only when reassembly runs and reports one), `^` roles flipped. `A`, `D`, `I`, `Q` appear at
//!   most once per direction; `S`, `H`, `F`, `R` repeat when the sequence number differs from the
//!   last packet of the same kind; `T`, `W`, `G` are logarithmic (1st, 10th, 100th... time).
//!
//! Simplified or not done (documented so the output is not over-trusted):
//! - `C` (bad checksum) is never recorded: decode does not verify TCP/UDP checksums.
//! - `x` (analysis partial) is never recorded.
//! - Role choice: the sender of the first packet is the originator, except that the roles are
//!   flipped (history `^`) when the first packet is a SYN-ACK, or when it carries no SYN and its
//!   source port is below 1024 while its destination port is not. Zeek uses its
//!   `likely_server_ports` table and does not flip SYN-ACKs from non-server ports.
//! - Zeek's SYN/SYN-ACK reversal flip (a SYN answering a SYN-ACK) is not done.
//! - History is capped at [`MAX_HISTORY`] letters; later letters are dropped and
//!   [`History::truncated`] is set.
//! - UDP: `D`/`d` for every packet with payload; states S0, SF, SHR, OTH as Zeek. Other
//!   protocols (ICMP included): state `OTH`, no history.

use arrayvec::ArrayString;

use crate::tcp::TcpFlags;

/// The maximum number of history letters kept.
pub const MAX_HISTORY: usize = 48;

/// Zeek's connection state summary (`conn_state` in conn.log).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnState {
    /// Connection attempt seen, no reply.
    S0,
    /// Connection established, not terminated.
    S1,
    /// Normal establishment and termination (UDP: both sides sent).
    SF,
    /// Connection attempt rejected.
    Rej,
    /// Established, close attempt by the originator seen, no reply from the responder.
    S2,
    /// Established, close attempt by the responder seen, no reply from the originator.
    S3,
    /// Established, originator aborted (sent a RST).
    Rsto,
    /// Responder sent a RST.
    Rstr,
    /// Originator sent a SYN followed by a RST, no SYN-ACK seen.
    Rstos0,
    /// Responder sent a SYN-ACK followed by a RST, no SYN seen from the originator.
    Rstrh,
    /// Originator sent a SYN followed by a FIN, no SYN-ACK seen.
    Sh,
    /// Responder sent a SYN-ACK followed by a FIN, no SYN seen (UDP: only the responder sent).
    Shr,
    /// No SYN seen, just midstream traffic (and everything else).
    Oth,
}

impl ConnState {
    /// Zeek's spelling: `S0`, `REJ`, `RSTOS0`...
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::S0 => "S0",
            Self::S1 => "S1",
            Self::SF => "SF",
            Self::Rej => "REJ",
            Self::S2 => "S2",
            Self::S3 => "S3",
            Self::Rsto => "RSTO",
            Self::Rstr => "RSTR",
            Self::Rstos0 => "RSTOS0",
            Self::Rstrh => "RSTRH",
            Self::Sh => "SH",
            Self::Shr => "SHR",
            Self::Oth => "OTH",
        }
    }
}

impl core::fmt::Display for ConnState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Zeek's per-endpoint TCP state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum TcpState {
    /// Nothing seen from this endpoint.
    #[default]
    Inactive,
    /// Sent a SYN.
    SynSent,
    /// Sent a SYN-ACK (as originator: a SYN with ACK).
    SynAckSent,
    /// Seen midstream, without a SYN.
    Partial,
    /// Established.
    Established,
    /// Sent a FIN.
    Closed,
    /// Sent a RST.
    Reset,
}

/// A connection history string (ASCII letters), capped at [`MAX_HISTORY`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct History {
    letters: ArrayString<MAX_HISTORY>,
    truncated: bool,
}

impl History {
    /// The letters.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.letters.as_str()
    }

    /// Whether letters were dropped because the cap was reached.
    #[must_use]
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    fn push(&mut self, c: char) {
        if self.letters.try_push(c).is_err() {
            self.truncated = true;
        }
    }
}

// History "seen once" bits (originator; responder is shifted by 16).
const H_SYN: u32 = 1;
const H_SYNACK: u32 = 1 << 1;
const H_ACK: u32 = 1 << 2;
const H_DATA: u32 = 1 << 3;
const H_FIN: u32 = 1 << 4;
const H_RST: u32 = 1 << 5;
const H_FINRST: u32 = 1 << 6;
const H_MULTI: u32 = 1 << 7;

/// Log-scale counter for `T`, `W`, `G`.
#[derive(Clone, Copy, Debug, Default)]
struct Scaled {
    count: u32,
    threshold: u32,
}

impl Scaled {
    fn hit(&mut self) -> bool {
        if self.threshold == 0 {
            self.threshold = 1;
        }
        self.count = self.count.saturating_add(1);
        if self.count == self.threshold {
            self.threshold = self.threshold.saturating_mul(10);
            true
        } else {
            false
        }
    }
}

/// What Zeek tracks per endpoint.
#[derive(Clone, Copy, Debug, Default)]
struct Side {
    state: TcpState,
    prev_state: TcpState,
    last_seq: Option<u32>,
    last_syn: Option<u32>,
    last_fin: Option<u32>,
    last_rst: Option<u32>,
    payload: u64,
    rxmit: Scaled,
    zero_win: Scaled,
    gaps: Scaled,
    udp_active: bool,
}

impl Side {
    fn set_state(&mut self, s: TcpState) {
        self.prev_state = self.state;
        self.state = s;
    }

    fn inactive(&self) -> bool {
        matches!(self.state, TcpState::Inactive | TcpState::Partial)
    }
}

/// The transport kind a tracker follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Tcp,
    Udp,
    Other,
}

/// One packet, as the state machine sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Seg {
    pub(crate) flags: TcpFlags,
    pub(crate) seq: u32,
    pub(crate) ack: u32,
    pub(crate) window: u16,
    /// Payload length announced by the headers.
    pub(crate) len: u32,
}

/// Zeek-style connection tracker: endpoint states and history.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tracker {
    kind: Kind,
    orig: Side,
    resp: Side,
    hist_seen: u32,
    history: History,
}

impl Tracker {
    pub(crate) fn new(kind: Kind, flipped: bool) -> Self {
        let mut t = Self {
            kind,
            orig: Side::default(),
            resp: Side::default(),
            hist_seen: 0,
            history: History::default(),
        };
        if flipped {
            t.history.push('^');
        }
        t
    }

    pub(crate) fn history(&self) -> History {
        self.history
    }

    /// Endpoint states (originator, responder).
    pub(crate) fn tcp_states(&self) -> (TcpState, TcpState) {
        (self.orig.state, self.resp.state)
    }

    fn side(&mut self, is_orig: bool) -> &mut Side {
        if is_orig {
            &mut self.orig
        } else {
            &mut self.resp
        }
    }

    fn letter(&mut self, is_orig: bool, c: char) {
        self.history
            .push(if is_orig { c } else { c.to_ascii_lowercase() });
    }

    /// Records `c` once per direction; returns whether it had been seen already.
    fn check(&mut self, is_orig: bool, bit: u32, c: char) -> bool {
        let mask = if is_orig { bit } else { bit << 16 };
        if self.hist_seen & mask == 0 {
            self.hist_seen |= mask;
            self.letter(is_orig, c);
            false
        } else {
            true
        }
    }

    /// Records a content gap reported by reassembly (`G`/`g`, logarithmic).
    pub(crate) fn gap(&mut self, is_orig: bool) {
        let hit = if is_orig {
            self.orig.gaps.hit()
        } else {
            self.resp.gaps.hit()
        };
        if hit {
            self.letter(is_orig, 'G');
        }
    }

    /// Feeds one UDP or other-protocol packet.
    pub(crate) fn packet(&mut self, is_orig: bool, payload_len: u32) {
        let side = if is_orig {
            &mut self.orig
        } else {
            &mut self.resp
        };
        side.udp_active = true;
        side.payload = side.payload.saturating_add(u64::from(payload_len));
        if self.kind == Kind::Udp && payload_len > 0 {
            self.check(is_orig, H_DATA, 'D');
        }
    }

    /// Feeds one TCP segment.
    pub(crate) fn tcp(&mut self, is_orig: bool, seg: Seg) {
        let f = seg.flags;
        let syn = f.contains(TcpFlags::SYN);
        let fin = f.contains(TcpFlags::FIN);
        let rst = f.contains(TcpFlags::RST);
        let ack = f.contains(TcpFlags::ACK);
        let seg_len = seg
            .len
            .wrapping_add(u32::from(syn))
            .wrapping_add(u32::from(fin));
        let seq_end = seg.seq.wrapping_add(seg_len);

        self.update_history(is_orig, seg);

        let (ep, peer) = if is_orig {
            (&mut self.orig, &mut self.resp)
        } else {
            (&mut self.resp, &mut self.orig)
        };
        // Zeek's update_window: a zero window is interesting unless it comes with or after
        // a RST, or after the peer's FIN (the SYN's window counts too).
        let zero = seg.window == 0
            && !rst
            && peer.state != TcpState::Closed
            && ep.state != TcpState::Reset
            && ep.zero_win.hit();
        ep.payload = ep.payload.saturating_add(u64::from(seg.len));
        if ep.last_seq.is_none() {
            ep.last_seq = Some(seg.seq);
        }
        if ack && peer.state == TcpState::Inactive && peer.last_seq.is_none() {
            peer.last_seq = Some(seg.ack.wrapping_sub(1));
        }
        // Retransmission: the segment ends at or before what this side already sent.
        let mut rxmit = false;
        if let Some(last) = ep.last_seq {
            let delta = seq_end.wrapping_sub(last) as i32;
            if delta > 0 {
                if ep.state != TcpState::Reset {
                    ep.last_seq = Some(seq_end);
                }
            } else if seg.len > 0 {
                rxmit = ep.rxmit.hit();
            }
        }

        // Zeek order: flag letters, then W (update_window), then T (update_last_seq).
        if zero {
            self.letter(is_orig, 'W');
        }
        if rxmit {
            self.letter(is_orig, 'T');
        }
        self.state_machine(is_orig, seg);
    }

    fn update_history(&mut self, is_orig: bool, seg: Seg) {
        let f = seg.flags;
        let syn = f.contains(TcpFlags::SYN);
        let fin = f.contains(TcpFlags::FIN);
        let rst = f.contains(TcpFlags::RST);
        let bits = u8::from(syn) + u8::from(fin) + u8::from(rst);
        if bits > 1 {
            if fin && rst {
                self.check(is_orig, H_FINRST, 'I');
            } else {
                self.check(is_orig, H_MULTI, 'Q');
            }
        } else if bits == 1 {
            if syn {
                let (bit, c) = if f.contains(TcpFlags::ACK) {
                    (H_SYNACK, 'H')
                } else {
                    (H_SYN, 'S')
                };
                let last = self.side(is_orig).last_syn;
                if self.check(is_orig, bit, c) && last != Some(seg.seq) {
                    self.letter(is_orig, c);
                }
                self.side(is_orig).last_syn = Some(seg.seq);
            }
            if fin {
                let at = seg.seq.wrapping_add(seg.len);
                let last = self.side(is_orig).last_fin;
                if self.check(is_orig, H_FIN, 'F') && last != Some(at) {
                    self.letter(is_orig, 'F');
                }
                self.side(is_orig).last_fin = Some(at);
            }
            if rst {
                let last = self.side(is_orig).last_rst;
                if self.check(is_orig, H_RST, 'R') && last != Some(seg.seq) {
                    self.letter(is_orig, 'R');
                }
                self.side(is_orig).last_rst = Some(seg.seq);
            }
        } else if seg.len > 0 {
            self.check(is_orig, H_DATA, 'D');
        } else if f.contains(TcpFlags::ACK) {
            self.check(is_orig, H_ACK, 'A');
        }
    }

    fn state_machine(&mut self, is_orig: bool, seg: Seg) {
        let f = seg.flags;
        let syn = f.contains(TcpFlags::SYN);
        let fin = f.contains(TcpFlags::FIN);
        let rst = f.contains(TcpFlags::RST);
        let ack = f.contains(TcpFlags::ACK);
        let orig_state = self.orig.state;
        let (ep, peer) = if is_orig {
            (&mut self.orig, &mut self.resp)
        } else {
            (&mut self.resp, &mut self.orig)
        };
        match ep.state {
            TcpState::Inactive => {
                if syn {
                    if is_orig {
                        ep.set_state(if ack {
                            TcpState::SynAckSent
                        } else {
                            TcpState::SynSent
                        });
                    } else {
                        if peer.state == TcpState::SynSent {
                            peer.set_state(TcpState::Established);
                        }
                        ep.set_state(TcpState::Established);
                    }
                }
                if fin {
                    ep.set_state(TcpState::Closed);
                }
                if rst {
                    ep.set_state(TcpState::Reset);
                }
                if ep.state == TcpState::Inactive {
                    if !is_orig && seg.len == 0 && orig_state == TcpState::SynSent {
                        // An ACK of the SYN before the SYN-ACK: not a partial connection.
                    } else if ack && peer.state == TcpState::Established {
                        ep.set_state(TcpState::Established);
                    } else {
                        ep.set_state(TcpState::Partial);
                    }
                }
            }
            TcpState::SynSent | TcpState::SynAckSent => {
                if fin {
                    ep.set_state(TcpState::Closed);
                }
                if rst {
                    ep.set_state(TcpState::Reset);
                }
            }
            TcpState::Established | TcpState::Partial => {
                if syn && ep.state == TcpState::Partial && peer.state == TcpState::Inactive && !ack
                {
                    ep.set_state(TcpState::SynSent);
                }
                if fin && !rst {
                    ep.set_state(TcpState::Closed);
                    if peer.state == TcpState::Reset && peer.prev_state == TcpState::Closed {
                        peer.set_state(TcpState::Closed);
                    }
                }
                if rst {
                    ep.set_state(TcpState::Reset);
                }
            }
            TcpState::Closed => {
                if rst && peer.state != TcpState::Closed {
                    ep.set_state(TcpState::Reset);
                }
            }
            TcpState::Reset => {}
        }
    }

    /// Whether the connection is over: both sides closed, or either side reset.
    pub(crate) fn is_closed(&self) -> bool {
        match self.kind {
            Kind::Tcp => {
                (self.orig.state == TcpState::Closed && self.resp.state == TcpState::Closed)
                    || self.orig.state == TcpState::Reset
                    || self.resp.state == TcpState::Reset
            }
            _ => false,
        }
    }

    /// Zeek's `conn_state()`.
    pub(crate) fn conn_state(&self) -> ConnState {
        let os = self.orig.state;
        let rs = self.resp.state;
        match self.kind {
            Kind::Tcp => {
                let o_inactive = self.orig.inactive();
                let r_inactive = self.resp.inactive();
                if rs == TcpState::Reset {
                    if os == TcpState::SynSent
                        || os == TcpState::SynAckSent
                        || (os == TcpState::Reset
                            && self.orig.payload == 0
                            && self.resp.payload == 0)
                    {
                        ConnState::Rej
                    } else if o_inactive {
                        ConnState::Rstrh
                    } else {
                        ConnState::Rstr
                    }
                } else if os == TcpState::Reset {
                    if r_inactive {
                        if rstos0_history(self.history.as_str()) {
                            ConnState::Rstos0
                        } else {
                            ConnState::Oth
                        }
                    } else {
                        ConnState::Rsto
                    }
                } else if rs == TcpState::Closed && os == TcpState::Closed {
                    ConnState::SF
                } else if os == TcpState::Closed {
                    if r_inactive {
                        ConnState::Sh
                    } else {
                        ConnState::S2
                    }
                } else if rs == TcpState::Closed {
                    if o_inactive {
                        ConnState::Shr
                    } else {
                        ConnState::S3
                    }
                } else if os == TcpState::SynSent && rs == TcpState::Inactive {
                    ConnState::S0
                } else if os == TcpState::Established && rs == TcpState::Established {
                    ConnState::S1
                } else {
                    ConnState::Oth
                }
            }
            Kind::Udp => match (self.orig.udp_active, self.resp.udp_active) {
                (true, true) => ConnState::SF,
                (true, false) => ConnState::S0,
                (false, true) => ConnState::Shr,
                (false, false) => ConnState::Oth,
            },
            Kind::Other => ConnState::Oth,
        }
    }
}

/// Zeek's `/\^?S[^HAFGIQ]*R.*/` (the whole history must match).
fn rstos0_history(h: &str) -> bool {
    let h = h.strip_prefix('^').unwrap_or(h);
    let Some(rest) = h.strip_prefix('S') else {
        return false;
    };
    for c in rest.chars() {
        if c == 'R' {
            return true;
        }
        if matches!(c, 'H' | 'A' | 'F' | 'G' | 'I' | 'Q') {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rstos0_regex() {
        assert!(rstos0_history("SR"));
        assert!(rstos0_history("^SsR"));
        assert!(rstos0_history("SrR"));
        assert!(!rstos0_history("SAR"));
        assert!(!rstos0_history("S"));
        assert!(!rstos0_history("R"));
    }

    #[test]
    fn scaled_counter_is_logarithmic() {
        let mut s = Scaled::default();
        let hits: usize = (0..1000).filter(|_| s.hit()).count();
        assert_eq!(hits, 4); // 1, 10, 100, 1000
    }
}
