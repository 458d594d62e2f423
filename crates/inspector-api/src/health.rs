//! `/healthcheck` (when `[healthcheck] enabled`) and the request id.

use std::convert::Infallible;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use inspector_core::Origin;
use tracing::Instrument;

use crate::client::ClientAddress;

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

/// The id of the request being answered, in its extensions.
#[derive(Debug, Clone)]
pub(crate) struct RequestId(pub(crate) String);

/// Who sent the request: its id and the client's address, for the timeline.
#[derive(Debug, Clone)]
pub(crate) struct RequestOrigin(pub(crate) Origin);

impl<S: Send + Sync> FromRequestParts<S> for RequestOrigin {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Self(Origin {
            request_id: parts.extensions.get::<RequestId>().map(|id| id.0.clone()),
            client_address: parts
                .extensions
                .get::<ClientAddress>()
                .map(|client| client.0.to_string()),
        }))
    }
}

/// Gives every request an id (`x-openstack-request-id: req-<uuid>`), logs it
/// with the method, path and status.
pub(crate) async fn request_id(mut request: Request, next: Next) -> Response {
    let id = format!("req-{}", uuid::Uuid::new_v4());
    request.extensions_mut().insert(RequestId(id.clone()));
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
