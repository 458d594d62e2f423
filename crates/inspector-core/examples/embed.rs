//! Embedding the introspection engine in another Rust service, without forking.
//!
//! The service brings its own [`Ironic`] (here: nodes kept in memory, as a
//! service that already owns its inventory would) and its own processing hook
//! (`asset_tag`, which copies the chassis serial number into the node's
//! `extra`), registered beside the built-in hooks and enabled by name in
//! `[processing] processing_hooks` like any other.
//!
//! Run it with `cargo run -p inspector-core --example embed`; `cargo test`
//! runs it too (the test at the end).

#![allow(clippy::print_stdout)] // An example: what it prints is its point.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use inspector_config::{ConductorOptions, HookOptions};
use inspector_core::{Conductor, ConductorParts};
use inspector_hooks::{HookError, HookRegistry, IntrospectionData, NodeView, ProcessingHook};
use inspector_ironic::{
    ErrorKind, InterfaceValidation, Ironic, IronicError, NewNode, NewPort, Node, NodeQuery, Patch,
    Port, PortQuery, PowerTarget, ProvisionAction, Result,
};
use inspector_node_cache::{DatabaseUrl, Db, InProcessLocks, NodeCache, NodeUuid, PoolOptions};
use serde_json::{Value, json};

/// The service's own hook: the serial number becomes `extra.asset_tag`.
#[derive(Debug)]
struct AssetTag;

impl ProcessingHook for AssetTag {
    fn name(&self) -> &'static str {
        "asset_tag"
    }

    fn before_update(
        &self,
        data: &mut IntrospectionData,
        node: &mut NodeView,
    ) -> std::result::Result<(), HookError> {
        let serial = data
            .get("inventory")
            .and_then(|inventory| inventory.pointer("/system_vendor/serial_number"))
            .and_then(Value::as_str)
            .ok_or_else(|| HookError::error("the ramdisk sent no serial number"))?;
        node.patch_node(vec![
            json!({"op": "add", "path": "/extra/asset_tag", "value": serial}),
        ]);
        Ok(())
    }
}

/// The service's own Ironic: nodes and ports in memory.
#[derive(Debug, Default)]
struct InventoryIronic {
    nodes: Mutex<BTreeMap<NodeUuid, Node>>,
    ports: Mutex<Vec<Port>>,
    power_changes: Mutex<Vec<(NodeUuid, PowerTarget)>>,
}

impl InventoryIronic {
    fn add_node(&self, node: Node, mac: &str) {
        let port: Port = serde_json::from_value(json!({
            "uuid": uuid::Uuid::new_v4(),
            "address": mac,
            "node_uuid": node.uuid,
            "pxe_enabled": true,
        }))
        .expect("a valid port");
        self.ports.lock().expect("ports").push(port);
        self.nodes.lock().expect("nodes").insert(node.uuid, node);
    }

    fn node(&self, uuid: NodeUuid) -> Result<Node> {
        self.nodes
            .lock()
            .expect("nodes")
            .get(&uuid)
            .cloned()
            .ok_or_else(|| not_found(&uuid.to_string()))
    }
}

fn not_found(what: &str) -> IronicError {
    IronicError::new(ErrorKind::NotFound, format!("{what} could not be found"))
}

fn refused(what: &str) -> IronicError {
    IronicError::new(
        ErrorKind::BadRequest,
        format!("{what} is not supported here"),
    )
}

#[async_trait]
impl Ironic for InventoryIronic {
    async fn get_node(&self, ident: &str) -> Result<Node> {
        let nodes = self.nodes.lock().expect("nodes");
        nodes
            .values()
            .find(|node| node.uuid.to_string() == ident || node.name.as_deref() == Some(ident))
            .cloned()
            .ok_or_else(|| not_found(ident))
    }

    async fn list_nodes(&self, _query: &NodeQuery) -> Result<Vec<Node>> {
        Ok(self
            .nodes
            .lock()
            .expect("nodes")
            .values()
            .cloned()
            .collect())
    }

    async fn create_node(&self, _node: &NewNode) -> Result<Node> {
        Err(refused("enrolling nodes"))
    }

    async fn patch_node(&self, uuid: NodeUuid, patch: &Patch, _reset: bool) -> Result<Node> {
        let mut document = serde_json::to_value(self.node(uuid)?).expect("a node serialises");
        json_patch::patch(&mut document, patch)
            .map_err(|e| IronicError::new(ErrorKind::BadRequest, e.to_string()))?;
        let node: Node = serde_json::from_value(document)
            .map_err(|e| IronicError::new(ErrorKind::BadRequest, e.to_string()))?;
        self.nodes.lock().expect("nodes").insert(uuid, node.clone());
        Ok(node)
    }

    async fn validate_node(&self, uuid: NodeUuid) -> Result<BTreeMap<String, InterfaceValidation>> {
        self.node(uuid)?;
        let valid = InterfaceValidation {
            result: Some(true),
            reason: None,
        };
        Ok(["boot", "deploy", "management", "power"]
            .into_iter()
            .map(|interface| (interface.to_owned(), valid.clone()))
            .collect())
    }

    async fn set_power_state(&self, uuid: NodeUuid, target: PowerTarget) -> Result<()> {
        self.node(uuid)?;
        self.power_changes
            .lock()
            .expect("power")
            .push((uuid, target));
        Ok(())
    }

    async fn set_boot_device(
        &self,
        uuid: NodeUuid,
        _device: &str,
        _persistent: bool,
    ) -> Result<()> {
        self.node(uuid).map(drop)
    }

    async fn set_provision_state(&self, _uuid: NodeUuid, _action: ProvisionAction) -> Result<()> {
        Err(refused("provision state changes"))
    }

    async fn add_trait(&self, uuid: NodeUuid, name: &str) -> Result<()> {
        let mut nodes = self.nodes.lock().expect("nodes");
        let node = nodes
            .get_mut(&uuid)
            .ok_or_else(|| not_found(&uuid.to_string()))?;
        if !node.traits.iter().any(|t| t == name) {
            node.traits.push(name.to_owned());
        }
        Ok(())
    }

    async fn remove_trait(&self, uuid: NodeUuid, name: &str) -> Result<()> {
        let mut nodes = self.nodes.lock().expect("nodes");
        let node = nodes
            .get_mut(&uuid)
            .ok_or_else(|| not_found(&uuid.to_string()))?;
        let before = node.traits.len();
        node.traits.retain(|t| t != name);
        if node.traits.len() == before {
            return Err(not_found(name));
        }
        Ok(())
    }

    async fn list_ports(&self, query: &PortQuery) -> Result<Vec<Port>> {
        let ports = self.ports.lock().expect("ports");
        Ok(ports
            .iter()
            .filter(|port| query.node.is_none() || port.node_uuid == query.node)
            .cloned()
            .collect())
    }

    async fn find_port(&self, address: &str) -> Result<Option<Port>> {
        let ports = self.ports.lock().expect("ports");
        Ok(ports.iter().find(|port| port.address == address).cloned())
    }

    async fn create_port(&self, port: &NewPort) -> Result<Port> {
        if self.find_port(&port.address).await?.is_some() {
            return Err(IronicError::new(
                ErrorKind::Conflict,
                format!("A port with MAC address {} already exists.", port.address),
            ));
        }
        let created: Port = serde_json::from_value(json!({
            "uuid": uuid::Uuid::new_v4(),
            "address": port.address,
            "node_uuid": port.node_uuid,
            "pxe_enabled": port.pxe_enabled.unwrap_or(true),
            "extra": port.extra,
        }))
        .expect("a valid port");
        self.ports.lock().expect("ports").push(created.clone());
        Ok(created)
    }

    async fn patch_port(&self, uuid: uuid::Uuid, patch: &Patch) -> Result<Port> {
        let mut ports = self.ports.lock().expect("ports");
        let port = ports
            .iter_mut()
            .find(|port| port.uuid == uuid)
            .ok_or_else(|| not_found(&uuid.to_string()))?;
        let mut document = serde_json::to_value(&*port).expect("a port serialises");
        json_patch::patch(&mut document, patch)
            .map_err(|e| IronicError::new(ErrorKind::BadRequest, e.to_string()))?;
        *port = serde_json::from_value(document)
            .map_err(|e| IronicError::new(ErrorKind::BadRequest, e.to_string()))?;
        Ok(port.clone())
    }

    async fn delete_port(&self, uuid: uuid::Uuid) -> Result<()> {
        let mut ports = self.ports.lock().expect("ports");
        let before = ports.len();
        ports.retain(|port| port.uuid != uuid);
        if ports.len() == before {
            return Err(not_found(&uuid.to_string()));
        }
        Ok(())
    }
}

/// Introspects one node end to end and returns what the service's Ironic holds afterwards.
async fn introspect_one(database: &std::path::Path) -> (Node, Vec<PowerTarget>) {
    // The node cache: the embedded SQLite default, migrated as `ironic-inspector-dbsync upgrade` does.
    let url = DatabaseUrl::parse(&format!("sqlite:///{}", database.display())).expect("a URL");
    let db = Db::open_blocking(&url, &PoolOptions::default()).expect("the database opens");
    db.upgrade_blocking(None).expect("the schema is created");
    let cache = NodeCache::new(db, Arc::new(InProcessLocks::new()));

    // The service's own hook, registered beside the built-in ones and enabled by name.
    let mut registry = HookRegistry::default();
    registry
        .register("asset_tag", |_options| Ok(Arc::new(AssetTag) as _))
        .expect("a new name");
    let options = HookOptions::with_processing_hooks(&[
        "ramdisk_error",
        "scheduler",
        "validate_interfaces",
        "asset_tag",
    ]);
    let hooks = registry.build(&options).expect("the hooks load");

    let data: IntrospectionData = serde_json::from_str(include_str!(
        "../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .expect("the fixture is a ramdisk report");
    let mac = "11:22:33:44:55:66"; // the fixture's PXE interface
    let mut node = Node::new(NodeUuid::from_uuid(uuid::Uuid::new_v4()));
    node.driver = Some("ipmi".to_owned());
    node.provision_state = Some("manageable".to_owned());
    let uuid = node.uuid;
    let ironic = Arc::new(InventoryIronic::default());
    ironic.add_node(node, mac);

    let options = ConductorOptions {
        introspection_delay: 0,
        ..ConductorOptions::default()
    };
    let conductor = Conductor::new(ConductorParts::new(cache, ironic.clone(), hooks, options));
    conductor
        .introspect(&uuid.to_string(), true)
        .await
        .expect("introspection starts");
    conductor.wait_idle().await;
    let found = conductor
        .process(data)
        .await
        .expect("the report is processed");
    assert_eq!(found, uuid, "the report was matched to the node by its MAC");
    conductor.wait_idle().await;

    let node = ironic.node(uuid).expect("the node is still there");
    let power = ironic
        .power_changes
        .lock()
        .expect("power")
        .iter()
        .map(|(_, target)| *target)
        .collect();
    (node, power)
}

fn run() -> (Node, Vec<PowerTarget>) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(introspect_one(&directory.path().join("inspector.sqlite")))
}

fn main() {
    let (node, power) = run();
    println!("node {} after introspection:", node.uuid);
    println!("  extra: {}", Value::Object(node.extra));
    println!("  properties: {}", Value::Object(node.properties));
    println!("  power changes: {power:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_engine_runs_the_service_hook_against_the_service_ironic() {
        let (node, power) = run();
        assert_eq!(node.extra.get("asset_tag"), Some(&json!("SN-1")));
        // The built-in scheduler hook ran beside it.
        assert_eq!(node.properties.get("cpu_arch"), Some(&json!("x86_64")));
        assert!(
            node.properties.contains_key("memory_mb"),
            "{:?}",
            node.properties
        );
        assert_eq!(power, [PowerTarget::Reboot, PowerTarget::PowerOff]);
    }
}
