//! Which hook each configured name builds: the built-in names and the hooks
//! an embedding service registers beside them.

use std::collections::BTreeMap;
use std::sync::Arc;

use inspector_config::HookOptions;

use crate::error::HookError;
use crate::hooks;
use crate::set::{HookSet, ProcessingHook};

/// Builds a hook from the processing options; an `Err` fails the load with
/// the hook named, as a built-in hook that cannot be built does.
pub type HookFactory =
    Arc<dyn Fn(&HookOptions) -> Result<Arc<dyn ProcessingHook>, HookError> + Send + Sync>;

/// A name that is already taken, by a built-in hook or an earlier registration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a processing hook named {0:?} is already registered")]
pub struct HookNameTaken(pub String);

/// The names `[processing] processing_hooks` may list, and what each builds.
///
/// [`HookRegistry::default`] knows the built-in hooks; [`HookRegistry::register`]
/// adds a service's own hook under a new name, so that operators enable it in
/// `processing_hooks` like any other:
///
/// ```
/// use std::sync::Arc;
/// use inspector_config::HookOptions;
/// use inspector_hooks::{HookRegistry, ProcessingHook};
///
/// #[derive(Debug)]
/// struct AssetTag;
/// impl ProcessingHook for AssetTag {
///     fn name(&self) -> &'static str {
///         "asset_tag"
///     }
/// }
///
/// let mut registry = HookRegistry::default();
/// registry.register("asset_tag", |_options| Ok(Arc::new(AssetTag) as _)).unwrap();
/// let options = HookOptions::with_processing_hooks(&["scheduler", "asset_tag"]);
/// let hooks = registry.build(&options).unwrap();
/// assert_eq!(hooks.names(), ["scheduler", "asset_tag"]);
/// ```
#[derive(Clone, Default)]
pub struct HookRegistry {
    registered: BTreeMap<String, HookFactory>,
}

impl std::fmt::Debug for HookRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookRegistry")
            .field("registered", &self.registered.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl HookRegistry {
    /// Registers `factory` under `name`; a built-in or already registered
    /// name is refused, so a registration never silently replaces a hook.
    pub fn register<F>(&mut self, name: impl Into<String>, factory: F) -> Result<(), HookNameTaken>
    where
        F: Fn(&HookOptions) -> Result<Arc<dyn ProcessingHook>, HookError> + Send + Sync + 'static,
    {
        let name = name.into();
        if hooks::is_builtin(&name) || self.registered.contains_key(&name) {
            return Err(HookNameTaken(name));
        }
        self.registered.insert(name, Arc::new(factory));
        Ok(())
    }

    /// Every name known: the built-in ones in their table's order, then the
    /// registered ones, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = hooks::builtin_names().collect();
        names.extend(self.registered.keys().map(String::as_str));
        names
    }

    /// The hook `name` builds: `None` if the name is unknown.
    fn hook(
        &self,
        name: &str,
        options: &HookOptions,
    ) -> Option<Result<Arc<dyn ProcessingHook>, HookError>> {
        hooks::builtin(name, options)
            .or_else(|| self.registered.get(name).map(|factory| factory(options)))
    }

    /// Builds the hooks of `[processing] processing_hooks`, in order; unknown
    /// names, hooks that fail to build and missing dependencies are reported
    /// with upstream's messages.
    pub fn build(&self, options: &HookOptions) -> Result<HookSet, String> {
        let mut built: Vec<(String, Arc<dyn ProcessingHook>)> = Vec::new();
        let mut failed = Vec::new();
        for name in &options.processing.processing_hooks {
            match self.hook(name, options) {
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
        let problems = dependency_problems(&built);
        if !problems.is_empty() {
            return Err(format!(
                "Some hooks failed to load due to dependency problems:\n{}",
                problems.join("\n")
            ));
        }
        Ok(HookSet::new(
            built.into_iter().map(|(_, hook)| hook).collect(),
        ))
    }
}

/// One line per hook whose dependencies are not enabled before it.
fn dependency_problems(built: &[(String, Arc<dyn ProcessingHook>)]) -> Vec<String> {
    let mut seen: Vec<&str> = Vec::new();
    let mut problems = Vec::new();
    for (name, hook) in built {
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
    problems
}

#[cfg(test)]
mod tests {
    use inspector_config::{AddPorts, KeepPorts};

    use super::*;

    #[derive(Debug)]
    struct Custom;

    impl ProcessingHook for Custom {
        fn name(&self) -> &'static str {
            "custom"
        }

        fn dependencies(&self) -> &'static [&'static str] {
            &["scheduler"]
        }
    }

    fn options(hooks: &[&str]) -> HookOptions {
        HookOptions::with_processing_hooks(hooks)
    }

    fn with_custom() -> HookRegistry {
        let mut registry = HookRegistry::default();
        registry
            .register("custom", |_| Ok(Arc::new(Custom) as _))
            .unwrap();
        registry
    }

    #[test]
    fn every_builtin_name_builds() {
        let registry = HookRegistry::default();
        for name in hooks::builtin_names() {
            let hook = registry.hook(name, &HookOptions::default());
            assert!(matches!(hook, Some(Ok(_))), "{name}");
        }
        assert!(registry.hook("nope", &HookOptions::default()).is_none());
    }

    #[test]
    fn a_registered_hook_runs_where_it_is_listed() {
        let set = with_custom()
            .build(&options(&["ramdisk_error", "scheduler", "custom"]))
            .unwrap();
        assert_eq!(set.names(), ["ramdisk_error", "scheduler", "custom"]);
        assert!(with_custom().names().contains(&"custom"));
    }

    #[test]
    fn a_registered_hook_meets_the_dependency_check() {
        let error = with_custom().build(&options(&["custom"])).unwrap_err();
        assert_eq!(
            error,
            "Some hooks failed to load due to dependency problems:\nHook custom requires the \
             following hooks to be enabled before it: scheduler. The following hooks are missing: \
             scheduler."
        );
    }

    #[rstest::rstest]
    #[case::builtin("scheduler")]
    #[case::registered_twice("custom")]
    fn a_taken_name_is_refused(#[case] name: &str) {
        let mut registry = with_custom();
        let error = registry
            .register(name, |_| Ok(Arc::new(Custom) as _))
            .unwrap_err();
        assert_eq!(error, HookNameTaken(name.to_owned()));
    }

    #[test]
    fn a_factory_error_fails_the_load_with_the_name() {
        let mut registry = HookRegistry::default();
        registry
            .register("broken", |_| Err(HookError::error("no licence file")))
            .unwrap();
        let error = registry.build(&options(&["broken"])).unwrap_err();
        assert_eq!(
            error,
            "The following hook(s) are missing or failed to load: broken"
        );
    }

    #[test]
    fn unknown_hooks_are_named() {
        let error = HookRegistry::default()
            .build(&options(&["scheduler", "nope", "also_nope"]))
            .unwrap_err();
        assert_eq!(
            error,
            "The following hook(s) are missing or failed to load: nope, also_nope"
        );
    }

    #[test]
    fn a_hook_that_cannot_be_built_fails_the_load() {
        let mut options = options(&["validate_interfaces"]);
        options.processing.add_ports = AddPorts::Disabled;
        options.processing.keep_ports = KeepPorts::Added;
        let error = HookRegistry::default().build(&options).unwrap_err();
        assert_eq!(
            error,
            "The following hook(s) are missing or failed to load: validate_interfaces"
        );
    }
}
