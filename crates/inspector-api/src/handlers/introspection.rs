//! `/v1/introspection...`: start, status, list, abort, stored data, reapply.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDateTime, Timelike};
use inspector_core::{IntrospectionStatus, StoreError};
use inspector_node_cache::State as RecordState;
use inspector_types::{NodeUuid, python_quote};
use serde_json::{Value, json};

use super::json_object;
use crate::AppState;
use crate::encoding::encode_python;
use crate::error::{ApiError, json};
use crate::health::RequestOrigin;
use crate::links::root;
use crate::version::{Requested, python_int};

fn accepted() -> Response {
    (
        StatusCode::ACCEPTED,
        [(header::CONTENT_TYPE, "application/json")],
        "{}\n",
    )
        .into_response()
}

/// `YYYY-MM-DDTHH:MM:SS[.ffffff]`, naive UTC.
pub(crate) fn iso(time: &NaiveDateTime) -> String {
    if time.nanosecond() / 1000 == 0 {
        time.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        time.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
    }
}

/// The status object (spec §6).
pub(crate) fn status_object(record: &IntrospectionStatus, root: &str) -> Value {
    let uuid = record.uuid.to_string();
    json!({
        "error": record.error,
        "finished": record.is_finished(),
        "finished_at": record.finished_at.as_ref().map(iso),
        "links": [{"href": format!("{root}/v1/introspection/{uuid}"), "rel": "self"}],
        "started_at": record.started_at.as_ref().map(iso),
        "state": record.state.as_str(),
        "uuid": uuid,
    })
}

/// The first value of each query parameter, percent-decoded.
pub(crate) fn query(raw: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// `POST /v1/introspection/<node_id>[?manage_boot=...]`.
pub(crate) async fn start(
    State(state): State<AppState>,
    Path(node_id): Path<String>,
    RawQuery(raw): RawQuery,
    RequestOrigin(origin): RequestOrigin,
) -> Result<Response, ApiError> {
    let manage_boot = match query(raw.as_deref(), "manage_boot") {
        None => true,
        Some(value) => match value.trim().to_ascii_lowercase().as_str() {
            "1" | "t" | "true" | "on" | "y" | "yes" => true,
            "0" | "f" | "false" | "off" | "n" | "no" => false,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "Invalid boolean value for manage_boot: {value}"
                )));
            }
        },
    };
    if manage_boot && !state.options.can_manage_boot {
        return Err(ApiError::bad_request(
            "Managed boot is requested, but this installation cannot manage boot ((can_manage_boot set to False)",
        ));
    }
    state
        .conductor
        .introspect_from(&node_id, manage_boot, &origin)
        .await?;
    Ok(accepted())
}

/// `GET /v1/introspection/<node_id>`; from 1.19 `GET /v1/introspection/unmatched`
/// is the list of unmatched reports instead.
pub(crate) async fn status(
    State(state): State<AppState>,
    Path(node_id): Path<String>,
    requested: Option<Extension<Requested>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if node_id == "unmatched" && super::timeline::at_least_1_19(requested) {
        return super::timeline::unmatched(&state, raw.as_deref()).await;
    }
    let record = state.conductor.status(&node_id).await?;
    Ok(json(
        StatusCode::OK,
        &status_object(&record, &root(&headers)),
    ))
}

/// `GET /v1/introspection[?marker=&limit=&state=]`.
pub(crate) async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let max = state.options.api_max_limit;
    let marker = match query(raw.as_deref(), "marker") {
        None => None,
        Some(text) => Some(
            NodeUuid::parse(&text)
                .map_err(|_| ApiError::bad_request("Bad request: Marker not UUID-like"))?,
        ),
    };
    let limit = page_limit(raw.as_deref(), max)?;
    let states = match query(raw.as_deref(), "state") {
        None => None,
        Some(text) => {
            let items: Vec<&str> = text.split(',').collect();
            let bad: Vec<&str> = items
                .iter()
                .copied()
                .filter(|s| s.parse::<RecordState>().is_err())
                .collect();
            if !bad.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "Bad request: State(s) \"{}\" are not valid",
                    bad.join(", ")
                )));
            }
            Some(items.iter().filter_map(|s| s.parse().ok()).collect())
        }
    };
    let records = state.conductor.list_statuses(marker, limit, states).await?;
    let root = root(&headers);
    let statuses: Vec<Value> = records.iter().map(|r| status_object(r, &root)).collect();
    Ok(json(StatusCode::OK, &json!({"introspection": statuses})))
}

/// The `limit` query parameter of a list: at most `max`, which 0 or no
/// limit means.
pub(crate) fn page_limit(raw: Option<&str>, max: i64) -> Result<i64, ApiError> {
    let Some(text) = query(raw, "limit") else {
        return Ok(max);
    };
    let limit = python_int(&text).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Bad request: invalid literal for int() with base 10: {}",
            python_quote(&text)
        ))
    })?;
    if limit < 0 {
        return Err(ApiError::bad_request(
            "Bad request: Limit cannot be negative",
        ));
    }
    if limit > max {
        return Err(ApiError::bad_request(format!(
            "Bad request: Limit over {max}"
        )));
    }
    Ok(if limit == 0 { max } else { limit })
}

/// `POST /v1/introspection/<node_id>/abort`.
pub(crate) async fn abort(
    State(state): State<AppState>,
    Path(node_id): Path<String>,
) -> Result<Response, ApiError> {
    state.conductor.abort(&node_id).await?;
    Ok(accepted())
}

async fn stored(state: &AppState, node_id: &str, processed: bool) -> Result<Response, ApiError> {
    let uuid = state.conductor.resolve_uuid(node_id).await?;
    match state.conductor.stored_data(uuid, processed).await {
        Ok(data) => Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            encode_python(&Value::Object(data)),
        )
            .into_response()),
        Err(StoreError::Disabled) => Err(ApiError::not_found(
            "Inspector is not configured to store data. Set the [processing]store_data configuration option to \
             change this.",
        )),
        Err(StoreError::NotFound(message)) => Err(ApiError::not_found(message)),
        Err(StoreError::Swift(message)) => Err(ApiError::bad_request(message)),
        Err(error @ StoreError::Unavailable(_)) => Err(ApiError::unavailable(error.to_string())),
        Err(StoreError::Failed(message)) => Err(ApiError {
            status: 500,
            message,
        }),
    }
}

/// `GET /v1/introspection/<node_id>/data`.
pub(crate) async fn data(
    State(state): State<AppState>,
    Path(node_id): Path<String>,
) -> Result<Response, ApiError> {
    stored(&state, &node_id, true).await
}

/// `GET /v1/introspection/<node_id>/data/unprocessed`.
pub(crate) async fn unprocessed(
    State(state): State<AppState>,
    Path(node_id): Path<String>,
) -> Result<Response, ApiError> {
    stored(&state, &node_id, false).await
}

/// `POST /v1/introspection/<node_id>/data/unprocessed`: reapply.
pub(crate) async fn reapply(
    State(state): State<AppState>,
    Path(node_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let data = if body.is_empty() {
        None
    } else {
        Some(json_object(&body)?).filter(|data| !data.is_empty())
    };
    let uuid = state.conductor.resolve_uuid(&node_id).await?;
    state.conductor.reapply(uuid, data).await?;
    Ok(accepted())
}
