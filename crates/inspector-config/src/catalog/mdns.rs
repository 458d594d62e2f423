//! The options of `[mdns]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[mdns]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[
    opt(
        "mdns",
        "registration_attempts",
        K::Integer,
        Some("5"),
        "Number of attempts to register a service (at least 1).",
    ),
    opt(
        "mdns",
        "lookup_attempts",
        K::Integer,
        Some("3"),
        "Number of attempts to lookup a service (at least 1). Read for compatibility: the service \
        looks nothing up.",
    ),
    opt(
        "mdns",
        "params",
        K::Dict,
        Some(""),
        "Additional parameters to pass for the registered service (TXT properties).",
    ),
    opt(
        "mdns",
        "interfaces",
        K::List,
        None,
        "List of IP addresses of interfaces to use for mDNS. Defaults to all interfaces on the \
        system.",
    ),
];
