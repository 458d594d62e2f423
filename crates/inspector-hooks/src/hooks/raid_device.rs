//! `raid_device` (formerly `root_device_hint`): learns the root device created
//! by RAID configuration by comparing disk serials across two introspections.

use serde_json::{Value, json};

use crate::data::IntrospectionData;
use crate::error::HookError;
use crate::node::NodeView;
use crate::set::ProcessingHook;

/// The `raid_device` hook.
#[derive(Debug)]
pub(crate) struct RaidDevice;

/// The truthy disk serials of this run, in order.
fn serials(data: &IntrospectionData) -> Vec<Value> {
    let truthy =
        |v: &&Value| !matches!(v, Value::Null | Value::Bool(false)) && v.as_str() != Some("");
    if let Some(inventory) = data.get("inventory") {
        return inventory["disks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|disk| disk.get("serial"))
            .filter(truthy)
            .cloned()
            .collect();
    }
    data.get("block_devices")
        .and_then(|devices| devices.get("serials"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(truthy)
        .cloned()
        .collect()
}

impl ProcessingHook for RaidDevice {
    fn name(&self) -> &'static str {
        "raid_device"
    }

    fn before_processing(&self, data: &mut IntrospectionData) -> Result<(), HookError> {
        let falsy = match data.get("local_gb") {
            None | Some(Value::Null) | Some(Value::Bool(false)) => true,
            Some(Value::Number(n)) => n.as_f64() == Some(0.0),
            Some(Value::String(s)) => s.is_empty(),
            _ => false,
        };
        if falsy {
            data.insert("local_gb".into(), json!(1));
        }
        Ok(())
    }

    fn before_update(
        &self,
        data: &mut IntrospectionData,
        node: &mut NodeView,
    ) -> Result<(), HookError> {
        let current = serials(data);
        if current.is_empty() {
            tracing::warn!("no block device serials were received from the ramdisk");
            return Ok(());
        }
        if node.properties.contains_key("root_device") {
            tracing::debug!("root device hints are already set");
            return Ok(());
        }
        match node.extra.get("block_devices") {
            Some(previous) => {
                let previous: Vec<Value> =
                    previous["serials"].as_array().cloned().unwrap_or_default();
                let new: Vec<&Value> = current.iter().filter(|s| !previous.contains(s)).collect();
                match new.as_slice() {
                    [serial] => node.patch_node(vec![
                        json!({"op": "remove", "path": "/extra/block_devices"}),
                        json!({"op": "add", "path": "/properties/root_device", "value": {"serial": serial}}),
                    ]),
                    [] => tracing::warn!("no new block device appeared since the previous introspection"),
                    _ => tracing::warn!(count = new.len(), "more than one new block device; root device hints are not set"),
                }
            }
            None => node.patch_node(vec![json!({
                "op": "add", "path": "/extra/block_devices", "value": {"serials": current}
            })]),
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

    fn disks(serials: &[&str]) -> Value {
        json!({"inventory": {"disks": serials.iter().map(|s| json!({"name": "/dev/x", "serial": s})).collect::<Vec<_>>()}})
    }

    fn run(data: Value, properties: Value, extra: Value) -> Vec<Value> {
        let mut data: IntrospectionData = data.as_object().cloned().unwrap_or_default();
        let mut node = NodeView::new(
            NodeUuid::new_random(),
            None,
            properties.as_object().cloned().unwrap_or_default(),
            vec![],
        )
        .with_extra(extra.as_object().cloned().unwrap_or_default());
        RaidDevice
            .before_update(&mut data, &mut node)
            .expect("never fails");
        node.changes().node_patch.clone()
    }

    #[rstest]
    #[case::first_run(disks(&["S1", "S2"]), json!({}), json!({}),
        json!([{"op": "add", "path": "/extra/block_devices", "value": {"serials": ["S1", "S2"]}}]))]
    #[case::second_run_one_new(disks(&["S1", "S2", "S9"]), json!({}), json!({"block_devices": {"serials": ["S1", "S2"]}}),
        json!([{"op": "remove", "path": "/extra/block_devices"},
               {"op": "add", "path": "/properties/root_device", "value": {"serial": "S9"}}]))]
    #[case::two_new(disks(&["S1", "S2", "S9"]), json!({}), json!({"block_devices": {"serials": ["S1"]}}), json!([]))]
    #[case::none_new(disks(&["S1"]), json!({}), json!({"block_devices": {"serials": ["S1"]}}), json!([]))]
    #[case::hints_exist(disks(&["S1"]), json!({"root_device": null}), json!({}), json!([]))]
    #[case::no_serials(disks(&["", ""]), json!({}), json!({}), json!([]))]
    #[case::legacy_ramdisk(json!({"block_devices": {"serials": ["L1"]}}), json!({}), json!({}),
        json!([{"op": "add", "path": "/extra/block_devices", "value": {"serials": ["L1"]}}]))]
    fn golden(
        #[case] data: Value,
        #[case] properties: Value,
        #[case] extra: Value,
        #[case] expected: Value,
    ) {
        assert_eq!(Value::Array(run(data, properties, extra)), expected);
    }

    #[rstest]
    #[case::absent(json!({}), json!(1))]
    #[case::zero(json!({"local_gb": 0}), json!(1))]
    #[case::set(json!({"local_gb": 20}), json!(20))]
    fn local_gb_placeholder(#[case] data: Value, #[case] expected: Value) {
        let mut data: IntrospectionData = data.as_object().cloned().unwrap_or_default();
        RaidDevice
            .before_processing(&mut data)
            .expect("never fails");
        assert_eq!(data["local_gb"], expected);
        let _ = Map::<String, Value>::new();
    }
}
