//! The introspection record as read from the database: a snapshot that may
//! hold its node's lock.

use std::fmt;

use chrono::NaiveDateTime;
use inspector_fsm::State;
use inspector_types::NodeUuid;

use super::rows::{self, NodeRow};
use crate::error::Result;
use crate::locks::{NodeLock, NodeLocks};

/// One introspection record as read from the database, possibly holding the
/// node's lock.
///
/// The record is a snapshot: writes through [`NodeCache`](crate::NodeCache) update it, and a
/// write based on a stale snapshot fails with [`Error::StateRace`](crate::Error::StateRace).
pub struct NodeInfo {
    /// The Ironic node UUID.
    pub uuid: NodeUuid,
    /// The introspection state.
    pub state: State,
    /// When the current introspection (or re-processing) started.
    pub started_at: Option<NaiveDateTime>,
    /// When it finished; `None` while in progress.
    pub finished_at: Option<NaiveDateTime>,
    /// The failure message, if it failed.
    pub error: Option<String>,
    /// Whether the service manages the node's boot.
    pub manage_boot: bool,
    /// The look-up attributes (name, value) by which ramdisk data found this
    /// record; empty unless it comes from [`NodeCache::find_node`](crate::NodeCache::find_node).
    pub matched_by: Vec<(String, String)>,
    pub(super) version_id: Option<String>,
    pub(super) lock: Option<NodeLock>,
}

impl fmt::Debug for NodeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeInfo")
            .field("uuid", &self.uuid)
            .field("state", &self.state)
            .field("started_at", &self.started_at)
            .field("finished_at", &self.finished_at)
            .field("error", &self.error)
            .field("manage_boot", &self.manage_boot)
            .field("locked", &self.is_locked())
            .finish()
    }
}

impl NodeInfo {
    pub(super) fn from_row(row: NodeRow) -> Result<Self> {
        Ok(Self {
            uuid: rows::stored_uuid(&row.uuid)?,
            state: row.state.0,
            started_at: row.started_at,
            finished_at: row.finished_at,
            error: row.error,
            // Rows from before the column existed hold NULL, which means true.
            manage_boot: row.manage_boot.unwrap_or(true),
            matched_by: Vec::new(),
            version_id: row.version_id,
            lock: None,
        })
    }

    /// Whether introspection is over (`finished_at` is set).
    pub fn is_finished(&self) -> bool {
        self.finished_at.is_some()
    }

    /// Whether this record holds its node's lock.
    pub fn is_locked(&self) -> bool {
        self.lock.is_some()
    }

    /// Takes the node lock for this record: waits when `blocking`, otherwise
    /// returns false at once if another holder has it. True at once if this
    /// record already holds it.
    pub async fn acquire_lock(&mut self, locks: &dyn NodeLocks, blocking: bool) -> Result<bool> {
        if self.lock.is_some() {
            return Ok(true);
        }
        self.lock = if blocking {
            Some(locks.lock(self.uuid).await?)
        } else {
            locks.try_lock(self.uuid).await?
        };
        Ok(self.lock.is_some())
    }

    /// Releases the node lock if this record holds it.
    pub fn release_lock(&mut self) {
        if let Some(lock) = self.lock.take() {
            lock.release();
        }
    }
}
