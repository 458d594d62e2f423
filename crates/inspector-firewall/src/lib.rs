//! The PXE filter: only machines that should boot the inspection ramdisk get
//! DHCP answers from the inspection DHCP server (spec `hooks-rules-firewall.md` §4).
//!
//! This crate owns the driver interface and its life cycle (`initialize`,
//! `sync`, `reset` under one lock, a failed step resets the driver), the
//! inputs of a sync (Ironic's port MACs, the MACs under introspection, the
//! InfiniBand mapping), the `iptables`, `dnsmasq` and `noop` drivers, and the
//! command runner through which every privileged command goes (rootwrap via
//! `sudo`, or directly when already root).
//!
//! It must not know about HTTP, the database or how Ironic is reached: the
//! conductor gathers [`SyncInputs`] and calls [`Firewall::sync`]. It is
//! blocking code; async callers run it on a blocking thread.

mod dnsmasq;
mod error;
mod filter;
mod inputs;
mod iptables;
mod runner;

pub use dnsmasq::{DnsmasqDriver, DnsmasqOptions};
pub use error::FilterError;
pub use filter::{DriverState, FilterDriver, Firewall, NoopDriver};
pub use inputs::{PortMac, SyncInputs, infiniband_macs};
pub use iptables::{IptablesDriver, IptablesOptions};
pub use runner::{CommandRunner, Output, RecordingRunner, SystemRunner};
