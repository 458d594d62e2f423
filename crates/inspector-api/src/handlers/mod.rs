//! Request handlers: extract, call the engine, render.

pub(crate) mod continue_;
pub(crate) mod introspection;
pub(crate) mod timeline;
pub(crate) mod versions;

use serde_json::Value;

use crate::error::ApiError;

pub(crate) use inspector_types::python_type_name as python_type;

/// A request body that must be a JSON object (whatever the `Content-Type`).
pub(crate) fn json_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ApiError::bad_request(format!(
            "Invalid data: expected a JSON object, got {}",
            python_type(&other)
        ))),
        Err(_) => Err(ApiError::bad_request(
            "Invalid data: expected a JSON object, got None",
        )),
    }
}
