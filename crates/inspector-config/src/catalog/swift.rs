//! The options of `[swift]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[swift]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[
    opt(
        "swift",
        "container",
        K::String,
        Some("ironic-inspector"),
        "Default Swift container to use when creating objects.",
    ),
    opt(
        "swift",
        "delete_after",
        K::Integer,
        Some("0"),
        "Number of seconds that the Swift object will last before being deleted. (set to 0 to \
        never delete the object).",
    ),
];
