//! Periodic tasks (spec §5.2): time-outs and removal of records of nodes gone
//! from Ironic, run by the process that holds the task's lease.

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use inspector_ironic::NodeQuery;
use inspector_node_cache::CleanUpPolicy;
use inspector_types::NodeUuid;
use tracing::{info, warn};

use crate::conductor::Conductor;
use crate::error::{CoreError, Result};

/// Decides which process runs a periodic task. A database-backed lease for
/// several processes plugs in here; one process is always the owner.
#[async_trait]
pub trait PeriodicLease: Send + Sync + std::fmt::Debug {
    /// Whether this process may run `task` now.
    async fn holds(&self, task: &str) -> bool;
}

/// One process: it runs every task.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysLeader;

#[async_trait]
impl PeriodicLease for AlwaysLeader {
    async fn holds(&self, _task: &str) -> bool {
        true
    }
}

/// Leases in the database: one process of several runs each task.
#[derive(Debug, Clone)]
pub struct DatabaseLease(pub inspector_node_cache::DbLease);

#[async_trait]
impl PeriodicLease for DatabaseLease {
    async fn holds(&self, task: &str) -> bool {
        match self.0.acquire(task).await {
            Ok(held) => held,
            Err(error) => {
                warn!(%error, task, "cannot take the task's lease; skipping this round");
                false
            }
        }
    }
}

impl Conductor {
    /// One round of the time-out task; returns the records that timed out.
    pub async fn clean_up_once(&self) -> Result<Vec<NodeUuid>> {
        let options = &self.parts().options;
        let policy = CleanUpPolicy {
            timeout: options.timeout,
            node_status_keep_time: options.node_status_keep_time,
        };
        let timed_out = self.cache().clean_up(policy).await?;
        for _ in &timed_out {
            self.inner.metrics.ended(crate::metrics::Outcome::Timeout);
        }
        if !timed_out.is_empty() {
            self.sync_pxe_filter().await?;
        }
        Ok(timed_out)
    }

    /// One round of the Ironic sync: drops records of nodes Ironic no longer has.
    pub async fn sync_with_ironic_once(&self) -> Result<Vec<NodeUuid>> {
        let nodes = self
            .ironic()
            .list_nodes(&NodeQuery {
                fields: vec!["uuid".into()],
            })
            .await
            .map_err(|e| {
                CoreError::internal(format!("Failed to list nodes in Ironic: {}", e.message()))
            })?;
        let uuids: HashSet<NodeUuid> = nodes.into_iter().map(|n| n.uuid).collect();
        Ok(self.cache().delete_nodes_not_in_list(&uuids).await?)
    }

    /// Runs the periodic tasks every `[DEFAULT] clean_up_period` seconds until
    /// `shutdown` resolves; a failing round is logged and the next one runs.
    pub async fn run_periodic_tasks(&self, shutdown: impl std::future::Future<Output = ()>) {
        let period = self.parts().options.clean_up_period;
        if period == 0 {
            info!("periodic clean-up is disabled");
            shutdown.await;
            return;
        }
        let mut ticker = tokio::time::interval(Duration::from_secs(period));
        ticker.tick().await; // tasks first run one period after start
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                _ = ticker.tick() => {}
            }
            if self.parts().lease.holds("periodic_clean_up").await
                && let Err(error) = self.clean_up_once().await
            {
                warn!(%error, "periodic clean-up failed");
            }
            if self.parts().lease.holds("sync_with_ironic").await
                && let Err(error) = self.sync_with_ironic_once().await
            {
                warn!(%error, "sync with Ironic failed");
            }
        }
    }
}
