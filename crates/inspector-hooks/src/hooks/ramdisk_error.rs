//! `ramdisk_error`: fails when the ramdisk reported an error.

use crate::data::IntrospectionData;
use crate::error::HookError;
use crate::set::ProcessingHook;
use inspector_types::python_str;

/// The `ramdisk_error` hook.
#[derive(Debug)]
pub(crate) struct RamdiskError;

pub(crate) use inspector_types::python_truthy as truthy;

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
