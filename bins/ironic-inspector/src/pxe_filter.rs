//! `[pxe_filter] driver`: the PXE filter from the configuration.

use std::path::PathBuf;
use std::sync::Arc;

use inspector_config::{ConductorOptions, PxeFilterDriver, PxeFilterOptions};
use inspector_core::{FirewallFilter, NoPxeFilter, PxeFilter};
use inspector_firewall::{
    DnsmasqDriver, DnsmasqOptions, FilterDriver, Firewall, IptablesDriver, IptablesOptions,
    SystemRunner,
};

/// Whether the process runs with effective uid 0 (`/proc/self/status`).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("Uid:"))?;
            line.split_whitespace().nth(2).map(|euid| euid == "0")
        })
        .unwrap_or(false)
}

/// The configured filter; configuration errors stop the start.
pub(crate) fn from_config(
    options: &PxeFilterOptions,
    conductor: &ConductorOptions,
) -> anyhow::Result<Arc<dyn PxeFilter>> {
    let runner = Arc::new(SystemRunner::new(
        "ironic-inspector-rootwrap",
        &options.rootwrap_config,
        running_as_root(),
    ));
    let discovery = conductor.node_not_found_hook.is_some();
    let driver: Box<dyn FilterDriver> = match options.driver {
        PxeFilterDriver::Noop => return Ok(Arc::new(NoPxeFilter)),
        PxeFilterDriver::Iptables => Box::new(IptablesDriver::new(
            IptablesOptions {
                interface: options.dnsmasq_interface.clone(),
                chain: options.firewall_chain.clone(),
                ethoib_interfaces: options.ethoib_interfaces.clone(),
                ip_version: options.ip_version,
                deny_unknown_macs: options.deny_unknown_macs,
                discovery,
            },
            runner,
        )?),
        PxeFilterDriver::Dnsmasq => Box::new(DnsmasqDriver::new(
            DnsmasqOptions {
                hostsdir: PathBuf::from(&options.dhcp_hostsdir),
                purge: options.purge_dhcp_hostsdir,
                start_command: options.dnsmasq_start_command.clone(),
                stop_command: options.dnsmasq_stop_command.clone(),
                deny_unknown_macs: options.deny_unknown_macs,
                discovery,
                ethoib_interfaces: options.ethoib_interfaces.clone(),
            },
            runner,
        )?),
    };
    Ok(Arc::new(FirewallFilter(Arc::new(Firewall::new(driver)))))
}
