//! Typed option groups with upstream's names and defaults.
//!
//! Only the groups the database layer needs live here so far. Defaults are
//! declared once, in the [catalog](crate::catalog), which parsing,
//! interpolation and the sample configuration all read.

use crate::error::Result;
use crate::sources::ConfigSources;

/// `[database]`: oslo.db options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseOptions {
    /// SQLAlchemy database URL; default `sqlite:///ironic_inspector.sqlite`.
    pub connection: String,
    /// Connections kept open in the pool; oslo default 5.
    pub max_pool_size: u32,
    /// Extra connections allowed beyond `max_pool_size`; oslo default 50.
    pub max_overflow: u32,
    /// Seconds to wait for a free connection; unset means 30.
    pub pool_timeout: u64,
    /// Seconds after which a connection is replaced; oslo default 3600.
    pub connection_recycle_time: u64,
    /// Connection attempts at start-up; -1 means forever; oslo default 10.
    pub max_retries: i64,
    /// Seconds between start-up connection attempts; oslo default 10.
    pub retry_interval: u64,
    /// Whether SQLite syncs to disk on commit (`synchronous = FULL`); default true.
    pub sqlite_synchronous: bool,
}

impl DatabaseOptions {
    /// Reads `[database]`.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        let section = sources.section("database");
        let number = |name: &str| -> Result<i64> {
            Ok(section
                .integer(name)?
                .expect("every option has a declared default"))
        };
        Ok(Self {
            connection: section.string("connection")?.expect("declared default"),
            max_pool_size: clamp(number("max_pool_size")?),
            max_overflow: clamp(number("max_overflow")?),
            pool_timeout: clamp(number("pool_timeout")?).into(),
            connection_recycle_time: clamp(number("connection_recycle_time")?).into(),
            max_retries: number("max_retries")?,
            retry_interval: clamp(number("retry_interval")?).into(),
            sqlite_synchronous: section
                .boolean("sqlite_synchronous")?
                .expect("declared default"),
        })
    }
}

/// `[DEFAULT]` options used by the node cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultOptions {
    /// Introspection timeout in seconds; 0 or less disables timeouts; default 3600.
    pub timeout: i64,
    /// Seconds to keep finished records before the clean-up deletes them;
    /// 0 keeps them until the node leaves Ironic (upstream's removed option; default 0).
    pub node_status_keep_time: i64,
    /// Default and maximum page size of the status list; default 1000.
    pub api_max_limit: i64,
    /// API bind address; default `::`.
    pub listen_address: String,
    /// API port; default 5050 (0 picks a free port).
    pub listen_port: u16,
    /// `noauth`, `http_basic` or `keystone` (upstream's default).
    pub auth_strategy: String,
    /// Debug logging and error details in 500 bodies; default false.
    pub debug: bool,
    /// The htpasswd file of `auth_strategy = http_basic`; default `/etc/ironic-inspector/htpasswd`.
    pub http_basic_auth_user_file: String,
    /// `[healthcheck] enabled`: serve `/healthcheck`; default false.
    pub healthcheck: bool,
    /// Listen on this UNIX socket instead of TCP; unset by default.
    pub listen_unix_socket: Option<String>,
    /// File mode of that socket (octal, e.g. `0660`); unset by default.
    pub listen_unix_socket_mode: Option<u32>,
    /// Serve the API over TLS with `[ssl] cert_file` / `key_file`; default false.
    pub use_ssl: bool,
    /// `[ssl] cert_file`: the server certificate chain (PEM).
    pub ssl_cert_file: Option<String>,
    /// `[ssl] key_file`: its private key (PEM).
    pub ssl_key_file: Option<String>,
}

impl DefaultOptions {
    /// Reads `[DEFAULT]`.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        let section = sources.section("DEFAULT");
        let ssl = sources.section("ssl");
        let number = |name: &str| -> Result<i64> {
            Ok(section
                .integer(name)?
                .expect("every option has a declared default"))
        };
        Ok(Self {
            timeout: number("timeout")?,
            node_status_keep_time: number("node_status_keep_time")?,
            api_max_limit: number("api_max_limit")?,
            listen_address: section.string("listen_address")?.expect("declared default"),
            listen_port: u16::try_from(number("listen_port")?.clamp(0, 65535)).unwrap_or(u16::MAX),
            auth_strategy: section.string("auth_strategy")?.expect("declared default"),
            debug: section.boolean("debug")?.expect("declared default"),
            http_basic_auth_user_file: section
                .string("http_basic_auth_user_file")?
                .expect("declared default"),
            healthcheck: sources
                .section("healthcheck")
                .boolean("enabled")?
                .expect("declared default"),
            listen_unix_socket: section
                .string("listen_unix_socket")?
                .filter(|path| !path.is_empty()),
            listen_unix_socket_mode: section.typed(
                "listen_unix_socket_mode",
                "an octal file mode",
                |text| {
                    u32::from_str_radix(text.trim().trim_start_matches("0o"), 8)
                        .ok()
                        .filter(|mode| *mode <= 0o7777)
                },
            )?,
            use_ssl: section.boolean("use_ssl")?.expect("declared default"),
            ssl_cert_file: ssl.string("cert_file")?.filter(|p| !p.is_empty()),
            ssl_key_file: ssl.string("key_file")?.filter(|p| !p.is_empty()),
        })
    }
}

fn clamp(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}

defaults_from_the_catalog!(
    DatabaseOptions,
    DefaultOptions,
    ApiProtectionOptions,
    TimelineOptions
);

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn defaults_match_upstream() {
        let options = DatabaseOptions::default();
        assert_eq!(options.connection, "sqlite:///ironic_inspector.sqlite");
        assert_eq!((options.max_pool_size, options.max_overflow), (5, 50));
        assert_eq!((options.max_retries, options.retry_interval), (10, 10));
        let defaults = DefaultOptions::from_sources(&ConfigSources::default()).unwrap();
        assert_eq!(defaults.timeout, 3600);
        assert_eq!(defaults.api_max_limit, 1000);
    }

    #[test]
    fn listening_options_are_read() {
        let sources = ConfigSources::from_text(
            "[DEFAULT]\nlisten_unix_socket = /run/inspector.sock\nlisten_unix_socket_mode = 0660\nuse_ssl = yes\n\
             [ssl]\ncert_file = /etc/c.pem\nkey_file = /etc/k.pem\n",
            Path::new("inspector.conf"),
        )
        .unwrap();
        let options = DefaultOptions::from_sources(&sources).unwrap();
        assert_eq!(
            options.listen_unix_socket.as_deref(),
            Some("/run/inspector.sock")
        );
        assert_eq!(options.listen_unix_socket_mode, Some(0o660));
        assert!(options.use_ssl);
        assert_eq!(options.ssl_cert_file.as_deref(), Some("/etc/c.pem"));
        assert_eq!(options.ssl_key_file.as_deref(), Some("/etc/k.pem"));
        let bad = ConfigSources::from_text(
            "[DEFAULT]\nlisten_unix_socket_mode = 0999\n",
            Path::new("inspector.conf"),
        )
        .unwrap();
        let error = DefaultOptions::from_sources(&bad).unwrap_err().to_string();
        assert!(
            error.contains("listen_unix_socket_mode") && error.contains("octal"),
            "{error}"
        );
        let defaults = DefaultOptions::from_sources(&ConfigSources::default()).unwrap();
        assert_eq!(
            (
                defaults.listen_unix_socket,
                defaults.listen_unix_socket_mode,
                defaults.use_ssl
            ),
            (None, None, false)
        );
    }

    #[test]
    fn database_section_is_read() {
        let sources = ConfigSources::from_text(
            "[database]\nconnection = mysql+pymysql://root@127.0.0.1/test\nmax_retries = 1\nretry_interval = 0\n",
            Path::new("inspector.conf"),
        )
        .unwrap();
        let options = DatabaseOptions::from_sources(&sources).unwrap();
        assert_eq!(options.connection, "mysql+pymysql://root@127.0.0.1/test");
        assert_eq!((options.max_retries, options.retry_interval), (1, 0));
    }

    #[test]
    fn wrong_type_names_the_option() {
        let sources = ConfigSources::from_text(
            "[database]\nmax_pool_size = many\n",
            Path::new("inspector.conf"),
        )
        .unwrap();
        let error = DatabaseOptions::from_sources(&sources).unwrap_err();
        assert_eq!(
            error.to_string(),
            "inspector.conf:2: invalid value \"many\" for option max_pool_size in group [database]: an integer"
        );
    }
}

/// `[api]`: protection of the HTTP API (options of this service, not upstream's),
/// and `[DEFAULT] use_json` (oslo.log's JSON log lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiProtectionOptions {
    /// `/v1/continue` requests per second from one client address; 0 disables; default 50.
    pub continue_rate_per_client: u32,
    /// `/v1/continue` requests per second in total; 0 disables; default 1000.
    pub continue_rate_overall: u32,
    /// Seconds before a request other than `/v1/continue` is answered 503; 0 disables; default 60.
    pub request_timeout: u64,
    /// Largest `/v1/continue` body in bytes; default 16 MiB.
    pub max_continue_body_size: u64,
    /// Bytes of `/v1/continue` bodies held at once (all requests together);
    /// more are answered 503 with `Retry-After`; 0 disables; default 16 MiB (a parsed payload takes many times its size).
    pub continue_body_budget: u64,
    /// Peers whose `X-Forwarded-For` names the client (addresses or networks);
    /// default none.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Client connections served at once; 0 disables; default 4096.
    pub max_connections: u32,
    /// Seconds a client has to send a request head (idle keep-alive time
    /// included); 0 disables; default 60.
    pub header_read_timeout: u64,
    /// `[DEFAULT] use_json`: log lines as JSON; default false.
    pub use_json: bool,
}

impl ApiProtectionOptions {
    /// Reads `[api]` and `[DEFAULT] use_json`.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        let section = sources.section("api");
        let number =
            |name: &str| -> Result<i64> { Ok(section.integer(name)?.expect("declared default")) };
        Ok(Self {
            continue_rate_per_client: clamp(number("continue_rate_per_client")?),
            continue_rate_overall: clamp(number("continue_rate_overall")?),
            request_timeout: number("request_timeout")?.max(0).unsigned_abs(),
            max_continue_body_size: number("max_continue_body_size")?.max(1).unsigned_abs(),
            continue_body_budget: number("continue_body_budget")?.max(0).unsigned_abs(),
            max_connections: clamp(number("max_connections")?),
            header_read_timeout: number("header_read_timeout")?.max(0).unsigned_abs(),
            trusted_proxies: section
                .typed(
                    "trusted_proxies",
                    "a list of IP addresses or networks (192.0.2.1, 10.0.0.0/8, 2001:db8::/32)",
                    parse_networks,
                )?
                .unwrap_or_default(),
            use_json: sources
                .section("DEFAULT")
                .boolean("use_json")?
                .expect("declared default"),
        })
    }
}

/// A comma-separated list of addresses (one host each) or CIDR networks.
fn parse_networks(text: &str) -> Option<Vec<ipnet::IpNet>> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>().ok().or_else(|| {
                item.parse::<std::net::IpAddr>()
                    .ok()
                    .map(ipnet::IpNet::from)
            })
        })
        .collect()
}

/// `[timeline]`: how much of each introspection's story is kept (options of
/// this service, not upstream's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineOptions {
    /// `max_events`: events kept per introspection record, the newest.
    pub max_events: i64,
    /// `max_unmatched_reports`: ramdisk reports that matched no node kept, the newest.
    pub max_unmatched_reports: i64,
}

impl TimelineOptions {
    /// Reads `[timeline]`; both bounds are at least 1.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        let section = sources.section("timeline");
        let number = |name: &str| -> Result<i64> {
            Ok(section.integer(name)?.expect("declared default").max(1))
        };
        Ok(Self {
            max_events: number("max_events")?,
            max_unmatched_reports: number("max_unmatched_reports")?,
        })
    }
}

#[cfg(test)]
mod timeline_tests {
    use std::path::Path;

    use super::*;

    #[rstest::rstest]
    #[case::defaults("", 200, 100)]
    #[case::set("[timeline]\nmax_events = 20\nmax_unmatched_reports = 5\n", 20, 5)]
    #[case::at_least_one("[timeline]\nmax_events = 0\nmax_unmatched_reports = -3\n", 1, 1)]
    fn timeline_bounds_are_read(#[case] text: &str, #[case] events: i64, #[case] reports: i64) {
        let sources = ConfigSources::from_text(text, Path::new("inspector.conf")).unwrap();
        let options = TimelineOptions::from_sources(&sources).unwrap();
        assert_eq!(
            (options.max_events, options.max_unmatched_reports),
            (events, reports)
        );
    }
}
