//! The options of `[healthcheck]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[healthcheck]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[opt(
    "healthcheck",
    "enabled",
    K::Boolean,
    Some("false"),
    "Enable the health check endpoint at /healthcheck. Note that this is unauthenticated.",
)];
