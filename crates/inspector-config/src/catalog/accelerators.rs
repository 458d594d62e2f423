//! The options of `[accelerators]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[accelerators]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[opt(
    "accelerators",
    "known_devices",
    K::String,
    None,
    "The predefined accelerator devices which contains information used for identifying \
        accelerators (a YAML file). Unset means the list shipped with the service.",
)];
