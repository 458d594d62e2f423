//! Counters and histograms of the engine, rendered by the API's `/metrics`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the processing-duration histogram.
pub const DURATION_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Upper bounds (seconds) of the start-to-`waiting` histogram (boot preparation).
pub const BOOT_PREPARATION_BUCKETS: [f64; 10] =
    [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// Upper bounds (seconds) of the `waiting`-to-ramdisk-post histogram (a boot).
pub const CALLBACK_BUCKETS: [f64; 11] = [
    1.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
];

/// How an introspection ended, for the outcome counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Finished successfully.
    Finished,
    /// Ended in error; the kind says in which step.
    Error(FailedStep),
    /// Timed out.
    Timeout,
    /// Aborted by the operator.
    Aborted,
    /// Stored data re-applied successfully (not a new introspection).
    Reapplied,
}

/// Where an introspection that ended in error failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailedStep {
    /// Preparing the boot (ports, PXE filter, boot device, reboot).
    BootPreparation,
    /// A pre-processing hook (or the look-up) refused the ramdisk's data.
    Preprocessing,
    /// Processing: hooks, Ironic updates, storing data, rules.
    Processing,
    /// Powering the node off at the end.
    PowerOff,
    /// Re-applying stored data.
    Reapply,
}

impl Outcome {
    /// The `outcome` and `kind` labels.
    pub fn labels(self) -> (&'static str, &'static str) {
        match self {
            Self::Finished => ("finished", ""),
            Self::Error(kind) => (
                "error",
                match kind {
                    FailedStep::BootPreparation => "boot_preparation",
                    FailedStep::Preprocessing => "preprocessing",
                    FailedStep::Processing => "processing",
                    FailedStep::PowerOff => "power_off",
                    FailedStep::Reapply => "reapply",
                },
            ),
            Self::Timeout => ("timeout", ""),
            Self::Aborted => ("aborted", ""),
            Self::Reapplied => ("reapplied", ""),
        }
    }
}

/// A Prometheus histogram over fixed bounds.
#[derive(Debug)]
pub(crate) struct Histogram {
    bounds: &'static [f64],
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    sum_micros: AtomicU64,
}

/// A copy of a histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    /// Upper bounds of the buckets (seconds).
    pub bounds: &'static [f64],
    /// Cumulative counts per bucket.
    pub buckets: Vec<u64>,
    /// Number of observations.
    pub count: u64,
    /// Sum of the observations in seconds.
    pub sum_seconds: f64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    fn observe(&self, duration: Duration) {
        let seconds = duration.as_secs_f64();
        for (bucket, bound) in self.buckets.iter().zip(self.bounds) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(
            u64::try_from(duration.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    fn snapshot(&self) -> HistogramSnapshot {
        HistogramSnapshot {
            bounds: self.bounds,
            buckets: self
                .buckets
                .iter()
                .map(|b| b.load(Ordering::Relaxed))
                .collect(),
            count: self.count.load(Ordering::Relaxed),
            sum_seconds: self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
        }
    }
}

/// What the engine counts.
#[derive(Debug)]
pub struct EngineMetrics {
    started: AtomicU64,
    outcomes: Mutex<BTreeMap<Outcome, u64>>,
    unmatched: AtomicU64,
    processing: Histogram,
    boot_preparation: Histogram,
    callback: Histogram,
}

impl Default for EngineMetrics {
    fn default() -> Self {
        Self {
            started: AtomicU64::new(0),
            outcomes: Mutex::new(BTreeMap::new()),
            unmatched: AtomicU64::new(0),
            processing: Histogram::new(&DURATION_BUCKETS),
            boot_preparation: Histogram::new(&BOOT_PREPARATION_BUCKETS),
            callback: Histogram::new(&CALLBACK_BUCKETS),
        }
    }
}

/// A copy of the counters.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsSnapshot {
    /// Introspections started.
    pub started: u64,
    /// Introspections finished successfully.
    pub finished: u64,
    /// Introspections that ended in `error`.
    pub failed: u64,
    /// Ends of introspections by outcome (those never seen are absent).
    pub outcomes: Vec<(Outcome, u64)>,
    /// Ramdisk posts that matched no node.
    pub unmatched: u64,
    /// Time to process ramdisk data (`/v1/continue`).
    pub processing: HistogramSnapshot,
    /// Time from the start of an introspection to `waiting`.
    pub boot_preparation: HistogramSnapshot,
    /// Time from `waiting` to the ramdisk's post.
    pub callback: HistogramSnapshot,
}

impl EngineMetrics {
    pub(crate) fn started(&self) {
        self.started.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn ended(&self, outcome: Outcome) {
        *self
            .outcomes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(outcome)
            .or_default() += 1;
    }

    pub(crate) fn unmatched(&self) {
        self.unmatched.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn processed_in(&self, duration: Duration) {
        self.processing.observe(duration);
    }

    pub(crate) fn boot_prepared_in(&self, duration: Duration) {
        self.boot_preparation.observe(duration);
    }

    pub(crate) fn called_back_after(&self, duration: Duration) {
        self.callback.observe(duration);
    }

    /// The counters now.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let outcomes: Vec<(Outcome, u64)> = self
            .outcomes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .map(|(outcome, n)| (*outcome, *n))
            .collect();
        let count = |wanted: fn(&Outcome) -> bool| -> u64 {
            outcomes
                .iter()
                .filter(|(outcome, _)| wanted(outcome))
                .map(|(_, n)| n)
                .sum()
        };
        MetricsSnapshot {
            started: self.started.load(Ordering::Relaxed),
            finished: count(|o| *o == Outcome::Finished),
            failed: count(|o| matches!(o, Outcome::Error(_))),
            unmatched: self.unmatched.load(Ordering::Relaxed),
            outcomes,
            processing: self.processing.snapshot(),
            boot_preparation: self.boot_preparation.snapshot(),
            callback: self.callback.snapshot(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_outcomes_add_up() {
        let metrics = EngineMetrics::default();
        metrics.called_back_after(Duration::from_secs(45));
        metrics.called_back_after(Duration::from_secs(4000));
        metrics.ended(Outcome::Finished);
        metrics.ended(Outcome::Error(FailedStep::Processing));
        metrics.ended(Outcome::Error(FailedStep::BootPreparation));
        metrics.ended(Outcome::Timeout);
        let snapshot = metrics.snapshot();
        assert_eq!(
            snapshot.callback.buckets,
            vec![0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2]
        );
        assert_eq!(snapshot.callback.count, 2);
        assert!((snapshot.callback.sum_seconds - 4045.0).abs() < 1e-6);
        assert_eq!((snapshot.finished, snapshot.failed), (1, 2));
        assert_eq!(
            snapshot
                .outcomes
                .iter()
                .map(|(o, n)| (o.labels(), *n))
                .collect::<Vec<_>>(),
            vec![
                (("finished", ""), 1),
                (("error", "boot_preparation"), 1),
                (("error", "processing"), 1),
                (("timeout", ""), 1),
            ]
        );
    }
}
