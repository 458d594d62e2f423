//! [`Ironic`] over HTTP: one method per Ironic call, with the API version it needs.

use std::collections::BTreeMap;

use async_trait::async_trait;
use inspector_types::NodeUuid;
use osauth::ApiVersion;
use reqwest::Method;
use serde_json::{Value, json};

use super::{HttpIronic, Request};
use crate::error::{IronicError, Result};
use crate::model::{
    InterfaceValidation, NewNode, NewPort, Node, NodeQuery, Port, PortQuery, PowerTarget,
    ProvisionAction,
};
use crate::{Ironic, Patch};

/// Minimum API versions of the features used (spec §9.4).
const BASE: ApiVersion = ApiVersion(1, 1);
const NODE_NAMES: ApiVersion = ApiVersion(1, 5);
const INSPECT: ApiVersion = ApiVersion(1, 6);
const FIELDS: ApiVersion = ApiVersion(1, 8);
const CREATE_IN_ENROLL: ApiVersion = ApiVersion(1, 11);
const ABORT_INSPECTION: ApiVersion = ApiVersion(1, 41);
const PXE_ENABLED: ApiVersion = ApiVersion(1, 19);
const PHYSICAL_NETWORK: ApiVersion = ApiVersion(1, 34);
const TRAITS: ApiVersion = ApiVersion(1, 37);
const RESET_INTERFACES: ApiVersion = ApiVersion(1, 45);

/// `fields=` with `uuid` always included.
fn fields_with_uuid(fields: &[String]) -> String {
    let mut all = vec!["uuid".to_owned()];
    all.extend(fields.iter().filter(|f| *f != "uuid").cloned());
    all.join(",")
}

fn patch_body(patch: &Patch) -> Value {
    serde_json::to_value(patch).expect("a JSON patch serialises")
}

#[async_trait]
impl Ironic for HttpIronic {
    async fn get_node(&self, ident: &str) -> Result<Node> {
        if super::is_node_collection(ident) {
            // `/v1/nodes/detail` is Ironic's node list, not a node.
            return Err(IronicError::from_status(
                404,
                format!("Node {ident} could not be found."),
            ));
        }
        let min = if NodeUuid::is_uuid_like(ident) {
            BASE
        } else {
            NODE_NAMES
        };
        self.json(Request::new(
            Method::GET,
            &["nodes", ident],
            min,
            "get a node",
        ))
        .await
    }

    async fn list_nodes(&self, query: &NodeQuery) -> Result<Vec<Node>> {
        let mut request = Request::new(Method::GET, &["nodes"], BASE, "list nodes");
        if !query.fields.is_empty() {
            request = request.query("fields", fields_with_uuid(&query.fields));
            request.min_version = FIELDS;
        } else {
            request.path = vec!["nodes".into(), "detail".into()];
        }
        self.list(request, "nodes").await
    }

    async fn create_node(&self, node: &NewNode) -> Result<Node> {
        let body = serde_json::to_value(node).expect("a node serialises");
        self.json(
            Request::new(Method::POST, &["nodes"], CREATE_IN_ENROLL, "create a node").body(body),
        )
        .await
    }

    async fn patch_node(
        &self,
        uuid: NodeUuid,
        patch: &Patch,
        reset_interfaces: bool,
    ) -> Result<Node> {
        let id = uuid.to_string();
        let mut request = Request::new(Method::PATCH, &["nodes", &id], BASE, "patch a node")
            .body(patch_body(patch))
            .node(uuid);
        if reset_interfaces {
            request = request.query("reset_interfaces", "true");
            request.min_version = RESET_INTERFACES;
        }
        self.json(request).await
    }

    async fn validate_node(&self, uuid: NodeUuid) -> Result<BTreeMap<String, InterfaceValidation>> {
        let id = uuid.to_string();
        self.json(
            Request::new(
                Method::GET,
                &["nodes", &id, "validate"],
                BASE,
                "validate a node",
            )
            .node(uuid),
        )
        .await
    }

    async fn set_power_state(&self, uuid: NodeUuid, target: PowerTarget) -> Result<()> {
        let id = uuid.to_string();
        let request = Request::new(
            Method::PUT,
            &["nodes", &id, "states", "power"],
            BASE,
            "change the power state",
        )
        .body(json!({"target": target.as_str()}))
        .node(uuid);
        self.send(request).await.map(drop)
    }

    async fn set_boot_device(&self, uuid: NodeUuid, device: &str, persistent: bool) -> Result<()> {
        let id = uuid.to_string();
        let request = Request::new(
            Method::PUT,
            &["nodes", &id, "management", "boot_device"],
            BASE,
            "set the boot device",
        )
        .body(json!({"boot_device": device, "persistent": persistent}))
        .node(uuid);
        self.send(request).await.map(drop)
    }

    async fn set_provision_state(&self, uuid: NodeUuid, action: ProvisionAction) -> Result<()> {
        let id = uuid.to_string();
        let min = match action {
            ProvisionAction::Abort => ABORT_INSPECTION,
            ProvisionAction::Manage | ProvisionAction::Provide | ProvisionAction::Inspect => {
                INSPECT
            }
        };
        let request = Request::new(
            Method::PUT,
            &["nodes", &id, "states", "provision"],
            min,
            "change the provision state",
        )
        .body(json!({"target": action.as_str()}))
        .node(uuid);
        self.send(request).await.map(drop)
    }

    async fn add_trait(&self, uuid: NodeUuid, name: &str) -> Result<()> {
        let id = uuid.to_string();
        let request = Request::new(
            Method::PUT,
            &["nodes", &id, "traits", name],
            TRAITS,
            "add a trait",
        )
        .node(uuid);
        self.send(request).await.map(drop)
    }

    async fn remove_trait(&self, uuid: NodeUuid, name: &str) -> Result<()> {
        let id = uuid.to_string();
        let request = Request::new(
            Method::DELETE,
            &["nodes", &id, "traits", name],
            TRAITS,
            "remove a trait",
        )
        .node(uuid);
        self.send(request).await.map(drop)
    }

    async fn list_ports(&self, query: &PortQuery) -> Result<Vec<Port>> {
        let mut request = if query.fields.is_empty() {
            Request::new(Method::GET, &["ports", "detail"], BASE, "list ports")
        } else {
            Request::new(Method::GET, &["ports"], FIELDS, "list ports")
                .query("fields", fields_with_uuid(&query.fields))
        };
        if let Some(node) = query.node {
            request = request.query("node", node.to_string()).node(node);
            request.min_version = request.min_version.max(NODE_NAMES);
        }
        self.list(request, "ports").await
    }

    async fn find_port(&self, address: &str) -> Result<Option<Port>> {
        let request = Request::new(Method::GET, &["ports", "detail"], BASE, "look a port up")
            .query("address", address);
        let ports: Vec<Port> = self.list(request, "ports").await?;
        Ok(ports.into_iter().next())
    }

    async fn create_port(&self, port: &NewPort) -> Result<Port> {
        let min = if port.pxe_enabled.is_some() {
            PXE_ENABLED
        } else {
            BASE
        };
        let body = serde_json::to_value(port).expect("a port serialises");
        self.json(
            Request::new(Method::POST, &["ports"], min, "create a port")
                .body(body)
                .node(port.node_uuid),
        )
        .await
    }

    async fn patch_port(&self, uuid: uuid::Uuid, patch: &Patch) -> Result<Port> {
        let touches = |field: &str| {
            patch
                .0
                .iter()
                .any(|op| op.path().as_str().starts_with(field))
        };
        let min = if touches("/physical_network") {
            PHYSICAL_NETWORK
        } else if touches("/pxe_enabled") || touches("/local_link_connection") {
            PXE_ENABLED
        } else {
            BASE
        };
        let id = uuid.to_string();
        self.json(
            Request::new(Method::PATCH, &["ports", &id], min, "patch a port")
                .body(patch_body(patch)),
        )
        .await
    }

    async fn delete_port(&self, uuid: uuid::Uuid) -> Result<()> {
        let id = uuid.to_string();
        self.send(Request::new(
            Method::DELETE,
            &["ports", &id],
            BASE,
            "delete a port",
        ))
        .await
        .map(drop)
    }
}
