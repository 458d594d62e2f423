//! `GET /`, `GET /v1`, and 404 for any other version.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use crate::error::{ApiError, json};
use crate::links::root as root_url;

/// `GET /`: the major versions.
pub(crate) async fn root(headers: HeaderMap) -> Response {
    let href = format!("{}/v1", root_url(&headers));
    json(
        StatusCode::OK,
        &json!({"versions": [{"id": crate::version::MAX_VERSION_TEXT, "links": [{"href": href, "rel": "self"}], "status": "CURRENT"}]}),
    )
}

/// `GET /v1/`: the resources.
pub(crate) async fn v1(headers: HeaderMap) -> Response {
    let root = root_url(&headers);
    let resources: Vec<serde_json::Value> = ["continue", "introspection", "rules"]
        .iter()
        .map(|name| json!({"links": [{"href": format!("{root}/v1/{name}"), "rel": "self"}], "name": name}))
        .collect();
    json(StatusCode::OK, &json!({"resources": resources}))
}

/// `GET /<segment>`: `v1`, or 404 `Version <segment> not found.`.
pub(crate) async fn version(
    Path(segment): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if segment == "v1" {
        Ok(v1(headers).await)
    } else {
        Err(ApiError::not_found(format!("Version {segment} not found.")))
    }
}
