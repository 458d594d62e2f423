//! `scheduler`: `cpus`, `cpu_arch` and `memory_mb` from the inventory into
//! the data and the node's properties.

use inspector_config::HookOptions;
use serde_json::{Value, json};

use super::ramdisk_error::truthy;
use crate::data::{IntrospectionData, inventory};
use crate::error::HookError;
use crate::node::NodeView;
use crate::set::ProcessingHook;
use inspector_types::python_str;

/// The `scheduler` hook.
#[derive(Debug)]
pub(crate) struct Scheduler {
    overwrite_existing: bool,
}

impl Scheduler {
    pub(crate) fn new(options: &HookOptions) -> Self {
        Self {
            overwrite_existing: options.processing.overwrite_existing,
        }
    }
}

/// Python's `int()` of a JSON value (integers, integral floats truncated, numeric strings).
pub(crate) fn python_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

impl ProcessingHook for Scheduler {
    fn name(&self) -> &'static str {
        "scheduler"
    }

    fn before_update(
        &self,
        data: &mut IntrospectionData,
        node: &mut NodeView,
    ) -> Result<(), HookError> {
        let inventory = inventory(data)?;
        let cpu = inventory.get("cpu").cloned().unwrap_or(Value::Null);
        let memory_mb = inventory
            .get("memory")
            .and_then(|m| m.get("physical_mb"))
            .and_then(python_int);
        match cpu.get("count").and_then(python_int) {
            Some(count) => {
                data.insert("cpus".into(), json!(count));
                match cpu.get("architecture") {
                    Some(arch) => {
                        data.insert("cpu_arch".into(), json!(python_str(arch)));
                    }
                    None => tracing::warn!("the CPU architecture is missing from the inventory"),
                }
            }
            None => tracing::warn!("the CPU count is missing or not an integer"),
        }
        match memory_mb {
            Some(memory) => {
                data.insert("memory_mb".into(), json!(memory));
            }
            None => tracing::warn!("the physical memory size is missing from the inventory"),
        }
        let mut update = Vec::new();
        for key in ["cpus", "cpu_arch", "memory_mb"] {
            let Some(value) = data.get(key).filter(|v| truthy(v)) else {
                continue;
            };
            let present = node.properties.get(key).is_some_and(truthy);
            if self.overwrite_existing || !present {
                update.push((key, json!(python_str(value))));
            }
        }
        if !update.is_empty() {
            node.update_properties(update);
        }
        Ok(())
    }
}
