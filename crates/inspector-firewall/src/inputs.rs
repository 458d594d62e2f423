//! What a sync looks at (spec §4.3): Ironic's ports, the MACs under
//! introspection, whether any introspection is active, and the InfiniBand
//! mapping of ports with a `client-id`.

use std::collections::BTreeSet;

use regex::Regex;

/// One Ironic port as the filter sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMac {
    /// Its address.
    pub address: String,
    /// `extra.client-id` (InfiniBand), if any.
    pub client_id: Option<String>,
}

/// The inputs of one sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncInputs {
    /// Every Ironic port.
    pub ports: Vec<PortMac>,
    /// The `mac` lookup attributes of records under introspection.
    pub active_cache: BTreeSet<String>,
    /// Whether any record is unfinished.
    pub introspection_active: bool,
}

impl SyncInputs {
    /// Ironic ports under introspection (split on Ironic's address).
    pub fn active_ports(&self) -> impl Iterator<Item = &PortMac> {
        self.ports
            .iter()
            .filter(|p| self.active_cache.contains(&p.address))
    }

    /// Ironic ports not under introspection.
    pub fn inactive_ports(&self) -> impl Iterator<Item = &PortMac> {
        self.ports
            .iter()
            .filter(|p| !self.active_cache.contains(&p.address))
    }
}

/// The addresses to filter for `ports`, lower case: a port with an
/// InfiniBand `client-id` whose GUID appears in one of the `neighs` texts
/// (contents of `/sys/class/net/<iface>/eth/neighs`) is filtered by its
/// EMAC. Anything that is not a MAC address is left out (and logged): these
/// strings reach root commands and file names.
pub fn infiniband_macs<'p>(
    ports: impl Iterator<Item = &'p PortMac>,
    neighs: &[String],
) -> BTreeSet<String> {
    ports
        .map(|port| {
            port.client_id
                .as_deref()
                .filter(|_| !neighs.is_empty())
                .and_then(|client_id| emac(client_id, neighs))
                .unwrap_or_else(|| port.address.to_lowercase())
        })
        .filter(|mac| {
            let valid = inspector_types::is_mac_address(mac);
            if !valid {
                tracing::warn!(address = %mac, "ignoring a port address that is not a MAC address");
            }
            valid
        })
        .collect()
}

fn emac(client_id: &str, neighs: &[String]) -> Option<String> {
    let guid = client_id.get(client_id.len().checked_sub(23)?..)?;
    let pattern = format!(
        r"EMAC=([0-9a-f]{{2}}(:[0-9a-f]{{2}}){{5}}) IMAC=.*{}",
        regex::escape(guid)
    );
    let regex = Regex::new(&pattern).ok()?;
    neighs
        .iter()
        .find_map(|text| regex.captures(text)?.get(1).map(|m| m.as_str().to_owned()))
}

/// Two Ironic ports, the first under introspection when `active` (driver tests).
#[cfg(test)]
pub(crate) fn two_ports(active: bool) -> SyncInputs {
    SyncInputs {
        ports: ["52:54:00:aa:bb:01", "52:54:00:aa:bb:02"]
            .iter()
            .map(|mac| PortMac {
                address: (*mac).into(),
                client_id: None,
            })
            .collect(),
        active_cache: if active {
            BTreeSet::from(["52:54:00:aa:bb:01".to_owned()])
        } else {
            BTreeSet::new()
        },
        introspection_active: active,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infiniband_ports_are_filtered_by_their_emac() {
        let ports = [
            PortMac {
                address: "7c:fe:90:29:24:4f".into(),
                client_id: Some(
                    "ff:00:00:00:00:00:02:00:00:02:c9:00:7c:fe:90:03:00:29:24:4f".into(),
                ),
            },
            PortMac {
                address: "52:54:00:aa:bb:01".into(),
                client_id: None,
            },
        ];
        let neighs = vec![
            "EMAC=02:00:00:61:00:02 IMAC=61:fe:80:00:00:00:00:00:00:7c:fe:90:03:00:29:24:4f\n"
                .to_owned(),
        ];
        assert_eq!(
            infiniband_macs(ports.iter(), &neighs),
            ["02:00:00:61:00:02", "52:54:00:aa:bb:01"]
                .into_iter()
                .map(str::to_owned)
                .collect()
        );
        let odd = [PortMac {
            address: "52:54:00:aa:bb:01\n-A INPUT -j ACCEPT".into(),
            client_id: None,
        }];
        assert!(
            infiniband_macs(odd.iter(), &[]).is_empty(),
            "never reaches a command"
        );
        assert_eq!(
            infiniband_macs(ports.iter(), &[]),
            ["7c:fe:90:29:24:4f", "52:54:00:aa:bb:01"]
                .into_iter()
                .map(str::to_owned)
                .collect()
        );
    }
}
