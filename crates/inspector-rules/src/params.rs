//! Upstream's generic parameter check: parameters whose value is null count
//! as absent; required ones must be passed, others must be known.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// The parameters a plugin accepts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ParamSpec {
    pub(crate) required: &'static [&'static str],
    pub(crate) optional: &'static [&'static str],
}

impl ParamSpec {
    pub(crate) const fn new(
        required: &'static [&'static str],
        optional: &'static [&'static str],
    ) -> Self {
        Self { required, optional }
    }

    /// `missing required parameter(s): a, b; unexpected parameter(s): c`.
    pub(crate) fn check(&self, params: &Map<String, Value>) -> Result<(), String> {
        let passed: BTreeSet<&str> = params
            .iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(name, _)| name.as_str())
            .collect();
        let missing: Vec<&str> = self
            .required
            .iter()
            .copied()
            .filter(|name| !passed.contains(name))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let unexpected: Vec<&str> = passed
            .iter()
            .copied()
            .filter(|name| !self.required.contains(name) && !self.optional.contains(name))
            .collect();
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!(
                "missing required parameter(s): {}",
                missing.join(", ")
            ));
        }
        if !unexpected.is_empty() {
            problems.push(format!(
                "unexpected parameter(s): {}",
                unexpected.join(", ")
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use serde_json::{Value, json};

    use super::ParamSpec;

    const SPEC: ParamSpec = ParamSpec::new(&["value", "path"], &["unique"]);

    #[rstest]
    #[case::complete(json!({"path": "/a", "value": 1}), Ok(()))]
    #[case::falsy_values_count(json!({"path": "", "value": 0, "unique": false}), Ok(()))]
    #[case::null_is_absent(json!({"path": "/a", "value": null}), Err("missing required parameter(s): value".to_owned()))]
    #[case::both_missing_sorted(json!({}), Err("missing required parameter(s): path, value".to_owned()))]
    #[case::unexpected(json!({"path": "/a", "value": 1, "x": 1}), Err("unexpected parameter(s): x".to_owned()))]
    #[case::both(json!({"value": 1, "y": 1, "x": 2}), Err("missing required parameter(s): path; unexpected parameter(s): x, y".to_owned()))]
    fn checks_like_upstream(#[case] params: Value, #[case] expected: Result<(), String>) {
        let params = params.as_object().cloned().unwrap_or_default();
        assert_eq!(SPEC.check(&params), expected);
    }
}
