//! The options of `[extra_hardware]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[extra_hardware]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[opt(
    "extra_hardware",
    "strict",
    K::Boolean,
    Some("false"),
    "If True, refuse to parse extra data if at least one record is too short. Additionally, \
        remove the incoming \"data\" even if parsing failed.",
)];
