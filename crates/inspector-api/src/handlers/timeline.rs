//! Microversion 1.19: `GET /v1/introspection/<node_id>/timeline` (what
//! happened to an introspection, and where it stands) and
//! `GET /v1/introspection/unmatched` (ramdisk reports that matched no node).
//! Below 1.19 the first is an unknown URL and the second the status of a
//! node named `unmatched`, as before (from 1.19 such a node is reached by UUID).

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use inspector_node_cache::{TimelineEvent, UnmatchedReport};
use inspector_types::python_quote;
use serde_json::{Value, json};

use super::introspection::{iso, page_limit, query, status_object};
use crate::AppState;
use crate::error::{ApiError, json};
use crate::links::root;
use crate::version::{Requested, python_int};

/// The microversion that brought these calls.
pub(crate) const TIMELINE_VERSION: (i64, i64) = (1, 19);

pub(crate) fn at_least_1_19(requested: Option<Extension<Requested>>) -> bool {
    requested.is_none_or(|Extension(Requested(version))| version >= TIMELINE_VERSION)
}

fn event_object(event: &TimelineEvent) -> Value {
    json!({"time": iso(&event.at), "kind": event.kind, "detail": event.detail})
}

fn report_object(report: &UnmatchedReport) -> Value {
    json!({
        "id": report.id,
        "time": iso(&report.at),
        "client_address": report.client_address,
        "macs": report.macs,
        "bmc_addresses": report.bmc_addresses,
        "reason": report.reason,
    })
}

/// `GET /v1/introspection/<node_id>/timeline`: the status object with the
/// events (oldest first) and, while unfinished, the diagnosis.
pub(crate) async fn timeline(
    State(state): State<AppState>,
    Path(node_id): Path<String>,
    requested: Option<Extension<Requested>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !at_least_1_19(requested) {
        return Err(crate::error::not_found().await);
    }
    let (record, events) = state.conductor.timeline(&node_id).await?;
    let diagnosis = state.conductor.explain(&record, &events).await?;
    let root = root(&headers);
    let mut body = status_object(&record, &root);
    body["links"] = json!([{
        "href": format!("{root}/v1/introspection/{}/timeline", record.uuid),
        "rel": "self",
    }]);
    body["diagnosis"] = if diagnosis.is_empty() {
        Value::Null
    } else {
        Value::String(diagnosis)
    };
    body["events"] = events.iter().map(event_object).collect();
    Ok(json(StatusCode::OK, &body))
}

/// Another method on the timeline URL: 405 from 1.19 on, 404 (an unknown
/// URL, as before) below.
pub(crate) async fn other_method(requested: Option<Extension<Requested>>) -> ApiError {
    if at_least_1_19(requested) {
        crate::error::method_not_allowed().await
    } else {
        crate::error::not_found().await
    }
}

/// `GET /v1/introspection/unmatched[?marker=&limit=]` (routed through the
/// status call): the unmatched reports kept, newest first; `marker` is the
/// `id` of the last one seen.
pub(crate) async fn unmatched(state: &AppState, raw: Option<&str>) -> Result<Response, ApiError> {
    let limit = page_limit(raw, state.options.api_max_limit)?;
    let marker = match query(raw, "marker") {
        None => None,
        Some(text) => Some(python_int(&text).ok_or_else(|| {
            ApiError::bad_request(format!(
                "Bad request: Marker {} is not the id of a report",
                python_quote(&text)
            ))
        })?),
    };
    let reports = state.conductor.unmatched_reports(limit, marker).await?;
    let reports: Vec<Value> = reports.iter().map(report_object).collect();
    Ok(json(StatusCode::OK, &json!({ "unmatched": reports })))
}
