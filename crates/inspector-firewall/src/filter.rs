//! The driver interface and its life cycle (spec §4.2): one lock per filter,
//! a small state machine, and a reset after any failed step.

use std::sync::Mutex;

use crate::error::FilterError;
use crate::inputs::SyncInputs;

/// A PXE filter driver's work; [`Firewall`] adds the locking and the states.
pub trait FilterDriver: Send + std::fmt::Debug {
    /// The driver's name in messages (`IptablesFilter`, ...).
    fn name(&self) -> &'static str;
    /// Sets up system state (once, at start).
    fn init(&mut self, inputs: &SyncInputs) -> Result<(), FilterError>;
    /// Brings the filter in line with `inputs`.
    fn sync(&mut self, inputs: &SyncInputs) -> Result<(), FilterError>;
    /// Undoes what the driver set up (at shutdown); failures are logged,
    /// never raised.
    fn reset(&mut self);

    /// After a failed step: by default the same as [`FilterDriver::reset`].
    /// A driver whose reset would open DHCP to everyone keeps what is in
    /// force instead and only forgets what it believes is applied.
    fn abandon(&mut self) {
        self.reset();
    }
}

/// The filter's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverState {
    /// Not (or no longer) set up.
    Uninitialized,
    /// Set up; syncs are allowed.
    Initialized,
}

impl DriverState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Uninitialized => "uninitialized",
            Self::Initialized => "initialized",
        }
    }
}

#[derive(Debug)]
struct Inner {
    driver: Box<dyn FilterDriver>,
    state: DriverState,
}

/// A driver behind its lock and state machine.
#[derive(Debug)]
pub struct Firewall {
    inner: Mutex<Inner>,
}

impl Firewall {
    /// `driver`, not initialised yet.
    pub fn new(driver: Box<dyn FilterDriver>) -> Self {
        Self {
            inner: Mutex::new(Inner {
                driver,
                state: DriverState::Uninitialized,
            }),
        }
    }

    fn locked(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current state.
    pub fn state(&self) -> DriverState {
        self.locked().state
    }

    /// Runs `work` under the lock. `init` is allowed from `Uninitialized`;
    /// `sync` from `Initialized`, or from `Uninitialized` when `reinit` (then
    /// the driver is set up again first, in the same lock).
    fn step(&self, event: &str, inputs: &SyncInputs, reinit: bool) -> Result<(), FilterError> {
        let mut inner = self.locked();
        let run_init = match (event, inner.state) {
            ("initialize", DriverState::Uninitialized) => true,
            ("sync", DriverState::Initialized) => false,
            ("sync", DriverState::Uninitialized) if reinit => {
                tracing::warn!(
                    "the PXE filter was reset by an earlier failure; setting it up again"
                );
                true
            }
            (_, state) => {
                return Err(FilterError::InvalidState {
                    driver: inner.driver.name().to_owned(),
                    state: state.as_str().to_owned(),
                    event: event.to_owned(),
                });
            }
        };
        let result = if run_init {
            inner.driver.init(inputs)
        } else {
            inner.driver.sync(inputs)
        };
        match result {
            Ok(()) => {
                inner.state = DriverState::Initialized;
                Ok(())
            }
            Err(error) => {
                tracing::error!(driver = inner.driver.name(), %error, "the PXE filter failed");
                inner.driver.abandon();
                inner.state = DriverState::Uninitialized;
                Err(error)
            }
        }
    }

    /// Sets the filter up (`initialize`).
    pub fn init(&self, inputs: &SyncInputs) -> Result<(), FilterError> {
        self.step("initialize", inputs, false)
    }

    /// Brings the filter in line with `inputs` (`sync`). A filter that a
    /// failure reset is set up again first (upstream stays broken until a
    /// restart).
    pub fn sync(&self, inputs: &SyncInputs) -> Result<(), FilterError> {
        self.step("sync", inputs, true)
    }

    /// Undoes the filter (`reset`), e.g. at shutdown.
    pub fn tear_down(&self) {
        let mut inner = self.locked();
        inner.driver.reset();
        inner.state = DriverState::Uninitialized;
    }
}

/// The `noop` driver: the life cycle only.
#[derive(Debug, Default)]
pub struct NoopDriver;

impl FilterDriver for NoopDriver {
    fn name(&self) -> &'static str {
        "NoopFilter"
    }

    fn init(&mut self, _inputs: &SyncInputs) -> Result<(), FilterError> {
        Ok(())
    }

    fn sync(&mut self, _inputs: &SyncInputs) -> Result<(), FilterError> {
        Ok(())
    }

    fn reset(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default)]
    struct Flaky {
        fail_sync: bool,
        resets: usize,
    }

    impl FilterDriver for Flaky {
        fn name(&self) -> &'static str {
            "FlakyFilter"
        }
        fn init(&mut self, _inputs: &SyncInputs) -> Result<(), FilterError> {
            Ok(())
        }
        fn sync(&mut self, _inputs: &SyncInputs) -> Result<(), FilterError> {
            if self.fail_sync {
                Err(FilterError::Command("boom".into()))
            } else {
                Ok(())
            }
        }
        fn reset(&mut self) {
            self.resets += 1;
        }
    }

    #[test]
    fn states_and_resets() {
        let filter = Firewall::new(Box::new(Flaky::default()));
        let inputs = SyncInputs::default();
        filter.init(&inputs).expect("initialises");
        assert_eq!(
            filter.init(&inputs).expect_err("twice").to_string(),
            "The PXE filter driver FlakyFilter, state=initialized: my fsm encountered an exception: initialize is not valid in state initialized"
        );
        assert_eq!(
            filter.state(),
            DriverState::Initialized,
            "a refused event does not reset"
        );
        filter.sync(&inputs).expect("syncs");
        filter.locked().driver = Box::new(Flaky {
            fail_sync: true,
            resets: 0,
        });
        assert!(filter.sync(&inputs).is_err());
        assert_eq!(
            filter.state(),
            DriverState::Uninitialized,
            "a failed sync resets"
        );
        filter.locked().driver = Box::new(Flaky::default());
        filter.sync(&inputs).expect("set up again by the next sync");
        assert_eq!(filter.state(), DriverState::Initialized);
        filter.tear_down();
        assert_eq!(filter.state(), DriverState::Uninitialized);
    }
}
