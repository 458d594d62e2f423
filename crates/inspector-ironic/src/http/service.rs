//! The osauth session: service type, authentication and TLS from `[ironic]`.

use std::time::Duration;

use inspector_config::IronicOptions;
use osauth::common::IdOrName;
use osauth::identity::{ApplicationCredential, Password, Token};
use osauth::services::{ServiceType, VersionedService};
use osauth::{
    ApiVersion, BasicAuth, EndpointFilters, InterfaceType, NoAuth, Session, ValidInterfaces,
};
use reqwest::header::{HeaderName, HeaderValue};

use crate::error::{ErrorKind, IronicError, Result};
use crate::options::AuthOptions;

/// The bare metal service, with the catalog type `[ironic] service_type` names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IronicService {
    catalog_type: &'static str,
}

impl IronicService {
    pub(crate) fn new(catalog_type: &str) -> Self {
        let catalog_type: &'static str = match catalog_type {
            "baremetal" => "baremetal",
            // Read once at start-up: a custom catalog type lives as long as the process.
            other => Box::leak(other.to_owned().into_boxed_str()),
        };
        Self { catalog_type }
    }
}

impl ServiceType for IronicService {
    fn catalog_type(&self) -> &'static str {
        self.catalog_type
    }

    fn major_version_supported(&self, version: ApiVersion) -> bool {
        version.0 == 1
    }
}

impl VersionedService for IronicService {
    fn get_version_header(&self, version: ApiVersion) -> (HeaderName, HeaderValue) {
        let value =
            HeaderValue::from_str(&version.to_string()).expect("a version is a valid header value");
        (
            HeaderName::from_static("x-openstack-ironic-api-version"),
            value,
        )
    }
}

fn config_error(message: impl Into<String>) -> IronicError {
    IronicError::new(ErrorKind::BadRequest, message)
}

/// An osauth failure (no HTTP status to go by) as an [`IronicError`].
pub(crate) fn from_osauth(error: osauth::Error) -> IronicError {
    let kind = match error.kind() {
        osauth::ErrorKind::AuthenticationFailed | osauth::ErrorKind::AccessDenied => {
            ErrorKind::Unauthorized
        }
        osauth::ErrorKind::InvalidInput | osauth::ErrorKind::InvalidConfig => ErrorKind::BadRequest,
        osauth::ErrorKind::ResourceNotFound => ErrorKind::NotFound,
        osauth::ErrorKind::Conflict => ErrorKind::Conflict,
        osauth::ErrorKind::IncompatibleApiVersion => ErrorKind::IncompatibleVersion,
        // A 5xx (osauth keeps no status: the version document at the first
        // call) is Ironic failing for now, as a 5xx of any other call is.
        osauth::ErrorKind::EndpointNotFound
        | osauth::ErrorKind::OperationTimedOut
        | osauth::ErrorKind::ProtocolError
        | osauth::ErrorKind::InternalServerError => ErrorKind::Unavailable,
        _ => ErrorKind::Other,
    };
    IronicError::new(kind, error.to_string())
}

/// The HTTP client with `[ironic]`'s TLS settings and time-out.
fn http_client(options: &IronicOptions) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder().danger_accept_invalid_certs(options.insecure);
    if let Some(cafile) = &options.cafile {
        let pem = std::fs::read(cafile)
            .map_err(|e| config_error(format!("[ironic] cafile {cafile}: {e}")))?;
        for certificate in reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| config_error(format!("[ironic] cafile {cafile}: {e}")))?
        {
            builder = builder.add_root_certificate(certificate);
        }
    }
    match (&options.certfile, &options.keyfile) {
        (Some(certfile), keyfile) => {
            let mut pem = std::fs::read(certfile)
                .map_err(|e| config_error(format!("[ironic] certfile {certfile}: {e}")))?;
            if let Some(keyfile) = keyfile {
                pem.extend(
                    std::fs::read(keyfile)
                        .map_err(|e| config_error(format!("[ironic] keyfile {keyfile}: {e}")))?,
                );
            }
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| config_error(format!("[ironic] certfile/keyfile: {e}")))?;
            builder = builder.identity(identity);
        }
        (None, Some(_)) => return Err(config_error("[ironic] keyfile needs certfile")),
        (None, None) => {}
    }
    if let Some(seconds) = options.timeout {
        builder = builder.timeout(Duration::from_secs(seconds));
    }
    builder
        .build()
        .map_err(|e| config_error(format!("cannot build the HTTP client: {e}")))
}

fn url(text: &str, option: &str) -> Result<reqwest::Url> {
    reqwest::Url::parse(text).map_err(|e| config_error(format!("[ironic] {option} {text:?}: {e}")))
}

/// Builds the authenticated session described by `[ironic]`.
pub(crate) async fn session(options: &IronicOptions) -> Result<Session> {
    let client = http_client(options)?;
    let scope = |project: &Option<String>, domain: &Option<String>| {
        project.as_ref().map(|p| {
            (
                IdOrName::from_name(p.clone()),
                domain.clone().map(IdOrName::from_name),
            )
        })
    };
    let auth = AuthOptions::from_options(options)?;
    let mut session = match &auth {
        AuthOptions::None { endpoint } => {
            let auth = NoAuth::new(url(endpoint, "endpoint_override")?).map_err(from_osauth)?;
            Session::new_with_client(client, auth).await
        }
        AuthOptions::HttpBasic {
            endpoint,
            username,
            password,
        } => {
            let auth = BasicAuth::new(url(endpoint, "endpoint_override")?, username, password)
                .map_err(from_osauth)?;
            Session::new_with_client(client, auth).await
        }
        AuthOptions::Password {
            auth_url,
            user,
            password,
            user_domain,
            project,
            project_domain,
        } => {
            let domain = user_domain.clone().unwrap_or_else(|| "Default".to_owned());
            let mut auth =
                Password::new(auth_url.as_str(), user, password, domain).map_err(from_osauth)?;
            if let Some((project, domain)) = scope(project, project_domain) {
                auth.set_project_scope(project, domain);
            }
            Session::new_with_client(client, auth).await
        }
        AuthOptions::AdminToken { endpoint, token } => {
            let auth = StaticToken {
                endpoint: url(endpoint, "endpoint_override")?,
                token: HeaderValue::from_str(token)
                    .map_err(|_| config_error("[ironic] token is not a valid header value"))?,
            };
            Session::new_with_client(client, auth).await
        }
        AuthOptions::ApplicationCredential {
            auth_url,
            id,
            secret,
        } => {
            let auth =
                ApplicationCredential::new(auth_url.as_str(), id, secret).map_err(from_osauth)?;
            Session::new_with_client(client, auth).await
        }
        AuthOptions::Token {
            auth_url,
            token,
            project,
            project_domain,
        } => {
            let mut auth = Token::new(auth_url.as_str(), token).map_err(from_osauth)?;
            if let Some((project, domain)) = scope(project, project_domain) {
                auth.set_project_scope(project, domain);
            }
            Session::new_with_client(client, auth).await
        }
    }
    .map_err(from_osauth)?;
    let interfaces: Vec<InterfaceType> = options
        .valid_interfaces
        .iter()
        .map(|name| match name.as_str() {
            "internal" => Ok(InterfaceType::Internal),
            "public" => Ok(InterfaceType::Public),
            "admin" => Ok(InterfaceType::Admin),
            other => Err(config_error(format!(
                "[ironic] valid_interfaces: unknown interface {other:?}"
            ))),
        })
        .collect::<Result<_>>()?;
    let mut filters = EndpointFilters::default().with_interfaces(ValidInterfaces::from(interfaces));
    if let Some(region) = &options.region_name {
        filters = filters.with_region(region.clone());
    }
    session = session.with_endpoint_filters(filters);
    if let (Some(endpoint), false) = (
        &options.endpoint_override,
        matches!(
            auth,
            AuthOptions::None { .. }
                | AuthOptions::HttpBasic { .. }
                | AuthOptions::AdminToken { .. }
        ),
    ) {
        session = session.with_endpoint_override(
            IronicService::new(&options.service_type),
            url(endpoint, "endpoint_override")?,
        );
    }
    Ok(session)
}

/// `auth_type = admin_token`: one token, sent as `X-Auth-Token` to one URL.
#[derive(Debug, Clone)]
struct StaticToken {
    endpoint: reqwest::Url,
    token: HeaderValue,
}

#[async_trait::async_trait]
impl osauth::AuthType for StaticToken {
    async fn authenticate(
        &self,
        _client: &reqwest::Client,
        request: reqwest::RequestBuilder,
    ) -> std::result::Result<reqwest::RequestBuilder, osauth::Error> {
        Ok(request.header("x-auth-token", self.token.clone()))
    }

    async fn get_endpoint(
        &self,
        _client: &reqwest::Client,
        _service_type: &str,
        _filters: &EndpointFilters,
    ) -> std::result::Result<reqwest::Url, osauth::Error> {
        Ok(self.endpoint.clone())
    }

    async fn refresh(&self, _client: &reqwest::Client) -> std::result::Result<(), osauth::Error> {
        Ok(())
    }
}
