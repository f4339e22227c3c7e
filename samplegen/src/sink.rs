//! Where frames go ([`PacketSink`]) and the clock that stamps them ([`Recorder`]).

use std::io;

use crate::time::Timestamp;

/// Something that stores captured frames: a pcap or pcapng writer, or a vector.
pub trait PacketSink {
    /// Stores `frame` (the whole frame as it was on the wire) captured at
    /// `ts`. A sink with a snapshot length stores only a prefix and records
    /// `frame.len()` as the original length.
    ///
    /// # Errors
    ///
    /// Any I/O error from the underlying writer.
    fn write_packet(&mut self, ts: Timestamp, frame: &[u8]) -> io::Result<()>;
}

impl<S: PacketSink + ?Sized> PacketSink for &mut S {
    fn write_packet(&mut self, ts: Timestamp, frame: &[u8]) -> io::Result<()> {
        (**self).write_packet(ts, frame)
    }
}

/// Collects frames in memory, e.g. to reorder them before writing.
impl PacketSink for Vec<(Timestamp, Vec<u8>)> {
    fn write_packet(&mut self, ts: Timestamp, frame: &[u8]) -> io::Result<()> {
        self.push((ts, frame.to_vec()));
        Ok(())
    }
}

/// A sink plus a clock: each emitted frame is stamped with the current time,
/// then the clock moves on by a small step, so timestamps strictly increase.
#[derive(Debug)]
pub struct Recorder<S> {
    sink: S,
    now: Timestamp,
    step_nanos: u64,
    count: u64,
}

impl<S: PacketSink> Recorder<S> {
    /// A recorder writing into `sink`, starting at `start`, moving on 1 µs
    /// after each frame.
    pub fn new(sink: S, start: Timestamp) -> Self {
        Self {
            sink,
            now: start,
            step_nanos: 1_000,
            count: 0,
        }
    }

    /// This recorder moving on `nanos` after each frame instead of 1 µs
    /// (values that are not whole microseconds make nanosecond files show
    /// sub-microsecond digits).
    #[must_use]
    pub fn with_step_nanos(mut self, nanos: u64) -> Self {
        self.step_nanos = nanos;
        self
    }

    /// The time the next frame will get.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Frames emitted so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Moves the clock on by `nanos` nanoseconds.
    pub fn advance_nanos(&mut self, nanos: u64) {
        self.now = self.now.add_nanos(nanos);
    }

    /// Moves the clock on by `micros` microseconds.
    pub fn advance_micros(&mut self, micros: u64) {
        self.now = self.now.add_micros(micros);
    }

    /// Writes `frame` at the current time, then moves the clock on one step.
    ///
    /// # Errors
    ///
    /// Any I/O error from the sink.
    pub fn emit(&mut self, frame: &[u8]) -> io::Result<()> {
        self.sink.write_packet(self.now, frame)?;
        self.count += 1;
        self.now = self.now.add_nanos(self.step_nanos);
        Ok(())
    }

    /// The sink.
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// Gives the sink back.
    pub fn into_inner(self) -> S {
        self.sink
    }
}
