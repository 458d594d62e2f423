//! Loading `inspector.conf`.
//!
//! This crate owns the oslo.config file syntax and semantics (sections, later
//! files winning, `--config-dir`, `$option` interpolation, oslo booleans and
//! lists) and the typed option groups built from it, with upstream's names and
//! defaults. It knows nothing about databases, HTTP or Ironic beyond option
//! names, and performs no I/O other than reading the configuration files.
//! [`catalog`] documents every option the service reads and renders the
//! sample configuration from them.

/// `Default` of each option group: what an empty configuration reads, i.e.
/// the catalog's defaults (declared nowhere else).
macro_rules! defaults_from_the_catalog {
    ($($group:ty),* $(,)?) => {$(
        impl Default for $group {
            fn default() -> Self {
                Self::from_sources(&$crate::ConfigSources::default())
                    .expect("the declared defaults are valid")
            }
        }
    )*};
}

pub mod catalog;
mod conductor;
mod coordination;
mod error;
mod groups;
mod ini;
mod ironic;
mod mdns;
mod processing;
mod pxe_filter;
mod sources;
mod swift;

pub use conductor::{ConductorOptions, DiscoveryOptions, NODE_NOT_FOUND_HOOKS, StoreData};
pub use coordination::{CoordinationOptions, LockBackend};
pub use error::{ConfigError, Interpolation, InvalidValue, Result};
pub use groups::{ApiProtectionOptions, DatabaseOptions, DefaultOptions, TimelineOptions};
pub use ini::{IniFile, RawValue};
pub use ironic::{IronicOptions, KeystoneAuthtokenOptions};
pub use mdns::MdnsOptions;
pub use processing::{
    AcceleratorsOptions, AddPorts, CapabilitiesOptions, DEFAULT_PROCESSING_HOOKS,
    ExtraHardwareOptions, HookOptions, KeepPorts, PciDevicesOptions, PortPhysnetOptions,
    ProcessingOptions,
};
pub use pxe_filter::{PxeFilterDriver, PxeFilterOptions};
pub use sources::{ConfigSources, Lookup, UnknownOption};
pub use swift::SwiftOptions;
