//! Progress bars for long stages, on stderr, only when stderr is a terminal and `--quiet` is not given.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Makes progress bars, or hidden ones.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    enabled: bool,
}

impl Progress {
    /// Progress shown when stderr is a terminal and not `quiet`.
    pub fn new(quiet: bool) -> Progress {
        Progress { enabled: !quiet && std::io::stderr().is_terminal() }
    }

    /// Never shows anything (library callers, tests).
    pub fn hidden() -> Progress {
        Progress { enabled: false }
    }

    /// A bar for a stage of `len` items (`len == 0`: a spinner).
    pub fn stage(&self, name: &str, len: u64) -> ProgressBar {
        if !self.enabled {
            return ProgressBar::hidden();
        }
        let pb = if len == 0 { ProgressBar::new_spinner() } else { ProgressBar::new(len) };
        pb.set_draw_target(ProgressDrawTarget::stderr());
        let style = if len == 0 {
            ProgressStyle::with_template("{spinner} {prefix:>10} {msg} [{elapsed}]")
        } else {
            ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {msg} [{elapsed}]")
        };
        if let Ok(style) = style {
            pb.set_style(style.progress_chars("=> "));
        }
        pb.set_prefix(name.to_string());
        pb.enable_steady_tick(Duration::from_millis(200));
        pb
    }
}
