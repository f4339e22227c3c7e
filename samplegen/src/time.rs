//! Capture timestamps and the fixed base time of every generated sample.

/// 2024-01-01T00:00:00Z, the base time of every generated capture.
pub const BASE_TIME: Timestamp = Timestamp::from_secs(1_704_067_200);

/// A capture timestamp: nanoseconds since the Unix epoch.
///
/// Writers round down to the resolution of the file (microseconds for classic
/// pcap, or whatever `if_tsresol` says for pcapng).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

impl Timestamp {
    /// A timestamp at a whole second.
    #[must_use]
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs * 1_000_000_000)
    }

    /// A timestamp from nanoseconds since the epoch.
    #[must_use]
    pub const fn from_nanos(nanos: u64) -> Self {
        Self(nanos)
    }

    /// Nanoseconds since the epoch.
    #[must_use]
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Whole seconds since the epoch.
    #[must_use]
    pub const fn secs(self) -> u64 {
        self.0 / 1_000_000_000
    }

    /// The nanoseconds past the whole second (`0..1_000_000_000`).
    #[must_use]
    pub const fn subsec_nanos(self) -> u32 {
        (self.0 % 1_000_000_000) as u32
    }

    /// The microseconds past the whole second (`0..1_000_000`), rounded down.
    #[must_use]
    pub const fn subsec_micros(self) -> u32 {
        self.subsec_nanos() / 1_000
    }

    /// This timestamp plus `nanos` nanoseconds (saturating).
    #[must_use]
    pub const fn add_nanos(self, nanos: u64) -> Self {
        Self(self.0.saturating_add(nanos))
    }

    /// This timestamp plus `micros` microseconds (saturating).
    #[must_use]
    pub const fn add_micros(self, micros: u64) -> Self {
        self.add_nanos(micros.saturating_mul(1_000))
    }

    /// Milliseconds since the epoch, truncated to 32 bits: a plausible TCP
    /// timestamp clock (TSval).
    #[must_use]
    pub const fn tcp_tsval(self) -> u32 {
        (self.0 / 1_000_000) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        let t = BASE_TIME.add_nanos(1_234_567_891);
        assert_eq!(t.secs(), 1_704_067_201);
        assert_eq!(t.subsec_nanos(), 234_567_891);
        assert_eq!(t.subsec_micros(), 234_567);
    }
}
