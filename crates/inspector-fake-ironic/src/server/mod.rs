//! The HTTP face of the fake: Ironic's v1 routes and their handlers. The
//! layers around them (version negotiation, authentication, fault injection,
//! request recording) are `layers.rs`; the Keystone token endpoint whose
//! catalog points at the fake is `keystone.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

mod keystone;
mod layers;

use keystone::{issue_token, validate_token};
use layers::{RequestedVersion, authenticate, faults, negotiate_version, record};

use crate::FakeIronicConfig;
use crate::state::{FakeError, IronicState, select_fields};

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
