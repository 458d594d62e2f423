//! The hook interface and the configured, ordered list of hooks.

use std::sync::Arc;

use inspector_config::ProcessingOptions;

use crate::data::IntrospectionData;
use crate::error::{HookError, HookFailure};
use crate::hooks;
use crate::node::NodeView;

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
    /// Builds the configured hooks; unknown names, hooks that fail to build and
    /// missing dependencies are reported with upstream's messages.
    pub fn from_options(options: &ProcessingOptions) -> Result<Self, String> {
        let mut built: Vec<(String, Arc<dyn ProcessingHook>)> = Vec::new();
        let mut failed = Vec::new();
        for name in &options.processing_hooks {
            match hooks::builtin(name, options) {
                Some(Ok(hook)) => built.push((name.clone(), hook)),
                Some(Err(error)) => {
                    tracing::error!(hook = %name, %error, "processing hook failed to load");
                    failed.push(name.clone());
                }
                None => failed.push(name.clone()),
            }
        }
        if !failed.is_empty() {
            return Err(format!(
                "The following hook(s) are missing or failed to load: {}",
                failed.join(", ")
            ));
        }
        let mut seen: Vec<&str> = Vec::new();
        let mut problems = Vec::new();
        for (name, hook) in &built {
            let missing: Vec<&str> = hook
                .dependencies()
                .iter()
                .copied()
                .filter(|d| !seen.contains(d))
                .collect();
            if !missing.is_empty() {
                problems.push(format!(
                    "Hook {name} requires the following hooks to be enabled before it: {}. The following hooks are missing: {}.",
                    hook.dependencies().join(", "),
                    missing.join(", ")
                ));
            }
            seen.push(name);
        }
        if !problems.is_empty() {
            return Err(format!(
                "Some hooks failed to load due to dependency problems:\n{}",
                problems.join("\n")
            ));
        }
        Ok(Self {
            hooks: built.into_iter().map(|(_, hook)| hook).collect(),
        })
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
    use inspector_config::AddPorts;
    use inspector_config::KeepPorts;

    use super::*;

    fn options(hooks: &[&str]) -> ProcessingOptions {
        ProcessingOptions {
            processing_hooks: hooks.iter().map(|h| (*h).to_owned()).collect(),
            ..ProcessingOptions::default()
        }
    }

    #[test]
    fn the_default_list_loads_in_order() {
        let set = HookSet::from_options(&ProcessingOptions::default()).unwrap();
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
    fn unknown_hooks_are_named() {
        let error =
            HookSet::from_options(&options(&["scheduler", "nope", "also_nope"])).unwrap_err();
        assert_eq!(
            error,
            "The following hook(s) are missing or failed to load: nope, also_nope"
        );
    }

    #[test]
    fn a_hook_that_cannot_be_built_fails_the_load() {
        let mut options = options(&["validate_interfaces"]);
        options.add_ports = AddPorts::Disabled;
        options.keep_ports = KeepPorts::Added;
        let error = HookSet::from_options(&options).unwrap_err();
        assert_eq!(
            error,
            "The following hook(s) are missing or failed to load: validate_interfaces"
        );
    }

    #[test]
    fn duplicates_run_twice() {
        let set = HookSet::from_options(&options(&["example", "example"])).unwrap();
        assert_eq!(set.hooks().len(), 2);
    }
}
