//! `physnet_cidr_map`: a port's `physical_network` from the subnet of its
//! interface's address (`[port_physnet] cidr_map = <cidr>:<physnet>,...`).

use std::net::IpAddr;

use inspector_config::HookOptions;
use ipnet::IpNet;
use serde_json::{Value, json};

use crate::data::{IntrospectionData, kept_interfaces};
use crate::error::HookError;
use crate::node::NodeView;
use crate::set::ProcessingHook;

/// The `physnet_cidr_map` hook.
#[derive(Debug)]
pub(crate) struct PhysnetCidrMap {
    map: Vec<(IpNet, String)>,
    overwrite_existing: bool,
}

impl PhysnetCidrMap {
    /// Parses the map; an item that is not `<cidr>:<physnet>` with a strict
    /// CIDR (no host bits) refuses to load.
    pub(crate) fn new(options: &HookOptions) -> Result<Self, HookError> {
        let map = options
            .port_physnet
            .cidr_map
            .iter()
            .map(|item| {
                let invalid = || {
                    HookError::error(format!(
                        "[port_physnet] cidr_map: {item:?} is not <cidr>:<physical network>"
                    ))
                };
                let (cidr, physnet) = item.rsplit_once(':').ok_or_else(invalid)?;
                let net: IpNet = cidr.trim().parse().map_err(|_| invalid())?;
                if net.trunc() != net {
                    return Err(HookError::error(format!(
                        "[port_physnet] cidr_map: {cidr} has host bits set"
                    )));
                }
                Ok((net, physnet.trim().to_owned()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            map,
            overwrite_existing: options.processing.overwrite_existing,
        })
    }

    /// The physnet of the interface's first address (IPv4, else IPv6).
    fn physnet(&self, interface: &Value) -> Option<&str> {
        let address: IpAddr = ["ipv4_address", "ipv6_address"]
            .iter()
            .filter_map(|key| interface.get(*key)?.as_str())
            .find_map(|text| text.split('%').next()?.trim().parse().ok())?;
        self.map
            .iter()
            .find(|(net, _)| net.contains(&address))
            .map(|(_, physnet)| physnet.as_str())
    }
}

impl ProcessingHook for PhysnetCidrMap {
    fn name(&self) -> &'static str {
        "physnet_cidr_map"
    }

    fn before_update(
        &self,
        data: &mut IntrospectionData,
        node: &mut NodeView,
    ) -> Result<(), HookError> {
        for interface in kept_interfaces(data)? {
            let Some(port) = node.port(&interface.mac) else {
                continue;
            };
            let Some(physnet) = self.physnet(&interface.record) else {
                continue;
            };
            // Upstream quirk kept: without overwrite_existing no port is touched.
            if !self.overwrite_existing || port.physical_network.as_deref() == Some(physnet) {
                continue;
            }
            let patch = vec![json!({"op": "add", "path": "/physical_network", "value": physnet})];
            node.patch_port_optional(&interface.mac, patch);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use inspector_types::NodeUuid;
    use serde_json::Map;

    use super::*;
    use crate::node::PortView;

    fn hook(map: &[&str], overwrite_existing: bool) -> Result<PhysnetCidrMap, HookError> {
        let mut options = HookOptions::default();
        options.port_physnet.cidr_map = map.iter().map(|s| (*s).to_owned()).collect();
        options.processing.overwrite_existing = overwrite_existing;
        PhysnetCidrMap::new(&options)
    }

    fn port(mac: &str, physnet: Option<&str>) -> PortView {
        PortView {
            uuid: Some(uuid::Uuid::new_v4()),
            address: mac.into(),
            pxe_enabled: true,
            physical_network: physnet.map(str::to_owned),
            ..PortView::default()
        }
    }

    fn run(hook: &PhysnetCidrMap) -> Vec<(String, Vec<Value>)> {
        let mut data: IntrospectionData = json!({
            "inventory": {"interfaces": [
                {"name": "em1", "mac_address": "52:54:00:00:00:01", "ipv4_address": "10.10.10.5"},
                {"name": "em2", "mac_address": "52:54:00:00:00:02", "ipv4_address": "192.168.1.5", "ipv6_address": "2001:db8::5"},
                {"name": "em3", "mac_address": "52:54:00:00:00:03", "ipv6_address": "2001:db8::7%eth0"},
                {"name": "em4", "mac_address": "52:54:00:00:00:04", "ipv4_address": "10.1.1.1"}],
              "disks": [{"name": "/dev/sda"}]},
            "all_interfaces": {"em1": {}, "em2": {}, "em3": {}}
        })
        .as_object()
        .cloned()
        .unwrap_or_default();
        let mut node = NodeView::new(
            NodeUuid::new_random(),
            None,
            Map::new(),
            vec![
                port("52:54:00:00:00:01", None),
                port("52:54:00:00:00:02", None),
                port("52:54:00:00:00:03", Some("physnet_b")),
                port("52:54:00:00:00:04", None),
            ],
        );
        hook.before_update(&mut data, &mut node).expect("runs");
        node.changes()
            .optional_port_patches
            .iter()
            .map(|(_, mac, patch)| (mac.clone(), patch.clone()))
            .collect()
    }

    #[test]
    fn the_reference_example() {
        let hook = hook(
            &[
                "10.10.10.0/24:physnet_a",
                "2001:db8::/64:physnet_b",
                "10.0.0.0/8:physnet_c",
            ],
            true,
        )
        .expect("loads");
        assert_eq!(
            run(&hook),
            vec![(
                "52:54:00:00:00:01".to_owned(),
                vec![json!({"op": "add", "path": "/physical_network", "value": "physnet_a"})]
            )]
        );
    }

    #[test]
    fn without_overwrite_existing_nothing_is_patched() {
        let hook = hook(&["10.10.10.0/24:physnet_a"], false).expect("loads");
        assert!(run(&hook).is_empty());
    }

    #[test]
    fn invalid_maps_refuse_to_load() {
        assert!(hook(&["10.0.0.1/24:physnet"], true).is_err(), "host bits");
        assert!(hook(&["10.0.0.0/24"], true).is_err(), "no physnet");
        assert!(hook(&["nonsense:physnet"], true).is_err());
    }
}
