//! The HTTP face of the fake: Ironic's v1 routes, version negotiation,
//! authentication, fault injection, request recording, and a Keystone token
//! endpoint whose catalog points at the fake.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::state::{FakeError, IronicState, RecordedRequest, select_fields};
use crate::{FakeAuth, FakeIronicConfig};

/// Everything the handlers share.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) state: Arc<Mutex<IronicState>>,
    pub(crate) config: Arc<FakeIronicConfig>,
    /// Issued tokens and their roles.
    pub(crate) tokens: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, IronicState> {
        self.state
            .lock()
            .expect("fake state lock is never poisoned")
    }
}

const VERSION_HEADER: &str = "x-openstack-ironic-api-version";

fn version_string((major, minor): (u16, u16)) -> String {
    format!("{major}.{minor}")
}

impl IntoResponse for FakeError {
    fn into_response(self) -> Response {
        let fault = json!({"faultstring": self.message, "faultcode": if self.status < 500 { "Client" } else { "Server" }, "debuginfo": null});
        let body = json!({"error_message": fault.to_string()});
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(body)).into_response()
    }
}

type Answer = Result<Response, FakeError>;

fn json_answer(status: StatusCode, value: Value) -> Answer {
    Ok((status, axum::Json(value)).into_response())
}

/// The router of the fake.
pub(crate) fn router(shared: Shared) -> Router {
    let v1 = Router::new()
        .route("/v1/nodes", get(list_nodes).post(create_node))
        .route("/v1/nodes/detail", get(list_nodes))
        .route("/v1/nodes/{ident}", get(get_node).patch(patch_node))
        .route("/v1/nodes/{ident}/validate", get(validate_node))
        .route("/v1/nodes/{ident}/states/power", put(set_power_state))
        .route(
            "/v1/nodes/{ident}/states/provision",
            put(set_provision_state),
        )
        .route(
            "/v1/nodes/{ident}/management/boot_device",
            put(set_boot_device),
        )
        .route(
            "/v1/nodes/{ident}/traits/{name}",
            put(add_trait).delete(remove_trait),
        )
        .route("/v1/ports", get(list_ports).post(create_port))
        .route("/v1/ports/detail", get(list_ports))
        .route(
            "/v1/ports/{uuid}",
            get(get_port).patch(patch_port).delete(delete_port),
        )
        .route_layer(middleware::from_fn_with_state(shared.clone(), faults))
        .route_layer(middleware::from_fn_with_state(shared.clone(), authenticate))
        .route_layer(middleware::from_fn_with_state(
            shared.clone(),
            negotiate_version,
        ));
    Router::new()
        .route("/", get(root))
        .route("/v1", get(v1_root))
        .route("/v1/", get(v1_root))
        .route(
            "/identity/v3/auth/tokens",
            post(issue_token).get(validate_token),
        )
        .merge(v1)
        .layer(middleware::from_fn_with_state(shared.clone(), record))
        .with_state(shared)
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn version_document(shared: &Shared, headers: &HeaderMap) -> Value {
    json!({
        "id": "v1",
        "links": [{"href": format!("{}/v1/", base_url(headers)), "rel": "self"}],
        "status": "CURRENT",
        "min_version": version_string(shared.config.min_version),
        "version": version_string(shared.config.max_version),
    })
}

async fn root(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let version = version_document(&shared, &headers);
    axum::Json(json!({
        "name": "OpenStack Ironic API",
        "description": "Ironic is an OpenStack project which enables the provision and management of baremetal machines.",
        "versions": [version.clone()],
        "default_version": version,
    }))
    .into_response()
}

async fn v1_root(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    axum::Json(json!({
        "id": "v1",
        "links": [{"href": format!("{base}/v1/"), "rel": "self"}],
        "media_types": [{"base": "application/json", "type": "application/vnd.openstack.ironic.v1+json"}],
        "nodes": [{"href": format!("{base}/v1/nodes/"), "rel": "self"}],
        "ports": [{"href": format!("{base}/v1/ports/"), "rel": "self"}],
        "version": version_document(&shared, &headers),
    }))
    .into_response()
}

/// The API version a request asked for, checked against the fake's range.
#[derive(Debug, Clone, Copy)]
struct RequestedVersion((u16, u16));

async fn negotiate_version(
    State(shared): State<Shared>,
    mut request: Request,
    next: Next,
) -> Response {
    let (min, max) = (shared.config.min_version, shared.config.max_version);
    let header = request
        .headers()
        .get(VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let requested = match header.as_deref() {
        None => min,
        Some("latest") => max,
        Some(text) => match text
            .split_once('.')
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        {
            Some(version) => version,
            None => {
                return FakeError::bad_request(format!(
                    "Invalid value for {VERSION_HEADER} header: {text}"
                ))
                .into_response();
            }
        },
    };
    let mut response = if requested < min || requested > max {
        FakeError::new(
            406,
            format!(
                "Version {} was requested but the minor version is not supported by this service. The supported version range is: [{}, {}].",
                version_string(requested),
                version_string(min),
                version_string(max)
            ),
        )
        .into_response()
    } else {
        request.extensions_mut().insert(RequestedVersion(requested));
        next.run(request).await
    };
    let headers = response.headers_mut();
    for (name, version) in [
        ("x-openstack-ironic-api-minimum-version", min),
        ("x-openstack-ironic-api-maximum-version", max),
        ("x-openstack-ironic-api-version", requested),
    ] {
        headers.insert(
            name,
            HeaderValue::from_str(&version_string(version)).expect("valid header"),
        );
    }
    response
}

async fn authenticate(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let allowed = match &shared.config.auth {
        FakeAuth::None => true,
        FakeAuth::HttpBasic { username, password } => {
            let expected = format!("Basic {}", base64(&format!("{username}:{password}")));
            headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
        }
        FakeAuth::Keystone { .. } => headers
            .get("x-auth-token")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|token| {
                shared
                    .tokens
                    .lock()
                    .expect("token lock")
                    .contains_key(token)
            }),
    };
    if allowed {
        return next.run(request).await;
    }
    let mut response =
        FakeError::new(401, "The request you have made requires authentication.").into_response();
    if matches!(shared.config.auth, FakeAuth::HttpBasic { .. }) {
        response.headers_mut().insert(
            "www-authenticate",
            HeaderValue::from_static("Basic realm=\"Baremetal API\""),
        );
    }
    response
}

async fn faults(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let latency = shared.state().faults.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let path = request.uri().path().to_owned();
    let injected = {
        let mut state = shared.state();
        if state.take_unavailable() {
            Some(FakeError::new(
                503,
                "No conductor service is available, please retry later.",
            ))
        } else {
            let node = path
                .strip_prefix("/v1/nodes/")
                .and_then(|rest| rest.split('/').next())
                .and_then(|ident| state.resolve(ident).ok());
            node.filter(|uuid| state.take_node_locked(*uuid)).map(|uuid| {
                FakeError::new(
                    409,
                    format!("Node {uuid} is locked by host fake-conductor, please retry after the current operation is completed."),
                )
            })
        }
    };
    match injected {
        Some(error) => error.into_response(),
        None => next.run(request).await,
    }
}

async fn record(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    let mut entry = RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        api_version: parts
            .headers
            .get(VERSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        request_id: parts
            .headers
            .get("x-openstack-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: serde_json::from_slice(&bytes).ok(),
        status: 0,
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    entry.status = response.status().as_u16();
    shared.state().requests.push(entry);
    response
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    fields: Option<String>,
    limit: Option<usize>,
    marker: Option<String>,
    node: Option<String>,
    node_uuid: Option<String>,
    address: Option<String>,
}

fn next_link(
    headers: &HeaderMap,
    resource: &str,
    query: &ListQuery,
    limit: usize,
    marker: Option<String>,
) -> Option<String> {
    let marker = marker?;
    let mut link = format!(
        "{}/v1/{resource}?limit={limit}&marker={marker}",
        base_url(headers)
    );
    for (key, value) in [
        ("fields", &query.fields),
        ("node", &query.node),
        ("address", &query.address),
    ] {
        if let Some(value) = value {
            link.push_str(&format!("&{key}={value}"));
        }
    }
    Some(link)
}

async fn list_nodes(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Answer {
    let limit = query
        .limit
        .filter(|l| *l > 0)
        .unwrap_or(shared.config.page_size)
        .min(shared.config.page_size);
    let (nodes, marker) = shared.state().list_nodes(query.marker.as_deref(), limit)?;
    let nodes: Vec<Value> = nodes
        .iter()
        .map(|n| select_fields(n, query.fields.as_deref()))
        .collect();
    let mut body = json!({"nodes": nodes});
    if let Some(next) = next_link(&headers, "nodes", &query, limit, marker) {
        body["next"] = json!(next);
    }
    json_answer(StatusCode::OK, body)
}

async fn create_node(State(shared): State<Shared>, axum::Json(body): axum::Json<Value>) -> Answer {
    let node = shared.state().create_node(&body)?;
    json_answer(StatusCode::CREATED, node)
}

#[derive(Debug, Deserialize)]
struct FieldsQuery {
    fields: Option<String>,
}

async fn get_node(
    State(shared): State<Shared>,
    Path(ident): Path<String>,
    Query(query): Query<FieldsQuery>,
) -> Answer {
    let state = shared.state();
    let node = state.node(&ident)?;
    json_answer(StatusCode::OK, select_fields(node, query.fields.as_deref()))
}

async fn patch_node(
    State(shared): State<Shared>,
    Path(ident): Path<String>,
    axum::Json(patch): axum::Json<Value>,
) -> Answer {
    let node = shared.state().patch_node(&ident, &patch)?;
    json_answer(StatusCode::OK, node)
}

async fn validate_node(State(shared): State<Shared>, Path(ident): Path<String>) -> Answer {
    let result = shared.state().validation(&ident)?;
    json_answer(StatusCode::OK, result)
}

async fn set_power_state(
    State(shared): State<Shared>,
    Path(ident): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Answer {
    shared.state().set_power_state(&ident, &body)?;
    Ok(StatusCode::ACCEPTED.into_response())
}

async fn set_provision_state(
    State(shared): State<Shared>,
    Path(ident): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Answer {
    shared.state().set_provision_state(&ident, &body)?;
    Ok(StatusCode::ACCEPTED.into_response())
}

async fn set_boot_device(
    State(shared): State<Shared>,
    Path(ident): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Answer {
    shared.state().set_boot_device(&ident, &body)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

const TRAITS: (u16, u16) = (1, 37);

fn require(
    version: Option<axum::Extension<RequestedVersion>>,
    needed: (u16, u16),
) -> Result<(), FakeError> {
    match version {
        Some(axum::Extension(RequestedVersion(requested))) if requested >= needed => Ok(()),
        _ => Err(FakeError::new(404, "The resource could not be found.")),
    }
}

async fn add_trait(
    State(shared): State<Shared>,
    version: Option<axum::Extension<RequestedVersion>>,
    Path((ident, name)): Path<(String, String)>,
) -> Answer {
    require(version, TRAITS)?;
    shared.state().add_trait(&ident, &name)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn remove_trait(
    State(shared): State<Shared>,
    version: Option<axum::Extension<RequestedVersion>>,
    Path((ident, name)): Path<(String, String)>,
) -> Answer {
    require(version, TRAITS)?;
    shared.state().remove_trait(&ident, &name)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_ports(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Answer {
    let limit = query
        .limit
        .filter(|l| *l > 0)
        .unwrap_or(shared.config.page_size)
        .min(shared.config.page_size);
    let node = query.node.as_deref().or(query.node_uuid.as_deref());
    let (ports, marker) = shared.state().list_ports(
        node,
        query.address.as_deref(),
        query.marker.as_deref(),
        limit,
    )?;
    let ports: Vec<Value> = ports
        .iter()
        .map(|p| select_fields(p, query.fields.as_deref()))
        .collect();
    let mut body = json!({"ports": ports});
    if let Some(next) = next_link(&headers, "ports", &query, limit, marker) {
        body["next"] = json!(next);
    }
    json_answer(StatusCode::OK, body)
}

fn port_uuid(text: &str) -> Result<Uuid, FakeError> {
    Uuid::parse_str(text)
        .map_err(|_| FakeError::new(404, format!("Port {text} could not be found.")))
}

async fn get_port(State(shared): State<Shared>, Path(uuid): Path<String>) -> Answer {
    let state = shared.state();
    json_answer(StatusCode::OK, state.port(port_uuid(&uuid)?)?.clone())
}

async fn create_port(State(shared): State<Shared>, axum::Json(body): axum::Json<Value>) -> Answer {
    let port = shared.state().create_port(&body)?;
    json_answer(StatusCode::CREATED, port)
}

async fn patch_port(
    State(shared): State<Shared>,
    Path(uuid): Path<String>,
    axum::Json(patch): axum::Json<Value>,
) -> Answer {
    let port = shared.state().patch_port(port_uuid(&uuid)?, &patch)?;
    json_answer(StatusCode::OK, port)
}

async fn delete_port(State(shared): State<Shared>, Path(uuid): Path<String>) -> Answer {
    shared.state().delete_port(port_uuid(&uuid)?)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Keystone's `POST /v3/auth/tokens` for the password, application
/// credential and token methods, answering with a catalog that points at the fake.
async fn issue_token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let FakeAuth::Keystone {
        username,
        password,
        application_credential,
        region,
    } = &shared.config.auth
    else {
        return FakeError::new(404, "The resource could not be found.").into_response();
    };
    let identity = &body["auth"]["identity"];
    let methods: Vec<&str> = identity["methods"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let accepted = match methods.first().copied() {
        Some("password") => {
            let user = &identity["password"]["user"];
            (user["name"].as_str() == Some(username) || user["id"].as_str() == Some(username))
                && user["password"].as_str() == Some(password)
        }
        Some("application_credential") => {
            application_credential.as_ref().is_some_and(|(id, secret)| {
                identity["application_credential"]["id"].as_str() == Some(id)
                    && identity["application_credential"]["secret"].as_str() == Some(secret)
            })
        }
        Some("token") => identity["token"]["id"].as_str().is_some_and(|token| {
            shared
                .tokens
                .lock()
                .expect("token lock")
                .contains_key(token)
        }),
        _ => false,
    };
    if !accepted {
        return keystone_unauthorized();
    }
    let token = format!("gAAAA{}", Uuid::new_v4().simple());
    shared
        .tokens
        .lock()
        .expect("token lock")
        .insert(token.clone(), vec!["admin".to_owned()]);
    let base = base_url(&headers);
    let endpoints: Vec<Value> = ["internal", "public"]
        .iter()
        .map(|interface| json!({"interface": interface, "region": region, "region_id": region, "url": base}))
        .collect();
    let document = json!({"token": {
        "methods": methods,
        "expires_at": "2099-12-31T23:59:59.000000Z",
        "issued_at": "2026-01-01T00:00:00.000000Z",
        "user": {"id": "u-1", "name": username, "domain": {"id": "default", "name": "Default"}},
        "project": {"id": "p-1", "name": "service", "domain": {"id": "default", "name": "Default"}},
        "roles": [{"id": "r-1", "name": "admin"}],
        "catalog": [{"type": "baremetal", "name": "ironic", "id": "s-1", "endpoints": endpoints}],
    }});
    let mut response = (StatusCode::CREATED, axum::Json(document)).into_response();
    response.headers_mut().insert(
        "x-subject-token",
        HeaderValue::from_str(&token).expect("valid header"),
    );
    response
}

/// Keystone's 401 body.
fn keystone_unauthorized() -> Response {
    let error = json!({"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}});
    (StatusCode::UNAUTHORIZED, axum::Json(error)).into_response()
}

/// Keystone's `GET /v3/auth/tokens`: validates `X-Subject-Token` for a caller
/// holding a valid `X-Auth-Token`; 404 for an unknown subject token.
async fn validate_token(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (caller_known, subject) = {
        let tokens = shared.tokens.lock().expect("token lock");
        (
            header("x-auth-token").is_some_and(|caller| tokens.contains_key(caller)),
            header("x-subject-token").and_then(|t| Some((t, tokens.get(t)?.clone()))),
        )
    };
    if !caller_known {
        return keystone_unauthorized();
    }
    let Some((subject, roles)) = subject else {
        let error = json!({"error": {"code": 404, "message": "Could not find token.", "title": "Not Found"}});
        return (StatusCode::NOT_FOUND, axum::Json(error)).into_response();
    };
    let roles: Vec<Value> = roles
        .iter()
        .enumerate()
        .map(|(i, name)| json!({"id": format!("r-{i}"), "name": name}))
        .collect();
    let document = json!({"token": {
        "methods": ["password"],
        "expires_at": "2099-12-31T23:59:59.000000Z",
        "issued_at": "2026-01-01T00:00:00.000000Z",
        "user": {"id": "u-2", "name": "operator", "domain": {"id": "default", "name": "Default"}},
        "project": {"id": "p-2", "name": "admin", "domain": {"id": "default", "name": "Default"}},
        "roles": roles,
    }});
    let mut response = (StatusCode::OK, axum::Json(document)).into_response();
    response.headers_mut().insert(
        "x-subject-token",
        HeaderValue::from_str(subject).expect("valid header"),
    );
    response
}

/// Standard base64 (for the expected `Authorization: Basic` header).
fn base64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_rfc_4648() {
        assert_eq!(base64("admin:secret"), "YWRtaW46c2VjcmV0");
        assert_eq!(base64("a"), "YQ==");
        assert_eq!(base64("ab"), "YWI=");
        assert_eq!(base64("abc"), "YWJj");
    }
}
