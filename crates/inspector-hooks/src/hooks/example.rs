//! `example`: logs in both phases and changes nothing.

use crate::data::IntrospectionData;
use crate::error::HookError;
use crate::node::NodeView;
use crate::set::ProcessingHook;

/// The `example` hook.
#[derive(Debug)]
pub(crate) struct Example;

impl ProcessingHook for Example {
    fn name(&self) -> &'static str {
        "example"
    }

    fn before_processing(&self, data: &mut IntrospectionData) -> Result<(), HookError> {
        tracing::debug!(keys = data.len(), "before_processing");
        Ok(())
    }

    fn before_update(
        &self,
        data: &mut IntrospectionData,
        node: &mut NodeView,
    ) -> Result<(), HookError> {
        tracing::debug!(node = %node.uuid, keys = data.len(), "before_update");
        Ok(())
    }
}
