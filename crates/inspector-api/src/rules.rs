//! `/v1/rules`: routes, versioning and authentication are in place; rule
//! storage and evaluation come with the rules engine. Until then no rule
//! exists and none can be created.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{ApiError, json};

/// `GET /v1/rules`.
pub(crate) async fn list() -> Response {
    json(StatusCode::OK, &json!({"rules": []}))
}

/// `POST /v1/rules`.
pub(crate) async fn create() -> ApiError {
    ApiError::bad_request("Introspection rules are not available in this release")
}

/// `DELETE /v1/rules`.
pub(crate) async fn delete_all() -> Response {
    (
        StatusCode::NO_CONTENT,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
    )
        .into_response()
}

/// `GET /v1/rules/<uuid>` and `DELETE /v1/rules/<uuid>`.
pub(crate) async fn one(Path(uuid): Path<String>) -> ApiError {
    ApiError::not_found(format!("Rule {uuid} was not found"))
}
