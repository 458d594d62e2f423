//! `extra_hardware`: turns the ramdisk's `data` list (`[[a, b, c, value], ...]`,
//! hardware-detect's format) into the nested `extra` dict.

use inspector_config::HookOptions;
use serde_json::{Map, Value};

use crate::data::IntrospectionData;
use crate::error::HookError;
use crate::node::NodeView;
use crate::set::ProcessingHook;

/// The `extra_hardware` hook.
#[derive(Debug)]
pub(crate) struct ExtraHardware {
    /// `[extra_hardware] strict`: items must have exactly 4 elements.
    strict: bool,
}

impl ExtraHardware {
    pub(crate) fn new(options: &HookOptions) -> Self {
        Self {
            strict: options.extra_hardware.strict,
        }
    }

    fn is_edeploy(&self, items: &[Value]) -> bool {
        items.iter().all(|item| match item {
            Value::Array(parts) => !self.strict || parts.len() == 4,
            _ => false,
        })
    }
}

/// `int()` of the value when it accepts it, else the value itself.
fn integer_or_same(value: &Value) -> Value {
    match value {
        Value::Number(n) if n.is_f64() => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map_or_else(|| value.clone(), |f| Value::from(f.trunc() as i64)),
        Value::String(text) => {
            let trimmed = text.trim();
            let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                trimmed
                    .parse::<i64>()
                    .map(Value::from)
                    .or_else(|_| trimmed.parse::<u64>().map(Value::from))
                    .unwrap_or_else(|_| value.clone())
            } else {
                value.clone()
            }
        }
        Value::Bool(b) => Value::from(i64::from(*b)),
        other => other.clone(),
    }
}

/// The key text of an item part (Python uses any hashable value as a key).
fn key(part: &Value) -> String {
    inspector_types::python_str(part)
}

impl ProcessingHook for ExtraHardware {
    fn name(&self) -> &'static str {
        "extra_hardware"
    }

    fn before_update(
        &self,
        data: &mut IntrospectionData,
        _node: &mut NodeView,
    ) -> Result<(), HookError> {
        let Some(Value::Array(items)) = data.get("data") else {
            if data.contains_key("data") {
                tracing::warn!("'data' is not a list, nothing to convert");
            } else {
                tracing::warn!("no extra hardware data was received from the ramdisk");
            }
            return Ok(());
        };
        if !self.is_edeploy(items) {
            tracing::warn!("extra hardware data is not in the eDeploy format; it is not converted");
            if self.strict {
                data.remove("data");
            }
            return Ok(());
        }
        let mut extra = Map::new();
        for item in items.iter().filter_map(Value::as_array) {
            if item.is_empty() {
                continue;
            }
            // Upstream creates the levels before reading the value: a short
            // item leaves its empty levels behind.
            let mut level = &mut extra;
            for part in item.iter().take(2) {
                let entry = level
                    .entry(key(part))
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                let Value::Object(next) = entry else {
                    unreachable!("just made an object")
                };
                level = next;
            }
            match (item.get(2), item.get(3)) {
                (Some(name), Some(value)) => {
                    level.insert(key(name), integer_or_same(value));
                }
                _ => {
                    let shown = Value::Array(item.clone());
                    tracing::warn!(item = %shown, "extra hardware item is too short");
                }
            }
        }
        data.insert("extra".into(), Value::Object(extra));
        data.remove("data");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use inspector_types::NodeUuid;
    use rstest::rstest;
    use serde_json::{Map, Value, json};

    use super::*;

    fn run(strict: bool, data: Value) -> Value {
        let hook = ExtraHardware { strict };
        let mut data: IntrospectionData = data.as_object().cloned().unwrap_or_default();
        let mut node = NodeView::new(NodeUuid::new_random(), None, Map::new(), vec![]);
        hook.before_update(&mut data, &mut node)
            .expect("never fails");
        assert!(node.changes().node_patch.is_empty());
        Value::Object(data)
    }

    fn sample() -> Value {
        json!({"data": [["cpu","logical","number","8"], ["disk","sda","size","1000"],
                        ["disk","sda","vendor","ATA"], [], ["system","product","name"],
                        ["net","eth0","speed","10Gb/s"], ["cpu","physical","number",2.7]]})
    }

    #[rstest]
    #[case::converts(false, sample(), json!({"extra": {"cpu": {"logical": {"number": 8}, "physical": {"number": 2}},
        "disk": {"sda": {"size": 1000, "vendor": "ATA"}}, "system": {"product": {}},
        "net": {"eth0": {"speed": "10Gb/s"}}}}))]
    #[case::strict_refuses_short_items(true, sample(), json!({}))]
    #[case::strict_accepts_exact_items(true, json!({"data": [["a","b","c","4294967296"]]}),
        json!({"extra": {"a": {"b": {"c": 4294967296_u64}}}}))]
    #[case::not_edeploy_kept(false, json!({"data": [["a","b","c","d"], {"x": 1}]}),
        json!({"data": [["a","b","c","d"], {"x": 1}]}))]
    #[case::not_edeploy_strict_dropped(true, json!({"data": [{"x": 1}]}), json!({}))]
    #[case::absent(false, json!({"cpus": 2}), json!({"cpus": 2}))]
    #[case::later_items_win(false, json!({"data": [["a","b","c","1"], ["a","b","c","2"]]}),
        json!({"extra": {"a": {"b": {"c": 2}}}}))]
    #[case::integer_text_only(false, json!({"data": [["a","b","c"," 42 "], ["a","b","d","4.2"], ["a","b","e","-7"]]}),
        json!({"extra": {"a": {"b": {"c": 42, "d": "4.2", "e": -7}}}}))]
    fn golden(#[case] strict: bool, #[case] input: Value, #[case] expected: Value) {
        assert_eq!(run(strict, input), expected);
    }
}
