//! Read-only questions the API asks: statuses, lists, stored data.

use inspector_config::ConductorOptions;
use inspector_hooks::IntrospectionData;
use inspector_node_cache::{NodeInfo, State};
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
