//! Ramdisk data and the helpers every hook shares (spec §1.6).

use serde_json::{Map, Value};

use crate::error::HookError;

/// The introspection data posted by the ramdisk, as hooks see and change it.
pub type IntrospectionData = Map<String, Value>;

/// `data.inventory`, checked: it must be a non-empty object with non-empty
/// `interfaces`; missing or empty `disks` are set to `[]` in the data.
pub fn inventory(data: &mut IntrospectionData) -> Result<&mut Map<String, Value>, HookError> {
    let inventory = match data.get_mut("inventory") {
        Some(Value::Object(inventory)) if !inventory.is_empty() => inventory,
        _ => return Err(HookError::error("Hardware inventory is empty or missing")),
    };
    let has_interfaces = inventory
        .get("interfaces")
        .and_then(Value::as_array)
        .is_some_and(|interfaces| !interfaces.is_empty());
    if !has_interfaces {
        return Err(HookError::error(
            "No network interfaces provided in the inventory",
        ));
    }
    let has_disks = inventory
        .get("disks")
        .and_then(Value::as_array)
        .is_some_and(|d| !d.is_empty());
    if !has_disks {
        tracing::info!(
            "no disks were detected in the inventory, assuming this is a disk-less node"
        );
        inventory.insert("disks".into(), Value::Array(Vec::new()));
    }
    Ok(inventory)
}

/// The inventory's interface records (after the inventory checks of [`inventory`]).
pub fn inventory_interfaces(data: &mut IntrospectionData) -> Result<Vec<Value>, HookError> {
    Ok(inventory(data)?["interfaces"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// An inventory interface that `validate_interfaces` kept, with its name and
/// its MAC as the inventory writes it (upstream does not lower-case it).
#[derive(Debug, Clone)]
pub struct KeptInterface {
    /// `name`.
    pub name: String,
    /// `mac_address`, verbatim.
    pub mac: String,
    /// The inventory record.
    pub record: Value,
    /// Its `all_interfaces` entry.
    pub kept: Value,
}

/// The inventory interfaces with a name and a MAC that are in `all_interfaces`, in order.
pub fn kept_interfaces(data: &mut IntrospectionData) -> Result<Vec<KeptInterface>, HookError> {
    let interfaces = inventory_interfaces(data)?;
    Ok(interfaces
        .into_iter()
        .filter_map(|record| {
            let name = record["name"].as_str()?.to_owned();
            let kept = data.get("all_interfaces")?.get(&name)?.clone();
            let mac = record["mac_address"].as_str()?.to_owned();
            Some(KeptInterface {
                name,
                mac,
                record,
                kept,
            })
        })
        .collect())
}

/// The PXE MAC from `data.boot_interface`: PXELINUX form `01-aa-bb-...` is
/// converted to `aa:bb:...` in lower case; any other value is used as is.
pub fn pxe_mac(data: &IntrospectionData) -> Option<String> {
    let value = data.get("boot_interface")?.as_str()?;
    if value.is_empty() {
        return None;
    }
    match value.split_once('-') {
        Some((_, rest)) => Some(rest.replace('-', ":").to_ascii_lowercase()),
        None => Some(value.to_owned()),
    }
}

/// The BMC IPv4 and IPv6 addresses of the data (`None` when absent).
pub fn bmc_addresses(data: &IntrospectionData) -> (Option<String>, Option<String>) {
    let inventory = data.get("inventory").and_then(Value::as_object);
    let pick = |inventory_key: &str, data_key: &str, none: &[&str]| -> Option<String> {
        let value = match inventory.filter(|inv| inv.contains_key(inventory_key)) {
            Some(inventory) => inventory.get(inventory_key),
            None => data.get(data_key),
        };
        value
            .and_then(Value::as_str)
            .filter(|text| !none.contains(text))
            .map(str::to_owned)
    };
    (
        pick("bmc_address", "ipmi_address", &["", "0.0.0.0"]),
        pick("bmc_v6address", "ipmi_v6address", &["", "::/0"]),
    )
}

pub(crate) use inspector_types::is_mac_address as is_valid_mac;

/// The non-empty `mac` values of `data.all_interfaces`, in order.
pub fn valid_macs(data: &IntrospectionData) -> Vec<String> {
    data.get("all_interfaces")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|interfaces| interfaces.values())
        .filter_map(|record| record.get("mac").and_then(Value::as_str))
        .filter(|mac| !mac.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use serde_json::json;

    use super::*;

    fn data(value: Value) -> IntrospectionData {
        value.as_object().cloned().unwrap()
    }

    #[rstest]
    #[case(json!({"boot_interface": "01-52-54-00-AA-BB-01"}), Some("52:54:00:aa:bb:01"))]
    #[case(json!({"boot_interface": "52:54:00:AA:BB:01"}), Some("52:54:00:AA:BB:01"))]
    #[case(json!({"boot_interface": ""}), None)]
    #[case(json!({}), None)]
    fn pxe_macs(#[case] value: Value, #[case] expected: Option<&str>) {
        assert_eq!(pxe_mac(&data(value)).as_deref(), expected);
    }

    #[rstest]
    #[case(json!({"inventory": {"bmc_address": "10.0.0.5", "bmc_v6address": "fd00::5"}, "ipmi_address": "1.1.1.1"}), (Some("10.0.0.5"), Some("fd00::5")))]
    #[case(json!({"inventory": {"bmc_address": "0.0.0.0", "bmc_v6address": "::/0"}}), (None, None))]
    #[case(json!({"inventory": {"cpu": {}}, "ipmi_address": "1.1.1.1", "ipmi_v6address": ""}), (Some("1.1.1.1"), None))]
    fn bmc(#[case] value: Value, #[case] expected: (Option<&str>, Option<&str>)) {
        let (v4, v6) = bmc_addresses(&data(value));
        assert_eq!((v4.as_deref(), v6.as_deref()), expected);
    }

    #[test]
    fn inventory_checks() {
        let mut empty = data(json!({}));
        assert_eq!(
            inventory(&mut empty).unwrap_err().to_string(),
            "Hardware inventory is empty or missing"
        );
        let mut no_nics = data(json!({"inventory": {"interfaces": []}}));
        assert_eq!(
            inventory(&mut no_nics).unwrap_err().to_string(),
            "No network interfaces provided in the inventory"
        );
        let mut diskless = data(json!({"inventory": {"interfaces": [{"name": "eth0"}]}}));
        inventory(&mut diskless).unwrap();
        assert_eq!(diskless["inventory"]["disks"], json!([]));
    }
}
