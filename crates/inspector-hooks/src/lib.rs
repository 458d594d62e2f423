//! Processing hooks.
//!
//! This crate owns the hook interface (phase 1 on the raw ramdisk data before
//! the node is looked up; phase 2 with the node before Ironic is updated), the
//! configured hook list with its load errors, and the built-in hooks with
//! upstream's exact behaviour. Hooks *compute*: in phase 2 they change the data
//! and record intended node patches and port changes on a [`NodeView`]; the
//! conductor applies those to Ironic.
//!
//! It must not know about HTTP, the database or how Ironic is reached. Its only
//! I/O is reading a configured data file when a hook is built
//! (`[accelerators] known_devices`); processing itself does none.

mod data;
mod error;
mod hooks;
pub mod lldp;
mod node;
mod registry;
mod set;

pub use data::{
    IntrospectionData, KeptInterface, bmc_addresses, inventory, inventory_interfaces,
    kept_interfaces, pxe_mac, valid_macs,
};
pub use error::{HookError, HookFailure};
pub use inspector_types::{python_repr, python_str};
pub use node::{
    CreatePort, NodeChanges, NodeView, PortView, capabilities_to_string, parse_capabilities,
};
pub use registry::{HookFactory, HookNameTaken, HookRegistry};
pub use set::{HookSet, ProcessingHook};
