//! Ports of the fake: MAC uniqueness, node ownership, patches.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::patch;
use crate::state::{FakeError, FakeResult, IronicState, page};

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
        self.ports
            .iter()
            .any(|(uuid, port)| Some(*uuid) != except && port["address"].as_str() == Some(address))
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
        let mut port = json!({
            "uuid": uuid.to_string(),
            "address": address,
            "node_uuid": node.to_string(),
            "pxe_enabled": true,
            "extra": {},
            "local_link_connection": {},
            "physical_network": null,
            "portgroup_uuid": null,
            "is_smartnic": false,
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
        self.ports.insert(uuid, port.clone());
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
        // The node's UUID as text once, not once per port: fleets have thousands.
        let node = node
            .map(|ident| self.resolve(ident).map(|uuid| uuid.to_string()))
            .transpose()?;
        let address = address.map(str::to_ascii_lowercase);
        let selected = self
            .ports
            .iter()
            .filter(|(_, port)| {
                node.as_deref()
                    .is_none_or(|n| port["node_uuid"].as_str() == Some(n))
            })
            .filter(|(_, port)| {
                address
                    .as_deref()
                    .is_none_or(|a| port["address"].as_str() == Some(a))
            })
            .map(|(uuid, port)| (*uuid, port.clone()))
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
        self.ports.insert(uuid, patched.clone());
        Ok(patched)
    }

    /// Deletes a port.
    pub fn delete_port(&mut self, uuid: Uuid) -> FakeResult<()> {
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
}
