//! An in-memory [`Ironic`] for fast unit tests of other crates (no HTTP).
//!
//! It keeps the same state and rules as the fake Ironic server (JSON patch
//! errors, MAC uniqueness, provision transitions), records every call, and
//! can fail chosen calls.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use inspector_fake_ironic::{FakeError, IronicState};
use inspector_types::NodeUuid;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::{IronicError, Result};
use crate::model::{
    InterfaceValidation, NewNode, NewPort, Node, NodeQuery, Port, PortQuery, PowerTarget,
    ProvisionAction,
};
use crate::{Ironic, Patch};

/// An Ironic in memory.
#[derive(Debug, Default)]
pub struct InMemoryIronic {
    state: Mutex<IronicState>,
    calls: Mutex<Vec<String>>,
    failures: Mutex<BTreeMap<&'static str, Vec<IronicError>>>,
}

fn convert(error: FakeError) -> IronicError {
    IronicError::from_status(error.status, error.message)
}

fn decode<T: DeserializeOwned>(value: Value) -> Result<T> {
    Ok(serde_json::from_value(value).expect("the fake's documents match the wire types"))
}

impl InMemoryIronic {
    /// An empty Ironic.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state, to arrange and inspect nodes and ports directly.
    pub fn state(&self) -> MutexGuard<'_, IronicState> {
        self.state.lock().expect("state lock is never poisoned")
    }

    /// Creates a node from a `POST /v1/nodes`-style body; returns its UUID.
    pub fn add_node(&self, body: Value) -> NodeUuid {
        let node = self.state().create_node(&body).expect("a valid node body");
        NodeUuid::parse(node["uuid"].as_str().unwrap_or_default())
            .expect("created nodes have a UUID")
    }

    /// Creates a port of `node` with `address`; returns its UUID.
    pub fn add_port(&self, node: NodeUuid, address: &str) -> uuid::Uuid {
        let port = self
            .state()
            .create_port(&json!({"node_uuid": node.to_string(), "address": address}))
            .expect("a valid port");
        uuid::Uuid::parse_str(port["uuid"].as_str().unwrap_or_default())
            .expect("created ports have a UUID")
    }

    /// The calls made so far, e.g. `set_power_state <uuid> power off`.
    pub fn calls(&self) -> Vec<String> {
        self.calls
            .lock()
            .expect("calls lock is never poisoned")
            .clone()
    }

    /// Makes the next call of `operation` (a method name of [`Ironic`]) fail with `error`.
    pub fn fail_next(&self, operation: &'static str, error: IronicError) {
        self.failures
            .lock()
            .expect("failures lock is never poisoned")
            .entry(operation)
            .or_default()
            .push(error);
    }

    fn enter(
        &self,
        operation: &'static str,
        detail: String,
    ) -> Result<MutexGuard<'_, IronicState>> {
        let entry = if detail.is_empty() {
            operation.to_owned()
        } else {
            format!("{operation} {detail}")
        };
        self.calls
            .lock()
            .expect("calls lock is never poisoned")
            .push(entry);
        let mut failures = self
            .failures
            .lock()
            .expect("failures lock is never poisoned");
        if let Some(queue) = failures.get_mut(operation)
            && !queue.is_empty()
        {
            return Err(queue.remove(0));
        }
        Ok(self.state())
    }
}

fn keep_fields(document: Value, fields: &[String]) -> Value {
    if fields.is_empty() {
        return document;
    }
    let mut kept = serde_json::Map::new();
    for field in std::iter::once("uuid").chain(fields.iter().map(String::as_str)) {
        if let Some(value) = document.get(field) {
            kept.insert(field.to_owned(), value.clone());
        }
    }
    Value::Object(kept)
}

#[async_trait]
impl Ironic for InMemoryIronic {
    async fn get_node(&self, ident: &str) -> Result<Node> {
        let state = self.enter("get_node", ident.to_owned())?;
        decode(state.node(ident).map_err(convert)?.clone())
    }

    async fn list_nodes(&self, query: &NodeQuery) -> Result<Vec<Node>> {
        let state = self.enter("list_nodes", query.fields.join(","))?;
        let nodes: Vec<Value> = state
            .nodes()
            .map(|n| keep_fields(n.clone(), &query.fields))
            .collect();
        nodes.into_iter().map(decode).collect()
    }

    async fn create_node(&self, node: &NewNode) -> Result<Node> {
        let mut state = self.enter("create_node", node.driver.clone())?;
        let body = serde_json::to_value(node).expect("a node serialises");
        decode(state.create_node(&body).map_err(convert)?)
    }

    async fn patch_node(
        &self,
        uuid: NodeUuid,
        patch: &Patch,
        reset_interfaces: bool,
    ) -> Result<Node> {
        let body = serde_json::to_value(patch).expect("a patch serialises");
        let mut state = self.enter(
            "patch_node",
            format!("{uuid} {body} reset_interfaces={reset_interfaces}"),
        )?;
        decode(
            state
                .patch_node(&uuid.to_string(), &body)
                .map_err(convert)?,
        )
    }

    async fn validate_node(&self, uuid: NodeUuid) -> Result<BTreeMap<String, InterfaceValidation>> {
        let state = self.enter("validate_node", uuid.to_string())?;
        decode(state.validation(&uuid.to_string()).map_err(convert)?)
    }

    async fn set_power_state(&self, uuid: NodeUuid, target: PowerTarget) -> Result<()> {
        let mut state = self.enter("set_power_state", format!("{uuid} {}", target.as_str()))?;
        state
            .set_power_state(&uuid.to_string(), &json!({"target": target.as_str()}))
            .map_err(convert)
    }

    async fn set_boot_device(&self, uuid: NodeUuid, device: &str, persistent: bool) -> Result<()> {
        let mut state = self.enter(
            "set_boot_device",
            format!("{uuid} {device} persistent={persistent}"),
        )?;
        state
            .set_boot_device(
                &uuid.to_string(),
                &json!({"boot_device": device, "persistent": persistent}),
            )
            .map_err(convert)
    }

    async fn set_provision_state(&self, uuid: NodeUuid, action: ProvisionAction) -> Result<()> {
        let mut state = self.enter("set_provision_state", format!("{uuid} {}", action.as_str()))?;
        state
            .set_provision_state(&uuid.to_string(), &json!({"target": action.as_str()}))
            .map_err(convert)
    }

    async fn add_trait(&self, uuid: NodeUuid, name: &str) -> Result<()> {
        let mut state = self.enter("add_trait", format!("{uuid} {name}"))?;
        state.add_trait(&uuid.to_string(), name).map_err(convert)
    }

    async fn remove_trait(&self, uuid: NodeUuid, name: &str) -> Result<()> {
        let mut state = self.enter("remove_trait", format!("{uuid} {name}"))?;
        state.remove_trait(&uuid.to_string(), name).map_err(convert)
    }

    async fn list_ports(&self, query: &PortQuery) -> Result<Vec<Port>> {
        let detail = query.node.map(|n| n.to_string()).unwrap_or_default();
        let state = self.enter("list_ports", detail)?;
        let node = query.node.map(|n| n.to_string());
        let ports: Vec<Value> = state
            .ports()
            .filter(|p| node.is_none() || p["node_uuid"].as_str() == node.as_deref())
            .map(|p| keep_fields(p.clone(), &query.fields))
            .collect();
        ports.into_iter().map(decode).collect()
    }

    async fn find_port(&self, address: &str) -> Result<Option<Port>> {
        let state = self.enter("find_port", address.to_owned())?;
        let address = address.to_ascii_lowercase();
        state
            .ports()
            .find(|p| p["address"].as_str() == Some(&address))
            .cloned()
            .map(decode)
            .transpose()
    }

    async fn create_port(&self, port: &NewPort) -> Result<Port> {
        let mut state = self.enter(
            "create_port",
            format!("{} {}", port.node_uuid, port.address),
        )?;
        let body = serde_json::to_value(port).expect("a port serialises");
        decode(state.create_port(&body).map_err(convert)?)
    }

    async fn patch_port(&self, uuid: uuid::Uuid, patch: &Patch) -> Result<Port> {
        let body = serde_json::to_value(patch).expect("a patch serialises");
        let mut state = self.enter("patch_port", format!("{uuid} {body}"))?;
        decode(state.patch_port(uuid, &body).map_err(convert)?)
    }

    async fn delete_port(&self, uuid: uuid::Uuid) -> Result<()> {
        let mut state = self.enter("delete_port", uuid.to_string())?;
        state.delete_port(uuid).map_err(convert)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[tokio::test]
    async fn records_calls_applies_rules_and_injects_failures() {
        let ironic = InMemoryIronic::new();
        let uuid = ironic.add_node(json!({"driver": "fake-hardware", "name": "n1"}));
        ironic.add_port(uuid, "11:22:33:44:55:66");
        assert_eq!(ironic.get_node("n1").await.unwrap().uuid, uuid);
        ironic
            .set_power_state(uuid, PowerTarget::PowerOff)
            .await
            .unwrap();
        assert_eq!(
            ironic
                .get_node(&uuid.to_string())
                .await
                .unwrap()
                .power_state
                .as_deref(),
            Some("power off")
        );
        let duplicate = NewPort {
            node_uuid: uuid,
            address: "11:22:33:44:55:66".into(),
            extra: Default::default(),
            pxe_enabled: None,
        };
        assert_eq!(
            ironic.create_port(&duplicate).await.unwrap_err().kind(),
            ErrorKind::Conflict
        );
        ironic.fail_next(
            "set_boot_device",
            IronicError::new(ErrorKind::Unavailable, "down"),
        );
        assert_eq!(
            ironic
                .set_boot_device(uuid, "pxe", false)
                .await
                .unwrap_err()
                .message(),
            "down"
        );
        ironic.set_boot_device(uuid, "pxe", false).await.unwrap();
        assert_eq!(
            ironic.calls(),
            [
                "get_node n1".to_owned(),
                format!("set_power_state {uuid} power off"),
                format!("get_node {uuid}"),
                format!("create_port {uuid} 11:22:33:44:55:66"),
                format!("set_boot_device {uuid} pxe persistent=false"),
                format!("set_boot_device {uuid} pxe persistent=false"),
            ]
        );
    }
}
