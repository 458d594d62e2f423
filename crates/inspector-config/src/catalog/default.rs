//! The options of `[DEFAULT]`.

use super::{OptionDoc, OptionKind as K, opt};

/// `[DEFAULT]`, in the order the sample shows them.
pub(super) const OPTIONS: &[OptionDoc] = &[
    opt(
        "DEFAULT",
        "listen_address",
        K::String,
        Some("::"),
        "IP to listen on.",
    ),
    opt(
        "DEFAULT",
        "listen_port",
        K::Port,
        Some("5050"),
        "Port to listen on; 0 picks a free port.",
    ),
    opt(
        "DEFAULT",
        "listen_unix_socket",
        K::String,
        None,
        "Unix socket to listen on. Disables listen_address and listen_port.",
    ),
    opt(
        "DEFAULT",
        "listen_unix_socket_mode",
        K::Integer,
        None,
        "File mode (an octal number) of the unix socket to listen on. Ignored if \
        listen_unix_socket is not set.",
    ),
    opt(
        "DEFAULT",
        "auth_strategy",
        K::String,
        Some("keystone"),
        "Authentication method used on the ironic-inspector API. \"noauth\", \"keystone\" or \
        \"http_basic\" are valid options. \"noauth\" will disable all authentication.",
    )
    .with_choices(&[
        ("noauth", "no authentication"),
        ("keystone", "use the Identity service for authentication"),
        ("http_basic", "HTTP basic authentication"),
    ]),
    opt(
        "DEFAULT",
        "http_basic_auth_user_file",
        K::String,
        Some("/etc/ironic-inspector/htpasswd"),
        "Path to Apache format user authentication file used when auth_strategy=http_basic.",
    ),
    opt(
        "DEFAULT",
        "timeout",
        K::Integer,
        Some("3600"),
        "Timeout (in seconds) after which introspection is considered failed, set to 0 to disable.",
    ),
    opt(
        "DEFAULT",
        "clean_up_period",
        K::Integer,
        Some("60"),
        "Amount of time in seconds, after which repeat clean up of timed out nodes and old nodes \
        status information. WARNING: If set to a value of 0, then the periodic task is disabled \
        and inspector will not sync with ironic to complete the internal clean-up process. Not \
        advisable if the deployment uses a PXE filter, and will result in the ironic-inspector \
        ceasing periodic cleanup activities.",
    ),
    opt(
        "DEFAULT",
        "node_status_keep_time",
        K::Integer,
        Some("0"),
        "For how much time (in seconds) to keep status information about nodes after \
        introspection was finished for them. Set to 0 (the default) to keep it until the node is \
        removed from Ironic.",
    ),
    opt(
        "DEFAULT",
        "use_ssl",
        K::Boolean,
        Some("false"),
        "SSL Enabled/Disabled: serve the API over HTTPS with [ssl] cert_file and key_file.",
    ),
    opt(
        "DEFAULT",
        "max_concurrency",
        K::Integer,
        Some("1000"),
        "Maximum number of background jobs run at once (at least 2).",
    ),
    opt(
        "DEFAULT",
        "introspection_delay",
        K::Integer,
        Some("5"),
        "Delay (in seconds) between two introspections. Only applies when boot is managed by \
        ironic-inspector (i.e. manage_boot==True).",
    ),
    opt(
        "DEFAULT",
        "ipmi_address_fields",
        K::List,
        Some("redfish_address,ilo_address,drac_host,drac_address,ibmc_address"),
        "Ironic driver_info fields that are equivalent to ipmi_address.",
    ),
    opt(
        "DEFAULT",
        "rootwrap_config",
        K::String,
        Some("/etc/ironic-inspector/rootwrap.conf"),
        "Path to the rootwrap configuration file to use for running commands as root.",
    ),
    opt(
        "DEFAULT",
        "api_max_limit",
        K::Integer,
        Some("1000"),
        "Limit the number of elements an API list-call returns.",
    ),
    opt(
        "DEFAULT",
        "can_manage_boot",
        K::Boolean,
        Some("true"),
        "Whether the current installation of ironic-inspector can manage PXE booting of nodes. If \
        set to False, the API will reject introspection requests with manage_boot missing or set \
        to True.",
    ),
    opt(
        "DEFAULT",
        "enable_mdns",
        K::Boolean,
        Some("false"),
        "Whether to enable publishing the ironic-inspector API endpoint via multicast DNS.",
    ),
    opt(
        "DEFAULT",
        "debug",
        K::Boolean,
        Some("false"),
        "If set to true, the logging level will be set to DEBUG instead of the default INFO \
        level, and answers 500 (Internal Server Error) carry the details of the error.",
    ),
    opt(
        "DEFAULT",
        "use_json",
        K::Boolean,
        Some("false"),
        "Use JSON formatting for logging: one JSON object per line.",
    ),
];
