//! The source of "now" for timestamps, replaceable in tests.

use std::sync::Mutex;

use chrono::{NaiveDateTime, TimeDelta, Utc};

/// Gives the current naive UTC time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time, naive UTC.
    fn now(&self) -> NaiveDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        Utc::now().naive_utc()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<NaiveDateTime>);

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: NaiveDateTime) -> Self {
        Self(Mutex::new(now))
    }

    /// Moves the clock forward by `delta`.
    pub fn advance(&self, delta: TimeDelta) {
        let mut now = self.0.lock().expect("clock lock is never poisoned");
        *now += delta;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> NaiveDateTime {
        *self.0.lock().expect("clock lock is never poisoned")
    }
}
