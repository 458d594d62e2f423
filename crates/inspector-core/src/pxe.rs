//! The PXE filter's inputs and its calls (spec §4.2–4.3): Ironic's ports, the
//! MACs under introspection, and the periodic sync.

use std::time::Duration;

use inspector_firewall::{PortMac, SyncInputs};
use inspector_ironic::PortQuery;
use tracing::warn;

use crate::conductor::Conductor;
use crate::error::{CoreError, Result};

impl Conductor {
    /// What a sync looks at; nothing is read for a filter that needs nothing.
    async fn pxe_inputs(&self) -> Result<SyncInputs> {
        if !self.parts().pxe_filter.needs_inputs() {
            return Ok(SyncInputs::default());
        }
        let query = PortQuery {
            node: None,
            fields: vec!["address".into(), "extra".into()],
        };
        let ports = self
            .retry("listing ports", || self.ironic().list_ports(&query))
            .await
            .map_err(|e| {
                CoreError::internal(format!("Failed to list ports in Ironic: {}", e.message()))
            })?;
        Ok(SyncInputs {
            ports: ports
                .into_iter()
                .map(|port| PortMac {
                    client_id: port
                        .extra
                        .get("client-id")
                        .and_then(|v| v.as_str())
                        .filter(|v| !v.is_empty())
                        .map(str::to_owned),
                    address: port.address,
                })
                .collect(),
            active_cache: self.cache().active_macs().await?,
            introspection_active: self.cache().introspection_active().await?,
        })
    }

    /// Brings the PXE filter in line with Ironic and the records.
    pub async fn sync_pxe_filter(&self) -> Result<()> {
        let _turn = self.inner.pxe_sync.lock().await;
        let inputs = self.pxe_inputs().await?;
        self.parts().pxe_filter.sync(inputs).await
    }

    /// Sets the PXE filter up (at start; a failure stops the start).
    pub async fn init_pxe_filter(&self) -> Result<()> {
        let _turn = self.inner.pxe_sync.lock().await;
        let inputs = self.pxe_inputs().await?;
        self.parts().pxe_filter.init(inputs).await
    }

    /// Undoes the PXE filter (at shutdown).
    pub async fn tear_down_pxe_filter(&self) {
        self.parts().pxe_filter.tear_down().await;
    }

    /// Syncs the PXE filter every `period` (not at once) until `shutdown`,
    /// when this process holds the task's lease; failures are logged.
    pub async fn run_pxe_filter_sync(
        &self,
        period: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        if period.is_zero() || !self.parts().pxe_filter.needs_inputs() {
            shutdown.await;
            return;
        }
        let mut ticker = tokio::time::interval(period);
        ticker.tick().await;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                _ = ticker.tick() => {}
            }
            if !self.parts().lease.holds("pxe_filter_sync").await {
                continue;
            }
            match self.sync_pxe_filter().await {
                Ok(()) => {}
                Err(error) => warn!(error = %error.message, "periodic PXE filter sync failed"),
            }
        }
    }
}
