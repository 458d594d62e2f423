//! `[pxe_filter]`, `[iptables]`, `[dnsmasq_pxe_filter]` and
//! `[DEFAULT] rootwrap_config`: the PXE filter's options.

use crate::error::Result;
use crate::sources::ConfigSources;

/// The PXE filter driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PxeFilterDriver {
    /// iptables rules on the DHCP port (upstream's default).
    Iptables,
    /// dnsmasq `dhcp-hostsdir` files.
    Dnsmasq,
    /// No filtering.
    Noop,
}

/// Options of the PXE filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PxeFilterOptions {
    /// `[pxe_filter] driver`; default `iptables`.
    pub driver: PxeFilterDriver,
    /// `[pxe_filter] sync_period`: seconds; 0 disables the periodic sync; default 15.
    pub sync_period: u64,
    /// `[pxe_filter] deny_unknown_macs`; default false.
    pub deny_unknown_macs: bool,
    /// `[DEFAULT] rootwrap_config`; default `/etc/ironic-inspector/rootwrap.conf`.
    pub rootwrap_config: String,
    /// `[iptables] dnsmasq_interface`; default `br-ctlplane`.
    pub dnsmasq_interface: String,
    /// `[iptables] firewall_chain`; default `ironic-inspector`.
    pub firewall_chain: String,
    /// `[iptables] ethoib_interfaces`; default empty.
    pub ethoib_interfaces: Vec<String>,
    /// `[iptables] ip_version`: 4 or 6; default 4.
    pub ip_version: u8,
    /// `[dnsmasq_pxe_filter] dhcp_hostsdir`.
    pub dhcp_hostsdir: String,
    /// `[dnsmasq_pxe_filter] purge_dhcp_hostsdir`; default true.
    pub purge_dhcp_hostsdir: bool,
    /// `[dnsmasq_pxe_filter] dnsmasq_start_command`; default empty.
    pub dnsmasq_start_command: String,
    /// `[dnsmasq_pxe_filter] dnsmasq_stop_command`; default empty.
    pub dnsmasq_stop_command: String,
}

impl PxeFilterOptions {
    /// Reads the groups.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        let filter = sources.section("pxe_filter");
        let default = sources.section("DEFAULT");
        let iptables = sources.section("iptables");
        let dnsmasq = sources.section("dnsmasq_pxe_filter");
        let invalid = |section: &str, option: &str, value: String, expected: &str| {
            sources.invalid_value(section, option, value, expected)
        };
        let driver = match filter.string("driver")?.unwrap_or_default().as_str() {
            "iptables" => PxeFilterDriver::Iptables,
            "dnsmasq" => PxeFilterDriver::Dnsmasq,
            "noop" => PxeFilterDriver::Noop,
            other => {
                return Err(invalid(
                    "pxe_filter",
                    "driver",
                    other.into(),
                    "one of iptables, dnsmasq, noop",
                ));
            }
        };
        let ip_version = match iptables.integer("ip_version")?.expect("declared default") {
            4 => 4,
            6 => 6,
            other => {
                return Err(invalid(
                    "iptables",
                    "ip_version",
                    other.to_string(),
                    "4 or 6",
                ));
            }
        };
        let text = |lookup: &crate::sources::Lookup<'_>, name: &str| -> Result<String> {
            Ok(lookup.string(name)?.unwrap_or_default())
        };
        Ok(Self {
            driver,
            sync_period: filter
                .integer("sync_period")?
                .expect("declared default")
                .max(0)
                .unsigned_abs(),
            deny_unknown_macs: filter
                .boolean("deny_unknown_macs")?
                .expect("declared default"),
            rootwrap_config: text(&default, "rootwrap_config")?,
            dnsmasq_interface: text(&iptables, "dnsmasq_interface")?,
            firewall_chain: text(&iptables, "firewall_chain")?,
            ethoib_interfaces: iptables.list("ethoib_interfaces")?.unwrap_or_default(),
            ip_version,
            dhcp_hostsdir: text(&dnsmasq, "dhcp_hostsdir")?,
            purge_dhcp_hostsdir: dnsmasq
                .boolean("purge_dhcp_hostsdir")?
                .expect("declared default"),
            dnsmasq_start_command: text(&dnsmasq, "dnsmasq_start_command")?,
            dnsmasq_stop_command: text(&dnsmasq, "dnsmasq_stop_command")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn defaults_and_values() {
        let defaults = PxeFilterOptions::from_sources(&ConfigSources::default()).unwrap();
        assert_eq!(defaults.driver, PxeFilterDriver::Iptables);
        assert_eq!((defaults.sync_period, defaults.ip_version), (15, 4));
        assert_eq!(
            defaults.rootwrap_config,
            "/etc/ironic-inspector/rootwrap.conf"
        );
        assert_eq!(
            defaults.dhcp_hostsdir,
            "/var/lib/ironic-inspector/dhcp-hostsdir"
        );
        let sources = ConfigSources::from_text(
            "[pxe_filter]\ndriver = dnsmasq\nsync_period = 0\n[iptables]\nip_version = 6\nethoib_interfaces = ib0,ib1\n",
            Path::new("i.conf"),
        )
        .unwrap();
        let options = PxeFilterOptions::from_sources(&sources).unwrap();
        assert_eq!(options.driver, PxeFilterDriver::Dnsmasq);
        assert_eq!((options.sync_period, options.ip_version), (0, 6));
        assert_eq!(options.ethoib_interfaces, vec!["ib0", "ib1"]);
    }

    #[test]
    fn unknown_drivers_are_refused() {
        let sources =
            ConfigSources::from_text("[pxe_filter]\ndriver = nftables\n", Path::new("i.conf"))
                .unwrap();
        assert_eq!(
            PxeFilterOptions::from_sources(&sources)
                .unwrap_err()
                .to_string(),
            "i.conf:2: invalid value \"nftables\" for option driver in group [pxe_filter]: one of iptables, dnsmasq, noop"
        );
    }
}
