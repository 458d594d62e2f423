//! `accelerators`: known accelerator devices (GPUs, ...) among the PCI devices
//! become `properties.accelerators`.

use inspector_config::HookOptions;
use serde_json::{Map, Value};

use crate::data::IntrospectionData;
use crate::error::HookError;
use crate::node::NodeView;
use crate::set::ProcessingHook;

/// The list shipped with the service (`[accelerators] known_devices` unset).
const SHIPPED: &str = include_str!("../../data/known_devices.yaml");

/// The `accelerators` hook.
#[derive(Debug)]
pub(crate) struct Accelerators {
    known: Vec<Map<String, Value>>,
}

fn yaml_to_json(yaml: &yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match yaml {
        Yaml::Real(text) => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(items) => items.iter().map(yaml_to_json).collect(),
        Yaml::Hash(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) => s.clone(),
                        other => inspector_types::python_str(&yaml_to_json(other)),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

impl Accelerators {
    pub(crate) fn new(options: &HookOptions) -> Result<Self, HookError> {
        let text = match &options.accelerators.known_devices {
            Some(path) => std::fs::read_to_string(path).map_err(|e| {
                HookError::error(format!(
                    "cannot read [accelerators] known_devices {path}: {e}"
                ))
            })?,
            None => SHIPPED.to_owned(),
        };
        Self::parse(&text)
    }

    fn parse(text: &str) -> Result<Self, HookError> {
        let documents = yaml_rust2::YamlLoader::load_from_str(text)
            .map_err(|e| HookError::error(format!("invalid known devices file: {e}")))?;
        let document = documents.first().map(yaml_to_json).unwrap_or(Value::Null);
        let devices = match document.get("pci_devices") {
            None | Some(Value::Null) => {
                return Err(HookError::error(
                    "Could not find pci_devices in the configuration data",
                ));
            }
            Some(Value::Array(devices)) => devices,
            Some(_) => {
                return Err(HookError::error(
                    "pci_devices should contain a list of devices",
                ));
            }
        };
        let known = devices
            .iter()
            .map(|device| {
                let present = |key: &str| {
                    device
                        .get(key)
                        .is_some_and(|v| !v.is_null() && v.as_str() != Some(""))
                };
                match device.as_object() {
                    Some(map) if present("vendor_id") && present("device_id") => Ok(map.clone()),
                    _ => Err(HookError::error(
                        "one of devices is missing vendor_id or device_id",
                    )),
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { known })
    }
}

impl ProcessingHook for Accelerators {
    fn name(&self) -> &'static str {
        "accelerators"
    }

    fn before_update(
        &self,
        data: &mut IntrospectionData,
        node: &mut NodeView,
    ) -> Result<(), HookError> {
        let devices = match data.get("pci_devices") {
            Some(Value::Array(devices)) if !devices.is_empty() => devices,
            _ => {
                tracing::warn!("no PCI devices information was received from the ramdisk");
                return Ok(());
            }
        };
        let mut found = Vec::new();
        for device in devices {
            let known = self.known.iter().find(|known| {
                known.get("vendor_id") == device.get("vendor_id")
                    && known.get("device_id") == device.get("product_id")
            });
            if let Some(known) = known {
                let mut accelerator = known.clone();
                accelerator.insert(
                    "pci_address".into(),
                    device.get("bus").cloned().unwrap_or(Value::Null),
                );
                let shown = Value::Object(accelerator.clone());
                tracing::info!(device = %shown, "accelerator found");
                found.push(Value::Object(accelerator));
            }
        }
        if !found.is_empty() {
            node.update_properties(vec![("accelerators", Value::Array(found))]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use inspector_types::NodeUuid;
    use rstest::rstest;
    use serde_json::json;

    use super::*;

    fn patch(hook: &Accelerators, data: Value) -> Vec<Value> {
        let mut data: IntrospectionData = data.as_object().cloned().unwrap_or_default();
        let mut node = NodeView::new(NodeUuid::new_random(), None, Map::new(), vec![]);
        hook.before_update(&mut data, &mut node)
            .expect("never fails");
        node.changes().node_patch.clone()
    }

    #[test]
    fn the_shipped_list_finds_a_tesla_t4() {
        let hook = Accelerators::new(&HookOptions::default()).expect("shipped list loads");
        assert_eq!(
            patch(
                &hook,
                json!({"pci_devices": [
                {"vendor_id": "8086", "product_id": "1572", "class": "020000", "bus": "0000:01:00.0"},
                {"vendor_id": "10de", "product_id": "1eb8", "class": "030200", "bus": "0000:af:00.0"}]})
            ),
            vec![
                json!({"op": "add", "path": "/properties/accelerators", "value": [
                {"vendor_id": "10de", "device_id": "1eb8", "type": "GPU",
                 "device_info": "NVIDIA Corporation Tesla T4", "pci_address": "0000:af:00.0"}]})
            ]
        );
    }

    #[rstest]
    #[case::none(json!({}))]
    #[case::empty(json!({"pci_devices": []}))]
    #[case::unknown(json!({"pci_devices": [{"vendor_id": "8086", "product_id": "1572", "bus": "x"}]}))]
    fn nothing_known_patches_nothing(#[case] data: Value) {
        let hook = Accelerators::parse(SHIPPED).expect("parses");
        assert!(patch(&hook, data).is_empty());
    }

    #[rstest]
    #[case::empty("", "Could not find pci_devices in the configuration data")]
    #[case::no_key("other: 1\n", "Could not find pci_devices in the configuration data")]
    #[case::not_list(
        "pci_devices: {a: 1}\n",
        "pci_devices should contain a list of devices"
    )]
    #[case::missing_id(
        "pci_devices:\n  - {vendor_id: '10de', type: GPU}\n",
        "one of devices is missing vendor_id or device_id"
    )]
    #[case::empty_id(
        "pci_devices:\n  - {vendor_id: '10de', device_id: '', type: GPU}\n",
        "one of devices is missing vendor_id or device_id"
    )]
    fn invalid_files_fail_to_load(#[case] text: &str, #[case] message: &str) {
        assert_eq!(
            Accelerators::parse(text).expect_err("refused"),
            HookError::error(message)
        );
    }

    #[test]
    fn an_operator_file_replaces_the_shipped_list() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("devices.yaml");
        std::fs::write(&path, "pci_devices:\n  - {vendor_id: '1002', device_id: '66a1', type: GPU, device_info: AMD}\n")
            .expect("write");
        let mut options = HookOptions::default();
        options.accelerators.known_devices = Some(path.display().to_string());
        let hook = Accelerators::new(&options).expect("loads");
        assert_eq!(
            patch(
                &hook,
                json!({"pci_devices": [{"vendor_id": "1002", "product_id": "66a1", "bus": "b"}]})
            )[0]["value"][0]["device_info"],
            "AMD"
        );
    }
}
