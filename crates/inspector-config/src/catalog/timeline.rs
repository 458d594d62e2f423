//! The options of `[timeline]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[timeline]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[
    opt(
        "timeline",
        "max_events",
        K::Integer,
        Some("200"),
        "Events of an introspection's timeline kept per node, the newest (at least 1).",
    ),
    opt(
        "timeline",
        "max_unmatched_reports",
        K::Integer,
        Some("100"),
        "Ramdisk reports that matched no node kept, the newest (at least 1).",
    ),
];
