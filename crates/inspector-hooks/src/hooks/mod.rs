//! The built-in hooks, by their upstream names.

mod accelerators;
mod capabilities;
mod example;
mod extra_hardware;
mod hints;
mod lldp_basic;
mod local_link_connection;
mod pci_devices;
mod physnet_cidr_map;
mod raid_device;
mod ramdisk_error;
mod root_disk_selection;
mod scheduler;
mod validate_interfaces;

use std::sync::Arc;

use inspector_config::ProcessingOptions;

use crate::error::HookError;
use crate::set::ProcessingHook;

/// The hook registered under `name`: `None` if unknown, `Some(Err)` if it cannot be built.
pub(crate) fn builtin(
    name: &str,
    options: &ProcessingOptions,
) -> Option<Result<Arc<dyn ProcessingHook>, HookError>> {
    let hook: Result<Arc<dyn ProcessingHook>, HookError> = match name {
        "ramdisk_error" => Ok(Arc::new(ramdisk_error::RamdiskError)),
        "root_disk_selection" => Ok(Arc::new(root_disk_selection::RootDiskSelection::new(
            options,
        ))),
        "scheduler" => Ok(Arc::new(scheduler::Scheduler::new(options))),
        "validate_interfaces" => {
            validate_interfaces::ValidateInterfaces::new(options).map(|h| Arc::new(h) as _)
        }
        "capabilities" => Ok(Arc::new(capabilities::Capabilities::new(options))),
        "pci_devices" => Ok(Arc::new(pci_devices::PciDevices::new(options))),
        "example" => Ok(Arc::new(example::Example)),
        "extra_hardware" => Ok(Arc::new(extra_hardware::ExtraHardware::new(options))),
        "lldp_basic" => Ok(Arc::new(lldp_basic::LldpBasic)),
        "local_link_connection" => Ok(Arc::new(local_link_connection::LocalLinkConnection::new(
            options,
        ))),
        "raid_device" | "root_device_hint" => Ok(Arc::new(raid_device::RaidDevice)),
        "physnet_cidr_map" => {
            physnet_cidr_map::PhysnetCidrMap::new(options).map(|h| Arc::new(h) as _)
        }
        "accelerators" => accelerators::Accelerators::new(options).map(|h| Arc::new(h) as _),
        _ => return None,
    };
    Some(hook)
}
