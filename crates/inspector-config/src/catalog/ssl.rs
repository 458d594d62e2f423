//! The options of `[ssl]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[ssl]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[
    opt(
        "ssl",
        "cert_file",
        K::String,
        None,
        "Certificate file (PEM, with its chain) to use when starting the server securely \
        ([DEFAULT] use_ssl).",
    ),
    opt(
        "ssl",
        "key_file",
        K::String,
        None,
        "Private key file (PEM) to use when starting the server securely ([DEFAULT] use_ssl).",
    ),
];
