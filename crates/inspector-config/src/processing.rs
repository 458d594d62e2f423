//! The options the processing hooks read, one struct per upstream group:
//! `[processing]`, `[capabilities]`, `[pci_devices]`, `[extra_hardware]`,
//! `[port_physnet]` and `[accelerators]`, gathered in [`HookOptions`].

use crate::error::Result;
use crate::sources::ConfigSources;

/// The hooks enabled by default, in order (`[processing] default_processing_hooks`'s default).
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

/// `[processing]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessingOptions {
    /// `processing_hooks`, `$default_processing_hooks` expanded, split, in order.
    pub processing_hooks: Vec<String>,
    /// `add_ports`; default `pxe`.
    pub add_ports: AddPorts,
    /// `keep_ports`; default `all`.
    pub keep_ports: KeepPorts,
    /// `overwrite_existing`; default true.
    pub overwrite_existing: bool,
    /// `update_pxe_enabled`; default true.
    pub update_pxe_enabled: bool,
    /// `disk_partitioning_spacing`; default true.
    pub disk_partitioning_spacing: bool,
}

impl ProcessingOptions {
    /// Reads `[processing]`.
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
        Ok(Self {
            processing_hooks: processing
                .list("processing_hooks")?
                .expect("declared default"),
            add_ports,
            keep_ports,
            overwrite_existing: flag("overwrite_existing")?,
            update_pxe_enabled: flag("update_pxe_enabled")?,
            disk_partitioning_spacing: flag("disk_partitioning_spacing")?,
        })
    }
}

/// `[capabilities]`: what the `capabilities` hook reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilitiesOptions {
    /// `boot_mode`: report the boot mode as a capability; default false.
    pub boot_mode: bool,
    /// `cpu_flags`: CPU flag → capability, in order.
    pub cpu_flags: Vec<(String, String)>,
}

impl CapabilitiesOptions {
    /// Reads `[capabilities]`.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        let section = sources.section("capabilities");
        Ok(Self {
            boot_mode: section.boolean("boot_mode")?.expect("declared default"),
            cpu_flags: section.dict("cpu_flags")?.expect("declared default"),
        })
    }
}

/// `[pci_devices]`: the PCI devices the `pci_devices` hook counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PciDevicesOptions {
    /// `alias`: every value given (JSON objects), in order.
    pub alias: Vec<String>,
}

impl PciDevicesOptions {
    /// Reads `[pci_devices]`.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        Ok(Self {
            alias: sources.section("pci_devices").multi("alias"),
        })
    }
}

/// `[extra_hardware]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraHardwareOptions {
    /// `strict`: refuse data that is not a list of 4-item lists; default false.
    pub strict: bool,
}

impl ExtraHardwareOptions {
    /// Reads `[extra_hardware]`.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        Ok(Self {
            strict: sources
                .section("extra_hardware")
                .boolean("strict")?
                .expect("declared default"),
        })
    }
}

/// `[port_physnet]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortPhysnetOptions {
    /// `cidr_map`: `<cidr>:<physnet>` items, in order; default empty.
    pub cidr_map: Vec<String>,
}

impl PortPhysnetOptions {
    /// Reads `[port_physnet]`.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        Ok(Self {
            cidr_map: sources
                .section("port_physnet")
                .list("cidr_map")?
                .expect("declared default"),
        })
    }
}

/// `[accelerators]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceleratorsOptions {
    /// `known_devices`: a YAML file; unset means the shipped list.
    pub known_devices: Option<String>,
}

impl AcceleratorsOptions {
    /// Reads `[accelerators]`.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        Ok(Self {
            known_devices: sources
                .section("accelerators")
                .string("known_devices")?
                .filter(|path| !path.is_empty()),
        })
    }
}

/// Everything the processing hooks read: `[processing]` and the groups of
/// single hooks, each as upstream registers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookOptions {
    /// `[processing]`.
    pub processing: ProcessingOptions,
    /// `[capabilities]`.
    pub capabilities: CapabilitiesOptions,
    /// `[pci_devices]`.
    pub pci_devices: PciDevicesOptions,
    /// `[extra_hardware]`.
    pub extra_hardware: ExtraHardwareOptions,
    /// `[port_physnet]`.
    pub port_physnet: PortPhysnetOptions,
    /// `[accelerators]`.
    pub accelerators: AcceleratorsOptions,
}

impl HookOptions {
    /// Reads the six groups.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        Ok(Self {
            processing: ProcessingOptions::from_sources(sources)?,
            capabilities: CapabilitiesOptions::from_sources(sources)?,
            pci_devices: PciDevicesOptions::from_sources(sources)?,
            extra_hardware: ExtraHardwareOptions::from_sources(sources)?,
            port_physnet: PortPhysnetOptions::from_sources(sources)?,
            accelerators: AcceleratorsOptions::from_sources(sources)?,
        })
    }

    /// The defaults with `hooks` as `[processing] processing_hooks`.
    pub fn with_processing_hooks(hooks: &[&str]) -> Self {
        let mut options = Self::default();
        options.processing.processing_hooks = hooks.iter().map(|&name| name.to_owned()).collect();
        options
    }
}

defaults_from_the_catalog!(
    ProcessingOptions,
    CapabilitiesOptions,
    PciDevicesOptions,
    ExtraHardwareOptions,
    PortPhysnetOptions,
    AcceleratorsOptions,
    HookOptions
);

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
        let hooks = HookOptions::default();
        assert_eq!(hooks.processing, options);
        assert!(!hooks.capabilities.boot_mode);
        assert_eq!(
            hooks.capabilities.cpu_flags[0],
            ("vmx".to_owned(), "cpu_vt".to_owned())
        );
        assert_eq!(hooks.capabilities.cpu_flags.len(), 6);
        assert!(hooks.pci_devices.alias.is_empty());
        assert!(!hooks.extra_hardware.strict);
        assert!(hooks.port_physnet.cidr_map.is_empty());
        assert_eq!(hooks.accelerators.known_devices, None);
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
        let hooks = HookOptions::from_sources(&sources).unwrap();
        let options = &hooks.processing;
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
            hooks.capabilities.cpu_flags,
            [
                ("vmx".into(), "cpu_vt".into()),
                ("aes".into(), "cpu_aes".into())
            ]
        );
        assert!(hooks.capabilities.boot_mode);
        assert_eq!(hooks.pci_devices.alias.len(), 2);
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
