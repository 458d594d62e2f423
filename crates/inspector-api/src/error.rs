//! The only place that turns failures into HTTP statuses and error bodies.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use inspector_core::{CoreError, ErrorKind};
use serde_json::json;

use crate::encoding::encode_sorted;

/// An error answer: `{"error":{"message":"..."}}` with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The message.
    pub message: String,
}

impl ApiError {
    /// A 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            message: message.into(),
        }
    }

    /// A 503: the ramdisk and clients retry it (see `Retry-After`).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self {
            status: 503,
            message: message.into(),
        }
    }

    /// A 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: 404,
            message: message.into(),
        }
    }
}

impl ApiError {
    /// The error body in encoding A, for answers written below the router.
    pub fn body(&self) -> String {
        encode_sorted(&json!({"error": {"message": self.message}}))
    }
}

/// The status the API answers a failure of `kind` with (upstream's codes:
/// a service error is 400 unless it says otherwise; every "retry later" is
/// 503 with `Retry-After`).
pub(crate) fn status_of(kind: ErrorKind) -> u16 {
    match kind {
        ErrorKind::InvalidInput => 400,
        ErrorKind::NotFound => 404,
        ErrorKind::Conflict => 409,
        ErrorKind::Internal => 500,
        ErrorKind::IronicUnavailable | ErrorKind::DatabaseUnavailable => 503,
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        Self {
            status: status_of(error.kind),
            message: error.message,
        }
    }
}

/// A JSON body in encoding A with `Content-Type: application/json` exactly.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        encode_sorted(value),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(status = self.status, error = %self.message, "request failed");
        }
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            self.body(),
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // Every 503 is worth a retry; callers may set a more precise wait.
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        }
        response
    }
}

/// Gives answers made outside the handlers (axum's rejections: a 413 for a
/// body over the limit, a 400 for a malformed one) the API's error format;
/// a 413 also closes the connection, as the rest of its body was not read.
/// `/healthcheck` keeps its plain-text answers.
pub(crate) async fn json_errors(request: Request, next: Next) -> Response {
    let health = request.uri().path() == "/healthcheck";
    let response = next.run(request).await;
    let status = response.status();
    if health || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if is_json {
        return Response::from_parts(parts, body);
    }
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("Error").to_owned()
    } else {
        text
    };
    let answer = ApiError {
        status: status.as_u16(),
        message,
    }
    .into_response();
    let (answer_parts, answer_body) = answer.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &answer_parts.headers {
        if !parts.headers.contains_key(name) || name == header::CONTENT_TYPE {
            parts.headers.insert(name.clone(), value.clone());
        }
    }
    Response::from_parts(parts, answer_body)
}

/// No route: 404 in the error format.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found(
        "404 Not Found: The requested URL was not found on the server. If you entered the URL manually please \
         check your spelling and try again.",
    )
}

/// A route without this method: 405 in the error format.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError {
        status: 405,
        message: "405 Method Not Allowed: The method is not allowed for the requested URL.".into(),
    }
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;
    use inspector_core::CoreError;
    use rstest::rstest;

    use super::ApiError;

    #[rstest]
    #[case::invalid_input(CoreError::invalid_input("Invalid provision state"), 400, None)]
    #[case::not_found(CoreError::not_found("Node x was not found in Ironic"), 404, None)]
    #[case::conflict(CoreError::conflict("Node is locked"), 409, None)]
    #[case::internal(CoreError::internal("Unexpected exception"), 500, None)]
    #[case::ironic_unavailable(CoreError::ironic_unavailable("timed out"), 503, Some("5"))]
    #[case::database_unavailable(CoreError::database_unavailable("closed"), 503, Some("5"))]
    #[tokio::test]
    async fn each_kind_is_answered_with_its_status(
        #[case] error: CoreError,
        #[case] status: u16,
        #[case] retry_after: Option<&str>,
    ) {
        let message = error.message.clone();
        let response = ApiError::from(error).into_response();
        assert_eq!(response.status().as_u16(), status);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|value| value.to_str().unwrap().to_owned())
        };
        assert_eq!(header("retry-after").as_deref(), retry_after);
        assert_eq!(header("content-type").as_deref(), Some("application/json"));
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body, serde_json::json!({"error": {"message": message}}));
    }
}
