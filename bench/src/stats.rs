//! Summaries of repeated measurements: median and spread.

use serde::Serialize;

/// Median, extremes and median absolute deviation of some samples (ms).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Number of samples.
    pub n: usize,
    /// Median.
    pub median: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// Median absolute deviation from the median.
    pub mad: f64,
}

fn median_of(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

impl Summary {
    /// Summarises `samples` (any order).
    pub fn of(samples: &[f64]) -> Summary {
        let mut s = samples.to_vec();
        s.sort_by(f64::total_cmp);
        let median = median_of(&s);
        let mut dev: Vec<f64> = s.iter().map(|x| (x - median).abs()).collect();
        dev.sort_by(f64::total_cmp);
        Summary {
            n: s.len(),
            median,
            min: s.first().copied().unwrap_or(f64::NAN),
            max: s.last().copied().unwrap_or(f64::NAN),
            mad: median_of(&dev),
        }
    }

    /// `median ms (min–max, ±MAD)`, compact.
    pub fn show(&self) -> String {
        if self.n == 1 {
            return format!("{} (1 run)", ms(self.median));
        }
        format!(
            "{} ({}–{}, ±{})",
            ms(self.median),
            ms(self.min),
            ms(self.max),
            ms(self.mad)
        )
    }
}

/// CPU time this thread has used, ms (immune to waiting for a core on a
/// busy machine, unlike wall time).
pub fn thread_cpu_ms() -> f64 {
    cpu_ms(libc::CLOCK_THREAD_CPUTIME_ID)
}

fn cpu_ms(clock: libc::clockid_t) -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write to.
    unsafe { libc::clock_gettime(clock, &mut t) };
    t.tv_sec as f64 * 1e3 + t.tv_nsec as f64 / 1e6
}

/// CPU time (user + system) of this process's waited-for children, ms.
pub fn children_cpu_ms() -> f64 {
    // SAFETY: an all-zero rusage is valid; getrusage only writes to it.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid rusage to write to.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// Milliseconds with precision suited to their size.
pub fn ms(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else if x < 10.0 {
        format!("{x:.2} ms")
    } else if x < 100.0 {
        format!("{x:.1} ms")
    } else {
        format!("{x:.0} ms")
    }
}

/// Bytes as MiB.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mad() {
        let s = Summary::of(&[5.0, 1.0, 3.0, 100.0]);
        assert_eq!((s.n, s.median, s.min, s.max), (4, 4.0, 1.0, 100.0));
        // Deviations 1, 1, 3, 96 -> median 2.
        assert_eq!(s.mad, 2.0);
        assert_eq!(Summary::of(&[2.0]).show(), "2.00 ms (1 run)");
    }
}
