//! `validate_interfaces`: which interfaces the node has, which become ports,
//! which existing ports survive, and `pxe_enabled` on them.

use std::net::IpAddr;

use inspector_config::{AddPorts, HookOptions, KeepPorts};
use serde_json::{Map, Value, json};

use crate::data::{IntrospectionData, bmc_addresses, inventory, is_valid_mac, pxe_mac};
use crate::error::HookError;
use crate::node::{CreatePort, NodeView};
use crate::set::ProcessingHook;
use inspector_types::python_repr;

/// The `validate_interfaces` hook.
#[derive(Debug)]
pub(crate) struct ValidateInterfaces {
    add_ports: AddPorts,
    keep_ports: KeepPorts,
    overwrite_existing: bool,
    update_pxe_enabled: bool,
}

impl ValidateInterfaces {
    pub(crate) fn new(options: &HookOptions) -> Result<Self, HookError> {
        if options.processing.add_ports == AddPorts::Disabled
            && options.processing.keep_ports == KeepPorts::Added
        {
            return Err(HookError::error(
                "Configuration error: add_ports set to disabled and keep_ports set to added. Please change keep_ports to all.",
            ));
        }
        Ok(Self {
            add_ports: options.processing.add_ports,
            keep_ports: options.processing.keep_ports,
            overwrite_existing: options.processing.overwrite_existing,
            update_pxe_enabled: options.processing.update_pxe_enabled,
        })
    }

    /// `all_interfaces`: every named interface with a valid MAC.
    fn all_interfaces(
        data: &mut IntrospectionData,
        pxe: Option<&str>,
    ) -> Result<Map<String, Value>, HookError> {
        let inventory = inventory(data)?;
        let mut all = Map::new();
        for record in inventory
            .get("interfaces")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = record.get("name").and_then(Value::as_str) else {
                tracing::error!(interface = %record, "an interface without a name was skipped");
                continue;
            };
            let Some(mac) = record
                .get("mac_address")
                .and_then(Value::as_str)
                .filter(|m| !m.is_empty())
            else {
                tracing::debug!(interface = name, "skipping an interface without a MAC");
                continue;
            };
            if !is_valid_mac(mac) {
                tracing::warn!(interface = name, %mac, "skipping an interface with an invalid MAC");
                continue;
            }
            let mac = mac.to_ascii_lowercase();
            let text = |key: &str| {
                record
                    .get(key)
                    .and_then(Value::as_str)
                    .filter(|v| !v.is_empty())
            };
            let ip = text("ipv4_address").map(str::to_owned).or_else(|| {
                text("ipv6_address").map(|v| v.split('%').next().unwrap_or(v).to_owned())
            });
            let client_id = record
                .get("client_id")
                .cloned()
                .filter(|v| !v.is_null())
                .unwrap_or(Value::Null);
            let is_pxe = pxe == Some(mac.as_str());
            all.insert(
                name.to_owned(),
                json!({"ip": ip, "mac": mac, "client_id": client_id, "pxe": is_pxe}),
            );
        }
        Ok(all)
    }

    fn is_loopback(name: &str, ip: Option<&str>) -> Result<bool, HookError> {
        if name == "lo" {
            return Ok(true);
        }
        match ip {
            None => Ok(false),
            Some(text) => text
                .parse::<IpAddr>()
                .map(|ip| ip.is_loopback())
                .map_err(|_| {
                    HookError::unexpected(
                        "ValueError",
                        format!("'{text}' does not appear to be an IPv4 or IPv6 address"),
                    )
                }),
        }
    }
}

impl ProcessingHook for ValidateInterfaces {
    fn name(&self) -> &'static str {
        "validate_interfaces"
    }

    fn before_processing(&self, data: &mut IntrospectionData) -> Result<(), HookError> {
        let (v4, v6) = bmc_addresses(data);
        data.insert("ipmi_address".into(), json!(v4));
        data.insert("ipmi_v6address".into(), json!(v6));
        let pxe = pxe_mac(data);
        let all = Self::all_interfaces(data, pxe.as_deref())?;
        if all.is_empty() {
            return Err(HookError::error("No interfaces supplied by the ramdisk"));
        }
        if pxe.is_none() && self.add_ports == AddPorts::Pxe {
            tracing::warn!(
                "no boot interface provided in the introspection data, will add all ports with IP addresses"
            );
        }
        let mut selected = Map::new();
        for (name, record) in &all {
            let ip = record["ip"].as_str();
            if Self::is_loopback(name, ip)? {
                continue;
            }
            if self.add_ports == AddPorts::Pxe && pxe.is_some() && record["pxe"] != json!(true) {
                continue;
            }
            if self.add_ports != AddPorts::All && ip.is_none() {
                continue;
            }
            selected.insert(name.clone(), record.clone());
        }
        if selected.is_empty() {
            return Err(HookError::error(format!(
                "No suitable interfaces found in {}",
                python_repr(&Value::Object(all))
            )));
        }
        let macs: Vec<Value> = selected.values().map(|r| r["mac"].clone()).collect();
        data.insert("all_interfaces".into(), Value::Object(all));
        data.insert("interfaces".into(), Value::Object(selected));
        data.insert("macs".into(), Value::Array(macs));
        Ok(())
    }

    fn before_update(
        &self,
        data: &mut IntrospectionData,
        node: &mut NodeView,
    ) -> Result<(), HookError> {
        let interfaces: Vec<Value> = data
            .get("interfaces")
            .and_then(Value::as_object)
            .map(|map| map.values().cloned().collect())
            .unwrap_or_default();
        // Without a PXE MAC (UEFI/grub boots pass no BOOTIF) every interface
        // reads `pxe: false`; trusting that would turn PXE off on every port.
        let pxe_known = pxe_mac(data).is_some();
        let update_pxe_enabled = self.update_pxe_enabled && pxe_known;
        if self.update_pxe_enabled && !pxe_known {
            tracing::warn!(
                "the ramdisk reported no boot interface, pxe_enabled is left as it is on the ports"
            );
        }
        if self.add_ports != AddPorts::Disabled {
            let ports = interfaces
                .iter()
                .filter_map(|record| {
                    let address = record["mac"].as_str()?.to_owned();
                    let client_id = record["client_id"]
                        .as_str()
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned);
                    let pxe = record.get("pxe").and_then(Value::as_bool).unwrap_or(true);
                    Some(CreatePort {
                        address,
                        client_id,
                        pxe_enabled: if update_pxe_enabled { pxe } else { true },
                    })
                })
                .collect();
            node.create_ports(ports);
        }
        let expected: Vec<String> = match self.keep_ports {
            KeepPorts::Present => crate::data::valid_macs(data),
            KeepPorts::Added => data
                .get("macs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect(),
            KeepPorts::All => Vec::new(),
        };
        if matches!(node.provision_state.as_deref(), Some("active" | "rescue")) {
            tracing::debug!("the node is active, not deleting ports nor changing pxe_enabled");
            return Ok(());
        }
        if self.keep_ports != KeepPorts::All {
            let stale: Vec<String> = node
                .ports
                .iter()
                .filter(|port| !expected.contains(&port.address))
                .map(|port| port.address.clone())
                .collect();
            for address in stale {
                tracing::warn!(%address, "deleting a port that the ramdisk did not report");
                node.delete_port(&address);
            }
        }
        if self.overwrite_existing && update_pxe_enabled {
            for record in &interfaces {
                let (Some(mac), Some(pxe)) = (
                    record["mac"].as_str(),
                    record.get("pxe").and_then(Value::as_bool),
                ) else {
                    continue;
                };
                if node.port(mac).is_some_and(|port| port.pxe_enabled != pxe) {
                    node.patch_port(
                        mac,
                        vec![json!({"op": "replace", "path": "/pxe_enabled", "value": pxe})],
                    );
                }
            }
        }
        Ok(())
    }
}
