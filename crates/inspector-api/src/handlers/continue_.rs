//! `POST /v1/continue`: the ramdisk's data.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::json_object;
use crate::AppState;
use crate::error::{ApiError, json};
use crate::health::RequestOrigin;

/// Processes the ramdisk's data; 200 `{"uuid": ...}`.
pub(crate) async fn ramdisk_data(
    State(state): State<AppState>,
    RequestOrigin(origin): RequestOrigin,
    body: Bytes,
) -> Result<Response, ApiError> {
    let data = json_object(&body)?;
    drop(body); // the parsed data is all that is kept
    let uuid = state.conductor.process_from(data, &origin).await?;
    Ok(json(StatusCode::OK, &json!({"uuid": uuid.to_string()})))
}
