//! `capabilities`: boot mode and CPU flags as node capabilities.

use inspector_config::HookOptions;
use serde_json::{Value, json};

use crate::data::{IntrospectionData, inventory};
use crate::error::HookError;
use crate::node::NodeView;
use crate::set::ProcessingHook;

/// The `capabilities` hook.
#[derive(Debug)]
pub(crate) struct Capabilities {
    boot_mode: bool,
    cpu_flags: Vec<(String, String)>,
}

impl Capabilities {
    pub(crate) fn new(options: &HookOptions) -> Self {
        Self {
            boot_mode: options.capabilities.boot_mode,
            cpu_flags: options.capabilities.cpu_flags.clone(),
        }
    }
}

impl ProcessingHook for Capabilities {
    fn name(&self) -> &'static str {
        "capabilities"
    }

    fn before_update(
        &self,
        data: &mut IntrospectionData,
        node: &mut NodeView,
    ) -> Result<(), HookError> {
        let inventory = inventory(data)?;
        let mut capabilities: Vec<(String, Value)> = Vec::new();
        if self.boot_mode {
            match inventory
                .get("boot")
                .and_then(|b| b.get("current_boot_mode"))
            {
                Some(mode) => capabilities.push(("boot_mode".into(), mode.clone())),
                None => tracing::warn!("no boot mode information available"),
            }
        }
        let cpu = inventory
            .get("cpu")
            .filter(|cpu| cpu.is_object())
            .ok_or_else(|| {
                HookError::error(
                    "Invalid introspection data: inventory.cpu is missing or not an object",
                )
            })?;
        let flags: Vec<&str> = cpu
            .get("flags")
            .and_then(Value::as_array)
            .map(|flags| flags.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if flags.is_empty() {
            tracing::warn!("no CPU flags available, please update your introspection ramdisk");
        } else {
            for (flag, capability) in &self.cpu_flags {
                if flags.contains(&flag.as_str()) {
                    match capabilities.iter_mut().find(|(name, _)| name == capability) {
                        Some(entry) => entry.1 = json!("true"),
                        None => capabilities.push((capability.clone(), json!("true"))),
                    }
                }
            }
        }
        if !capabilities.is_empty() {
            node.update_capabilities(capabilities)?;
        }
        Ok(())
    }
}
