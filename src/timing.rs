//! The one timing mechanism: [`Laps`] measures named stages, keeps them for `summary.json` and, when the
//! environment variable `FIRMDEDUP_TRACE` is set, prints each with the process's resident memory on stderr.

use std::time::Instant;

/// Named stage times, in the order they were taken.
#[derive(Debug)]
pub struct Laps {
    trace: bool,
    last: Instant,
    laps: Vec<(&'static str, u64)>,
}

impl Laps {
    /// Starts the clock.
    pub fn new() -> Laps {
        Laps { trace: std::env::var_os("FIRMDEDUP_TRACE").is_some(), last: Instant::now(), laps: Vec::new() }
    }

    /// Ends stage `name` (the time since the last lap, or since the start) and returns its milliseconds.
    pub fn lap(&mut self, name: &'static str) -> u64 {
        let ms = self.last.elapsed().as_millis() as u64;
        if self.trace {
            eprintln!("trace {name}: {ms} ms, rss {} MB", rss_mb());
        }
        self.laps.push((name, ms));
        self.last = Instant::now();
        ms
    }

    /// The stages, consuming the clock.
    pub fn into_laps(self) -> Vec<(&'static str, u64)> {
        self.laps
    }
}

impl Default for Laps {
    fn default() -> Self {
        Laps::new()
    }
}

/// The process's resident memory in MB (0 where /proc is not there).
fn rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|x| x.parse::<u64>().ok()))
        .map_or(0, |pages| pages * 4096 / (1 << 20))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laps_are_kept_in_order_and_each_measures_from_the_last() {
        let mut l = Laps::new();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let first = l.lap("first");
        let second = l.lap("second");
        assert!(first >= 20, "{first}");
        assert!(second < first, "the second lap starts at the first's end ({second} vs {first})");
        let laps = l.into_laps();
        assert_eq!(laps.iter().map(|(n, _)| *n).collect::<Vec<_>>(), ["first", "second"]);
        assert_eq!(laps[0], ("first", first));
    }
}
