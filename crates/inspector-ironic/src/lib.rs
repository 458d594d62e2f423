//! Everything the service asks of Ironic, and of Swift for the data store.
//!
//! This crate owns the [`Ironic`] trait (every Ironic operation the service
//! needs, in the domain's vocabulary), the wire types it exchanges, the real
//! HTTP client [`HttpIronic`] on osauth (authentication, service catalog,
//! microversion negotiation, retries on 409/503, a request-rate cap); and
//! [`swift::SwiftObjects`], the objects of the Swift data store, on the same
//! osauth session code.
//!
//! It must not know about the node cache, the API or introspection logic:
//! callers decide what to do with a node; this crate only talks to Ironic.

mod error;
pub mod http;
mod model;
mod options;
pub mod swift;

use async_trait::async_trait;

pub use error::{ErrorKind, IronicError, Result};
pub use http::{HttpIronic, catalog_endpoint, keystone_client};
pub use inspector_config::IronicOptions;
pub use inspector_types::NodeUuid;
pub use json_patch::{Patch, PatchOperation};
pub use model::{
    InterfaceValidation, NewNode, NewPort, Node, NodeQuery, Port, PortQuery, PowerTarget,
    ProvisionAction,
};
pub use options::AuthOptions;

/// Every Ironic operation the service performs.
///
/// Implemented by [`HttpIronic`], the real client; tests run it against
/// `inspector_fake_ironic::FakeIronic` over HTTP, and embedders may bring
/// their own implementation. Errors carry an [`ErrorKind`] callers
/// can act on and Ironic's own message.
#[async_trait]
pub trait Ironic: Send + Sync + std::fmt::Debug {
    /// A node by UUID or name (`GET /v1/nodes/{ident}`).
    async fn get_node(&self, ident: &str) -> Result<Node>;

    /// Every node, following pagination (`GET /v1/nodes?fields=...`); only the
    /// requested fields are filled in when `query.fields` is set.
    async fn list_nodes(&self, query: &NodeQuery) -> Result<Vec<Node>>;

    /// Creates a node (`POST /v1/nodes`); it lands in `enroll`.
    async fn create_node(&self, node: &NewNode) -> Result<Node>;

    /// Applies an RFC 6902 JSON patch (`PATCH /v1/nodes/{uuid}`); with
    /// `reset_interfaces`, hardware interfaces are reset when the driver changes.
    async fn patch_node(
        &self,
        uuid: NodeUuid,
        patch: &Patch,
        reset_interfaces: bool,
    ) -> Result<Node>;

    /// Validates the node's interfaces (`GET /v1/nodes/{uuid}/validate`).
    async fn validate_node(
        &self,
        uuid: NodeUuid,
    ) -> Result<std::collections::BTreeMap<String, InterfaceValidation>>;

    /// Changes the power state (`PUT /v1/nodes/{uuid}/states/power`).
    async fn set_power_state(&self, uuid: NodeUuid, target: PowerTarget) -> Result<()>;

    /// Sets the boot device (`PUT /v1/nodes/{uuid}/management/boot_device`).
    async fn set_boot_device(&self, uuid: NodeUuid, device: &str, persistent: bool) -> Result<()>;

    /// Moves the node through its provisioning state machine (`PUT /v1/nodes/{uuid}/states/provision`).
    async fn set_provision_state(&self, uuid: NodeUuid, action: ProvisionAction) -> Result<()>;

    /// Adds a trait (`PUT /v1/nodes/{uuid}/traits/{trait}`).
    async fn add_trait(&self, uuid: NodeUuid, name: &str) -> Result<()>;

    /// Removes a trait (`DELETE /v1/nodes/{uuid}/traits/{trait}`); a missing
    /// trait is an [`ErrorKind::NotFound`] the caller may ignore.
    async fn remove_trait(&self, uuid: NodeUuid, name: &str) -> Result<()>;

    /// Ports, following pagination (`GET /v1/ports[/detail]?...`).
    async fn list_ports(&self, query: &PortQuery) -> Result<Vec<Port>>;

    /// The port with this MAC address, if any (`GET /v1/ports?address=...`).
    async fn find_port(&self, address: &str) -> Result<Option<Port>>;

    /// Creates a port (`POST /v1/ports`); an existing MAC is an
    /// [`ErrorKind::Conflict`] that is not retried.
    async fn create_port(&self, port: &NewPort) -> Result<Port>;

    /// Applies an RFC 6902 JSON patch to a port (`PATCH /v1/ports/{uuid}`).
    async fn patch_port(&self, uuid: uuid::Uuid, patch: &Patch) -> Result<Port>;

    /// Deletes a port (`DELETE /v1/ports/{uuid}`).
    async fn delete_port(&self, uuid: uuid::Uuid) -> Result<()>;
}

static_assertions::assert_obj_safe!(Ironic);
