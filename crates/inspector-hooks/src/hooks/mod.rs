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

use inspector_config::HookOptions;

use crate::error::HookError;
use crate::set::ProcessingHook;

/// Builds one built-in hook from the options.
type Build = fn(&HookOptions) -> Result<Arc<dyn ProcessingHook>, HookError>;

fn shared<H: ProcessingHook + 'static>(hook: H) -> Result<Arc<dyn ProcessingHook>, HookError> {
    Ok(Arc::new(hook))
}

/// Every built-in hook by its upstream (`setup.cfg`) name.
const BUILTINS: &[(&str, Build)] = &[
    ("ramdisk_error", |_| shared(ramdisk_error::RamdiskError)),
    ("root_disk_selection", |o| {
        shared(root_disk_selection::RootDiskSelection::new(o))
    }),
    ("scheduler", |o| shared(scheduler::Scheduler::new(o))),
    ("validate_interfaces", |o| {
        shared(validate_interfaces::ValidateInterfaces::new(o)?)
    }),
    ("capabilities", |o| {
        shared(capabilities::Capabilities::new(o))
    }),
    ("pci_devices", |o| shared(pci_devices::PciDevices::new(o))),
    ("example", |_| shared(example::Example)),
    ("extra_hardware", |o| {
        shared(extra_hardware::ExtraHardware::new(o))
    }),
    ("lldp_basic", |_| shared(lldp_basic::LldpBasic)),
    ("local_link_connection", |o| {
        shared(local_link_connection::LocalLinkConnection::new(o))
    }),
    ("raid_device", |_| shared(raid_device::RaidDevice)),
    ("root_device_hint", |_| shared(raid_device::RaidDevice)),
    ("physnet_cidr_map", |o| {
        shared(physnet_cidr_map::PhysnetCidrMap::new(o)?)
    }),
    ("accelerators", |o| {
        shared(accelerators::Accelerators::new(o)?)
    }),
];

/// Whether `name` is a built-in hook's.
pub(crate) fn is_builtin(name: &str) -> bool {
    BUILTINS.iter().any(|(builtin, _)| *builtin == name)
}

/// The built-in names, in the table's order.
pub(crate) fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|(name, _)| *name)
}

/// The built-in hook named `name`: `None` if unknown, `Some(Err)` if it cannot be built.
pub(crate) fn builtin(
    name: &str,
    options: &HookOptions,
) -> Option<Result<Arc<dyn ProcessingHook>, HookError>> {
    BUILTINS
        .iter()
        .find(|(builtin, _)| *builtin == name)
        .map(|(_, build)| build(options))
}
