//! `/healthcheck` (when `[healthcheck] enabled`) and the request id.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

/// `GET /healthcheck`: 200 with an empty text body; `HEAD`: 204.
pub(crate) async fn healthcheck(request: Request) -> Response {
    if request.method() == axum::http::Method::HEAD {
        return StatusCode::NO_CONTENT.into_response();
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=UTF-8")],
    )
        .into_response()
}

/// Gives every request an id (`x-openstack-request-id: req-<uuid>`), logs it
/// with the method, path and status.
pub(crate) async fn request_id(request: Request, next: Next) -> Response {
    let id = format!("req-{}", uuid::Uuid::new_v4());
    let span = tracing::info_span!("http_request", request_id = %id, method = %request.method(), path = %request.uri().path());
    async move {
        let started = std::time::Instant::now();
        let mut response = next.run(request).await;
        tracing::info!(
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_millis() as u64,
            "request"
        );
        if let Ok(value) = HeaderValue::from_str(&id) {
            response
                .headers_mut()
                .insert("x-openstack-request-id", value);
        }
        response
    }
    .instrument(span)
    .await
}
