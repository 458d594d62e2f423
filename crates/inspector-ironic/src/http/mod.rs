//! The real Ironic client: osauth session, microversion negotiation, retries
//! on 409 (node locked) and 503, and an optional request-rate cap.

mod calls;
pub(crate) mod service;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use inspector_config::IronicOptions;
use inspector_types::NodeUuid;
use osauth::{Adapter, ApiVersion};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::OnceCell;
use tracing::{Instrument, debug, warn};

use crate::error::{ErrorKind, IronicError, Result};
use service::IronicService;

/// The newest API version this client asks for; the negotiated version is
/// the lower of this and Ironic's maximum, so node fields of every newer
/// release are seen (and kept) as well.
const OWN_MAXIMUM: ApiVersion = ApiVersion(1, 99);

/// The HTTP client of Ironic's REST API.
pub struct HttpIronic {
    adapter: Adapter<IronicService>,
    version: OnceCell<ApiVersion>,
    max_retries: u32,
    retry_interval: Duration,
    limiter: Option<Arc<DefaultDirectRateLimiter>>,
}

impl std::fmt::Debug for HttpIronic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpIronic")
            .field("version", &self.version.get())
            .field("max_retries", &self.max_retries)
            .field("retry_interval", &self.retry_interval)
            .field("rate_limited", &self.limiter.is_some())
            .finish_non_exhaustive()
    }
}

/// One HTTP request to Ironic, as the call methods describe it.
struct Request {
    method: Method,
    path: Vec<String>,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
    /// The oldest API version the call works with.
    min_version: ApiVersion,
    /// What the call does, for errors ("add a trait").
    what: &'static str,
    node: Option<NodeUuid>,
}

impl Request {
    fn new(method: Method, path: &[&str], min_version: ApiVersion, what: &'static str) -> Self {
        Self {
            method,
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            query: Vec::new(),
            body: None,
            min_version,
            what,
            node: None,
        }
    }

    fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    fn node(mut self, uuid: NodeUuid) -> Self {
        self.node = Some(uuid);
        self
    }
}

impl HttpIronic {
    /// A client configured by `[ironic]`. Authentication happens here
    /// (Keystone auth types); the API version is negotiated on first use.
    pub async fn new(options: &IronicOptions) -> Result<Self> {
        let session = service::session(options).await?;
        let adapter = session.into_adapter(IronicService::new(&options.service_type));
        let limiter = options
            .max_requests_per_second
            .and_then(NonZeroU32::new)
            .map(|rate| Arc::new(RateLimiter::direct(Quota::per_second(rate))));
        Ok(Self {
            adapter,
            version: OnceCell::new(),
            max_retries: options.max_retries,
            retry_interval: Duration::from_secs(options.retry_interval),
            limiter,
        })
    }

    /// Changes the pause between retries (tests use milliseconds).
    pub fn with_retry_interval(mut self, interval: Duration) -> Self {
        self.retry_interval = interval;
        self
    }

    /// The API version used for every call: the lower of Ironic's maximum
    /// and ours, read from Ironic's version document once.
    pub async fn api_version(&self) -> Result<ApiVersion> {
        self.version
            .get_or_try_init(|| async {
                let versions = self
                    .adapter
                    .get_api_versions()
                    .await
                    .map_err(service::from_osauth)?;
                let Some((minimum, maximum)) = versions else {
                    return Err(IronicError::new(
                        ErrorKind::IncompatibleVersion,
                        "Ironic does not announce API microversions",
                    ));
                };
                let chosen = maximum.min(OWN_MAXIMUM);
                debug!(%minimum, %maximum, %chosen, "negotiated the Ironic API version");
                Ok(chosen)
            })
            .await
            .copied()
    }

    /// Sends `request`, retrying while Ironic answers 409 (node locked) or 503.
    async fn send(&self, request: Request) -> Result<reqwest::Response> {
        // Checked before anything is sent, the version negotiation too.
        if let Some(segment) = unaddressable(&request.path) {
            // The URL would name another resource (`/v1/nodes/..` is the node
            // list): what Ironic would answer for a name it cannot hold.
            return Err(IronicError::from_status(
                404,
                format!(
                    "{} {segment} could not be found.",
                    resource_name(&request.path)
                ),
            ));
        }
        let version = self.api_version().await?;
        if version < request.min_version {
            return Err(IronicError::new(
                ErrorKind::IncompatibleVersion,
                format!(
                    "cannot {}: it needs Ironic API version {} or newer, Ironic supports up to {version}",
                    request.what, request.min_version
                ),
            ));
        }
        let request_id = format!("req-{}", uuid::Uuid::new_v4());
        let span = tracing::debug_span!(
            "ironic",
            method = %request.method,
            path = %request.path.join("/"),
            node = request.node.map(tracing::field::display),
            request_id = %request_id,
        );
        async {
            let mut attempt = 0;
            loop {
                attempt += 1;
                if let Some(limiter) = &self.limiter {
                    limiter.until_ready().await;
                }
                let mut builder = self
                    .adapter
                    .request(request.method.clone(), &request.path)
                    .api_version(version)
                    .header("x-openstack-request-id", request_id.as_str());
                if !request.query.is_empty() {
                    builder = builder.query(&request.query);
                }
                if let Some(body) = &request.body {
                    builder = builder.json(body);
                }
                let response = builder
                    .send_unchecked()
                    .await
                    .map_err(service::from_osauth)?;
                let status = response.status();
                if status.is_success() {
                    debug!(%status, attempt, "ironic answered");
                    return Ok(response);
                }
                let body = response.text().await.unwrap_or_default();
                let error = IronicError::from_status(status.as_u16(), error_message(&body, status));
                if error.is_transient() && attempt <= self.max_retries {
                    warn!(%status, attempt, error = %error, "ironic is busy, retrying");
                    tokio::time::sleep(self.retry_interval).await;
                    continue;
                }
                if error.is_transient() {
                    return Err(IronicError::from_status(
                        status.as_u16(),
                        format!(
                            "{} (gave up after {} retries)",
                            error.message(),
                            self.max_retries
                        ),
                    ));
                }
                return Err(error);
            }
        }
        .instrument(span)
        .await
    }

    /// Sends `request` and decodes the JSON answer.
    async fn json<T: DeserializeOwned>(&self, request: Request) -> Result<T> {
        let what = request.what;
        let response = self.send(request).await?;
        response.json::<T>().await.map_err(|e| {
            IronicError::new(
                ErrorKind::Other,
                format!("cannot {what}: unexpected answer from Ironic: {e}"),
            )
        })
    }

    /// Every item of a paginated list, following the `next` links.
    async fn list<T: DeserializeOwned>(
        &self,
        request: Request,
        key: &'static str,
    ) -> Result<Vec<T>> {
        let mut items = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut query = request.query.clone();
            if let Some(marker) = &marker {
                query.push(("marker", marker.clone()));
            }
            let page_request = Request {
                method: request.method.clone(),
                path: request.path.clone(),
                query,
                body: None,
                min_version: request.min_version,
                what: request.what,
                node: request.node,
            };
            let mut page: serde_json::Map<String, Value> = self.json(page_request).await?;
            let entries = page.remove(key).unwrap_or(Value::Array(Vec::new()));
            let entries: Vec<T> = serde_json::from_value(entries).map_err(|e| {
                IronicError::new(
                    ErrorKind::Other,
                    format!(
                        "cannot {}: unexpected answer from Ironic: {e}",
                        request.what
                    ),
                )
            })?;
            items.extend(entries);
            marker = page
                .get("next")
                .and_then(Value::as_str)
                .and_then(next_marker);
            if marker.is_none() {
                return Ok(items);
            }
        }
    }
}

/// The `marker` of a `next` link.
fn next_marker(next: &str) -> Option<String> {
    let url = reqwest::Url::parse(next).ok()?;
    url.query_pairs()
        .find(|(key, _)| key == "marker")
        .map(|(_, value)| value.into_owned())
}

/// Ironic's message from an error body: `{"error_message": "<json with faultstring>"}`
/// (older releases send the inner document as a string, newer ones as an object).
fn error_message(body: &str, status: reqwest::StatusCode) -> String {
    let fault = |value: &Value| {
        value
            .get("faultstring")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    if let Ok(document) = serde_json::from_str::<Value>(body) {
        match document.get("error_message") {
            Some(Value::String(inner)) => {
                if let Some(message) = serde_json::from_str::<Value>(inner)
                    .ok()
                    .as_ref()
                    .and_then(fault)
                {
                    return message;
                }
                return inner.clone();
            }
            Some(inner @ Value::Object(_)) => {
                if let Some(message) = fault(inner) {
                    return message;
                }
            }
            _ => {}
        }
        if let Some(message) = document.get("message").and_then(Value::as_str) {
            return message.to_owned();
        }
    }
    if body.trim().is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        body.trim().to_owned()
    }
}

/// An authenticated client holding the Keystone credentials of `options`
/// (any group with keystoneauth options, e.g. `[keystone_authtoken]`): the
/// service's own session, used to validate users' tokens.
pub async fn keystone_client(
    options: &IronicOptions,
) -> Result<osauth::client::AuthenticatedClient> {
    Ok(service::session(options).await?.client().clone())
}

/// Where the Keystone catalog says the service of `options.service_type`
/// is (with `options`' interfaces and region), or its `endpoint_override`
/// when set: how the service finds its own URL from `[service_catalog]`.
pub async fn catalog_endpoint(options: &IronicOptions) -> Result<String> {
    if let Some(endpoint) = &options.endpoint_override {
        return Ok(endpoint.clone());
    }
    let session = service::session(options).await?;
    let url = session
        .client()
        .get_endpoint(&options.service_type, session.endpoint_filters())
        .await
        .map_err(service::from_osauth)?;
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_in_every_format() {
        let status = reqwest::StatusCode::CONFLICT;
        let old = r#"{"error_message": "{\"faultstring\": \"Node x is locked by host h\", \"faultcode\": \"Client\", \"debuginfo\": null}"}"#;
        assert_eq!(error_message(old, status), "Node x is locked by host h");
        let new = r#"{"error_message": {"faultstring": "A port with MAC address aa already exists.", "faultcode": "Client"}}"#;
        assert_eq!(
            error_message(new, status),
            "A port with MAC address aa already exists."
        );
        assert_eq!(error_message("", status), "Conflict");
        assert_eq!(error_message("plain text", status), "plain text");
    }

    #[test]
    fn markers_come_from_next_links() {
        assert_eq!(
            next_marker("http://ironic:6385/v1/nodes?limit=2&marker=abc&fields=uuid").as_deref(),
            Some("abc")
        );
        assert_eq!(next_marker("http://ironic:6385/v1/nodes?limit=2"), None);
    }
}

/// A path segment that cannot reach Ironic as the resource it names: empty,
/// `.` or `..` (dropped or resolved by every URL parser, even percent-encoded).
fn unaddressable(path: &[String]) -> Option<&str> {
    path.iter()
        .map(String::as_str)
        .find(|segment| matches!(*segment, "" | "." | ".."))
}

/// Whether `ident` names one of Ironic's node collections (`/v1/nodes/detail`)
/// rather than a node.
pub(crate) fn is_node_collection(ident: &str) -> bool {
    matches!(ident, "detail" | "validate")
}

/// How Ironic's 404 names the resource of `path` ("Node", "Port", ...).
fn resource_name(path: &[String]) -> &'static str {
    match path.first().map(String::as_str) {
        Some("ports") => "Port",
        _ if path.get(2).map(String::as_str) == Some("traits") => "Trait",
        _ => "Node",
    }
}

#[cfg(test)]
mod path_tests {
    use rstest::rstest;

    use super::unaddressable;

    #[rstest]
    #[case(&["nodes", "node-1"], None)]
    #[case(&["nodes", "a b"], None)]
    #[case(&["nodes", "."], Some("."))]
    #[case(&["nodes", ".."], Some(".."))]
    #[case(&["nodes", ""], Some(""))]
    #[case(&["nodes", "detail"], None)]
    #[case(&["nodes", "n1", "traits", ".."], Some(".."))]
    fn segments_that_would_name_another_resource(
        #[case] path: &[&str],
        #[case] refused: Option<&str>,
    ) {
        let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(unaddressable(&path), refused);
    }
}
