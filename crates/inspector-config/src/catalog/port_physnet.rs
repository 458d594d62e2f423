//! The options of `[port_physnet]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[port_physnet]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[opt(
    "port_physnet",
    "cidr_map",
    K::List,
    Some(""),
    "Mapping of IP subnet CIDR to physical network (e.g. \
        10.10.10.0/24:physnet_a,2001:db8::/64:physnet_b). When the physnet_cidr_map processing \
        hook is enabled the physical_network property of baremetal ports is populated based on \
        this mapping.",
)];
