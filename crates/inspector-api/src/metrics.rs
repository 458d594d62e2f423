//! `/metrics` in the Prometheus text format: requests by route, method and
//! status; introspections started, finished and failed; processing time;
//! records by state.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use inspector_core::DURATION_BUCKETS;

use crate::AppState;

/// (route, method, status).
type RequestKey = (String, String, u16);

/// Request counters by (route, method, status).
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestCounters(Arc<Mutex<BTreeMap<RequestKey, u64>>>);

/// Counts every request that matched a route.
pub(crate) async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let key = (route, method, response.status().as_u16());
    *state
        .requests
        .0
        .lock()
        .expect("counter lock is never poisoned")
        .entry(key)
        .or_default() += 1;
    response
}

/// `GET /metrics`.
pub(crate) async fn render(State(state): State<AppState>) -> Response {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP ironic_inspector_http_requests_total HTTP requests by route, method and status."
    );
    let _ = writeln!(out, "# TYPE ironic_inspector_http_requests_total counter");
    for ((route, method, status), n) in state
        .requests
        .0
        .lock()
        .expect("counter lock is never poisoned")
        .iter()
    {
        let _ = writeln!(
            out,
            "ironic_inspector_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
        );
    }
    let engine = state.conductor.metrics();
    for (name, help, value) in [
        (
            "introspections_started_total",
            "Introspections started.",
            engine.started,
        ),
        (
            "introspections_finished_total",
            "Introspections finished successfully.",
            engine.finished,
        ),
        (
            "introspections_failed_total",
            "Introspections that ended in error.",
            engine.failed,
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP ironic_inspector_{name} {help}\n# TYPE ironic_inspector_{name} counter"
        );
        let _ = writeln!(out, "ironic_inspector_{name} {value}");
    }
    let name = "ironic_inspector_processing_duration_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Time to process ramdisk data (/v1/continue).\n# TYPE {name} histogram"
    );
    for (bound, n) in DURATION_BUCKETS.iter().zip(&engine.buckets) {
        let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {n}");
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", engine.count);
    let _ = writeln!(out, "{name}_sum {}", engine.sum_seconds);
    let _ = writeln!(out, "{name}_count {}", engine.count);
    let _ = writeln!(
        out,
        "# HELP ironic_inspector_nodes Introspection records by state.\n# TYPE ironic_inspector_nodes gauge"
    );
    match state.conductor.records_by_state().await {
        Ok(states) => {
            for (record_state, n) in states {
                let _ = writeln!(
                    out,
                    "ironic_inspector_nodes{{state=\"{record_state}\"}} {n}"
                );
            }
        }
        Err(error) => tracing::warn!(%error, "cannot count records for /metrics"),
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        out,
    )
        .into_response()
}
