//! `lldp_basic`: decodes each interface's raw LLDP TLVs into
//! `all_interfaces.<name>.lldp_processed`.

use serde_json::Value;

use crate::data::{IntrospectionData, inventory_interfaces};
use crate::error::HookError;
use crate::lldp::parse_tlvs;
use crate::node::NodeView;
use crate::set::ProcessingHook;

/// The `lldp_basic` hook.
#[derive(Debug)]
pub(crate) struct LldpBasic;

/// The TLVs of an interface: `lldp_raw.<name>` when present and non-empty,
/// else the inventory record's `lldp`.
pub(crate) fn interface_tlvs(data: &IntrospectionData, interface: &Value) -> Option<Vec<Value>> {
    let name = interface["name"].as_str()?;
    let raw = data
        .get("lldp_raw")
        .and_then(|raw| raw.get(name))
        .and_then(Value::as_array)
        .filter(|tlvs| !tlvs.is_empty());
    raw.or_else(|| interface.get("lldp").and_then(Value::as_array))
        .cloned()
}

impl ProcessingHook for LldpBasic {
    fn name(&self) -> &'static str {
        "lldp_basic"
    }

    fn before_update(
        &self,
        data: &mut IntrospectionData,
        _node: &mut NodeView,
    ) -> Result<(), HookError> {
        let interfaces = inventory_interfaces(data)?;
        for interface in &interfaces {
            let Some(name) = interface["name"].as_str() else {
                tracing::warn!("skipping LLDP of an interface without a name");
                continue;
            };
            let Some(tlvs) = interface_tlvs(data, interface) else {
                tracing::warn!(interface = name, "no LLDP data for the interface");
                continue;
            };
            let processed = parse_tlvs(name, &tlvs);
            if processed.is_empty() {
                continue;
            }
            match data
                .get_mut("all_interfaces")
                .and_then(|all| all.get_mut(name))
                .and_then(Value::as_object_mut)
            {
                Some(record) => {
                    record.insert("lldp_processed".into(), Value::Object(processed));
                }
                None => tracing::warn!(
                    interface = name,
                    "LLDP of an interface that validate_interfaces left out is not stored"
                ),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use inspector_types::NodeUuid;
    use serde_json::{Map, json};

    use super::*;

    #[test]
    fn stores_processed_lldp_per_interface() {
        let mut data: IntrospectionData = json!({
            "inventory": {"interfaces": [
                {"name": "em1", "mac_address": "52:54:00:00:00:01", "lldp": [[5, "737730"]]},
                {"name": "em2", "mac_address": "52:54:00:00:00:02", "lldp": [[5, "6e6f"]]},
                {"name": "em3", "mac_address": "52:54:00:00:00:03"},
                {"name": "em4", "mac_address": "52:54:00:00:00:04", "lldp": [[3, "0078"]]},
                {"name": "em5", "mac_address": "52:54:00:00:00:05", "lldp": [[5, "6f6666"]]}],
              "disks": []},
            "lldp_raw": {"em2": [[5, "726177"]], "em1": []},
            "all_interfaces": {"em1": {"mac": "52:54:00:00:00:01"}, "em2": {}, "em3": {}, "em4": {}}
        })
        .as_object()
        .cloned()
        .unwrap_or_default();
        let mut node = NodeView::new(NodeUuid::new_random(), None, Map::new(), vec![]);
        LldpBasic.before_update(&mut data, &mut node).expect("runs");
        assert_eq!(
            data["all_interfaces"],
            json!({"em1": {"mac": "52:54:00:00:00:01", "lldp_processed": {"switch_system_name": "sw0"}},
                   "em2": {"lldp_processed": {"switch_system_name": "raw"}},
                   "em3": {}, "em4": {}})
        );
    }
}
