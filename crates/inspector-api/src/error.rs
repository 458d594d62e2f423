//! The only place that turns failures into HTTP statuses and error bodies.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use inspector_core::CoreError;
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

    /// A 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: 404,
            message: message.into(),
        }
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        Self {
            status: error.status,
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
        json(status, &json!({"error": {"message": self.message}}))
    }
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
