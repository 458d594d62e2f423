//! The options of `[iptables]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[iptables]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[
    opt(
        "iptables",
        "dnsmasq_interface",
        K::String,
        Some("br-ctlplane"),
        "Interface on which dnsmasq listens, the default is for VM's.",
    ),
    opt(
        "iptables",
        "firewall_chain",
        K::String,
        Some("ironic-inspector"),
        "iptables chain name to use.",
    ),
    opt(
        "iptables",
        "ethoib_interfaces",
        K::List,
        Some(""),
        "List of Ethernet Over InfiniBand interfaces on the Inspector host which are used for \
        physical access to the DHCP network. Multiple interfaces would be attached to a bond or \
        bridge specified in dnsmasq_interface. The MACs of the InfiniBand nodes which are not in \
        desired state are going to be blocked based on the list of neighbor MACs on these \
        interfaces.",
    ),
    opt(
        "iptables",
        "ip_version",
        K::Integer,
        Some("4"),
        "The IP version that will be used for iptables filter. Defaults to 4.",
    )
    .with_choices(&[("4", "IPv4"), ("6", "IPv6")]),
];
