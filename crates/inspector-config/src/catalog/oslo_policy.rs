//! The options of `[oslo_policy]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[oslo_policy]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[
    opt(
        "oslo_policy",
        "enforce_scope",
        K::Boolean,
        Some("true"),
        "Whether to enforce scope when evaluating policies. Only true is supported; false is \
        logged as a warning and the scope is enforced anyway.",
    ),
    opt(
        "oslo_policy",
        "enforce_new_defaults",
        K::Boolean,
        Some("true"),
        "Whether to use the new default rules only. Only true is supported; false is logged as a \
        warning and the new defaults apply anyway.",
    ),
    opt(
        "oslo_policy",
        "policy_file",
        K::String,
        Some("policy.yaml"),
        "The relative or absolute path of a file that maps roles to permissions for a given \
        service. Relative paths are looked up in the directories of the configuration files, \
        then in the working directory.",
    ),
];
