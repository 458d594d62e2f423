//! Node locks: exclusive access to one node's record and Ironic node.
//!
//! Callers hold a [`NodeLock`] for as long as they work on a node; dropping it
//! releases the lock, so a lock cannot outlive a panic or an early return.
//! [`NodeLocks`] is the seam: [`InProcessLocks`] (`in_process.rs`) serves one
//! process; [`DbLocks`] (`database.rs`) coordinates several processes through
//! rows of the shared database, and [`DbLease`] (`lease.rs`) says which of
//! them runs a periodic task.

use std::fmt;

use async_trait::async_trait;
use inspector_types::NodeUuid;
use tracing::debug;

mod database;
mod in_process;
mod lease;

pub use database::{DbLockOptions, DbLocks, SharedLock, holder_id};
pub use in_process::InProcessLocks;
pub use lease::DbLease;

/// A lock that could not be taken for a reason other than contention.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// A blocking acquisition gave up after its configured attempts.
    #[error("timed out waiting for the lock of node {0}")]
    Timeout(NodeUuid),
    /// The lock store could not be reached.
    #[error("node lock store unavailable: {0}")]
    Unavailable(String),
}

/// Hands out exclusive per-node locks.
#[async_trait]
pub trait NodeLocks: Send + Sync + fmt::Debug {
    /// Waits until the lock of `uuid` is free and takes it.
    async fn lock(&self, uuid: NodeUuid) -> Result<NodeLock, LockError>;

    /// Takes the lock of `uuid` if it is free right now; `None` if another holder has it.
    async fn try_lock(&self, uuid: NodeUuid) -> Result<Option<NodeLock>, LockError>;
}

/// A held node lock; dropping it releases the lock.
#[must_use = "the lock is released as soon as this value is dropped"]
pub struct NodeLock {
    uuid: NodeUuid,
    // Releases the lock when dropped; owned by the implementation that made it.
    _release: Box<dyn Send + Sync>,
}

impl NodeLock {
    /// Wraps an implementation's handle; dropping `release` must release the lock.
    pub fn new(uuid: NodeUuid, release: impl Send + Sync + 'static) -> Self {
        Self {
            uuid,
            _release: Box::new(release),
        }
    }

    /// The locked node.
    pub fn uuid(&self) -> NodeUuid {
        self.uuid
    }

    /// Releases the lock now (the same as dropping it).
    pub fn release(self) {
        debug!(node = %self.uuid, "released lock");
    }
}

impl fmt::Debug for NodeLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeLock")
            .field("uuid", &self.uuid)
            .finish()
    }
}
