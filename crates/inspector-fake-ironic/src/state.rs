//! The fake's state: nodes and ports as Ironic's JSON documents, the rules
//! Ironic applies to them, the request log and the injected faults.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::patch;

/// An error answer: HTTP status and Ironic's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeError {
    /// The HTTP status.
    pub status: u16,
    /// The `faultstring`.
    pub message: String,
}

impl FakeError {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }
}

/// The result of a state operation.
pub type FakeResult<T> = Result<T, FakeError>;

/// One request as the fake received it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// `GET`, `PATCH`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The `X-OpenStack-Ironic-API-Version` header, if sent.
    pub api_version: Option<String>,
    /// The `X-OpenStack-Request-ID` header, if sent.
    pub request_id: Option<String>,
    /// The JSON body, if any.
    pub body: Option<Value>,
    /// The status the fake answered.
    pub status: u16,
}

/// Faults to inject.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Answer 409 "node locked" to this many more requests about each node.
    pub node_locked: HashMap<Uuid, u32>,
    /// Answer 503 to this many more requests (any path under `/v1`).
    pub unavailable: u32,
    /// Wait this long before answering every request.
    pub latency: Duration,
}

/// Nodes, ports and everything else the fake remembers.
#[derive(Debug, Default)]
pub struct IronicState {
    pub(crate) nodes: BTreeMap<Uuid, Value>,
    pub(crate) ports: BTreeMap<Uuid, Value>,
    /// The port of each MAC address.
    pub(crate) port_by_address: HashMap<String, Uuid>,
    /// The ports of each node.
    pub(crate) ports_by_node: HashMap<Uuid, BTreeSet<Uuid>>,
    /// `http://host:port` of the fake, for the documents' `links`.
    pub(crate) public_url: String,
    /// Boot device and persistence per node.
    pub(crate) boot_devices: HashMap<Uuid, (String, bool)>,
    /// Interfaces that fail validation, per node, with the reason.
    pub(crate) invalid_interfaces: HashMap<Uuid, BTreeMap<String, String>>,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) faults: Faults,
}

const INTERFACES: &[&str] = &[
    "boot",
    "console",
    "deploy",
    "inspect",
    "management",
    "network",
    "power",
    "raid",
    "storage",
];

fn not_found(ident: &str) -> FakeError {
    FakeError::new(404, format!("Node {ident} could not be found."))
}

fn is_valid_trait(name: &str) -> bool {
    let custom = name.strip_prefix("CUSTOM_").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    });
    let standard = !name.starts_with("CUSTOM_")
        && name.contains('_')
        && !name.ends_with('_')
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    name.len() <= 255 && (custom || standard)
}

/// The current time as Ironic writes it (`2026-12-07T10:00:00.123456+00:00`).
pub(crate) fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        .to_string()
}

/// Keeps only `fields` (comma-separated) of a document.
pub(crate) fn select_fields(document: &Value, fields: Option<&str>) -> Value {
    let Some(fields) = fields else {
        return document.clone();
    };
    let mut selected = Map::new();
    for field in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        if let Some(value) = document.get(field) {
            selected.insert(field.to_owned(), value.clone());
        }
    }
    Value::Object(selected)
}

impl IronicState {
    /// The `self` and `bookmark` links of a resource, as Ironic adds them.
    pub(crate) fn links(&self, kind: &str, uuid: impl std::fmt::Display) -> Value {
        let base = if self.public_url.is_empty() {
            "http://127.0.0.1:6385"
        } else {
            &self.public_url
        };
        json!([
            {"href": format!("{base}/v1/{kind}/{uuid}"), "rel": "self"},
            {"href": format!("{base}/{kind}/{uuid}"), "rel": "bookmark"},
        ])
    }

    /// The UUID of the node named or identified by `ident`.
    pub(crate) fn resolve(&self, ident: &str) -> FakeResult<Uuid> {
        if let Ok(uuid) = Uuid::parse_str(ident)
            && self.nodes.contains_key(&uuid)
        {
            return Ok(uuid);
        }
        self.nodes
            .iter()
            .find(|(_, node)| node["name"].as_str() == Some(ident))
            .map(|(uuid, _)| *uuid)
            .ok_or_else(|| not_found(ident))
    }

    /// A node document.
    pub fn node(&self, ident: &str) -> FakeResult<&Value> {
        let uuid = self.resolve(ident)?;
        Ok(&self.nodes[&uuid])
    }

    fn node_mut(&mut self, ident: &str) -> FakeResult<(Uuid, &mut Value)> {
        let uuid = self.resolve(ident)?;
        Ok((uuid, self.nodes.get_mut(&uuid).expect("resolved")))
    }

    /// Creates a node from a `POST /v1/nodes` body.
    pub fn create_node(&mut self, body: &Value) -> FakeResult<Value> {
        let Some(fields) = body.as_object() else {
            return Err(FakeError::bad_request(
                "Invalid input: the body must be a JSON object",
            ));
        };
        let driver = fields
            .get("driver")
            .and_then(Value::as_str)
            .ok_or_else(|| FakeError::bad_request("Mandatory field missing: driver"))?;
        let uuid = match fields.get("uuid").and_then(Value::as_str) {
            Some(text) => Uuid::parse_str(text).map_err(|_| {
                FakeError::bad_request(format!("Expected a UUID but received {text}."))
            })?,
            None => Uuid::new_v4(),
        };
        if self.nodes.contains_key(&uuid) {
            return Err(FakeError::new(
                409,
                format!("A node with UUID {uuid} already exists."),
            ));
        }
        if let Some(name) = fields.get("name").and_then(Value::as_str)
            && self.resolve(name).is_ok()
        {
            return Err(FakeError::new(
                409,
                format!("A node with name {name} already exists."),
            ));
        }
        // Every field Ironic's API returns for a node (1.89), so that clients
        // parse and carry documents of a real size.
        let sub = |name: &str| self.links("nodes", format!("{uuid}/{name}"));
        let mut node = json!({
            "uuid": uuid.to_string(),
            "driver": driver,
            "driver_info": {},
            "driver_internal_info": {},
            "properties": {},
            "extra": {},
            "instance_info": {},
            "conductor": "localhost",
            "conductor_group": "",
            "provision_state": "enroll",
            "maintenance": false,
            "console_enabled": false,
            "traits": [],
            "protected": false,
            "retired": false,
            "disable_power_off": false,
            "clean_step": {},
            "deploy_step": {},
            "raid_config": {},
            "target_raid_config": {},
            "network_data": {},
            "created_at": now(),
            "bios_interface": "no-bios",
            "boot_interface": "fake",
            "console_interface": "no-console",
            "deploy_interface": "fake",
            "firmware_interface": "no-firmware",
            "inspect_interface": "inspector",
            "management_interface": "fake",
            "network_interface": "noop",
            "power_interface": "fake",
            "raid_interface": "no-raid",
            "rescue_interface": "no-rescue",
            "storage_interface": "noop",
            "vendor_interface": "no-vendor",
            "links": self.links("nodes", uuid),
            "ports": sub("ports"),
            "portgroups": sub("portgroups"),
            "states": sub("states"),
            "volume": sub("volume"),
        });
        for field in [
            "name",
            "description",
            "instance_uuid",
            "allocation_uuid",
            "chassis_uuid",
            "target_provision_state",
            "provision_updated_at",
            "power_state",
            "target_power_state",
            "maintenance_reason",
            "fault",
            "resource_class",
            "last_error",
            "reservation",
            "automated_clean",
            "protected_reason",
            "retired_reason",
            "owner",
            "lessee",
            "shard",
            "parent_node",
            "secure_boot",
            "boot_mode",
            "inspection_started_at",
            "inspection_finished_at",
            "updated_at",
        ] {
            node[field] = Value::Null;
        }
        for (key, value) in fields {
            if key != "uuid" {
                node[key] = value.clone();
            }
        }
        self.nodes.insert(uuid, node.clone());
        Ok(node)
    }

    /// Lists nodes in UUID order, after `marker`, at most `limit`.
    pub(crate) fn list_nodes(
        &self,
        marker: Option<&str>,
        limit: usize,
    ) -> FakeResult<(Vec<Value>, Option<String>)> {
        page(&self.nodes, marker, limit, "node")
    }

    /// Applies a JSON patch to a node.
    pub fn patch_node(&mut self, ident: &str, patch: &Value) -> FakeResult<Value> {
        let (uuid, node) = self.node_mut(ident)?;
        let mut patched = node.clone();
        patch::apply(&mut patched, patch)?;
        if let Some(name) = patched["name"].as_str()
            && self
                .nodes
                .iter()
                .any(|(other, node)| *other != uuid && node["name"].as_str() == Some(name))
        {
            return Err(FakeError::new(
                409,
                format!("A node with name {name} already exists."),
            ));
        }
        patched["updated_at"] = json!(now());
        *self.nodes.get_mut(&uuid).expect("resolved") = patched.clone();
        Ok(patched)
    }

    /// The node documents by UUID, to change or remove nodes directly.
    pub fn nodes_mut(&mut self) -> &mut BTreeMap<Uuid, Value> {
        &mut self.nodes
    }

    /// Every node document, in UUID order.
    pub fn nodes(&self) -> impl Iterator<Item = &Value> {
        self.nodes.values()
    }

    /// Interface validation results of a node.
    pub fn validation(&self, ident: &str) -> FakeResult<Value> {
        let uuid = self.resolve(ident)?;
        let invalid = self.invalid_interfaces.get(&uuid);
        let mut result = Map::new();
        for interface in INTERFACES {
            let entry = match invalid.and_then(|map| map.get(*interface)) {
                Some(reason) => json!({"result": false, "reason": reason}),
                None => json!({"result": true}),
            };
            result.insert((*interface).to_owned(), entry);
        }
        Ok(Value::Object(result))
    }

    /// Makes `interface` fail validation on a node with `reason`.
    pub fn fail_validation(&mut self, uuid: Uuid, interface: &str, reason: &str) {
        self.invalid_interfaces
            .entry(uuid)
            .or_default()
            .insert(interface.to_owned(), reason.to_owned());
    }

    /// `PUT /v1/nodes/{ident}/states/power`.
    pub fn set_power_state(&mut self, ident: &str, body: &Value) -> FakeResult<()> {
        let (_, node) = self.node_mut(ident)?;
        let state = match body["target"].as_str() {
            Some("power on" | "rebooting" | "soft rebooting") => "power on",
            Some("power off" | "soft power off") => "power off",
            other => {
                return Err(FakeError::bad_request(format!(
                    "Invalid power state target: {}",
                    other.unwrap_or("null")
                )));
            }
        };
        node["power_state"] = json!(state);
        node["updated_at"] = json!(now());
        if let Some(info) = node["driver_internal_info"].as_object_mut() {
            info.insert("last_power_state_change".to_owned(), json!(now()));
        }
        Ok(())
    }

    /// `PUT /v1/nodes/{ident}/management/boot_device`.
    pub fn set_boot_device(&mut self, ident: &str, body: &Value) -> FakeResult<()> {
        let uuid = self.resolve(ident)?;
        let device = body["boot_device"].as_str().unwrap_or_default();
        if ![
            "pxe",
            "disk",
            "cdrom",
            "bios",
            "safe",
            "wanboot",
            "uefi http",
        ]
        .contains(&device)
        {
            return Err(FakeError::bad_request(format!(
                "Invalid boot device {device} specified."
            )));
        }
        let persistent = body["persistent"].as_bool().unwrap_or(false);
        self.boot_devices
            .insert(uuid, (device.to_owned(), persistent));
        Ok(())
    }

    /// The boot device last set for a node, with its persistence.
    pub fn boot_device(&self, uuid: Uuid) -> Option<(String, bool)> {
        self.boot_devices.get(&uuid).cloned()
    }

    /// `PUT /v1/nodes/{ident}/states/provision`: the transitions inspection relies on.
    pub fn set_provision_state(&mut self, ident: &str, body: &Value) -> FakeResult<()> {
        let (uuid, node) = self.node_mut(ident)?;
        let current = node["provision_state"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let target = body["target"].as_str().unwrap_or_default();
        let next = match (target, current.as_str()) {
            ("manage", "enroll" | "available" | "inspect failed" | "manageable") => "manageable",
            ("inspect", "manageable" | "inspect failed") => "inspect wait",
            ("abort", "inspect wait" | "inspecting") => "inspect failed",
            ("provide", "manageable") => "available",
            _ => {
                return Err(FakeError::bad_request(format!(
                    "The requested action \"{target}\" can not be performed on node \"{uuid}\" while it is in state \"{current}\"."
                )));
            }
        };
        node["provision_state"] = json!(next);
        node["updated_at"] = json!(now());
        node["provision_updated_at"] = json!(now());
        Ok(())
    }

    /// `PUT /v1/nodes/{ident}/traits/{trait}`.
    pub fn add_trait(&mut self, ident: &str, name: &str) -> FakeResult<()> {
        if !is_valid_trait(name) {
            return Err(FakeError::bad_request(format!(
                "Invalid trait {name}: traits must be standard or start with CUSTOM_ and use A-Z, 0-9 and _"
            )));
        }
        let (_, node) = self.node_mut(ident)?;
        let traits = node["traits"].as_array_mut().expect("traits is a list");
        if !traits.iter().any(|t| t == name) {
            traits.push(json!(name));
        }
        Ok(())
    }

    /// `DELETE /v1/nodes/{ident}/traits/{trait}`.
    pub fn remove_trait(&mut self, ident: &str, name: &str) -> FakeResult<()> {
        let (uuid, node) = self.node_mut(ident)?;
        let traits = node["traits"].as_array_mut().expect("traits is a list");
        let before = traits.len();
        traits.retain(|t| t != name);
        if traits.len() == before {
            return Err(FakeError::new(
                404,
                format!("Node {uuid} doesn't have a trait {name}"),
            ));
        }
        Ok(())
    }

    /// The requests received so far.
    pub fn requests(&self) -> &[RecordedRequest] {
        &self.requests
    }

    /// The faults to inject.
    pub fn faults_mut(&mut self) -> &mut Faults {
        &mut self.faults
    }

    /// Whether the next request about `node` must fail as locked; counts it.
    pub(crate) fn take_node_locked(&mut self, node: Uuid) -> bool {
        match self.faults.node_locked.get_mut(&node) {
            Some(remaining) if *remaining > 0 => {
                *remaining -= 1;
                true
            }
            _ => false,
        }
    }

    /// Whether the next request must fail with 503; counts it.
    pub(crate) fn take_unavailable(&mut self) -> bool {
        if self.faults.unavailable > 0 {
            self.faults.unavailable -= 1;
            true
        } else {
            false
        }
    }
}

/// One page of `items` after `marker` (by UUID order) and the marker of the next page.
pub(crate) fn page(
    items: &BTreeMap<Uuid, Value>,
    marker: Option<&str>,
    limit: usize,
    kind: &str,
) -> FakeResult<(Vec<Value>, Option<String>)> {
    let start = match marker {
        Some(text) => {
            let uuid = Uuid::parse_str(text).map_err(|_| {
                FakeError::bad_request(format!("Expected a UUID but received {text}."))
            })?;
            if !items.contains_key(&uuid) {
                return Err(FakeError::new(
                    404,
                    format!("The {kind} {text} could not be found."),
                ));
            }
            std::ops::Bound::Excluded(uuid)
        }
        None => std::ops::Bound::Unbounded,
    };
    let selected: Vec<(Uuid, Value)> = items
        .range((start, std::ops::Bound::Unbounded))
        .take(limit + 1)
        .map(|(uuid, value)| (*uuid, value.clone()))
        .collect();
    let more = selected.len() > limit;
    let page: Vec<(Uuid, Value)> = selected.into_iter().take(limit).collect();
    let next = if more {
        page.last().map(|(uuid, _)| uuid.to_string())
    } else {
        None
    };
    Ok((page.into_iter().map(|(_, value)| value).collect(), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traits_follow_ironics_rules() {
        assert!(is_valid_trait("CUSTOM_GPU_1"));
        assert!(is_valid_trait("HW_CPU_X86_AVX2"));
        assert!(!is_valid_trait("custom_gpu"));
        assert!(!is_valid_trait("CUSTOM_"));
        assert!(!is_valid_trait("GPU"));
    }

    #[test]
    fn provision_transitions() {
        let mut state = IronicState::default();
        let node = state
            .create_node(&json!({"driver": "fake-hardware", "name": "n"}))
            .unwrap();
        let uuid = node["uuid"].as_str().unwrap().to_owned();
        let step = |state: &mut IronicState, target: &str| {
            state.set_provision_state(&uuid, &json!({"target": target}))
        };
        step(&mut state, "manage").unwrap();
        step(&mut state, "inspect").unwrap();
        assert_eq!(state.node("n").unwrap()["provision_state"], "inspect wait");
        let error = step(&mut state, "provide").unwrap_err();
        assert_eq!(error.status, 400);
        assert!(
            error
                .message
                .contains("while it is in state \"inspect wait\""),
            "{}",
            error.message
        );
        step(&mut state, "abort").unwrap();
        assert_eq!(
            state.node(&uuid).unwrap()["provision_state"],
            "inspect failed"
        );
    }

    #[test]
    fn pages_follow_uuid_order() {
        let mut state = IronicState::default();
        for _ in 0..5 {
            state
                .create_node(&json!({"driver": "fake-hardware"}))
                .unwrap();
        }
        let (first, marker) = state.list_nodes(None, 2).unwrap();
        assert_eq!(first.len(), 2);
        let (second, marker) = state.list_nodes(marker.as_deref(), 2).unwrap();
        let (third, marker) = state.list_nodes(marker.as_deref(), 2).unwrap();
        assert_eq!((second.len(), third.len(), marker), (2, 1, None));
        let all: Vec<&Value> = first.iter().chain(&second).chain(&third).collect();
        let uuids: Vec<&str> = all.iter().map(|n| n["uuid"].as_str().unwrap()).collect();
        let mut sorted = uuids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(uuids, sorted);
    }
}
