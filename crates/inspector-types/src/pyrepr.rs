//! Python's `repr()` and `str()` of JSON values, for messages and for values
//! written as text (capabilities, properties).

use serde_json::Value;

/// Python's `repr()` of a JSON value (`'a'`, `None`, `True`, `['a', 1]`, `{'k': 1.5}`).
pub fn python_repr(value: &Value) -> String {
    match value {
        Value::String(text) => python_quote(text),
        other => render(other, python_repr),
    }
}

/// Python's type name of a JSON value (`NoneType`, `bool`, `int`, `float`, `str`, `list`, `dict`).
pub fn python_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Python's truth value of a JSON value (`0`, `""`, `[]`, `{}`, `None`, `False` are false).
pub fn python_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Python's `str()` of a JSON value: strings bare, everything else as `repr()`.
pub fn python_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => render(other, python_repr),
    }
}

fn render(value: &Value, inner: fn(&Value) -> String) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(number) => match (number.as_i64(), number.as_u64(), number.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => float(f),
            _ => number.to_string(),
        },
        Value::String(text) => text.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(inner).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", python_quote(k), inner(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python's shortest round-trip float text (`1.0`, `465.76`, `1e+16`).
fn float(value: f64) -> String {
    if value.is_nan() {
        return "nan".into();
    }
    if value.is_infinite() {
        return if value > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-4..1e16).contains(&magnitude) {
        let text = format!("{value:e}");
        let (mantissa, exponent) = text.split_once('e').expect("exponent form");
        let exponent: i32 = exponent.parse().expect("an integer exponent");
        return format!(
            "{mantissa}e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.abs()
        );
    }
    let text = value.to_string();
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// Python's `repr()` of a `str` (`'a'`, `"it's"`).
pub fn python_quote(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use serde_json::json;

    use super::*;

    #[rstest]
    #[case(json!("a"), "'a'", "a")]
    #[case(json!(null), "None", "None")]
    #[case(json!(true), "True", "True")]
    #[case(json!(20), "20", "20")]
    #[case(json!(1.0), "1.0", "1.0")]
    #[case(json!(465.76), "465.76", "465.76")]
    #[case(json!(1e16), "1e+16", "1e+16")]
    #[case(json!(0.00001), "1e-05", "1e-05")]
    #[case(json!(["a", 1]), "['a', 1]", "['a', 1]")]
    #[case(json!({"model": 123, "x": {"y": null}}), "{'model': 123, 'x': {'y': None}}", "{'model': 123, 'x': {'y': None}}")]
    fn like_python(#[case] value: Value, #[case] repr: &str, #[case] str_: &str) {
        assert_eq!(python_repr(&value), repr);
        assert_eq!(python_str(&value), str_);
    }
}
