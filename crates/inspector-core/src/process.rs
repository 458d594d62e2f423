//! Processing ramdisk data (`/v1/continue`, spec §4.1–4.10).

use inspector_hooks::{IntrospectionData, bmc_addresses, valid_macs};
use inspector_ironic::{ErrorKind, PowerTarget};
use inspector_node_cache::{
    Error as CacheError, Event, LookupQuery, NewUnmatchedReport, NodeInfo, Strictness,
};
use inspector_types::NodeUuid;
use serde_json::{Value, json};
use tracing::{Instrument, Span, field, info, info_span, warn};

use crate::conductor::Conductor;
use crate::error::{CoreError, Result};
use crate::metrics::{FailedStep, Outcome};
use crate::timeline::{Origin, Steps};

const PREPROCESSING_FAILURES: &str =
    "The following failures happened during running pre-processing hooks:\n";

impl Conductor {
    /// Processes data posted by the ramdisk; returns the node's UUID once
    /// the data is applied, the node powered off and the record finished.
    pub async fn process(&self, data: IntrospectionData) -> Result<NodeUuid> {
        self.process_from(data, &Origin::default()).await
    }

    /// [`Conductor::process`] for a post from `origin`, which the timeline
    /// (or the unmatched reports) record.
    pub async fn process_from(&self, data: IntrospectionData, origin: &Origin) -> Result<NodeUuid> {
        let span = info_span!(
            "process",
            node = field::Empty,
            mac = field::Empty,
            bmc = field::Empty
        );
        let started = std::time::Instant::now();
        let result = self.process_inner(data, origin).instrument(span).await;
        self.inner.metrics.processed_in(started.elapsed());
        result
    }

    async fn process_inner(
        &self,
        mut data: IntrospectionData,
        origin: &Origin,
    ) -> Result<NodeUuid> {
        let logs = crate::logs::RamdiskLogs::take(&mut data);
        let result = self.process_steps(data, origin).await;
        let options = &self.parts().options;
        let store_logs = match &result {
            Ok(_) => options.always_store_ramdisk_logs,
            Err(failure) => failure.store_logs,
        };
        if store_logs {
            let node = result
                .as_ref()
                .ok()
                .copied()
                .or(result.as_ref().err().and_then(|f| f.node));
            logs.store(
                options.ramdisk_logs_dir.as_deref(),
                &options.ramdisk_logs_filename_format,
                node,
            );
        }
        result.map_err(|failure| failure.error)
    }

    async fn process_steps(
        &self,
        mut data: IntrospectionData,
        origin: &Origin,
    ) -> std::result::Result<NodeUuid, Failure> {
        // Kept as text (about the body's size) while the hooks work on the parsed
        // data: a parsed copy of a large payload would take many times more.
        let unprocessed = serde_json::value::to_raw_value(&data)
            .map_err(|error| CoreError::internal(format!("cannot encode the data: {error}")))?;
        let hook_failures = self.parts().hooks.before_processing_by_hook(&mut data);
        let mut failures: Vec<String> = hook_failures.iter().map(|(_, t)| t.clone()).collect();
        if let Some(mac) = data.get("boot_interface").and_then(|v| v.as_str()) {
            Span::current().record("mac", mac);
        }
        let (v4, v6) = bmc_addresses(&data);
        if let Some(bmc) = &v4 {
            Span::current().record("bmc", bmc.as_str());
        }
        let query = LookupQuery {
            bmc_addresses: v4.into_iter().chain(v6).collect(),
            macs: valid_macs(&data),
        };
        let record = match self.cache().find_node(&query).await {
            Ok(record) => Some(record),
            Err(CacheError::NotFoundInCache(message)) => {
                let record = self
                    .not_found(&mut data, &query, message, &mut failures)
                    .await?;
                if record.is_none() {
                    self.record_unmatched(&query, origin, &failures).await;
                }
                record
            }
            // The database being away is not the data's fault: 503, retried.
            Err(unavailable) if unavailable.is_unavailable() => {
                return Err(CoreError::from(unavailable).into());
            }
            Err(other) => {
                failures.push(format!("Look up error: {other}"));
                None
            }
        };
        let mut steps = Steps::default();
        if let Some(record) = &record {
            let matched: Vec<Value> = record
                .matched_by
                .iter()
                .map(|(name, value)| json!({"name": name, "value": value}))
                .collect();
            steps.note(
                self,
                "ramdisk_post",
                json!({"macs": query.macs, "bmc_addresses": query.bmc_addresses,
                       "boot_interface": data.get("boot_interface"), "matched_by": matched,
                       "client_address": origin.client_address, "request_id": origin.request_id}),
            );
            steps.note_preprocessing(self, &hook_failures);
        }
        let posted_at = steps.last_at();
        let mut record = match record {
            Some(record) if failures.is_empty() => record,
            record => {
                let node = record.as_ref().map(|r| r.uuid);
                return Err(Failure::logged(
                    self.fail_preprocessing(record, failures, steps).await,
                    node,
                ));
            }
        };
        Span::current().record("node", field::display(record.uuid));
        // Records from look-up are locked already; active-node records are not.
        record.acquire_lock(self.cache().locks(), true).await?;
        if record.is_finished() {
            return Err(CoreError::invalid_input(format!(
                "Node processing already finished with error: {}",
                record.error.clone().unwrap_or_else(|| "None".into())
            ))
            .into());
        }
        if let Err(error) = self
            .parts()
            .store
            .save_encoded(record.uuid, false, &unprocessed)
            .await
        {
            warn!(%error, "failed to store unprocessed data");
        }
        let node = match self.ironic().get_node(&record.uuid.to_string()).await {
            Ok(node) => node,
            Err(error) if crate::conductor::is_transient(&error) => {
                // Nothing changed yet: the record stays as it is for the retry.
                return Err(self
                    .unavailable(
                        record,
                        CoreError::ironic_unavailable(error.message()),
                        steps,
                    )
                    .await
                    .into());
            }
            Err(error) => {
                let failure = match error.kind() {
                    ErrorKind::NotFound => CoreError::not_found(format!(
                        "Node {} was not found in Ironic",
                        record.uuid
                    )),
                    _ => crate::conductor::unexpected(error),
                };
                let uuid = record.uuid;
                return Err(Failure::logged(
                    self.fail(&mut record, failure, steps, FailedStep::Processing)
                        .await,
                    Some(uuid),
                ));
            }
        };
        if let Err(error) = self
            .cache()
            .fsm_event(&mut record, Event::Process, Strictness::Strict)
            .await
        {
            return Err(Failure::logged(error.into(), Some(record.uuid)));
        }
        self.observe_callback_delay(record.uuid, posted_at);
        let keep_power_on = self.parts().options.permit_active_introspection
            && matches!(node.provision_state.as_deref(), Some("active" | "rescue"));
        let body = async {
            self.check_provision_state(&node)?;
            self.update_node(&node, &mut data, &mut steps).await?;
            self.parts().store.save(record.uuid, true, &data).await?;
            steps.note(self, "data_stored", json!({}));
            self.sync_pxe_filter().await?;
            self.apply_rules(record.uuid, data, &mut steps).await?;
            Ok::<(), CoreError>(())
        };
        if let Err(error) = body.await {
            if error.is_unavailable() {
                return Err(self.unavailable(record, error, steps).await.into());
            }
            let uuid = record.uuid;
            return Err(Failure::logged(
                self.fail(&mut record, error, steps, FailedStep::Processing)
                    .await,
                Some(uuid),
            ));
        }
        let power_off = !keep_power_on && record.manage_boot && self.parts().options.power_off;
        let uuid = record.uuid;
        // The answer waits for the finishing step: a 200 means the record is
        // finished (a process killed before answering leaves the record for the
        // ramdisk's retry or the time-out, never an acknowledged post unfinished).
        self.finish(record, power_off, steps, Outcome::Finished)
            .await
            .map_err(|error| Failure::logged(error, Some(uuid)))?;
        info!("introspection data processed");
        Ok(uuid)
    }

    /// Ironic or the database failed in a way a retry may fix: the record keeps its state
    /// (`waiting`, or `processing`, which takes the retried post), the run's
    /// timeline so far is written with what happened, and the ramdisk gets
    /// 503 so that it posts again.
    pub(crate) async fn unavailable(
        &self,
        mut record: NodeInfo,
        error: CoreError,
        mut steps: Steps,
    ) -> CoreError {
        warn!(error = %error.message, "processing cannot go on for now, the ramdisk may retry");
        let what = if error.is_database_unavailable() {
            "database_unavailable"
        } else {
            "ironic_unavailable"
        };
        steps.note(self, what, json!({"message": error.message}));
        self.record_timeline(record.uuid, steps.into_events()).await;
        record.release_lock();
        error
    }

    /// Keeps a post that matched no node among the unmatched reports; a
    /// failed write is only logged.
    async fn record_unmatched(&self, query: &LookupQuery, origin: &Origin, failures: &[String]) {
        self.inner.metrics.unmatched();
        let report = NewUnmatchedReport {
            client_address: origin.client_address.clone(),
            macs: query.macs.clone(),
            bmc_addresses: query.bmc_addresses.clone(),
            reason: failures.last().cloned().unwrap_or_default(),
        };
        warn!(client = ?report.client_address, macs = ?report.macs, bmc = ?report.bmc_addresses,
              reason = %report.reason, "a ramdisk report matched no node");
        if let Err(error) = self.cache().record_unmatched(report).await {
            warn!(%error, "could not record the unmatched report");
        }
    }

    /// Observes the time from `waiting` to the ramdisk post being processed
    /// (at `posted`), read from the timeline off the ramdisk's answer.
    fn observe_callback_delay(&self, uuid: NodeUuid, posted: Option<chrono::NaiveDateTime>) {
        let Some(posted) = posted else {
            return;
        };
        let conductor = self.clone();
        // Not one of the engine's jobs: it holds no permit and nobody waits for it.
        tokio::spawn(async move {
            match conductor.cache().last_event_at(uuid, "waiting").await {
                Ok(Some(waiting)) => {
                    if let Ok(delay) = (posted - waiting).to_std() {
                        conductor.inner.metrics.called_back_after(delay);
                    }
                }
                Ok(None) => {}
                Err(error) => tracing::debug!(%error, "cannot read when the node began waiting"),
            }
        });
    }

    /// No record matched: an active node, or the failure text.
    async fn not_found(
        &self,
        data: &mut IntrospectionData,
        query: &LookupQuery,
        message: String,
        failures: &mut Vec<String>,
    ) -> Result<Option<NodeInfo>> {
        let mut message = message;
        if self.parts().options.permit_active_introspection {
            match self.cache().record_node(query, &self.inner.lookup).await {
                Ok(record) => return Ok(Some(record)),
                Err(CacheError::NotFoundInCache(next)) => message = next,
                Err(other) => return Err(other.into()),
            }
        }
        match self.parts().options.node_not_found_hook.as_deref() {
            // Data that failed pre-processing does not create nodes.
            Some("enroll") if failures.is_empty() => match self.enroll(data, query).await? {
                Ok(record) => return Ok(Some(record)),
                Err(reason) if reason.is_empty() => {
                    failures.push("Node not found hook returned nothing".to_owned());
                }
                Err(reason) => failures.push(format!("Node not found hook failed: {reason}")),
            },
            Some(_) => failures.push("Node not found hook returned nothing".to_owned()),
            None => failures.push(format!("Look up error: {message}")),
        }
        Ok(None)
    }

    /// Pre-processing failed: finish the record (if any) and build the error.
    async fn fail_preprocessing(
        &self,
        record: Option<NodeInfo>,
        failures: Vec<String>,
        mut steps: Steps,
    ) -> CoreError {
        let text = failures.join("\n");
        if let Some(mut record) = record {
            self.inner
                .metrics
                .ended(Outcome::Error(FailedStep::Preprocessing));
            warn!(node = %record.uuid, error = %text, "introspection failed before processing");
            steps.note(self, "error", json!({"message": text}));
            if let Err(error) = self
                .cache()
                .failed(&mut record, text.clone(), steps.into_events())
                .await
            {
                return error.into();
            }
        }
        CoreError::invalid_input(format!("{PREPROCESSING_FAILURES}{text}"))
    }

    /// A failure inside processing: the record ends in `error` with its text;
    /// the run's timeline so far and the error go with that change.
    pub(crate) async fn fail(
        &self,
        record: &mut NodeInfo,
        error: CoreError,
        mut steps: Steps,
        kind: FailedStep,
    ) -> CoreError {
        self.inner.metrics.ended(Outcome::Error(kind));
        warn!(error = %error.message, "introspection failed");
        steps.note(self, "error", json!({"message": error.message}));
        match self
            .cache()
            .failed(record, error.message.clone(), steps.into_events())
            .await
        {
            Ok(()) => error,
            Err(finish @ CacheError::InvalidEvent(_)) => finish.into(),
            Err(other) => {
                warn!(error = %other, "could not record the failure");
                error
            }
        }
    }

    /// The finishing step (§4.9): optional power-off, then `finished`; the
    /// run's timeline is written here, off the ramdisk's answer. `outcome`
    /// is what a success counts as (a re-application is not a new
    /// introspection).
    pub(crate) async fn finish(
        &self,
        mut record: NodeInfo,
        power_off: bool,
        mut steps: Steps,
        outcome: Outcome,
    ) -> Result<()> {
        let uuid = record.uuid;
        if power_off {
            let refusal = match self
                .ironic()
                .set_power_state(uuid, PowerTarget::PowerOff)
                .await
            {
                Ok(()) => None,
                Err(error) if crate::conductor::is_transient(&error) => {
                    return Err(self
                        .unavailable(
                            record,
                            CoreError::ironic_unavailable(error.message()),
                            steps,
                        )
                        .await);
                }
                Err(error) => Some(error.message().to_owned()),
            };
            steps.note(
                self,
                "power_action",
                json!({"target": "power off", "answer": refusal.as_deref().unwrap_or("accepted")}),
            );
            if let Some(answer) = refusal {
                let enrolled = self
                    .ironic()
                    .get_node(&uuid.to_string())
                    .await
                    .is_ok_and(|node| node.provision_state.as_deref() == Some("enroll"));
                if !enrolled {
                    let message = format!(
                        "Failed to power off node {uuid}, check its power management configuration: {answer}"
                    );
                    return Err(self
                        .fail(
                            &mut record,
                            CoreError::invalid_input(message),
                            steps,
                            FailedStep::PowerOff,
                        )
                        .await);
                }
            }
        }
        steps.note(self, "finished", json!({}));
        match self
            .cache()
            .finished_recording(&mut record, Event::Finish, None, steps.into_events())
            .await
        {
            Ok(()) => {
                self.inner.metrics.ended(outcome);
                info!(node = %uuid, "introspection finished successfully");
                Ok(())
            }
            Err(error) => {
                warn!(node = %uuid, %error, "could not finish the introspection");
                Err(error.into())
            }
        }
    }
}

/// A failed `/v1/continue`, and whether the ramdisk logs are kept for it.
#[derive(Debug)]
struct Failure {
    error: CoreError,
    store_logs: bool,
    node: Option<NodeUuid>,
}

impl Failure {
    /// A failure whose logs are stored — except when finishing the record was
    /// itself refused as an invalid event (a record being aborted meanwhile).
    fn logged(error: CoreError, node: Option<NodeUuid>) -> Self {
        let quirk = error.message.starts_with("Can not transition from state");
        Self {
            error,
            store_logs: !quirk,
            node,
        }
    }
}

impl From<CoreError> for Failure {
    fn from(error: CoreError) -> Self {
        Self {
            error,
            store_logs: false,
            node: None,
        }
    }
}

impl From<CacheError> for Failure {
    fn from(error: CacheError) -> Self {
        CoreError::from(error).into()
    }
}
