//! The node cache's Ironic look-ups, answered through [`Ironic`].

use std::sync::Arc;

use async_trait::async_trait;
use inspector_ironic::{ErrorKind, Ironic, NewNode, NodeQuery};
use inspector_node_cache::{IronicError as LookupError, IronicNodes};
use inspector_types::NodeUuid;

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
        if found.len() > 1 {
            let list: Vec<String> = found.iter().map(|u| format!("'{u}'")).collect();
            let macs: Vec<String> = macs.iter().map(|m| format!("'{m}'")).collect();
            return Err(LookupError::BadRequest(format!(
                "MAC addresses [{}] correspond to more than one node: [{}]",
                macs.join(", "),
                list.join(", ")
            )));
        }
        Ok(found.pop())
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
        if found.len() > 1 {
            let list: Vec<String> = found.iter().map(|u| format!("'{u}'")).collect();
            let addresses: Vec<String> = addresses.iter().map(|a| format!("'{a}'")).collect();
            return Err(LookupError::BadRequest(format!(
                "BMC addresses [{}] correspond to more than one node: [{}]",
                addresses.join(", "),
                list.join(", ")
            )));
        }
        Ok(found.pop())
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
