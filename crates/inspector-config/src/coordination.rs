//! `[coordination]`: how service processes coordinate. One process uses
//! in-memory node locks; several processes sharing one PostgreSQL or MySQL
//! database use node locks and task leases stored in it.

use crate::error::Result;
use crate::sources::ConfigSources;

/// Where node locks live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockBackend {
    /// In this process's memory (one process; the default).
    Process,
    /// In the database (several processes on one database).
    Database,
}

/// `[coordination]` options.
#[derive(Debug, Clone, PartialEq)]
pub struct CoordinationOptions {
    /// `locks`: `process` (default) or `database`.
    pub locks: LockBackend,
    /// `node_locked_retry_attempts`: further attempts of a blocking lock; default 3.
    pub node_locked_retry_attempts: u32,
    /// `node_locked_retry_interval`: seconds between attempts; default 1.
    pub node_locked_retry_interval: f64,
    /// `lock_heartbeat_interval`: seconds between heartbeats of held locks; default 10.
    pub lock_heartbeat_interval: f64,
    /// `lock_expiry`: seconds without heartbeat after which a lock is taken over; default 60.
    pub lock_expiry: f64,
    /// `lease_ttl`: seconds a periodic task's lease lasts unless renewed; default 30.
    pub lease_ttl: f64,
}

impl CoordinationOptions {
    /// Reads `[coordination]`.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        let section = sources.section("coordination");
        let locks = match section.string("locks")?.unwrap_or_default().as_str() {
            "process" => LockBackend::Process,
            "database" => LockBackend::Database,
            other => {
                return Err(sources.invalid_value(
                    "coordination",
                    "locks",
                    other,
                    "process or database",
                ));
            }
        };
        let seconds = |name: &str| -> Result<f64> {
            let text = section.string(name)?.unwrap_or_default();
            match text.trim().parse::<f64>() {
                Ok(value) if value > 0.0 && value.is_finite() => Ok(value),
                _ => Err(sources.invalid_value(
                    "coordination",
                    name,
                    text,
                    "a positive number of seconds",
                )),
            }
        };
        let (heartbeat, expiry) = (seconds("lock_heartbeat_interval")?, seconds("lock_expiry")?);
        if heartbeat * 2.0 >= expiry {
            return Err(sources.invalid_value(
                "coordination",
                "lock_expiry",
                expiry.to_string(),
                "more than twice lock_heartbeat_interval (a live holder would lose its locks)",
            ));
        }
        Ok(Self {
            locks,
            node_locked_retry_attempts: u32::try_from(
                section
                    .integer("node_locked_retry_attempts")?
                    .expect("declared default")
                    .max(0),
            )
            .unwrap_or(u32::MAX),
            node_locked_retry_interval: seconds("node_locked_retry_interval")?,
            lock_heartbeat_interval: heartbeat,
            lock_expiry: expiry,
            lease_ttl: seconds("lease_ttl")?,
        })
    }
}

defaults_from_the_catalog!(CoordinationOptions);

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn defaults_and_values() {
        let defaults = CoordinationOptions::from_sources(&ConfigSources::default()).unwrap();
        assert_eq!(defaults.locks, LockBackend::Process);
        assert_eq!(defaults.node_locked_retry_attempts, 3);
        let sources = ConfigSources::from_text(
            "[coordination]\nlocks = database\nlock_heartbeat_interval = 1\nlock_expiry = 5\nlease_ttl = 0.5\n",
            Path::new("i.conf"),
        )
        .unwrap();
        let options = CoordinationOptions::from_sources(&sources).unwrap();
        assert_eq!(
            (options.locks, options.lock_expiry, options.lease_ttl),
            (LockBackend::Database, 5.0, 0.5)
        );
        let bad =
            ConfigSources::from_text("[coordination]\nlocks = zookeeper\n", Path::new("i.conf"))
                .unwrap();
        assert!(CoordinationOptions::from_sources(&bad).is_err());
    }
}
