//! Starting introspection (spec §3.1–3.4).

use std::time::{Duration, Instant};

use inspector_ironic::{ErrorKind, PortQuery, PowerTarget};
use inspector_node_cache::{Event, NodeInfo, Strictness};
use inspector_types::NodeUuid;
use serde_json::{Value, json};
use tracing::{Instrument, info, info_span, warn};

use crate::bmc;
use crate::conductor::Conductor;
use crate::error::{CoreError, Result};
use crate::metrics::{FailedStep, Outcome};
use crate::timeline::{Origin, Steps};

/// `driver_info.force_persistent_boot_device` as upstream reads it.
fn persistent_boot(driver_info: &serde_json::Map<String, Value>) -> bool {
    match driver_info.get("force_persistent_boot_device") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(value) => match value
            .as_str()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "always" => true,
            "default" | "never" => false,
            other => matches!(other, "1" | "t" | "true" | "on" | "y" | "yes"),
        },
    }
}

impl Conductor {
    /// Starts introspection of a node (UUID or name). With `manage_boot` the
    /// boot preparation runs in the background; without it, inline.
    pub async fn introspect(&self, node_id: &str, manage_boot: bool) -> Result<()> {
        self.introspect_from(node_id, manage_boot, &Origin::default())
            .await
    }

    /// [`Conductor::introspect`] for a request from `origin`, which the
    /// timeline records.
    pub async fn introspect_from(
        &self,
        node_id: &str,
        manage_boot: bool,
        origin: &Origin,
    ) -> Result<()> {
        let node = self
            .ironic()
            .get_node(node_id)
            .await
            .map_err(|error| match error.kind() {
                ErrorKind::NotFound => {
                    CoreError::not_found(format!("Node {node_id} was not found in Ironic"))
                }
                ErrorKind::BadRequest => CoreError::invalid_input(format!(
                    "Cannot get node {node_id}: {}",
                    error.message()
                )),
                _ if crate::conductor::is_transient(&error) => CoreError::ironic_unavailable(
                    format_args!("cannot get node {node_id}: {}", error.message()),
                ),
                _ => CoreError::internal(format!("Cannot get node {node_id}: {}", error.message())),
            })?;
        let span = info_span!("introspection", node = %node.uuid);
        async {
            self.check_provision_state(&node)?;
            if manage_boot {
                let validation = self.ironic().validate_node(node.uuid).await.map_err(|e| {
                    let message = format!("Failed validation of power interface: {}", e.message());
                    if crate::conductor::is_transient(&e) {
                        CoreError::ironic_unavailable(message)
                    } else {
                        CoreError::internal(message)
                    }
                })?;
                let power = validation.get("power").cloned().unwrap_or_default();
                if power.result != Some(true) {
                    let reason = power.reason.unwrap_or_else(|| "None".to_owned());
                    return Err(CoreError::invalid_input(format!(
                        "Failed validation of power interface: {reason}"
                    )));
                }
            }
            let addresses =
                bmc::addresses(&node.driver_info, &self.parts().options.ipmi_address_fields).await;
            let mut steps = Steps::default();
            steps.note(
                self,
                "started",
                json!({"manage_boot": manage_boot, "bmc_addresses": addresses,
                       "request_id": origin.request_id, "client_address": origin.client_address}),
            );
            let record = self
                .cache()
                .start_introspection(node.uuid, manage_boot, addresses)
                .await?;
            info!(manage_boot, "introspection started");
            self.inner.metrics.started();
            // The node as read here decides the boot device's persistence: no second read.
            let persistent = persistent_boot(&node.driver_info);
            if manage_boot {
                let conductor = self.clone();
                self.inner.jobs.spawn(async move {
                    if let Err(error) = conductor.prepare_boot(record, persistent, steps).await {
                        warn!(%error, "boot preparation failed");
                    }
                });
                Ok(())
            } else {
                self.prepare_boot(record, persistent, steps).await
            }
        }
        .instrument(span)
        .await
    }

    /// Boot preparation (§3.3), under the node lock; ends with `wait` or
    /// `error`. Its timeline is written with that state change, before the
    /// lock is released, so that it comes before anything a ramdisk post records.
    async fn prepare_boot(
        &self,
        mut record: NodeInfo,
        persistent: bool,
        mut steps: Steps,
    ) -> Result<()> {
        let uuid = record.uuid;
        if let Err(error) = record.acquire_lock(self.cache().locks(), true).await {
            self.record_timeline(uuid, steps.into_events()).await;
            return Err(error.into());
        }
        let outcome = self
            .prepare_boot_body(&record, persistent, &mut steps)
            .await;
        match outcome {
            Ok(()) => {
                let before = steps.into_events();
                let waiting = self
                    .cache()
                    .event("waiting", json!({"manage_boot": record.manage_boot}));
                let prepared_in = before
                    .first()
                    .and_then(|started| (waiting.at - started.at).to_std().ok());
                let mut timeline = before.clone();
                timeline.push(waiting);
                match self
                    .cache()
                    .fsm_event_recording(&mut record, Event::Wait, Strictness::Lenient, timeline)
                    .await
                {
                    Ok(()) => {
                        if let Some(duration) = prepared_in {
                            self.inner.metrics.boot_prepared_in(duration);
                        }
                    }
                    Err(error) => {
                        tracing::debug!(%error, "not moving to waiting");
                        self.record_timeline(uuid, before).await;
                    }
                }
                record.release_lock();
                Ok(())
            }
            Err(error) => {
                steps.note(self, "error", json!({"message": error.message}));
                self.inner
                    .metrics
                    .ended(Outcome::Error(FailedStep::BootPreparation));
                if let Err(finish) = self
                    .cache()
                    .finished_recording(
                        &mut record,
                        Event::Error,
                        Some(error.message.clone()),
                        steps.into_events(),
                    )
                    .await
                {
                    warn!(error = %finish, "could not record the failure");
                }
                Err(error)
            }
        }
    }

    async fn prepare_boot_body(
        &self,
        record: &NodeInfo,
        persistent: bool,
        steps: &mut Steps,
    ) -> Result<()> {
        let uuid = record.uuid;
        let query = PortQuery {
            node: Some(uuid),
            fields: vec![],
        };
        let ports = self
            .retry("listing ports", || self.ironic().list_ports(&query))
            .await
            .map_err(crate::conductor::unexpected)?;
        let macs: Vec<String> = ports.into_iter().map(|p| p.address).collect();
        steps.note(self, "lookup_attributes", json!({"macs": macs}));
        if !macs.is_empty() {
            self.cache()
                .add_attribute(uuid, "mac", macs.clone())
                .await?;
            self.sync_pxe_filter().await?;
            steps.note(self, "pxe_filter_synced", json!({"macs": macs}));
        }
        if self.parts().options.node_not_found_hook.is_none()
            && self.cache().attributes(uuid).await?.is_empty()
        {
            return Err(CoreError::invalid_input(
                "No lookup attributes were found, inspector won't be able to find it after introspection, \
                 consider creating ironic ports or providing an IPMI address",
            ));
        }
        if !record.manage_boot {
            info!(
                timeout = self.parts().options.timeout,
                "boot is not managed: the node must be powered on externally"
            );
            return Ok(());
        }
        self.set_boot_device_and_reboot(uuid, persistent, steps)
            .await
    }

    async fn set_boot_device_and_reboot(
        &self,
        uuid: NodeUuid,
        persistent: bool,
        steps: &mut Steps,
    ) -> Result<()> {
        let ironic = self.ironic();
        self.retry("setting the boot device", || {
            ironic.set_boot_device(uuid, "pxe", persistent)
        })
        .await
        .map_err(|e| {
            steps.note(
                self,
                "boot_device_set",
                json!({"device": "pxe", "persistent": persistent, "answer": e.message()}),
            );
            CoreError::invalid_input(format!("Failed to set boot device to PXE: {}", e.message()))
        })?;
        steps.note(
            self,
            "boot_device_set",
            json!({"device": "pxe", "persistent": persistent, "answer": "accepted"}),
        );
        self.throttle().await;
        self.retry("rebooting", || {
            ironic.set_power_state(uuid, PowerTarget::Reboot)
        })
        .await
        .map_err(|e| {
            steps.note(
                self,
                "power_action",
                json!({"target": "reboot", "answer": e.message()}),
            );
            CoreError::invalid_input(format!(
                "Failed to power on the node, check its power management configuration: {}",
                e.message()
            ))
        })?;
        steps.note(
            self,
            "power_action",
            json!({"target": "reboot", "answer": "accepted"}),
        );
        info!("introspection environment is ready, the node is rebooting");
        Ok(())
    }

    /// Spaces managed reboots by `introspection_delay` (§3.4), holding the mutex while waiting.
    async fn throttle(&self) {
        let delay = Duration::from_secs(self.parts().options.introspection_delay);
        let mut last = self.inner.last_boot.lock().await;
        if let Some(previous) = *last {
            let wait = (previous + delay).saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                tracing::debug!(?wait, "throttling the reboot");
                tokio::time::sleep(wait).await;
            }
        }
        *last = Some(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn persistent_boot_values() {
        let info = |v: Value| {
            json!({"force_persistent_boot_device": v})
                .as_object()
                .cloned()
                .unwrap()
        };
        assert!(persistent_boot(&info(json!("Always"))));
        assert!(!persistent_boot(&info(json!("Default"))));
        assert!(!persistent_boot(&info(json!("Never"))));
        assert!(persistent_boot(&info(json!("yes"))));
        assert!(!persistent_boot(&info(json!("bogus"))));
        assert!(!persistent_boot(&serde_json::Map::new()));
    }
}
