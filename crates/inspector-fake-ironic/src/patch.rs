//! JSON patches as Ironic applies them: RFC 6902 through python-jsonpatch,
//! plus Ironic's own refusals, with their messages.

use json_patch::{Patch, PatchOperation};

use serde_json::Value;

use crate::state::FakeError;

/// Top-level fields that no patch may touch.
const READ_ONLY: &[&str] = &[
    "uuid",
    "id",
    "created_at",
    "updated_at",
    "links",
    "provision_state",
    "power_state",
    "traits",
    "target_provision_state",
    "target_power_state",
    "node_uuid_internal",
];

/// Applies `patch` to `resource` (a node or port document) the way Ironic does.
pub(crate) fn apply(resource: &mut Value, patch: &Value) -> Result<(), FakeError> {
    let patch: Patch = serde_json::from_value(patch.clone()).map_err(|e| {
        FakeError::bad_request(format!(
            "Invalid input for field/attribute patch. Value: '{patch}'. {e}"
        ))
    })?;
    // One operation at a time, each checked against the result of the previous
    // ones; the resource changes only if every operation applies.
    let mut working = resource.clone();
    for operation in &patch.0 {
        check(&working, operation)?;
        json_patch::patch(&mut working, std::slice::from_ref(operation))
            .map_err(|e| FakeError::bad_request(e.to_string()))?;
    }
    *resource = working;
    Ok(())
}

fn check(resource: &Value, operation: &PatchOperation) -> Result<(), FakeError> {
    let path = operation.path().to_string();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let top = segments[0];
    if READ_ONLY.contains(&top) || path.is_empty() {
        return Err(FakeError::bad_request(format!(
            "'/{top}' is an internal attribute and can not be updated"
        )));
    }
    let exists = |pointer: &str| resource.pointer(pointer).is_some();
    let parent = match path.rfind('/') {
        Some(0) | None => String::new(),
        Some(at) => path[..at].to_owned(),
    };
    match operation {
        PatchOperation::Add(_) => {
            if segments.len() == 1 && !exists(&path) {
                return Err(FakeError::bad_request(format!(
                    "Adding a new attribute ({path}) to the root of the resource is not allowed."
                )));
            }
            if !parent.is_empty() && !exists(&parent) {
                return Err(FakeError::bad_request(format!(
                    "can't add to a non-existent object '{}'",
                    parent.rsplit('/').next().unwrap_or_default()
                )));
            }
        }
        PatchOperation::Remove(_) => {
            if segments.len() == 1 && exists(&path) {
                return Err(FakeError::bad_request(format!(
                    "'{path}' is a mandatory attribute and can not be removed"
                )));
            }
            if !exists(&path) {
                return Err(FakeError::bad_request(format!(
                    "can't remove a non-existent object '{}'",
                    segments[segments.len() - 1]
                )));
            }
        }
        PatchOperation::Replace(_) if !exists(&path) => {
            return Err(FakeError::bad_request(format!(
                "can't replace a non-existent object '{}'",
                segments[segments.len() - 1]
            )));
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn node() -> Value {
        json!({"uuid": "u", "name": null, "properties": {"cpus": 2}, "extra": {}, "driver": "ipmi"})
    }

    #[test]
    fn nested_add_replace_remove() {
        let mut doc = node();
        apply(
            &mut doc,
            &json!([
                {"op": "add", "path": "/properties/memory_mb", "value": 1024},
                {"op": "replace", "path": "/properties/cpus", "value": 4},
                {"op": "add", "path": "/extra/a", "value": {"b": 1}},
                {"op": "remove", "path": "/extra/a/b"},
                {"op": "replace", "path": "/name", "value": "n1"}
            ]),
        )
        .unwrap();
        assert_eq!(doc["properties"], json!({"cpus": 4, "memory_mb": 1024}));
        assert_eq!(doc["extra"], json!({"a": {}}));
        assert_eq!(doc["name"], "n1");
    }

    #[test]
    fn refusals_carry_ironics_messages() {
        let cases = [
            (
                json!([{"op": "add", "path": "/properties/a/b", "value": 1}]),
                "can't add to a non-existent object 'a'",
            ),
            (
                json!([{"op": "remove", "path": "/extra/missing"}]),
                "can't remove a non-existent object 'missing'",
            ),
            (
                json!([{"op": "replace", "path": "/extra/missing", "value": 1}]),
                "can't replace a non-existent object 'missing'",
            ),
            (
                json!([{"op": "add", "path": "/foo", "value": 1}]),
                "Adding a new attribute (/foo) to the root of the resource is not allowed.",
            ),
            (
                json!([{"op": "replace", "path": "/uuid", "value": "x"}]),
                "'/uuid' is an internal attribute and can not be updated",
            ),
            (
                json!([{"op": "remove", "path": "/driver"}]),
                "'/driver' is a mandatory attribute and can not be removed",
            ),
        ];
        for (patch, message) in cases {
            let mut doc = node();
            let error = apply(&mut doc, &patch).unwrap_err();
            assert_eq!(
                (error.status, error.message.as_str()),
                (400, message),
                "{patch}"
            );
            assert_eq!(doc, node(), "a refused patch changes nothing");
        }
    }

    #[test]
    fn a_failing_operation_leaves_the_document_untouched() {
        let mut doc = node();
        let error = apply(
            &mut doc,
            &json!([
                {"op": "add", "path": "/extra/ok", "value": 1},
                {"op": "test", "path": "/driver", "value": "redfish"}
            ]),
        )
        .unwrap_err();
        assert_eq!(error.status, 400);
        assert_eq!(doc, node());
    }
}
