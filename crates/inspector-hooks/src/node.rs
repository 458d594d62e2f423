//! What phase-2 hooks see of the node and how they ask for changes: a view of
//! the node's properties and ports that follows the changes recorded so far.

use inspector_types::NodeUuid;
use serde_json::{Map, Value, json};

use crate::error::HookError;
use inspector_types::python_str;

/// One port of the node as hooks see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortView {
    /// The port's UUID; `None` for a port a hook asked to create.
    pub uuid: Option<uuid::Uuid>,
    /// The MAC address.
    pub address: String,
    /// Whether PXE is enabled on it.
    pub pxe_enabled: bool,
    /// Its `local_link_connection` (switch id, port id, switch info).
    pub local_link_connection: Map<String, Value>,
    /// Its `physical_network`.
    pub physical_network: Option<String>,
}

/// A port to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePort {
    /// The MAC address.
    pub address: String,
    /// `extra.client-id`, when the interface has an InfiniBand client id.
    pub client_id: Option<String>,
    /// `pxe_enabled`.
    pub pxe_enabled: bool,
}

/// Everything hooks asked to change, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeChanges {
    /// JSON-patch operations for `PATCH /v1/nodes/{uuid}`.
    pub node_patch: Vec<Value>,
    /// Ports to create.
    pub create_ports: Vec<CreatePort>,
    /// MACs that were skipped because a port already had them.
    pub existing_ports: Vec<String>,
    /// Ports to delete (UUID, MAC).
    pub delete_ports: Vec<(uuid::Uuid, String)>,
    /// JSON patches for existing ports (UUID, MAC, operations).
    pub patch_ports: Vec<(uuid::Uuid, String, Vec<Value>)>,
    /// Port patches whose refusal by Ironic (400) is only logged (UUID, MAC,
    /// operations). No UUID: a port of `create_ports`, patched once created.
    pub optional_port_patches: Vec<(Option<uuid::Uuid>, String, Vec<Value>)>,
}

/// The node under introspection as phase-2 hooks see it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeView {
    /// The node's UUID.
    pub uuid: NodeUuid,
    /// Its provision state.
    pub provision_state: Option<String>,
    /// Its properties, including the changes hooks asked for.
    pub properties: Map<String, Value>,
    /// Its `extra`, including the changes hooks asked for.
    pub extra: Map<String, Value>,
    /// Its ports, including the ones hooks asked to create.
    pub ports: Vec<PortView>,
    changes: NodeChanges,
}

impl NodeView {
    /// A view of a node with its current properties and ports.
    pub fn new(
        uuid: NodeUuid,
        provision_state: Option<String>,
        properties: Map<String, Value>,
        ports: Vec<PortView>,
    ) -> Self {
        Self {
            uuid,
            provision_state,
            properties,
            extra: Map::new(),
            ports,
            changes: NodeChanges::default(),
        }
    }

    /// With the node's `extra`.
    pub fn with_extra(mut self, extra: Map<String, Value>) -> Self {
        self.extra = extra;
        self
    }

    /// Records node patch operations on `/extra/<key>` or `/properties/<key>`
    /// (`add` or `remove`), reflected in the view.
    pub fn patch_node(&mut self, operations: Vec<Value>) {
        for operation in &operations {
            let path = operation["path"].as_str().unwrap_or_default();
            let target = match path.split('/').nth(1) {
                Some("extra") => &mut self.extra,
                Some("properties") => &mut self.properties,
                _ => continue,
            };
            let Some(key) = path.splitn(3, '/').nth(2) else {
                continue;
            };
            match operation["op"].as_str() {
                Some("remove") => {
                    target.remove(key);
                }
                _ => {
                    target.insert(key.to_owned(), operation["value"].clone());
                }
            }
        }
        self.changes.node_patch.extend(operations);
    }

    /// The changes recorded so far.
    pub fn changes(&self) -> &NodeChanges {
        &self.changes
    }

    /// Takes the recorded changes, leaving none.
    pub fn take_changes(&mut self) -> NodeChanges {
        std::mem::take(&mut self.changes)
    }

    /// The port with this MAC.
    pub fn port(&self, address: &str) -> Option<&PortView> {
        self.ports.iter().find(|p| p.address == address)
    }

    /// `update_properties`: one `add` operation per key, in order.
    pub fn update_properties(&mut self, properties: Vec<(&str, Value)>) {
        for (key, value) in properties {
            self.changes
                .node_patch
                .push(json!({"op": "add", "path": format!("/properties/{key}"), "value": value}));
            self.properties.insert(key.to_owned(), value);
        }
    }

    /// `update_capabilities`: merges into `properties.capabilities` (a null value removes a key).
    pub fn update_capabilities(
        &mut self,
        capabilities: Vec<(String, Value)>,
    ) -> Result<(), HookError> {
        let current = self
            .properties
            .get("capabilities")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut merged = parse_capabilities(current)?;
        for (key, value) in capabilities {
            match merged.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => merged.push((key, value)),
            }
        }
        self.update_properties(vec![(
            "capabilities",
            Value::String(capabilities_to_string(&merged)),
        )]);
        Ok(())
    }

    /// `create_ports`: a port per record whose MAC has none yet.
    pub fn create_ports(&mut self, ports: Vec<CreatePort>) {
        for port in ports {
            if self.port(&port.address).is_some() {
                self.changes.existing_ports.push(port.address);
                continue;
            }
            self.ports.push(PortView {
                uuid: None,
                address: port.address.clone(),
                pxe_enabled: port.pxe_enabled,
                ..PortView::default()
            });
            self.changes.create_ports.push(port);
        }
    }

    /// `delete_port` of an existing port.
    pub fn delete_port(&mut self, address: &str) {
        if let Some(index) = self.ports.iter().position(|p| p.address == address) {
            let port = self.ports.remove(index);
            match port.uuid {
                Some(uuid) => self.changes.delete_ports.push((uuid, port.address)),
                None => {
                    self.changes
                        .create_ports
                        .retain(|p| p.address != port.address);
                    self.changes
                        .optional_port_patches
                        .retain(|(uuid, mac, _)| uuid.is_some() || *mac != port.address);
                }
            }
        }
    }

    /// A patch that Ironic may refuse (400 is logged and ignored):
    /// `local_link_connection` and `physical_network` changes, which are
    /// reflected in the view. A port created in this run is patched right
    /// after its creation, as upstream creates ports before later hooks run.
    pub fn patch_port_optional(&mut self, address: &str, patch: Vec<Value>) {
        let Some(port) = self.ports.iter_mut().find(|p| p.address == address) else {
            return;
        };
        for operation in &patch {
            let path = operation["path"].as_str().unwrap_or_default();
            if let Some(key) = path.strip_prefix("/local_link_connection/") {
                port.local_link_connection
                    .insert(key.to_owned(), operation["value"].clone());
            } else if path == "/physical_network" {
                port.physical_network = operation["value"].as_str().map(str::to_owned);
            }
        }
        self.changes
            .optional_port_patches
            .push((port.uuid, port.address.clone(), patch));
    }

    /// `patch_port` of an existing port; `pxe_enabled` changes are reflected in the view.
    pub fn patch_port(&mut self, address: &str, patch: Vec<Value>) {
        let Some(port) = self.ports.iter_mut().find(|p| p.address == address) else {
            return;
        };
        for operation in &patch {
            if operation["path"] == "/pxe_enabled"
                && let Some(value) = operation["value"].as_bool()
            {
                port.pxe_enabled = value;
            }
        }
        match port.uuid {
            Some(uuid) => self
                .changes
                .patch_ports
                .push((uuid, port.address.clone(), patch)),
            None => {
                if let Some(created) = self
                    .changes
                    .create_ports
                    .iter_mut()
                    .find(|p| p.address == address)
                {
                    created.pxe_enabled = port.pxe_enabled;
                }
            }
        }
    }
}

/// Parses `key:value,key2:value2` (split at the first `:`) into a list with
/// Python dict semantics: a repeated key keeps its first place and its last
/// value. An item without `:` is an unexpected failure, as upstream.
pub fn parse_capabilities(text: &str) -> Result<Vec<(String, Value)>, HookError> {
    let mut capabilities: Vec<(String, Value)> = Vec::new();
    if text.is_empty() {
        return Ok(capabilities);
    }
    for item in text.split(',') {
        let (key, value) = item.split_once(':').ok_or_else(|| {
            HookError::unexpected(
                "ValueError",
                format!("Malformed capabilities value: {text}"),
            )
        })?;
        let value = Value::String(value.to_owned());
        match capabilities
            .iter_mut()
            .find(|(existing, _)| existing == key)
        {
            Some((_, existing)) => *existing = value,
            None => capabilities.push((key.to_owned(), value)),
        }
    }
    Ok(capabilities)
}

/// Serialises capabilities in order, values as Python text, null values omitted.
pub fn capabilities_to_string(capabilities: &[(String, Value)]) -> String {
    capabilities
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| format!("{key}:{}", python_str(value)))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(capabilities: &str) -> NodeView {
        let mut properties = Map::new();
        properties.insert("capabilities".into(), json!(capabilities));
        NodeView::new(NodeUuid::new_random(), None, properties, vec![])
    }

    #[test]
    fn repeated_capabilities_keep_the_first_place_and_the_last_value() {
        assert_eq!(
            parse_capabilities("a:1,b:2,a:3").expect("parses"),
            vec![("a".to_owned(), json!("3")), ("b".to_owned(), json!("2"))]
        );
    }

    #[test]
    fn capabilities_merge_like_upstream() {
        let mut node = view("boot_mode:bios,foo:bar");
        node.update_capabilities(vec![
            ("boot_mode".into(), json!("uefi")),
            ("cpu_vt".into(), json!("true")),
        ])
        .unwrap();
        assert_eq!(
            node.properties["capabilities"],
            "boot_mode:uefi,foo:bar,cpu_vt:true"
        );
        let mut node = view("boot_mode:bios,foo:bar");
        node.update_capabilities(vec![("foo".into(), Value::Null)])
            .unwrap();
        assert_eq!(node.properties["capabilities"], "boot_mode:bios");
        let mut node = view("a:b:c");
        node.update_capabilities(vec![("n".into(), json!(2)), ("t".into(), json!(true))])
            .unwrap();
        assert_eq!(node.properties["capabilities"], "a:b:c,n:2,t:True");
        assert_eq!(
            node.changes().node_patch,
            [json!({"op": "add", "path": "/properties/capabilities", "value": "a:b:c,n:2,t:True"})]
        );
        let mut broken = view("novalue");
        assert!(matches!(
            broken.update_capabilities(vec![]).unwrap_err(),
            HookError::Unexpected { .. }
        ));
    }
}
