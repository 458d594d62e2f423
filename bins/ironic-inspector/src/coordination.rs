//! `[coordination]`: node locks and task leases, in this process or in the
//! database; and the refusal to share a SQLite database between processes.

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use inspector_config::{CoordinationOptions, LockBackend};
use inspector_core::{AlwaysLeader, DatabaseLease, PeriodicLease};
use inspector_node_cache::{
    Backend, DatabaseUrl, Db, DbLease, DbLockOptions, DbLocks, InProcessLocks, NodeLocks, holder_id,
};

/// What coordinates this process with others.
pub(crate) struct Coordination {
    pub(crate) locks: Arc<dyn NodeLocks>,
    pub(crate) lease: Arc<dyn PeriodicLease>,
    /// Database leases to give up at shutdown.
    pub(crate) leases: Option<DbLease>,
    /// Held for the process's lifetime: the SQLite single-process guard.
    _sqlite_guard: Option<std::fs::File>,
}

/// SQLite serves one process: a second process on the same file is refused
/// (an exclusive lock on `<database>.lock`, released when the process ends).
fn sqlite_guard(url: &DatabaseUrl) -> anyhow::Result<std::fs::File> {
    let path = format!("{}.lock", url.target());
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another ironic-inspector process uses the SQLite database {}: SQLite serves one process; \
             several processes need PostgreSQL or MySQL and [coordination] locks = database",
            url.target()
        ),
        Err(std::fs::TryLockError::Error(error)) => Err(error.into()),
    }
}

fn seconds(value: f64) -> Duration {
    Duration::from_secs_f64(value)
}

/// The locks and lease `[coordination]` asks for.
pub(crate) fn from_config(
    options: &CoordinationOptions,
    url: &DatabaseUrl,
    db: &Db,
) -> anyhow::Result<Coordination> {
    let sqlite_guard = match url.backend() {
        Backend::Sqlite => Some(sqlite_guard(url)?),
        _ => None,
    };
    match options.locks {
        LockBackend::Process => Ok(Coordination {
            locks: Arc::new(InProcessLocks::new()),
            lease: Arc::new(AlwaysLeader),
            leases: None,
            _sqlite_guard: sqlite_guard,
        }),
        LockBackend::Database => {
            let holder = holder_id();
            tracing::info!(%holder, "node locks and task leases are in the database");
            let locks = DbLocks::new(
                db.clone(),
                holder.clone(),
                DbLockOptions::from_config(options),
            );
            tokio::spawn(locks.clone().run_heartbeat());
            let leases = DbLease::new(db.clone(), holder, seconds(options.lease_ttl));
            Ok(Coordination {
                locks: Arc::new(locks),
                lease: Arc::new(DatabaseLease(leases.clone())),
                leases: Some(leases),
                _sqlite_guard: sqlite_guard,
            })
        }
    }
}
