//! The node cache's Ironic look-ups, answered through [`Ironic`].

use std::sync::Arc;

use async_trait::async_trait;
use inspector_ironic::{ErrorKind, Ironic, NewNode, NodeQuery};
use inspector_node_cache::{IronicError as LookupError, IronicNodes};
use inspector_types::{NodeUuid, python_repr};
use serde_json::json;

use crate::bmc;

/// [`IronicNodes`] over an [`Ironic`] client.
#[derive(Debug, Clone)]
pub struct IronicLookup {
    ironic: Arc<dyn Ironic>,
    bmc_fields: Vec<String>,
}

impl IronicLookup {
    /// Look-ups through `ironic`; `bmc_fields` are `[DEFAULT] ipmi_address_fields`.
    pub fn new(ironic: Arc<dyn Ironic>, bmc_fields: Vec<String>) -> Self {
        Self { ironic, bmc_fields }
    }
}

fn convert(error: inspector_ironic::IronicError) -> LookupError {
    match error.kind() {
        ErrorKind::NotFound => LookupError::NotFound(error.message().to_owned()),
        ErrorKind::BadRequest => LookupError::BadRequest(error.message().to_owned()),
        _ => LookupError::Other(error.message().to_owned()),
    }
}

/// The node `found` for `values`, none, or upstream's error naming both lists
/// when they lead to several nodes.
fn at_most_one(
    mut found: Vec<NodeUuid>,
    what: &str,
    values: &[String],
) -> Result<Option<NodeUuid>, LookupError> {
    if found.len() > 1 {
        let nodes: Vec<String> = found.iter().map(NodeUuid::to_string).collect();
        return Err(LookupError::BadRequest(format!(
            "{what} {} correspond to more than one node: {}",
            python_repr(&json!(values)),
            python_repr(&json!(nodes))
        )));
    }
    Ok(found.pop())
}

#[async_trait]
impl IronicNodes for IronicLookup {
    async fn node_uuid(&self, ident: &str) -> Result<NodeUuid, LookupError> {
        self.ironic
            .get_node(ident)
            .await
            .map(|node| node.uuid)
            .map_err(convert)
    }

    async fn node_by_macs(&self, macs: &[String]) -> Result<Option<NodeUuid>, LookupError> {
        let mut found: Vec<NodeUuid> = Vec::new();
        for mac in macs {
            if let Some(node) = self
                .ironic
                .find_port(mac)
                .await
                .map_err(convert)?
                .and_then(|port| port.node_uuid)
                && !found.contains(&node)
            {
                found.push(node);
            }
        }
        at_most_one(found, "MAC addresses", macs)
    }

    async fn node_by_bmc_addresses(
        &self,
        addresses: &[String],
    ) -> Result<Option<NodeUuid>, LookupError> {
        let query = NodeQuery {
            fields: vec!["driver_info".into()],
        };
        let nodes = self.ironic.list_nodes(&query).await.map_err(convert)?;
        let mut found = Vec::new();
        for node in nodes {
            let resolved = bmc::addresses(&node.driver_info, &self.bmc_fields).await;
            if resolved.iter().any(|a| addresses.contains(a)) {
                found.push(node.uuid);
            }
        }
        at_most_one(found, "BMC addresses", addresses)
    }

    async fn provision_state(&self, uuid: NodeUuid) -> Result<Option<String>, LookupError> {
        self.ironic
            .get_node(&uuid.to_string())
            .await
            .map(|n| n.provision_state)
            .map_err(convert)
    }

    async fn create_node(
        &self,
        driver: &str,
        fields: serde_json::Map<String, serde_json::Value>,
    ) -> Result<NodeUuid, LookupError> {
        let node = NewNode {
            driver: driver.to_owned(),
            fields,
        };
        self.ironic
            .create_node(&node)
            .await
            .map(|n| n.uuid)
            .map_err(convert)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_nodes_for_the_same_attributes_is_upstreams_error() {
        let a = NodeUuid::parse("0b4a3a8e-8c9e-4b8e-9d5e-4c3a5e2f1a01").unwrap();
        let b = NodeUuid::parse("0b4a3a8e-8c9e-4b8e-9d5e-4c3a5e2f1a02").unwrap();
        let macs = [
            "11:22:33:44:55:66".to_owned(),
            "66:55:44:33:22:11".to_owned(),
        ];
        match at_most_one(vec![a, b], "MAC addresses", &macs) {
            Err(LookupError::BadRequest(message)) => assert_eq!(
                message,
                "MAC addresses ['11:22:33:44:55:66', '66:55:44:33:22:11'] correspond to more than \
                 one node: ['0b4a3a8e-8c9e-4b8e-9d5e-4c3a5e2f1a01', '0b4a3a8e-8c9e-4b8e-9d5e-4c3a5e2f1a02']"
            ),
            other => panic!("expected a bad request, got {other:?}"),
        }
        assert_eq!(
            at_most_one(vec![a], "BMC addresses", &["10.0.0.1".to_owned()]).unwrap(),
            Some(a)
        );
        assert_eq!(at_most_one(vec![], "BMC addresses", &[]).unwrap(), None);
    }
}
