//! Ports of the fake: MAC uniqueness, node ownership, patches.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::patch;
use crate::state::{FakeError, FakeResult, IronicState, now, page};

fn port_not_found(ident: &str) -> FakeError {
    FakeError::new(404, format!("Port {ident} could not be found."))
}

fn duplicate_mac(address: &str) -> FakeError {
    FakeError::new(
        409,
        format!("A port with MAC address {address} already exists."),
    )
}

fn normalise_mac(address: &str) -> FakeResult<String> {
    let lower = address.to_ascii_lowercase();
    let parts: Vec<&str> = lower.split(':').collect();
    let valid = (parts.len() == 6 || parts.len() == 20)
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()));
    if valid {
        Ok(lower)
    } else {
        Err(FakeError::bad_request(format!(
            "Expected a MAC address but received {address}."
        )))
    }
}

impl IronicState {
    /// A port document.
    pub fn port(&self, uuid: Uuid) -> FakeResult<&Value> {
        self.ports
            .get(&uuid)
            .ok_or_else(|| port_not_found(&uuid.to_string()))
    }

    /// Every port document.
    pub fn ports(&self) -> impl Iterator<Item = &Value> {
        self.ports.values()
    }

    fn address_taken(&self, address: &str, except: Option<Uuid>) -> bool {
        self.port_by_address
            .get(address)
            .is_some_and(|owner| Some(*owner) != except)
    }

    /// Stores a port document and indexes it by address and node, replacing
    /// the indexes of its earlier version.
    fn store_port(&mut self, uuid: Uuid, port: Value) {
        self.unindex_port(uuid);
        if let Some(address) = port["address"].as_str() {
            self.port_by_address.insert(address.to_owned(), uuid);
        }
        if let Some(node) = port["node_uuid"]
            .as_str()
            .and_then(|n| Uuid::parse_str(n).ok())
        {
            self.ports_by_node.entry(node).or_default().insert(uuid);
        }
        self.ports.insert(uuid, port);
    }

    fn unindex_port(&mut self, uuid: Uuid) {
        let Some(old) = self.ports.get(&uuid) else {
            return;
        };
        if let Some(address) = old["address"].as_str() {
            self.port_by_address.remove(address);
        }
        if let Some(node) = old["node_uuid"]
            .as_str()
            .and_then(|n| Uuid::parse_str(n).ok())
            && let Some(ports) = self.ports_by_node.get_mut(&node)
        {
            ports.remove(&uuid);
            if ports.is_empty() {
                self.ports_by_node.remove(&node);
            }
        }
    }

    /// Creates a port from a `POST /v1/ports` body.
    pub fn create_port(&mut self, body: &Value) -> FakeResult<Value> {
        let node_ident = body["node_uuid"]
            .as_str()
            .ok_or_else(|| FakeError::bad_request("Mandatory field missing: node_uuid"))?;
        let node = self.resolve(node_ident).map_err(|_| {
            FakeError::bad_request(format!("Node {node_ident} could not be found."))
        })?;
        let address = normalise_mac(body["address"].as_str().unwrap_or_default())?;
        if self.address_taken(&address, None) {
            return Err(duplicate_mac(&address));
        }
        let uuid = Uuid::new_v4();
        // Every field Ironic's API returns for a port (1.89).
        let mut port = json!({
            "uuid": uuid.to_string(),
            "address": address,
            "node_uuid": node.to_string(),
            "pxe_enabled": true,
            "extra": {},
            "internal_info": {},
            "local_link_connection": {},
            "physical_network": null,
            "portgroup_uuid": null,
            "is_smartnic": false,
            "name": null,
            "description": null,
            "category": null,
            "vendor": null,
            "created_at": now(),
            "updated_at": null,
            "links": self.links("ports", uuid),
        });
        for key in [
            "extra",
            "pxe_enabled",
            "local_link_connection",
            "physical_network",
        ] {
            if let Some(value) = body.get(key) {
                port[key] = value.clone();
            }
        }
        self.store_port(uuid, port.clone());
        Ok(port)
    }

    /// Lists ports in UUID order, optionally of one node or with one address.
    pub(crate) fn list_ports(
        &self,
        node: Option<&str>,
        address: Option<&str>,
        marker: Option<&str>,
        limit: usize,
    ) -> FakeResult<(Vec<Value>, Option<String>)> {
        // Through the indexes: a fleet has thousands of ports.
        let node = node.map(|ident| self.resolve(ident)).transpose()?;
        let address = address.map(str::to_ascii_lowercase);
        let candidates: Box<dyn Iterator<Item = Uuid> + '_> = match (&address, node) {
            (Some(address), _) => Box::new(self.port_by_address.get(address).copied().into_iter()),
            (None, Some(node)) => {
                Box::new(self.ports_by_node.get(&node).into_iter().flatten().copied())
            }
            (None, None) => Box::new(self.ports.keys().copied()),
        };
        let node = node.map(|uuid| uuid.to_string());
        let selected = candidates
            .filter_map(|uuid| self.ports.get(&uuid).map(|port| (uuid, port)))
            .filter(|(_, port)| {
                node.as_deref()
                    .is_none_or(|n| port["node_uuid"].as_str() == Some(n))
            })
            .map(|(uuid, port)| (uuid, port.clone()))
            .collect();
        page(&selected, marker, limit, "port")
    }

    /// Applies a JSON patch to a port.
    pub fn patch_port(&mut self, uuid: Uuid, patch: &Value) -> FakeResult<Value> {
        let mut patched = self.port(uuid)?.clone();
        patch::apply(&mut patched, patch)?;
        let address = normalise_mac(patched["address"].as_str().unwrap_or_default())?;
        if self.address_taken(&address, Some(uuid)) {
            return Err(duplicate_mac(&address));
        }
        patched["address"] = json!(address);
        patched["updated_at"] = json!(now());
        self.store_port(uuid, patched.clone());
        Ok(patched)
    }

    /// Deletes a port.
    pub fn delete_port(&mut self, uuid: Uuid) -> FakeResult<()> {
        self.unindex_port(uuid);
        self.ports
            .remove(&uuid)
            .map(drop)
            .ok_or_else(|| port_not_found(&uuid.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_are_unique_and_normalised() {
        let mut state = IronicState::default();
        let node = state
            .create_node(&json!({"driver": "fake-hardware"}))
            .unwrap();
        let node = node["uuid"].as_str().unwrap();
        let port = state
            .create_port(&json!({"node_uuid": node, "address": "AA:BB:CC:DD:EE:FF"}))
            .unwrap();
        assert_eq!(port["address"], "aa:bb:cc:dd:ee:ff");
        assert_eq!(port["pxe_enabled"], true);
        let error = state
            .create_port(&json!({"node_uuid": node, "address": "aa:bb:cc:dd:ee:ff"}))
            .unwrap_err();
        assert_eq!(
            (error.status, error.message.as_str()),
            (
                409,
                "A port with MAC address aa:bb:cc:dd:ee:ff already exists."
            )
        );
        let error = state
            .create_port(&json!({"node_uuid": node, "address": "not-a-mac"}))
            .unwrap_err();
        assert_eq!(error.status, 400);
        let error = state
            .create_port(
                &json!({"node_uuid": Uuid::new_v4().to_string(), "address": "aa:bb:cc:dd:ee:00"}),
            )
            .unwrap_err();
        assert_eq!(error.status, 400);
    }

    #[test]
    fn listings_follow_patches_and_deletions() {
        let mut state = IronicState::default();
        let mut node = || {
            let node = state
                .create_node(&json!({"driver": "fake-hardware"}))
                .unwrap();
            node["uuid"].as_str().unwrap().to_owned()
        };
        let (first, second) = (node(), node());
        let port = state
            .create_port(&json!({"node_uuid": first, "address": "aa:bb:cc:dd:ee:01"}))
            .unwrap();
        let port = Uuid::parse_str(port["uuid"].as_str().unwrap()).unwrap();
        let listed = |state: &IronicState, node: Option<&str>, address: Option<&str>| {
            let (ports, _) = state.list_ports(node, address, None, 10).unwrap();
            ports.len()
        };
        assert_eq!(listed(&state, Some(&first), None), 1);
        state
            .patch_port(
                port,
                &json!([
                    {"op": "replace", "path": "/node_uuid", "value": second},
                    {"op": "replace", "path": "/address", "value": "AA:BB:CC:DD:EE:02"},
                ]),
            )
            .unwrap();
        assert_eq!(listed(&state, Some(&first), None), 0);
        assert_eq!(listed(&state, Some(&second), None), 1);
        assert_eq!(listed(&state, None, Some("aa:bb:cc:dd:ee:01")), 0);
        assert_eq!(listed(&state, Some(&second), Some("aa:bb:cc:dd:ee:02")), 1);
        assert_eq!(listed(&state, Some(&first), Some("aa:bb:cc:dd:ee:02")), 0);
        // The old address is free again, the new one taken.
        state
            .create_port(&json!({"node_uuid": first, "address": "aa:bb:cc:dd:ee:01"}))
            .unwrap();
        let taken = state
            .create_port(&json!({"node_uuid": first, "address": "aa:bb:cc:dd:ee:02"}))
            .unwrap_err();
        assert_eq!(taken.status, 409);
        state.delete_port(port).unwrap();
        assert_eq!(listed(&state, Some(&second), None), 0);
        assert_eq!(listed(&state, None, None), 1);
        state
            .create_port(&json!({"node_uuid": second, "address": "aa:bb:cc:dd:ee:02"}))
            .unwrap();
    }

    #[test]
    fn ports_carry_every_field_of_ironics_api() {
        let mut state = IronicState {
            public_url: "http://192.0.2.1:6385".into(),
            ..IronicState::default()
        };
        let node = state
            .create_node(&json!({"driver": "fake-hardware"}))
            .unwrap();
        let port = state
            .create_port(&json!({"node_uuid": node["uuid"], "address": "aa:bb:cc:dd:ee:01"}))
            .unwrap();
        assert_eq!(port.as_object().unwrap().len(), 17, "{port}");
        assert_eq!(
            port["links"][0]["href"],
            format!(
                "http://192.0.2.1:6385/v1/ports/{}",
                port["uuid"].as_str().unwrap()
            )
        );
        assert_eq!(node.as_object().unwrap().len(), 66, "{node}");
        assert_eq!(
            node["ports"][1]["href"],
            format!(
                "http://192.0.2.1:6385/nodes/{}/ports",
                node["uuid"].as_str().unwrap()
            )
        );
    }
}
