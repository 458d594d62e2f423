//! `[ironic]`: how the service reaches and authenticates to Ironic
//! (keystoneauth-style options, as upstream registers them).

use crate::error::Result;
use crate::sources::ConfigSources;

/// `[ironic]` options.
#[derive(Clone, PartialEq, Eq)]
pub struct IronicOptions {
    /// `none`, `http_basic`, `password` / `v3password`, `v3applicationcredential`, `token` / `v3token`; default `password`.
    pub auth_type: String,
    /// Keystone URL for the Keystone auth types.
    pub auth_url: Option<String>,
    /// User name (Keystone or HTTP basic).
    pub username: Option<String>,
    /// User id (Keystone).
    pub user_id: Option<String>,
    /// Password (Keystone or HTTP basic).
    pub password: Option<String>,
    /// Domain of the user, by name.
    pub user_domain_name: Option<String>,
    /// Domain of the user, by id.
    pub user_domain_id: Option<String>,
    /// Project scope, by name.
    pub project_name: Option<String>,
    /// Project scope, by id.
    pub project_id: Option<String>,
    /// Domain of the project, by name.
    pub project_domain_name: Option<String>,
    /// Domain of the project, by id.
    pub project_domain_id: Option<String>,
    /// Application credential id (`v3applicationcredential`).
    pub application_credential_id: Option<String>,
    /// Application credential name (with a user).
    pub application_credential_name: Option<String>,
    /// Application credential secret.
    pub application_credential_secret: Option<String>,
    /// A Keystone token (`token` / `v3token`).
    pub token: Option<String>,
    /// Catalog service type; default `baremetal`.
    pub service_type: String,
    /// Catalog region.
    pub region_name: Option<String>,
    /// Endpoint interfaces tried in order; default `internal,public`.
    pub valid_interfaces: Vec<String>,
    /// A fixed Ironic URL instead of the catalog.
    pub endpoint_override: Option<String>,
    /// CA bundle to verify Ironic's certificate.
    pub cafile: Option<String>,
    /// Client certificate (PEM).
    pub certfile: Option<String>,
    /// Client key (PEM).
    pub keyfile: Option<String>,
    /// Skip TLS verification; default false.
    pub insecure: bool,
    /// HTTP timeout in seconds; unset means none.
    pub timeout: Option<u64>,
    /// Retries of a call answered 409 (node locked) or 503; default 30.
    pub max_retries: u32,
    /// Seconds between those retries; default 2.
    pub retry_interval: u64,
    /// Upper bound of requests per second sent to Ironic; unset (default) means no cap.
    /// Not an upstream option.
    pub max_requests_per_second: Option<u32>,
}

impl std::fmt::Debug for IronicOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IronicOptions")
            .field("auth_type", &self.auth_type)
            .field("auth_url", &self.auth_url)
            .field("username", &self.username)
            .field("endpoint_override", &self.endpoint_override)
            .field("region_name", &self.region_name)
            .field("valid_interfaces", &self.valid_interfaces)
            .finish_non_exhaustive()
    }
}

impl IronicOptions {
    /// Reads `[ironic]`.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        Self::from_section(sources, "ironic")
    }

    /// Reads `[service_catalog]`: how the service finds its own endpoint in
    /// the Keystone catalog, for mDNS (`service_type` defaults to
    /// `baremetal-introspection`).
    pub fn service_catalog(sources: &ConfigSources) -> Result<Self> {
        Self::from_section(sources, "service_catalog")
    }

    /// Whether these options say where the service is: an endpoint override
    /// or a Keystone to ask.
    pub fn locates_a_service(&self) -> bool {
        self.endpoint_override.is_some() || self.auth_url.is_some()
    }

    /// Reads the keystoneauth options of `section` (`[ironic]` or
    /// `[keystone_authtoken]`, which share the option names).
    pub(crate) fn from_section(sources: &ConfigSources, section: &str) -> Result<Self> {
        let s = sources.section(section);
        let text = |name: &str| -> Result<Option<String>> {
            Ok(s.string(name)?.filter(|v| !v.is_empty()))
        };
        let number = |name: &str| -> Result<Option<i64>> { s.integer(name) };
        let clamp = |value: i64| u32::try_from(value.max(0)).unwrap_or(u32::MAX);
        Ok(Self {
            auth_type: s.non_empty("auth_type")?.expect("declared default"),
            auth_url: text("auth_url")?,
            username: text("username")?,
            user_id: text("user_id")?,
            password: text("password")?,
            user_domain_name: text("user_domain_name")?,
            user_domain_id: text("user_domain_id")?,
            project_name: text("project_name")?,
            project_id: text("project_id")?,
            project_domain_name: text("project_domain_name")?,
            project_domain_id: text("project_domain_id")?,
            application_credential_id: text("application_credential_id")?,
            application_credential_name: text("application_credential_name")?,
            application_credential_secret: text("application_credential_secret")?,
            token: text("token")?,
            service_type: s.non_empty("service_type")?.expect("declared default"),
            region_name: text("region_name")?,
            valid_interfaces: s.list("valid_interfaces")?.unwrap_or_default(),
            endpoint_override: text("endpoint_override")?,
            cafile: text("cafile")?,
            certfile: text("certfile")?,
            keyfile: text("keyfile")?,
            insecure: s.boolean("insecure")?.expect("declared default"),
            timeout: number("timeout")?.map(|t| t.max(0).unsigned_abs()),
            max_retries: clamp(number("max_retries")?.expect("declared default")),
            retry_interval: number("retry_interval")?
                .expect("declared default")
                .max(0)
                .unsigned_abs(),
            max_requests_per_second: number("max_requests_per_second")?
                .map(clamp)
                .filter(|n| *n > 0),
        })
    }
}

/// `[keystone_authtoken]`: how `auth_strategy = keystone` validates tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeystoneAuthtokenOptions {
    /// The service's own Keystone credentials (keystoneauth options of the group).
    pub service: IronicOptions,
    /// `www_authenticate_uri` (or the deprecated `auth_uri`): sent in the 401 challenge.
    pub www_authenticate_uri: Option<String>,
    /// `token_cache_time`: seconds a validation result is reused; default 300.
    pub token_cache_time: u64,
}

impl KeystoneAuthtokenOptions {
    /// Reads `[keystone_authtoken]`.
    pub fn from_sources(sources: &ConfigSources) -> Result<Self> {
        const SECTION: &str = "keystone_authtoken";
        let service = IronicOptions::from_section(sources, SECTION)?;
        let s = sources.section(SECTION);
        let text = |name: &str| -> Result<Option<String>> {
            Ok(s.string(name)?.filter(|v| !v.is_empty()))
        };
        Ok(Self {
            service,
            www_authenticate_uri: text("www_authenticate_uri")?.or(text("auth_uri")?),
            token_cache_time: s
                .integer("token_cache_time")?
                .expect("declared default")
                .max(0)
                .unsigned_abs(),
        })
    }
}

defaults_from_the_catalog!(IronicOptions);

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn defaults_match_upstream() {
        let options = IronicOptions::default();
        assert_eq!(options.auth_type, "password");
        assert_eq!(options.service_type, "baremetal");
        assert_eq!(options.valid_interfaces, ["internal", "public"]);
        assert_eq!((options.max_retries, options.retry_interval), (30, 2));
        assert_eq!(options.max_requests_per_second, None);
    }

    #[test]
    fn keystone_options_are_read_and_secrets_not_debug_printed() {
        let sources = ConfigSources::from_text(
            "[ironic]\nauth_type = password\nauth_url = http://keystone:5000/v3\nusername = inspector\n\
             password = s3cret\nproject_name = service\nuser_domain_name = Default\nproject_domain_name = Default\n\
             region_name = RegionTwo\nvalid_interfaces = internal\nmax_retries = 3\nretry_interval = 0\n\
             max_requests_per_second = 50\n",
            Path::new("inspector.conf"),
        )
        .unwrap();
        let options = IronicOptions::from_sources(&sources).unwrap();
        assert_eq!(options.auth_url.as_deref(), Some("http://keystone:5000/v3"));
        assert_eq!(options.password.as_deref(), Some("s3cret"));
        assert_eq!(options.region_name.as_deref(), Some("RegionTwo"));
        assert_eq!(options.valid_interfaces, ["internal"]);
        assert_eq!((options.max_retries, options.retry_interval), (3, 0));
        assert_eq!(options.max_requests_per_second, Some(50));
        assert!(!format!("{options:?}").contains("s3cret"));
    }

    #[test]
    fn keystone_authtoken_group_is_read() {
        let sources = ConfigSources::from_text(
            "[keystone_authtoken]\nauth_type = password\nauth_url = http://ks:5000\nusername = inspector\n\
             password = pw\nauth_uri = http://ks:5000/public\ntoken_cache_time = 30\n",
            Path::new("inspector.conf"),
        )
        .unwrap();
        let options = KeystoneAuthtokenOptions::from_sources(&sources).unwrap();
        assert_eq!(options.service.auth_url.as_deref(), Some("http://ks:5000"));
        assert_eq!(options.service.username.as_deref(), Some("inspector"));
        assert_eq!(
            options.www_authenticate_uri.as_deref(),
            Some("http://ks:5000/public")
        );
        assert_eq!(options.token_cache_time, 30);
        let empty = KeystoneAuthtokenOptions::from_sources(&ConfigSources::default()).unwrap();
        assert_eq!(empty.token_cache_time, 300);
        assert_eq!(empty.www_authenticate_uri, None);
    }
}
