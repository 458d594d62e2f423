//! The node as rules see it through `node://`: openstacksdk's attribute names,
//! which differ from Ironic's API names; every attribute is present (null
//! when Ironic did not return it) and fields the SDK does not know are absent.

use serde_json::{Map, Value};

/// openstacksdk names and the Ironic API name each one reads.
const ATTRIBUTES: [(&str, &str); 65] = [
    ("allocation_id", "allocation_uuid"),
    ("bios_interface", "bios_interface"),
    ("boot_interface", "boot_interface"),
    ("boot_mode", "boot_mode"),
    ("chassis_id", "chassis_uuid"),
    ("clean_step", "clean_step"),
    ("conductor", "conductor"),
    ("conductor_group", "conductor_group"),
    ("console_interface", "console_interface"),
    ("created_at", "created_at"),
    ("deploy_interface", "deploy_interface"),
    ("deploy_step", "deploy_step"),
    ("description", "description"),
    ("driver", "driver"),
    ("driver_info", "driver_info"),
    ("driver_internal_info", "driver_internal_info"),
    ("extra", "extra"),
    ("fault", "fault"),
    ("firmware_interface", "firmware_interface"),
    ("health", "health"),
    ("id", "uuid"),
    ("inspect_interface", "inspect_interface"),
    ("instance_id", "instance_uuid"),
    ("instance_info", "instance_info"),
    ("instance_name", "instance_name"),
    ("is_automated_clean_enabled", "automated_clean"),
    ("is_console_enabled", "console_enabled"),
    ("is_maintenance", "maintenance"),
    ("is_protected", "protected"),
    ("is_retired", "retired"),
    ("is_secure_boot", "secure_boot"),
    ("last_error", "last_error"),
    ("lessee", "lessee"),
    ("links", "links"),
    ("location", "location"),
    ("maintenance_reason", "maintenance_reason"),
    ("management_interface", "management_interface"),
    ("name", "name"),
    ("network_interface", "network_interface"),
    ("owner", "owner"),
    ("parent_node", "parent_node"),
    ("port_groups", "portgroups"),
    ("ports", "ports"),
    ("power_interface", "power_interface"),
    ("power_state", "power_state"),
    ("properties", "properties"),
    ("protected_reason", "protected_reason"),
    ("provision_state", "provision_state"),
    ("raid_config", "raid_config"),
    ("raid_interface", "raid_interface"),
    ("rescue_interface", "rescue_interface"),
    ("reservation", "reservation"),
    ("resource_class", "resource_class"),
    ("retired_reason", "retired_reason"),
    ("runbook", "runbook"),
    ("service_step", "service_step"),
    ("shard", "shard"),
    ("states", "states"),
    ("storage_interface", "storage_interface"),
    ("target_power_state", "target_power_state"),
    ("target_provision_state", "target_provision_state"),
    ("target_raid_config", "target_raid_config"),
    ("traits", "traits"),
    ("updated_at", "updated_at"),
    ("vendor_interface", "vendor_interface"),
];

/// The SDK form of a node as Ironic returns it.
pub fn sdk_node(node: &Value) -> Value {
    if node.is_null() {
        return Value::Null;
    }
    let mut out = Map::new();
    for (sdk, api) in ATTRIBUTES {
        out.insert(
            sdk.to_owned(),
            node.get(api).cloned().unwrap_or(Value::Null),
        );
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::sdk_node;

    #[test]
    fn renames_to_sdk_attributes() {
        let node = json!({"uuid": "u", "maintenance": true, "instance_uuid": "i",
                          "chassis_uuid": "c", "protected": false, "retired": false,
                          "console_enabled": false, "automated_clean": null,
                          "properties": {"cpus": 4}, "unknown_field": 1});
        let sdk = sdk_node(&node);
        assert_eq!(sdk["id"], json!("u"));
        assert_eq!(sdk["is_maintenance"], json!(true));
        assert_eq!(sdk["instance_id"], json!("i"));
        assert_eq!(sdk["chassis_id"], json!("c"));
        assert_eq!(sdk["properties"], json!({"cpus": 4}));
        assert!(sdk.get("uuid").is_none(), "node://uuid finds nothing");
        assert!(sdk.get("unknown_field").is_none());
        assert_eq!(sdk["owner"], json!(null), "absent attributes are null");
    }
}
