//! Matching ramdisk data to a record, and records made for nodes that were
//! not under introspection (active nodes, discovered nodes).

use std::collections::BTreeMap;

use diesel::prelude::*;
use inspector_fsm::initial;
use tracing::{debug, error, info};

use super::rows;
use super::{BMC_ADDRESS, MAC, NodeCache, NodeInfo};
use crate::error::{Error, Result};
use crate::ironic::{IronicError, IronicNodes};
use crate::pyrepr;
use crate::schema::attributes;

/// What ramdisk data tells about the node that sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LookupQuery {
    /// BMC addresses (v4 and v6), empty entries ignored.
    pub bmc_addresses: Vec<String>,
    /// MAC addresses of the node's interfaces.
    pub macs: Vec<String>,
}

impl LookupQuery {
    /// The attributes in look-up order (names sorted), empty values dropped.
    fn attributes(&self) -> [(&'static str, Vec<String>); 2] {
        let clean = |values: &[String]| values.iter().filter(|v| !v.is_empty()).cloned().collect();
        [
            (BMC_ADDRESS, clean(&self.bmc_addresses)),
            (MAC, clean(&self.macs)),
        ]
    }

    /// The attributes as upstream prints them: `{'bmc_address': [...], 'mac': [...]}`.
    fn describe(&self) -> String {
        pyrepr::dict_of_lists(&[(BMC_ADDRESS, &self.bmc_addresses), (MAC, &self.macs)])
    }
}

impl NodeCache {
    /// Finds the record that best matches `query` and returns it locked.
    ///
    /// Each attribute row matching one of the values adds one to its record's
    /// score; the single highest score wins. Errors: no match
    /// ([`Error::NotFoundInCache`]), a tie ([`Error::Ambiguous`]), the record
    /// gone ([`Error::NotOnIntrospection`]) or already finished
    /// ([`Error::AlreadyFinished`]). The lock is taken (blocking) before the
    /// record is checked, and released on any error.
    #[tracing::instrument(skip_all)]
    pub async fn find_node(&self, query: &LookupQuery) -> Result<NodeInfo> {
        let attributes = query.attributes();
        let matches: Vec<(String, Option<String>, Option<String>)> = self
            .db
            .read_by_key(move |conn| {
                let mut found = Vec::new();
                for (name, values) in &attributes {
                    if values.is_empty() {
                        debug!(%name, "empty value for attribute");
                        continue;
                    }
                    let rows: Vec<(String, Option<String>, Option<String>)> = attributes::table
                        .filter(attributes::name.eq(*name))
                        .filter(attributes::value.eq_any(values))
                        .select((attributes::name, attributes::value, attributes::node_uuid))
                        .load(conn)?;
                    found.extend(rows);
                }
                Ok(found)
            })
            .await?;
        let mut scores: BTreeMap<&str, usize> = BTreeMap::new();
        for uuid in matches.iter().filter_map(|(_, _, uuid)| uuid.as_deref()) {
            *scores.entry(uuid).or_default() += 1;
        }
        let Some(best) = scores.values().copied().max() else {
            return Err(Error::NotFoundInCache(format!(
                "Could not find a node for attributes {}",
                query.describe()
            )));
        };
        let winners: Vec<String> = scores
            .into_iter()
            .filter(|(_, s)| *s == best)
            .map(|(u, _)| u.to_owned())
            .collect();
        if winners.len() > 1 {
            return Err(Error::Ambiguous {
                attributes: query.describe(),
                candidates: pyrepr::list(&winners),
            });
        }
        let matched_by: Vec<(String, String)> = matches
            .into_iter()
            .filter(|(_, _, uuid)| uuid.as_deref() == Some(winners[0].as_str()))
            .map(|(name, value, _)| (name, value.unwrap_or_default()))
            .collect();
        let uuid = rows::stored_uuid(&winners[0])?;
        debug!(node = %uuid, score = best, "record matches the data");
        let lock = self.locks.lock(uuid).await?;
        let row = self
            .db
            .read_by_key(move |conn| rows::find_node(conn, uuid))
            .await?;
        let mut node = NodeInfo::from_row(row.ok_or(Error::NotOnIntrospection(uuid))?)?;
        if let Some(finished_at) = node.finished_at {
            return Err(Error::AlreadyFinished {
                uuid,
                finished_at: pyrepr::datetime(&finished_at),
            });
        }
        node.lock = Some(lock);
        node.matched_by = matched_by;
        Ok(node)
    }

    /// Creates a `waiting` record (boot not managed) for data from a node that
    /// Ironic knows as `active` or `rescue` but that is not under
    /// introspection (`[processing] permit_active_introspection`).
    #[tracing::instrument(skip_all)]
    pub async fn record_node(
        &self,
        query: &LookupQuery,
        ironic: &dyn IronicNodes,
    ) -> Result<NodeInfo> {
        let [(_, bmc_addresses), (_, macs)] = query.attributes();
        if bmc_addresses.is_empty() && macs.is_empty() {
            return Err(Error::NotFoundInCache(
                "Existing node cannot be found since neither MAC addresses nor BMC addresses are present in the inventory"
                    .to_owned(),
            ));
        }
        let by_mac = match macs.is_empty() {
            true => None,
            false => ironic.node_by_macs(&macs).await.map_err(ironic_error)?,
        };
        let by_bmc = match bmc_addresses.is_empty() {
            true => None,
            false => ironic
                .node_by_bmc_addresses(&bmc_addresses)
                .await
                .map_err(ironic_error)?,
        };
        let uuid = match (by_mac, by_bmc) {
            (Some(a), Some(b)) if a != b => {
                return Err(Error::InvalidRequest(format!(
                    "MAC addresses {} and BMC addresses {} correspond to different nodes: {a} and {b}",
                    pyrepr::list(&macs),
                    pyrepr::list(&bmc_addresses)
                )));
            }
            (Some(uuid), _) | (None, Some(uuid)) => uuid,
            (None, None) => {
                let or_none = |values: &[String]| match values.is_empty() {
                    true => "None".to_owned(),
                    false => pyrepr::list(values),
                };
                return Err(Error::NotFoundInCache(format!(
                    "Existing node was not found by MAC address(es) {} and BMC address(es) {}",
                    or_none(&macs),
                    or_none(&bmc_addresses)
                )));
            }
        };
        let state = ironic.provision_state(uuid).await.map_err(ironic_error)?;
        if !matches!(state.as_deref(), Some("active" | "rescue")) {
            let shown = state.unwrap_or_else(|| "None".to_owned());
            return Err(Error::InvalidRequest(format!(
                "Node {uuid} is not active, its provision state is {shown}"
            )));
        }
        self.add_node(
            uuid,
            initial::ACTIVE_NODE,
            false,
            &[(MAC, macs), (BMC_ADDRESS, bmc_addresses)],
        )
        .await
    }

    /// Creates a node in Ironic and an `enrolling` record for it (discovery).
    /// An Ironic failure is logged and gives `None`.
    #[tracing::instrument(skip_all, fields(%driver))]
    pub async fn create_node(
        &self,
        driver: &str,
        fields: serde_json::Map<String, serde_json::Value>,
        ironic: &dyn IronicNodes,
    ) -> Result<Option<NodeInfo>> {
        let uuid = match ironic.create_node(driver, fields).await {
            Ok(uuid) => uuid,
            Err(failure) => {
                error!(error = %failure, "Failed to create new node: {failure}");
                return Ok(None);
            }
        };
        info!(node = %uuid, "Node {uuid} was created successfully");
        self.add_node(uuid, initial::DISCOVERED, true, &[])
            .await
            .map(Some)
    }
}

fn ironic_error(error: IronicError) -> Error {
    match error {
        IronicError::BadRequest(message) => Error::InvalidRequest(message),
        IronicError::NotFound(message) | IronicError::Other(message) => Error::Ironic(message),
    }
}
