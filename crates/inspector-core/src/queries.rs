//! Read-only questions the API asks: statuses, lists, stored data.

use inspector_config::ConductorOptions;
use inspector_hooks::IntrospectionData;
use inspector_node_cache::{NodeInfo, State, TimelineEvent, UnmatchedReport};
use inspector_types::NodeUuid;

use crate::conductor::Conductor;
use crate::error::{CoreError, Result};
use crate::storage::StoreError;

impl Conductor {
    /// The record of a node given by UUID or name.
    pub async fn status(&self, node_id: &str) -> Result<NodeInfo> {
        Ok(self
            .cache()
            .get_node_by_ident(node_id, &self.inner.lookup)
            .await?)
    }

    /// The record of a node (UUID or name) and its timeline, oldest first;
    /// the diagnosis of where it stands when it is not finished.
    pub async fn timeline(&self, node_id: &str) -> Result<(NodeInfo, Vec<TimelineEvent>)> {
        let record = self.status(node_id).await?;
        let events = self.cache().timeline(record.uuid).await?;
        Ok((record, events))
    }

    /// Where an unfinished introspection stands, from its timeline and the
    /// unmatched ramdisk reports since it started (empty for a finished one).
    pub async fn explain(&self, record: &NodeInfo, events: &[TimelineEvent]) -> Result<String> {
        if record.is_finished() {
            return Ok(String::new());
        }
        let since = record.started_at.unwrap_or_default();
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

    /// Records newest first, after `marker`, at most `limit`, optionally in `states`.
    pub async fn list_statuses(
        &self,
        marker: Option<NodeUuid>,
        limit: i64,
        states: Option<Vec<State>>,
    ) -> Result<Vec<NodeInfo>> {
        Ok(self.cache().list_nodes(marker, Some(limit), states).await?)
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
                    CoreError::bad_request(format!("Cannot get node {node_id}: {message}"))
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
