//! The engine's seam to the PXE filter: the firewall crate's drivers (run on
//! a blocking thread), or nothing.

use std::sync::Arc;

use async_trait::async_trait;
use inspector_firewall::{FilterError, SyncInputs};

use crate::error::{CoreError, Result};

/// Keeps DHCP open to nodes under introspection only (spec §4).
#[async_trait]
pub trait PxeFilter: Send + Sync + std::fmt::Debug {
    /// Whether the filter looks at its inputs (the no-op filter does not, so
    /// nothing is read from Ironic or the database for it).
    fn needs_inputs(&self) -> bool {
        true
    }
    /// Sets the filter up at start.
    async fn init(&self, inputs: SyncInputs) -> Result<()>;
    /// Brings the filter in line with `inputs`.
    async fn sync(&self, inputs: SyncInputs) -> Result<()>;
    /// Undoes the filter at shutdown.
    async fn tear_down(&self);
}

/// The `noop` PXE filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPxeFilter;

#[async_trait]
impl PxeFilter for NoPxeFilter {
    fn needs_inputs(&self) -> bool {
        false
    }

    async fn init(&self, _inputs: SyncInputs) -> Result<()> {
        Ok(())
    }

    async fn sync(&self, _inputs: SyncInputs) -> Result<()> {
        Ok(())
    }

    async fn tear_down(&self) {}
}

/// A firewall-crate driver (`iptables`, `dnsmasq`).
#[derive(Debug, Clone)]
pub struct FirewallFilter(pub Arc<inspector_firewall::Firewall>);

fn failure(error: FilterError) -> CoreError {
    let class = match &error {
        FilterError::InvalidState { .. } => "InvalidFilterDriverState",
        FilterError::Command(_) => "ProcessExecutionError",
        FilterError::Io(_) => "OSError",
        FilterError::Config(_) => "Error",
    };
    CoreError::unexpected(class, error)
}

impl FirewallFilter {
    async fn blocking(
        &self,
        work: impl FnOnce(&inspector_firewall::Firewall) -> std::result::Result<(), FilterError>
        + Send
        + 'static,
    ) -> Result<()> {
        let filter = self.0.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| work(&filter)))
            .await
            .map_err(|e| CoreError::internal(format!("the PXE filter task failed: {e}")))?
            .map_err(failure)
    }
}

#[async_trait]
impl PxeFilter for FirewallFilter {
    async fn init(&self, inputs: SyncInputs) -> Result<()> {
        self.blocking(move |filter| filter.init(&inputs)).await
    }

    async fn sync(&self, inputs: SyncInputs) -> Result<()> {
        self.blocking(move |filter| filter.sync(&inputs)).await
    }

    async fn tear_down(&self) {
        let _ = self
            .blocking(|filter| {
                filter.tear_down();
                Ok(())
            })
            .await;
    }
}
