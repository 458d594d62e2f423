//! The two JSON encodings of the API (spec §1.4): (A) compact, keys sorted,
//! non-ASCII escaped, newline-terminated; (B) Python's `json.dumps` default
//! for stored data: `, ` and `: `, insertion order, non-ASCII escaped.

use serde_json::Value;

/// Encoding A.
pub fn encode_sorted(value: &Value) -> String {
    let mut out = String::new();
    write(&mut out, value, true, (",", ":"));
    out.push('\n');
    out
}

/// Encoding B.
pub fn encode_python(value: &Value) -> String {
    let mut out = String::new();
    write(&mut out, value, false, (", ", ": "));
    out
}

fn write(out: &mut String, value: &Value, sorted: bool, (item, key): (&str, &str)) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(number) => {
            if number.is_f64() {
                out.push_str(&inspector_hooks::python_repr(value));
            } else {
                out.push_str(&number.to_string());
            }
        }
        Value::String(text) => string(out, text),
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item);
                }
                write(out, v, sorted, (item, key));
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if sorted {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(item);
                }
                string(out, k);
                out.push_str(key);
                write(out, v, sorted, (item, key));
            }
            out.push('}');
        }
    }
}

fn string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sorted_compact_ascii_newline() {
        let value = json!({"versions": [{"status": "CURRENT", "id": "1.18", "links": [{"rel": "self", "href": "http://h/v1"}]}]});
        assert_eq!(
            encode_sorted(&value),
            "{\"versions\":[{\"id\":\"1.18\",\"links\":[{\"href\":\"http://h/v1\",\"rel\":\"self\"}],\"status\":\"CURRENT\"}]}\n"
        );
        assert_eq!(
            encode_sorted(&json!({"a": "é😀\n/"})),
            "{\"a\":\"\\u00e9\\ud83d\\ude00\\n/\"}\n"
        );
    }

    #[test]
    fn python_style_keeps_order() {
        let value = json!({"z": 1, "a": [1.0, "x"], "m": null});
        assert_eq!(
            encode_python(&value),
            "{\"z\": 1, \"a\": [1.0, \"x\"], \"m\": null}"
        );
    }
}
