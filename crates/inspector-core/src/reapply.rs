//! Re-processing stored data (spec §4.11).

use inspector_hooks::IntrospectionData;
use inspector_node_cache::{Event, NodeInfo, Strictness};
use inspector_types::NodeUuid;
use serde_json::json;
use tracing::{Instrument, info, info_span, warn};

use crate::conductor::Conductor;
use crate::error::{CoreError, Result};
use crate::metrics::{FailedStep, Outcome};
use crate::storage::StoreError;
use crate::timeline::Steps;

impl Conductor {
    /// Re-processes a node's stored unprocessed data, or `data` (which is stored
    /// first), in the background.
    pub async fn reapply(&self, uuid: NodeUuid, data: Option<IntrospectionData>) -> Result<()> {
        let store = &self.parts().store;
        if matches!(store, crate::storage::DataStore::None) {
            return Err(store_disabled());
        }
        // Then the record: data is stored only for a node that has one.
        let mut record = self.cache().get_node(uuid).await?;
        let data = match data {
            Some(data) => {
                store.save(uuid, false, &data).await?;
                data
            }
            None => store.load(uuid, false).await.map_err(|error| match error {
                StoreError::Disabled => store_disabled(),
                StoreError::NotFound(message) => CoreError::not_found(message),
                StoreError::Unavailable(what) => CoreError::database_unavailable(what),
                StoreError::Failed(message) | StoreError::Swift(message) => {
                    CoreError::invalid_input(message)
                }
            })?,
        };
        if !record.acquire_lock(self.cache().locks(), false).await? {
            return Err(CoreError::conflict("Node locked, please, try again later"));
        }
        let span = info_span!("reapply", node = %uuid);
        let conductor = self.clone();
        self.inner
            .jobs
            .spawn(async move { conductor.reapply_job(record, data).instrument(span).await });
        Ok(())
    }

    async fn reapply_job(&self, mut record: NodeInfo, mut data: IntrospectionData) {
        if let Err(error) = self.cache().restart_clock(&mut record).await {
            warn!(%error, "could not restart the record's clock");
            return;
        }
        if let Err(error) = self
            .cache()
            .fsm_event(&mut record, Event::Reapply, Strictness::Lenient)
            .await
        {
            info!(%error, "introspection data cannot be re-applied in this state");
            return;
        }
        let mut steps = Steps::default();
        steps.note(self, "reapply", json!({}));
        let body = async {
            let failures = self.parts().hooks.before_processing_by_hook(&mut data);
            steps.note_preprocessing(self, &failures);
            if !failures.is_empty() {
                let texts: Vec<String> = failures.into_iter().map(|(_, text)| text).collect();
                return Err(CoreError::invalid_input(format!(
                    "Pre-processing failures detected reapplying introspection on stored data:\n{}",
                    texts.join("\n")
                )));
            }
            let node = self
                .ironic()
                .get_node(&record.uuid.to_string())
                .await
                .map_err(crate::conductor::unexpected)?;
            self.update_node(&node, &mut data, &mut steps).await?;
            self.parts().store.save(record.uuid, true, &data).await?;
            steps.note(self, "data_stored", json!({}));
            self.apply_rules(record.uuid, data, &mut steps).await?;
            Ok(())
        };
        match body.await {
            Ok(()) => {
                // A failed final write is logged by `finish`; no one waits for the answer.
                let _ = self.finish(record, false, steps, Outcome::Reapplied).await;
            }
            Err(error) => {
                warn!(error = %error.message, "Failed reapply for node {}, Error: {}", record.uuid, error.message);
                self.fail(&mut record, error, steps, FailedStep::Reapply)
                    .await;
            }
        }
    }
}

/// The answer when `[processing] store_data = none`.
fn store_disabled() -> CoreError {
    CoreError::invalid_input(
        "Inspector is not configured to store introspection data. Set the [processing]store_data \
         configuration option to change this.",
    )
}
