//! `ramdisk_error`: fails when the ramdisk reported an error.

use serde_json::Value;

use crate::data::IntrospectionData;
use crate::error::HookError;
use crate::set::ProcessingHook;
use inspector_types::python_str;

/// The `ramdisk_error` hook.
#[derive(Debug)]
pub(crate) struct RamdiskError;

/// Python's truth value of a JSON value.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

impl ProcessingHook for RamdiskError {
    fn name(&self) -> &'static str {
        "ramdisk_error"
    }

    fn before_processing(&self, data: &mut IntrospectionData) -> Result<(), HookError> {
        match data.get("error") {
            Some(error) if truthy(error) => Err(HookError::error(format!(
                "Ramdisk reported error: {}",
                python_str(error)
            ))),
            _ => Ok(()),
        }
    }
}
