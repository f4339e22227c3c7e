//! A progress bar over the bytes of an input file, on standard error, only when a person is
//! watching (stderr is a terminal) and the packets are not going to that same terminal.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Updates are batched: the bar is touched once every this many packets.
pub(crate) const UPDATE_EVERY: u64 = 4096;

/// Files smaller than this finish before a bar would be useful.
const MIN_BYTES: u64 = 32 << 20;

/// A bar for `total` bytes, or a hidden one when no bar should be drawn.
pub(crate) fn bytes_bar(total: Option<u64>) -> ProgressBar {
    let show = std::io::stderr().is_terminal() && !std::io::stdout().is_terminal();
    match total {
        Some(total) if show && total >= MIN_BYTES => {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        }
        _ => ProgressBar::hidden(),
    }
}
