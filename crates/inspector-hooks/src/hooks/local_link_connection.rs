//! `local_link_connection`: the switch and switch port of each port, from
//! LLDP, onto the Ironic port (`local_link_connection.switch_id`/`port_id`).

use inspector_config::HookOptions;
use serde_json::{Value, json};

use crate::data::{IntrospectionData, KeptInterface, kept_interfaces};
use crate::error::HookError;
use crate::hooks::lldp_basic::interface_tlvs;
use crate::lldp::{chassis_id, hex_decode, port_id};
use crate::node::NodeView;
use crate::set::ProcessingHook;

/// The `local_link_connection` hook.
#[derive(Debug)]
pub(crate) struct LocalLinkConnection {
    overwrite_existing: bool,
}

impl LocalLinkConnection {
    pub(crate) fn new(options: &HookOptions) -> Self {
        Self {
            overwrite_existing: options.processing.overwrite_existing,
        }
    }

    /// The patch of one field, if the value is usable and may be written.
    fn operation(
        &self,
        existing: &serde_json::Map<String, Value>,
        key: &str,
        value: &Value,
    ) -> Option<Value> {
        let truthy = match value {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            _ => true,
        };
        if !truthy {
            return None;
        }
        if key == "switch_id" && !value.as_str().is_some_and(crate::data::is_valid_mac) {
            tracing::info!(value = %value, "chassis id is not a MAC address; switch_id is not set");
            return None;
        }
        if existing.get(key) == Some(value) {
            return None;
        }
        if !self.overwrite_existing && existing.contains_key(key) {
            return None;
        }
        Some(json!({"op": "add", "path": format!("/local_link_connection/{key}"), "value": value}))
    }
}

impl ProcessingHook for LocalLinkConnection {
    fn name(&self) -> &'static str {
        "local_link_connection"
    }

    fn before_update(
        &self,
        data: &mut IntrospectionData,
        node: &mut NodeView,
    ) -> Result<(), HookError> {
        for KeptInterface {
            name,
            mac,
            record: interface,
            kept: record,
        } in kept_interfaces(data)?
        {
            let name = name.as_str();
            let Some(port) = node.port(&mac) else {
                tracing::debug!(interface = name, "no port for the interface");
                continue;
            };
            let Some(tlvs) = interface_tlvs(data, &interface) else {
                tracing::warn!(interface = name, "no LLDP data for the interface");
                continue;
            };
            let existing = port.local_link_connection.clone();
            let mut patch = Vec::new();
            if let Some(processed) = record.get("lldp_processed") {
                for (field, key) in [
                    ("switch_chassis_id", "switch_id"),
                    ("switch_port_id", "port_id"),
                ] {
                    if let Some(value) = processed.get(field) {
                        patch.extend(self.operation(&existing, key, value));
                    }
                }
            }
            if patch.is_empty() {
                for tlv in &tlvs {
                    let (Some(kind), Some(hex)) = (tlv[0].as_u64(), tlv[1].as_str()) else {
                        continue;
                    };
                    let parsed = match kind {
                        1 => hex_decode(hex).and_then(|bytes| match bytes.first() {
                            Some(4) => chassis_id(&bytes).map(|v| Some(("switch_id", v))),
                            _ => Ok(None),
                        }),
                        2 => hex_decode(hex)
                            .and_then(|bytes| port_id(&bytes).map(|v| Some(("port_id", v)))),
                        _ => Ok(None),
                    };
                    match parsed {
                        Ok(Some((key, value))) => {
                            patch.extend(self.operation(&existing, key, &value))
                        }
                        Ok(None) => {}
                        Err(error) => {
                            tracing::warn!(interface = name, %error, "skipping a malformed LLDP TLV")
                        }
                    }
                }
            }
            if !patch.is_empty() {
                node.patch_port_optional(&mac, patch);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use inspector_types::NodeUuid;
    use rstest::rstest;
    use serde_json::Map;

    use super::*;
    use crate::node::PortView;

    fn run(overwrite_existing: bool, lldp: Value, record: Value) -> Vec<Value> {
        let hook = LocalLinkConnection { overwrite_existing };
        let mut data: IntrospectionData = json!({
            "inventory": {"interfaces": [{"name": "em1", "mac_address": "11:11:11:11:11:11", "lldp": lldp}], "disks": []},
            "all_interfaces": {"em1": record}
        })
        .as_object()
        .cloned()
        .unwrap_or_default();
        let port = PortView {
            uuid: Some(uuid::Uuid::new_v4()),
            address: "11:11:11:11:11:11".into(),
            pxe_enabled: true,
            local_link_connection: json!({"port_id": "56"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            physical_network: None,
        };
        let mut node = NodeView::new(NodeUuid::new_random(), None, Map::new(), vec![port]);
        hook.before_update(&mut data, &mut node).expect("runs");
        node.changes()
            .optional_port_patches
            .iter()
            .flat_map(|(_, _, patch)| patch.clone())
            .collect()
    }

    fn tlvs() -> Value {
        json!([
            [0, ""],
            [1, "04885a92ec5459"],
            [2, "0545746865726e6574312f3138"],
            [3, "0078"]
        ])
    }

    #[rstest]
    #[case::raw_tlvs(true, tlvs(), json!({}), json!([
        {"op": "add", "path": "/local_link_connection/switch_id", "value": "88:5a:92:ec:54:59"},
        {"op": "add", "path": "/local_link_connection/port_id", "value": "Ethernet1/18"}]))]
    #[case::no_overwrite(false, tlvs(), json!({}), json!([
        {"op": "add", "path": "/local_link_connection/switch_id", "value": "88:5a:92:ec:54:59"}]))]
    #[case::processed_first(true, tlvs(),
        json!({"lldp_processed": {"switch_chassis_id": "192.0.2.1", "switch_port_id": "Ethernet2/66"}}),
        json!([{"op": "add", "path": "/local_link_connection/port_id", "value": "Ethernet2/66"}]))]
    #[case::chassis_not_mac(true, json!([[1, "0773773031"]]), json!({}), json!([]))]
    #[case::malformed_skipped(true, json!([[2, "03885a"], [2, "05ff"], [2, "zz"], [1, "04885a92ec5459"]]), json!({}),
        json!([{"op": "add", "path": "/local_link_connection/switch_id", "value": "88:5a:92:ec:54:59"}]))]
    #[case::no_lldp(true, Value::Null, json!({}), json!([]))]
    #[case::unchanged_value_not_sent(true, json!([[2, "053536"]]), json!({}), json!([]))]
    fn golden(
        #[case] overwrite: bool,
        #[case] lldp: Value,
        #[case] record: Value,
        #[case] expected: Value,
    ) {
        assert_eq!(Value::Array(run(overwrite, lldp, record)), expected);
    }
}
