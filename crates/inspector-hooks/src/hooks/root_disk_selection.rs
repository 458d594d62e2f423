//! `root_disk_selection`: the root disk by the node's root device hints, and
//! `local_gb` from its size.

use inspector_config::HookOptions;
use serde_json::{Value, json};

use super::hints::Hints;
use super::ramdisk_error::truthy;
use crate::data::{IntrospectionData, inventory};
use crate::error::HookError;
use crate::node::NodeView;
use crate::set::ProcessingHook;
use inspector_types::python_repr;

const GIB: i64 = 1_073_741_824;

/// The `root_disk_selection` hook.
#[derive(Debug)]
pub(crate) struct RootDiskSelection {
    disk_partitioning_spacing: bool,
    overwrite_existing: bool,
}

impl RootDiskSelection {
    pub(crate) fn new(options: &HookOptions) -> Self {
        Self {
            disk_partitioning_spacing: options.processing.disk_partitioning_spacing,
            overwrite_existing: options.processing.overwrite_existing,
        }
    }

    /// Removes the disks matching any of `skip_block_devices` from the inventory.
    fn skip_devices(data: &mut IntrospectionData, skip: &[Value]) -> Result<(), HookError> {
        let inventory = inventory(data)?;
        let disks: Vec<Value> = inventory
            .get("disks")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut names: Vec<String> = Vec::new();
        for hint in skip {
            let hints = hint
                .as_object()
                .ok_or_else(|| {
                    HookError::unexpected(
                        "AttributeError",
                        format!("'{}' object has no attribute 'items'", hint),
                    )
                })
                .and_then(|h| {
                    Hints::parse(h).map_err(|e| HookError::unexpected("ValueError", e))
                })?;
            let found = hints
                .find(&disks)
                .map_err(|e| HookError::unexpected("TypeError", e))?;
            names.extend(
                found
                    .iter()
                    .filter_map(|d| d.get("name").and_then(Value::as_str))
                    .map(str::to_owned),
            );
        }
        let kept: Vec<Value> = disks
            .into_iter()
            .filter(|d| {
                !d.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| names.iter().any(|s| s == n))
            })
            .collect();
        inventory.insert("disks".into(), Value::Array(kept));
        Ok(())
    }
}

impl ProcessingHook for RootDiskSelection {
    fn name(&self) -> &'static str {
        "root_disk_selection"
    }

    fn before_update(
        &self,
        data: &mut IntrospectionData,
        node: &mut NodeView,
    ) -> Result<(), HookError> {
        inventory(data)?;
        let hints = node
            .properties
            .get("root_device")
            .filter(|h| truthy(h))
            .cloned();
        if let Some(hints) = hints {
            if let Some(skip) = node
                .properties
                .get("skip_block_devices")
                .and_then(Value::as_array)
                .filter(|s| !s.is_empty())
            {
                let skip = skip.clone();
                Self::skip_devices(data, &skip)?;
            }
            let failed = |error: String| {
                HookError::error(format!(
                    "No disks could be found using the root device hints {} because they failed to validate. Error: {error}",
                    python_repr(&hints)
                ))
            };
            let parsed = match hints.as_object() {
                Some(map) => Hints::parse(map).map_err(failed)?,
                None => {
                    return Err(failed(format!(
                        "'{}' object has no attribute 'items'",
                        hints
                    )));
                }
            };
            let disks: Vec<Value> = inventory(data)?
                .get("disks")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let root = parsed
                .find(&disks)
                .map_err(failed)?
                .first()
                .map(|d| (*d).clone());
            let Some(root) = root else {
                return Err(HookError::error("No disks satisfied root device hints"));
            };
            tracing::debug!(disk = %root, "root disk selected");
            data.insert("root_disk".into(), root);
        }
        let local_gb = match data.get("root_disk") {
            Some(root) => {
                let size = root
                    .get("size")
                    .and_then(|s| s.as_i64().or_else(|| s.as_f64().map(|f| f as i64)))
                    .ok_or_else(|| {
                        let what = match root {
                            Value::Object(_) => "an object without a numeric size",
                            Value::String(_) => "a string",
                            Value::Array(_) => "a list",
                            _ => "not an object",
                        };
                        HookError::error(format!(
                            "Invalid introspection data: root_disk.size is missing or not a number (root_disk is {what})"
                        ))
                    })?;
                let gb = size.div_euclid(GIB);
                if gb == 0 {
                    tracing::warn!("the root disk is too small or its size is unknown");
                    0
                } else if self.disk_partitioning_spacing {
                    gb - 1
                } else {
                    gb
                }
            }
            None => {
                tracing::info!("no root device found, assuming a diskless node");
                0
            }
        };
        data.insert("local_gb".into(), json!(local_gb));
        if self.overwrite_existing || !node.properties.get("local_gb").is_some_and(truthy) {
            node.update_properties(vec![("local_gb", json!(local_gb.to_string()))]);
        }
        Ok(())
    }
}
