//! The options of `[pxe_filter]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[pxe_filter]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[
    opt(
        "pxe_filter",
        "driver",
        K::String,
        Some("iptables"),
        "PXE boot filter driver to use, possible filters are: \"iptables\", \"dnsmasq\" and \
        \"noop\". Set \"noop\" to disable the firewall filtering.",
    )
    .with_choices(&[("iptables", ""), ("dnsmasq", ""), ("noop", "")]),
    opt(
        "pxe_filter",
        "sync_period",
        K::Integer,
        Some("15"),
        "Amount of time in seconds, after which repeat periodic update of the filter. Set to 0 to \
        disable the periodic update.",
    ),
    opt(
        "pxe_filter",
        "deny_unknown_macs",
        K::Boolean,
        Some("false"),
        "By default inspector will open the DHCP server for any node when introspection is \
        active. Opening DHCP for unknown MAC addresses when introspection is active allow for \
        users to add nodes with no ports to ironic and have ironic-inspector enroll ports based \
        on node introspection results. NOTE: If this option is True, nodes must have at least \
        one enrolled port prior to introspection.",
    ),
];
