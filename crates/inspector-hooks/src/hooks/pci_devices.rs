//! `pci_devices`: counts PCI devices with a configured alias into capabilities.

use inspector_config::HookOptions;
use serde_json::{Value, json};

use crate::data::IntrospectionData;
use crate::error::HookError;
use crate::node::NodeView;
use crate::set::ProcessingHook;

/// The `pci_devices` hook.
#[derive(Debug)]
pub(crate) struct PciDevices {
    /// (vendor_id, product_id) → alias name; later entries win.
    aliases: Vec<((String, String), String)>,
}

impl PciDevices {
    pub(crate) fn new(options: &HookOptions) -> Self {
        let mut aliases: Vec<((String, String), String)> = Vec::new();
        for text in &options.pci_devices.alias {
            let parsed: Option<((String, String), String)> =
                serde_json::from_str::<Value>(text).ok().and_then(|value| {
                    let object = value.as_object()?;
                    let keys: std::collections::BTreeSet<&str> =
                        object.keys().map(String::as_str).collect();
                    if keys != ["name", "product_id", "vendor_id"].into_iter().collect() {
                        return None;
                    }
                    let text = |key: &str| object.get(key)?.as_str().map(str::to_owned);
                    Some(((text("vendor_id")?, text("product_id")?), text("name")?))
                });
            match parsed {
                Some((ids, name)) => {
                    aliases.retain(|(existing, _)| *existing != ids);
                    aliases.push((ids, name));
                }
                None => tracing::error!(alias = %text, "ignoring an invalid [pci_devices] alias"),
            }
        }
        Self { aliases }
    }
}

impl ProcessingHook for PciDevices {
    fn name(&self) -> &'static str {
        "pci_devices"
    }

    fn before_update(
        &self,
        data: &mut IntrospectionData,
        node: &mut NodeView,
    ) -> Result<(), HookError> {
        let Some(devices) = data.get("pci_devices") else {
            if !self.aliases.is_empty() {
                tracing::warn!("no PCI devices information was received from the ramdisk");
            }
            return Ok(());
        };
        // Counts per id pair, in the order pairs are first seen.
        let mut counts: Vec<((String, String), i64)> = Vec::new();
        for device in devices.as_array().into_iter().flatten() {
            let field = |key: &str| device.get(key).and_then(Value::as_str).map(str::to_owned);
            let (Some(vendor), Some(product)) = (field("vendor_id"), field("product_id")) else {
                continue;
            };
            let ids = (vendor, product);
            if !self.aliases.iter().any(|(known, _)| *known == ids) {
                continue;
            }
            match counts.iter_mut().find(|(seen, _)| *seen == ids) {
                Some(entry) => entry.1 += 1,
                None => counts.push((ids, 1)),
            }
        }
        let mut capabilities: Vec<(String, Value)> = Vec::new();
        for (ids, count) in counts {
            let name = self
                .aliases
                .iter()
                .find(|(known, _)| *known == ids)
                .map(|(_, n)| n.clone())
                .unwrap_or_default();
            match capabilities.iter_mut().find(|(n, _)| *n == name) {
                Some(entry) => entry.1 = json!(count),
                None => capabilities.push((name, json!(count))),
            }
        }
        if !capabilities.is_empty() {
            node.update_capabilities(capabilities)?;
        }
        Ok(())
    }
}
