//! The packet source trait every input implements.

use crate::error::CaptureError;
use crate::packet::PacketRef;

/// A source of captured frames: a file, standard input, or a live interface.
///
/// This is a lending read: the returned frame borrows the source and is valid until the next
/// call. End of input is `Ok(None)`, never an error.
pub trait PacketSource {
    /// Returns the next frame, `Ok(None)` at the end of input.
    ///
    /// # Errors
    /// A [`CaptureError`] naming the input and, for files, the frame that could not be read.
    /// Frames returned before the error were good.
    fn next_packet(&mut self) -> Result<Option<PacketRef<'_>>, CaptureError>;
}
