//! `POST /v1/rules` bodies: upstream's validation, in upstream's order, with
//! its messages (the schema summaries rendered with Python literals).

use inspector_types::{NodeUuid, python_repr};
use serde_json::{Map, Value};

use crate::actions::{ACTIONS, Action};
use crate::conditions::{Condition, OPERATORS};
use crate::error::InvalidRule;
use crate::model::{ActionDocument, ConditionDocument, Multiple, RuleDocument};
use crate::python::type_name;

/// The longest scope accepted.
const MAX_SCOPE: usize = 255;

/// Validates a submitted rule and returns it as it will be stored; a missing
/// UUID is generated.
pub fn parse_rule(body: &Value) -> Result<RuleDocument, InvalidRule> {
    let Value::Object(body) = body else {
        return Err(InvalidRule(format!(
            "Invalid rule: expected a JSON object, got {}",
            type_name(body)
        )));
    };
    // As upstream: a falsy value (null, "", 0, false, [], {}) means "generate one".
    let uuid = match body.get("uuid") {
        Some(Value::String(text)) if NodeUuid::is_uuid_like(text) => text.clone(),
        Some(value) if !inspector_types::python_truthy(value) => uuid::Uuid::new_v4().to_string(),
        None => uuid::Uuid::new_v4().to_string(),
        Some(_) => return Err(InvalidRule("Invalid UUID value".to_owned())),
    };
    let scope = match body.get("scope") {
        None | Some(Value::Null) => None,
        Some(Value::String(scope)) if scope.chars().count() > MAX_SCOPE => {
            return Err(InvalidRule(format!(
                "Invalid scope: the length of the scope should be within {MAX_SCOPE} characters"
            )));
        }
        Some(Value::String(scope)) => Some(scope.clone()),
        Some(other) => {
            return Err(InvalidRule(format!(
                "Invalid scope: expected a string, got {}",
                type_name(other)
            )));
        }
    };
    let description = match body.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(other) => Some(inspector_types::python_str(other)),
    };
    let conditions = schema_list(body.get("conditions"), "conditions", false)?
        .iter()
        .map(condition_schema)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|summary| schema_error("conditions", &summary))?;
    for condition in &conditions {
        Condition::compile(condition)?;
    }
    let actions = schema_list(body.get("actions"), "actions", true)?
        .iter()
        .map(action_schema)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|summary| schema_error("actions", &summary))?;
    for action in &actions {
        Action::compile(action)?;
    }
    Ok(RuleDocument {
        uuid,
        description,
        scope,
        conditions,
        actions,
    })
}

fn schema_error(what: &str, summary: &str) -> InvalidRule {
    InvalidRule(format!("Validation failed for {what}: {summary}"))
}

/// The array of conditions or actions; a missing member is `[]`.
fn schema_list<'v>(
    value: Option<&'v Value>,
    what: &str,
    non_empty: bool,
) -> Result<&'v [Value], InvalidRule> {
    let items: &[Value] = match value {
        None => &[],
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(schema_error(
                what,
                &format!("{} is not of type 'array'", python_repr(other)),
            ));
        }
    };
    if non_empty && items.is_empty() {
        return Err(schema_error(what, "[] should be non-empty"));
    }
    Ok(items)
}

fn object(item: &Value) -> Result<&Map<String, Value>, String> {
    item.as_object()
        .ok_or_else(|| format!("{} is not of type 'object'", python_repr(item)))
}

fn required(item: &Map<String, Value>, names: &[&str]) -> Result<(), String> {
    match names.iter().find(|name| !item.contains_key(**name)) {
        Some(name) => Err(format!("'{name}' is a required property")),
        None => Ok(()),
    }
}

fn one_of(value: &Value, names: &[&str]) -> Result<String, String> {
    match value.as_str() {
        Some(name) if names.contains(&name) => Ok(name.to_owned()),
        _ => Err(format!(
            "{} is not one of {}",
            python_repr(value),
            python_repr(&Value::from(names.to_vec()))
        )),
    }
}

fn condition_schema(item: &Value) -> Result<ConditionDocument, String> {
    let item = object(item)?;
    required(item, &["op", "field"])?;
    let op = one_of(&item["op"], &OPERATORS)?;
    let field = item["field"]
        .as_str()
        .ok_or_else(|| format!("{} is not of type 'string'", python_repr(&item["field"])))?
        .to_owned();
    let multiple = match item.get("multiple") {
        None => Multiple::Any,
        Some(value) => Multiple::from_name(&one_of(value, &Multiple::NAMES)?).unwrap_or_default(),
    };
    let invert = match item.get("invert") {
        None => false,
        Some(Value::Bool(invert)) => *invert,
        Some(other) => return Err(format!("{} is not of type 'boolean'", python_repr(other))),
    };
    let params = item
        .iter()
        .filter(|(key, _)| !matches!(key.as_str(), "op" | "field" | "multiple" | "invert"))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Ok(ConditionDocument {
        op,
        field,
        multiple,
        invert,
        params,
    })
}

fn action_schema(item: &Value) -> Result<ActionDocument, String> {
    let item = object(item)?;
    required(item, &["action"])?;
    let action = one_of(&item["action"], &ACTIONS)?;
    let params = item
        .iter()
        .filter(|(key, _)| key.as_str() != "action")
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Ok(ActionDocument { action, params })
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use serde_json::{Value, json};

    use super::parse_rule;

    fn actions() -> Value {
        json!([{"action": "fail", "message": "no"}])
    }

    #[test]
    fn the_clients_body_is_accepted_and_a_uuid_generated() {
        let rule = parse_rule(&json!({"uuid": null, "description": null,
            "conditions": [{"op": "eq", "field": "memory_mb", "value": 1024, "invert": true, "multiple": "all"}],
            "actions": actions()}))
        .expect("valid");
        assert_eq!(rule.uuid.len(), 36);
        assert_eq!(rule.description, None);
        assert_eq!(
            rule.conditions[0].to_json(),
            json!({"value": 1024, "op": "eq", "field": "memory_mb", "multiple": "all", "invert": true})
        );
    }

    #[rstest]
    #[case::upper("7459BF7C-9FF9-43A8-BA9F-48542ECDA66C")]
    #[case::no_hyphens("7459bf7c9ff943a8ba9f48542ecda66c")]
    #[case::urn("urn:uuid:7459bf7c-9ff9-43a8-ba9f-48542ecda66c")]
    fn given_uuids_are_kept_verbatim(#[case] uuid: &str) {
        let rule = parse_rule(&json!({"uuid": uuid, "actions": actions()})).expect("valid");
        assert_eq!(rule.uuid, uuid);
    }

    #[rstest]
    #[case::not_object(json!([1]), "Invalid rule: expected a JSON object, got list")]
    #[case::bad_uuid(json!({"uuid": "abc", "actions": [{"action": "fail", "message": "no"}]}), "Invalid UUID value")]
    #[case::number_uuid(json!({"uuid": 123, "actions": []}), "Invalid UUID value")]
    #[case::list_uuid(json!({"uuid": ["a"], "actions": []}), "Invalid UUID value")]
    #[case::long_scope(json!({"scope": "s".repeat(256), "actions": []}), "Invalid scope: the length of the scope should be within 255 characters")]
    #[case::numeric_scope(json!({"scope": 5, "actions": []}), "Invalid scope: expected a string, got int")]
    #[case::conditions_not_list(json!({"conditions": {"a": 1}, "actions": []}), "Validation failed for conditions: {'a': 1} is not of type 'array'")]
    #[case::missing_field(json!({"conditions": [{"op": "eq"}], "actions": []}), "Validation failed for conditions: 'field' is a required property")]
    #[case::missing_op(json!({"conditions": [{"field": "a"}], "actions": []}), "Validation failed for conditions: 'op' is a required property")]
    #[case::unknown_op(json!({"conditions": [{"op": "foo", "field": "a"}], "actions": []}), "Validation failed for conditions: 'foo' is not one of ['contains', 'eq', 'ge', 'gt', 'in-net', 'is-empty', 'is-false', 'is-none', 'is-true', 'le', 'lt', 'matches', 'ne', 'one-of']")]
    #[case::bad_multiple(json!({"conditions": [{"op": "eq", "field": "a", "value": 1, "multiple": "some"}], "actions": []}), "Validation failed for conditions: 'some' is not one of ['all', 'any', 'first']")]
    #[case::bad_invert(json!({"conditions": [{"op": "eq", "field": "a", "value": 1, "invert": "yes"}], "actions": []}), "Validation failed for conditions: 'yes' is not of type 'boolean'")]
    #[case::field_before_actions(json!({"conditions": [{"op": "eq", "field": "x://a", "value": 1}], "actions": []}), "Unsupported scheme for field: x, valid values are node:// or data://")]
    #[case::params_before_actions(json!({"conditions": [{"op": "eq", "field": "a"}], "actions": []}), "Invalid parameters for operator eq: missing required parameter(s): value")]
    #[case::no_actions(json!({"conditions": []}), "Validation failed for actions: [] should be non-empty")]
    #[case::empty_actions(json!({"actions": []}), "Validation failed for actions: [] should be non-empty")]
    #[case::unknown_action(json!({"actions": [{"action": "nope"}]}), "Validation failed for actions: 'nope' is not one of ['add-trait', 'del-attribute', 'del-port-attribute', 'example', 'extend-attribute', 'extend-port-attribute', 'fail', 'log', 'remove-trait', 'set-attribute', 'set-capability', 'set-port-attribute', 'unset-capability']")]
    #[case::action_missing(json!({"actions": [{"message": "x"}]}), "Validation failed for actions: 'action' is a required property")]
    #[case::set_attribute_value(json!({"actions": [{"action": "set-attribute"}]}), "Invalid parameters for action set-attribute: missing required parameter(s): value")]
    #[case::set_attribute_path(json!({"actions": [{"action": "set-attribute", "value": null}]}), "Invalid parameters for action set-attribute: missing required parameter(s): path")]
    #[case::extend_both(json!({"actions": [{"action": "extend-attribute"}]}), "Invalid parameters for action extend-attribute: missing required parameter(s): path, value")]
    #[case::example_params(json!({"actions": [{"action": "example", "a": 1}]}), "Invalid parameters for action example: unexpected parameter(s): a")]
    #[case::log_level(json!({"actions": [{"action": "log", "msg": "m", "level": "loud"}]}), "Invalid parameters for action log: invalid value: level must be one of critical, debug, error, info, warning")]
    fn invalid_rules(#[case] body: Value, #[case] message: &str) {
        assert_eq!(parse_rule(&body).expect_err("invalid").0, message);
    }

    #[test]
    fn scope_of_255_characters_is_accepted_and_empty_scope_kept() {
        let long = "s".repeat(255);
        assert_eq!(
            parse_rule(&json!({"scope": long, "actions": actions()}))
                .expect("valid")
                .scope,
            Some(long)
        );
        assert_eq!(
            parse_rule(&json!({"scope": "", "actions": actions()}))
                .expect("valid")
                .scope,
            Some(String::new())
        );
    }

    #[rstest]
    #[case::zero(json!(0))]
    #[case::false_(json!(false))]
    #[case::empty(json!(""))]
    #[case::empty_list(json!([]))]
    fn falsy_uuids_are_generated(#[case] uuid: Value) {
        let rule = parse_rule(&json!({"uuid": uuid, "actions": actions()})).expect("valid");
        assert_eq!(rule.uuid.len(), 36);
    }

    #[test]
    fn numeric_descriptions_are_stored_as_text() {
        let rule = parse_rule(&json!({"description": 5, "actions": actions()})).expect("valid");
        assert_eq!(rule.description.as_deref(), Some("5"));
    }
}
