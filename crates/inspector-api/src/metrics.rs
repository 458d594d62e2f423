//! `/metrics` in the Prometheus text format: requests by route, method and
//! status; introspections started, finished and failed, and their outcomes;
//! unmatched ramdisk posts; the time of boot preparation, of the wait for the
//! ramdisk and of processing; records by state.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use inspector_core::HistogramSnapshot;

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
    let _ = writeln!(
        out,
        "# HELP ironic_inspector_introspection_outcomes_total Ends of introspections by outcome \
         (finished, error with the step that failed, timeout, aborted).\n\
         # TYPE ironic_inspector_introspection_outcomes_total counter"
    );
    for (outcome, n) in &engine.outcomes {
        let (outcome, kind) = outcome.labels();
        let _ = writeln!(
            out,
            "ironic_inspector_introspection_outcomes_total{{outcome=\"{outcome}\",kind=\"{kind}\"}} {n}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP ironic_inspector_unmatched_posts_total Ramdisk posts that matched no node.\n\
         # TYPE ironic_inspector_unmatched_posts_total counter\n\
         ironic_inspector_unmatched_posts_total {}",
        engine.unmatched
    );
    for (name, help, histogram) in [
        (
            "ironic_inspector_processing_duration_seconds",
            "Time to process ramdisk data (/v1/continue).",
            &engine.processing,
        ),
        (
            "ironic_inspector_boot_preparation_seconds",
            "Time from the start of an introspection to waiting for the ramdisk.",
            &engine.boot_preparation,
        ),
        (
            "ironic_inspector_callback_wait_seconds",
            "Time from waiting for the ramdisk to its post.",
            &engine.callback,
        ),
    ] {
        render_histogram(&mut out, name, help, histogram);
    }
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

fn render_histogram(out: &mut String, name: &str, help: &str, histogram: &HistogramSnapshot) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
    for (bound, n) in histogram.bounds.iter().zip(&histogram.buckets) {
        let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {n}");
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", histogram.count);
    let _ = writeln!(out, "{name}_sum {}", histogram.sum_seconds);
    let _ = writeln!(out, "{name}_count {}", histogram.count);
}
