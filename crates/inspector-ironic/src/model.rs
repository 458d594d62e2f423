//! Ironic's wire types, limited to the fields the service reads; every other
//! field is kept in `other` so that nothing Ironic sends is lost (rules can
//! read any node field).

use inspector_types::NodeUuid;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A node as Ironic returns it. With `fields=` only those fields are set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// The node's UUID.
    pub uuid: NodeUuid,
    /// Its unique name, if any.
    #[serde(default)]
    pub name: Option<String>,
    /// The hardware type.
    #[serde(default)]
    pub driver: Option<String>,
    /// BMC credentials and addresses (`ipmi_address`, `redfish_address`, ...).
    #[serde(default)]
    pub driver_info: Map<String, Value>,
    /// Hardware properties (`cpus`, `memory_mb`, `capabilities`, ...).
    #[serde(default)]
    pub properties: Map<String, Value>,
    /// Free-form operator data.
    #[serde(default)]
    pub extra: Map<String, Value>,
    /// The provision state (`enroll`, `manageable`, `inspect wait`, `active`, ...).
    #[serde(default)]
    pub provision_state: Option<String>,
    /// The power state (`power on`, `power off`, or none when unknown).
    #[serde(default)]
    pub power_state: Option<String>,
    /// Whether the node is in maintenance mode.
    #[serde(default)]
    pub maintenance: bool,
    /// Traits (API 1.37+).
    #[serde(default)]
    pub traits: Vec<String>,
    /// Every other field Ironic returned.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Node {
    /// A node with only its UUID set.
    pub fn new(uuid: NodeUuid) -> Self {
        Self {
            uuid,
            name: None,
            driver: None,
            driver_info: Map::new(),
            properties: Map::new(),
            extra: Map::new(),
            provision_state: None,
            power_state: None,
            maintenance: false,
            traits: Vec::new(),
            other: Map::new(),
        }
    }
}

/// A port as Ironic returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Port {
    /// The port's UUID.
    pub uuid: uuid::Uuid,
    /// The MAC address (lower case).
    #[serde(default)]
    pub address: String,
    /// The node the port belongs to.
    #[serde(default)]
    pub node_uuid: Option<NodeUuid>,
    /// Whether the node may PXE boot from this port.
    #[serde(default)]
    pub pxe_enabled: Option<bool>,
    /// Free-form data; `client-id` holds an InfiniBand client id.
    #[serde(default)]
    pub extra: Map<String, Value>,
    /// Switch information (`switch_id`, `port_id`, `switch_info`).
    #[serde(default)]
    pub local_link_connection: Map<String, Value>,
    /// The physical network the port is attached to.
    #[serde(default)]
    pub physical_network: Option<String>,
    /// Every other field Ironic returned.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A node to create (`POST /v1/nodes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewNode {
    /// The hardware type.
    pub driver: String,
    /// Other fields (`driver_info`, `name`, `resource_class`, ...).
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// A port to create (`POST /v1/ports`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewPort {
    /// The owning node.
    pub node_uuid: NodeUuid,
    /// The MAC address.
    pub address: String,
    /// Free-form data (`client-id`).
    #[serde(default)]
    pub extra: Map<String, Value>,
    /// Whether the node may PXE boot from this port (API 1.19+); Ironic's default is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pxe_enabled: Option<bool>,
}

/// Which nodes to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeQuery {
    /// Only these fields (`uuid` is always added); empty means all.
    pub fields: Vec<String>,
}

/// Which ports to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortQuery {
    /// Only the ports of this node (full details).
    pub node: Option<NodeUuid>,
    /// Only these fields (`uuid` is always added); empty means all.
    pub fields: Vec<String>,
}

/// A requested power state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerTarget {
    /// Power on.
    PowerOn,
    /// Power off.
    PowerOff,
    /// Reboot.
    Reboot,
}

impl PowerTarget {
    /// Ironic's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PowerTarget::PowerOn => "power on",
            PowerTarget::PowerOff => "power off",
            PowerTarget::Reboot => "rebooting",
        }
    }
}

/// A provision-state action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvisionAction {
    /// `enroll` → `manageable`.
    Manage,
    /// `manageable` → `inspecting` → `inspect wait`.
    Inspect,
    /// Abort inspection (`inspect wait` → `inspect failed`).
    Abort,
    /// `manageable` → `available`.
    Provide,
}

impl ProvisionAction {
    /// Ironic's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ProvisionAction::Manage => "manage",
            ProvisionAction::Inspect => "inspect",
            ProvisionAction::Abort => "abort",
            ProvisionAction::Provide => "provide",
        }
    }
}

/// The result of validating one interface of a node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceValidation {
    /// True when valid, false when not, none when not applicable.
    #[serde(default)]
    pub result: Option<bool>,
    /// Why it is not valid.
    #[serde(default)]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn unknown_node_fields_are_kept() {
        let node: Node = serde_json::from_value(json!({
            "uuid": "1be26c0b-03f2-4d2e-ae87-c02d7f33c123",
            "name": "node-1",
            "driver": "ipmi",
            "driver_info": {"ipmi_address": "10.0.0.5"},
            "properties": {"cpus": 4},
            "provision_state": "manageable",
            "power_state": "power off",
            "maintenance": false,
            "traits": ["CUSTOM_A"],
            "boot_interface": "ipxe",
            "links": []
        }))
        .unwrap();
        assert_eq!(node.name.as_deref(), Some("node-1"));
        assert_eq!(node.driver_info["ipmi_address"], "10.0.0.5");
        assert_eq!(node.other["boot_interface"], "ipxe");
        let back = serde_json::to_value(&node).unwrap();
        assert_eq!(back["boot_interface"], "ipxe");
        assert_eq!(back["traits"], json!(["CUSTOM_A"]));
    }

    #[test]
    fn a_node_with_only_some_fields_reads() {
        let node: Node =
            serde_json::from_value(json!({"uuid": "1be26c0b-03f2-4d2e-ae87-c02d7f33c123"}))
                .unwrap();
        assert_eq!(node, Node::new(node.uuid));
    }
}
