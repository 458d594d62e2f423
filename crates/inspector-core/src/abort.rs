//! Aborting introspection (spec §3.5).

use inspector_ironic::PowerTarget;
use inspector_node_cache::{Event, NodeInfo, Strictness};
use serde_json::json;
use tracing::{Instrument, info, info_span, warn};

use crate::conductor::Conductor;
use crate::error::{CoreError, Result};
use crate::metrics::Outcome;
use crate::timeline::Steps;

/// Upstream's error of an aborted introspection, which ours starts with.
const CANCELED: &str = "Canceled by operator";

impl Conductor {
    /// Aborts the introspection of a node (UUID or name); the work runs in the background.
    pub async fn abort(&self, node_id: &str) -> Result<()> {
        let mut record = self
            .cache()
            .get_node_by_ident(node_id, &self.inner.lookup)
            .await?;
        if !record.acquire_lock(self.cache().locks(), false).await? {
            return Err(CoreError::conflict("Node is locked, please, retry later"));
        }
        let span = info_span!("abort", node = %record.uuid);
        let conductor = self.clone();
        self.inner
            .jobs
            .spawn(async move { conductor.abort_job(record).instrument(span).await });
        Ok(())
    }

    /// Upstream's `Canceled by operator`, with where the introspection stood
    /// (from its timeline) after it.
    async fn abort_message(&self, record: &NodeInfo) -> String {
        let events = match self.cache().timeline(record.uuid).await {
            Ok(events) => events,
            Err(error) => {
                warn!(%error, "cannot read the timeline to explain the abort");
                Vec::new()
            }
        };
        let status = crate::IntrospectionStatus::from(record);
        match self.explain(&status, &events).await {
            Ok(diagnosis) if !diagnosis.is_empty() => format!("{CANCELED}: {diagnosis}"),
            Ok(_) => CANCELED.to_owned(),
            Err(error) => {
                warn!(error = %error.message, "cannot explain the abort");
                CANCELED.to_owned()
            }
        }
    }

    async fn abort_job(&self, mut record: NodeInfo) {
        if let Err(error) = self
            .cache()
            .fsm_event(&mut record, Event::Abort, Strictness::Lenient)
            .await
        {
            info!(%error, "introspection cannot be aborted in this state");
            return;
        }
        let message = self.abort_message(&record).await;
        let mut steps = Steps::default();
        steps.note(self, "abort", json!({}));
        if record.manage_boot {
            let uuid = record.uuid;
            if let Err(error) = self
                .retry("powering off", || {
                    self.ironic().set_power_state(uuid, PowerTarget::PowerOff)
                })
                .await
            {
                warn!(%error, "failed to power off the node after abort");
                steps.note(
                    self,
                    "power_action",
                    json!({"target": "power off", "answer": error.to_string()}),
                );
            } else {
                steps.note(
                    self,
                    "power_action",
                    json!({"target": "power off", "answer": "accepted"}),
                );
            }
        }
        steps.note(self, "aborted", json!({ "message": message }));
        if let Err(error) = self
            .cache()
            .finished_recording(
                &mut record,
                Event::AbortEnd,
                Some(message),
                steps.into_events(),
            )
            .await
        {
            warn!(%error, "could not finish the aborted introspection");
            return;
        }
        self.inner.metrics.ended(Outcome::Aborted);
        if let Err(error) = self.sync_pxe_filter().await {
            warn!(%error, "PXE filter sync after abort failed");
        }
        info!("introspection aborted");
    }
}
