//! Read-only questions the API asks: statuses, lists, stored data.

use chrono::NaiveDateTime;
use inspector_config::ConductorOptions;
use inspector_hooks::IntrospectionData;
use inspector_node_cache::{NodeInfo, State, TimelineEvent, UnmatchedReport};
use inspector_types::NodeUuid;

use crate::conductor::Conductor;
use crate::error::{CoreError, Result};
use crate::storage::StoreError;

/// What the API shows of one introspection: where it stands and since when
/// (a copy of the record without its lock or bookkeeping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntrospectionStatus {
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
}

impl IntrospectionStatus {
    /// Whether introspection is over.
    pub fn is_finished(&self) -> bool {
        self.finished_at.is_some()
    }
}

impl From<&NodeInfo> for IntrospectionStatus {
    fn from(record: &NodeInfo) -> Self {
        Self {
            uuid: record.uuid,
            state: record.state,
            started_at: record.started_at,
            finished_at: record.finished_at,
            error: record.error.clone(),
        }
    }
}

impl Conductor {
    /// The status of a node's introspection, the node given by UUID or name.
    pub async fn status(&self, node_id: &str) -> Result<IntrospectionStatus> {
        let record = self
            .cache()
            .get_node_by_ident(node_id, &self.inner.lookup)
            .await?;
        Ok(IntrospectionStatus::from(&record))
    }

    /// The status of a node's introspection (UUID or name) and its timeline,
    /// oldest first.
    pub async fn timeline(
        &self,
        node_id: &str,
    ) -> Result<(IntrospectionStatus, Vec<TimelineEvent>)> {
        let status = self.status(node_id).await?;
        let events = self.cache().timeline(status.uuid).await?;
        Ok((status, events))
    }

    /// Where an unfinished introspection stands, from its timeline and the
    /// unmatched ramdisk reports since it started (empty for a finished one).
    pub async fn explain(
        &self,
        status: &IntrospectionStatus,
        events: &[TimelineEvent],
    ) -> Result<String> {
        if status.is_finished() {
            return Ok(String::new());
        }
        let since = status.started_at.unwrap_or_default();
        let unmatched = self.cache().unmatched_since(since).await?;
        Ok(crate::timeline::diagnosis(events, &unmatched))
    }

    /// Up to `limit` ramdisk reports that matched no node, newest first,
    /// older than report `marker` when one is given.
    pub async fn unmatched_reports(
        &self,
        limit: i64,
        marker: Option<i64>,
    ) -> Result<Vec<UnmatchedReport>> {
        Ok(self.cache().unmatched(limit, marker).await?)
    }

    /// Statuses newest first, after `marker`, at most `limit`, optionally in `states`.
    pub async fn list_statuses(
        &self,
        marker: Option<NodeUuid>,
        limit: i64,
        states: Option<Vec<State>>,
    ) -> Result<Vec<IntrospectionStatus>> {
        let records = self.cache().list_nodes(marker, Some(limit), states).await?;
        Ok(records.iter().map(IntrospectionStatus::from).collect())
    }

    /// The UUID of a node given by UUID (used as is) or by name (asked of Ironic).
    pub async fn resolve_uuid(&self, node_id: &str) -> Result<NodeUuid> {
        if let Ok(uuid) = NodeUuid::parse(node_id) {
            return Ok(uuid);
        }
        use inspector_node_cache::IronicNodes;
        self.inner
            .lookup
            .node_uuid(node_id)
            .await
            .map_err(|error| match error {
                inspector_node_cache::IronicError::NotFound(_) => {
                    CoreError::not_found(format!("Node {node_id} was not found in Ironic"))
                }
                inspector_node_cache::IronicError::BadRequest(message) => {
                    CoreError::invalid_input(format!("Cannot get node {node_id}: {message}"))
                }
                inspector_node_cache::IronicError::Other(message) => CoreError::ironic_unavailable(
                    format_args!("cannot get node {node_id}: {message}"),
                ),
                other => CoreError::internal(other.to_string()),
            })
    }

    /// Stored introspection data of a node.
    pub async fn stored_data(
        &self,
        uuid: NodeUuid,
        processed: bool,
    ) -> Result<IntrospectionData, StoreError> {
        self.parts().store.load(uuid, processed).await
    }

    /// The engine's options.
    pub fn options(&self) -> &ConductorOptions {
        &self.parts().options
    }
}
