//! The options of `[keystone_authtoken]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[keystone_authtoken]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[
    opt(
        "keystone_authtoken",
        "www_authenticate_uri",
        K::String,
        None,
        "Complete \"public\" Identity API endpoint. Unauthenticated clients are redirected to \
        this endpoint to authenticate (WWW-Authenticate). Unset means auth_uri, then auth_url.",
    ),
    opt(
        "keystone_authtoken",
        "auth_uri",
        K::String,
        None,
        "DEPRECATED: the former name of www_authenticate_uri, used when that is not set.",
    ),
    opt(
        "keystone_authtoken",
        "token_cache_time",
        K::Integer,
        Some("300"),
        "In order to prevent excessive effort spent validating tokens, the middleware caches \
        previously-seen tokens for a configurable duration (in seconds). Set to 0 to disable \
        caching.",
    ),
];
