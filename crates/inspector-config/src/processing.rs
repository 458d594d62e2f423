//! `[processing]`, `[capabilities]` and `[pci_devices]`: the options the
//! processing hooks read, with upstream's names and defaults.

use crate::error::Result;
use crate::sources::ConfigSources;

/// The hooks enabled by default, in order.
pub const DEFAULT_PROCESSING_HOOKS: &str =
    "ramdisk_error,root_disk_selection,scheduler,validate_interfaces,capabilities,pci_devices";

/// `[processing] add_ports`: which interfaces become Ironic ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddPorts {
    /// Every interface with a MAC.
    All,
    /// Interfaces with an IP address.
    Active,
    /// The PXE interface (like `active` when the PXE MAC is unknown).
    Pxe,
    /// No port is created.
    Disabled,
}

/// `[processing] keep_ports`: which existing ports survive processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepPorts {
    /// Every port.
    All,
    /// Ports whose MAC the ramdisk reported.
    Present,
    /// Ports of the interfaces selected by `add_ports`.
    Added,
}

/// The options of the processing hooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessingOptions {
    /// `[processing] processing_hooks`, `$default_processing_hooks` expanded, split, in order.
    pub processing_hooks: Vec<String>,
    /// `[processing] add_ports`; default `pxe`.
    pub add_ports: AddPorts,
    /// `[processing] keep_ports`; default `all`.
    pub keep_ports: KeepPorts,
    /// `[processing] overwrite_existing`; default true.
    pub overwrite_existing: bool,
    /// `[processing] update_pxe_enabled`; default true.
    pub update_pxe_enabled: bool,
    /// `[processing] disk_partitioning_spacing`; default true.
    pub disk_partitioning_spacing: bool,
    /// `[capabilities] boot_mode`; default false.
    pub boot_mode_capability: bool,
    /// `[capabilities] cpu_flags`: CPU flag → capability, in order.
    pub cpu_flags: Vec<(String, String)>,
    /// `[pci_devices] alias`: every value given (JSON objects), in order.
    pub pci_aliases: Vec<String>,
    /// `[extra_hardware] strict`; default false.
    pub extra_hardware_strict: bool,
    /// `[port_physnet] cidr_map`: `<cidr>:<physnet>` items, in order; default empty.
    pub physnet_cidr_map: Vec<String>,
    /// `[accelerators] known_devices`: a YAML file; unset means the shipped list.
    pub accelerators_known_devices: Option<String>,
}

impl ProcessingOptions {
    /// Reads the three groups.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        let processing = sources.section("processing");
        let choice = |option: &str, choices: &[&str]| -> Result<String> {
            let value = processing.string(option)?.expect("declared default");
            if choices.contains(&value.as_str()) {
                return Ok(value);
            }
            Err(sources.invalid_value(
                "processing",
                option,
                value,
                &format!("one of {}", choices.join(", ")),
            ))
        };
        let add_ports = match choice("add_ports", &["all", "active", "pxe", "disabled"])?.as_str() {
            "all" => AddPorts::All,
            "active" => AddPorts::Active,
            "pxe" => AddPorts::Pxe,
            _ => AddPorts::Disabled,
        };
        let keep_ports = match choice("keep_ports", &["all", "present", "added"])?.as_str() {
            "all" => KeepPorts::All,
            "present" => KeepPorts::Present,
            _ => KeepPorts::Added,
        };
        let flag = |option: &str| -> Result<bool> {
            Ok(processing.boolean(option)?.expect("declared default"))
        };
        let capabilities = sources.section("capabilities");
        Ok(Self {
            processing_hooks: processing
                .list("processing_hooks")?
                .expect("declared default"),
            add_ports,
            keep_ports,
            overwrite_existing: flag("overwrite_existing")?,
            update_pxe_enabled: flag("update_pxe_enabled")?,
            disk_partitioning_spacing: flag("disk_partitioning_spacing")?,
            boot_mode_capability: capabilities
                .boolean("boot_mode")?
                .expect("declared default"),
            cpu_flags: capabilities.dict("cpu_flags")?.expect("declared default"),
            pci_aliases: sources.section("pci_devices").multi("alias"),
            extra_hardware_strict: sources
                .section("extra_hardware")
                .boolean("strict")?
                .expect("declared default"),
            physnet_cidr_map: sources
                .section("port_physnet")
                .list("cidr_map")?
                .unwrap_or_default(),
            accelerators_known_devices: sources
                .section("accelerators")
                .string("known_devices")?
                .filter(|path| !path.is_empty()),
        })
    }
}

impl Default for ProcessingOptions {
    fn default() -> Self {
        Self::from_sources(&ConfigSources::default()).expect("the declared defaults are valid")
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn defaults_match_upstream() {
        let options = ProcessingOptions::default();
        assert_eq!(options.processing_hooks.join(","), DEFAULT_PROCESSING_HOOKS);
        assert_eq!(
            (options.add_ports, options.keep_ports),
            (AddPorts::Pxe, KeepPorts::All)
        );
        assert!(
            options.overwrite_existing
                && options.update_pxe_enabled
                && options.disk_partitioning_spacing
        );
        assert!(!options.boot_mode_capability);
        assert_eq!(
            options.cpu_flags[0],
            ("vmx".to_owned(), "cpu_vt".to_owned())
        );
        assert_eq!(options.cpu_flags.len(), 6);
        assert!(options.pci_aliases.is_empty());
    }

    #[test]
    fn hooks_expand_and_options_parse() {
        let sources = ConfigSources::from_text(
            "[processing]\nprocessing_hooks = prehook, $default_processing_hooks ,lldp_basic\nadd_ports = all\n\
             keep_ports = added\n[capabilities]\ncpu_flags = vmx:cpu_vt, aes : cpu_aes\nboot_mode = yes\n\
             [pci_devices]\nalias = {\"vendor_id\": \"8086\", \"product_id\": \"1572\", \"name\": \"x710\"}\n\
             alias = {\"vendor_id\": \"10de\", \"product_id\": \"1eb8\", \"name\": \"t4\"}\n",
            Path::new("inspector.conf"),
        )
        .unwrap();
        let options = ProcessingOptions::from_sources(&sources).unwrap();
        assert_eq!(
            options.processing_hooks.first().map(String::as_str),
            Some("prehook")
        );
        assert_eq!(
            options.processing_hooks.last().map(String::as_str),
            Some("lldp_basic")
        );
        assert_eq!(options.processing_hooks.len(), 8);
        assert_eq!(
            (options.add_ports, options.keep_ports),
            (AddPorts::All, KeepPorts::Added)
        );
        assert_eq!(
            options.cpu_flags,
            [
                ("vmx".into(), "cpu_vt".into()),
                ("aes".into(), "cpu_aes".into())
            ]
        );
        assert!(options.boot_mode_capability);
        assert_eq!(options.pci_aliases.len(), 2);
    }

    #[test]
    fn a_bad_choice_names_the_option() {
        let sources =
            ConfigSources::from_text("[processing]\nadd_ports = some\n", Path::new("i.conf"))
                .unwrap();
        let error = ProcessingOptions::from_sources(&sources).unwrap_err();
        assert_eq!(
            error.to_string(),
            "i.conf:2: invalid value \"some\" for option add_ports in group [processing]: one of all, active, pxe, disabled"
        );
    }
}
