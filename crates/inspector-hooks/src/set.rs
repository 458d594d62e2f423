//! The hook interface and the configured, ordered list of hooks.

use std::sync::Arc;

use inspector_config::HookOptions;

use crate::data::IntrospectionData;
use crate::error::{HookError, HookFailure};
use crate::node::NodeView;
use crate::registry::HookRegistry;

/// A processing hook.
pub trait ProcessingHook: Send + Sync + std::fmt::Debug {
    /// The name operators configure it by.
    fn name(&self) -> &'static str;

    /// Phase 1: validates and normalises the raw data before the node is looked up.
    fn before_processing(&self, _data: &mut IntrospectionData) -> Result<(), HookError> {
        Ok(())
    }

    /// Phase 2: changes the data and records node and port changes on `node`.
    fn before_update(
        &self,
        _data: &mut IntrospectionData,
        _node: &mut NodeView,
    ) -> Result<(), HookError> {
        Ok(())
    }

    /// Hooks that must come earlier in the list.
    fn dependencies(&self) -> &'static [&'static str] {
        &[]
    }
}

/// The hooks of `[processing] processing_hooks`, in order (a name listed twice runs twice).
#[derive(Debug, Clone)]
pub struct HookSet {
    hooks: Vec<Arc<dyn ProcessingHook>>,
}

impl HookSet {
    /// Builds the configured hooks from the built-in names (see
    /// [`HookRegistry::build`], which also knows a service's own hooks).
    pub fn from_options(options: &HookOptions) -> Result<Self, String> {
        HookRegistry::default().build(options)
    }

    /// The hooks, run in this order.
    pub(crate) fn new(hooks: Vec<Arc<dyn ProcessingHook>>) -> Self {
        Self { hooks }
    }

    /// The hooks, in order.
    pub fn hooks(&self) -> &[Arc<dyn ProcessingHook>] {
        &self.hooks
    }

    /// The hooks' names, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.hooks.iter().map(|hook| hook.name()).collect()
    }

    /// Runs phase 1 of every hook, collecting failure texts (all hooks run).
    pub fn before_processing(&self, data: &mut IntrospectionData) -> Vec<String> {
        self.before_processing_by_hook(data)
            .into_iter()
            .map(|(_, text)| text)
            .collect()
    }

    /// Runs phase 1 of every hook, collecting the failing hooks with their
    /// failure texts (all hooks run).
    pub fn before_processing_by_hook(
        &self,
        data: &mut IntrospectionData,
    ) -> Vec<(&'static str, String)> {
        let mut failures = Vec::new();
        for hook in &self.hooks {
            let name = hook.name();
            match hook.before_processing(data) {
                Ok(()) => {}
                Err(HookError::Error(message)) => {
                    failures.push((name, format!("Preprocessing hook {name}: {message}")));
                }
                Err(HookError::Unexpected { class, message }) => failures.push((
                    name,
                    format!(
                        "Unexpected exception {class} during preprocessing in hook {name}: {message}"
                    ),
                )),
            }
        }
        failures
    }

    /// Runs phase 2 of every hook in order; the first failure stops the phase.
    pub fn before_update(
        &self,
        data: &mut IntrospectionData,
        node: &mut NodeView,
    ) -> Result<(), HookFailure> {
        for hook in &self.hooks {
            let _span = tracing::debug_span!("hook", hook = hook.name()).entered();
            match hook.before_update(data, node) {
                Ok(()) => {}
                Err(HookError::Error(message)) => {
                    return Err(HookFailure {
                        hook: hook.name(),
                        message,
                    });
                }
                // Hooks read only the data and the node: whatever they trip
                // over, the same post would trip over it again, so it is the
                // data's fault, never a retryable fault of the service.
                Err(HookError::Unexpected { class, message }) => {
                    return Err(HookFailure {
                        hook: hook.name(),
                        message: format!(
                            "Unexpected exception {class} during processing: {message}"
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(hooks: &[&str]) -> HookOptions {
        HookOptions::with_processing_hooks(hooks)
    }

    #[test]
    fn the_default_list_loads_in_order() {
        let set = HookSet::from_options(&HookOptions::default()).unwrap();
        let names: Vec<&str> = set.hooks().iter().map(|h| h.name()).collect();
        assert_eq!(
            names,
            [
                "ramdisk_error",
                "root_disk_selection",
                "scheduler",
                "validate_interfaces",
                "capabilities",
                "pci_devices"
            ]
        );
    }

    #[test]
    fn duplicates_run_twice() {
        let set = HookSet::from_options(&options(&["example", "example"])).unwrap();
        assert_eq!(set.hooks().len(), 2);
    }
}
