//! A progress bar on standard error for long runs: drawn only when standard error is a terminal
//! and the output is not a machine format, and cleared when the run ends.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar that follows the bytes read, or nothing.
pub struct Bar(Option<ProgressBar>);

impl Bar {
    /// A bar when `show`; else one that does nothing.
    pub fn new(show: bool) -> Bar {
        if !show {
            return Bar(None);
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(8));
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} reading logs {bar:30} {binary_bytes}/{binary_total_bytes} ({eta} left)",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar(Some(bar))
    }

    /// The engine's progress callback for this bar.
    pub fn update(&self, done: u64, total: u64) {
        if let Some(bar) = &self.0 {
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    pub fn is_shown(&self) -> bool {
        self.0.is_some()
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
