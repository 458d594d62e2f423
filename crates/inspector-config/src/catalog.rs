//! Every option the service reads, with its type, default and help, and the
//! sample configuration rendered from them as upstream's
//! `oslo-config-generator` writes `inspector.conf.sample`.
//!
//! Help texts are upstream's where the option exists upstream; defaults are
//! the ones this service uses. The tests of this crate check the defaults
//! against the option groups and that every option a group reads is listed.

use std::sync::OnceLock;

use self::OptionKind as K;

/// One option of `inspector.conf`, as the sample configuration shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionDoc {
    /// Its section (`DEFAULT` included).
    pub section: &'static str,
    /// Its name.
    pub name: &'static str,
    /// How its value is read.
    pub kind: OptionKind,
    /// The default in effect when the option is not set, as it would be
    /// written in a file; `None` when it is unset by default.
    pub default: Option<&'static str>,
    /// What it does, in one paragraph.
    pub help: &'static str,
    /// The values it accepts when the list is short, each with a
    /// description (empty when the help already explains it).
    pub choices: &'static [(&'static str, &'static str)],
}

/// How the value of an option is read (oslo.config's option types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// Text.
    String,
    /// A whole number.
    Integer,
    /// A number with a fractional part.
    Float,
    /// `true` / `false` in any oslo spelling.
    Boolean,
    /// Comma-separated items.
    List,
    /// Comma-separated `key:value` items.
    Dict,
    /// A TCP port, 0 to 65535.
    Port,
    /// Every value of an option given several times.
    MultiString,
}

impl OptionKind {
    /// The name `oslo-config-generator` prints in parentheses after the help.
    pub fn type_name(self) -> &'static str {
        match self {
            Self::String => "string value",
            Self::Integer => "integer value",
            Self::Float => "floating point value",
            Self::Boolean => "boolean value",
            Self::List => "list value",
            Self::Dict => "dict value",
            Self::Port => "port value",
            Self::MultiString => "multi valued",
        }
    }
}

/// Every option, in the order of the sample: `[DEFAULT]` first, then the
/// sections alphabetically; the keystoneauth sections sorted by option name
/// (as upstream lists them), the others in the order of their help.
pub fn options() -> &'static [OptionDoc] {
    static ALL: OnceLock<Vec<OptionDoc>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all: Vec<OptionDoc> = OWN.to_vec();
        for (section, service_type) in KEYSTONEAUTH_GROUPS {
            for option in OWN.iter().filter(|option| option.section == "ironic") {
                let mut copy = OptionDoc { section, ..*option };
                if copy.name == "service_type" {
                    copy.default = Some(service_type);
                }
                if IRONIC_ONLY.contains(&copy.name) {
                    copy.help = NOT_USED_HERE;
                }
                all.push(copy);
            }
        }
        all.sort_by_key(|option| {
            let by_name = if is_keystoneauth(option.section) {
                option.name
            } else {
                ""
            };
            (option.section != "DEFAULT", option.section, by_name)
        });
        all
    })
}

/// The option `name` of `section`, if the service reads it.
pub fn find(section: &str, name: &str) -> Option<&'static OptionDoc> {
    options()
        .iter()
        .find(|option| option.section == section && option.name == name)
}

/// The sample configuration: every option commented out with its help,
/// type and default, as `oslo-config-generator` lays it out.
pub fn sample_config() -> String {
    let mut out = String::from(HEADER);
    let mut current: Option<&str> = None;
    for option in options() {
        if current != Some(option.section) {
            if current.is_some() {
                out.push_str("\n\n");
            }
            out.push('[');
            out.push_str(option.section);
            out.push_str("]\n");
            current = Some(option.section);
        }
        out.push('\n');
        push_option(&mut out, option);
    }
    out
}

/// The comment at the top of the sample.
const HEADER: &str = "# Sample configuration of ironic-inspector.\n\
    #\n\
    # Every option the service reads, grouped by section, with its type,\n\
    # default and help. Every option is commented out: the values shown\n\
    # are the defaults in effect. Printed by\n\
    # `ironic-inspector --print-sample-config`.\n\
    \n";

/// Help lines are wrapped at this many columns, `# ` included.
const WIDTH: usize = 70;

/// The sections that take the keystoneauth options of `[ironic]`, with the
/// service type each looks up in the catalog by default.
const KEYSTONEAUTH_GROUPS: [(&str, &str); 3] = [
    ("keystone_authtoken", "baremetal"),
    ("service_catalog", "baremetal-introspection"),
    ("swift", "object-store"),
];

/// `[ironic]` options the other keystoneauth sections read without using them.
const IRONIC_ONLY: [&str; 3] = ["max_requests_per_second", "max_retries", "retry_interval"];

/// The help of [`IRONIC_ONLY`] options outside `[ironic]`.
const NOT_USED_HERE: &str =
    "Read as in [ironic], where it applies; it has no effect in this group.";

fn is_keystoneauth(section: &str) -> bool {
    section == "ironic" || KEYSTONEAUTH_GROUPS.iter().any(|(name, _)| *name == section)
}

/// Appends one option: its wrapped help and type, its bounds and choices,
/// then `#name = default`.
fn push_option(out: &mut String, option: &OptionDoc) {
    let help = format!("{} ({})", option.help, option.kind.type_name());
    for line in wrap(&help) {
        out.push_str(&line);
        out.push('\n');
    }
    if option.kind == OptionKind::Port {
        out.push_str("# Minimum value: 0\n# Maximum value: 65535\n");
    }
    if !option.choices.is_empty() {
        out.push_str("# Possible values:\n");
        for (value, description) in option.choices {
            out.push_str("# ");
            out.push_str(value);
            if !description.is_empty() {
                out.push_str(" - ");
                out.push_str(description);
            }
            out.push('\n');
        }
    }
    let value = match option.default {
        None if option.kind == OptionKind::MultiString => String::new(),
        None => "<None>".to_owned(),
        Some(text) if text.trim() != text => format!("\"{text}\""),
        Some(text) => text.to_owned(),
    };
    out.push('#');
    out.push_str(option.name);
    out.push_str(" =");
    if !value.is_empty() {
        out.push(' ');
        out.push_str(&value);
    }
    out.push('\n');
}

/// `text` as `# ` comment lines of at most [`WIDTH`] columns, broken at
/// spaces only; a longer word gets a line of its own.
fn wrap(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if line.is_empty() {
            line.push_str("# ");
        } else if line.chars().count() + 1 + word.chars().count() <= WIDTH {
            line.push(' ');
        } else {
            lines.push(std::mem::take(&mut line));
            line.push_str("# ");
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// An option without choices.
const fn opt(
    section: &'static str,
    name: &'static str,
    kind: OptionKind,
    default: Option<&'static str>,
    help: &'static str,
) -> OptionDoc {
    OptionDoc {
        section,
        name,
        kind,
        default,
        help,
        choices: &[],
    }
}

impl OptionDoc {
    /// The same option, accepting only `choices`.
    const fn with_choices(self, choices: &'static [(&'static str, &'static str)]) -> Self {
        Self { choices, ..self }
    }
}

/// The options listed once: every section but the keystoneauth options of
/// `[keystone_authtoken]`, `[service_catalog]` and `[swift]`, which are
/// copied from `[ironic]`.
const OWN: &[OptionDoc] = &[
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
    opt(
        "accelerators",
        "known_devices",
        K::String,
        None,
        "The predefined accelerator devices which contains information used for identifying \
        accelerators (a YAML file). Unset means the list shipped with the service.",
    ),
    opt(
        "api",
        "continue_rate_per_client",
        K::Integer,
        Some("50"),
        "Requests per second to /v1/continue accepted from one client address; more are answered \
        503 (Service Unavailable) with Retry-After, which the ramdisk retries. Set to 0 to \
        disable this limit.",
    ),
    opt(
        "api",
        "continue_rate_overall",
        K::Integer,
        Some("1000"),
        "Requests per second to /v1/continue accepted from all clients together; more are \
        answered 503 (Service Unavailable) with Retry-After. Set to 0 to disable this limit.",
    ),
    opt(
        "api",
        "request_timeout",
        K::Integer,
        Some("60"),
        "Seconds after which a request other than /v1/continue is answered 503 (Service \
        Unavailable). Set to 0 to disable the time-out.",
    ),
    opt(
        "api",
        "max_continue_body_size",
        K::Integer,
        Some("16777216"),
        "Largest body accepted on /v1/continue, in bytes; larger ones are answered 413 (Request \
        Entity Too Large) before they are read.",
    ),
    opt(
        "api",
        "continue_body_budget",
        K::Integer,
        Some("16777216"),
        "Bytes of /v1/continue bodies held at once by all requests together (counted by their \
        Content-Length, or the largest accepted size without one); a post beyond it is answered \
        503 (Service Unavailable) with Retry-After, which the ramdisk retries. Set to 0 to \
        disable this limit.",
    ),
    opt(
        "api",
        "trusted_proxies",
        K::List,
        None,
        "Addresses or networks (CIDR) of the proxies in front of the service (a load balancer, \
        Ironic forwarding /v1/continue_inspection): for requests from them, the client address \
        used by the rate limits and the timeline is taken from X-Forwarded-For. Unset means \
        X-Forwarded-For is never trusted.",
    ),
    opt(
        "api",
        "max_connections",
        K::Integer,
        Some("4096"),
        "Client connections served at once; further clients wait in the listen backlog until one \
        closes. Each takes a file descriptor: keep it below the process's open-file limit \
        (LimitNOFILE in the systemd unit). Set to 0 to disable this limit.",
    ),
    opt(
        "api",
        "header_read_timeout",
        K::Integer,
        Some("60"),
        "Seconds a client has to send the head (request line and headers) of each request, the \
        time an idle keep-alive connection waits for its next request included; the connection \
        is closed after it. Set to 0 to disable the time-out.",
    ),
    opt(
        "capabilities",
        "boot_mode",
        K::Boolean,
        Some("false"),
        "Whether to store the boot mode (BIOS or UEFI).",
    ),
    opt(
        "capabilities",
        "cpu_flags",
        K::Dict,
        Some(
            "vmx:cpu_vt,svm:cpu_vt,aes:cpu_aes,pse:cpu_hugepages,pdpe1gb:cpu_hugepages_1g,smx:cpu_txt",
        ),
        "Mapping between a CPU flag and a capability to set if this flag is present.",
    ),
    opt(
        "coordination",
        "locks",
        K::String,
        Some("process"),
        "Where node locks live: in this process, or in the database for several processes sharing \
        one PostgreSQL or MySQL database.",
    )
    .with_choices(&[
        ("process", "in the memory of this process (one process)"),
        (
            "database",
            "in the database, with the periodic tasks' leases",
        ),
    ]),
    opt(
        "coordination",
        "node_locked_retry_attempts",
        K::Integer,
        Some("3"),
        "Further attempts to take a node lock that another holder has before giving up.",
    ),
    opt(
        "coordination",
        "node_locked_retry_interval",
        K::Float,
        Some("1.0"),
        "Seconds between two attempts to take a node lock.",
    ),
    opt(
        "coordination",
        "lock_heartbeat_interval",
        K::Float,
        Some("10.0"),
        "Seconds between two heartbeats of the node locks this process holds (locks = database).",
    ),
    opt(
        "coordination",
        "lock_expiry",
        K::Float,
        Some("60.0"),
        "Seconds without a heartbeat after which a node lock is taken over (locks = database). \
        Must be more than twice lock_heartbeat_interval.",
    ),
    opt(
        "coordination",
        "lease_ttl",
        K::Float,
        Some("30.0"),
        "Seconds a periodic task's lease lasts unless its holder renews it (locks = database).",
    ),
    opt(
        "database",
        "connection",
        K::String,
        Some("sqlite:///ironic_inspector.sqlite"),
        "The SQLAlchemy connection string to use to connect to the database: sqlite:///<file>, \
        mysql+pymysql://<user>:<password>@<host>/<database> or \
        postgresql://<user>:<password>@<host>/<database>.",
    ),
    opt(
        "database",
        "max_pool_size",
        K::Integer,
        Some("5"),
        "Maximum number of SQL connections to keep open in a pool; the pool holds at most \
        max_pool_size + max_overflow connections.",
    ),
    opt(
        "database",
        "max_overflow",
        K::Integer,
        Some("50"),
        "Connections allowed beyond max_pool_size when the pool is busy.",
    ),
    opt(
        "database",
        "pool_timeout",
        K::Integer,
        Some("30"),
        "Seconds to wait for a free connection from the pool.",
    ),
    opt(
        "database",
        "connection_recycle_time",
        K::Integer,
        Some("3600"),
        "Connections which have been present in the connection pool longer than this number of \
        seconds will be replaced with a new one the next time they are checked out from the pool.",
    ),
    opt(
        "database",
        "max_retries",
        K::Integer,
        Some("10"),
        "Maximum number of database connection retries during startup. Set to -1 to specify an \
        infinite retry count.",
    ),
    opt(
        "database",
        "retry_interval",
        K::Integer,
        Some("10"),
        "Interval (in seconds) between retries of opening a SQL connection.",
    ),
    opt(
        "database",
        "sqlite_synchronous",
        K::Boolean,
        Some("true"),
        "If True, SQLite uses synchronous mode.",
    ),
    opt(
        "discovery",
        "enroll_node_driver",
        K::String,
        Some("fake-hardware"),
        "The name of the Ironic driver used by the enroll hook when creating a new node in Ironic.",
    ),
    opt(
        "discovery",
        "enroll_node_fields",
        K::Dict,
        Some(""),
        "Additional fields to set on newly discovered nodes.",
    ),
    opt(
        "discovery",
        "enabled_bmc_address_version",
        K::List,
        Some("4,6"),
        "IP version of BMC address that will be used when enrolling a new node in Ironic. \
        Defaults to \"4,6\". Could be \"4\" (use v4 address only), \"4,6\" (v4 address have \
        higher priority and if both addresses found v6 version is ignored), \"6,4\" (v6 is \
        desired but fall back to v4 address for BMCs having v4 address, opposite to \"4,6\"), \
        \"6\" (use v6 address only and ignore v4 version).",
    ),
    opt(
        "dnsmasq_pxe_filter",
        "dhcp_hostsdir",
        K::String,
        Some("/var/lib/ironic-inspector/dhcp-hostsdir"),
        "The MAC address cache directory, exposed to dnsmasq. This directory is expected to be in \
        exclusive control of the driver.",
    ),
    opt(
        "dnsmasq_pxe_filter",
        "purge_dhcp_hostsdir",
        K::Boolean,
        Some("true"),
        "Purge the hostsdir upon driver initialization. Setting to false should only be performed \
        when the deployment of inspector is such that there are multiple processes executing \
        inside of the same host and namespace. In this case, the Operator is responsible for \
        setting up a custom cleaning facility.",
    ),
    opt(
        "dnsmasq_pxe_filter",
        "dnsmasq_start_command",
        K::String,
        Some(""),
        "A (shell) command line to start the dnsmasq service upon filter initialization. Default: \
        don't start.",
    ),
    opt(
        "dnsmasq_pxe_filter",
        "dnsmasq_stop_command",
        K::String,
        Some(""),
        "A (shell) command line to stop the dnsmasq service upon inspector (error) exit. Default: \
        don't stop.",
    ),
    opt(
        "extra_hardware",
        "strict",
        K::Boolean,
        Some("false"),
        "If True, refuse to parse extra data if at least one record is too short. Additionally, \
        remove the incoming \"data\" even if parsing failed.",
    ),
    opt(
        "healthcheck",
        "enabled",
        K::Boolean,
        Some("false"),
        "Enable the health check endpoint at /healthcheck. Note that this is unauthenticated.",
    ),
    opt(
        "iptables",
        "dnsmasq_interface",
        K::String,
        Some("br-ctlplane"),
        "Interface on which dnsmasq listens, the default is for VM's.",
    ),
    opt(
        "iptables",
        "firewall_chain",
        K::String,
        Some("ironic-inspector"),
        "iptables chain name to use.",
    ),
    opt(
        "iptables",
        "ethoib_interfaces",
        K::List,
        Some(""),
        "List of Ethernet Over InfiniBand interfaces on the Inspector host which are used for \
        physical access to the DHCP network. Multiple interfaces would be attached to a bond or \
        bridge specified in dnsmasq_interface. The MACs of the InfiniBand nodes which are not in \
        desired state are going to be blocked based on the list of neighbor MACs on these \
        interfaces.",
    ),
    opt(
        "iptables",
        "ip_version",
        K::Integer,
        Some("4"),
        "The IP version that will be used for iptables filter. Defaults to 4.",
    )
    .with_choices(&[("4", "IPv4"), ("6", "IPv6")]),
    opt(
        "ironic",
        "application_credential_id",
        K::String,
        None,
        "Application credential ID.",
    ),
    opt(
        "ironic",
        "application_credential_name",
        K::String,
        None,
        "Application credential name.",
    ),
    opt(
        "ironic",
        "application_credential_secret",
        K::String,
        None,
        "Application credential auth secret.",
    ),
    opt(
        "ironic",
        "auth_type",
        K::String,
        Some("password"),
        "Authentication type to load: none, http_basic, password (or v3password), \
        v3applicationcredential, token (or v3token) or admin_token.",
    ),
    opt("ironic", "auth_url", K::String, None, "Authentication URL."),
    opt(
        "ironic",
        "cafile",
        K::String,
        None,
        "PEM encoded Certificate Authority to use when verifying HTTPs connections.",
    ),
    opt(
        "ironic",
        "certfile",
        K::String,
        None,
        "PEM encoded client certificate cert file.",
    ),
    opt(
        "ironic",
        "endpoint_override",
        K::String,
        None,
        "Always use this endpoint URL for requests for this client. NOTE: The unversioned \
        endpoint should be specified here.",
    ),
    opt(
        "ironic",
        "insecure",
        K::Boolean,
        Some("false"),
        "Do not verify the certificates of HTTPS connections.",
    ),
    opt(
        "ironic",
        "keyfile",
        K::String,
        None,
        "PEM encoded client certificate key file.",
    ),
    opt(
        "ironic",
        "max_requests_per_second",
        K::Integer,
        None,
        "Maximum number of requests per second sent to Ironic, with bursts up to the same number. \
        Unset means no limit.",
    ),
    opt(
        "ironic",
        "max_retries",
        K::Integer,
        Some("30"),
        "Maximum number of retries in case of conflict error (HTTP 409, node locked) or HTTP 503.",
    ),
    opt("ironic", "password", K::String, None, "User's password."),
    opt(
        "ironic",
        "project_domain_id",
        K::String,
        None,
        "Domain ID containing project.",
    ),
    opt(
        "ironic",
        "project_domain_name",
        K::String,
        None,
        "Domain name containing project.",
    ),
    opt(
        "ironic",
        "project_id",
        K::String,
        None,
        "Project ID to scope to.",
    ),
    opt(
        "ironic",
        "project_name",
        K::String,
        None,
        "Project name to scope to.",
    ),
    opt(
        "ironic",
        "region_name",
        K::String,
        None,
        "The default region_name for endpoint URL discovery.",
    ),
    opt(
        "ironic",
        "retry_interval",
        K::Integer,
        Some("2"),
        "Interval (in seconds) between retries in case of conflict error (HTTP 409) or HTTP 503.",
    ),
    opt(
        "ironic",
        "service_type",
        K::String,
        Some("baremetal"),
        "The default service_type for endpoint URL discovery.",
    ),
    opt(
        "ironic",
        "timeout",
        K::Integer,
        None,
        "Timeout value (in seconds) for http requests.",
    ),
    opt(
        "ironic",
        "token",
        K::String,
        None,
        "Token to authenticate with.",
    ),
    opt(
        "ironic",
        "user_domain_id",
        K::String,
        None,
        "User's domain id.",
    ),
    opt(
        "ironic",
        "user_domain_name",
        K::String,
        None,
        "User's domain name.",
    ),
    opt("ironic", "user_id", K::String, None, "User id."),
    opt("ironic", "username", K::String, None, "Username."),
    opt(
        "ironic",
        "valid_interfaces",
        K::List,
        Some("internal,public"),
        "List of interfaces, in order of preference, for endpoint URL.",
    ),
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
    opt(
        "pci_devices",
        "alias",
        K::MultiString,
        None,
        "An alias for PCI device identified by 'vendor_id' and 'product_id' fields. Format: \
        {\"vendor_id\": \"1234\", \"product_id\": \"5678\", \"name\": \"pci_dev1\"}",
    ),
    opt(
        "port_physnet",
        "cidr_map",
        K::List,
        Some(""),
        "Mapping of IP subnet CIDR to physical network (e.g. \
        10.10.10.0/24:physnet_a,2001:db8::/64:physnet_b). When the physnet_cidr_map processing \
        hook is enabled the physical_network property of baremetal ports is populated based on \
        this mapping.",
    ),
    opt(
        "processing",
        "add_ports",
        K::String,
        Some("pxe"),
        "Which MAC addresses to add as ports during introspection. Possible values: all (all MAC \
        addresses), active (MAC addresses of NIC with IP addresses), pxe (only MAC address of \
        NIC node PXE booted from, falls back to \"active\" if PXE MAC is not supplied by the \
        ramdisk), disabled (no ports).",
    )
    .with_choices(&[("all", ""), ("active", ""), ("pxe", ""), ("disabled", "")]),
    opt(
        "processing",
        "keep_ports",
        K::String,
        Some("all"),
        "Which ports (already present on a node) to keep after introspection. Possible values: \
        all (do not delete anything), present (keep ports which MACs were present in \
        introspection data), added (keep only MACs that we added during introspection).",
    )
    .with_choices(&[("all", ""), ("present", ""), ("added", "")]),
    opt(
        "processing",
        "overwrite_existing",
        K::Boolean,
        Some("true"),
        "Whether to overwrite existing values in node database. Disable this option to make \
        introspection a non-destructive operation.",
    ),
    opt(
        "processing",
        "default_processing_hooks",
        K::String,
        Some(
            "ramdisk_error,root_disk_selection,scheduler,validate_interfaces,capabilities,pci_devices",
        ),
        "Comma-separated list of default hooks for processing pipeline. Hook 'scheduler' updates \
        the node with the minimum properties required by the Nova scheduler. Hook \
        'validate_interfaces' ensures that valid NIC data was provided by the ramdisk. Do not \
        exclude these two unless you really know what you're doing.",
    ),
    opt(
        "processing",
        "processing_hooks",
        K::String,
        Some("$default_processing_hooks"),
        "Comma-separated list of enabled hooks for processing pipeline. The default for this is \
        $default_processing_hooks, hooks can be added before or after the defaults like this: \
        \"prehook,$default_processing_hooks,posthook\".",
    ),
    opt(
        "processing",
        "ramdisk_logs_dir",
        K::String,
        None,
        "If set, logs from ramdisk will be stored in this directory.",
    ),
    opt(
        "processing",
        "always_store_ramdisk_logs",
        K::Boolean,
        Some("false"),
        "Whether to store ramdisk logs even if it did not return an error message (dependent upon \
        \"ramdisk_logs_dir\" option being set).",
    ),
    opt(
        "processing",
        "node_not_found_hook",
        K::String,
        None,
        "The name of the hook to run when inspector receives inspection information from a node \
        it isn't already aware of: enroll or example. This hook is ignored by default.",
    ),
    opt(
        "processing",
        "store_data",
        K::String,
        Some("none"),
        "The storage backend for storing introspection data. Possible values are: 'none', \
        'database' and 'swift'. If set to 'none', introspection data will not be stored.",
    )
    .with_choices(&[("none", ""), ("database", ""), ("swift", "")]),
    opt(
        "processing",
        "disk_partitioning_spacing",
        K::Boolean,
        Some("true"),
        "Whether to leave 1 GiB of disk size untouched for partitioning. Only has effect when \
        used with the IPA as a ramdisk, for older ramdisk local_gb is calculated on the ramdisk \
        side.",
    ),
    opt(
        "processing",
        "ramdisk_logs_filename_format",
        K::String,
        Some("{uuid}_{dt:%Y%m%d-%H%M%S.%f}.tar.gz"),
        "File name template for storing ramdisk logs. The following replacements can be used: \
        {uuid} - node UUID or \"unknown\", {bmc} - node BMC address or \"unknown\", {dt} - \
        current UTC date and time, {mac} - PXE booting MAC or \"unknown\".",
    ),
    opt(
        "processing",
        "power_off",
        K::Boolean,
        Some("true"),
        "Whether to power off a node after introspection. Nodes in active or rescue states which \
        submit introspection data will be left on if the feature is enabled via the \
        'permit_active_introspection' configuration option.",
    ),
    opt(
        "processing",
        "permit_active_introspection",
        K::Boolean,
        Some("false"),
        "Whether to process nodes that are in running states.",
    ),
    opt(
        "processing",
        "update_pxe_enabled",
        K::Boolean,
        Some("true"),
        "Whether to update the pxe_enabled value according to the introspection data. This option \
        has no effect if [processing]overwrite_existing is set to False.",
    ),
    opt(
        "pxe_filter",
        "driver",
        K::String,
        Some("iptables"),
        "PXE boot filter driver to use, possible filters are: \"iptables\", \"dnsmasq\" and \
        \"noop\". Set \"noop\" to disable the firewall filtering.",
    )
    .with_choices(&[("iptables", ""), ("dnsmasq", ""), ("noop", "")]),
    opt(
        "pxe_filter",
        "sync_period",
        K::Integer,
        Some("15"),
        "Amount of time in seconds, after which repeat periodic update of the filter. Set to 0 to \
        disable the periodic update.",
    ),
    opt(
        "pxe_filter",
        "deny_unknown_macs",
        K::Boolean,
        Some("false"),
        "By default inspector will open the DHCP server for any node when introspection is \
        active. Opening DHCP for unknown MAC addresses when introspection is active allow for \
        users to add nodes with no ports to ironic and have ironic-inspector enroll ports based \
        on node introspection results. NOTE: If this option is True, nodes must have at least \
        one enrolled port prior to introspection.",
    ),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_is_wrapped_at_seventy_columns_and_long_words_stay_whole() {
        let text = "word ".repeat(30);
        let lines = wrap(&text);
        assert!(lines.iter().all(|line| line.len() <= WIDTH), "{lines:?}");
        assert_eq!(lines.concat().matches("word").count(), 30);
        let long = format!("short {} end", "x".repeat(80));
        assert_eq!(
            wrap(&long),
            [
                "# short".to_owned(),
                format!("# {}", "x".repeat(80)),
                "# end".to_owned()
            ]
        );
    }

    #[test]
    fn options_are_rendered_like_oslo_config_generator() {
        let mut out = String::new();
        push_option(
            &mut out,
            &opt("x", "name", OptionKind::Integer, None, "Some help."),
        );
        assert_eq!(out, "# Some help. (integer value)\n#name = <None>\n");
        let mut out = String::new();
        push_option(
            &mut out,
            &opt("x", "mode", OptionKind::String, Some(""), "Mode.")
                .with_choices(&[("a", "first"), ("b", "")]),
        );
        assert_eq!(
            out,
            "# Mode. (string value)\n# Possible values:\n# a - first\n# b\n#mode =\n"
        );
    }

    #[test]
    fn the_sample_starts_with_default_and_every_section_once() {
        let sample = sample_config();
        let headers: Vec<&str> = sample
            .lines()
            .filter(|line| line.starts_with('['))
            .collect();
        assert_eq!(headers.first(), Some(&"[DEFAULT]"));
        let mut sorted = headers[1..].to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, headers[1..]);
        assert!(sample.ends_with('\n') && !sample.ends_with("\n\n"));
        assert_eq!(sample, sample_config());
    }
}
