//! What the node cache needs from Ironic, as a trait the Ironic client implements.

use async_trait::async_trait;
use inspector_types::NodeUuid;

/// A failed Ironic call, reduced to what the node cache acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IronicError {
    /// Ironic answered 404.
    #[error("{0}")]
    NotFound(String),
    /// Ironic answered 400, or the look-up itself refused the request
    /// (e.g. addresses matching several nodes); the text is shown to the client.
    #[error("{0}")]
    BadRequest(String),
    /// Anything else (unreachable, 5xx, ...).
    #[error("{0}")]
    Other(String),
}

/// Ironic look-ups and node creation used by node-cache operations.
#[async_trait]
pub trait IronicNodes: Send + Sync {
    /// The UUID of the node named or identified by `ident`
    /// (`GET /v1/nodes/{ident}?fields=uuid`).
    async fn node_uuid(&self, ident: &str) -> Result<NodeUuid, IronicError>;

    /// The node owning ports with these MACs, if any; several nodes is a
    /// [`IronicError::BadRequest`] with upstream's message.
    async fn node_by_macs(&self, macs: &[String]) -> Result<Option<NodeUuid>, IronicError>;

    /// The node whose resolved BMC address is one of `addresses`, if any;
    /// several nodes is a [`IronicError::BadRequest`] with upstream's message.
    async fn node_by_bmc_addresses(
        &self,
        addresses: &[String],
    ) -> Result<Option<NodeUuid>, IronicError>;

    /// The node's provision state (`GET /v1/nodes/{uuid}?fields=uuid,provision_state`).
    async fn provision_state(&self, uuid: NodeUuid) -> Result<Option<String>, IronicError>;

    /// Creates a node (`POST /v1/nodes`) and returns its UUID.
    async fn create_node(
        &self,
        driver: &str,
        fields: serde_json::Map<String, serde_json::Value>,
    ) -> Result<NodeUuid, IronicError>;
}
