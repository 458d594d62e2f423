//! The options of the introspection engine itself (`[DEFAULT]` and
//! `[processing]` options outside the hooks), with upstream's defaults.

use crate::error::Result;
use crate::sources::ConfigSources;

/// `[processing] store_data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreData {
    /// Introspection data is not kept.
    None,
    /// Kept in the `introspection_data` table.
    Database,
    /// Kept as objects in Swift (`[swift]`).
    Swift,
}

/// Options of the introspection engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConductorOptions {
    /// `[DEFAULT] timeout`: seconds; 0 or less disables time-outs; default 3600.
    pub timeout: i64,
    /// `[DEFAULT] clean_up_period`: seconds between time-out checks and Ironic syncs; 0 disables; default 60.
    pub clean_up_period: u64,
    /// `[DEFAULT] node_status_keep_time`: seconds to keep finished records; 0 keeps them; default 0.
    pub node_status_keep_time: i64,
    /// `[DEFAULT] introspection_delay`: minimum seconds between two managed reboots; default 5.
    pub introspection_delay: u64,
    /// `[DEFAULT] ipmi_address_fields`: `driver_info` fields holding a BMC address, after `ipmi_address`.
    pub ipmi_address_fields: Vec<String>,
    /// `[DEFAULT] can_manage_boot`; default true.
    pub can_manage_boot: bool,
    /// `[DEFAULT] max_concurrency`: background jobs at once; default 1000.
    pub max_concurrency: usize,
    /// `[processing] permit_active_introspection`; default false.
    pub permit_active_introspection: bool,
    /// `[processing] power_off`; default true.
    pub power_off: bool,
    /// `[processing] store_data`; default `none`.
    pub store_data: StoreData,
    /// `[processing] node_not_found_hook`; unset by default.
    pub node_not_found_hook: Option<String>,
    /// `[processing] ramdisk_logs_dir`: where ramdisk logs are written; unset = not stored.
    pub ramdisk_logs_dir: Option<String>,
    /// `[processing] always_store_ramdisk_logs`: also on success; default false.
    pub always_store_ramdisk_logs: bool,
    /// `[processing] ramdisk_logs_filename_format`; default `{uuid}_{dt:%Y%m%d-%H%M%S.%f}.tar.gz`.
    pub ramdisk_logs_filename_format: String,
    /// `[discovery]`: how the `enroll` hook creates nodes.
    pub discovery: DiscoveryOptions,
}

/// `[discovery]`: nodes created by the `enroll` not-found hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryOptions {
    /// `enroll_node_driver`: the hardware type of new nodes; default `fake-hardware`.
    pub enroll_node_driver: String,
    /// `enroll_node_fields`: more node fields (`key:value,...`), in order.
    pub enroll_node_fields: Vec<(String, String)>,
    /// `enabled_bmc_address_version`: BMC address families to try, in order; default `4,6`.
    pub enabled_bmc_address_version: Vec<String>,
}

/// The names `[processing] node_not_found_hook` accepts.
pub const NODE_NOT_FOUND_HOOKS: [&str; 2] = ["enroll", "example"];

impl ConductorOptions {
    /// Reads the options.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        let default = sources.section("DEFAULT");
        let processing = sources.section("processing");
        let number =
            |name: &str| -> Result<i64> { Ok(default.integer(name)?.expect("declared default")) };
        let invalid = |section: &str, option: &str, value: &str, expected: &str| {
            sources.invalid_value(section, option, value, expected)
        };
        let node_not_found_hook = processing
            .string("node_not_found_hook")?
            .filter(|h| !h.is_empty());
        if let Some(hook) = &node_not_found_hook
            && !NODE_NOT_FOUND_HOOKS.contains(&hook.as_str())
        {
            return Err(invalid(
                "processing",
                "node_not_found_hook",
                hook,
                "one of enroll, example",
            ));
        }
        let discovery = sources.section("discovery");
        let versions = discovery
            .list("enabled_bmc_address_version")?
            .unwrap_or_default();
        if let Some(bad) = versions.iter().find(|v| !matches!(v.as_str(), "4" | "6")) {
            return Err(invalid(
                "discovery",
                "enabled_bmc_address_version",
                bad,
                "4 or 6",
            ));
        }
        let discovery = DiscoveryOptions {
            enroll_node_driver: discovery
                .string("enroll_node_driver")?
                .expect("declared default"),
            enroll_node_fields: discovery.dict("enroll_node_fields")?.unwrap_or_default(),
            enabled_bmc_address_version: versions,
        };
        let store_data = match processing
            .string("store_data")?
            .expect("declared default")
            .as_str()
        {
            "none" => StoreData::None,
            "database" => StoreData::Database,
            "swift" => StoreData::Swift,
            other => {
                return Err(invalid(
                    "processing",
                    "store_data",
                    other,
                    "none, database or swift",
                ));
            }
        };
        Ok(Self {
            timeout: number("timeout")?,
            clean_up_period: number("clean_up_period")?.max(0).unsigned_abs(),
            node_status_keep_time: number("node_status_keep_time")?,
            introspection_delay: number("introspection_delay")?.max(0).unsigned_abs(),
            ipmi_address_fields: default
                .list("ipmi_address_fields")?
                .expect("declared default"),
            can_manage_boot: default
                .boolean("can_manage_boot")?
                .expect("declared default"),
            max_concurrency: usize::try_from(number("max_concurrency")?.max(2))
                .unwrap_or(usize::MAX),
            permit_active_introspection: processing
                .boolean("permit_active_introspection")?
                .expect("declared default"),
            power_off: processing.boolean("power_off")?.expect("declared default"),
            store_data,
            node_not_found_hook,
            ramdisk_logs_dir: processing
                .string("ramdisk_logs_dir")?
                .filter(|d| !d.is_empty()),
            always_store_ramdisk_logs: processing
                .boolean("always_store_ramdisk_logs")?
                .expect("declared default"),
            ramdisk_logs_filename_format: processing
                .string("ramdisk_logs_filename_format")?
                .expect("declared default"),
            discovery,
        })
    }
}

defaults_from_the_catalog!(ConductorOptions);

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn defaults_match_upstream() {
        let options = ConductorOptions::default();
        assert_eq!(
            (
                options.timeout,
                options.clean_up_period,
                options.introspection_delay
            ),
            (3600, 60, 5)
        );
        assert_eq!(options.ipmi_address_fields.len(), 5);
        assert!(
            options.power_off && options.can_manage_boot && !options.permit_active_introspection
        );
        assert_eq!(options.store_data, StoreData::None);
        assert_eq!(options.node_not_found_hook, None);
        assert_eq!(
            (options.ramdisk_logs_dir, options.always_store_ramdisk_logs),
            (None, false)
        );
        assert_eq!(
            options.ramdisk_logs_filename_format,
            "{uuid}_{dt:%Y%m%d-%H%M%S.%f}.tar.gz"
        );
    }

    #[test]
    fn stores_are_named_and_others_refused() {
        let swift =
            ConfigSources::from_text("[processing]\nstore_data = swift\n", Path::new("i.conf"))
                .unwrap();
        assert_eq!(
            ConductorOptions::from_sources(&swift).unwrap().store_data,
            StoreData::Swift
        );
        let sources =
            ConfigSources::from_text("[processing]\nstore_data = s3\n", Path::new("i.conf"))
                .unwrap();
        let error = ConductorOptions::from_sources(&sources).unwrap_err();
        assert_eq!(
            error.to_string(),
            "i.conf:2: invalid value \"s3\" for option store_data in group [processing]: none, database or swift"
        );
    }

    #[test]
    fn discovery_options_and_their_defaults() {
        let defaults = ConductorOptions::from_sources(&ConfigSources::default()).unwrap();
        assert_eq!(
            defaults.discovery,
            DiscoveryOptions {
                enroll_node_driver: "fake-hardware".into(),
                enroll_node_fields: vec![],
                enabled_bmc_address_version: vec!["4".into(), "6".into()],
            }
        );
        let sources = ConfigSources::from_text(
            "[processing]\nnode_not_found_hook = enroll\n[discovery]\nenroll_node_driver = ipmi\n\
             enroll_node_fields = management_interface:noop,resource_class:baremetal\n\
             enabled_bmc_address_version = 6\n",
            Path::new("i.conf"),
        )
        .unwrap();
        let options = ConductorOptions::from_sources(&sources).unwrap();
        assert_eq!(options.node_not_found_hook.as_deref(), Some("enroll"));
        assert_eq!(options.discovery.enroll_node_driver, "ipmi");
        assert_eq!(
            options.discovery.enroll_node_fields,
            vec![
                ("management_interface".to_owned(), "noop".to_owned()),
                ("resource_class".to_owned(), "baremetal".to_owned())
            ]
        );
        assert_eq!(options.discovery.enabled_bmc_address_version, vec!["6"]);
    }

    #[test]
    fn unknown_not_found_hooks_are_refused_at_start() {
        let sources = ConfigSources::from_text(
            "[processing]\nnode_not_found_hook = enrol\n",
            Path::new("i.conf"),
        )
        .unwrap();
        assert_eq!(
            ConductorOptions::from_sources(&sources)
                .unwrap_err()
                .to_string(),
            "i.conf:2: invalid value \"enrol\" for option node_not_found_hook in group [processing]: one of enroll, example"
        );
    }
}
