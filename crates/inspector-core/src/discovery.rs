//! Discovery (`[processing] node_not_found_hook = enroll`, spec §2.15): data
//! from a machine Ironic does not know creates the node in Ironic and an
//! `enrolling` record, and processing continues with it.

use inspector_hooks::{IntrospectionData, bmc_addresses, valid_macs};
use inspector_node_cache::{IronicNodes, LookupQuery, NodeInfo, NodeUuid};
use serde_json::{Map, Value, json};
use tracing::{info, warn};

use crate::conductor::Conductor;
use crate::error::Result;

/// The lock that serialises discoveries: two payloads of one unknown machine
/// must not create two nodes. Behind the node-lock seam, so a database-backed
/// lock serialises them across processes too.
const DISCOVERY_LOCK: NodeUuid = NodeUuid::from_uuid(uuid::Uuid::from_u128(
    0x6469_7363_6f76_6572_792d_6c6f_636b_0001,
));

impl Conductor {
    /// Runs the `enroll` hook: the record of the created node (locked), or
    /// why it could not be created.
    pub(crate) async fn enroll(
        &self,
        data: &mut IntrospectionData,
        query: &LookupQuery,
    ) -> Result<std::result::Result<NodeInfo, String>> {
        let _discovery = self
            .cache()
            .locks()
            .lock(DISCOVERY_LOCK)
            .await
            .map_err(inspector_node_cache::Error::from)?;
        // A discovery of the same machine that finished while this one waited
        // left a record with its lookup attributes: process with that one.
        if let Ok(record) = self.cache().find_node(query).await {
            info!(node = %record.uuid, "the machine was enrolled by a concurrent discovery");
            return Ok(Ok(record));
        }
        let options = &self.parts().options.discovery;
        let (v4, v6) = bmc_addresses(data);
        let address = options
            .enabled_bmc_address_version
            .iter()
            .find_map(|version| match version.as_str() {
                "4" => v4.clone(),
                _ => v6.clone(),
            });
        let mut fields: Map<String, Value> = options
            .enroll_node_fields
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let driver_info = match &address {
            Some(address) => json!({"ipmi_address": address}),
            None => {
                warn!("no BMC address in the data; the new node gets an empty driver_info");
                json!({})
            }
        };
        fields.insert("driver_info".into(), driver_info);

        let macs = valid_macs(data);
        if macs.is_empty() {
            warn!("no valid MAC address in the data");
        }
        for mac in &macs {
            match self.ironic().find_port(mac).await {
                Ok(Some(port)) => {
                    return Ok(Err(format!(
                        "Port {mac} already exists, uuid: {}",
                        port.uuid
                    )));
                }
                Ok(None) => {}
                Err(error) => return Ok(Err(error.to_string())),
            }
        }
        if let Some(address) = &address {
            match self
                .inner
                .lookup
                .node_by_bmc_addresses(std::slice::from_ref(address))
                .await
            {
                Ok(Some(node)) => {
                    return Ok(Err(format!(
                        "Node {node} already has BMC address {address}"
                    )));
                }
                Ok(None) => {}
                Err(error) => return Ok(Err(error.to_string())),
            }
        }

        data.insert("auto_discovered".into(), Value::Bool(true));
        let Some(record) = self
            .cache()
            .create_node(&options.enroll_node_driver, fields, &self.inner.lookup)
            .await?
        else {
            return Ok(Err(String::new()));
        };
        // Lookup attributes let a concurrent post of the same machine find
        // this record instead of enrolling the machine again; finishing the
        // introspection removes them, as for every record.
        for (name, values) in [
            ("bmc_address", query.bmc_addresses.clone()),
            ("mac", query.macs.clone()),
        ] {
            self.cache()
                .add_attribute(record.uuid, name, values)
                .await?;
        }
        info!(node = %record.uuid, "unknown machine enrolled");
        Ok(Ok(record))
    }
}
