//! The options of `[dnsmasq_pxe_filter]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[dnsmasq_pxe_filter]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[
    opt(
        "dnsmasq_pxe_filter",
        "dhcp_hostsdir",
        K::String,
        Some("/var/lib/ironic-inspector/dhcp-hostsdir"),
        "The MAC address cache directory, exposed to dnsmasq. This directory is expected to be in \
        exclusive control of the driver.",
    ),
    opt(
        "dnsmasq_pxe_filter",
        "purge_dhcp_hostsdir",
        K::Boolean,
        Some("true"),
        "Purge the hostsdir upon driver initialization. Setting to false should only be performed \
        when the deployment of inspector is such that there are multiple processes executing \
        inside of the same host and namespace. In this case, the Operator is responsible for \
        setting up a custom cleaning facility.",
    ),
    opt(
        "dnsmasq_pxe_filter",
        "dnsmasq_start_command",
        K::String,
        Some(""),
        "A (shell) command line to start the dnsmasq service upon filter initialization. Default: \
        don't start.",
    ),
    opt(
        "dnsmasq_pxe_filter",
        "dnsmasq_stop_command",
        K::String,
        Some(""),
        "A (shell) command line to stop the dnsmasq service upon inspector (error) exit. Default: \
        don't stop.",
    ),
];
